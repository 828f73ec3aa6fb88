"""Replays run with the cyclic collector paused (kbsim/make/gcpause.py); a process that
replays again and again (a notebook, this test suite) must still get their garbage back."""

from __future__ import annotations

import gc
import os

from kbsim.kbuild.replay import replay
from kbsim.make import gcpause
from kbsim.tree.registry import load_spec

HERE = os.path.dirname(os.path.abspath(__file__))


def test_replay_after_replay_does_not_keep_their_garbage(monkeypatch):
    """Each dropped replay leaves its simulation's cycles in the oldest generation, which
    CPython's own accounting never collected: the tracked objects grew by a replay's worth
    each time (2026-12-07, 11 GB in one pytest process)."""
    monkeypatch.setattr(gcpause, "PENDING_LIMIT", 5_000, raising=False)
    spec, _ = load_spec(os.path.join(HERE, "data", "tiny-2018.toml"))
    replay(spec, engine="faithful")
    gc.collect()
    base = len(gc.get_objects())
    sizes = []
    for seed in range(20):
        replay(spec, engine="faithful", seed=seed)  # (the result is dropped at once)
        sizes.append(len(gc.get_objects()) - base)
    one = sizes[0]  # what one replay leaves before any collection
    assert one > 0
    # bounded: the limit plus a replay's objects, not twenty replays' worth
    assert max(sizes) <= 5_000 + 2 * one, sizes
