#!/usr/bin/env python3
"""Benchmark of `kbsim whatif` on the issue's scenario (issue 5, "Performance"):

    1,000 trials of lindroth-2018 over 4 settings in under 2 minutes on 2 cores

The 4 settings are the acceptance sweep: --vary granularity=ns,1s --vary guard=on,off.
By default a few trials per cell are run and the full run is extrapolated from the
measured per-replay time (every trial is a full replay of the ~1,840-object tree);
--trials 1000 runs it for real.

Prints measured wall times, trials/s, per-replay wall and CPU time, the overhead of the
what-if bookkeeping over a bare replay, and the per-replay time the target implies.

    python bench/bench_whatif.py                 # 3 trials per cell, 2 workers
    python bench/bench_whatif.py --trials 1000   # the issue's full scenario
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from kbsim.experiments import Sweep, parse_settings, run_sweep  # noqa: E402
from kbsim.kbuild import replay  # noqa: E402
from kbsim.tree.registry import load_spec  # noqa: E402

TARGET_S = 120.0
TARGET_TRIALS = 1000
CELLS = 4


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="lindroth-2018")
    ap.add_argument("--trials", type=int, default=3, help="trials per cell (default 3)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-bare", action="store_true",
                    help="do not time a bare replay (no what-if bookkeeping)")
    a = ap.parse_args()

    t = time.perf_counter()
    spec, _ = load_spec(a.model)
    load_s = time.perf_counter() - t
    print(f"model {a.model}: {sum(1 for _ in spec.objects())} objects, "
          f"{len(spec.modules)} modules; load {load_s:.2f} s")

    if not a.skip_bare:
        c0, t0 = time.process_time(), time.perf_counter()
        replay(spec, seed=0)
        bare_cpu, bare_wall = time.process_time() - c0, time.perf_counter() - t0
        print(f"bare replay (kbuild.replay, seed 0): {bare_wall:.2f} s wall, "
              f"{bare_cpu:.2f} s CPU")

    sweep = Sweep(a.model, spec, parse_settings(["granularity=ns,1s", "guard=on,off"], []),
                  a.trials, 0)
    res = run_sweep(sweep, workers=a.workers)
    n = res.replays
    per_wall = res.wall_s / n
    per_cpu = res.cpu_s / n
    print(f"sweep: {CELLS} cells x {a.trials} trials = {n} replays on {a.workers} "
          f"worker(s): {res.wall_s:.1f} s wall, {n / res.wall_s:.3f} trials/s, "
          f"{per_wall:.2f} s wall per trial, {per_cpu:.2f} s CPU per trial "
          f"(incl. input stamps and rule judging)")
    if not a.skip_bare:
        print(f"what-if bookkeeping over a bare replay: {100 * (per_cpu / bare_cpu - 1):+.0f}% "
              f"CPU (one run each; noisy on a shared machine)")
    for c in res.cells:
        print(f"  {c.varied}: {c.failures}/{c.trials} failed")

    full = CELLS * TARGET_TRIALS
    est = full * per_cpu / a.workers
    print(f"\nthe issue's scenario: {TARGET_TRIALS} trials x {CELLS} settings = {full} replays")
    print(f"  at the measured {per_cpu:.2f} s CPU per replay on {a.workers} cores: "
          f"~{est / 60:.0f} min ({est / 3600:.1f} h) against a {TARGET_S:.0f} s target")
    print(f"  the target needs <= {TARGET_S * a.workers / full * 1000:.0f} ms CPU per replay "
          f"({TARGET_S * a.workers / TARGET_TRIALS * 1000:.0f} ms if the 1,000 trials are "
          f"the total over the 4 settings), i.e. {per_cpu / (TARGET_S * a.workers / full):.0f}x "
          f"faster than now")


if __name__ == "__main__":
    main()
