"""Static facts about scripts: what they import, and how to import them.

Nothing here runs user code: imports are read with :mod:`ast`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

#: Never preimported: the standard library is cheap to import, and a few modules of it have
#: side effects at import time (``this``, ``antigravity``).
_SKIP = set(sys.stdlib_module_names) | {"__future__", "__main__"}


def discover_imports(script_paths: Iterable[Path | str]) -> list[str]:
    """Third-party modules the scripts import (dotted, e.g. ``sklearn.ensemble``), sorted.

    Reads absolute ``import x`` / ``from x import y`` anywhere in each file (module level,
    functions, ``try`` blocks). Relative imports, the standard library, and modules that sit
    next to a script (its own helpers) are left out. Unreadable or unparsable files are skipped:
    running them will report the problem properly.
    """
    names: set[str] = set()
    for script in script_paths:
        path = Path(script)
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            continue
        local = _local_module_names(path.parent)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found = [node.module]
            else:
                continue
            names.update(n for n in found if n.split(".")[0] not in _SKIP and n.split(".")[0] not in local)
    return sorted(names)


def _local_module_names(folder: Path) -> set[str]:
    try:
        return {
            p.stem if p.suffix == ".py" else p.name
            for p in folder.iterdir()
            if p.suffix == ".py" or (p / "__init__.py").is_file()
        }
    except OSError:
        return set()


def resolve_module(
    script_path: Path | str, python_path: Iterable[Path | str] = ()
) -> tuple[Path, str | None]:
    """How to import a script: ``(root to put on sys.path, dotted module name or None)``.

    A script whose folder is a package (has ``__init__.py``) must be imported by its dotted
    name so its relative imports work. The root is the first ``python_path`` entry that contains
    the script, else the first folder above the script that is not a package. A lone script
    gives ``(its folder, None)``: load it by path.
    """
    script = Path(script_path).resolve()
    folder = script.parent
    if not (folder / "__init__.py").is_file():
        return folder, None

    root = None
    for entry in python_path:
        candidate = Path(entry).resolve()
        if candidate != folder and folder.is_relative_to(candidate):
            root = candidate
            break
    if root is None:
        root = folder
        while (root / "__init__.py").is_file() and root.parent != root:
            root = root.parent
    parts = script.relative_to(root).with_suffix("").parts
    return root, ".".join(parts)
