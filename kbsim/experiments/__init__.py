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

from .rebuilders import RULES, BuildFacts, Rebuilder, RuleContext, judge
from .runner import EXECUTORS, CellResult, Sweep, SweepResult, default_workers, run_sweep
from .settings import SETTINGS, parse_settings, spec_defaults
from .trial import TrialResult, run_trial

__all__ = ["RULES", "BuildFacts", "Rebuilder", "RuleContext", "judge", "EXECUTORS",
           "CellResult", "Sweep", "SweepResult", "default_workers", "run_sweep", "SETTINGS",
           "parse_settings", "spec_defaults", "TrialResult", "run_trial"]
