"""Resources: where source data comes from, and how scripts run. Both overridable per run in the launchpad.

    resources:
      data_source:
        config:
          seed: 3                     # every synthetic profile's seed
          rows: 200                   # every synthetic profile's row count
          overrides:                  # Node.port -> a source, same YAML as script_testing.yaml
            DataLoading_training.DATA: "{s3: 's3://bucket/exec-123/DataLoading_training/DATA/'}"
      runner:
        config:
          runs_root: /tmp/runs        # or s3://bucket/prefix: steps exchange data through S3
          timeout_s: 120              # for nodes without their own timeout_s
          checks: true

Nothing secret is configured here; when something is (S3 credentials), it is an ``EnvVar`` so the
UI never shows the value. See :func:`s3_resources`.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from dagster import ConfigurableResource, EnvVar, Failure
from pydantic import Field, ValidationError

from script_testing import files
from script_testing.config.project import SourceSpec
from script_testing.config.state import object_store_root, scratch_root
from script_testing.config.state import runs_root as core_runs_root
from script_testing.errors import ConfigError, ScriptTestingError
from script_testing.execution.layout import create_run_dir
from script_testing.execution.options import RunOptions
from script_testing.execution.s3_run_folder import S3RunFolder, is_object_store, open_run_folder
from script_testing.pipeline.plan import PipelinePlan


class DataSourceResource(ConfigurableResource):
    """Produces every source asset: synthetic data, signatures, JSON literals, local copies, S3 downloads."""

    seed: int | None = Field(
        default=None,
        description="Seed for every synthetic profile in this run (default: each profile's own).",
    )
    rows: int | None = Field(
        default=None,
        description="Row count for every synthetic profile in this run (default: each profile's own).",
    )
    overrides: dict[str, str] = Field(
        default_factory=dict,
        description="Per-run source kinds: 'Node.port' -> a source in the YAML of script_testing.yaml's "
        "'sources', e.g. \"{s3: 's3://bucket/exec/Node/DATA/'}\" or \"{local: /data/x.csv}\". "
        "Keys must be sources of the pipeline (assets under <pipeline>/sources).",
    )

    deep_dive_prefix: str | None = Field(
        default=None,
        description="Deep dive: the S3 prefix where a production execution stored its step "
        "outputs. In a run of selected assets, every input whose upstream asset is not selected is read "
        "from there (and checked) instead of from the latest materialization.",
    )
    deep_dive_layout: str | None = Field(
        default=None,
        description="Where the execution keeps each output (default '{prefix}/{node}/{output}/').",
    )

    def source_overrides(self, plan: PipelinePlan) -> dict[str, Any]:
        """``overrides`` parsed into source specs, for the ports of ``plan`` only."""

        out = {}
        for key, text in self.overrides.items():
            node, _, _port = key.partition(".")
            if node not in plan.nodes:
                continue  # an override for another pipeline of the project
            try:
                data = yaml.safe_load(text) if isinstance(text, str) else text
                out[key] = SourceSpec.model_validate(data)
            except (yaml.YAMLError, ValidationError, ValueError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ConfigError(
                    f"the source override for {key} is invalid ({first})",
                    where="resources.data_source.config.overrides",
                    hint="write it like an entry of 'sources' in script_testing.yaml, "
                    'e.g. "{local: /path/to/data}"',
                ) from None
        return out

    def run_options(self, plan: PipelinePlan, s3_client: Any = None):
        options = RunOptions(
            rows_override=self.rows, seed_override=self.seed, source_overrides=self.source_overrides(plan)
        )
        if s3_client is not None:
            options.source_options["s3_client"] = s3_client
        return options


class RunnerSettingsResource(ConfigurableResource):
    """How scripts run: where run folders go, timeouts, edge checks."""

    runs_root: str | None = Field(
        default=None,
        description="Folder of run folders, or s3://bucket/prefix for steps on machines that share no "
        "disk (each step downloads its inputs and uploads its outputs and logs) "
        "(default: $SCRIPT_TESTING_RUNS, the project's runs_root, .script_testing/runs).",
    )
    timeout_s: float | None = Field(
        default=None,
        description="Timeout of nodes that set none themselves (default: runner.timeout_s of the project).",
    )
    parallelism: int | None = Field(
        default=None,
        description="Scripts the worker pool may run at once "
        "(default: runner.parallelism). With the in-process executor Dagster "
        "starts one step at a time, so this matters for the core scheduler "
        "and for executors that run steps side by side.",
    )
    checks: bool = Field(
        default=True,
        description="Run the edge checks' expectations; false records them "
        "as skipped (passed) without reading the data.",
    )
    rebaseline: bool = Field(
        default=False,
        description="Accept the schemas seen in this run as the new baselines of the edge checks.",
    )

    def object_store(self, plan: PipelinePlan) -> str | None:
        """The S3 runs root of this run, if it has one (this config, else $SCRIPT_TESTING_RUNS or the
        project's runs_root)."""
        if self.runs_root:
            return self.runs_root.rstrip("/") + "/" if is_object_store(self.runs_root) else None
        return object_store_root(plan.project)

    def run_folder(self, plan: PipelinePlan, run_id: str) -> S3RunFolder | None:
        """The S3 run folder of this run in this process (None under a local runs root)."""
        root = self.object_store(plan)
        if root is None:
            return None
        try:
            folder = open_run_folder(
                root, plan.name, run_id, scratch_root(plan.project), dict(plan.project.config.s3)
            )
        except ScriptTestingError as exc:
            raise Failure(
                description=f"the S3 runs root {root}: {exc.message}", allow_retries=False
            ) from None
        return folder

    def run_dir(self, plan: PipelinePlan, run_id: str) -> Path:
        """The run folder steps write to: under the local runs root, or the local scratch copy of a run
        in an S3 runs root."""
        if self.runs_root and "://" in self.runs_root and not is_object_store(self.runs_root):
            raise Failure(
                description=f"resources.runner.config.runs_root {self.runs_root!r} is a URL but not an "
                f"s3:// one: set a local folder, or s3://bucket/prefix for workers that share no disk",
                allow_retries=False,
            )
        folder = self.run_folder(plan, run_id)
        if folder is not None:
            return create_run_dir(folder.local, run_id, plan.name)
        root = Path(self.runs_root).expanduser().resolve() if self.runs_root else core_runs_root(plan.project)
        return create_run_dir(files.confined(root, plan.name, run_id), run_id, plan.name)

    def plan_for(self, plan: PipelinePlan, node: str) -> PipelinePlan:
        """``plan`` with this run's default timeout applied to ``node`` (when the node sets none)."""
        n = plan.nodes[node]
        if self.timeout_s is None or n.settings.timeout_s is not None:
            return plan
        return replace(plan, nodes={**plan.nodes, node: replace(n, timeout_s=float(self.timeout_s))})


def s3_resources() -> dict[str, Any]:
    """THE place for S3 through dagster-aws.

    When ``SCRIPT_TESTING_S3_ENDPOINT`` or ``AWS_ACCESS_KEY_ID`` is set, an ``S3Resource`` named ``s3`` is
    added; source assets of pipelines with ``s3:`` sources then download through its client. Secrets are
    ``EnvVar``s (read when a run starts, never shown in the UI). Otherwise S3 sources use the project's
    ``s3:`` settings and the default AWS credential chain (profile, environment, instance role).
    """
    endpoint = os.environ.get("SCRIPT_TESTING_S3_ENDPOINT")
    if not endpoint and not os.environ.get("AWS_ACCESS_KEY_ID"):
        return {}
    from dagster_aws.s3 import S3Resource

    kwargs: dict[str, Any] = {}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    if os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"):
        kwargs["region_name"] = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        kwargs["aws_access_key_id"] = EnvVar("AWS_ACCESS_KEY_ID")
        kwargs["aws_secret_access_key"] = EnvVar("AWS_SECRET_ACCESS_KEY")
        if os.environ.get("AWS_SESSION_TOKEN"):
            kwargs["aws_session_token"] = EnvVar("AWS_SESSION_TOKEN")
    return {"s3": S3Resource(**kwargs)}


def default_resources() -> dict[str, Any]:
    return {"data_source": DataSourceResource(), "runner": RunnerSettingsResource(), **s3_resources()}
