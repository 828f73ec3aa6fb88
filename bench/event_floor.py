#!/usr/bin/env python3
"""How far a whole-replay kernel could go: a replay's simulation against its event skeleton.

It counts, in one warm replay of MODEL on the plan tier, the scheduler events taken from
the heap, the compiles and the mtime lookups, and times that replay. Then it times a
tight loop that does only that much work: the same number of events pushed on and
popped from a heap (eight at a time in flight, as -j8 has), the same number of object
writes into a dict, and the same number of mtime comparisons over a list of ints. The
ratio says how much of a replay's time is the machinery around its events (processes,
recipe lines, the shell's table, path resolution, greenlets) rather than the events
themselves (docs/plan-tier.md, "How far a kernel for the make processes alone could go").

The skeleton decides nothing and is not a simulation: it is the floor below which no
exact simulation of those events can go in Python, not an estimate of one.

Usage: ``python bench/event_floor.py [--model lindroth-2018] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import heapq
import importlib
import random
import statistics
import time


def counted_replay(model: str) -> tuple[dict, float]:
    """The counts of one warm replay of MODEL (a cold one first fills the read cache),
    and the CPU time of that warm replay without the counting."""
    from kbsim.kbuild.replay import replay
    from kbsim.plan import ReadCache
    from kbsim.tree.registry import load_spec
    sim_mod = importlib.import_module("kbsim.make.sim")
    fs_mod = importlib.import_module("kbsim.fs.simfs")
    spec, _ = load_spec(model)
    cache = ReadCache()
    replay(spec, read_cache=cache)
    times = []
    for _ in range(3):
        t = time.process_time()
        replay(spec, read_cache=cache)
        times.append(time.process_time() - t)
    counts = {"events": 0, "mtimes": 0}
    pop, mtime = heapq.heappop, fs_mod.SimFS.mtime

    def counting_pop(heap):
        counts["events"] += 1
        return pop(heap)

    def counting_mtime(self, *args, **kw):
        counts["mtimes"] += 1
        return mtime(self, *args, **kw)

    sim_mod.heapq.heappop = counting_pop  # (the module's own heapq: Simulation.loop)
    fs_mod.SimFS.mtime = counting_mtime
    try:
        result = replay(spec, read_cache=cache)
    finally:
        sim_mod.heapq.heappop = pop
        fs_mod.SimFS.mtime = mtime
    counts["compiles"] = len(result.compiles)
    return counts, statistics.median(times)


def skeleton(events: int, compiles: int, mtimes: int, seed: int = 1) -> float:
    """CPU time of the tight loop described in the module docstring."""
    rnd = random.Random(seed)
    durations = [rnd.randrange(1, 10**6) for _ in range(events)]
    stamps = [rnd.randrange(10**9) for _ in range(20_000)]
    edges = [rnd.randrange(len(stamps)) for _ in range(mtimes)]
    t = time.process_time()
    heap: list = []
    seq = 0
    for i in range(min(8, events)):
        heapq.heappush(heap, (durations[i], seq, i))
        seq += 1
    nxt = len(heap)
    files: dict[str, tuple[int, bytes]] = {}
    while heap:
        now, _, job = heapq.heappop(heap)
        if nxt < events:
            heapq.heappush(heap, (now + durations[nxt], seq, nxt))
            seq += 1
            nxt += 1
        if job < compiles:
            files[f"obj{job}.o"] = (now, b"content")
    target = 500_000_000
    newer = 0
    for e in edges:
        if stamps[e] > target:
            newer += 1
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="lindroth-2018")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    counts, replay_s = counted_replay(a.model)
    floor = statistics.median(skeleton(counts["events"], counts["compiles"], counts["mtimes"])
                              for _ in range(a.repeat))
    print(f"{a.model}: one warm replay (plan tier): {replay_s:.3f} s CPU; "
          f"{counts['events']:,} scheduler events, {counts['compiles']:,} compiles, "
          f"{counts['mtimes']:,} mtime lookups")
    print(f"its event skeleton alone in a tight loop (a floor, not an estimate): "
          f"{floor * 1000:.1f} ms CPU, 1/{replay_s / floor:.0f} of the replay")


if __name__ == "__main__":
    main()
