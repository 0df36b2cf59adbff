"""Contract alignment: static analysis of scripts (ast, across their package) vs. step interfaces."""

from __future__ import annotations

import textwrap
from pathlib import Path

from script_testing.config.dag import PipelineDag
from script_testing.config.project import NodeSettings
from script_testing.config.step_interface import StepInterface
from script_testing.pipeline.catalog import StepCatalog
from script_testing.pipeline.contracts import (
    ENV,
    INPUTS,
    JOB_ARGS,
    OUTPUTS,
    analyze_script,
    check_alignment,
    check_nodes,
    compare_runtime,
)

TEAM_REPO = Path(__file__).resolve().parents[1] / "data" / "team_repo"


def write(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` under ``root``; returns the first file's path."""
    first = None
    for rel, src in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(src).lstrip("\n"))
        first = first or p
    return first


def script(tmp_path: Path, src: str, name: str = "step.py"):
    return analyze_script(write(tmp_path, {name: src}))


def uses(usage, role=None):
    """{(role, key, required, line, how)} without files, for compact assertions."""
    return {(u.role, u.key, u.required, u.line, u.how) for u in usage.uses if role is None or u.role == role}


def iface(**contract) -> StepInterface:
    spec = contract.pop("spec", {})
    return StepInterface.model_validate({"step_type": "ModelScore", "contract": contract, "spec": spec})


# ---------------------------------------------------------------------------------------------- patterns


def test_subscript_get_in_setdefault_pop_by_parameter_position(tmp_path):
    u = script(
        tmp_path,
        """
        def main(ins, outs, env, args):
            a = ins["data"]
            b = ins.get("extra")
            c = ins.get("other", "/tmp")
            if "flag" in env:
                pass
            env.setdefault("MODE", "fast")
            d = outs.pop("scores")
            e = outs.pop("aux", None)
    """,
    )
    assert u.main_params == ["ins", "outs", "env", "args"]
    assert uses(u) == {
        (INPUTS, "data", True, 2, "subscript"),
        (INPUTS, "extra", False, 3, "get"),
        (INPUTS, "other", False, 4, "get"),
        (ENV, "flag", False, 5, "in"),
        (ENV, "MODE", False, 7, "setdefault"),
        (OUTPUTS, "scores", True, 8, "pop"),
        (OUTPUTS, "aux", False, 9, "pop"),
    }
    assert not u.dynamic


def test_module_level_constant_keys_and_local_constants(tmp_path):
    u = script(
        tmp_path,
        """
        OUT = "scores"
        IN = "model_input"

        def main(input_paths, output_paths, environ_vars, job_args):
            key = "local_key"
            return input_paths[IN], output_paths[OUT], output_paths.get(key)
    """,
    )
    assert uses(u) == {
        (INPUTS, "model_input", True, 6, "subscript"),
        (OUTPUTS, "scores", True, 6, "subscript"),
        (OUTPUTS, "local_key", False, 6, "get"),
    }


def test_job_args_namespace_attribute_getattr_hasattr(tmp_path):
    u = script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            jt = job_args.job_type
            m = getattr(job_args, "method", "isotonic")
            n = getattr(job_args, "n_bins")
            if hasattr(job_args, "seed"):
                s = job_args.seed
            t = job_args.threshold if hasattr(job_args, "threshold") else 0.5
    """,
    )
    assert uses(u) == {
        (JOB_ARGS, "job_type", True, 2, "attribute"),
        (JOB_ARGS, "method", False, 3, "getattr"),
        (JOB_ARGS, "n_bins", True, 4, "getattr"),
        (JOB_ARGS, "seed", False, 5, "hasattr"),
        (JOB_ARGS, "seed", False, 6, "attribute"),
        (JOB_ARGS, "threshold", False, 7, "hasattr"),
        (JOB_ARGS, "threshold", False, 7, "attribute"),
    }


def test_os_environ_forms_are_env_usage(tmp_path):
    u = script(
        tmp_path,
        """
        import os
        from os import environ, getenv

        REGION = os.environ.get("REGION", "NA")     # import time: runs under test too

        def main(input_paths, output_paths, environ_vars, job_args):
            a = os.environ["BUCKET"]
            b = os.getenv("DEBUG")
            c = environ["TOKEN"]
            d = getenv("LEVEL", "1")
            e = os.environ.get("STAGE")

        if __name__ == "__main__":
            main({}, {}, {"X": os.environ["NOT_UNDER_TEST"]}, None)
    """,
    )
    assert uses(u) == {
        (ENV, "REGION", False, 4, "os.environ.get"),
        (ENV, "BUCKET", True, 7, "os.environ[...]"),
        (ENV, "DEBUG", False, 8, "os.getenv"),
        (ENV, "TOKEN", True, 9, "os.environ[...]"),
        (ENV, "LEVEL", False, 10, "os.getenv"),
        (ENV, "STAGE", False, 11, "os.environ.get"),
    }


def test_guards_make_subscripts_optional(tmp_path):
    u = script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            if "a" in input_paths:
                x = input_paths["a"]
            if "b" not in input_paths:
                pass
            else:
                x = input_paths["b"]
            if input_paths.get("c"):
                x = input_paths["c"]
            x = input_paths["d"] if "d" in input_paths else None
            x = "e" in input_paths and input_paths["e"]
            try:
                x = input_paths["f"]
            except KeyError:
                x = None
            if input_paths.get("g") is not None:
                x = input_paths["g"]
            if "h" not in input_paths:
                return
            x = input_paths["h"]
    """,
    )
    required = {k for (_, k, req, _, _) in uses(u, INPUTS) if req}
    assert required == set()
    assert u.keys(INPUTS) == set("abcdefgh")


def test_unguarded_and_conditional_required_uses(tmp_path):
    u = script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            if "a" not in input_paths:
                raise ValueError("need a")        # raising keeps `a` required
            x = input_paths["a"]
            if environ_vars.get("MODE") == "fast":
                y = input_paths["b"]
            try:
                z = input_paths["c"]
            except FileNotFoundError:            # does not catch KeyError
                z = None
    """,
    )
    by_key = {x.key: x for x in u.uses if x.role == INPUTS and x.required}
    assert set(by_key) == {"a", "b", "c"}
    assert by_key["a"].condition is None and by_key["c"].condition is None
    assert by_key["b"].condition == "environ_vars.get('MODE') == 'fast'"


def test_dynamic_keys_are_recorded_not_guessed(tmp_path):
    u = script(
        tmp_path,
        """
        import logging
        logger = logging.getLogger(__name__)

        def main(input_paths, output_paths, environ_vars, job_args):
            logger.info(f"inputs {input_paths}")
            print(output_paths)
            for split in ("train", "val"):
                p = input_paths[f"{split}_data"]
            for name, path in output_paths.items():
                pass
            q = environ_vars[job_args.key_name]
    """,
    )
    assert {(d.role, d.line) for d in u.dynamic} == {(INPUTS, 8), (OUTPUTS, 9), (ENV, 11)}
    assert u.keys(INPUTS) == set() and u.keys(ENV) == set()
    assert uses(u, JOB_ARGS) == {(JOB_ARGS, "key_name", True, 11, "attribute")}


def test_dict_handed_to_unfollowable_code_is_dynamic(tmp_path):
    u = script(
        tmp_path,
        """
        import thirdparty

        class Trainer:
            def __init__(self, paths):
                self.paths = paths

        def main(input_paths, output_paths, environ_vars, job_args):
            thirdparty.run(output_paths)
            Trainer(input_paths)
    """,
    )
    assert {(d.role, d.line, d.what) for d in u.dynamic} == {
        (OUTPUTS, 8, "passed to `thirdparty.run`, which could not be followed"),
        (INPUTS, 9, "passed to `Trainer`, a class, not followed"),
    }


def test_aliases_and_copies_keep_the_role(tmp_path):
    u = script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            ins = input_paths
            outs = dict(output_paths)
            env = environ_vars.copy()
            return ins["data"], outs["model"], env.get("X")
    """,
    )
    assert uses(u) == {
        (INPUTS, "data", True, 5, "subscript"),
        (OUTPUTS, "model", True, 5, "subscript"),
        (ENV, "X", False, 5, "get"),
    }
    assert not u.dynamic


def test_no_main_is_a_note(tmp_path):
    u = script(tmp_path, "def run(a, b, c, d):\n    return a['x']\n")
    assert u.uses == [] and u.notes == [
        "step.py defines no main(input_paths, output_paths, environ_vars, job_args)"
    ]


# ---------------------------------------------------------------------------------------------- packages


def test_follows_relative_absolute_reexported_helpers_across_the_package(tmp_path):
    write(
        tmp_path,
        {
            "src/acme/__init__.py": "",
            "src/acme/steps/__init__.py": "",
            "src/acme/steps/keys.py": 'SCORES = "scores"\n',
            "src/acme/steps/utils/__init__.py": "from .io import load_all  # re-export\n",
            "src/acme/steps/utils/io.py": """
            import os

            def load_all(paths, settings):
                data = paths["model_input"]
                return data, settings.get("BATCH", "8"), os.environ["IO_BUCKET"]
        """,
            "src/acme/steps/helpers.py": """
            from .keys import SCORES

            def save(frame, *, out):
                return out[SCORES]

            def maybe(out):
                if "debug" in out:
                    return out["debug"]
        """,
            "src/acme/common/region.py": """
            import os

            def region():
                return os.environ["AWS_REGION"]
        """,
            "src/acme/steps/model_score.py": """
            from . import helpers
            from .utils import load_all
            from acme.common.region import region

            def main(input_paths, output_paths, environ_vars, job_args, logger=None):
                data, batch, _ = load_all(input_paths, environ_vars)
                helpers.save(data, out=output_paths)
                helpers.maybe(output_paths)
                (logger.info if logger else print)(region())
        """,
        },
    )
    u = analyze_script(tmp_path / "src/acme/steps/model_score.py", [tmp_path / "src"])
    got = {(u.where(x.file, x.line), x.role, x.key, x.required) for x in u.uses}
    assert got == {
        ("acme/steps/utils/io.py:4", INPUTS, "model_input", True),
        ("acme/steps/utils/io.py:5", ENV, "BATCH", False),
        ("acme/steps/utils/io.py:5", ENV, "IO_BUCKET", True),
        ("acme/steps/helpers.py:4", OUTPUTS, "scores", True),
        ("acme/steps/helpers.py:7", OUTPUTS, "debug", False),
        ("acme/steps/helpers.py:8", OUTPUTS, "debug", False),
        ("acme/common/region.py:4", ENV, "AWS_REGION", True),
    }
    assert u.dynamic == []


def test_guard_around_a_call_applies_inside_the_helper(tmp_path):
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/h.py": "def load(p):\n    return p['extra']\n",
            "pkg/step.py": """
            from .h import load

            def main(input_paths, output_paths, environ_vars, job_args):
                if "extra" in input_paths:
                    load(input_paths)
                if job_args.job_type == "training":
                    load(p=input_paths)
        """,
        },
    )
    u = analyze_script(tmp_path / "pkg/step.py")
    extra = [x for x in u.uses if x.key == "extra"]
    assert {(x.required, x.condition) for x in extra} == {
        (False, None),
        (True, "job_args.job_type == 'training'"),
    }


def test_recursive_helpers_terminate(tmp_path):
    u = script(
        tmp_path,
        """
        def walk(p, n):
            return p["k"] if n == 0 else walk(p, n - 1)

        def main(input_paths, output_paths, environ_vars, job_args):
            return walk(input_paths, 3)
    """,
    )
    assert u.keys(INPUTS) == {"k"}


# ---------------------------------------------------------------------------------------------- alignment


def _check(tmp_path, src, interface, settings=None, **kw):
    u = script(tmp_path, src, name="model_score.py")
    return check_alignment(u, interface, settings, interface_path="model_score.step.yaml", **kw)


def test_undeclared_output_is_an_error_with_did_you_mean(tmp_path):
    problems = _check(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            return output_paths["score_file"], output_paths["scores"]
    """,
        iface(outputs={"scores": {}, "score_files": {}}),
    )
    problems.sort(key=lambda p: p.kind)  # undeclared before unwritten
    assert [(p.severity, p.where, p.kind) for p in problems] == [
        ("error", "model_score.py:2", "undeclared-output"),
        ("warning", "model_score.py", "unwritten-output"),
    ]
    assert problems[0].message == (
        "model_score.py:2 writes output `score_file`, which model_score.step.yaml does not declare (it declares: "
        "scores, score_files). Did you mean `score_files`? Rename the key in model_score.py or declare it under "
        "contract.outputs in model_score.step.yaml."
    )
    assert problems[1].message == (
        "model_score.py never writes output `score_files` that model_score.step.yaml declares (it writes: "
        "score_file, scores), so downstream steps wired to `score_files` get an empty folder. Write it in "
        "model_score.py or remove it from model_score.step.yaml."
    )


def test_alias_of_a_declared_output_is_suggested_and_unwritten_output_reported(tmp_path):
    problems = _check(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            return output_paths["model_data"]
    """,
        iface(outputs={"model_output": {}}, spec={"outputs": {"model_output": {"aliases": ["model_data"]}}}),
    )
    problems.sort(key=lambda p: p.kind)
    assert [(p.severity, p.kind) for p in problems] == [
        ("error", "undeclared-output"),
        ("warning", "unwritten-output"),
    ]
    assert "`model_data` is an alias of `model_output`: use `model_output`." in problems[0].message
    assert problems[1].message.startswith(
        "model_score.py never writes output `model_output` that "
        "model_score.step.yaml declares (it writes: model_data)"
    )


def test_dynamic_outputs_suppress_the_unwritten_warning(tmp_path):
    problems = _check(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            for name, path in output_paths.items():
                open(path + "/done", "w").close()
    """,
        iface(outputs={"a": {}, "b": {}}),
    )
    assert problems == []


def test_undeclared_input_required_is_error_optional_is_warning(tmp_path):
    problems = _check(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            a = input_paths["model_inptu"]
            b = input_paths.get("legacy_model")
    """,
        iface(inputs={"model_input": {}}),
    )
    assert [(p.severity, p.where, p.kind) for p in problems] == [
        ("error", "model_score.py:2", "undeclared-input"),
        ("warning", "model_score.py:3", "undeclared-optional-input"),
    ]
    assert "Did you mean `model_input`?" in problems[0].message


def test_required_input_marked_optional_is_an_error_only_when_unconditional(tmp_path):
    interface = iface(
        inputs={
            "data": {"required": True},
            "hparams": {"required": False},
            "artifacts": {"required": False},
            "extra": {"required": False},
        }
    )
    problems = _check(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            d = input_paths["data"]
            h = input_paths["hparams"]
            if environ_vars.get("USE_ARTIFACTS") == "true":
                a = input_paths["artifacts"]
            e = input_paths.get("extra")
    """,
        interface,
    )
    assert [(p.severity, p.where, p.kind) for p in problems] == [
        ("error", "model_score.py:3", "optional-input-required")
    ]
    assert (
        "marks it optional" in problems[0].message and '`if "hparams" in input_paths`' in problems[0].message
    )


def test_env_var_without_default_nobody_sets_is_an_error(tmp_path):
    src = """
        import os

        def main(input_paths, output_paths, environ_vars, job_args):
            a = environ_vars["ID_FIELD"]
            b = environ_vars["LABEL_FIELD"]
            c = environ_vars["SECRET"]
            d = os.environ["HOME"]
            e = environ_vars.get("UNDECLARED_BUT_DEFAULTED", "x")
            f = os.environ["SET_BY_PROJECT"]
    """
    interface = iface(env_vars={"required": ["SECRET"], "optional": {"LABEL_FIELD": ""}})
    problems = _check(
        tmp_path,
        src,
        interface,
        NodeSettings(environ_vars={"SET_BY_PROJECT": "1"}),
        node="ModelScore_training",
        pipeline="nightly",
    )
    assert [(p.severity, p.where, p.kind) for p in problems] == [
        ("error", "model_score.py", "unset-required-env-var"),  # SECRET: required, the project sets none
        ("error", "model_score.py:4", "unset-env-var"),
    ]
    assert problems[1].message.endswith(
        "or set pipelines.nightly.nodes.ModelScore_training.environ_vars.ID_FIELD."
    )


def test_job_arg_the_contract_does_not_pass_is_an_error(tmp_path):
    src = """
        def main(input_paths, output_paths, environ_vars, job_args):
            return job_args.job_type, job_args.jobtype, job_args.extra, getattr(job_args, "opt", None)
    """
    interface = iface(job_arguments=[{"flag": "--job_type", "source": "job_type"}])
    problems = _check(tmp_path, src, interface, NodeSettings(job_args={"extra": 1}))
    assert [(p.severity, p.where, p.kind) for p in problems] == [
        ("error", "model_score.py:2", "unpassed-job-arg")
    ]
    assert (
        "reads job argument `jobtype`" in problems[0].message
        and "Did you mean `job_type`?" in problems[0].message
    )


def test_aligned_script_has_no_problems(tmp_path):
    problems = _check(
        tmp_path,
        """
        import os
        SCORES = "scores"

        def main(input_paths, output_paths, environ_vars, job_args, logger=None):
            log = logger.info if logger else print
            m = input_paths["model_input"]
            if "calibration" in input_paths:
                log(input_paths["calibration"])
            out = output_paths[SCORES]
            thr = float(environ_vars.get("THRESHOLD", "0.5"))
            lbl = environ_vars["LABEL_FIELD"]
            log(f"{job_args.job_type} {os.getenv('DEBUG')}")
    """,
        iface(
            inputs={"model_input": {}, "calibration": {"required": False}},
            outputs={"scores": {}},
            env_vars={"optional": {"LABEL_FIELD": "label"}},
            job_arguments=[{"flag": "--job_type", "source": "job_type"}],
        ),
    )
    assert problems == []


# ---------------------------------------------------------------------------------------------- run time


def test_compare_runtime_reports_undeclared_and_unseen_keys(tmp_path):
    u = script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            return input_paths["data"], output_paths["scores"]
    """,
        name="model_score.py",
    )
    interface = iface(
        inputs={"data": {}},
        outputs={"scores": {}},
        env_vars={"optional": {"MODE": "a"}},
        job_arguments=[{"flag": "--job_type"}],
    )
    record = {
        "input_paths": ["data"],
        "output_paths": ["scores"],
        "environ_vars": ["MODE", "X", "PATH"],
        "job_args": ["job_type"],
    }
    problems = compare_runtime(record, interface, u, interface_path="model_score.step.yaml")
    assert [(p.kind, p.message.split("`")[1]) for p in problems] == [
        ("runtime-unseen-environ_vars", "MODE"),
        ("runtime-undeclared-environ_vars", "X"),
        ("runtime-unseen-environ_vars", "X"),
        ("runtime-unseen-job_args", "job_type"),
    ]
    assert {p.where for p in problems} == {"model_score.py (run time)"}
    assert problems[1].message.startswith(
        "model_score.py read env var `X` at run time, which "
        "model_score.step.yaml does not declare (it declares: MODE)"
    )
    assert compare_runtime({"input_paths": ["data"]}, interface, u) == []
    assert (
        compare_runtime({"input_paths": ["data", "other"]}, interface)[0].kind
        == "runtime-undeclared-input_paths"
    )


