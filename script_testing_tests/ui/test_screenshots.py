"""Screenshots of what users look at, kept in ``test-artifacts/`` (headless Chromium, a real webserver).

A real ``tabular_calibrated`` run (through the quiet console, so ``report.html`` is written), then
``dagster-webserver`` on a loopback port against the same temporary DAGSTER_HOME: the asset graph of the
pipeline, one asset's checks, the HTML report; then a second run (CLI) for a comparison and a history page.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from script_testing.reports.model import RunReport
from script_testing_tests.helpers import free_port
from script_testing_tests.ui.browser import ARTIFACTS, browse, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(1200)]

BIN = Path(sys.executable).parent
JOB = "tabular_calibrated"
ASSET = "tabular_calibrated/TabularPreprocessing_calibration/processed_data__TabularPreprocessing_calibration"


def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dagster-webserver exited: {log.read_text(encoding='utf-8')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(1)
    pytest.fail(f"dagster-webserver did not answer {url} in {seconds} s")


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("screens")
    home = tmp / "home"
    (home / ".nux").mkdir(parents=True)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n", encoding="utf-8")  # no "join the community" modal
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    env = {**os.environ, "DAGSTER_HOME": str(home), "SCRIPT_TESTING_RUNS": str(tmp / "runs")}
    env.pop("SCRIPT_TESTING_PROJECT", None)
    done = subprocess.run(
        [sys.executable, "-m", "script_testing.orchestration.console", JOB],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    port = free_port()
    log = tmp / "webserver.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [
                str(BIN / "dagster-webserver"),
                "-m",
                "script_testing.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=tmp,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(f"{url}/server_info", proc, log)
        yield url, tmp
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_the_asset_graph(ui) -> None:
    url, tmp = ui
    page = f"{url}/locations/script_testing.definitions/asset-groups/{JOB}"
    dom = browse(page, tmp / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-1500:]
    # zoomed out, a card shows the middle-truncated last key part: the branch still shows at its end
    assert "processe\u2026_training" in dom.stdout and "processe\u2026libration" in dom.stdout, dom.stdout[
        -1500:
    ]
    screenshot(page, ARTIFACTS / "ui_asset_graph.png", tmp / "profile-graph")


def test_an_asset_with_its_checks(ui) -> None:
    url, tmp = ui
    page = f"{url}/assets/{ASSET}?view=checks"
    dom = browse(page, tmp / "profile-dom2", "--dump-dom")
    assert dom.returncode == 0 and "feeds_ModelEvaluation_calibration__processed_data" in dom.stdout
    screenshot(page, ARTIFACTS / "ui_asset_checks.png", tmp / "profile-checks")


def test_the_html_report(ui) -> None:
    _, tmp = ui
    report = next((tmp / "runs" / JOB).glob("*/report.html"))
    screenshot(report.as_uri(), ARTIFACTS / "ui_report.png", tmp / "profile-report", offline=True)


@pytest.fixture(scope="module")
def two_runs(ui):
    """A second run of the pipeline, through the CLI at another row count, beside the first."""
    _, tmp = ui
    env = {**os.environ, "SCRIPT_TESTING_RUNS": str(tmp / "runs")}
    env.pop("SCRIPT_TESTING_PROJECT", None)
    done = subprocess.run(
        [str(BIN / "script-testing"), "run", "-p", JOB, "--rows", "900", "--plain"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    runs = sorted(p.parent.name for p in (tmp / "runs" / JOB).glob("*/report.json"))
    assert len(runs) == 2, runs
    return tmp, env, runs


def _over_time_page(tmp: Path, env: dict, name: str, *args: str) -> Path:
    page = tmp / f"{name}.html"
    done = subprocess.run(
        [str(BIN / "script-testing"), *args, "--format", "html", "-o", str(page)],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and page.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    return page


def test_a_comparison_of_two_runs(two_runs) -> None:
    tmp, env, (first, second) = two_runs
    page = _over_time_page(tmp, env, "compare", "compare", f"{JOB}/{first}", f"{JOB}/{second}")
    html = page.read_text(encoding="utf-8")
    assert first in html and second in html and "ModelTraining" in html
    # the Dagster run's report carries what the CLI's does: its wall time, and its sources' rows
    dagster_run = RunReport.read(next(p.parent for p in (tmp / "runs" / JOB).glob("*-*-*-*-*/report.json")))
    assert dagster_run.duration_s and dagster_run.duration_s > 0
    data = dagster_run.nodes["DataLoading_training"]
    assert data.duration_s is not None and data.output_summary["DATA"].rows == 2000, data
    screenshot(page.as_uri(), ARTIFACTS / "ui_compare.png", tmp / "profile-compare", offline=True)


def test_the_history_of_a_pipeline(two_runs) -> None:
    tmp, env, runs = two_runs
    page = _over_time_page(tmp, env, "history", "history", JOB)
    html = page.read_text(encoding="utf-8")
    assert all(run in html for run in runs) and "<svg" in html
    screenshot(page.as_uri(), ARTIFACTS / "ui_history.png", tmp / "profile-history", offline=True)
