"""Files -> runnable plan: catalog, wiring, plan, specs, selection."""
