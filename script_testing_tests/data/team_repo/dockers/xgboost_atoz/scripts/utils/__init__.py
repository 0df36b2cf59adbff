from .io import read_frames, write_splits  # noqa: F401  (re-exported for the step scripts)
