#!/usr/bin/env python3
"""Count the machine instructions of one replay under valgrind's callgrind.

On a shared VM the wall and CPU times of the same replay drift by a third between runs;
an instruction count does not (callgrind counts instructions, not seconds), so this is
the measure for engine changes worth a few percent. It runs a replay once in a child
process under ``valgrind --tool=callgrind`` for each source tree given (``PYTHONPATH``
points the child at it) and prints the instruction counts and their ratio to the first.
The count covers the whole child: interpreter start, imports, loading the model and the
replay. Under callgrind a replay runs about 50 times slower (a lindroth-2018 replay takes
about 4 minutes); the trees run in parallel, one per core.

Usage: ``python bench/count_instructions.py [--model lindroth-2018] [--seed 0]
[--engine auto|plan|faithful] [--replays N] TREE...``. With ``--replays N`` the child
replays N times in one process (the plan's later replays start from the read cache the
first filled); the difference of the counts for N=2 and N=1 is one warm replay.
where TREE is a checkout of kbsim (the current one if none is given), e.g. the current
code against HEAD: ``git worktree add /tmp/base HEAD`` then
``python bench/count_instructions.py /tmp/base .``. Needs valgrind (Debian: valgrind).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

CHILD = r"""
import sys
import kbsim
from kbsim.kbuild.replay import replay
from kbsim.tree.registry import load_spec
assert kbsim.__file__.startswith(sys.argv[1]), kbsim.__file__
spec, _ = load_spec(sys.argv[2])
for _ in range(int(sys.argv[5])):
    replay(spec, seed=int(sys.argv[3]), engine=sys.argv[4])
"""

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def start(k: int, tree: str, model: str, seed: int, out_dir: str, engine: str = "auto",
          replays: int = 1) -> tuple[subprocess.Popen, str]:
    log = os.path.join(out_dir, f"{k}.log")
    env = dict(os.environ, PYTHONPATH=tree)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           f"--log-file={log}", sys.executable, "-c", CHILD, tree, model, str(seed), engine,
           str(replays)]
    # cwd=TREE: 'python -c' puts the current directory first on sys.path
    return subprocess.Popen(cmd, env=env, cwd=tree, stdout=subprocess.DEVNULL), log


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="*", help="kbsim checkouts (default: this one)")
    ap.add_argument("--model", default="lindroth-2018")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--replays", type=int, default=1)
    a = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("count_instructions: valgrind is not installed", file=sys.stderr)
        return 2
    trees = [os.path.realpath(t) for t in (a.trees or [os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))])]
    counts = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for i in range(0, len(trees), 2):  # two at a time: one per core
            batch = [start(i + j, t, a.model, a.seed, tmp, a.engine, a.replays)
                     for j, t in enumerate(trees[i:i + 2])]
            for p, _ in batch:
                p.wait()
            runs += batch
        for (p, log), tree in zip(runs, trees):
            text = open(log).read()
            m = _REFS.search(text)
            if p.returncode != 0 or m is None:
                tail = "\n".join(text.splitlines()[-5:])
                print(f"count_instructions: the replay under {tree} failed "
                      f"(exit {p.returncode}); valgrind's log ends:\n{tail}", file=sys.stderr)
                return 2
            counts.append(int(m.group(1).replace(",", "")))
    print(f"replay {a.model} --seed {a.seed} --engine {a.engine} x{a.replays}, "
          f"instructions (callgrind):")
    for tree, n in zip(trees, counts):
        print(f"  {n / 1e9:8.3f} G  {n / counts[0]:.3f}x  {tree}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
