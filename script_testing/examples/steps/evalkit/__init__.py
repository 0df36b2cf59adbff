"""evalkit: model evaluation scripts shared by the tabular pipelines.

The scripts in this package import their sibling modules relatively, so they are run as
``python -m evalkit.model_evaluation`` with the folder holding ``evalkit/`` on ``PYTHONPATH``.
"""

__version__ = "0.3.0"
