"""The package's import graph: every module imports on its own, and no module cycle exists (counting
function-local imports, which would otherwise hide one)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import script_testing

PACKAGE = Path(script_testing.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "examples" in rel.parts or rel.name == "__main__":
            continue  # user-style example scripts, and entry points that run on import
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported script_testing module, line, inside a function) for every import of ``path``,
    leaving out ``if TYPE_CHECKING:`` blocks (type checkers only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for n in ast.walk(block)
    }
    local = {
        id(n)
        for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        for n in ast.walk(fn)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                parts = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            targets = subs + ([base] if len(subs) < len(node.names) else [])
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append((target, node.lineno, id(node) in local))
    return found


def test_no_import_cycle_among_package_modules():
    graph = {name: {t for t, _, _ in _imports(name, path)} for name, path in MODULES.items()}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_function_local_imports_of_the_package_say_why():
    unexplained = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for target, line, local in _imports(name, path):
            if local and "#" not in lines[line - 1]:
                unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not unexplained, "import at the top, or comment why it must be lazy:\n" + "\n".join(unexplained)


def test_the_cycle_check_can_fail(tmp_path):
    graph = {"a": {"b"}, "b": {"a"}}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError:
        return
    raise AssertionError("graphlib did not report a two-module cycle")


def test_every_module_imports_on_its_own():
    """Each module imported with no other package module loaded before it (one fresh interpreter,
    the package purged from ``sys.modules`` between modules)."""
    code = f"""
import importlib, json, sys, traceback
failed = {{}}
for name in {sorted(MODULES)!r}:
    for loaded in [m for m in sys.modules if m == "script_testing" or m.startswith("script_testing.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failed[name] = traceback.format_exc(limit=3)
print(json.dumps(failed))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=PACKAGE.parent
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    failed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not failed, "\n\n".join(f"{k}:\n{v}" for k, v in failed.items())
