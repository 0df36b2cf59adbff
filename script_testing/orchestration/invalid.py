"""A pipeline that cannot be planned stays visible: one asset ``[pipeline, "_invalid"]`` and its job.

The asset's description says why the pipeline cannot run; materializing it (or executing the job)
fails with the same sentence, so nothing is ever reported as passed for a pipeline that did not run.
"""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Failure, MetadataValue, asset

from script_testing.orchestration import keys
from script_testing.pipeline.plan import PlanCheck

INVALID = "_invalid"


def invalid_key(pipeline: str) -> AssetKey:
    return AssetKey([pipeline, INVALID])


def invalid_asset(check: PlanCheck) -> AssetsDefinition:
    """The placeholder of a broken pipeline: its description and its failure are the problems."""
    error = check.error()
    sentence = error.message
    problems = "\n".join(f"- {p.where}: {p.message}" for p in check.errors)

    @asset(
        key=invalid_key(check.name),
        group_name=keys.dagster_name(check.name),
        description=f"Pipeline {check.name} cannot be planned, so none of its nodes can run.\n\n{sentence}",
        metadata={
            "problems": MetadataValue.md(problems or sentence),
            "what_to_do": MetadataValue.text("fix the problems, then reload the code location"),
        },
    )
    def _invalid(context: AssetExecutionContext) -> None:
        raise Failure(description=sentence, metadata={"problems": MetadataValue.md(problems or sentence)})

    return _invalid


__all__ = ["INVALID", "invalid_asset", "invalid_key"]
