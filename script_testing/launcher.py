"""The ``script-testing`` console command: start the warm worker early (:mod:`.worker.early_start`), then
hand over to the CLI (:mod:`.cli`), whose imports and planning take about half a second the worker's
imports no longer wait for."""

from __future__ import annotations

import sys

from script_testing.worker.early_start import early_start


def main() -> None:
    early_start(sys.argv[1:])
    from script_testing.cli import main as cli_main  # why: imported after the worker has started

    cli_main()


if __name__ == "__main__":
    main()
