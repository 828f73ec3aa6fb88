#!/usr/bin/env python3
"""Profile kbsim ``make -q`` on a tree (e.g. one from gen_kbuild_tree.py).

Prints a phase breakdown (reading makefiles, special targets, remaking the included
makefiles, the goal update) with the process RSS after each phase, SimFS counters, an
estimate of what holds the memory (``--mem``), and cProfile tables sorted by cumulative
and by own time (unless ``--no-cprofile``). Phases are timed by wrapping MakeProcess
methods from outside; nothing in kbsim is changed.

Usage: ``/tmp/venv/bin/python bench/profile_kbsim.py TREE [--no-cprofile] [--mem]
[--top 45] [--out STATS] [-- make args (default -q)]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for ln in fh:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1]) / 1024
    return 0.0


def deep_size_report(r, fs) -> list[tuple[str, float]]:
    """Rough sizes (MB) of the big structures after the run."""
    gs = sys.getsizeof
    proc = r.sim.processes[0]
    out = []
    vs = proc.variables.values()
    out.append((f"variable values ({len(proc.variables)} variables)",
                sum(gs(v.value) for v in vs) / 1e6))
    out.append(("Variable objects", sum(gs(v) for v in vs) / 1e6))
    nodes = []
    stack = [fs.root]
    while stack:
        n = stack.pop()
        nodes.append(n)
        if n.children:
            stack.extend(n.children.values())
    data = sum(len(n.data) for n in nodes if n.data)
    out.append((f"SimFS file contents kept in Node.data ({sum(1 for n in nodes if n.data)} "
                f"files)", data / 1e6))
    out.append((f"SimFS nodes ({len(nodes)}) + children dicts",
                sum(gs(n) + (gs(n.children) if n.children else 0) + gs(n.name)
                    for n in nodes) / 1e6))
    out.append((f"SimFS path cache ({len(fs._cache)} entries, dict + key tuples)",
                (gs(fs._cache) + sum(gs(k) for k in fs._cache)) / 1e6))
    files = list(proc.files)
    out.append((f"FileEntry objects ({len(files)})", sum(gs(f) for f in files) / 1e6))
    out.append(("FileEntry.deps lists", sum(gs(f.deps) for f in files) / 1e6))
    out.append(("FileEntry.chg dicts ('changed' by dep index)",
                sum(gs(f.chg) for f in files if f.chg is not None) / 1e6))
    out.append(("FileEntry.dep_changed lists",
                sum(gs(f.dep_changed) for f in files if f.dep_changed is not None) / 1e6))
    ds = proc.decisions
    out.append((f"Decision objects ({len(ds)}) + newer/missing lists",
                sum(gs(d) + gs(d.newer) + gs(d.missing) for d in ds) / 1e6))
    try:
        from kbsim.make import expand as expand_mod
        comp = getattr(expand_mod, "_COMPILED", None)
        if comp is not None:
            out.append((f"expand._COMPILED cache ({len(comp)} templates, keys only)",
                        (gs(comp) + sum(gs(k) for k in comp)) / 1e6))
    except Exception:  # pragma: no cover
        pass
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("tree")
    ap.add_argument("--no-cprofile", action="store_true", help="phase timings only")
    ap.add_argument("--mem", action="store_true", help="estimate what holds the memory")
    ap.add_argument("--top", type=int, default=45)
    ap.add_argument("--out", help="dump the raw cProfile stats here")
    ap.add_argument("make_args", nargs="*", default=["-q"])
    a = ap.parse_args(argv)

    import kbsim
    from kbsim.fs import Clock, real_fs
    from kbsim.make import process as process_mod
    from kbsim.make import simulate_make

    print(f"kbsim from {os.path.dirname(kbsim.__file__)}; RSS after imports {rss_mb():.0f} MB")
    phases: dict[str, list[float]] = {}
    depth = {"n": 0}

    def wrap(obj, meth, label):
        orig = getattr(obj, meth)

        def wrapper(*args, **kw):
            if depth["n"]:
                return orig(*args, **kw)
            depth["n"] += 1
            t0 = time.perf_counter()
            try:
                return orig(*args, **kw)
            finally:
                depth["n"] -= 1
                ph = phases.setdefault(label, [0.0, 0.0])
                ph[0] += time.perf_counter() - t0
                ph[1] = rss_mb()
        setattr(obj, meth, wrapper)

    wrap(process_mod.MakeProcess, "read_makefile_file", "1 read makefiles (incl. all includes)")
    wrap(process_mod, "apply_special_targets", "2 apply_special_targets")  # imported by name
    wrap(process_mod.MakeProcess, "remake_makefiles", "3 remake_makefiles (included files)")
    wrap(process_mod.MakeProcess, "update_goal_chain", "4 update goal chain (the goals)")

    fs = real_fs(Clock(time.time_ns()), "ns")
    tree = os.path.abspath(a.tree)
    prof = None if a.no_cprofile else cProfile.Profile()
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    r = simulate_make(fs, a.make_args, tree, env={})
    if prof:
        prof.disable()
    total = time.perf_counter() - t0
    print(f"exit {r.exit_code}; stdout {r.stdout[:200]!r}; stderr {r.stderr[:200]!r}")
    print(f"total {total:.2f}s{' (under cProfile)' if prof else ''}; RSS now {rss_mb():.0f} MB")
    for k in sorted(phases):
        print(f"  {k:42s} {phases[k][0]:8.2f}s   RSS after: {phases[k][1]:6.0f} MB")
    proc = r.sim.processes[0]
    print(f"files in table {len(proc.files)}, variables {len(proc.variables)}, "
          f"fs.stat_count {fs.stat_count}, fs path cache {len(fs._cache)}, "
          f"decisions {len(proc.decisions)}")
    if a.mem:
        print("memory held at the end (shallow sizes, MB):")
        for label, mb in deep_size_report(r, fs):
            print(f"  {label:62s} {mb:8.1f}")
    if prof:
        if a.out:
            prof.dump_stats(a.out)
        for key in ("cumulative", "tottime"):
            s = io.StringIO()
            pstats.Stats(prof, stream=s).strip_dirs().sort_stats(key).print_stats(a.top)
            print(f"\n===== sorted by {key} =====")
            print(s.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
