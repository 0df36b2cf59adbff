"""A quiet console for ``dagster job execute``: one line per step, then a summary and where to look next.

``dagster job execute`` prints every Dagster event (DEBUG lines of ~300 characters). This helper runs it
with its whole output sent to a log file (``<DAGSTER_HOME>/logs/<job>.log``), follows the run's events in
the instance while it runs, and prints per step ``started``/``succeeded``/``failed`` with durations, then
per pipeline the steps, the asset checks (passed, failed, not run) and the ``report.html`` it wrote.
Steps that never ran and checks that were planned but never evaluated are counted as such, never as passed.

    python -m script_testing.orchestration.console [JOB ...]     # no JOB: every pipeline of the project

Exit status: 0 only when every run succeeded.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from script_testing.api import open_project
from script_testing.config.state import PROJECT_ENV
from script_testing.orchestration.contracts import CHECK_NAME as CONTRACT_CHECK
from script_testing.orchestration.keys import dagster_name, port_of
from script_testing.reports.html import write_html
from script_testing.reports.model import REPORT_FILE, RunReport

MODULE = "script_testing.definitions"
TAG = "script_testing/console"
_EVENTS = {
    DagsterEventType.STEP_START,
    DagsterEventType.STEP_SUCCESS,
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.STEP_SKIPPED,
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED,
    DagsterEventType.ASSET_CHECK_EVALUATION,
}
_FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@dataclass
class JobSummary:
    """What one ``dagster job execute`` did, as read back from the instance."""

    job: str
    log_file: Path
    run_id: str | None = None
    status: str = "not started"
    exit_code: int | None = None
    steps: dict[str, str] = field(default_factory=dict)  # step key -> started/succeeded/failed/...
    planned_steps: list[str] = field(default_factory=list)
    checks_planned: set[str] = field(default_factory=set)
    checks_passed: set[str] = field(default_factory=set)
    checks_failed: set[str] = field(default_factory=set)
    run_dir: Path | None = None
    report_html: Path | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.status == DagsterRunStatus.SUCCESS.value

    def count(self, state: str) -> int:
        return sum(1 for s in self.steps.values() if s == state)

    @property
    def not_run(self) -> list[str]:
        return [s for s in self.planned_steps if self.steps.get(s) in (None, "started")]

    @property
    def checks_not_run(self) -> set[str]:
        return self.checks_planned - self.checks_passed - self.checks_failed


def _node(job: str, step_key: str) -> str:
    """``tabular_simple__ModelTraining`` -> ``ModelTraining`` (op names are ``<pipeline>__<node>``)."""
    prefix = f"{job}__"
    return step_key[len(prefix) :] if step_key.startswith(prefix) else step_key


def _is_check_step(step_key: str) -> bool:
    """A step that only runs asset checks (an op named after the check: ``..._feeds_<consumer>__<input>``,
    ``..._contract``) reports as check lines, not as a step. Our edge and contract checks are check specs
    of the producer's step and have no step of their own (their results are ASSET_CHECK_EVALUATION
    events of that step); a code location built before that still names its check ops this way."""
    return "_feeds_" in step_key or step_key.endswith(f"_{CONTRACT_CHECK}")


def _check_label(key) -> str:
    """``feeds_ModelTraining__input_path`` (on ``TabularPreprocessing_training``)."""
    path = key.asset_key.path
    owner = path[-2] if len(path) >= 2 else path[-1]
    return f"{key.name} (on {owner}.{port_of(key.asset_key)})"


def _seconds(ms: float | None) -> str:
    return f"{ms / 1000:.1f}s" if ms is not None else "?"


def _dagster_exe() -> str:
    exe = Path(sys.executable).with_name("dagster")
    return str(exe) if exe.exists() else "dagster"


class _Follower:
    """Reads one run's events from the instance incrementally and prints the step lines."""

    def __init__(self, instance: DagsterInstance, summary: JobSummary, echo: Callable[[str], None]):
        self.instance, self.summary, self.echo = instance, summary, echo
        self.cursor: str | None = None
        self.started: dict[str, float] = {}

    def find_run(self, token: str) -> bool:
        runs = self.instance.get_runs(filters=RunsFilter(tags={TAG: token}), limit=1)
        if not runs:
            return False
        run = runs[0]
        self.summary.run_id = run.run_id
        snap = (
            self.instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
            if run.execution_plan_snapshot_id
            else None
        )
        if snap is not None:
            self.summary.planned_steps = list(snap.step_keys_to_execute)
        return True

    def poll(self) -> None:
        if self.summary.run_id is None:
            return
        while True:
            conn = self.instance.get_records_for_run(
                self.summary.run_id, cursor=self.cursor, of_type=_EVENTS, limit=200
            )
            for record in conn.records:
                self._event(record.event_log_entry)
            self.cursor = conn.cursor
            if not conn.has_more:
                return

    def _event(self, entry) -> None:
        ev = entry.dagster_event
        if ev is None:
            return
        s, step = self.summary, ev.step_key
        t = ev.event_type
        quiet = step is not None and _is_check_step(step)  # a check step says its result as a check line
        if t == DagsterEventType.STEP_START and quiet:
            s.steps[step] = "started"
        elif t == DagsterEventType.STEP_SUCCESS and quiet:
            s.steps[step] = "succeeded"
        elif t == DagsterEventType.STEP_START:
            s.steps[step] = "started"
            self.started[step] = entry.timestamp
            self.echo(f"  {_node(s.job, step):<44} started")
        elif t == DagsterEventType.STEP_SUCCESS:
            s.steps[step] = "succeeded"
            self.echo(f"  {_node(s.job, step):<44} succeeded  {_seconds(ev.event_specific_data.duration_ms)}")
        elif t == DagsterEventType.STEP_FAILURE:
            s.steps[step] = "failed"
            took = (entry.timestamp - self.started[step]) * 1000 if step in self.started else None
            err = ev.event_specific_data.error
            reason = (err.message.strip().splitlines() or [""])[0] if err is not None else ""
            self.echo(f"  {_node(s.job, step):<44} FAILED     {_seconds(took)}  {reason[:200]}")
        elif t == DagsterEventType.STEP_SKIPPED:
            s.steps[step] = "skipped"
            self.echo(f"  {_node(s.job, step):<44} skipped (upstream failed or nothing to do)")
        elif t == DagsterEventType.ASSET_MATERIALIZATION and s.run_dir is None:
            value = ev.event_specific_data.materialization.metadata.get("run_dir")
            if value is not None:
                s.run_dir = Path(str(value.value))
        elif t == DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED:
            s.checks_planned.add(ev.event_specific_data.asset_check_key.to_user_string())
        elif t == DagsterEventType.ASSET_CHECK_EVALUATION:
            data = ev.event_specific_data
            name = data.asset_check_key.to_user_string()
            s.checks_planned.add(name)
            (s.checks_passed if data.passed else s.checks_failed).add(name)
            what = "passed" if data.passed else f"FAILED ({data.severity.value.lower()})"
            self.echo(f"  {'check ' + _check_label(data.asset_check_key):<44} {what}")


