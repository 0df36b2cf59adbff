"""What a script's code uses of ``main``'s four arguments, read statically (the input of :mod:`.contracts`).

``analyze_script`` reads a script with ``ast`` (nothing is imported or run) and follows, across the
modules of its own package, the functions ``main`` calls, collecting every key used of ``main``'s four
dicts (by parameter position, whatever they are named): ``input_paths``, ``output_paths``,
``environ_vars`` (plus ``os.environ`` / ``os.getenv``) and ``job_args``. ``check_alignment`` compares that
with the step interface and the node's settings; ``compare_runtime`` compares a run-time record of the
keys a script accessed with the interface and with the static analysis.

Classification: a key is *required* when a missing key raises (``d["k"]``, ``d.pop("k")``,
``job_args.x``, ``getattr(job_args, "x")``) and no ``"k" in d`` / ``d.get("k")`` / ``hasattr`` guard or
``try: ... except KeyError`` surrounds it; *optional* otherwise (``.get``, defaults, ``in`` tests).
A required use under an ``if`` that is not its guard is *conditional* (it records the condition).
Keys that cannot be known statically (f-strings, loop variables, ``.items()``, a dict handed to code
that cannot be followed) are recorded as dynamic, not guessed.

Above ~400 lines: the package loader and the AST visitor share one walk's state and are read
together; the rules that judge the result are in :mod:`script_testing.pipeline.contracts`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INPUTS, OUTPUTS, ENV, JOB_ARGS = "input_paths", "output_paths", "environ_vars", "job_args"
ROLES = (INPUTS, OUTPUTS, ENV, JOB_ARGS)

#: Variables every host sets: reading them through ``os.environ`` is not a contract matter.
HOST_ENV_VARS = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "PWD",
        "TMPDIR",
        "TEMP",
        "TMP",
        "LANG",
        "SHELL",
        "HOSTNAME",
        "PYTHONPATH",
        "LOGNAME",
    }
)

# Calls that only format or log a whole dict: passing one of the dicts to them uses no key.
_HARMLESS_CALLS = frozenset(
    {
        "print",
        "len",
        "str",
        "repr",
        "isinstance",
        "bool",
        "type",
        "id",
        "sorted",
        "pprint",
        "dumps",
        "format",
        "hash",
    }
)
_HARMLESS_RECEIVERS = frozenset({"logger", "log", "logging", "LOGGER", "LOG", "_logger", "pprint", "json"})
_KEY_ERRORS = frozenset({"KeyError", "LookupError", "Exception", "BaseException"})
_ATTR_ERRORS = frozenset({"AttributeError", "Exception", "BaseException"})
_VERB = {
    INPUTS: "reads input",
    OUTPUTS: "writes output",
    ENV: "reads env var",
    JOB_ARGS: "reads job argument",
}


@dataclass(frozen=True)
class KeyUse:
    """One use of a key of one of ``main``'s dicts."""

    role: str  # input_paths | output_paths | environ_vars | job_args
    key: str
    required: bool
    file: Path
    line: int
    how: str  # subscript, get, in, pop, setdefault, attribute, getattr, hasattr, os.environ[...]...
    condition: str | None = None  # the enclosing condition of a required use, None when unconditional


@dataclass(frozen=True)
class DynamicUse:
    """A use whose key cannot be known statically: recorded, not checked."""

    role: str
    file: Path
    line: int
    what: str


@dataclass
class ScriptUsage:
    """Every key a script uses, found statically."""

    script_path: Path
    root: Path  # file names in messages are relative to this
    main_params: list[str] = field(default_factory=list)
    uses: list[KeyUse] = field(default_factory=list)
    dynamic: list[DynamicUse] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)  # "path:function" of every function analysed
    notes: list[str] = field(default_factory=list)  # e.g. no main(), syntax error

    def keys(self, role: str, required: bool | None = None) -> set[str]:
        return {u.key for u in self.uses if u.role == role and (required is None or u.required == required)}

    def uses_of(self, role: str, key: str) -> list[KeyUse]:
        return [u for u in self.uses if u.role == role and u.key == key]

    def is_dynamic(self, role: str) -> bool:
        return any(d.role == role for d in self.dynamic)

    def where(self, file: Path, line: int | None = None) -> str:
        try:
            name = str(Path(file).relative_to(self.root))
        except ValueError:
            name = Path(file).name
        return f"{name}:{line}" if line else name


