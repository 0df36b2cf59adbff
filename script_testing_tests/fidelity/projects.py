"""A testing project with one good pipeline and one broken one (plain functions, like ``helpers``)."""

from __future__ import annotations

from pathlib import Path

from script_testing_tests.fixtures.projects import COPY, MAKE_DATA, ProjectBuilder, write

# an interface whose contract cannot be read (inputs must be a mapping): the file names its step type
BAD_INTERFACE = "step_type: Broken\ncontract:\n  entry_point: broken.py\n  inputs: 5\n"
# an interface that is not even YAML: no node can be matched to it
UNREADABLE_INTERFACE = "step_type: [Unreadable\n"


def good_and_broken_project(root: Path) -> Path:
    """``good``: MakeData -> Transform (passes). ``broken``: MakeData -> Broken (its interface is invalid)
    and Ghost (no interface at all). A third file is not YAML. A variant carries its own step_type."""
    p = ProjectBuilder(root)
    p.step("MakeData", MAKE_DATA, outputs=["data"])
    folder = p.step("Transform", COPY, inputs=["data"], outputs=["table"])
    p.pipeline("good", ["MakeData", "Transform_training"], [("MakeData", "Transform_training")])
    p.pipeline("broken", ["MakeData", "Broken", "Ghost"], [("MakeData", "Broken"), ("Broken", "Ghost")])
    write(root / "steps" / "broken" / "broken.step.yaml", BAD_INTERFACE)
    write(root / "steps" / "broken" / "broken.py", COPY)
    write(root / "steps" / "unreadable" / "unreadable.step.yaml", UNREADABLE_INTERFACE)
    # production ignores a variant's own step_type (and any section it does not merge): tolerated
    iface = folder / "transform.step.yaml"
    iface.write_text(
        iface.read_text() + "variants:\n  training:\n    step_type: Transform_Training\n    colour: blue\n"
    )
    return p.write()
