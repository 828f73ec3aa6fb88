"""Rebuild rules ("rebuilders" in Build Systems a la Carte), apart from make's traversal.

Each rule answers one question for one output at one decision point: given what was
recorded about its last build and the state of its inputs now, is it out of date, and why?
Traversal, scheduling and the kbuild passes are elsewhere; a rule sees only these facts:

- ``BuildFacts``: the output's last build (CompileRecord): start and end time, the mtime
  it left, and the stamp of every input name when the build started
  (``CompileRecord.inputs``, filled when ``KbuildRuntime.record_inputs`` is set);
- ``now``: the stamp of each of those names at the decision point;
- ``RuleContext``: the filesystem's timestamp granularity (ninja's log needs it).

The names are those the object's ``.cmd`` lists (source, headers, CONFIG and ksym
wildcards). A name absent at the decision point is not a dependency (``$(wildcard)``
semantics; kbsim never deletes a dependency file during a replay).

Adding a rule is one small class with ``name``, ``title`` and ``dirty()``, registered in
``RULES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from operator import is_
from typing import Mapping

from ..fs import Granularity, format_ns
from ..kbuild.commands import InputStamp

ABSENT = InputStamp(None)


@dataclass(frozen=True)
class BuildFacts:
    target: str
    start_ns: int
    end_ns: int
    mtime_ns: int  # the output's mtime as its build left it (nothing rewrites it since)
    inputs: Mapping[str, InputStamp]  # name -> stamp when the build started


@dataclass(frozen=True)
class RuleContext:
    granularity: Granularity


class Rebuilder:
    name = ""
    title = ""

    def dirty(self, b: BuildFacts, now: Mapping[str, InputStamp],
              ctx: RuleContext) -> str | None:
        """None when up to date, else the reason (one line)."""
        raise NotImplementedError


def _newest(b: BuildFacts, now: Mapping[str, InputStamp]) -> tuple[str | None, int | None]:
    best, best_t = None, None
    for name in b.inputs:
        st = now.get(name, ABSENT)
        if st.mtime_ns is not None and (best_t is None or st.mtime_ns > best_t):
            best, best_t = name, st.mtime_ns
    return best, best_t


class MakeRule(Rebuilder):
    """GNU make (remake.c check_dep / update_file_1): out of date when a prerequisite's
    mtime is strictly newer than the target's; equal means up to date (reference V02)."""

    name = "make"
    title = "make: input mtime > output mtime"

    def dirty(self, b, now, ctx):
        for name in b.inputs:
            st = now.get(name, ABSENT)
            if st.mtime_ns is not None and st.mtime_ns > b.mtime_ns:
                return _make_why(b, name, st.mtime_ns)
        return None


def _make_why(b: BuildFacts, name: str, t: int) -> str:
    return f"{name} is newer than {b.target} ({format_ns(t)} > {format_ns(b.mtime_ns)})"


def ninja_start_stamp(start_ns: int, g: Granularity) -> int:
    """The mtime ninja 1.12 logs for an edge: at StartEdge it writes .ninja_lock and stats
    it (build.cc, PR #1943), so it is a filesystem stamp of the start, as coarse as any
    other. Under multigrain the lock file was stat'ed after its previous write, so its
    next write gets a fine-grained stamp."""
    if g.multigrain:
        return start_ns
    return g.coarse(start_ns)


class NinjaRule(Rebuilder):
    """ninja 1.12 (graph.cc DependencyScan::RecomputeOutputDirty): dirty when the output is
    older than its most recent input, or when the mtime recorded in .ninja_log (the start
    stamp above) is older than the most recent input. Both comparisons are strict."""

    name = "ninja"
    title = "ninja 1.12: newest input mtime > logged start stamp"

    def dirty(self, b, now, ctx):
        newest, t = _newest(b, now)
        if newest is None or t is None:
            return None
        return _ninja_why(b, newest, t, ctx)


def _ninja_why(b: BuildFacts, newest: str, t: int, ctx: RuleContext) -> str | None:
    """NinjaRule's verdict once the newest input NEWEST (mtime T) is known."""
    if b.mtime_ns < t:
        return (f"output {b.target} older than most recent input {newest} "
                f"({format_ns(b.mtime_ns)} vs {format_ns(t)})")
    logged = ninja_start_stamp(b.start_ns, ctx.granularity)
    if logged < t:
        return (f"recorded mtime of {b.target} older than most recent input {newest} "
                f"({format_ns(logged)} vs {format_ns(t)})")
    return None


def _redo_stamp(st: InputStamp) -> tuple:
    return ("missing",) if st.mtime_ns is None else (st.mtime_ns, st.size, st.ino)


class RedoRule(Rebuilder):
    """apenwarr redo (redo/state.py): rebuild when an input's stamp differs from the one
    recorded at the last build; the stamp is mtime, size and inode (mode, uid and gid
    never change in kbsim), and a missing file has its own stamp."""

    name = "redo"
    title = "redo: input (mtime, size, inode) differs from the recorded stamp"

    def dirty(self, b, now, ctx):
        for name, was, st in _inputs_then_and_now(b, now):
            why = _redo_why(name, was, st)
            if why is not None:
                return why
        return None


