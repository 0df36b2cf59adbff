"""``script-testing configure``: suggestions, prompts that say why they ask again, saving."""

from __future__ import annotations

from click.testing import CliRunner

from script_testing.cli.configure import configure
from script_testing.config.project import load_project
from script_testing.configurator import InteractiveRuntimeTestingFactory
from script_testing.pipeline.plan import load_plan
from script_testing_tests.configurator.project_setup import DL, FA, MT, PIPE, TP

# ----------------------------------------------------------------------------- CLI


def test_cli_yes_accepts_suggestions_and_needs_env_values(project_dir):
    runner = CliRunner()
    dag = str(project_dir / "dags" / f"{PIPE}.dag.json")
    result = runner.invoke(configure, [str(project_dir), "--dag", dag, "--yes", "--no-reuse"])
    assert result.exit_code == 1, result.output
    assert "LABEL_FIELD" in result.output and "nothing saved" in result.output
    assert PIPE not in load_project(project_dir).config.pipelines

    result = runner.invoke(
        configure,
        [
            str(project_dir),
            "--dag",
            dag,
            "--yes",
            "--no-reuse",
            "--env",
            f"{TP}.LABEL_FIELD=label",
            "--env",
            f"{FA}.AUDIT_COLUMN=label",
            "--source",
            f"{FA}.reference_data=local:data/reference",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"pending  {FA}" in result.output
    assert f"script-testing run {project_dir} --pipeline {PIPE}" in result.output
    project = load_project(project_dir)
    cfg = project.config.pipelines[PIPE]
    assert cfg.sources[f"{DL}.DATA"].synthetic == "tabular_binary"
    assert cfg.sources[f"{MT}.hyperparameters_s3_uri"].kind == "json"
    assert cfg.sources[f"{FA}.reference_data"].local == "data/reference"
    load_plan(project, PIPE)


def test_cli_interactive_prompts_validate_and_reprompt(project_dir):
    f = InteractiveRuntimeTestingFactory(project_dir / "dags" / f"{PIPE}.dag.json", reuse=False)
    answers = []
    for item in f.pending_items:
        if (item.node, item.name) == (FA, "reference_data"):
            answers += [
                "local:data/missing",
                "synthetic:nope",
                "local:data/reference",
            ]  # two wrong, then right
        elif item.kind == "env":
            answers += ["label"]
        else:
            answers += [""]  # accept the suggestion
    answers += ["training"]  # ModelTraining's job_type (optional prompt: no suffix in its name)
    runner = CliRunner()
    result = runner.invoke(
        configure,
        [str(project_dir), "--dag", str(project_dir / "dags" / f"{PIPE}.dag.json"), "--no-reuse"],
        input="\n".join(answers) + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "does not exist" in result.output and "profile 'nope' is not defined" in result.output
    assert f"source for {FA}.reference_data" in result.output and "value of AUDIT_COLUMN" in result.output
    project = load_project(project_dir)
    cfg = project.config.pipelines[PIPE]
    assert cfg.sources[f"{FA}.reference_data"].local == "data/reference"
    assert cfg.nodes[FA].environ_vars == {"AUDIT_COLUMN": "label"}
    assert cfg.nodes[TP].environ_vars == {"LABEL_FIELD": "label"}
    assert cfg.nodes[MT].job_args == {"job_type": "training"}
    assert load_plan(project, PIPE).nodes[MT].job_args == {"job_type": "training"}


def test_cli_bundled_project_needs_save_to(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(configure, ["--pipeline", "tabular_simple"])
    assert result.exit_code == 2 and "--save-to" in result.output
    result = CliRunner().invoke(
        configure, ["--pipeline", "tabular_simple", "--save-to", str(tmp_path / "mine")]
    )
    assert result.exit_code == 0, result.output
    assert load_plan(load_project(tmp_path / "mine"), "tabular_simple")


def test_cli_every_reprompt_says_why(project_dir):
    dag = str(project_dir / "dags" / f"{PIPE}.dag.json")
    answers = [
        "json:{a: [1",
        "local:data/reference",  # FeatureAudit_training.reference_data: broken, then right
        "",
        "label",
    ]  # AUDIT_COLUMN: empty (no default), then right
    result = CliRunner().invoke(configure, [str(project_dir), "--dag", dag], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "FeatureAudit_training.reference_data: not a valid JSON document: expected" in result.output
    assert "invalid: an answer is required: AUDIT_COLUMN has no default." in result.output
    assert result.output.count(f"value of AUDIT_COLUMN for {FA}") == 2
    cfg = load_project(project_dir).config.pipelines[PIPE]
    assert cfg.nodes[FA].environ_vars == {"AUDIT_COLUMN": "label"}
    assert cfg.sources[f"{DL}.DATA"].synthetic == "tabular_binary"  # reused, not asked
