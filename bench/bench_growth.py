#!/usr/bin/env python3
"""How `kbsim make -n` grows with the size of a makefile, beside GNU make (issue 15.4).

Two shapes, each at doubling sizes (default 10,000, 20,000, 40,000, 80,000 targets):

- wide:  one prerequisite line with N targets and a match-anything rule,
         ``all: t0 t1 ... tN-1`` and ``%:`` with a recipe (every target is remade);
- chain: a dependency chain N deep, ``t0: t1``, ``t1: t2``, ... each with a recipe
         (GNU make walks the whole chain of 'parent' links for every recipe it starts,
         variable.c initialize_file_variables, so it is quadratic here: kbsim must grow
         alike, not faster).

Each size is timed as whole processes from outside (`make -rR -n -C DIR` and
`kbsim make -n -C DIR`, stdout to /dev/null), the two alternating, median of --repeat
runs. Printed per size: both times, kbsim/make, and for each doubling the growth ratio
of each (t(2N) / t(N)) and kbsim's growth over make's (target: <= 1.2 at every step).

    python bench/bench_growth.py                      # both shapes, 10k..80k, 1 run each
    python bench/bench_growth.py --shape wide --repeat 3
    python bench/bench_growth.py --sizes 5000,10000,20000
    python bench/bench_growth.py --cpu    # user+sys seconds of each process, not wall

On a shared machine (other processes on the same cores) wall-clock times stretch with
the load; --cpu counts each process's own CPU time (getrusage of the waited child).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import bytecode  # bench/bytecode.py, beside this script


def write_wide(d: str, n: int) -> None:
    with open(os.path.join(d, "Makefile"), "w") as fh:
        fh.write("all: " + " ".join(f"t{i}" for i in range(n)) + "\n%:\n\ttouch $@\n")


def write_chain(d: str, n: int) -> None:
    with open(os.path.join(d, "Makefile"), "w") as fh:
        fh.write("all: t0\n")
        for i in range(n - 1):
            fh.write(f"t{i}: t{i + 1}\n\ttouch $@\n")
        fh.write(f"t{n - 1}:\n\ttouch $@\n")


SHAPES = {"wide": write_wide, "chain": write_chain}


def _cpu_of_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(argv: list[str], cpu: bool = False) -> float | str:
    """Seconds (wall, or CPU of the process with CPU), or what went wrong (GNU make 4.3
    dies of SIGSEGV on a chain of ~40,000: its recursion outgrows an 8 MB stack)."""
    t = time.perf_counter()
    c = _cpu_of_children()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    s = (_cpu_of_children() - c) if cpu else time.perf_counter() - t
    if p.returncode < 0:
        return f"signal {-p.returncode}"
    if p.returncode != 0:
        return f"exit {p.returncode}"
    return s


def _med(xs: list) -> float | str:
    ok = [x for x in xs if not isinstance(x, str)]
    return statistics.median(ok) if len(ok) == len(xs) else next(
        x for x in xs if isinstance(x, str))


def _cell(x: float | str, width: int) -> str:
    return f"{x:>{width}.2f}" if not isinstance(x, str) else f"{x:>{width}}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", choices=[*SHAPES, "both"], default="both")
    ap.add_argument("--sizes", default="10000,20000,40000,80000")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--cpu", action="store_true",
                    help="time each process's user+sys CPU, not wall-clock")
    ap.add_argument("--make", default="make")
    ap.add_argument("--kbsim", default=None,
                    help="the kbsim command (default: this Python's -m kbsim)")
    a = ap.parse_args()
    print(bytecode.ensure(), flush=True)
    sizes = [int(x) for x in a.sizes.split(",")]
    kbsim = a.kbsim.split() if a.kbsim else [sys.executable, "-m", "kbsim"]
    shapes = list(SHAPES) if a.shape == "both" else [a.shape]
    top = tempfile.mkdtemp(prefix="kbsim-growth-")
    print(f"kbsim make -n vs {a.make} -rR -n, whole processes, median of {a.repeat} "
          f"(alternating), {'CPU (user+sys)' if a.cpu else 'wall-clock'} seconds")
    try:
        for shape in shapes:
            rows = []
            print(f"\n{shape}:")
            print(f"  {'targets':>8} {'make s':>8} {'kbsim s':>8} {'kbsim/make':>10} "
                  f"{'make x':>7} {'kbsim x':>8} {'growth vs make':>15}")
            for n in sizes:
                d = os.path.join(top, f"{shape}-{n}")
                os.makedirs(d)
                SHAPES[shape](d, n)
                tm, tk = [], []
                for _ in range(a.repeat):
                    tm.append(timed([a.make, "-rR", "-n", "-C", d], a.cpu))
                    tk.append(timed(kbsim + ["make", "-n", "-C", d], a.cpu))
                m, k = _med(tm), _med(tk)
                both = not isinstance(m, str) and not isinstance(k, str)
                line = (f"  {n:>8,} {_cell(m, 8)} {_cell(k, 8)} "
                        f"{_cell(k / m if both else '-', 10)}")
                if rows:
                    pm, pk = rows[-1]
                    gm = m / pm if not isinstance(m, str) and not isinstance(pm, str) else "-"
                    gk = k / pk if not isinstance(k, str) and not isinstance(pk, str) else "-"
                    ratio = (gk / gm if not isinstance(gm, str) and not isinstance(gk, str)
                             else "-")
                    line += f" {_cell(gm, 7)} {_cell(gk, 8)} {_cell(ratio, 15)}"
                rows.append((m, k))
                print(line, flush=True)
                shutil.rmtree(d)
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
