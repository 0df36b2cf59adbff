"""script_testing: run ML pipeline scripts locally, in DAG order, with checks on every edge."""
