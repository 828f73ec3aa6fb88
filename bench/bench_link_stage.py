#!/usr/bin/env python3
"""What the stages after the compiles cost ``kbsim replay BUILD_DIR`` (issue 17: at most 10%).

Each run is a fresh ``kbsim replay BUILD_DIR --json`` process (output discarded), in one
of two variants:

- ``stages``: as shipped, for an e5/e6 tree: the whole next make, compiles, archives,
  modpost, the links, the boot image (tree/incremental.py ``_with_tree``);
- ``descent``: the same tree layout (one sub-make per directory, the prepare stage) with
  the link stage's targets taken out of the TreeGraph in the child: archives, composite
  modules, ``.mod``, modules.order, vmlinux.o, modpost, vmlinux, the modules' final link
  and the boot image, and the make processes of those stages; what is left is what the
  compiles need;
- ``compiles``: the same command with the tree's stages switched off
  (``kbsim.tree.incremental.TREE_ERAS = ()`` in the child before the CLI runs): the
  capture is replayed in the model layout, compiles, the adjust loop and modpost, as
  replay did before the link stages existed.

The machine is shared, so the two variants are run in pairs, alternating which goes first
(ABBA), after one warm-up run of each (the read cache, ``--cache-dir``, then holds both);
the figure is each run's CPU time (user + system, from the child's rusage), and the
script prints the medians, the median of the per-pair ratios, and each pair.

Usage: ``python bench/bench_link_stage.py BUILD_DIR [--pairs 5]`` (the rounds alternate
the order of the three variants).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

import bytecode  # bench/bytecode.py, beside this script

CHILD = r"""
import sys
import kbsim.tree.incremental as inc
if sys.argv[1] == "compiles":
    inc.TREE_ERAS = ()
if sys.argv[1] == "descent":
    LINK = {"ar", "ld-r", "mod", "order", "vmlinux.o", "modpost", "link", "ko"}
    full = inc.tree_graph
    def compiles_only(ct, era, declared=None):
        g = full(ct, era, declared)
        g.targets = {t: tt for t, tt in g.targets.items()
                     if tt.kind not in LINK and tt.stage in ("compile", "prepare")}
        g.goals = {d: [x for x in gs if x in g.targets] for d, gs in g.goals.items()}
        g.vmlinux_objs, g.lds, g.image, g.image_goal, g.image_link = [], None, None, None, None
        return g
    inc.tree_graph = compiles_only
    import kbsim.kbuild.treegraph as tg
    top = tg.top_makefile
    tg.top_makefile = lambda g, era: top(g, era) + "all: .\n"  # the descent, as a goal
sys.argv = ["kbsim"] + sys.argv[2:]
from kbsim.cli import run
run()
"""


def one(variant: str, build: str, cache: str) -> float:
    """CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.devnull, "w") as null:
        p = subprocess.run([sys.executable, "-c", CHILD, variant, "replay", build, "--json",
                            "--cache-dir", cache], stdout=null, stderr=subprocess.PIPE,
                           text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        sys.exit(f"{variant}: kbsim exited {p.returncode}: {p.stderr.strip()[-400:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build")
    ap.add_argument("--pairs", type=int, default=5)
    a = ap.parse_args()
    print(bytecode.ensure(), flush=True)
    with tempfile.TemporaryDirectory(prefix="kbsim-bench-cache-") as cache:
        variants = ("stages", "descent", "compiles")
        for v in variants:
            one(v, a.build, cache)  # warm-up: fills the read cache for each variant
        rows = []
        for i in range(a.pairs):
            order = variants if i % 2 == 0 else variants[::-1]
            t = {v: one(v, a.build, cache) for v in order}
            rows.append(t)
            print(f"round {i + 1}: " + ", ".join(f"{v} {t[v]:.2f} s" for v in variants)
                  + f"; stages/descent {t['stages'] / t['descent']:.3f}, stages/compiles "
                    f"{t['stages'] / t['compiles']:.3f}", flush=True)
    med = {v: statistics.median(r[v] for r in rows) for v in variants}
    print("median CPU: " + ", ".join(f"{v} {med[v]:.2f} s" for v in variants))
    for base in ("descent", "compiles"):
        ratio = statistics.median(r["stages"] / r[base] for r in rows)
        print(f"stages / {base}: median of the per-round ratios {ratio:.3f} "
              f"(+{(ratio - 1) * 100:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
