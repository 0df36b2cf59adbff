"""Tabular file I/O shared by the data sources and the data checks.

The helpers live in :mod:`script_testing.data.tabular`; they import pandas/pyarrow lazily, so
importing this package is cheap.
"""

from script_testing.data.tabular import (  # noqa: F401
    DATA_FORMATS,
    detect_format,
    is_compressed,
    list_data_files,
    read_dataset,
    read_frame,
    write_frame,
)
