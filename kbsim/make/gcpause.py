"""Pausing Python's cyclic garbage collector while kbsim builds large object graphs.

Reading a kbuild tree, capturing one or simulating make creates millions of small
containers (file entries, dependency lists, tuples) that all stay alive until the run
ends. CPython's cyclic collector runs a full collection each time the long-lived
generation grows by a quarter, so building such a graph costs a traversal of everything
built so far again and again: it made loading a 6.1 capture twice as slow. While paused,
objects are still freed by reference counting as usual; only the search for unreachable
cycles waits until the pause ends. Nothing in kbsim depends on when cycles are collected
(no finalizers, no weak references), so results are the same.

The cycles a paused block creates go to the oldest generation, where CPython's own
accounting does not see them: a process that ran replay after replay (a notebook, the
test suite) grew by ~30 MB a small replay and never collected them (11 GB before the OOM
killer, 2026-12-07). So a block that leaves garbage behind (a replay: its simulation is
full of cycles once its result is dropped) counts the objects it moved, and the next
such block first runs a full collection once they pass PENDING_LIMIT. A one-shot CLI run
replays once and exits without collecting; a what-if worker frees each trial's graph
itself and collects when its memory grew (experiments/runner.py), which resets the count.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


# objects that blocks leaving garbage moved to the oldest generation since the last full
# collection; about 770,000 for one lindroth-2018 replay, 90,000 for a tenth of it
_pending = 0
PENDING_LIMIT = 1_000_000


def _full_collection_done(phase: str, info: dict) -> None:
    global _pending
    if phase == "stop" and info.get("generation") == 2:
        _pending = 0


gc.callbacks.append(_full_collection_done)


def garbage_freed() -> None:
    """The caller made sure the garbage the blocks left so far is gone (a what-if worker
    breaks each trial's cycles and checks its memory: experiments/runner.py), so no full
    collection is owed for it."""
    global _pending
    _pending = 0


@contextmanager
def paused_gc(leaves_garbage: bool = False):
    """Disable the cyclic collector for the block; restore its previous state after.
    LEAVES_GARBAGE: the block's objects become garbage once its caller drops the result
    (a replay), so they are counted toward the next full collection (see above)."""
    global _pending
    was = gc.isenabled()
    if was and leaves_garbage and _pending > PENDING_LIMIT:
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if leaves_garbage:
            _pending += gc.get_count()[0]  # (young objects made in the block, net)
        if was:
            # Everything allocated meanwhile sits in the youngest generation, and the next
            # allocation would make the collector traverse all of it at once. freeze()
            # then unfreeze() moves it all to the oldest generation instead (and resets
            # the young count), where it is examined at the next full collection, as it
            # would have been anyway once promoted.
            gc.freeze()
            gc.unfreeze()
            gc.enable()
