"""Production's wiring algorithm: which output feeds which input along DAG edges.

This is an implementation of ``shared/formats/wiring.md`` (production = ``TianpeiLuke/cursus`` at
commit ``6a2e2022``), kept pure: it knows nothing of files, the step catalog or the testing project.
Section numbers below (§3, §6, ...) refer to that page; ``shared/conformance/wiring/cases.jsonl`` is
the test of it (``script_testing_tests/pipeline/test_matching.py``).

- :func:`score` is the pair score of §3 (additions in the page's order, so ties and the ``> 0.5``
  threshold of §5 come out as production's), :func:`explain` the same with its parts.
- :func:`similarity` / :func:`similarity_with_aliases` are §4.
- :func:`resolve` runs pass A (§6, the assembler's assignment) and pass B (§7, the builder's
  fallback) and returns production's final answer for every dependency of every node.

The inputs are the neutral :class:`Dependency`, :class:`Output` and :class:`NodeSpec` with §2.3's
defaults; building them from ``*.step.yaml`` (variant merge of §2.2) is the caller's job.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

THRESHOLD = 0.5  # §5: a candidate scores strictly more than this
DEFAULT_TYPE = "processing_output"  # §2.3
DEFAULT_DATA_TYPE = "S3Uri"
TYPES = (
    "model_artifacts",
    "training_data",
    "processing_output",
    "hyperparameters",
    "payload_samples",
    "custom_property",
)

# §3.1: dependency type -> output types accepted at 0.2
ACCEPTED_TYPES: dict[str, frozenset[str]] = {
    "model_artifacts": frozenset(),
    "training_data": frozenset({"processing_output"}),
    "processing_output": frozenset({"training_data"}),
    "hyperparameters": frozenset({"custom_property"}),
    "payload_samples": frozenset({"processing_output"}),
    "custom_property": frozenset(),
}
# §3.2: (dependency data type, output data type) accepted at 0.1
ACCEPTED_DATA_TYPES = frozenset(
    {("S3Uri", "String"), ("String", "S3Uri"), ("Integer", "Float"), ("Float", "Integer")}
)
# §3.5 rule 3: legacy element of compatible_sources -> the step type it means
LEGACY_SOURCES = {
    "MIMSPackaging": "Package",
    "MIMSPayload": "Payload",
    "ModelRegistration": "Registration",
    "PytorchTraining": "PyTorchTraining",
    "PytorchModel": "PyTorchModel",
}

# §4.3
ABBREVIATIONS = {
    "config": "configuration",
    "params": "parameters",
    "hyperparams": "hyperparameters",
    "preprocess": "preprocessing",
    "eval": "evaluation",
    "reg": "registration",
    "pkg": "package",
    "packaged": "package",
}
STOP_WORDS = frozenset(
    ["the", "a", "an", "and", "or", "but", "in", "on", "at", "to", "for", "of", "with", "by"]
)
# §4.5
SYNONYM_ROWS: tuple[frozenset[str], ...] = tuple(
    frozenset(row.split())
    for row in (
        "model artifact trained output",
        "data dataset input processed training",
        "config configuration params parameters hyperparameters settings",
        "payload sample test inference example",
        "output result artifact generated produced",
        "training train fit learn",
        "preprocessing preprocess processed clean transform",
    )
)


# --------------------------------------------------------------------------- the model (§2.3)


@dataclass(frozen=True)
class Dependency:
    """``spec.dependencies.<name>`` after the variant merge, with production's defaults."""

    name: str
    type: str = DEFAULT_TYPE
    data_type: str = DEFAULT_DATA_TYPE
    required: bool = True
    compatible_sources: tuple[str, ...] = ()
    semantic_keywords: tuple[str, ...] = ()
    logical_name: str | None = None

    @property
    def match_name(self) -> str:
        """The name used for similarity and the exact-name bonus (bindings stay keyed by ``name``)."""
        return self.name if self.logical_name is None else self.logical_name


@dataclass(frozen=True)
class Output:
    """``spec.outputs.<name>`` after the variant merge, with production's defaults."""

    name: str
    type: str = DEFAULT_TYPE
    data_type: str = DEFAULT_DATA_TYPE
    aliases: tuple[str, ...] = ()
    logical_name: str | None = None

    @property
    def match_name(self) -> str:
        return self.name if self.logical_name is None else self.logical_name


@dataclass(frozen=True)
class NodeSpec:
    """One DAG node: its provider step type (the interface's top-level ``step_type``), its
    dependencies and outputs in declaration order."""

    step_type: str
    dependencies: tuple[Dependency, ...] = ()
    outputs: tuple[Output, ...] = ()


# --------------------------------------------------------------------------- similarity (§4)


def normalise(name: str) -> str:
    """§4.3: lower case, separators to spaces, abbreviations expanded, stop words dropped."""
    text = name.lower()
    for sep in "_-.":
        text = text.replace(sep, " ")
    text = re.sub(r"[^a-z0-9\s]", "", text)
    words = [ABBREVIATIONS.get(w, w) for w in text.split()]
    return " ".join(w for w in words if w not in STOP_WORDS)


