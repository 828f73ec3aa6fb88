"""Freeing a finished trial's simulation by reference counting, without the cyclic collector.

A replay's object graph is full of reference cycles: the simulation and its make
processes refer to each other (``proc.sim``, ``sim.processes``, the engine's bound
``new_process``, the jobserver), each process's expander and reader refer back to it,
a process's variable table holds its ``.VARIABLES`` (which holds the table), and every
directory of the simulated filesystem is a cycle (``node.parent``, ``parent.children``,
``node.keys`` naming the resolution caches that hold the node). Left to the cyclic
collector, a lindroth-2018 trial's ~300,000 unreachable objects cost a full collection of
0.4-0.6 s, a third of the trial (a what-if worker used to fork a process per trial to
avoid it, and paid ~0.13 s a trial in copy-on-write page faults and exit instead).

``dismantle`` cuts those edges once the trial's result has been computed from the
replay, so the whole graph goes the moment the last reference to it does. It only
clears per-replay objects (the simulations, their processes, the filesystem built for
the replay, the kbuild runtime): never the model, the plans of the read cache or anything
else a later trial uses. A cycle it does not know (a new attribute somewhere) costs memory,
not correctness: the worker checks its memory after each trial and runs the collector
when it grew (runner._collect_if_grown).
"""

from __future__ import annotations

from ..make.expand import VariableNames


def dismantle(replay_result, sims=()) -> None:
    """Break the cycles of REPLAY_RESULT (a kbuild ReplayResult whose data has been read)
    and of SIMS (further Simulations that ran on its filesystem, e.g. a second build or a
    stat-cache what-if's). Nothing of it may be used afterwards."""
    r = replay_result
    for sim in dict.fromkeys([r.sim, *sims]):  # (once each, in order)
        for p in sim.processes:
            d = p.__dict__
            table = d.get("variables")
            if isinstance(table, dict):
                # every process has a table of its own (PlanProcess copies the Plan's),
                # whose .VARIABLES lists that table
                names = table.get(".VARIABLES")
                if isinstance(names, VariableNames) and names.table is table:
                    del table[".VARIABLES"]
            d.clear()
        sim.__dict__.clear()
    fs = r.fs
    stack = [fs.root]
    while stack:
        node = stack.pop()
        node.parent = None
        node.keys = None
        children = node.children
        if children:
            stack.extend(children.values())
    fs.__dict__.clear()
    r.runtime.__dict__.clear()
    r.__dict__.clear()
