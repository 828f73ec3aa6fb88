"""Put tests/ on sys.path so the test modules can import the oracle harness."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# kbsim keeps a read cache on disk (kbsim.plan.store); the tests' runs keep theirs in a
# directory of their own, never in the user's ~/.cache (and the subprocesses inherit it)
if "KBSIM_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["KBSIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="kbsim-test-cache-")


@pytest.fixture
def default_tier(monkeypatch):
    """For the tests of a cache that only the default tier keeps (a run forced onto the
    reference engine reads and writes none): they run on it even when $KBSIM_ENGINE forces
    a tier for the rest of the suite (docs/plan-tier.md)."""
    monkeypatch.setenv("KBSIM_ENGINE", "auto")