def _redo_why(name: str, was: InputStamp, st: InputStamp) -> str | None:
    """RedoRule's reason about one input (None: no change it sees)."""
    if _redo_stamp(st) != _redo_stamp(was):
        if was.mtime_ns is None:
            return f"{name} did not exist at the last build"
        return (f"{name} stamp changed (mtime {format_ns(was.mtime_ns)} -> "
                f"{'missing' if st.mtime_ns is None else format_ns(st.mtime_ns)})")
    return None


class HashRule(Rebuilder):
    """A content-hash rule (verifying traces, Build Systems a la Carte): rebuild when an
    input's content digest differs from the recorded one; absence is a value of its own.
    kbuild's ksym files are empty timestamp files: touching one never changes its digest,
    so this rule sees them only when they come into existence."""

    name = "hash"
    title = "hash: input content digest differs (absent counts as a value)"

    def dirty(self, b, now, ctx):
        for name, was, st in _inputs_then_and_now(b, now):
            why = _hash_why(name, was, st)
            if why is not None:
                return why
        return None


def _hash_why(name: str, was: InputStamp, st: InputStamp) -> str | None:
    """HashRule's reason about one input (None: no change it sees)."""
    if (st.mtime_ns is None) != (was.mtime_ns is None):
        return (f"{name} {'appeared' if was.mtime_ns is None else 'vanished'} "
                f"since the last build")
    if st.digest != was.digest:
        return f"{name} content changed"
    return None


def _inputs_then_and_now(b, now):
    """(name, stamp at the last build, stamp now) of each input the last build recorded,
    leaving out names absent both times (nothing to compare)."""
    for name, was in b.inputs.items():
        st = now.get(name, ABSENT)
        if st.mtime_ns is not None or was.mtime_ns is not None:
            yield name, was, st


RULES: dict[str, Rebuilder] = {r.name: r for r in
                               (MakeRule(), NinjaRule(), RedoRule(), HashRule())}


def judge(b: BuildFacts, now: Mapping[str, InputStamp], ctx: RuleContext,
          rules=None) -> dict[str, str | None]:
    """Every rule's verdict on one output at one decision point."""
    return {n: RULES[n].dirty(b, now, ctx) for n in (rules or RULES)}


# ---------------------------------------------------------------------------- many outputs
_BELOW = -(1 << 256)  # below any mtime: stands for an absent input in a list of mtimes


class DecisionPoint:
    """``judge(b, NOW, CTX, RULES)`` for each of many outputs B at one decision point
    (a trial judges every object at each one, ~50 inputs each): the same verdicts, with
    the stock rules' searches done over lists in C. What is shared between outputs is
    done once: the mtime of each name now. For an output, the make rule's first newer
    input and ninja's newest one are found by max() and index() over its inputs' mtimes
    (the first occurrence is what the rules' loops find, with their strict '>'); redo
    and hash start at the first input whose stamp is not the very object recorded at
    the build (equal stamps are one object in a replay, KbuildRuntime._stamp_now; an
    identical stamp is an unchanged one for both). A rule that is not one of the stock
    classes is asked through its own dirty()."""

    def __init__(self, now: Mapping[str, InputStamp], ctx: RuleContext, rules=None):
        self.now = now
        self.ctx = ctx
        self.rules = [(n, RULES[n]) for n in (rules or RULES)]
        self._mtime = {name: (st.mtime_ns if st.mtime_ns is not None else _BELOW)
                       for name, st in now.items()}

    def verdicts(self, b: BuildFacts) -> dict[str, str | None]:
        names = list(b.inputs)
        mts = list(map(self._mtime.get, names, repeat(_BELOW)))
        t = max(mts, default=_BELOW)
        was = nows = None
        first_change = None
        out: dict[str, str | None] = {}
        for n, rule in self.rules:
            kind = rule.__class__
            if kind is MakeRule:
                m = b.mtime_ns
                if t <= m:
                    out[n] = None
                else:
                    i = list(map(m.__lt__, mts)).index(True)  # the first mtime > m
                    out[n] = _make_why(b, names[i], mts[i])
            elif kind is NinjaRule:
                out[n] = None if t == _BELOW else _ninja_why(b, names[mts.index(t)], t,
                                                              self.ctx)
            elif kind is RedoRule or kind is HashRule:
                if was is None:
                    was = list(b.inputs.values())
                    nows = list(map(self.now.get, names, repeat(ABSENT)))
                    same = list(map(is_, was, nows))
                    first_change = same.index(False) if False in same else len(names)
                why_of = _redo_why if kind is RedoRule else _hash_why
                why = None
                for i in range(first_change, len(names)):
                    w, st = was[i], nows[i]
                    if st.mtime_ns is not None or w.mtime_ns is not None:
                        why = why_of(names[i], w, st)
                        if why is not None:
                            break
                out[n] = why
            else:
                out[n] = rule.dirty(b, self.now, self.ctx)
        return out
