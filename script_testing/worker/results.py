"""Turn what the zygote reports about one child into a :class:`ScriptResult`.

Every failure gets one sentence first: what happened, where, what to do; details follow on
later lines of ``error`` (a traceback, or a stderr tail when there is no traceback).
"""

from __future__ import annotations

import os
import signal as signal_module
from pathlib import Path
from typing import Any

from .discovery import discover_imports
from .models import (
    DEFAULT_MAX_OUTPUT_FILES,
    DEFAULT_MAX_OUTPUT_MB,
    OutputInventory,
    ScriptJob,
    ScriptResult,
    clip,
)
from .redaction import Redactor

STDERR_TAIL_LINES = 40
STDERR_TAIL_BYTES = 4096
INVENTORY_SAMPLE = 20
DETAIL_TAIL_LINES = 20
ERROR_LIMIT = 30000


def build_result(
    job: ScriptJob,
    response: dict[str, Any],
    redactor: Redactor | None = None,
    skipped_preimports: dict[str, str] | None = None,
) -> ScriptResult:
    """The result for ``job`` from the zygote's response line (see :mod:`.zygote`).

    ``redactor`` masks the tool's secrets in every text of the result; ``skipped_preimports``
    (module -> why the worker left it out) lets a hang or crash name the module behind it.
    """
    result = _build(job, response, skipped_preimports or {})
    return redact_result(result, redactor)


def redact_result(result: ScriptResult, redactor: Redactor | None) -> ScriptResult:
    """Mask secret values in the texts of ``result`` (in place) and cap the error's size."""
    if redactor:
        for name in ("error", "exception_message", "traceback", "stderr_tail", "return_value"):
            setattr(result, name, redactor.redact(getattr(result, name)))
        result.causes = redactor.redact_any(result.causes)
    result.error = clip(result.error, ERROR_LIMIT)
    return result


def _build(job: ScriptJob, response: dict[str, Any], skipped: dict[str, str]) -> ScriptResult:
    if "worker_error" in response:
        return worker_error_result(job, response["worker_error"])
    child = response.get("child") or {}
    result = _base_result(job, float(response.get("duration_s") or 0.0))
    result.peak_memory_mb = _peak_mb(child.get("peak_memory_kb") or response.get("maxrss_kb"))
    result.signal = response.get("signal")
    node, script = job.node, Path(job.script_path).name

    if response.get("stopped"):
        result.status, result.kind = "failed", "stopped"
        result.error = f"{node}: stopped by the runner before it finished; its result is not used."
    elif response.get("timed_out"):
        result.status, result.kind = "failed", "timeout"
        result.error = _with_stderr(
            f"{node}: timed out after {job.timeout_s:g} s; the whole process tree was killed. "
            "Raise timeout_s if the script needs longer." + _skipped_hint(job, skipped),
            result,
        )
    elif child:
        _apply_child_outcome(result, child, job)
    elif result.signal is not None:
        result.status, result.kind = "failed", "signal"
        result.error = _with_stderr(
            _signal_sentence(node, result.signal, job) + _skipped_hint(job, skipped), result
        )
    elif response.get("exit_code") == 0 and response.get("reported_then_died"):
        result.status, result.kind, result.exit_code = "failed", "exit", 0
        result.error = _with_stderr(
            f"{node}: the process running {script} exited without a valid report from the "
            "runner (something other than the runner wrote to its result channel), so the run "
            "is not trusted",
            result,
        )
    else:
        # No outcome from the child: main() never returned normally, whatever the exit code.
        result.status, result.kind = "failed", "exit"
        result.exit_code = response.get("exit_code")
        result.error = _with_stderr(
            f"{node}: the process running {script} exited with code {result.exit_code} before "
            "main() returned (os._exit, or a crash in native code), so the script did not "
            "complete." + _skipped_hint(job, skipped),
            result,
        )
    pointer_due = result.kind not in ("bad_signature", "worker_error", "stopped")  # main() ran, or tried to
    if (
        result.status == "failed"
        and result.error
        and pointer_due
        and "see stderr.log: " not in result.headline
    ):
        head, sep, rest = result.error.partition("\n")  # every failure names its log file by path
        result.error = f"{head.rstrip('.')}; see stderr.log: {job.stderr_path}{sep}{rest}"
    if result.passed:
        _check_output_caps(result, job)
    return result


