#!/usr/bin/env python3
"""Benchmark: the plan tier against the reference engine, in the same run (issue 14).

Every row times whole child processes (``kbsim ...``) from outside: wall time around each
and CPU time (user+sys) and peak RSS from ``os.wait4``; the two engines alternate, run by
run, so a machine whose speed drifts treats them alike. Each cell is the median of
``--repeat`` runs; the ratio is plan / reference on the medians. On a machine shared with
other work the CPU column is the steadier one.

Rows:
- ``kbsim replay lindroth-2018``: reference; plan with a warm read cache on disk (a
  second run); plan cold (``--no-cache``, every make process read and frozen);
- ``kbsim replay linux-6.1-tinyconfig``: the same three;
- ``kbsim whatif lindroth-2018 --vary granularity=ns,1s --vary guard=on,off --trials T``
  with ``--workers W`` (default T=250, W=2: 1,000 trials) on the plan, and the reference
  on ``--ref-trials`` trials per cell (default 5; its time is scaled to T to compare);
  peak RSS is the largest of the sweep's processes (workers included);
- ``kbsim replay BUILD_DIR`` against a real no-op ``make -j2`` with ``--build-dir`` and
  ``--src`` (it runs the real make: see bench_replay.py for what that touches).

Usage: ``python bench/bench_plan.py [--repeat 5] [--trials 250] [--ref-trials 5]
[--workers 2] [--skip-whatif] [--build-dir D --src S]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import bytecode  # bench/bytecode.py, beside this script

KBSIM = [sys.executable, "-m", "kbsim"]


def timed(argv: list[str], env: dict | None = None, cwd: str | None = None) -> dict:
    """Wall, CPU (user+sys of the process and its children) and peak RSS of one run."""
    e = dict(os.environ)
    e.update(env or {})
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e,
                         cwd=cwd)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 1):
        raise SystemExit(f"{' '.join(argv)}: exit {rc}\n{err}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024}


def med(runs: list[dict], k: str) -> float:
    return statistics.median(r[k] for r in runs)


def row(label: str, runs: dict[str, list[dict]], ref: str = "reference") -> None:
    r0 = runs[ref]
    for name, rs in runs.items():
        ratio = "" if name == ref else (f"{med(rs, 'wall') / med(r0, 'wall'):.2f}x wall, "
                                        f"{med(rs, 'cpu') / med(r0, 'cpu'):.2f}x CPU")
        print(f"  {label:44} {name:22} wall {med(rs, 'wall'):7.2f} s "
              f"(min {min(r['wall'] for r in rs):.2f}) CPU {med(rs, 'cpu'):7.2f} s "
              f"RSS {max(r['rss_mb'] for r in rs):6.0f} MB  {ratio}", flush=True)


def replay_rows(model: str, repeat: int, cache: str) -> None:
    runs: dict[str, list[dict]] = {"reference": [], "plan, warm cache": [],
                                   "plan, cold (--no-cache)": []}
    base = KBSIM + ["replay", model]
    timed(base + ["--cache-dir", cache])  # fills the cache
    for _ in range(repeat):
        runs["reference"].append(timed(base + ["--engine", "faithful"]))
        runs["plan, warm cache"].append(timed(base + ["--cache-dir", cache]))
        runs["plan, cold (--no-cache)"].append(timed(base + ["--no-cache"]))
    row(f"kbsim replay {model}", runs)


def whatif_rows(trials: int, ref_trials: int, workers: int, cache: str) -> None:
    def cmd(n: int, *extra: str) -> list[str]:
        return KBSIM + ["whatif", "lindroth-2018", "--vary", "granularity=ns,1s", "--vary",
                        "guard=on,off", "--trials", str(n), "--workers", str(workers),
                        "--no-progress", *extra]
    ref = timed(cmd(ref_trials, "--engine", "faithful"))
    plan = timed(cmd(trials, "--cache-dir", cache))
    scale = trials / ref_trials
    print(f"  kbsim whatif lindroth-2018 (4 cells x {trials} trials, {workers} workers):\n"
          f"    reference, {4 * ref_trials} trials: wall {ref['wall']:.1f} s, CPU "
          f"{ref['cpu']:.1f} s, peak RSS {ref['rss_mb']:.0f} MB -> {ref['wall'] * scale:.0f} s "
          f"for {4 * trials} trials\n"
          f"    plan, {4 * trials} trials: wall {plan['wall']:.1f} s, CPU {plan['cpu']:.1f} s, "
          f"peak RSS {plan['rss_mb']:.0f} MB; per trial {plan['wall'] / (4 * trials):.3f} s "
          f"wall vs {ref['wall'] / (4 * ref_trials):.3f} s "
          f"({plan['wall'] / (4 * trials) / (ref['wall'] / (4 * ref_trials)):.2f}x)",
          flush=True)


def build_dir_rows(build: str, src: str, repeat: int, cache: str) -> None:
    runs: dict[str, list[dict]] = {"make -j2 (no-op)": [], "kbsim, reference": [],
                                   "kbsim, plan warm": []}
    timed(KBSIM + ["replay", build, "--cache-dir", cache])
    for _ in range(repeat):
        runs["make -j2 (no-op)"].append(timed(["make", "-s", "-j2", f"O={build}"], cwd=src))
        runs["kbsim, reference"].append(timed(KBSIM + ["replay", build, "--engine",
                                                       "faithful"]))
        runs["kbsim, plan warm"].append(timed(KBSIM + ["replay", build, "--cache-dir",
                                                       cache]))
    row(f"kbsim replay {build}", runs, ref="make -j2 (no-op)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--trials", type=int, default=250)
    ap.add_argument("--ref-trials", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-whatif", action="store_true")
    ap.add_argument("--build-dir")
    ap.add_argument("--src")
    a = ap.parse_args()
    print(bytecode.ensure(), flush=True)
    with tempfile.TemporaryDirectory(prefix="kbsim-bench-cache-") as cache:
        print(f"# bench_plan.py, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
              f"medians of {a.repeat}", flush=True)
        replay_rows("lindroth-2018", a.repeat, cache)
        replay_rows("linux-6.1-tinyconfig", a.repeat, cache)
        if not a.skip_whatif:
            whatif_rows(a.trials, a.ref_trials, a.workers, cache)
        if a.build_dir:
            if not a.src:
                ap.error("--build-dir needs --src (the kernel source tree)")
            build_dir_rows(a.build_dir, a.src, a.repeat, cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