# ---------------------------------------------------------------------------------------------- team fixture


EXPECTED_TEAM_PROBLEMS = {
    ("XGBoostTraining", "error", "scripts/utils/config.py:10", "optional-input-required"),
    ("ModelEvaluation_evaluation", "error", "scripts/model_evaluation.py:12", "unset-env-var"),
    ("Payload", "error", "payload.py:18", "undeclared-output"),
    ("Payload", "warning", "payload.py", "unwritten-output"),
}


def _team_problems():
    catalog = StepCatalog([TEAM_REPO])
    found = set()
    for dag_path in sorted((TEAM_REPO / "pipeline_steps" / "dags").glob("*.dag.json")):
        dag = PipelineDag.load(dag_path)
        assert 4 <= len(dag.nodes) <= 6
        results = check_nodes(catalog, dag.nodes, python_path_roots=[TEAM_REPO / "dockers" / "xgboost_atoz"])
        for node, problems in results.items():
            found |= {(node, p.severity, p.where, p.kind) for p in problems}
    return found, results


def test_team_repo_finds_exactly_the_seeded_contract_bugs():
    found, _ = _team_problems()
    assert found == EXPECTED_TEAM_PROBLEMS


def test_team_repo_readme_lists_every_seeded_bug():
    readme = (TEAM_REPO / "README.md").read_text()
    for where in (
        "dockers/mims_payload/payload.py:18",
        "dockers/xgboost_atoz/scripts/utils/config.py:10",
        "dockers/xgboost_atoz/scripts/model_evaluation.py:12",
        "dockers/legacy_pandas/scripts/currency_conversion.py:16",
    ):
        assert where in readme
    for path, line, needle in (
        ("dockers/mims_payload/payload.py", 18, 'output_paths["output_dir"]'),
        ("dockers/xgboost_atoz/scripts/utils/config.py", 10, 'input_paths["hyperparameters_s3_uri"]'),
        ("dockers/xgboost_atoz/scripts/model_evaluation.py", 12, 'environ_vars["ID_FIELD"]'),
        ("dockers/legacy_pandas/scripts/currency_conversion.py", 16, 'fillna(method="ffill")'),
        ("dockers/legacy_pandas/scripts/currency_conversion.py", 18, ".applymap("),
    ):
        assert needle in (TEAM_REPO / path).read_text().splitlines()[line - 1]
    assert "pandas" in (TEAM_REPO / "dockers/legacy_pandas/requirements.txt").read_text()
    assert "<3" in (TEAM_REPO / "dockers/legacy_pandas/requirements.txt").read_text()