def _skipped_hint(job: ScriptJob, skipped: dict[str, str]) -> str:
    """Name a module the worker refused to preimport if this script imports it."""
    if not skipped:
        return ""
    try:
        imports = discover_imports([job.script_path])
    except Exception:
        return ""
    hits = [
        name
        for name in skipped
        if any(i == name or i.startswith(name + ".") or name.startswith(i + ".") for i in imports)
    ]
    return "".join(
        f" The script imports {name}, which the warm worker left out because "
        f"{skipped[name]}; fix or avoid that import."
        for name in hits
    )


def _check_output_caps(result: ScriptResult, job: ScriptJob) -> None:
    max_mb = DEFAULT_MAX_OUTPUT_MB if job.max_output_mb is None else job.max_output_mb
    max_files = DEFAULT_MAX_OUTPUT_FILES if job.max_output_files is None else job.max_output_files
    files = sum(inv.files for inv in result.outputs.values())
    size_mb = sum(inv.bytes for inv in result.outputs.values()) / (1024 * 1024)
    problem = None
    if max_files and files > max_files:
        problem = f"wrote more than {max_files} files to its outputs (max_output_files)"
    elif max_mb and size_mb > max_mb:
        problem = f"wrote {size_mb:,.0f} MB to its outputs, more than max_output_mb={max_mb:g}"
    if problem:
        result.status, result.kind = "failed", "output_limit"
        result.error = (
            f"{job.node}: the script {problem}; shrink what it writes, or raise "
            "the limit for this node (0 = no limit)."
        )


def worker_error_result(job: ScriptJob, message: str) -> ScriptResult:
    """A failure of our worker, not of the script; ``message`` says what happened."""
    result = _base_result(job, 0.0)
    result.status, result.kind = "failed", "worker_error"
    result.error = f"{job.node}: {message}"
    return result


# --------------------------------------------------------------------------- outcomes


def _apply_child_outcome(result: ScriptResult, child: dict[str, Any], job: ScriptJob) -> None:
    outcome = child.get("outcome")
    result.exception_type = child.get("exception_type")
    result.exception_message = child.get("exception_message")
    result.traceback = child.get("traceback")
    result.location = child.get("location")
    result.exit_code = child.get("exit_code")
    result.return_value = child.get("return_value")
    result.causes = list(child.get("causes") or [])
    result.accessed = dict(child.get("accessed") or {})
    result.assigned = dict(child.get("assigned") or {})
    result.readonly = child.get("readonly")
    result.main_s = child.get("main_s")
    if outcome == "passed":
        result.status, result.kind, result.error = "passed", None, None
        return

    result.status = "failed"
    result.kind = (
        outcome
        if outcome in ("exception", "exit", "import_error", "memory", "bad_signature")
        else "worker_error"
    )
    node, where = job.node, _where(result.location)
    what = _short(f"{result.exception_type}: {result.exception_message}")
    if outcome == "exception":
        sentence = (
            f"{node}: main() raised {what}{where}{_then(result.causes)}; see stderr.log: {job.stderr_path}"
        )
    elif outcome == "exit":
        sentence = f"{node}: the script called sys.exit({child.get('exit_repr')}){where}."
    elif outcome == "import_error":
        if result.exception_type == "SystemExit":
            sentence = (
                f"{node}: the script called sys.exit({child.get('exit_repr')}) while "
                f"being imported{where}; main() never ran."
            )
        else:
            sentence = (
                f"{node}: importing {Path(job.script_path).name} failed with {what}"
                f"{where}{_then(result.causes)}. Fix the import (is a package missing, or a preload file "
                f"broken?); see stderr.log: {job.stderr_path}"
            )
    elif outcome == "memory":
        limit = job.effective_memory_limit_mb
        sentence = (
            f"{node}: the script ran out of memory (MemoryError){where}"
            + (f" with memory_limit_mb={limit}" if limit else "")
            + ". Raise memory_limit_mb (0 = no limit) or shrink the data."
        )
    elif outcome == "bad_signature":
        sentence = f"{node}: {child.get('detail')}."
    else:
        sentence = f"{node}: the worker wrote an unreadable outcome ({outcome!r})."
    if result.traceback and outcome in ("exception", "import_error", "memory"):
        result.error = sentence + "\n" + result.traceback.rstrip()
    else:
        result.error = _with_stderr(sentence, result)


