"""Logical channel names shared by the step scripts (must match pipeline_steps/interfaces)."""

PROCESSED_DATA = "processed_data"
MODEL_OUTPUT = "model_output"
EVALUATION_OUTPUT = "evaluation_output"
SPLITS = ("train", "val", "test")
