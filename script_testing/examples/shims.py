"""Preloaded in the script worker before any step script is imported (``preload:`` in
script_testing.yaml).

- ``experiment_tracker`` is installed only on the production training image; model_training.py
  imports it inside try/except. Locally we register a stub that records the metrics in memory
  (and prints them), so the tracking code path runs too.
- Seed Python's and NumPy's global random generators so runs are reproducible.
"""

from __future__ import annotations

import importlib.util
import os
import random
import sys
import types

if importlib.util.find_spec("experiment_tracker") is None and "experiment_tracker" not in sys.modules:
    _tracker = types.ModuleType("experiment_tracker")
    _tracker.__doc__ = "Local stub of the production experiment tracker (script_testing shim)."
    _tracker.logged = []

    def log_metrics(metrics: dict, step: int | None = None) -> None:
        _tracker.logged.append({"step": step, **metrics})
        print(f"[experiment_tracker stub] {len(metrics)} metric(s) logged")

    _tracker.log_metrics = log_metrics
    sys.modules["experiment_tracker"] = _tracker

SEED = int(os.environ.get("SCRIPT_TESTING_SEED", "1234"))
random.seed(SEED)
try:
    import numpy as _np
except ImportError:  # pragma: no cover
    pass
else:
    _np.random.seed(SEED)
