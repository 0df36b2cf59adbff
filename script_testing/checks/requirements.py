"""What the consumer of an edge needs from the data that reaches it.

:class:`EdgeRequirements` gathers, for one edge (an upstream output folder -> a downstream input):

- ``expectations``: the project's ``expectations`` block for that input (columns, not_null, types,
  ranges, allowed_values, unique, min_rows, max_rows, severity);
- ``env_columns``: env var name -> column name, e.g. ``{"LABEL_FIELD": "label"}``; a non-empty value
  means the column must exist in a tabular input;
- ``profile``: a synthetic data profile the data claims to follow; the data is checked against the
  profile's own schema (columns, kinds, numeric ranges, categorical values, label classes,
  null rate <= profile rate + ``null_tolerance``);
- ``channels``: sub-folders (train/val/test) that must each exist and hold data.

:meth:`EdgeRequirements.rules` flattens all of that into a list of :class:`Rule` objects, each with
the reason a user reads in a failure message ("LABEL_FIELD=label", "data profile 'tabular_binary'").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from script_testing.config.project import DataProfile, Expectations
from script_testing.text import env_value

TypeName = Literal["integer", "float", "numeric", "string", "boolean", "datetime"]


@dataclass
class Rule:
    """One check on tabular data, before it becomes a GX expectation (or one of ours)."""

    check: Literal["exists", "not_null", "null_rate", "type", "range", "in_set", "unique"]
    column: str
    reason: str  # why the consumer needs it, shown in messages
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        extra = ""
        if self.check == "null_rate":
            extra = f":{self.params['max_rate']:.6g}"
        elif self.check == "type":
            extra = f":{self.params['type']}"
        elif self.check == "range":
            extra = f":{self.params.get('min')}:{self.params.get('max')}"
        elif self.check == "in_set":
            extra = ":" + "|".join(map(repr, self.params["values"]))
        return f"{self.check}:{self.column}{extra}"


class EdgeRequirements(BaseModel):
    """Everything one edge's consumer requires; see module doc."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    expectations: Expectations = Field(default_factory=Expectations)
    env_columns: dict[str, str] = Field(default_factory=dict)
    profile: DataProfile | None = None
    profile_name: str | None = None
    null_tolerance: float = Field(0.05, ge=0.0, le=1.0)
    channels: list[str] | None = None
    require_tabular: bool = False  # the consumer reads a table even with no other rule
    # who is involved, for messages and the baseline key
    source: str | None = None  # "Node.output" upstream, e.g. "TabularPreprocessing_training.processed_data"
    consumer: str | None = None  # "Node.input" downstream, e.g. "XGBoostTraining.input_path"
    edge_id: str | None = None  # baseline key; default "<source>-><consumer>"

    @field_validator("env_columns", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): env_value(v).strip() for k, v in value.items()}
        return value

    @classmethod
    def from_expectations(
        cls, expectations: Expectations | dict | None = None, **kwargs: Any
    ) -> EdgeRequirements:
        if isinstance(expectations, dict):
            expectations = Expectations.model_validate(expectations)
        return cls(expectations=expectations or Expectations(), **kwargs)

    # ---- derived -------------------------------------------------------------------------------

    @property
    def severity(self) -> str:
        return self.expectations.severity

    @property
    def key(self) -> str:
        if self.edge_id:
            return self.edge_id
        if self.source or self.consumer:
            return f"{self.source or '?'}->{self.consumer or '?'}"
        return "edge"

    @property
    def consumer_node(self) -> str:
        return (self.consumer or "the consumer").split(".", 1)[0]

    @property
    def active_env_columns(self) -> dict[str, str]:
        return {var: col for var, col in self.env_columns.items() if col}

    @property
    def needs_tabular(self) -> bool:
        e = self.expectations
        return bool(
            self.require_tabular
            or self.profile is not None
            or self.active_env_columns
            or e.columns
            or e.not_null
            or e.types
            or e.ranges
            or e.allowed_values
            or e.unique
            or e.min_rows is not None
            or e.max_rows is not None
        )

    def tabular_needs_text(self) -> str:
        """Short description of why the consumer needs a table, for the 'no tabular file' message."""
        cols = self.required_columns()
        if cols:
            shown = ", ".join(list(cols)[:5]) + (", ..." if len(cols) > 5 else "")
            return f"columns {shown}"
        if self.expectations.min_rows is not None:
            return f"at least {self.expectations.min_rows} rows"
        return "a table"

    def required_columns(self) -> dict[str, str]:
        """column -> reason, for every column that must exist (first reason wins)."""
        out: dict[str, str] = {}
        for r in self.rules():
            if r.check == "exists":
                out.setdefault(r.column, r.reason)
        return out

    def rules(self) -> list[Rule]:
        """All tabular rules, deduplicated by key (first reason wins)."""
        e = self.expectations
        rules: list[Rule] = []
        exp = "expectations"
        for var, col in self.active_env_columns.items():
            rules.append(Rule("exists", col, f"{var}={col}"))
        for col in e.columns:
            rules.append(Rule("exists", col, f"{exp}: columns"))
        for col in e.not_null:
            rules.append(Rule("exists", col, f"{exp}: not_null"))
            rules.append(Rule("not_null", col, f"{exp}: not_null"))
        for col, t in e.types.items():
            rules.append(Rule("exists", col, f"{exp}: types"))
            rules.append(Rule("type", col, f"{exp}: types", {"type": t}))
        for col, bounds in e.ranges.items():
            rules.append(Rule("exists", col, f"{exp}: ranges"))
            rules.append(
                Rule("range", col, f"{exp}: ranges", {"min": bounds.get("min"), "max": bounds.get("max")})
            )
        for col, values in e.allowed_values.items():
            rules.append(Rule("exists", col, f"{exp}: allowed_values"))
            rules.append(Rule("in_set", col, f"{exp}: allowed_values", {"values": list(values)}))
        for col in e.unique:
            rules.append(Rule("exists", col, f"{exp}: unique"))
            rules.append(Rule("unique", col, f"{exp}: unique"))
        if self.profile is not None:
            rules.extend(self._profile_rules())
        seen: set[str] = set()
        out: list[Rule] = []
        for r in rules:
            if r.key not in seen:
                seen.add(r.key)
                out.append(r)
        return out

    def _profile_rules(self) -> list[Rule]:
        assert self.profile is not None
        why = f"data profile '{self.profile_name}'" if self.profile_name else "the data profile"
        rules: list[Rule] = []
        for c in self.profile.columns:
            rules.append(Rule("exists", c.name, why))
            kind = _profile_type(c)
            if kind:
                rules.append(Rule("type", c.name, why, {"type": kind}))
            if c.kind == "numeric" and (c.min is not None or c.max is not None):
                rules.append(Rule("range", c.name, why, {"min": c.min, "max": c.max}))
            if c.kind == "categorical" and c.values:
                rules.append(Rule("in_set", c.name, why, {"values": list(c.values)}))
            if c.kind == "label" and c.classes:
                rules.append(Rule("in_set", c.name, why, {"values": list(c.classes)}))
            rules.append(
                Rule(
                    "null_rate",
                    c.name,
                    why,
                    {"max_rate": min(1.0, c.nulls + self.null_tolerance), "profile_rate": c.nulls},
                )
            )
        return rules


def _values_type(values: list[Any] | None) -> str | None:
    if not values:
        return None
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "numeric"
    if all(isinstance(v, str) for v in values):
        return "string"
    return None


def _profile_type(c: Any) -> str | None:
    """Expected type of a profile column, by its kind."""
    if c.kind == "id":
        return "string" if c.prefix else "integer"
    if c.kind == "label":
        return _values_type(c.classes)
    if c.kind == "numeric":
        return "numeric"
    if c.kind == "categorical":
        return _values_type(c.values)
    if c.kind == "datetime":
        return "datetime"
    if c.kind == "text":
        return "string"
    if c.kind == "boolean":
        return "boolean"
    return None