def run_job(
    job: str,
    *,
    module: str = MODULE,
    log_dir: Path,
    instance: DagsterInstance,
    echo: Callable[[str], None] = print,
    extra_args: list[str] | None = None,
) -> JobSummary:
    """Run ``dagster job execute -m module -j job`` quietly; follow and summarize it."""
    log_dir.mkdir(parents=True, exist_ok=True)
    summary = JobSummary(job=job, log_file=log_dir / f"demo-{dagster_name(job)}.log")
    token = uuid.uuid4().hex
    cmd = [_dagster_exe(), "job", "execute", "-m", module, "-j", job, "--tags", f'{{"{TAG}": "{token}"}}']
    cmd += extra_args or []
    echo(f"== {job}   ({shlex.join(cmd[:7])}; full log: {summary.log_file})")
    follower = _Follower(instance, summary, echo)
    with open(summary.log_file, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        while True:
            done = proc.poll() is not None
            if summary.run_id is None:
                follower.find_run(token)
            follower.poll()
            if done:
                break
            time.sleep(0.5)
    summary.exit_code = proc.returncode
    if summary.run_id is not None:
        follower.find_run(token)  # the plan snapshot is complete once the run has ended
        follower.poll()
        run = instance.get_run_by_id(summary.run_id)
        summary.status = run.status.value if run is not None else "unknown"
    _write_report(summary, instance)
    _print_job(summary, echo)
    return summary


def _write_report(summary: JobSummary, instance: DagsterInstance) -> None:
    if summary.run_dir is None or not (summary.run_dir / REPORT_FILE).exists():
        return
    try:
        summary.report_html = write_html(RunReport.read(summary.run_dir), summary.run_dir / "report.html")
    except (OSError, ValueError) as exc:
        summary.report_html = None
        print(f"  warning: could not write report.html in {summary.run_dir} ({exc})")


def _tail(path: Path, lines: int = 15) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line[:300] for line in text[-lines:]]