def _synonyms(w1: str, w2: str) -> bool:
    return any(w1 in row and w2 in row for row in SYNONYM_ROWS)


def similarity_parts(n1: str, n2: str) -> tuple[float, float, float, float]:
    """The four measures of §4.4 (string, token, synonym, substring) on the normalised names."""
    m1, m2 = normalise(n1), normalise(n2)
    string = difflib.SequenceMatcher(None, m1, m2).ratio()
    t1, t2 = set(m1.split()), set(m2.split())
    token = len(t1 & t2) / len(t1 | t2) if t1 and t2 else 0.0
    if t1 and t2:
        total = 0.0
        for w1 in sorted(t1):  # a fixed order; production's is the set's (§4.6)
            for w2 in sorted(t2):
                total += 1.0 if w1 == w2 else (0.8 if _synonyms(w1, w2) else 0.0)
        synonym = total / (len(t1) * len(t2))
    else:
        synonym = 0.0
    if m1 in m2 or m2 in m1:
        longest = max(len(m1), len(m2))
        substring = min(len(m1), len(m2)) / longest if longest else 0.0
    else:
        substring = 0.0
        for w1 in m1.split():
            for w2 in m2.split():
                if len(w1) >= 3 and len(w2) >= 3 and (w1 in w2 or w2 in w1):
                    substring = max(substring, min(len(w1), len(w2)) / max(len(w1), len(w2)))
    return string, token, synonym, substring


def similarity(n1: str, n2: str) -> float:
    """§4.2: 1.0 for names equal after normalisation, else the weighted sum of the four measures."""
    if not n1 or not n2:
        return 0.0
    if normalise(n1) == normalise(n2):
        return 1.0
    string, token, synonym, substring = similarity_parts(n1, n2)
    return ((string * 0.3 + token * 0.25) + synonym * 0.25) + substring * 0.2


def similarity_with_aliases(name: str, output: Output) -> tuple[float, str | None]:
    """§4.1: the best similarity of ``name`` to the output's name or an alias, and which alias gave it
    (``None`` when the name itself is best)."""
    best, via = similarity(name, output.match_name), None
    for alias in output.aliases:
        s = similarity(name, alias)
        if s > best:
            best, via = s, alias
    return best, via


# --------------------------------------------------------------------------- the pair score (§3)


def source_matches(provider: str, element: str) -> bool:
    """§3.5: does one element of ``compatible_sources`` name the provider step type?"""

    def strip(s: str) -> str:
        return s[:-4] if s.endswith("Step") else s

    return (
        element == provider
        or element == provider + "Step"
        or LEGACY_SOURCES.get(element) == provider
        or strip(element) == strip(provider)
    )


def in_compatible_sources(provider: str, sources: Iterable[str]) -> bool:
    return any(source_matches(provider, e) for e in sources)


def keyword_fraction(dep: Dependency, output: Output) -> tuple[int, int]:
    """§3.6: (keywords of the dependency found in the output's raw name, number of keywords)."""
    name = output.match_name.lower()
    hits = sum(1 for k in dep.semantic_keywords if k.lower() in name)
    return hits, len(dep.semantic_keywords)


@dataclass(frozen=True)
class Explanation:
    """A pair score with its parts, for humans: ``parts`` are (label, change) in the order of §3."""

    score: float
    parts: tuple[tuple[str, float], ...]
    gated: bool = False

    @property
    def candidate(self) -> bool:
        return self.score > THRESHOLD

    def reason(self) -> str:
        body = ", ".join(label for label, _ in self.parts)
        return f"score {self.score:.2f}: {body}"


def explain(dep: Dependency, output: Output, provider: str) -> Explanation:
    """The pair score of §3 with a label for every change, computed in the page's order."""
    parts: list[tuple[str, float]] = []
    s = 0.0
    if dep.type == output.type:
        s += 0.4
        parts.append((f"type {dep.type}={output.type} +0.4", 0.4))
    elif output.type in ACCEPTED_TYPES.get(dep.type, ()):
        s += 0.2
        parts.append((f"type {output.type} accepted by {dep.type} +0.2", 0.2))
    else:
        return Explanation(0.0, ((f"type {output.type} is not accepted by {dep.type}: no match", 0.0),), True)
    if dep.data_type == output.data_type:
        s += 0.2
        parts.append(("data type +0.2", 0.2))
    elif (dep.data_type, output.data_type) in ACCEPTED_DATA_TYPES:
        s += 0.1
        parts.append((f"data type {output.data_type} accepted by {dep.data_type} +0.1", 0.1))
    else:
        parts.append((f"data type {output.data_type}!={dep.data_type} +0", 0.0))
    sim, alias = similarity_with_aliases(dep.match_name, output)
    s += sim * 0.25
    parts.append(
        (f"name ~ {'alias ' + alias if alias is not None else output.match_name} {sim:.2f}", sim * 0.25)
    )
    if dep.match_name == output.match_name or dep.match_name in output.aliases:
        s += 0.05
        parts.append(
            ("exact name +0.05" if dep.match_name == output.match_name else "exact alias +0.05", 0.05)
        )
    if dep.compatible_sources:
        if in_compatible_sources(provider, dep.compatible_sources):
            s += 0.1
            parts.append(("listed in compatible_sources +0.1", 0.1))
        else:
            s -= 0.1
            parts.append((f"{provider} not in compatible_sources -0.1", -0.1))
    if dep.semantic_keywords:
        hits, n = keyword_fraction(dep, output)
        s += hits / n * 0.05
        parts.append((f"keywords {hits}/{n}", hits / n * 0.05))
    s = min(s, 1.0)
    return Explanation(s, tuple(parts))


