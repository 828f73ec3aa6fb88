#!/usr/bin/env python3
"""Benchmark: kbsim replay (performance targets 2 and 3), against the real make where
there is one.

Every measurement is a child process timed from outside: wall time around it, CPU time
(user+sys) and peak RSS from ``os.wait4``. On a shared machine the CPU column is the
steadier one. Each row prints the median of ``--repeat`` runs (and min, max of wall).

- ``replay MODEL`` (default lindroth-2018): the CLI, ``kbsim replay MODEL --seed 0``;
  and in one process, the spec loaded once, then ``kbsim.kbuild.replay(spec, seed=0)``
  timed ``--repeat`` times (what a what-if sweep pays per trial);
- ``replay CAPTURE`` (default models/linux-6.1-tinyconfig.json.gz): the CLI, and in one
  process the two steps, ``load_spec`` and ``replay``;
- ``replay BUILD_DIR`` (``--build-dir``, default /work/kernel/build-6.1 when it exists): the
  CLI, ``kbsim replay BUILD_DIR --json`` (capture in memory, then replay), cold (an empty
  ``--cache-dir`` each run: no capture cache, no read cache) and warm (a cache directory
  the runs share, filled once before the first), against a real no-op ``make
  O=BUILD_DIR -C SRC -j2`` (``--src``), the three run alternately. The real make is only
  run with ``--real-make``: it rewrites a few files of the build directory (GEN Makefile,
  filechk), as any no-op kernel make does.

Usage: ``/tmp/venv/bin/python bench/bench_replay.py [--repeat 3] [--model M]
[--capture C] [--build-dir D --src S --real-make] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import bytecode  # bench/bytecode.py, beside this script

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
KBSIM = [sys.executable, "-m", "kbsim"]

IN_PROCESS = r"""
import json, sys, time
from kbsim.tree.registry import load_spec
from kbsim.kbuild import replay
arg, n = sys.argv[1], int(sys.argv[2])
c0, t0 = time.process_time(), time.perf_counter()
spec = load_spec(arg)[0]
load = (time.process_time() - c0, time.perf_counter() - t0)
runs = []
for _ in range(n):
    c0, t0 = time.process_time(), time.perf_counter()
    r = replay(spec, seed=0)
    runs.append((time.process_time() - c0, time.perf_counter() - t0))
print(json.dumps({"load": load, "runs": runs, "passes": r.passes,
                  "compiles": len(r.compiles), "exit": r.exit_code}))
