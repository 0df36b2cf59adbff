"""Production's load-time rules for a step interface (``shared/formats/wiring.md`` §2.2).

After a node's variant is merged, production validates the whole interface and refuses to load a file
that breaks a rule: the pipeline then does not build at all. script_testing keeps running the scripts
(their bugs are still worth finding) but reports each broken rule as an error, so ``validate`` fails
where production would (a ``type`` outside production's six is a warning of the wiring, and an error
where it leaves an input unwired):

- every name under ``contract.inputs`` is a name under ``spec.dependencies``;
- every name under ``contract.outputs`` is a name under ``spec.outputs``.

Production also checks container path prefixes (``/opt/ml/processing/``, ...); script_testing does not
check them here: under test every path is a local folder of the run, and no step's behaviour here depends
on its container path (the ``/opt/ml/model`` of a Training step is matched exactly, see ``model_archive``).

(``contract.entry_point`` ending in ``.py`` is already a rule of the file's model.)
"""

from __future__ import annotations

from pathlib import Path

from script_testing.config.step_interface import StepInterface
from script_testing.pipeline.contracts import Problem

KIND = "interface-invalid"


def _names(names) -> str:
    return ", ".join(names) or "nothing"


def load_problems(
    interface: StepInterface, interface_path: str | Path, job_type: str | None
) -> list[Problem]:
    """Every rule of production's loader that ``interface`` (already merged with its variant) breaks."""
    file = Path(interface_path).name
    variant = f" (variant `{job_type}` merged)" if job_type else ""
    refuse = f"production refuses to load {file}{variant}"
    contract, spec = interface.contract, interface.spec
    found: list[str] = []
    for name in contract.inputs:
        if name not in spec.dependencies:
            found.append(
                f"contract.inputs.{name} has no spec.dependencies.{name} (spec declares: "
                f"{_names(spec.dependencies)}); add the dependency (with `required: false` if a source "
                f"feeds it) or rename one of them"
            )
    for name in contract.outputs:
        if name not in spec.outputs:
            found.append(
                f"contract.outputs.{name} has no spec.outputs.{name} (spec declares: {_names(spec.outputs)}); "
                f"rename the spec output to `{name}` or the contract's to match"
            )
    return [Problem("error", file, f"{refuse}: {text}.", KIND) for text in found]
