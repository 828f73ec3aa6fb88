"""Pausing Python's cyclic garbage collector while kbsim builds large object graphs.

Reading a kbuild tree, capturing one or simulating make creates millions of small
containers (file entries, dependency lists, tuples) that all stay alive until the run
ends. CPython's cyclic collector runs a full collection each time the long-lived
generation grows by a quarter, so building such a graph costs a traversal of everything
built so far again and again: it made loading a 6.1 capture twice as slow. While paused,
objects are still freed by reference counting as usual; only the search for unreachable
cycles waits until the pause ends. Nothing in kbsim depends on when cycles are collected
(no finalizers, no weak references), so results are the same.

The cycles a paused block creates go to the oldest generation, which CPython collects
only after enough young collections promote objects into it. A process that runs block
after block (a what-if worker) must therefore call gc.collect() once it drops a graph
(experiments/runner.py does, after each trial); a one-shot CLI run simply exits.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused_gc():
    """Disable the cyclic collector for the block; restore its previous state after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            # Everything allocated meanwhile sits in the youngest generation, and the next
            # allocation would make the collector traverse all of it at once. freeze()
            # then unfreeze() moves it all to the oldest generation instead (and resets
            # the young count), where it is examined at the next full collection, as it
            # would have been anyway once promoted.
            gc.freeze()
            gc.unfreeze()
            gc.enable()