def test_team_repo_analysis_follows_the_package():
    u = analyze_script(TEAM_REPO / "dockers/xgboost_atoz/scripts/tabular_preprocessing.py")
    assert u.main_params[:4] == ["input_paths", "output_paths", "environ_vars", "job_args"]
    assert "scripts/utils/io.py:write_splits" in u.followed
    assert {(u.where(x.file, x.line), x.key) for x in u.uses if x.role == OUTPUTS} == {
        ("scripts/utils/io.py:19", "processed_data")
    }
    assert all(not x.required for x in u.uses if x.key == "SIGNATURE")


def test_loader_accepts_variants_with_their_own_step_type():
    StepCatalog([TEAM_REPO]).resolve("TabularPreprocessing_training")


def test_interface_for_merges_a_variant_that_carries_its_own_step_type():
    from script_testing.pipeline.contracts import interface_for

    iface_file = StepCatalog([TEAM_REPO]).interface_file("TabularPreprocessing")
    training = interface_for(iface_file, "training")
    assert training.step_type == "TabularPreprocessing"
    assert training.contract.env_vars.optional == {"LABEL_FIELD": "", "TRAIN_RATIO": "0.8"}
    assert interface_for(iface_file, "testing").contract.env_vars.optional["TRAIN_RATIO"] == "0.7"