# --------------------------------------------------------------------------------------------------
# Modules of the script's own package


def _package_parts(path: Path) -> tuple[Path, list[str]]:
    """(import root, dotted package parts) of a file: walks up while folders hold ``__init__.py``."""
    parts: list[str] = []
    d = path.parent
    while (d / "__init__.py").is_file():
        parts.insert(0, d.name)
        d = d.parent
    return d, parts


class _Module:
    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.tree = tree
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: set[str] = set()
        self.constants: dict[str, str] = {}
        self.imports: dict[str, tuple[str, Any, str | None]] = {}  # local -> (kind, target, attr)
        self.is_package = path.name == "__init__.py"
        for node in tree.body:
            self._top(node)

    def _top(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            self.classes.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for t in targets:
                    if isinstance(t, ast.Name):
                        self.constants[t.id] = value.value
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    self.imports[a.asname] = ("module", a.name, None)
                else:
                    top = a.name.split(".")[0]
                    self.imports[top] = ("module", top, None)
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                self.imports[a.asname or a.name] = ("from", (node.level, node.module), a.name)
        elif isinstance(node, (ast.If, ast.Try)):  # conditional imports / definitions
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self._top(child)
            for h in getattr(node, "handlers", []):
                for child in h.body:
                    self._top(child)


class _Loader:
    def __init__(self, roots: list[Path]) -> None:
        self.roots = [r.resolve() for r in roots]
        self._cache: dict[Path, _Module | None] = {}
        self.errors: list[str] = []

    def module(self, path: Path) -> _Module | None:
        path = path.resolve()
        if path not in self._cache:
            try:
                tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"), filename=str(path))
                self._cache[path] = _Module(path, tree)
            except SyntaxError as exc:
                self.errors.append(f"{path.name}:{exc.lineno}: syntax error: {exc.msg}")
                self._cache[path] = None
            except OSError:
                self._cache[path] = None
        return self._cache[path]

    @staticmethod
    def _file_in(base: Path, dotted: str) -> Path | None:
        p = base.joinpath(*dotted.split(".")) if dotted else base
        if p.with_suffix(".py").is_file() and dotted:
            return p.with_suffix(".py")
        if (p / "__init__.py").is_file():
            return p / "__init__.py"
        return None

    def absolute(self, dotted: str) -> Path | None:
        for root in self.roots:
            found = self._file_in(root, dotted)
            if found:
                return found
        return None

    def relative(self, mod: _Module, level: int, dotted: str | None) -> Path | None:
        base = mod.path.parent
        for _ in range(level - 1):
            base = base.parent
        return self._file_in(base, dotted or "")

    def resolve_from(self, mod: _Module, level: int, dotted: str | None, name: str) -> tuple[str, Any]:
        """``from <level><dotted> import name``: ("module", _Module) | ("attr", (_Module, name)) | ("none", None)."""
        pkg = self.relative(mod, level, dotted) if level else (self.absolute(dotted) if dotted else None)
        if pkg is None:
            return "none", None
        sub = self._file_in(pkg.parent, name) if pkg.name == "__init__.py" else None
        if sub is not None:
            m = self.module(sub)
            return ("module", m) if m else ("none", None)
        m = self.module(pkg)
        return ("attr", (m, name)) if m else ("none", None)

    def lookup(self, mod: _Module, name: str, depth: int = 0) -> tuple[str, Any]:
        """What ``name`` means in ``mod``: ("function", (mod, def)) | ("module", mod) | ("class", name)
        | ("constant", str) | ("none", None). Follows re-exports."""
        if depth > 8:
            return "none", None
        if name in mod.functions:
            return "function", (mod, mod.functions[name])
        if name in mod.classes:
            return "class", name
        if name in mod.constants:
            return "constant", mod.constants[name]
        imp = mod.imports.get(name)
        if imp is None:
            return "none", None
        kind, target, attr = imp
        if kind == "module":
            path = self.absolute(target)
            m = self.module(path) if path else None
            return ("module", m) if m else ("none", None)
        level, dotted = target
        what, obj = self.resolve_from(mod, level, dotted, attr)
        if what == "attr":
            m, n = obj
            return self.lookup(m, n, depth + 1)
        return what, obj

    def attribute_chain(self, mod: _Module, expr: ast.expr) -> tuple[str, Any]:
        """``pkg.sub.func`` / ``helpers.load`` / ``CONSTS.KEY`` resolved through modules."""
        if isinstance(expr, ast.Name):
            return self.lookup(mod, expr.id)
        if isinstance(expr, ast.Attribute):
            what, obj = self.attribute_chain(mod, expr.value)
            if what == "module":
                if obj.is_package:
                    sub = self._file_in(obj.path.parent, expr.attr)
                    if sub is not None:
                        m = self.module(sub)
                        return ("module", m) if m else ("none", None)
                return self.lookup(obj, expr.attr)
        return "none", None


# --------------------------------------------------------------------------------------------------
# The analysis


@dataclass(frozen=True)
class _Ctx:
    guards: frozenset = frozenset()  # (role, key) known present here
    caught: frozenset = frozenset()  # exception names caught around here
    cond: str | None = None  # enclosing condition (source), None = unconditional


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _receiver(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        v = func.value
        while isinstance(v, ast.Attribute):
            v = v.value
        if isinstance(v, ast.Name):
            return v.id
    return None


def _terminates(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Continue, ast.Break))


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    src = ast.unparse(node.test)
    return "__name__" in src and "__main__" in src


class _Analyzer:
    def __init__(self, loader: _Loader, usage: ScriptUsage) -> None:
        self.loader = loader
        self.usage = usage
        self._seen: set = set()
        self._stack: list[tuple[Path, str]] = []
        self._modules_done: set[Path] = set()

    # ---- entry points
    def function(
        self, mod: _Module, fn: ast.FunctionDef | ast.AsyncFunctionDef, bindings: dict[str, str], ctx: _Ctx
    ) -> None:
        key = (mod.path, fn.name, tuple(sorted(bindings.items())), ctx)
        if key in self._seen or (mod.path, fn.name) in self._stack or len(self._stack) > 25:
            return
        self._seen.add(key)
        self.module_level(mod)
        tag = f"{self.usage.where(mod.path)}:{fn.name}"
        if tag not in self.usage.followed:
            self.usage.followed.append(tag)
        self._stack.append((mod.path, fn.name))
        try:
            env = dict(bindings)
            consts: dict[str, str] = {}
            self.stmts(fn.body, mod, env, consts, ctx)
        finally:
            self._stack.pop()

    def module_level(self, mod: _Module) -> None:
        """Code that runs at import: os.environ reads there count (the ``__main__`` block does not run)."""
        if mod.path in self._modules_done:
            return
        self._modules_done.add(mod.path)
        body = [
            s
            for s in mod.tree.body
            if not isinstance(
                s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
            )
            and not _is_main_guard(s)
        ]
        self.stmts(body, mod, {}, {}, _Ctx(), follow_calls=False)

    # ---- recording
    def use(
        self, role: str, key: str, required: bool, mod: _Module, node: ast.AST, how: str, ctx: _Ctx
    ) -> None:
        if required:
            errs = _ATTR_ERRORS if how == "attribute" or how == "getattr" else _KEY_ERRORS
            if (role, key) in ctx.guards or ctx.caught & errs or "*" in ctx.caught:
                required = False
        self.usage.uses.append(
            KeyUse(
                role, key, required, mod.path, getattr(node, "lineno", 0), how, ctx.cond if required else None
            )
        )

    def dyn(self, role: str, mod: _Module, node: ast.AST, what: str) -> None:
        self.usage.dynamic.append(DynamicUse(role, mod.path, getattr(node, "lineno", 0), what))

    # ---- helpers
    def role_of(self, expr: ast.expr, mod: _Module, env: dict[str, str]) -> tuple[str, str] | None:
        """(role, source) when ``expr`` is one of the dicts: a bound name, an alias, or ``os.environ``."""
        if isinstance(expr, ast.Name):
            if expr.id in env:
                return env[expr.id], "param"
            imp = mod.imports.get(expr.id)
            if imp and imp[0] == "from" and imp[1] == (0, "os") and imp[2] == "environ":
                return ENV, "os.environ"
        if isinstance(expr, ast.Attribute) and expr.attr == "environ" and isinstance(expr.value, ast.Name):
            imp = mod.imports.get(expr.value.id)
            if imp and imp[0] == "module" and imp[1] == "os":
                return ENV, "os.environ"
        # dict(d) / copy.copy(d) / d.copy() keep the same keys
        if (
            isinstance(expr, ast.Call)
            and not expr.keywords
            and len(expr.args) == 1
            and _call_name(expr.func) in {"dict", "copy", "deepcopy"}
        ):
            return self.role_of(expr.args[0], mod, env)
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "copy"
            and not expr.args
        ):
            return self.role_of(expr.func.value, mod, env)
        return None

    def key_of(self, expr: ast.expr, mod: _Module, consts: dict[str, str]) -> str | None:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return expr.value
        if isinstance(expr, ast.Name):
            if expr.id in consts:
                return consts[expr.id]
            what, obj = self.loader.lookup(mod, expr.id)
            return obj if what == "constant" else None
        if isinstance(expr, ast.Attribute):
            what, obj = self.loader.attribute_chain(mod, expr)
            return obj if what == "constant" else None
        return None

    def guards_of(self, test: ast.expr, mod: _Module, env: dict, consts: dict) -> tuple[set, set]:
        """(keys present when ``test`` is true, keys present when it is false)."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            pos, neg = self.guards_of(test.operand, mod, env, consts)
            return neg, pos
        if isinstance(test, ast.BoolOp):
            parts = [self.guards_of(v, mod, env, consts) for v in test.values]
            if isinstance(test.op, ast.And):
                return set().union(*(p for p, _ in parts)), set()
            return set(), set().union(*(n for _, n in parts))
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            op, right = test.ops[0], test.comparators[0]
            if isinstance(op, (ast.In, ast.NotIn)):
                r = self.role_of(right, mod, env)
                k = self.key_of(test.left, mod, consts)
                if r and k is not None:
                    s = {(r[0], k)}
                    return (s, set()) if isinstance(op, ast.In) else (set(), s)
            if (
                isinstance(op, (ast.IsNot, ast.NotEq, ast.Is, ast.Eq))
                and isinstance(right, ast.Constant)
                and right.value is None
            ):
                pos, _ = self.guards_of(test.left, mod, env, consts)
                return (pos, set()) if isinstance(op, (ast.IsNot, ast.NotEq)) else (set(), pos)
            return set(), set()
        if isinstance(test, ast.Call):
            name = _call_name(test.func)
            if name == "get" and isinstance(test.func, ast.Attribute) and test.args:
                r = self.role_of(test.func.value, mod, env)
                k = self.key_of(test.args[0], mod, consts)
                if r and k is not None:
                    return {(r[0], k)}, set()
            if name in {"hasattr", "getattr"} and isinstance(test.func, ast.Name) and len(test.args) >= 2:
                r = self.role_of(test.args[0], mod, env)
                k = self.key_of(test.args[1], mod, consts)
                if r and k is not None:
                    return {(r[0], k)}, set()
            if name == "getenv" and test.args:
                k = self.key_of(test.args[0], mod, consts)
                if k is not None:
                    return {(ENV, k)}, set()
        if isinstance(test, ast.Subscript):
            r = self.role_of(test.value, mod, env)
            k = self.key_of(test.slice, mod, consts)
            if r and k is not None:
                return {(r[0], k)}, set()
        if isinstance(test, ast.Attribute):
            r = self.role_of(test.value, mod, env)
            if r and r[0] == JOB_ARGS:
                return {(JOB_ARGS, test.attr)}, set()
        return set(), set()

    @staticmethod
    def _cond(ctx: _Ctx, text: str) -> str:
        return text if ctx.cond is None else f"{ctx.cond} and {text}"

    # ---- statements
    def stmts(
        self,
        body: list[ast.stmt],
        mod: _Module,
        env: dict,
        consts: dict,
        ctx: _Ctx,
        follow_calls: bool = True,
    ) -> None:
        guards = set(ctx.guards)
        for st in body:
            here = _Ctx(frozenset(guards), ctx.caught, ctx.cond)
            self.stmt(st, mod, env, consts, here, follow_calls)
            if isinstance(st, ast.If) and not st.orelse and _terminates(st.body):
                _, neg = self.guards_of(st.test, mod, env, consts)
                guards |= neg

    def stmt(self, st: ast.stmt, mod: _Module, env: dict, consts: dict, ctx: _Ctx, follow: bool) -> None:
        S = lambda b, c=ctx: self.stmts(b, mod, env, consts, c, follow)  # noqa: E731
        E = lambda e, c=ctx: self.expr(e, mod, env, consts, c, follow)  # noqa: E731
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            return
        if isinstance(st, ast.If):
            E(st.test)
            pos, neg = self.guards_of(st.test, mod, env, consts)
            text = ast.unparse(st.test)
            S(st.body, _Ctx(ctx.guards | pos, ctx.caught, self._cond(ctx, text)))
            S(st.orelse, _Ctx(ctx.guards | neg, ctx.caught, self._cond(ctx, f"not ({text})")))
            return
        if isinstance(st, ast.While):
            E(st.test)
            pos, _ = self.guards_of(st.test, mod, env, consts)
            S(st.body, _Ctx(ctx.guards | pos, ctx.caught, self._cond(ctx, ast.unparse(st.test))))
            S(st.orelse)
            return
        if isinstance(st, ast.Try) or type(st).__name__ == "TryStar":
            caught: set[str] = set()
            for h in st.handlers:
                if h.type is None:
                    caught.add("*")
                else:
                    types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
                    caught |= {_call_name(t) or "" for t in types}
            S(st.body, _Ctx(ctx.guards, ctx.caught | frozenset(caught), ctx.cond))
            for h in st.handlers:
                S(h.body, _Ctx(ctx.guards, ctx.caught, self._cond(ctx, "an exception was raised")))
            S(st.orelse)
            S(st.finalbody)
            return
        if isinstance(st, (ast.Assign, ast.AnnAssign)):
            value = st.value
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            if value is not None:
                E(value)
            r = self.role_of(value, mod, env) if value is not None else None
            for t in targets:
                if isinstance(t, ast.Name):
                    env.pop(t.id, None)
                    consts.pop(t.id, None)
                    if r:
                        env[t.id] = r[0]
                    elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                        consts[t.id] = value.value
                else:
                    E(t)
                    if r:
                        self.dyn(r[0], mod, st, f"stored in `{ast.unparse(t)}`, not followed")
            return
        for _name, value in ast.iter_fields(st):
            if isinstance(value, list):
                if value and isinstance(value[0], ast.stmt):
                    S(value)
                else:
                    for v in value:
                        if isinstance(v, ast.expr):
                            E(v)
                        elif isinstance(v, ast.withitem):
                            E(v.context_expr)
            elif isinstance(value, ast.expr):
                E(value)

    # ---- expressions
    def expr(self, e: ast.expr, mod: _Module, env: dict, consts: dict, ctx: _Ctx, follow: bool) -> None:
        E = lambda x, c=ctx: self.expr(x, mod, env, consts, c, follow)  # noqa: E731
        if isinstance(e, ast.Subscript):
            r = self.role_of(e.value, mod, env)
            if r and isinstance(e.ctx, ast.Load):
                k = self.key_of(e.slice, mod, consts)
                if k is None:
                    self.dyn(r[0], mod, e, f"`{ast.unparse(e)}`: key computed at run time, not checked")
                else:
                    how = "os.environ[...]" if r[1] == "os.environ" else "subscript"
                    self.use(r[0], k, True, mod, e, how, ctx)
                E(e.slice)
                return
            if r:  # store / delete: the script sets or removes the key itself
                E(e.slice)
                return
        elif isinstance(e, ast.Compare) and len(e.ops) == 1 and isinstance(e.ops[0], (ast.In, ast.NotIn)):
            r = self.role_of(e.comparators[0], mod, env)
            if r:
                k = self.key_of(e.left, mod, consts)
                if k is None:
                    self.dyn(r[0], mod, e, f"`{ast.unparse(e)}`: key computed at run time, not checked")
                else:
                    self.use(r[0], k, False, mod, e, "in", ctx)
                E(e.left)
                return
        elif isinstance(e, ast.Call):
            if self.call(e, mod, env, consts, ctx, follow):
                return
        elif isinstance(e, ast.Attribute) and isinstance(e.ctx, ast.Load):
            r = self.role_of(e.value, mod, env)
            if r and r[0] == JOB_ARGS:
                self.use(JOB_ARGS, e.attr, True, mod, e, "attribute", ctx)
                return
        elif isinstance(e, ast.IfExp):
            E(e.test)
            pos, neg = self.guards_of(e.test, mod, env, consts)
            text = ast.unparse(e.test)
            E(e.body, _Ctx(ctx.guards | pos, ctx.caught, self._cond(ctx, text)))
            E(e.orelse, _Ctx(ctx.guards | neg, ctx.caught, self._cond(ctx, f"not ({text})")))
            return
        elif isinstance(e, ast.BoolOp):
            guards = set(ctx.guards)
            cond = ctx.cond
            for v in e.values:
                E(v, _Ctx(frozenset(guards), ctx.caught, cond))
                pos, neg = self.guards_of(v, mod, env, consts)
                guards |= pos if isinstance(e.op, ast.And) else neg
                cond = self._cond(
                    _Ctx(cond=cond),
                    ast.unparse(v) if isinstance(e.op, ast.And) else f"not ({ast.unparse(v)})",
                )
            return
        elif isinstance(e, ast.Dict):
            for k, v in zip(e.keys, e.values, strict=False):
                if k is None:
                    r = self.role_of(v, mod, env)
                    if r:
                        self.dyn(r[0], mod, e, f"`**{ast.unparse(v)}` unpacked, not followed")
        for child in ast.iter_child_nodes(e):
            if isinstance(child, ast.expr):
                E(child)
            elif isinstance(child, ast.comprehension):
                E(child.iter)
                for cond in child.ifs:
                    E(cond)
            elif isinstance(child, ast.arguments):
                pass

    def call(self, e: ast.Call, mod: _Module, env: dict, consts: dict, ctx: _Ctx, follow: bool) -> bool:
        """Handle a call; True when it is fully handled (its children visited)."""
        E = lambda x, c=ctx: self.expr(x, mod, env, consts, c, follow)  # noqa: E731
        func = e.func
        if self.role_of(e, mod, env):  # dict(d) / d.copy(): a copy, the same keys
            return True
        # methods of the dicts: d.get / d.pop / d.setdefault / d.items ...
        if isinstance(func, ast.Attribute):
            r = self.role_of(func.value, mod, env)
            if r:
                role, src = r
                m = func.attr
                if m in {"get", "pop", "setdefault", "__getitem__"} and e.args:
                    k = self.key_of(e.args[0], mod, consts)
                    has_default = len(e.args) > 1 or bool(e.keywords)
                    required = m == "__getitem__" or (m == "pop" and not has_default)
                    how = f"os.environ.{m}" if src == "os.environ" else m
                    if k is None:
                        self.dyn(role, mod, e, f"`{ast.unparse(e)}`: key computed at run time, not checked")
                    else:
                        self.use(role, k, required, mod, e, how, ctx)
                elif m in {"items", "keys", "values", "__iter__"}:
                    self.dyn(role, mod, e, f"`{ast.unparse(e)}`: every key, not checked")
                elif m in {"update", "clear", "copy"}:
                    pass
                else:
                    self.dyn(role, mod, e, f"`{ast.unparse(e)}`, not followed")
                for a in list(e.args) + [k.value for k in e.keywords]:
                    E(a)
                return True
        name = _call_name(func)
        # os.getenv("X"[, default])
        if name == "getenv" and e.args:
            is_os = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and mod.imports.get(func.value.id, ("", "", ""))[1] == "os"
            ) or (isinstance(func, ast.Name) and mod.imports.get("getenv", ("", "", ""))[1] == (0, "os"))
            if is_os:
                k = self.key_of(e.args[0], mod, consts)
                if k is None:
                    self.dyn(ENV, mod, e, f"`{ast.unparse(e)}`: name computed at run time, not checked")
                else:
                    self.use(ENV, k, False, mod, e, "os.getenv", ctx)
                for a in e.args[1:]:
                    E(a)
                return True
        # getattr(job_args, "x"[, default]) / hasattr(job_args, "x") / vars(job_args)
        if isinstance(func, ast.Name) and func.id in {"getattr", "hasattr", "vars"} and e.args:
            r = self.role_of(e.args[0], mod, env)
            if r:
                if func.id == "vars":
                    self.dyn(r[0], mod, e, f"`{ast.unparse(e)}`: every key, not checked")
                    return True
                k = self.key_of(e.args[1], mod, consts) if len(e.args) > 1 else None
                if k is None:
                    self.dyn(r[0], mod, e, f"`{ast.unparse(e)}`: name computed at run time, not checked")
                else:
                    required = func.id == "getattr" and len(e.args) == 2
                    self.use(r[0], k, required, mod, e, func.id, ctx)
                for a in e.args[2:]:
                    E(a)
                return True
        # any other call: which of the dicts does it receive?
        passed: list[tuple[ast.expr, str | None, int | None, str]] = []  # (arg, keyword, position, role)
        for i, a in enumerate(e.args):
            inner = a.value if isinstance(a, ast.Starred) else a
            r = self.role_of(inner, mod, env)
            if r:
                passed.append((a, None, None if isinstance(a, ast.Starred) else i, r[0]))
        for kw in e.keywords:
            r = self.role_of(kw.value, mod, env)
            if r:
                passed.append((kw.value, kw.arg, None, r[0]))
        if passed and self._harmless(func):
            passed = []
        target = None
        if follow:
            what, obj = (
                self.loader.attribute_chain(mod, func)
                if isinstance(func, (ast.Name, ast.Attribute))
                else ("none", None)
            )
            if what == "function":
                target = obj
            elif passed:
                label = ast.unparse(func)
                why = "a class, not followed" if what == "class" else "which could not be followed"
                for _, _, _, role in passed:
                    self.dyn(role, mod, e, f"passed to `{label}`, {why}")
        if target is not None:
            tmod, fn = target
            bindings: dict[str, str] = {}
            params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
            all_params = set(params) | {a.arg for a in fn.args.kwonlyargs}
            for _arg, kw, pos, role in passed:
                if kw is not None and kw in all_params:
                    bindings[kw] = role
                elif kw is None and pos is not None and pos < len(params):
                    bindings[params[pos]] = role
                else:
                    self.dyn(
                        role, mod, e, f"passed to `{ast.unparse(func)}` through *args/**kwargs, not followed"
                    )
            self.function(tmod, fn, bindings, ctx)
        for a in e.args:
            inner = a.value if isinstance(a, ast.Starred) else a
            if not self.role_of(inner, mod, env):
                E(inner)
        for kw in e.keywords:
            if not self.role_of(kw.value, mod, env):
                E(kw.value)
        E(func)
        return True

    @staticmethod
    def _harmless(func: ast.expr) -> bool:
        name = _call_name(func)
        if isinstance(func, ast.Name):
            return name in _HARMLESS_CALLS
        recv = _receiver(func)
        return recv in _HARMLESS_RECEIVERS or name in {
            "info",
            "debug",
            "warning",
            "error",
            "exception",
            "critical",
            "log",
            "dumps",
        }


def analyze_script(script_path: str | Path, python_path_roots: Iterable[str | Path] = ()) -> ScriptUsage:
    """Every key ``script_path``'s ``main`` (and the functions of its own package that it calls) uses."""
    path = Path(script_path).resolve()
    pkg_root, parts = _package_parts(path)
    roots = [pkg_root, path.parent] + [Path(r) for r in python_path_roots]
    usage = ScriptUsage(script_path=path, root=pkg_root if parts else path.parent)
    loader = _Loader(roots)
    mod = loader.module(path)
    if mod is None:
        usage.notes.extend(loader.errors or [f"{path.name}: cannot be read"])
        return usage
    analyzer = _Analyzer(loader, usage)
    main = mod.functions.get("main")
    if main is None:
        what, obj = loader.lookup(mod, "main")
        if what == "function":
            mod, main = obj
    if main is None:
        usage.notes.append(f"{path.name} defines no main(input_paths, output_paths, environ_vars, job_args)")
        analyzer.module_level(mod)
        return usage
    params = [a.arg for a in main.args.posonlyargs + main.args.args]
    usage.main_params = params
    bindings = dict(zip(params, ROLES, strict=False))
    analyzer.function(mod, main, bindings, _Ctx())
    usage.notes.extend(loader.errors)
    # one record per distinct use
    usage.uses = sorted(set(usage.uses), key=lambda u: (str(u.file), u.line, u.role, u.key, u.how))
    usage.dynamic = sorted(set(usage.dynamic), key=lambda d: (str(d.file), d.line, d.role, d.what))
    return usage
