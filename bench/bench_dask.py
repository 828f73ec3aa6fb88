#!/usr/bin/env python3
"""Benchmark of the Dask executor's scheduling overhead (issue 14, item 5).

Runs one sweep three ways on the same number of workers, in alternation, and prints the
wall time of each and the Dask runs' overhead over the process pool:

- ``pool``: the default executor (ProcessPoolExecutor, a forked child per trial);
- ``dask``: a Dask LocalCluster, trials sent in batches (runner.DASK_BATCH_MOST a task),
  the model scattered once to each worker;
- ``dask-1``: the same with one trial a task (how the executor worked before batching).

The cluster's start-up (a few seconds) is timed apart and left out of the sweeps' times:
a sweep on a running cluster does not pay it. Also printed per run: busy = the trials'
CPU time over (workers x wall), the share of the workers' time spent in trials.

    python bench/bench_dask.py                         # tiny-2018 model, 40 trials a cell
    python bench/bench_dask.py --model lindroth-2018 --trials 4 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from kbsim.experiments import Sweep, parse_settings, run_sweep  # noqa: E402
from kbsim.experiments import runner  # noqa: E402
from kbsim.tree.registry import load_spec  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.join(HERE, "..", "tests", "data", "tiny-2018.toml")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=TINY)
    ap.add_argument("--trials", type=int, default=40, help="trials per cell (default 40)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from dask.distributed import Client, LocalCluster

    spec, _ = load_spec(a.model)
    sweep = Sweep(a.model, spec, parse_settings(["granularity=ns,1s", "guard=on,off"], []),
                  a.trials, 0)
    n = a.trials * 4
    t = time.perf_counter()
    cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    start_s = time.perf_counter() - t
    address = cluster.scheduler_address
    print(f"model {spec.name}: {n} trials (4 cells x {a.trials}), {a.workers} workers; "
          f"Dask LocalCluster start-up {start_s:.1f} s (not counted below)")
    runs: dict[str, list[float]] = {"pool": [], "dask": [], "dask-1": []}
    busy: dict[str, list[float]] = {k: [] for k in runs}
    try:
        for r in range(a.repeat):
            for name in runs:
                runner.DASK_BATCH_MOST = 1 if name == "dask-1" else 16
                kw = ({"executor": "dask", "address": address} if name != "pool" else {})
                res = run_sweep(sweep, workers=a.workers, **kw)
                runs[name].append(res.wall_s)
                busy[name].append(res.cpu_s / (a.workers * res.wall_s))
                print(f"  run {r + 1} {name:7s} {res.wall_s:7.2f} s wall, "
                      f"{res.wall_s / n * 1000:6.1f} ms a trial, busy {busy[name][-1]:.0%}")
    finally:
        Client(address).close()
        cluster.close()
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"medians of {a.repeat}: " + ", ".join(f"{k} {v:.2f} s" for k, v in med.items()))
    for k in ("dask", "dask-1"):
        print(f"{k:7s} overhead over the pool: {med[k] / med['pool'] - 1:+.1%} "
              f"(target for batched dask: < 5%)")


if __name__ == "__main__":
    main()