def _then(causes: list[dict[str, Any]]) -> str:
    """ ", which then caused X: msg (file:line)" for each exception after the root cause."""
    parts = [
        f"{c.get('type')}: {_short(str(c.get('message') or ''), 150)}{_where(c.get('location'))}"
        for c in causes[1:]
    ]
    return ("; that then caused " + ", then ".join(parts)) if parts else ""


def _signal_sentence(node: str, signum: int, job: ScriptJob) -> str:
    name = _signal_name(signum)
    if signum == signal_module.SIGKILL:
        hint = (
            "if memory was high this is likely the out-of-memory killer, set memory_limit_mb."
            if not job.effective_memory_limit_mb
            else "something outside the script killed it (the out-of-memory killer?)."
        )
        return f"{node}: killed by signal {signum} ({name}); {hint}"
    return f"{node}: killed by signal {signum} ({name}), often a crash in native code."


def _signal_name(signum: int) -> str:
    try:
        return signal_module.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _where(location: str | None) -> str:
    return f" ({location})" if location else ""


def _short(text: str, limit: int = 300) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first if len(first) <= limit else first[: limit - 3] + "..."


def _with_stderr(sentence: str, result: ScriptResult) -> str:
    lines = result.stderr_tail.rstrip().splitlines()[-DETAIL_TAIL_LINES:]
    if not lines:
        return sentence
    return sentence + "\nLast lines of stderr.log:\n" + "\n".join(lines)


# --------------------------------------------------------------------------- files


def _base_result(job: ScriptJob, duration_s: float) -> ScriptResult:
    stdout_path, stderr_path = job.stdout_path, job.stderr_path
    return ScriptResult(
        node=job.node,
        status="failed",
        kind=None,
        error=None,
        stdout_path=stdout_path,
        stderr_path=stderr_path,
        duration_s=duration_s,
        stdout_bytes=_size(stdout_path),
        stderr_bytes=_size(stderr_path),
        stderr_tail=tail(stderr_path),
        outputs={name: inventory(path) for name, path in job.output_paths.items()},
    )


def _peak_mb(kb: Any) -> float | None:
    return round(kb / 1024, 1) if isinstance(kb, (int, float)) and kb > 0 else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def tail(path: Path, max_lines: int = STDERR_TAIL_LINES, max_bytes: int = STDERR_TAIL_BYTES) -> str:
    """The last ``max_lines`` lines of a text file, at most ``max_bytes`` of them."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            data = handle.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if len(data) == max_bytes and size > max_bytes and "\n" in text:
        text = text.split("\n", 1)[1]  # drop the partial first line
    return "\n".join(text.splitlines()[-max_lines:])


def inventory(path: str) -> OutputInventory:
    """Count the files and bytes at ``path`` (a directory or a file)."""
    root = Path(path)
    if root.is_file():
        return OutputInventory(path=str(path), exists=True, files=1, bytes=_size(root), sample=[root.name])
    if not root.is_dir():
        return OutputInventory(path=str(path), exists=False)
    files = total = 0
    sample: list[str] = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(folder, name)
            files += 1
            total += _size(full)
            if len(sample) < INVENTORY_SAMPLE:
                sample.append(full.relative_to(root).as_posix())
    return OutputInventory(path=str(path), exists=True, files=files, bytes=total, sample=sample)