def _print_job(s: JobSummary, echo: Callable[[str], None]) -> None:
    if s.run_id is None:
        echo(f"  {s.job}: dagster job execute exited with {s.exit_code} before starting a run; last lines of")
        echo(f"  {s.log_file}:")
        for line in _tail(s.log_file):
            echo(f"    {line}")
        return
    not_run = s.not_run
    parts = [f"{s.count('succeeded')} succeeded", f"{s.count('failed')} failed"]
    if not_run or s.count("skipped"):
        parts.append(f"{len(set(not_run) | {k for k, v in s.steps.items() if v == 'skipped'})} not run")
    checks = f"checks {len(s.checks_passed)} passed, {len(s.checks_failed)} failed"
    if s.checks_not_run:
        checks += f", {len(s.checks_not_run)} not run"
    verdict = "ok" if s.ok else f"FAILED (run {s.status}, exit {s.exit_code})"
    echo(f"  -> {verdict}: steps {', '.join(parts)}; {checks}; run {s.run_id}")


def print_summary(summaries: list[JobSummary], home: Path, echo: Callable[[str], None] = print) -> None:
    steps = sum(len(s.planned_steps) or len(s.steps) for s in summaries)
    passed = sum(len(s.checks_passed) for s in summaries)
    failed = sum(len(s.checks_failed) for s in summaries)
    not_run = sum(len(s.checks_not_run) for s in summaries)
    ok = sum(1 for s in summaries if s.ok)
    echo("")
    echo(
        f"Summary: {ok}/{len(summaries)} pipelines succeeded, {steps} steps, "
        f"checks {passed} passed, {failed} failed" + (f", {not_run} not run" if not_run else "")
    )
    for s in summaries:
        mark = "ok    " if s.ok else "FAILED"
        echo(f"  {mark} {s.job:<24} report: {s.report_html or '(none written)'}")
    echo("")
    echo("Where to look next:")
    for s in summaries:
        if s.report_html is not None:
            echo(f"  open {s.report_html}")
    echo(f"  full logs: {summaries[0].log_file.parent if summaries else home / 'logs'}/")
    project = os.environ.get(PROJECT_ENV)  # the UI must load the project this run used
    env = [f"DAGSTER_HOME={shlex.quote(str(home))}"] + (
        [f"{PROJECT_ENV}={shlex.quote(project)}"] if project else []
    )
    echo(f"  the Dagster UI (or `.venv/bin/dagster dev -m {MODULE}` with the same variables):")
    echo("    " + " \\\n    ".join([*env, ".venv/bin/script-testing ui"]))


def _default_jobs() -> list[str]:
    return [dagster_name(name) for name in open_project().config.pipelines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m script_testing.orchestration.console",
        description="Run Dagster jobs with `dagster job execute`, quietly: step lines and a summary.",
    )
    parser.add_argument("jobs", nargs="*", help="job names (default: every pipeline of the project)")
    parser.add_argument("-m", "--module", default=MODULE, help="the Dagster definitions module")
    parser.add_argument("--log-dir", help="where the full logs go (default: $DAGSTER_HOME/logs)")
    args = parser.parse_args(argv)
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        print(
            "DAGSTER_HOME is not set: set it to the Dagster home the UI reads "
            "(e.g. export DAGSTER_HOME=$PWD/.dagster_home) and run again",
            file=sys.stderr,
        )
        return 2
    home_dir = Path(home).resolve()
    log_dir = Path(args.log_dir).resolve() if args.log_dir else home_dir / "logs"
    jobs = args.jobs or _default_jobs()
    summaries = []
    with DagsterInstance.get() as instance:
        for job in jobs:
            summaries.append(run_job(job, module=args.module, log_dir=log_dir, instance=instance))
    print_summary(summaries, home_dir)
    return 0 if summaries and all(s.ok for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
