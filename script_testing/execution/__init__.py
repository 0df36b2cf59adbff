"""Running a plan: options, run-folder layout, inputs (sources), one script step, edge checks, the
scheduler and the one rule deciding success.

    from script_testing.execution.scheduler import run_pipeline
    report = run_pipeline(plan, RunOptions(rows_override=100))
"""