"""


# the environment examples/real-kernel/build-linux.sh built with: init/version.o
# depends on include/generated/compile.h, which names the build user and host, so a
# make with another user or host is no longer a no-op (it rewrites compile.h and
# recompiles version.o, and the next make, back in the build's environment, again)
KERNEL_ENV = {**os.environ, "LC_ALL": "C", "KBUILD_BUILD_USER": "kbsim",
              "KBUILD_BUILD_HOST": "kbsim"}


def run_once(argv: list[str], cwd: str | None = None, env: dict | None = None) -> dict:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                             env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024,
                "exit": os.waitstatus_to_exitcode(status),
                "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace")}


def row(label: str, runs: list[dict]) -> dict:
    walls = [r["wall"] for r in runs]
    cpus = [r["cpu"] for r in runs]
    med = {"wall": statistics.median(walls), "cpu": statistics.median(cpus),
           "wall_min": min(walls), "wall_max": max(walls),
           "rss_mb": statistics.median(r.get("rss_mb", 0) for r in runs),
           "exits": sorted({r.get("exit", 0) for r in runs})}
    print(f"{label:52s} wall {med['wall']:6.2f}s (min {med['wall_min']:.2f} max "
          f"{med['wall_max']:.2f})  CPU {med['cpu']:6.2f}s  RSS {med['rss_mb']:5.0f} MB  "
          f"exit {','.join(map(str, med['exits']))}", flush=True)
    return med


def in_process(arg: str, n: int) -> dict:
    r = run_once([sys.executable, "-c", IN_PROCESS, arg, str(n)], cwd=REPO)
    if r["exit"] != 0:
        print(r["stderr"][-2000:], file=sys.stderr)
        raise SystemExit(f"in-process run of {arg} failed")
    doc = json.loads(r["stdout"].strip().splitlines()[-1])
    cpus = [c for c, _ in doc["runs"]]
    walls = [w for _, w in doc["runs"]]
    print(f"  in one process: load_spec {doc['load'][1]:.2f}s wall / {doc['load'][0]:.2f}s "
          f"CPU; replay() median {statistics.median(walls):.2f}s wall / "
          f"{statistics.median(cpus):.2f}s CPU (min CPU {min(cpus):.2f}) over {len(cpus)}; "
          f"{doc['passes']} passes, {doc['compiles']} compiles, exit {doc['exit']}",
          flush=True)
    return doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--model", default="lindroth-2018")
    ap.add_argument("--capture", default=os.path.join(REPO, "models",
                                                      "linux-6.1-tinyconfig.json.gz"))
    ap.add_argument("--build-dir", default="/work/kernel/build-6.1")
    ap.add_argument("--src", default="/work/kernel/linux-source-6.1")
    ap.add_argument("--real-make", action="store_true",
                    help="also time the real no-op make on --build-dir (it rewrites a few "
                         "files there, as any make does)")
    ap.add_argument("--skip", default="", help="comma list of model,capture,build-dir")
    ap.add_argument("--json", help="write the medians here")
    a = ap.parse_args(argv)
    print(bytecode.ensure(), flush=True)
    skip = {s for s in a.skip.split(",") if s}
    out: dict = {}
    n = a.repeat

    if "model" not in skip:
        print(f"== target 2: kbsim replay {a.model} --seed 0")
        out["model_cli"] = row(f"kbsim replay {a.model} --seed 0 (CLI)",
                               [run_once(KBSIM + ["replay", a.model, "--seed", "0"], REPO)
                                for _ in range(n)])
        out["model_in_process"] = in_process(a.model, n)

    if "capture" not in skip and os.path.exists(a.capture):
        rel = os.path.relpath(a.capture, REPO)
        print(f"== target 3a: kbsim replay {rel}")
        out["capture_cli"] = row(f"kbsim replay {rel} (CLI)",
                                 [run_once(KBSIM + ["replay", a.capture], REPO)
                                  for _ in range(n)])
        out["capture_in_process"] = in_process(a.capture, n)

    if "build-dir" not in skip and os.path.isdir(a.build_dir):
        print(f"== target 3b: kbsim replay {a.build_dir}"
              + (f" vs make O={a.build_dir} -C {a.src} -j2" if a.real_make else ""))
        kb, warm, mk = [], [], []
        argv = KBSIM + ["replay", a.build_dir, "--json", "--cache-dir"]
        with tempfile.TemporaryDirectory(prefix="kbsim-bench-cache-") as shared:
            run_once(argv + [shared], REPO)  # (fills the warm runs' cache)
            for _ in range(n):
                if a.real_make:
                    mk.append(run_once(["make", f"O={a.build_dir}", "-C", a.src, "-j2"],
                                       env=KERNEL_ENV))
                with tempfile.TemporaryDirectory(prefix="kbsim-bench-cold-") as empty:
                    kb.append(run_once(argv + [empty], REPO))
                warm.append(run_once(argv + [shared], REPO))
        out["build_dir_cli"] = row(f"kbsim replay {a.build_dir} --json (cold)", kb)
        out["build_dir_cli_warm"] = row(f"kbsim replay {a.build_dir} --json (warm)", warm)
        if a.real_make:
            out["real_make_noop"] = row(f"make O={a.build_dir} -j2 (no-op)", mk)
            for key, what in (("build_dir_cli", "cold"), ("build_dir_cli_warm", "warm")):
                r = out[key]["wall"] / out["real_make_noop"]["wall"]
                c = out[key]["cpu"] / out["real_make_noop"]["cpu"]
                print(f"ratio kbsim ({what})/make: wall {r:.2f}x, CPU {c:.2f}x")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
