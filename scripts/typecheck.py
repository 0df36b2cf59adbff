"""Run mypy and compare its errors with the committed baseline, mypy-baseline.txt.

The baseline holds one line per known error, without line numbers so that edits elsewhere in a file
do not disturb it: ``path: message  [code]`` (a line repeats when the same error occurs several times).
The check fails on any error that is not in the baseline and says when fixed errors let the baseline
shrink; ``--update`` rewrites it. Configuration (files, plugins, ...) is [tool.mypy] in pyproject.toml.

    python scripts/typecheck.py [--update] [--strict] [--baseline PATH] [-- MYPY_ARGS...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = ROOT / "mypy-baseline.txt"
HEADER = (
    "# mypy errors accepted for now (scripts/typecheck.sh); this list should only shrink.\n"
    "# Regenerate with: ./scripts/typecheck.sh --update\n"
)
# path:line[:column]: error: message  [code]
ERROR_RE = re.compile(
    r"^(?P<path>[^:\n]+?):(?P<line>\d+)(?::\d+)?: error: (?P<msg>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)
LINE_REF_RE = re.compile(r"\bline \d+\b")
MAX_SHOWN = 60


def normalise(path: str, msg: str, code: str | None) -> str:
    """The baseline key of an error: file, message (line references masked) and code, no line number."""
    path = path.replace("\\", "/").removeprefix("./")
    msg = LINE_REF_RE.sub("line N", msg)
    return f"{path}: {msg}  [{code or 'misc'}]"


def run_mypy(extra: list[str]) -> tuple[Counter[str], dict[str, list[str]], int, str]:
    cmd = [sys.executable, "-m", "mypy", "--no-pretty", "--no-error-summary", "--no-color-output", *extra]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    out = proc.stdout + proc.stderr
    errors: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for line in out.splitlines():
        m = ERROR_RE.match(line)
        if m:
            key = normalise(m["path"], m["msg"], m["code"])
            errors[key] += 1
            where.setdefault(key, []).append(line)
    return errors, where, proc.returncode, out


def read_baseline(path: Path) -> Counter[str]:
    return Counter(
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )


def write_baseline(path: Path, errors: Counter[str]) -> None:
    lines = sorted(errors.elements())
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")


def show(title: str, lines: list[str]) -> None:
    print(title)
    for line in lines[:MAX_SHOWN]:
        print(f"  {line}")
    if len(lines) > MAX_SHOWN:
        print(f"  ... and {len(lines) - MAX_SHOWN} more")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--update", action="store_true", help="rewrite the baseline with the current errors")
    ap.add_argument("--strict", action="store_true", help="also fail when the baseline can shrink")
    ap.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE, help="default: mypy-baseline.txt")
    ap.add_argument("mypy_args", nargs="*", help="extra mypy arguments (after --)")
    args = ap.parse_args(argv)

    errors, where, rc, out = run_mypy(args.mypy_args)
    if rc not in (0, 1) or (rc == 1 and not errors):
        # mypy crashed or stopped before type checking (bad config, syntax it cannot parse, ...)
        print(out.rstrip())
        print(f"typecheck: mypy exited {rc} without a list of errors")
        return 2

    old = read_baseline(args.baseline) if args.baseline.exists() else None
    if args.update:
        write_baseline(args.baseline, errors)
        grown = sorted((errors - old).elements()) if old is not None else []
        if grown:
            show(f"typecheck: the baseline GREW by {len(grown)} (prefer fixing these):", grown)
        gone = len(list((old - errors).elements())) if old is not None else 0
        print(f"typecheck: wrote {args.baseline.name}: {sum(errors.values())} errors ({gone} removed)")
        return 0

    if old is None:
        print(f"typecheck: {args.baseline.name} is missing ({sum(errors.values())} mypy errors now);")
        print("           create it with: ./scripts/typecheck.sh --update")
        return 1

    new = errors - old
    fixed = old - errors
    status = 0
    if new:
        lines = [loc for key in sorted(new) for loc in where[key][-new[key] :]]
        show(f"typecheck: {sum(new.values())} new mypy error(s), not in {args.baseline.name}:", lines)
        status = 1
    if fixed:
        show(
            f"typecheck: {sum(fixed.values())} baseline error(s) no longer occur: shrink the baseline with "
            "./scripts/typecheck.sh --update",
            sorted(fixed.elements()),
        )
        if args.strict:
            status = 1
    if not new:
        print(f"typecheck: OK, no new mypy errors ({sum(errors.values())} known in {args.baseline.name})")
    return status


if __name__ == "__main__":
    sys.exit(main())
