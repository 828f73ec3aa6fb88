#!/usr/bin/env python3
"""Count calls per function in warm in-process replays, to find work done more often
than needed.

cProfile's call counts (not its times, which its overhead distorts) for the functions
of the files matching ``--files``, each with its callers, over ``--replays`` replays
after ``--warm`` untimed ones; and, with ``--args``, for each public method of the
simulated filesystem, how many of its calls repeat a (path, cwd) it was already asked
in the same replay (a lookup answered again), and which call sites ask the most.

Usage: ``python bench/count_calls.py [--model lindroth-2018] [--seed 0] [--warm 2]
[--replays 1] [--files 'fs/simfs|kbuild/'] [--args] [--top 40]``
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import pstats
import re
import sys


def profile_counts(a, replay, spec) -> None:
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(a.replays):
        replay(spec, seed=a.seed, engine=a.engine)
    pr.disable()
    st = pstats.Stats(pr)
    pat = re.compile(a.files)
    rows = []
    for (fn, line, name), (cc, nc, tt, ct, callers) in st.stats.items():
        if pat.search(fn):
            short = fn.split("kbsim/")[-1]
            rows.append((nc, f"{short}:{line} {name}", callers))
    rows.sort(key=lambda r: -r[0])
    for nc, label, callers in rows[:a.top]:
        print(f"{nc / a.replays:10.0f}  {label}")
        by = sorted(((c[1], k) for k, c in callers.items()), reverse=True)
        for n, (cf, cl, cn) in by[:4]:
            print(f"{'':12}{n / a.replays:10.0f} from {cf.split('kbsim/')[-1]}:{cl} {cn}")


_METHODS = ("mtime", "stat", "lstat", "lexists", "exists", "isdir", "isfile", "read",
            "write", "touch", "set_mtime", "mkdir", "ino", "lexisting", "lstat_and_read",
            "listdir", "remove", "rename")


def argument_repeats(a, replay, spec) -> None:
    from kbsim.fs import SimFS
    calls: collections.Counter = collections.Counter()
    seen: dict = {}
    repeats: collections.Counter = collections.Counter()
    sites: collections.Counter = collections.Counter()
    originals = {m: getattr(SimFS, m) for m in _METHODS}

    def wrap(m, fn):
        def counted(self, path, *args, **kw):
            cwd = kw.get("cwd", args[0] if args and m not in ("write", "touch") else
                         args[1] if len(args) > 1 else None)
            key = (tuple(path) if m == "lexisting" else path, cwd)
            calls[m] += 1
            per = seen.setdefault((id(self), m), set())
            if key in per:
                repeats[m] += 1
                f = sys._getframe(1)
                sites[(m, f.f_code.co_filename.split("kbsim/")[-1], f.f_lineno)] += 1
            per.add(key)
            return fn(self, path, *args, **kw)
        return counted

    for m, fn in originals.items():
        setattr(SimFS, m, wrap(m, fn))
    try:
        for _ in range(a.replays):
            seen.clear()
            replay(spec, seed=a.seed, engine=a.engine)
    finally:
        for m, fn in originals.items():
            setattr(SimFS, m, fn)
    print("SimFS method: calls a replay, of which the same (path, cwd) asked again")
    for m, n in calls.most_common():
        print(f"  {m:16}{n / a.replays:10.0f}{repeats[m] / a.replays:10.0f}")
    print("call sites asking again the most:")
    for (m, f, ln), n in sites.most_common(a.top):
        print(f"  {n / a.replays:10.0f}  {m} from {f}:{ln}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="lindroth-2018")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--warm", type=int, default=2, help="untimed replays first")
    ap.add_argument("--replays", type=int, default=1)
    ap.add_argument("--files", default=r"fs/simfs|kbuild/")
    ap.add_argument("--args", action="store_true", help="repeated (path, cwd) per method")
    ap.add_argument("--top", type=int, default=40)
    a = ap.parse_args()
    from kbsim.kbuild.replay import replay
    from kbsim.tree.registry import load_spec
    spec, _ = load_spec(a.model)
    for _ in range(a.warm):
        replay(spec, seed=a.seed, engine=a.engine)
    (argument_repeats if a.args else profile_counts)(a, replay, spec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
