"""Freeing a finished trial's simulation by reference counting, without the cyclic collector.

A replay's object graph is full of reference cycles: the simulation and its make
processes refer to each other (``proc.sim``, ``sim.processes``, the engine's bound
``new_process``, the jobserver), each process's expander and reader refer back to it,
a process's variable table holds its ``.VARIABLES`` (which holds the table), a reference
process's file table links each prerequisite back to its target (``parent``), and every
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
from ..make.filedb import FileEntry, FileTable

# the slots of a reference process's FileEntry that hold other entries: the update pass
# points each prerequisite back at the target that needed it (remake.py: d.parent =
# file, as remake.c's check_dep and update_file_1 do), so every target and its
# prerequisites form a cycle; a '::' head is its own double_colon
_ENTRY_LINKS = ("parent", "double_colon", "prev", "renamed", "also_make", "deps")


def dismantle(replay_result, sims=()) -> None:
    """Break the cycles of REPLAY_RESULT (a kbuild ReplayResult whose data has been read)
    and of SIMS (further Simulations that ran on its filesystem, e.g. a second build or a
    stat-cache what-if's). Nothing of it may be used afterwards."""
    r = replay_result
    for sim in dict.fromkeys([r.sim, *sims]):  # (once each, in order)
        free_processes(sim)
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


def _unlink_entries(files: FileTable) -> None:
    """Cut every edge between the FileEntries of one reference make process (FILES
    and the entries reachable from it: '::' chains, renamed ones), so its file table is
    freed with the process. Each process reads into a table of its own (MakeProcess
    makes one; the read cache keeps frozen Plans, not entries), so nothing later sees it."""
    stack = list(files)
    seen = {id(f) for f in stack}
    while stack:
        f = stack.pop()
        for link in _ENTRY_LINKS:
            v = getattr(f, link, None)
            if v is None:
                continue
            for g in (v if isinstance(v, list) else (v,)):
                if isinstance(g, FileEntry) and id(g) not in seen:
                    seen.add(id(g))
                    stack.append(g)
            setattr(f, link, None)


def free_processes(sim) -> None:
    """Break the cycles of SIM's make processes and let them go, leaving SIM, its
    filesystem and the kbuild runtime as they are: an incremental trial's build 1 is
    done with its ~1,200 processes before build 2 starts on the same filesystem."""
    for p in sim.processes:
        d = p.__dict__
        files = d.get("files")
        if isinstance(files, FileTable):  # a reference (faithful) process
            _unlink_entries(files)
        table = d.get("variables")
        if isinstance(table, dict):
            # every process has a table of its own (PlanProcess copies the Plan's),
            # whose .VARIABLES lists that table
            names = table.get(".VARIABLES")
            if isinstance(names, VariableNames) and names.table is table:
                del table[".VARIABLES"]
        d.clear()
    sim.processes.clear()
