"""``python -m script_testing.cli``."""

from script_testing.cli import main

main()
