"""Headless Chromium for the UI tests (plain functions, like ``helpers``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium is not installed (apt-get install chromium): nothing to render with")


def browse(url: str, profile: Path, *extra: str, offline: bool = False) -> subprocess.CompletedProcess:
    """Run headless Chromium on ``url``; ``offline`` sends every non-loopback request to a dead proxy."""
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--window-size=1600,1000",
        "--virtual-time-budget=15000",
        *(["--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"] if offline else []),
        *extra,
        url,
    ]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish in 300 s: {' '.join(cmd)}")


def screenshot(url: str, png: Path, profile: Path, **kw) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    done = browse(url, profile, f"--screenshot={png}", **kw)
    assert done.returncode == 0 and png.exists(), done.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    return png
