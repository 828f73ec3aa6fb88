"""The plan tier: make processes run from a frozen, cached read phase (see engine.py).

Imports kbsim.make (the reference tier) and is never imported by it. Every process it runs
must come out as the reference would run it: tests/test_plan_identity.py compares the two
tiers field by field.
"""

from .engine import ENGINES, Engine, PlanRefused, ReadCache

__all__ = ["ENGINES", "Engine", "PlanRefused", "ReadCache"]
