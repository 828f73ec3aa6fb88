"""Structured reasons for make's decisions (pydantic models), built from engine Decisions.

The kinds merge CloudBees eMake's reason names with GNU make's own wording
(reference/peers.md section 6): every decision of ``update_file_1`` is one of them.
"""

from __future__ import annotations

from typing import Literal

from .filedb import NEW, NONEXISTENT, OLD, ORDINARY_MAX, ORDINARY_MIN, UNKNOWN

ReasonKind = Literal[
    "target-missing",  # the target does not exist (remake.c: noexist)
    "phony",  # .PHONY targets never exist (file.c snap_deps)
    "prereq-newer",  # a prerequisite is strictly newer (remake.c check_dep)
    "prereq-missing",  # a non-intermediate prerequisite does not exist
    "prereq-phony",  # a phony prerequisite (always "newer")
    "prereq-new",  # a prerequisite is NEW: -W, or remade under -n/-q
    "double-colon-no-prereqs",  # a '::' rule without prerequisites always runs
    "always-make",  # -B
    "no-recipe-no-change",  # existing target without recipe, no prerequisite changed (V13)
    "up-to-date",  # nothing newer: every prerequisite is older or EQUAL (V02)
    "prereq-failed",  # a prerequisite could not be made
    "unknown",
]


def ts_ns(ts: int) -> int | None:
    """Engine timestamp -> ns mtime, or None for missing/unknown/old/new."""
    if ORDINARY_MIN <= ts <= ORDINARY_MAX:
        return ts - ORDINARY_MIN
    return None


def ts_state(ts: int) -> str:
    if ts == NONEXISTENT:
        return "missing"
    if ts == UNKNOWN:
        return "unknown"
    if ts == OLD:
        return "old"
    if ts >= NEW:
        return "new"
    return "present"


def _build_models() -> dict:
    """Reason and DecisionModel, built on first use: creating pydantic models costs
    ~115 ms, and most commands (kbsim replay, make without --json) never ask for them."""
    from pydantic import BaseModel, Field

    class Reason(BaseModel):
        kind: ReasonKind
        prerequisite: str | None = Field(None, description="the prerequisite that decided it")
        prerequisite_mtime_ns: int | None = None
        prerequisite_state: str | None = Field(None, description="present, missing, new, old")
        target_mtime_ns: int | None = None
        target_state: str = "present"
        via: str | None = Field(None, description="intermediate file the prerequisite sits behind")
        newest_prerequisite: str | None = Field(None, description="for up-to-date: the newest one")
        newest_mtime_ns: int | None = None
        equal_mtime: bool = Field(False, description="newest prerequisite stamped exactly like "
                                                     "the target (make needs strictly newer)")
        low_resolution_time: bool = False

    class DecisionModel(BaseModel):
        target: str
        remade: bool
        has_recipe: bool
        newer: list[str] = Field(default_factory=list, description="$? in make's order")
        missing: list[str] = Field(default_factory=list)
        reason: Reason
        process: int = Field(description="simulated make process id")
        time_ns: int = Field(description="simulated time of the decision")

    return {"Reason": Reason, "DecisionModel": DecisionModel}


_MODELS: dict = {}


def __getattr__(name: str):
    """PEP 562: ``reasons.Reason`` and ``reasons.DecisionModel`` are built lazily."""
    if name in ("Reason", "DecisionModel"):
        if not _MODELS:
            _MODELS.update(_build_models())
        return _MODELS[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_model(d) -> "DecisionModel":  # noqa: F821  (built lazily, see __getattr__)
    """Convert an engine Decision (remake.Decision) to its pydantic model."""
    Reason, DecisionModel = __getattr__("Reason"), __getattr__("DecisionModel")
    tgt = ts_ns(d.this_mtime)
    newest = ts_ns(d.newest_mtime) if d.newest is not None else None
    r = Reason(
        kind=d.kind if d.kind in ReasonKind.__args__ else "unknown",  # type: ignore[attr-defined]
        prerequisite=d.prereq,
        prerequisite_mtime_ns=ts_ns(d.prereq_mtime) if d.prereq is not None else None,
        prerequisite_state=ts_state(d.prereq_mtime) if d.prereq is not None else None,
        target_mtime_ns=tgt,
        target_state=ts_state(d.this_mtime),
        via=d.via,
        newest_prerequisite=d.newest,
        newest_mtime_ns=newest,
        equal_mtime=(not d.remade and newest is not None and tgt is not None and newest == tgt),
        low_resolution_time=d.low_res,
    )
    return DecisionModel(target=d.target, remade=d.remade, has_recipe=d.has_recipe,
                         newer=list(dict.fromkeys(d.newer)), missing=list(d.missing), reason=r,
                         process=d.pid, time_ns=d.time_ns)
