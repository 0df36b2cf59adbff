"""Ctrl-C and SIGTERM as an exception the run can finalise its record on.

While :func:`signals_as_interrupts` is active (in the main thread), SIGINT and SIGTERM raise
:class:`RunInterrupted` once; further signals during the clean-up are remembered, not raised, so the
record is always written. The command exits with ``128 + signal`` (130 for Ctrl-C, 143 for SIGTERM).

    with signals_as_interrupts():
        report = run_pipeline(plan, options)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator

HANDLED = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(KeyboardInterrupt):
    """A signal stopped the run: ``signum`` and the exit status it calls for (``128 + signum``)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def signal_name(exc: BaseException) -> str:
    signum = getattr(exc, "signum", signal.SIGINT)
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


def exit_code(exc: BaseException) -> int:
    return getattr(exc, "exit_code", 128 + signal.SIGINT)


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """SIGINT/SIGTERM raise :class:`RunInterrupted` (once) while the block runs; handlers restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def handler(signum: int, _frame) -> None:
        nonlocal raised
        if not raised:
            raised = True
            raise RunInterrupted(signum)

    previous = {s: signal.signal(s, handler) for s in HANDLED}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run_in_own_group(cmd: list[str], env: dict[str, str] | None = None, grace_s: float = 10.0) -> int:
    """Run ``cmd`` in its own process group and wait; on SIGINT/SIGTERM end the whole group
    (SIGTERM, then SIGKILL after ``grace_s``) and return ``128 + signal``. Else its exit status."""
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    try:
        with signals_as_interrupts():
            return proc.wait()
    except RunInterrupted as exc:
        end_group(proc, exc.signum, grace_s)
        return exc.exit_code


def end_group(proc: subprocess.Popen, signum: int, grace_s: float) -> None:
    """Send ``signum`` to ``proc``'s process group, then SIGKILL what is left after ``grace_s``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # the leader's children, even when the leader is gone
    proc.wait()