def score(dep: Dependency, output: Output, provider: str) -> float:
    """§3: the compatibility of ``output`` (of a node of step type ``provider``) for ``dep``."""
    return explain(dep, output, provider).score


# --------------------------------------------------------------------------- passes A and B (§6, §7)


@dataclass(frozen=True)
class Pair:
    """One scored (producer output, consumer dependency) pair along a DAG edge."""

    producer: str
    output: str
    score: float


@dataclass(frozen=True)
class Binding:
    consumer: str
    input: str
    producer: str
    output: str
    score: float
    via: str  # "assembler" (pass A) or "builder_fallback" (pass B)


@dataclass
class Resolution:
    """Production's answer: ``bindings[(consumer, input)]``; ``pairs[(consumer, input)]`` every pair
    scored along the consumer's incoming edges (edge order, then output order); ``fallback_abandoned``
    the consumers whose pass B contributed nothing because a required input had no candidate."""

    bindings: dict[tuple[str, str], Binding] = field(default_factory=dict)
    pairs: dict[tuple[str, str], list[Pair]] = field(default_factory=dict)
    fallback_abandoned: set[str] = field(default_factory=set)

    def binding(self, consumer: str, dep: str) -> Binding | None:
        return self.bindings.get((consumer, dep))


def resolve(nodes: Mapping[str, NodeSpec], edges: Sequence[tuple[str, str]]) -> Resolution:
    """Pass A (§6) then pass B (§7) over ``edges`` in file order; nodes missing from ``nodes`` are
    ignored (they neither feed nor are fed)."""
    edges = [(p, c) for p, c in dict.fromkeys((p, c) for p, c in edges) if p in nodes and c in nodes]
    res = Resolution()
    # phase 1: collect, per consumer, per dependency in order of first record
    records: dict[str, dict[str, list[tuple[Dependency, str, Output, float]]]] = {}
    for p, c in edges:
        for dep in nodes[c].dependencies:
            for out in nodes[p].outputs:
                sc = score(dep, out, nodes[p].step_type)
                res.pairs.setdefault((c, dep.name), []).append(Pair(p, out.name, sc))
                if sc > THRESHOLD:
                    records.setdefault(c, {}).setdefault(dep.name, []).append((dep, p, out, sc))
    # phase 2: assign per consumer
    for c, by_dep in records.items():
        work = [r for recs in by_dep.values() for r in recs]
        work.sort(key=lambda r: (not r[0].required, -r[3]))  # stable
        taken: set[tuple[str, str]] = set()
        for dep, p, out, sc in work:
            if (c, dep.name) in res.bindings or (p, out.name) in taken:
                continue
            res.bindings[(c, dep.name)] = Binding(c, dep.name, p, out.name, sc, "assembler")
            taken.add((p, out.name))
    # pass B: per consumer with incoming edges, best candidate per dependency, no uniqueness
    preds: dict[str, list[str]] = {}
    for p, c in edges:
        preds.setdefault(c, []).append(p)
    for c, _ps in preds.items():
        best: dict[str, Pair] = {}
        for dep in nodes[c].dependencies:
            for pair in res.pairs.get((c, dep.name), []):
                if pair.score > THRESHOLD and (dep.name not in best or pair.score > best[dep.name].score):
                    best[dep.name] = pair
        if any(d.required and d.name not in best for d in nodes[c].dependencies):
            res.fallback_abandoned.add(c)
            continue
        for dep in nodes[c].dependencies:
            if (c, dep.name) not in res.bindings and dep.name in best:
                b = best[dep.name]
                res.bindings[(c, dep.name)] = Binding(
                    c, dep.name, b.producer, b.output, b.score, "builder_fallback"
                )
    return res


def with_alias(output: Output, alias: str) -> Output:
    """``output`` with one more alias (to tell what adding an alias to an interface would change)."""
    return replace(output, aliases=(*output.aliases, alias))


__all__ = [
    "THRESHOLD",
    "TYPES",
    "Binding",
    "Dependency",
    "Explanation",
    "NodeSpec",
    "Output",
    "Pair",
    "Resolution",
    "explain",
    "in_compatible_sources",
    "keyword_fraction",
    "normalise",
    "resolve",
    "score",
    "similarity",
    "similarity_with_aliases",
    "source_matches",
    "with_alias",
]
