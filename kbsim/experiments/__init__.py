"""Layer 5: what-if sweeps, seeded Monte Carlo trials, comparison of rebuild rules.

- settings.py: the settings a sweep can vary or fix, parsed from ``--vary``/``--set``;
- trial.py: one seeded trial of one cell (replay, incremental second build, measures);
- rebuilders.py: make's, ninja's, redo's and a content-hash out-of-date rule, judged on
  the recorded history of the same trial;
- statcache.py: the ``stat_cache=shared`` what-if (make's per-name stat cache kept across
  the adjust step);
- runner.py: cells x trials on a process pool (or Dask / Ray), results in seed order;
- render.py: the table, the "which settings change the failure rate" text, JSON, CSV;
- stats.py: Wilson intervals, exact McNemar tests.

See docs/whatif.md.
"""


_LAZY = {
    "RULES": "rebuilders", "BuildFacts": "rebuilders", "Rebuilder": "rebuilders",
    "RuleContext": "rebuilders", "judge": "rebuilders",
    "EXECUTORS": "runner", "CellResult": "runner", "Sweep": "runner",
    "SweepResult": "runner", "default_workers": "runner", "run_sweep": "runner",
    "SETTINGS": "settings", "parse_settings": "settings", "spec_defaults": "settings",
    "TrialResult": "trial", "run_trial": "trial",
}
__all__ = list(_LAZY)


def __getattr__(name: str):
    """The names above, imported on first use (the runner and trials load the make
    engine; the CLI's help needs only the settings table)."""
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f".{mod}", __name__), name)
    globals()[name] = value
    return value
