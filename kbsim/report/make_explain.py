"""Plain-language explanations of make decisions (why, and why not)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..make.reasons import DecisionModel
from .timefmt import clock, delta


def _m(ns: int | None, state: str | None = None) -> str:
    if state == "missing":
        return "missing"
    if state == "new":
        return "treated as infinitely new"
    if state == "old":
        return "treated as very old (-o)"
    return clock(ns)


def explain(d: DecisionModel) -> str:
    r = d.reason
    t = d.target
    k = r.kind
    if k == "target-missing":
        s = f"'{t}' does not exist, so it is made"
    elif k == "phony":
        s = f"'{t}' is .PHONY: it never exists, so its recipe always runs"
    elif k in ("prereq-newer", "prereq-new", "prereq-phony", "prereq-missing"):
        p = r.prerequisite
        via = f" (through the intermediate file '{r.via}')" if r.via else ""
        if k == "prereq-newer":
            gap = (r.prerequisite_mtime_ns or 0) - (r.target_mtime_ns or 0)
            s = (f"'{t}' is remade: prerequisite '{p}'{via} ({_m(r.prerequisite_mtime_ns)}) "
                 f"is newer than the target ({_m(r.target_mtime_ns)}) by {delta(gap)[1:]}")
        elif k == "prereq-new":
            s = (f"'{t}' is remade: prerequisite '{p}'{via} is treated as infinitely new "
                 f"(-W, or it would be remade under -n/-q)")
        elif k == "prereq-phony":
            s = f"'{t}' is remade: prerequisite '{p}'{via} is .PHONY, so always newer"
        else:
            s = f"'{t}' is remade: prerequisite '{p}'{via} does not exist"
    elif k == "double-colon-no-prereqs":
        s = f"'{t}' is a '::' target without prerequisites: its recipe always runs"
    elif k == "always-make":
        s = f"'{t}' is remade because of -B"
    elif k == "no-recipe-no-change":
        s = (f"'{t}' is not remade: it exists, has no recipe, and no prerequisite actually "
             f"changed during this run (make does not pass change through it)")
    elif k == "prereq-failed":
        s = f"'{t}' is not remade: a prerequisite could not be made"
    elif k == "up-to-date":
        if r.newest_prerequisite is None:
            s = f"'{t}' is up to date: it exists and has no prerequisite that could be newer"
        elif r.equal_mtime:
            s = (f"'{t}' is NOT remade: its newest prerequisite '{r.newest_prerequisite}' has "
                 f"exactly the same mtime ({_m(r.newest_mtime_ns)}); make needs strictly newer")
        else:
            gap = (r.target_mtime_ns or 0) - (r.newest_mtime_ns or 0)
            s = (f"'{t}' is up to date: its newest prerequisite '{r.newest_prerequisite}' "
                 f"({_m(r.newest_mtime_ns)}) is older than the target "
                 f"({_m(r.target_mtime_ns, r.target_state)}) by {delta(gap)[1:]}")
    else:
        s = f"'{t}': {k}"
    if r.low_resolution_time:
        s += " [.LOW_RESOLUTION_TIME: the target's mtime was rounded up to its second]"
    if d.remade and d.newer:
        s += f"; $? = {' '.join(d.newer)}"
    return s