# ---------------------------------------------------------------------------------------------- issue 13


def test_input_the_contract_marks_optional_while_the_spec_requires_it(tmp_path):
    interface = iface(
        inputs={"hparams": {"required": False}},
        spec={"dependencies": {"hparams": {"type": "hyperparameters", "required": True}}},
    )
    problems = _check(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            return input_paths["hparams"]
    """,
        interface,
    )
    assert [(p.severity, p.kind) for p in problems] == [("error", "optional-input-required")]
    assert "contract.inputs.hparams.required: false" in problems[0].message


def test_required_env_var_nobody_sets_is_an_error_even_when_the_script_has_a_default(tmp_path):
    src = """
        import os

        def main(input_paths, output_paths, environ_vars, job_args):
            return os.environ.get("REGION", "NA"), environ_vars["LABEL_FIELD"]
    """
    interface = iface(env_vars={"required": ["REGION", "LABEL_FIELD"]})
    problems = _check(
        tmp_path,
        src,
        interface,
        NodeSettings(environ_vars={"LABEL_FIELD": "label"}),
        node="Train",
        pipeline="p",
    )
    assert [(p.severity, p.kind) for p in problems] == [("error", "unset-required-env-var")]
    assert "`REGION`" in problems[0].message and "(model_score.py:4 reads it)" in problems[0].message
    assert "pipelines.p.nodes.Train.environ_vars.REGION" in problems[0].message
    settings = NodeSettings(environ_vars={"LABEL_FIELD": "label", "REGION": "EU"})
    assert _check(tmp_path, src, interface, settings) == []


JOB_TYPE_ARG = [{"flag": "--job_type", "source": "job_type"}]


def test_job_type_read_with_a_default_but_not_passed_is_an_error_for_a_variant_node(tmp_path):
    src = """
        def main(input_paths, output_paths, environ_vars, job_args):
            return getattr(job_args, "job_type", "calibration"), getattr(job_args, "opt", None)
    """
    problems = _check(tmp_path, src, iface(), job_type="calibration")
    assert [(p.severity, p.kind) for p in problems] == [("error", "unpassed-job-arg")]
    assert "job type `calibration` never reaches it" in problems[0].message
    # a node without a job type: a defaulted read of an argument nobody passes is the script's business
    assert _check(tmp_path, src, iface()) == []
    assert _check(tmp_path, src, iface(job_arguments=JOB_TYPE_ARG), job_type="calibration") == []


def test_job_type_passed_but_never_read_is_an_error_for_a_variant_node(tmp_path):
    src = """
        def main(input_paths, output_paths, environ_vars, job_args):
            return environ_vars.get("JOB_TYPE", "validation")
    """
    interface = iface(job_arguments=JOB_TYPE_ARG)
    problems = _check(tmp_path, src, interface, job_type="calibration", variants=["calibration"])
    assert [(p.severity, p.kind) for p in problems] == [("error", "unread-job-type")]
    assert "`--job_type calibration`" in problems[0].message
    assert _check(tmp_path, src, interface) == []  # no job type in the node name: nothing to ignore
    # no variant for this job type: the job type changes nothing the contract knows of
    assert _check(tmp_path, src, interface, job_type="calibration") == []
