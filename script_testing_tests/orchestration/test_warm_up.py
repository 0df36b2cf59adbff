"""The GX warm-up thread must not half-import what the main thread uses meanwhile (sqlalchemy.orm)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.timeout(400)

# While GX imports in the background, the main thread does what Dagster's storage does: build and
# compile SQL, and inspect objects (sqlalchemy.orm registers an inspector for every object while its
# exc module is half-imported: before the fix, 82-88 of ~28,000 such calls failed in each run).
HAMMER = textwrap.dedent("""
    import sqlalchemy as sa
    from script_testing.execution.edges import _WARM_UP
    from script_testing.orchestration import runs

    runs.start_checks_warm_up()
    thread = _WARM_UP[0]
    table = sa.table("t", sa.column("a"), sa.column("b"))
    calls, errors = 0, []
    while thread.is_alive():
        calls += 1
        try:
            str(sa.select(table.c.a).where(table.c.b == "x").compile())
            sa.inspect(object(), raiseerr=False)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    import great_expectations        # the warm-up itself worked
    print("CALLS", calls)
    print("ERRORS", len(errors), sorted(set(errors))[:3])
""")


def test_checks_warm_up_does_not_race_the_main_thread() -> None:
    out = subprocess.run([sys.executable, "-c", HAMMER], capture_output=True, text=True, timeout=360)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(
        line.split(" ", 1) for line in out.stdout.splitlines() if line.startswith(("CALLS", "ERRORS"))
    )
    assert int(lines["CALLS"]) > 0
    assert lines["ERRORS"] == "0 []", lines["ERRORS"]
