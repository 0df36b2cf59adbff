"""Pydantic models and readers for every file format script_testing reads."""
