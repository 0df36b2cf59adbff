"""Detection benchmark: how many realistic seeded bugs does script-testing catch, where, and how well?

The corpus lives in ``benchmarks/detection/mutations/<kind>/<id>.yaml``: each file is ONE small change to
ONE file of a fresh copy of the bundled example project (an exact ``old`` -> ``new`` replacement that
must match exactly once), plus what a good tool should say about it (see ``benchmarks/detection/README.md``).

For every mutation the harness does what a user would do, through the CLI only (no imports from
``script_testing``, so module moves do not break it):

1. copy the bundled project to a temp folder, with the drift baselines recorded by an unmutated first
   run (the control run below), apply the mutation (and its optional harness ``setup`` edits);
2. ``script-testing validate DIR`` (``--output-format json`` when the CLI has it, else exit code + text);
3. unless validate already blocked: ``script-testing run DIR -p PIPELINE --rows N --json ...``;
4. classify: caught (a blocking signal), the stage that caught it first (``validate``, ``edge_check``,
   ``drift``, ``script_run``), the first line of its message, and whether the message names the
   expected node and key.

Controls: the unmutated project is run once with the profile's own seed (this run records the drift
baselines) and again with ``--seed`` overrides against those baselines; any signal there is a false alarm.

Usage::

    .venv/bin/python benchmarks/detection.py                    # full corpus, 2 workers
    .venv/bin/python benchmarks/detection.py --only contracts   # one kind (or a category, or ids a,b,c)
    .venv/bin/python benchmarks/detection.py --json /tmp/detection.json --jobs 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(__file__).resolve().parent / "detection" / "mutations"
DEFAULT_PROJECT = REPO / "script_testing" / "examples"

KINDS = ("data_shape", "contracts", "wiring", "behaviour")
STAGES = ("validate", "edge_check", "drift", "script_run")
REQUIRED_FIELDS = ("id", "kind", "category", "file", "old", "new", "expect", "why")
DRIFT_EXPECTATIONS = {
    "expect_schema_no_removed_columns",
    "expect_schema_no_added_columns",
    "expect_schema_column_kinds_unchanged",
    "expect_row_count_within_baseline",
    "expect_schema_column_order_unchanged",
    "expect_schema_no_removed_files",
}
MAX_JOBS = 2
# Environment variables that would send a run's state outside the temp copy.
_SCRUB_ENV = ("SCRIPT_TESTING_RUNS", "SCRIPT_TESTING_PROJECT")


# ---------------------------------------------------------------------------------------------
# corpus
# ---------------------------------------------------------------------------------------------


@dataclass
class Edit:
    file: str
    old: str
    new: str


@dataclass
class Mutation:
    id: str
    kind: str
    category: str
    title: str
    file: str
    old: str
    new: str
    expect: dict[str, Any]
    why: str
    pipeline: str = "tabular_calibrated"
    setup: list[Edit] = field(default_factory=list)
    smoke: bool = False
    path: str = ""

    @property
    def benign(self) -> bool:
        """A change production tolerates (it wires, loads and runs the same): no tool may alarm on it.
        Run like a mutation, counted with the controls (an alarm on it is a false alarm)."""
        return bool(self.expect.get("benign"))

    @property
    def expected_stages(self) -> list[str]:
        stages = self.expect.get("stages") or self.expect.get("stage") or []
        return [stages] if isinstance(stages, str) else list(stages)

    @property
    def expected_node(self) -> list[str]:
        return _as_list(self.expect.get("node"))

    @property
    def expected_key(self) -> list[str]:
        return _as_list(self.expect.get("key"))


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]


def corpus_problems(doc: dict[str, Any]) -> list[str]:
    """What is wrong with one mutation document (missing fields, unknown kind or stage)."""
    # 'new' may be empty (a deletion) but must be present
    problems = [
        f"missing field '{f}'"
        for f in REQUIRED_FIELDS
        if doc.get(f) is None or (f != "new" and not doc.get(f))
    ]
    problems += [
        f"field '{f}' must be a string"
        for f in ("file", "old", "new")
        if f in doc and not isinstance(doc[f], str)
    ]
    if doc.get("kind") and doc["kind"] not in KINDS:
        problems.append(f"kind '{doc['kind']}' not in {KINDS}")
    expect = doc.get("expect") or {}
    stages = expect.get("stages") or []
    stages = [stages] if isinstance(stages, str) else stages
    if expect.get("benign"):  # a tolerated change: nothing to catch, so no stage, node or key
        if stages:
            problems.append("a benign change expects no stage")
    else:
        if not stages:
            problems.append("expect.stages is empty")
        if not expect.get("node"):
            problems.append("expect.node is empty")
        if "key" not in expect:
            problems.append("expect.key missing (null when no key applies)")
    problems += [f"unknown stage '{s}'" for s in stages if s not in STAGES]
    if doc.get("old") == doc.get("new"):
        problems.append("old == new")
    return problems


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> list[Mutation]:
    out = []
    for path in sorted(corpus_dir.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        problems = corpus_problems(doc)
        if problems:
            raise ValueError(f"{path}: {'; '.join(problems)}")
        setup = [Edit(**e) for e in doc.get("setup") or []]
        out.append(
            Mutation(
                id=doc["id"],
                kind=doc["kind"],
                category=doc["category"],
                title=doc.get("title", doc["id"]),
                file=doc["file"],
                old=doc["old"],
                new=doc["new"],
                expect=doc["expect"],
                why=doc["why"],
                pipeline=doc.get("pipeline", "tabular_calibrated"),
                setup=setup,
                smoke=bool(doc.get("smoke")),
                path=str(path.relative_to(REPO)),
            )
        )
    ids = [m.id for m in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate mutation ids: {dupes}")
    return out


def apply_edit(project: Path, edit: Edit) -> None:
    """Replace ``old`` by ``new`` in one file; the old text must occur exactly once."""
    target = project / edit.file
    if not target.is_file():
        raise FileNotFoundError(f"{edit.file}: no such file in the project copy")
    text = target.read_text(encoding="utf-8")
    n = text.count(edit.old)
    if n != 1:
        raise ValueError(f"{edit.file}: the 'old' text occurs {n} times (must be exactly once)")
    target.write_text(text.replace(edit.old, edit.new, 1), encoding="utf-8")
    after = target.read_text(encoding="utf-8")
    if after == text or (edit.new and edit.new not in after):
        raise ValueError(f"{edit.file}: replacement did not apply")


def apply_mutation(project: Path, m: Mutation) -> None:
    for e in m.setup:
        apply_edit(project, e)
    apply_edit(project, Edit(m.file, m.old, m.new))


def fresh_copy(src: Path, dest: Path, baselines: Path | None = None) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".script_testing", "baselines"))
    if baselines is not None and baselines.is_dir():
        shutil.copytree(baselines, dest / "baselines")
    return dest


# ---------------------------------------------------------------------------------------------
# running the CLI
# ---------------------------------------------------------------------------------------------


def default_cli() -> list[str]:
    venv = REPO / ".venv" / "bin" / "script-testing"
    if venv.exists():
        return [str(venv)]
    found = shutil.which("script-testing")
    return [found] if found else [sys.executable, "-m", "script_testing.cli"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def _sh(cmd: list[str], cwd: Path, timeout: float) -> tuple[int, str, str]:
    try:
        p = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return 124, out, f"harness timeout after {timeout:.0f}s"


@dataclass
class Signal:
    stage: str  # validate | edge_check | drift | script_run | validate_warn | edge_warn
    blocking: bool
    where: str  # node (or node.key) the tool attributes it to
    message: str
    order: tuple[int, int] = (0, 0)

    @property
    def first_line(self) -> str:
        return (self.message.strip().splitlines() or [""])[0]


def _problem_dict(p: Any, pipeline: str, severity: str) -> dict[str, str]:
    if isinstance(p, dict):
        return {
            "severity": str(p.get("severity") or severity),
            "where": str(p.get("where") or ""),
            "message": str(p.get("message") or p),
        }
    return {"severity": severity, "where": "", "message": str(p)}


def validate(cli: list[str], project: Path, timeout: float) -> tuple[list[Signal], dict[str, Any]]:
    """``validate --output-format json`` when supported, else exit code + text."""
    rc, out, err = _sh([*cli, "validate", str(project), "--output-format", "json"], project, timeout)
    raw: dict[str, Any] = {"rc": rc}
    signals: list[Signal] = []
    doc = None
    if "no such option" not in err.lower():
        try:
            doc = json.loads(out[out.index("{") :]) if "{" in out else None
        except ValueError:
            doc = None
    if isinstance(doc, dict) and "pipelines" in doc:
        raw["format"] = "json"
        for name, entry in (doc.get("pipelines") or {}).items():
            entry = entry or {}
            for p in entry.get("problems") or []:
                d = _problem_dict(p, name, "error")
                blocking = d["severity"].lower() not in ("warn", "warning", "info")
                signals.append(
                    Signal(
                        "validate" if blocking else "validate_warn",
                        blocking,
                        d["where"],
                        f"[{name}] {d['message']}",
                    )
                )
            for w in entry.get("warnings") or []:
                d = _problem_dict(w, name, "warning")
                signals.append(Signal("validate_warn", False, d["where"], f"[{name}] {d['message']}"))
        if rc != 0 and not any(s.blocking for s in signals):
            signals.append(Signal("validate", True, "", (err or out).strip()[-500:] or f"exit {rc}"))
        return signals, raw
    # text fallback
    rc, out, err = _sh([*cli, "validate", str(project)], project, timeout)
    raw.update(rc=rc, format="text")
    for line in out.splitlines():
        s = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
        if s.startswith("problem:"):
            signals.append(Signal("validate", True, "", s[len("problem:") :].strip()))
        elif s.startswith("warning:"):
            signals.append(Signal("validate_warn", False, "", s[len("warning:") :].strip()))
    if rc != 0 and not any(s.blocking for s in signals):
        signals.append(Signal("validate", True, "", (err or out).strip()[-500:] or f"exit {rc}"))
    return signals, raw


def run(
    cli: list[str],
    project: Path,
    pipeline: str,
    rows: int,
    seed: int | None,
    timeout: float,
    rebaseline: bool = False,
) -> tuple[list[Signal], dict[str, Any]]:
    result_path = project / "_detection_result.json"
    cmd = [
        *cli,
        "run",
        str(project),
        "-p",
        pipeline,
        "--rows",
        str(rows),
        "--json",
        str(result_path),
        "--no-html",
        "-q",
        "--parallelism",
        "1",
    ]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if rebaseline:
        cmd.append("--rebaseline")
    t0 = time.monotonic()
    rc, out, err = _sh(cmd, project, timeout)
    raw: dict[str, Any] = {"rc": rc, "duration_s": round(time.monotonic() - t0, 1)}
    doc = None
    try:
        doc = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    signals: list[Signal] = []
    runs = (doc or {}).get("runs") or []
    if not runs:
        # fall back to the newest report.json under the copy's run folder
        reports = sorted(
            project.glob(".script_testing/runs/*/*/report.json"), key=lambda p: p.stat().st_mtime
        )
        if reports:
            try:
                runs = [json.loads(reports[-1].read_text(encoding="utf-8"))]
            except ValueError:
                runs = []
    for r in runs:
        signals += classify_run(r)
        raw["status"] = r.get("status")
    if rc != 0 and not any(s.blocking for s in signals):
        tail = (err or out).strip().splitlines()
        signals.append(Signal("script_run", True, "", tail[-1] if tail else f"exit {rc}", (10**6, 0)))
    return signals, raw


def classify_run(r: dict[str, Any]) -> list[Signal]:
    nodes = list((r.get("nodes") or {}).keys())
    index = {n: i for i, n in enumerate(nodes)}
    signals: list[Signal] = []
    for e in r.get("edges") or []:
        status = e.get("status")
        if status not in ("failed", "warn", "error"):
            continue
        failed = e.get("failed_expectations") or []
        drift_only = bool(failed) and all(f.get("expectation") in DRIFT_EXPECTATIONS for f in failed)
        blocking = status in ("failed", "error")
        stage = (
            ("drift" if drift_only else "edge_check")
            if blocking
            else ("drift_warn" if drift_only else "edge_warn")
        )
        where = f"{e.get('from')}.{e.get('output')}->{e.get('to')}.{e.get('input')}"
        msg = e.get("summary") or "; ".join(f.get("message", "") for f in failed)
        signals.append(Signal(stage, blocking, where, msg, (index.get(e.get("to"), 10**5), 0)))
    for name, n in (r.get("nodes") or {}).items():
        status = n.get("status")
        if status in ("passed", "source", "skipped", None):
            continue
        parts = [n.get("error") or "", n.get("error_detail") or "", n.get("stderr_tail") or ""]
        msg = "\n".join(p for p in parts if p) or f"{name} {status}"
        if status == "warn":
            signals.append(Signal("script_warn", False, name, msg, (index.get(name, 10**5), 1)))
        else:
            signals.append(Signal("script_run", True, name, msg, (index.get(name, 10**5), 1)))
    if r.get("error") and not any(s.blocking for s in signals):
        signals.append(Signal("script_run", True, "", str(r["error"]), (10**5, 2)))
    return signals


# ---------------------------------------------------------------------------------------------
# one mutation / one control
# ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    id: str
    kind: str
    category: str
    expected_stages: list[str]
    caught: bool = False
    stage: str | None = None
    message: str = ""
    names_node: bool = False
    names_key: bool = False
    warned: list[str] = field(default_factory=list)
    all_stages: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    validate: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    full_message: str = ""

    @property
    def names_cause(self) -> bool:
        return self.caught and self.names_node and self.names_key

    @property
    def at_expected_stage(self) -> bool:
        return self.caught and self.stage in self.expected_stages

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(names_cause=self.names_cause, at_expected_stage=self.at_expected_stage)
        return d


def _names(text: str, where: str, wanted: list[str]) -> bool:
    if not wanted:
        return True
    hay = f"{where}\n{text}"
    return any(w in hay for w in wanted)


def evaluate(signals: list[Signal], out: Outcome, m: Mutation | None = None) -> Outcome:
    blocking = [s for s in signals if s.blocking]
    out.warned = sorted({f"{s.stage}: {s.first_line[:160]}" for s in signals if not s.blocking})
    out.all_stages = sorted({s.stage for s in blocking})
    if blocking:
        first = min(blocking, key=lambda s: (STAGES.index(s.stage) if s.stage == "validate" else 1, s.order))
        out.caught, out.stage = True, first.stage
        out.message, out.full_message = first.first_line[:300], first.message[:2000]
        if m is not None:
            out.names_node = _names(first.message, first.where, m.expected_node)
            # the key must be in the message text itself (a node attribution alone does not name it)
            out.names_key = _names(first.message, first.where if "." in first.where else "", m.expected_key)
    return out


def run_mutation(m: Mutation, args: argparse.Namespace, baselines: Path) -> Outcome:
    out = Outcome(m.id, "control" if m.benign else m.kind, m.category, m.expected_stages)
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=f"det_{m.id}_", dir=args.workdir))
    try:
        project = fresh_copy(args.project, tmp / "project", baselines)
        apply_mutation(project, m)
        signals, out.validate = validate(args.cli, project, args.timeout)
        if args.always_run or m.benign or not any(s.blocking for s in signals):
            run_signals, out.run = run(args.cli, project, m.pipeline, args.rows, None, args.timeout)
            signals += run_signals
        evaluate(signals, out, None if m.benign else m)
    except Exception as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    finally:
        out.seconds = round(time.monotonic() - t0, 1)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def run_control(
    args: argparse.Namespace,
    pipeline: str,
    seed: int | None,
    baselines: Path | None,
    record_into: Path | None = None,
) -> Outcome:
    cid = f"control:{pipeline}:seed={'profile' if seed is None else seed}"
    out = Outcome(cid, "control", "control", [])
    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="det_control_", dir=args.workdir))
    try:
        project = fresh_copy(args.project, tmp / "project", baselines)
        signals, out.validate = validate(args.cli, project, args.timeout)
        run_signals, out.run = run(args.cli, project, pipeline, args.rows, seed, args.timeout)
        signals += run_signals
        evaluate(signals, out)
        if record_into is not None and (project / "baselines").is_dir():
            record_into.mkdir(parents=True, exist_ok=True)
            for f in (project / "baselines").glob("*.json"):
                shutil.copy2(f, record_into / f.name)
    except Exception as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    finally:
        out.seconds = round(time.monotonic() - t0, 1)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f}%)" if b else "0/0"


def summarize(outcomes: list[Outcome], controls: list[Outcome], seconds: float) -> dict[str, Any]:
    caught = [o for o in outcomes if o.caught]
    per_kind = {}
    for k in sorted({o.kind for o in outcomes}, key=lambda k: KINDS.index(k) if k in KINDS else 99):
        ks = [o for o in outcomes if o.kind == k]
        per_kind[k] = {
            "total": len(ks),
            "caught": sum(o.caught for o in ks),
            "at_expected_stage": sum(o.at_expected_stage for o in ks),
            "names_cause": sum(o.names_cause for o in ks),
        }
    false_alarms = [c for c in controls if c.caught or c.error]
    return {
        "mutations": len(outcomes),
        "caught": len(caught),
        "detection_rate": round(len(caught) / len(outcomes), 3) if outcomes else None,
        "at_expected_stage": sum(o.at_expected_stage for o in outcomes),
        "names_cause": sum(o.names_cause for o in caught),
        "names_cause_share": round(sum(o.names_cause for o in caught) / len(caught), 3) if caught else None,
        "warned_only": sum(1 for o in outcomes if not o.caught and o.warned),
        "harness_errors": sum(1 for o in outcomes if o.error),
        "per_kind": per_kind,
        "stages": {s: sum(1 for o in caught if o.stage == s) for s in STAGES},
        "controls": len(controls),
        "false_alarms": len(false_alarms),
        "control_warnings": sum(len(c.warned) for c in controls),
        "seconds": round(seconds, 1),
    }


def print_report(outcomes: list[Outcome], controls: list[Outcome], summary: dict[str, Any]) -> None:
    head = f"{'mutation':<38} {'kind':<10} {'expected':<20} {'caught':<6} {'stage':<11} {'cause':<5} message"
    print(head)
    print("-" * len(head))
    for o in outcomes:
        msg = o.error or o.message or ("(warn) " + o.warned[0] if o.warned else "-")
        print(
            f"{o.id:<38} {o.kind:<10} {','.join(o.expected_stages):<20} {'yes' if o.caught else 'NO':<6} "
            f"{o.stage or '-':<11} {('yes' if o.names_cause else 'no') if o.caught else '-':<5} {msg[:110]}"
        )
    print()
    for c in controls:
        state = "FALSE ALARM" if (c.caught or c.error) else "clean"
        print(
            f"{c.id:<38} {state:<12} {c.error or c.message or ''}"
            + (f"  warnings: {len(c.warned)}" if c.warned else "")
        )
    s = summary
    print()
    print(
        f"detection rate: {_pct(s['caught'], s['mutations'])}; at the expected stage: "
        f"{_pct(s['at_expected_stage'], s['mutations'])}; warned only: {s['warned_only']}"
    )
    for k, v in s["per_kind"].items():
        print(
            f"  {k:<11} caught {_pct(v['caught'], v['total'])}, expected stage {v['at_expected_stage']}, "
            f"names cause {v['names_cause']}"
        )
    print("caught at: " + ", ".join(f"{k} {v}" for k, v in s["stages"].items()))
    print(f"caught messages naming node+key: {_pct(s['names_cause'], s['caught'])}")
    print(
        f"false alarms: {s['false_alarms']} of {s['controls']} control runs "
        f"(control warnings: {s['control_warnings']}); harness errors: {s['harness_errors']}"
    )
    print(f"wall time: {s['seconds']:.0f}s")


def select(corpus: list[Mutation], only: str | None) -> list[Mutation]:
    if not only:
        return corpus
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    picked = [
        m
        for m in corpus
        if m.id in wanted or m.kind in wanted or m.category in wanted or ("smoke" in wanted and m.smoke)
    ]
    if not picked:
        raise SystemExit(f"--only {only}: no mutation matches (ids, kinds {KINDS}, categories, 'smoke')")
    return picked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="kind, category, mutation id, or 'smoke' (comma-separated)")
    ap.add_argument("--jobs", type=int, default=2, help=f"parallel workers (capped at {MAX_JOBS})")
    ap.add_argument("--json", dest="json_path", type=Path, help="write the full results here")
    ap.add_argument("--rows", type=int, default=600, help="synthetic rows per profile (default 600)")
    ap.add_argument(
        "--control-seeds",
        default="101,202",
        help="extra seeds for unmutated control runs against the baseline ('' for none)",
    )
    ap.add_argument(
        "--project", type=Path, default=DEFAULT_PROJECT, help="project to mutate (bundled examples)"
    )
    ap.add_argument("--cli", help="script-testing executable (default: .venv/bin/script-testing)")
    ap.add_argument("--timeout", type=float, default=900, help="harness timeout per CLI call, seconds")
    ap.add_argument("--always-run", action="store_true", help="run even when validate already blocked")
    ap.add_argument("--keep", action="store_true", help="keep the temp project copies")
    ap.add_argument("--workdir", type=Path, default=None, help="where temp copies go")
    ap.add_argument("--list", action="store_true", help="list the corpus and exit")
    args = ap.parse_args(argv)
    args.cli = [args.cli] if args.cli else default_cli()
    args.project = args.project.resolve()
    jobs = max(1, min(args.jobs, MAX_JOBS))

    corpus = select(load_corpus(), args.only)
    if args.list:
        for m in corpus:
            print(f"{m.id:<38} {m.kind:<11} {m.category:<22} {','.join(m.expected_stages):<20} {m.title}")
        return 0
    seeds = [int(s) for s in args.control_seeds.split(",") if s.strip()]
    pipelines = sorted({m.pipeline for m in corpus})

    t0 = time.monotonic()
    base_root = Path(tempfile.mkdtemp(prefix="det_baselines_", dir=args.workdir))
    baselines = base_root / "baselines"
    controls: list[Outcome] = []
    try:
        # 1. unmutated first runs: control with the profile seed, recording the drift baselines
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            controls += list(
                pool.map(lambda p: run_control(args, p, None, None, record_into=baselines), pipelines)
            )
        print(
            f"[detection] baselines recorded ({', '.join(pipelines)}) in {time.monotonic() - t0:.0f}s",
            file=sys.stderr,
        )

        # 2. mutations and the other control seeds, side by side
        def task(item: Any) -> Outcome:
            if isinstance(item, Mutation):
                o = run_mutation(item, args, baselines)
                verdict = ("ALARM at " if item.benign else "caught at ") + str(o.stage)
                quiet = "silent (benign)" if item.benign else "NOT caught"
                print(
                    f"[detection] {o.id}: {verdict if o.caught else quiet} ({o.seconds:.0f}s)",
                    file=sys.stderr,
                )
                return o
            pipeline, seed = item
            return run_control(args, pipeline, seed, baselines)

        items: list[Any] = [(p, s) for p in pipelines for s in seeds] + list(corpus)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(task, items))
    finally:
        shutil.rmtree(base_root, ignore_errors=True)
    controls += [r for r in results if r.kind == "control"]
    outcomes = [r for r in results if r.kind != "control"]
    summary = summarize(outcomes, controls, time.monotonic() - t0)
    print_report(outcomes, controls, summary)
    if args.json_path:
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        by_id = {m.id: m for m in corpus}
        doc = {
            "summary": summary,
            "rows": args.rows,
            "control_seeds": seeds,
            "mutations": [
                {
                    **o.to_dict(),
                    "title": by_id[o.id].title,
                    "why": by_id[o.id].why,
                    "file": by_id[o.id].file,
                    "expected_node": by_id[o.id].expected_node,
                    "expected_key": by_id[o.id].expected_key,
                }
                for o in outcomes
            ],
            "controls": [
                {**c.to_dict(), **({"why": by_id[c.id].why} if c.id in by_id else {})} for c in controls
            ],
        }
        args.json_path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return 0 if summary["false_alarms"] == 0 and summary["harness_errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
