"""Why (and why not) a target was rebuilt, with the smallest change that would flip it.

For one target of a :class:`~kbsim.report.buildrun.BuildRun` this collects every decision
make took about it (each make process, each kbuild pass), what each process saw when it
stat'ed the target and its prerequisites, and turns the last decision into plain language:

- rebuilt: the prerequisite that made it out of date, both mtimes and the comparison;
- not rebuilt: the newest prerequisite and why it did not count (older, or EQUAL: make's
  test is strictly newer, ``remake.c`` ``mtime > this_mtime``, V02), or a stat cache that
  kept an old mtime (V14), and the counterfactual: the smallest mtime the prerequisite
  would have needed, rounded up to what the filesystem can store (the next second on a
  1 s filesystem), and how much later its last write would have had to happen.

Names that reach one file (``include/config/ksym///clear/user.h`` and
``include/config/ksym/clear/user.h``) are grouped: make keys its file table by the string
and stats each name once, the kernel folds repeated '/' to one inode.

:func:`check_counterfactual` applies the change in the simulation: it re-runs the make
process that took the last decision on a copy of the final simulated tree, once with the
prerequisite's mtime set as the counterfactual says and once without, and reports whether
the target is rebuilt in each.
"""

from __future__ import annotations

import copy
import difflib
import posixpath

from pydantic import BaseModel, Field

from ..errors import InputError
from ..make.reasons import to_model
from .buildrun import BuildRun, ts_ns
from .make_explain import explain as explain_decision
from .timefmt import clock, delta

NS = 1_000_000_000


# ---------------------------------------------------------------- the data
class PrereqView(BaseModel):
    name: str
    order_only: bool = False
    phony: bool = False
    state: str = Field(description="present, missing, unstat'ed, new (-W/-n), old (-o)")
    mtime_ns: int | None = Field(None, description="the mtime this make process saw")
    stat_time_ns: int | None = Field(None, description="when it stat'ed the name")
    comparison: str = Field(description="newer, equal, older, missing, phony, "
                                        "order-only, unknown (against the target)")
    inode: int | None = None
    final_mtime_ns: int | None = Field(None, description="the file's mtime at the end")


class DecisionView(BaseModel):
    process: int
    command: str
    pass_no: int | None = None
    time_ns: int
    make_remade: bool = Field(description="make's own verdict (it ran the recipe)")
    reason: str = Field(description="make's reason kind (make.reasons)")
    sentence: str = Field(description="make's decision in plain language")
    newer: list[str] = Field(default_factory=list, description="$? in make's order")
    target_state: str
    target_mtime_ns: int | None = None
    has_recipe: bool = False
    rebuilt: bool = Field(description="the target was really rebuilt (compiled, written)")
    kbuild: str | None = Field(None, description="kbuild's if_changed verdict, in words")
    compile: dict | None = None
    newest: str | None = None
    newest_mtime_ns: int | None = None
    prereqs: list[PrereqView] = Field(default_factory=list)


class Touch(BaseModel):
    symbol: str
    path: str
    time_ns: int
    mtime_ns: int
    touches: int
    pass_no: int


class Spelling(BaseModel):
    name: str
    stat_time_ns: int | None = Field(None, description="when the deciding make process "
                                                       "stat'ed this name (None: never)")
    mtime_ns: int | None = Field(None, description="what that stat returned")


class AliasGroup(BaseModel):
    file: str = Field(description="the file all spellings reach (absolute, canonical)")
    inode: int
    spellings: list[str] = Field(description="names make knows for it, each a separate "
                                             "entry in its file table")
    seen: list[Spelling] = Field(default_factory=list,
                                 description="what the deciding make process saw per name")
    touched: list[Touch] = Field(default_factory=list,
                                 description="the adjust script's touches of this file")


class Counterfactual(BaseModel):
    kind: str = Field(description="mtime: a newer prerequisite mtime; cache: make's stat "
                                  "cache hid a change; none: nothing but deleting it")
    prerequisite: str | None = None
    aliases: list[str] = Field(default_factory=list)
    target_mtime_ns: int | None = None
    prerequisite_mtime_ns: int | None = None
    needed_mtime_ns: int | None = Field(None, description="target mtime + 1 ns")
    smallest_storable_ns: int | None = Field(None, description="the first stamp above the "
                                                               "target's this filesystem "
                                                               "can store")
    store_ns: int = 1
    granularity: str = ""
    last_write_ns: int | None = Field(None, description="when the prerequisite was last "
                                                        "written or touched")
    delay_ns: int | None = Field(None, description="how much later that write had to be")
    target_write_ns: int | None = None
    target_earlier_ns: int | None = Field(None, description="or: how much earlier the "
                                                            "target had to be written")
    text: str


class CheckResult(BaseModel):
    command: str
    applied: str
    rebuilt_with_change: bool
    rebuilt_without_change: bool
    confirmed: bool
    text: str


class Explanation(BaseModel):
    target: str
    resolved_from: str | None = None
    run: dict
    exists: bool
    mtime_ns: int | None = None
    file: str | None = None
    inode: int | None = None
    verdict: str = Field(description="rebuilt, not rebuilt, or not considered")
    stale: dict | None = None
    decisions: list[DecisionView] = Field(default_factory=list)
    why: str
    aliases: list[AliasGroup] = Field(default_factory=list)
    counterfactual: Counterfactual | None = None
    chain: list[str] = Field(default_factory=list,
                             description="the decisive prerequisite's own verdict, and its "
                                         "prerequisite's, down to a file without a recipe")
    check: CheckResult | None = None


# ---------------------------------------------------------------- resolving names
def resolve_target(run: BuildRun, target: str) -> tuple[str, str | None]:
    """The make name TARGET means, or InputError with the closest names (difflib)."""
    names = run.known_names()
    tree = run.replay.spec.tree if run.replay is not None else None
    if tree is not None:  # a captured tree's targets, considered by this make or not
        names |= set(tree.targets)
    cand = target
    base = run.cwd.rstrip("/") + "/"
    if cand.startswith(base):
        cand = cand[len(base):]
    while cand.startswith("./") and len(cand) > 2:
        cand = cand[2:].lstrip("/")
    if cand in names:
        return cand, (None if cand == target else target)
    files = set(run.fs_names())
    if cand in files:
        return cand, (None if cand == target else target)
    pool = sorted(names | files)
    suffix = sorted(n for n in pool if n.endswith("/" + cand))
    if len(suffix) == 1:
        return suffix[0], target
    close = suffix[:6]
    if not close:
        close = difflib.get_close_matches(cand, pool, n=6, cutoff=0.6)
    if not close:
        by_base: dict[str, list[str]] = {}
        for n in pool:
            by_base.setdefault(posixpath.basename(n), []).append(n)
        for b in difflib.get_close_matches(posixpath.basename(cand), list(by_base), n=6,
                                           cutoff=0.6):
            close.extend(by_base[b][:2])
        close = close[:6]
    hint = (f"; closest: {', '.join(close)}" if close else
            "; no similar name (kbsim explain needs a name make knows, relative to "
            f"{run.cwd})")
    what = "ambiguous" if len(suffix) > 1 else "unknown"
    raise InputError(f"{what} target {target!r} in {run.label}{hint}")


# ---------------------------------------------------------------- building it
def _cmp(seen: int | None, state: str, target_ns: int | None, target_missing: bool) -> str:
    if state == "missing":
        return "missing"
    if state == "new":
        return "newer"
    if state == "old":
        return "older"
    if seen is None:
        return "unknown"
    if target_missing:
        return "newer"
    if target_ns is None:
        return "unknown"
    if seen > target_ns:
        return "newer"
    return "equal" if seen == target_ns else "older"


def _real_recipe(entry) -> bool:
    return entry is not None and entry.cmds is not None and not entry.cmds.is_empty()


def _is_kbuild_object(run: BuildRun, name: str) -> bool:
    r = run.replay
    if r is None:
        return False
    return name in r.runtime.objects or bool(run.compiles_of(name))


def _observed_after(run: BuildRun, proc, d) -> int | None:
    """The target's mtime after its recipe: the same process's next stat of it (make
    re-stats a target whose recipe ran, notice_finished_file), else its final mtime."""
    for t, m in run.stats_seen(proc.pid).get(d.target, []):
        if t > d.time_ns:
            return m
    return run.final_mtime(d.target, proc.cwd)


def _decision_view(run: BuildRun, proc, d, later_mtime: int | None) -> DecisionView:
    m = to_model(d)
    entry = run.entry(proc, d.target)
    target_ns = ts_ns(d.this_mtime)
    target_missing = m.reason.target_state == "missing"
    prereqs: list[PrereqView] = []
    if entry is not None:
        oo = entry.oo
        seen_names: set[str] = set()
        for i, dep in enumerate(entry.deps):
            if dep.name in seen_names:
                continue
            seen_names.add(dep.name)
            is_oo = bool(oo is not None and i < len(oo) and oo[i])
            state, ns, st = run.seen_mtime(proc, dep.name, d.time_ns)
            if dep.phony:
                comparison = "phony"
            elif is_oo:
                comparison = "order-only"
            else:
                comparison = _cmp(ns, state, target_ns, target_missing)
            prereqs.append(PrereqView(
                name=dep.name, order_only=is_oo, phony=dep.phony, state=state, mtime_ns=ns,
                stat_time_ns=st, comparison=comparison,
                inode=run.inode(dep.name, proc.cwd),
                final_mtime_ns=run.final_mtime(dep.name, proc.cwd)))
    real = _real_recipe(entry)
    end = run.process_end(proc)
    comp = None
    kb = None
    if _is_kbuild_object(run, d.target):
        recs = [c for c in run.compiles_of(d.target) if d.time_ns <= c.start_ns <= end]
        rebuilt = bool(recs)
        if recs:
            c = recs[0]
            comp = {"tool": c.tool, "start_ns": c.start_ns, "end_ns": c.end_ns,
                    "mtime_ns": c.mtime_ns, "exports": list(c.exports),
                    "reasons": list(c.reasons), "autoksyms_mtime_ns": c.saw_autoksyms_ns}
    elif run.kind == "model":
        before = target_ns if not target_missing else None
        rebuilt = d.remade and real and later_mtime is not None and later_mtime != before
    else:
        rebuilt = d.remade and real
    if entry is not None and entry.phony:
        rebuilt = d.remade  # a phony target is "remade" every time, recipe or not
    phony_deps = [p.name for p in prereqs if p.phony]
    if run.kind == "model" and phony_deps and d.remade and real:
        real_newer = [n for n in m.newer if n not in phony_deps]
        if rebuilt and comp is not None:
            kb = "kbuild (V=2): " + "; ".join(comp["reasons"])
        elif rebuilt:
            kb = (f"kbuild's if_changed ran the command ($? without "
                  f"{', '.join(phony_deps)}: {' '.join(real_newer) or 'empty'})")
        elif not real_newer:
            kb = (f"make ran the recipe only because {', '.join(phony_deps)} is .PHONY; "
                  f"kbuild's if_changed found no prerequisite newer than the target "
                  f"($? without {', '.join(phony_deps)} is empty) and the same command "
                  f"line, so nothing was rebuilt")
        else:
            kb = (f"make ran the recipe ($? = {' '.join(m.newer)}) but the file was not "
                  f"rewritten")
    return DecisionView(
        process=proc.pid, command=run.command_of(proc), pass_no=run.pass_of(proc),
        time_ns=d.time_ns, make_remade=d.remade, reason=m.reason.kind,
        sentence=explain_decision(m), newer=m.newer, target_state=m.reason.target_state,
        target_mtime_ns=target_ns, has_recipe=real, rebuilt=rebuilt, kbuild=kb,
        compile=comp, newest=m.reason.newest_prerequisite,
        newest_mtime_ns=m.reason.newest_mtime_ns, prereqs=prereqs)


def _alias_groups(run: BuildRun, proc, dv: DecisionView, name: str) -> list[AliasGroup]:
    by_ino: dict[int, list[str]] = {}
    for p in dv.prereqs:
        if p.inode is not None:
            by_ino.setdefault(p.inode, []).append(p.name)
    ino_t = run.inode(name, proc.cwd)
    if ino_t is not None:
        by_ino.setdefault(ino_t, []).insert(0, name)
    # other names the same make process knows for these files (another rule's spelling)
    if by_ino:
        for f in proc.files:
            if f.name.startswith(".") and f.name[1:2].isupper():
                continue  # .PHONY and the other special targets
            ino = run.inode(f.name, proc.cwd)
            if ino in by_ino and f.name not in by_ino[ino]:
                by_ino[ino].append(f.name)
    groups = []
    for ino, spellings in by_ino.items():
        touched = []
        for a, t in run.touches_of_inode(ino):
            touched.append(Touch(symbol=t.symbol, path=t.path, time_ns=t.time_ns,
                                 mtime_ns=t.mtime_ns, touches=t.touches, pass_no=a.pass_no))
        names = list(dict.fromkeys(spellings))
        extra = [t.path for t in touched if t.path not in names]
        names += list(dict.fromkeys(extra))
        if len(names) < 2:
            continue
        seen = []
        for n in names:
            stats = run.stats_seen(proc.pid).get(n)
            if stats:
                prior = [x for x in stats if x[0] <= dv.time_ns] or stats[:1]
                seen.append(Spelling(name=n, stat_time_ns=prior[0][0], mtime_ns=prior[0][1]))
            else:
                seen.append(Spelling(name=n))
        groups.append(AliasGroup(file=run.canonical(names[0], proc.cwd) or names[0],
                                 inode=ino, spellings=names, seen=seen, touched=touched))
    return groups


def _step_ns(run: BuildRun) -> int:
    g = run.fs.gran
    return max(g.tick_ns, g.store_ns) if not g.multigrain else g.tick_ns


def _last_write(run: BuildRun, name: str, cwd: str, before_ns: int) -> tuple[int | None, str]:
    """When NAME's file was last written before BEFORE_NS, as far as the records show."""
    ino = run.inode(name, cwd)
    best: tuple[int | None, str] = (None, "")
    for a, t in run.touches_of_inode(ino):
        if t.time_ns <= before_ns and (best[0] is None or t.time_ns > best[0]):
            best = (t.time_ns, f"adjust_autoksyms.sh touched it as {t.path} (for "
                               f"{t.symbol}) at {clock(t.time_ns)}, pass {a.pass_no}")
    for c in run.compiles_of(name):
        if c.end_ns <= before_ns and (best[0] is None or c.end_ns > best[0]):
            best = (c.end_ns, f"it was compiled, finishing at {clock(c.end_ns)}")
    return best


def _counterfactual(run: BuildRun, proc, dv: DecisionView, name: str,
                    groups: list[AliasGroup]) -> Counterfactual | None:
    g = run.fs.gran
    S = g.store_ns
    if dv.target_state == "missing" or dv.reason == "phony":
        return None
    t_ns = dv.target_mtime_ns
    cands = [p for p in dv.prereqs if not p.order_only and not p.phony
             and p.state == "present" and p.mtime_ns is not None]
    if t_ns is None:
        return None
    if not cands:
        return Counterfactual(kind="none", target_mtime_ns=t_ns, store_ns=S,
                              granularity=run.granularity_text,
                              text=(f"'{name}' has no prerequisite with an mtime that could "
                                    f"be newer; make remakes it only if it is missing "
                                    f"(delete it) or a prerequisite is added"))
    # a stat cache that kept an older mtime than the file had by the end (V14)
    hidden = [p for p in cands if p.final_mtime_ns is not None and p.mtime_ns is not None
              and p.final_mtime_ns != p.mtime_ns and p.final_mtime_ns > t_ns]
    best = max(cands, key=lambda p: p.mtime_ns)
    if hidden:
        h = max(hidden, key=lambda p: p.final_mtime_ns)
        same = _spellings(groups, h.name)
        alias = [s for s in same if s != h.name]
        txt = (f"'{h.name}' changed after this make process stat'ed it (at "
               f"{clock(h.stat_time_ns)}, when it was {clock(h.mtime_ns)}; by the end it "
               f"is {clock(h.final_mtime_ns)}, newer than '{name}'). make stats each name "
               f"once and re-stats only after that name's own recipe ran, so it compared "
               f"the old mtime. Smallest change: the first stat of '{h.name}' in this "
               f"process had to come after the change (run the step that writes it "
               f"before anything else names it), or '{name}' had to name the file by a "
               f"spelling not stat'ed yet")
        if alias:
            txt += f" (such as {', '.join(repr(a) for a in alias)}, the same file)"
        txt += f". A fresh make would rebuild '{name}' now."
        return Counterfactual(kind="cache", prerequisite=h.name, aliases=alias,
                              target_mtime_ns=t_ns, prerequisite_mtime_ns=h.mtime_ns,
                              needed_mtime_ns=t_ns + 1, smallest_storable_ns=t_ns + 1,
                              store_ns=S, granularity=run.granularity_text, text=txt)
    p_ns = best.mtime_ns
    needed = t_ns + 1
    storable = (t_ns // S + 1) * S
    step = _step_ns(run)
    earliest_now = -(-storable // step) * step if not g.multigrain else storable
    lw, lw_text = _last_write(run, best.name, proc.cwd, dv.time_ns)
    delay = (earliest_now - lw) if lw is not None and earliest_now > lw else None
    same = _spellings(groups, best.name)
    alias = [s for s in same if s != best.name]
    rel = "equal to" if p_ns == t_ns else "older than"
    txt = (f"'{best.name}' would need an mtime at least 1 ns after '{name}''s "
           f"(>= {clock(needed)}); it was {clock(p_ns)}, {rel} the target's "
           f"{clock(t_ns)}")
    if p_ns == t_ns and S > 1:
        txt += (f"; both were stamped {clock(t_ns)[:19]} on a {run.granularity_text}, so "
                f"the smallest newer stamp it can store is {clock(storable)}")
    elif S > 1:
        txt += f"; on a {run.granularity_text} the smallest newer stamp is {clock(storable)}"
    if delay is not None:
        txt += (f". Its last write: {lw_text}; that write had to happen at least "
                f"{delta(delay)[1:]} later, at or after {clock(earliest_now)}")
    tw = None
    earlier = None
    comp_end = [c.end_ns for c in run.compiles_of(name) if c.end_ns <= dv.time_ns]
    if comp_end and p_ns == t_ns:
        tw = max(comp_end)
        # a write at time w gets a stamp <= w; it is older than p_ns if w < p_ns
        if tw >= p_ns:
            earlier = tw - p_ns + 1
            txt += (f"; or '{name}' had to be written before {clock(p_ns)} (it finished "
                    f"at {clock(tw)}, {delta(earlier)[1:]} too late)")
    if alias:
        txt += (f". '{best.name}' is the same file as {', '.join(repr(a) for a in alias)}, "
                f"so a newer stamp on any spelling would do")
    txt += "."
    return Counterfactual(kind="mtime", prerequisite=best.name, aliases=alias,
                          target_mtime_ns=t_ns, prerequisite_mtime_ns=p_ns,
                          needed_mtime_ns=needed, smallest_storable_ns=storable, store_ns=S,
                          granularity=run.granularity_text, last_write_ns=lw,
                          delay_ns=delay, target_write_ns=tw, target_earlier_ns=earlier,
                          text=txt)


def _spellings(groups: list[AliasGroup], name: str) -> list[str]:
    for g in groups:
        if name in g.spellings:
            return g.spellings
    return [name]


def _why(run: BuildRun, name: str, dv: DecisionView, cf: Counterfactual | None) -> str:
    if dv.rebuilt:
        newer = [p for p in dv.prereqs if p.comparison == "newer" and not p.phony]
        if dv.reason == "phony":
            return dv.sentence
        if dv.target_state == "missing":
            return f"'{name}' did not exist, so it was built"
        if newer:
            p = newer[0]
            if p.state == "present" and dv.target_mtime_ns is not None:
                gap = p.mtime_ns - dv.target_mtime_ns
                s = (f"'{p.name}' ({clock(p.mtime_ns)}) is newer than '{name}' "
                     f"({clock(dv.target_mtime_ns)}) by {delta(gap)[1:]}: make's test "
                     f"mtime(prerequisite) > mtime(target) holds")
            else:
                s = f"'{p.name}' is {p.state}, which counts as newer"
            if len(newer) > 1:
                s += f" (also newer: {', '.join(q.name for q in newer[1:6])}"
                s += ", ...)" if len(newer) > 6 else ")"
            return s
        return dv.kbuild or dv.sentence
    cands = [p for p in dv.prereqs if not p.order_only and not p.phony
             and p.state == "present" and p.mtime_ns is not None]
    if not cands:
        return dv.sentence
    best = max(cands, key=lambda p: p.mtime_ns)
    t = dv.target_mtime_ns
    if t is None:
        return dv.sentence
    equal = [p.name for p in cands if p.mtime_ns == t]
    if best.final_mtime_ns is not None and best.final_mtime_ns != best.mtime_ns:
        return (f"its newest prerequisite '{best.name}' was {clock(best.mtime_ns)} when this "
                f"make process stat'ed it (at {clock(best.stat_time_ns)}), "
                f"{'equal to' if best.mtime_ns == t else 'older than'} '{name}' "
                f"({clock(t)}); the file changed later (it is {clock(best.final_mtime_ns)} "
                f"now), but make keeps the first stat of each name")
    if best.mtime_ns == t:
        s = (f"its newest prerequisite '{best.name}' ({clock(best.mtime_ns)}) is EQUAL to "
             f"'{name}' ({clock(t)}), and make's test is strictly newer (remake.c: "
             f"mtime > this_mtime)")
        others = [e for e in equal if e != best.name]
        if others:
            s += f"; also equal: {', '.join(others[:6])}"
        return s
    return (f"its newest prerequisite '{best.name}' ({clock(best.mtime_ns)}) is older than "
            f"'{name}' ({clock(t)}) by {delta(t - best.mtime_ns)[1:]}")


def explain_target(run: BuildRun, target: str, check: bool = False,
                   _depth: int = 0) -> Explanation:
    name, given = resolve_target(run, target)
    pairs = run.decisions_for(name)
    views: list[DecisionView] = []
    for p, d in pairs:
        views.append(_decision_view(run, p, d, _observed_after(run, p, d)))
    info = _run_info(run)
    final_ns = run.final_mtime(name)
    ex = Explanation(target=name, resolved_from=given, run=info, exists=final_ns is not None,
                     mtime_ns=final_ns, file=run.canonical(name), inode=run.inode(name),
                     verdict="not considered", why="")
    st = _stale_info(run, name)
    ex.stale = st
    if not views:
        ex.why = _not_considered(run, name)
        return ex
    ex.decisions = views
    # the decision that counts: the last one whose rule has a real recipe
    k = max((i for i, v in enumerate(views) if v.has_recipe), default=len(views) - 1)
    final = views[k]
    proc = run.proc(final.process)
    ex.verdict = "rebuilt" if final.rebuilt else "not rebuilt"
    groups = _alias_groups(run, proc, final, name)
    ex.aliases = groups
    cf = None if final.rebuilt else _counterfactual(run, proc, final, name, groups)
    ex.counterfactual = cf
    ex.why = _why(run, name, final, cf)
    ex.chain = _chain(run, final, cf, _depth)
    if check and cf is not None and cf.kind in ("mtime", "cache"):
        ex.check = check_counterfactual(run, ex)
    return ex


def _not_considered(run: BuildRun, name: str) -> str:
    """Why no make process took a decision about NAME."""
    from ..kbuild.treegraph import STAGE_MAKEFILES
    r = run.replay
    tree = r.spec.tree if r is not None else None
    tt = tree.targets.get(name) if tree is not None else None
    if tt is None:
        return (f"no make process considered '{name}': it is not a prerequisite of any goal "
                f"that was updated")
    if tt.maker in STAGE_MAKEFILES:
        where = f"{STAGE_MAKEFILES[tt.maker]} (the {tt.stage} stage)"
    elif tt.maker.startswith("dir:"):
        where = f"the sub-make scripts/Makefile.build obj={tt.maker[4:]}"
    else:
        where = "the top-level Makefile"
    why = f"no make process considered '{name}', which {where} makes"
    errs = r.make_errors if r is not None and r.make_status != 0 else []
    if errs:
        why += (": the make stopped before it got there ("
                + "; ".join(e for e in errs[:2]) + ")")
        if r.modpost_errors:
            why += f", after modpost reported {r.modpost_errors[0]}"
    return why


def _chain(run: BuildRun, final: DecisionView, cf: Counterfactual | None,
           depth: int) -> list[str]:
    """Follow the decisive prerequisite while it is itself a target with a recipe."""
    if depth >= 4:
        return []
    if final.rebuilt:
        newer = [p.name for p in final.prereqs if p.comparison == "newer" and not p.phony]
        nxt = newer[0] if newer else None
    else:
        nxt = cf.prerequisite if cf is not None and cf.kind == "mtime" else None
    if nxt is None:
        return []
    pairs = run.decisions_for(nxt)
    if not any(_real_recipe(run.entry(p, nxt)) for p, _ in pairs):
        return []
    sub = explain_target(run, nxt, _depth=depth + 1)
    return [f"'{nxt}' was itself {sub.verdict}: {sub.why}"] + sub.chain


def _run_info(run: BuildRun) -> dict:
    info = {"kind": run.kind, "label": run.label, "granularity": run.fs.gran.name,
            "store_ns": run.fs.gran.store_ns, "exit_code": run.exit_code}
    r = run.replay
    if r is not None:
        info.update({"era": r.era.name, "seed": r.seed, "jobs": r.jobs, "guard": r.guard,
                     "naming": r.naming.name, "passes": r.passes,
                     # a captured tree: its own state, not a seeded build from clean
                     "captured": r.spec.now_ns is not None,
                     "versions": (r.spec.capture.era.versions
                                  if getattr(r.spec, "capture", None) is not None
                                  else r.era.versions),
                     "granularity_evidence": r.granularity_note})
    return info


def _stale_info(run: BuildRun, name: str) -> dict | None:
    r = run.replay
    if r is None:
        return None
    for s in r.stale:
        if s.target == name:
            errs = [e for e in r.modpost_errors
                    if any(f'"{sym}"' in e for sym in s.missing + s.extra)]
            return {"missing": list(s.missing), "extra": list(s.extra),
                    "compiled_pass": s.compiled_pass, "mtime_ns": s.mtime_ns,
                    "modpost_errors": errs}
    return None


# ---------------------------------------------------------------- checking it
def _rerun(run: BuildRun, proc, name: str, change: tuple[str, int] | None) -> bool:
    """Re-run PROC's make command on a copy of the final tree; was NAME rebuilt?"""
    from ..make import Simulation
    fs2 = copy.deepcopy(run.fs)
    if change is not None:
        fs2.set_mtime(change[0], change[1], proc.cwd)
    sim = Simulation(fs2, record=True)
    rt = steps = None
    r = run.replay
    if r is not None:
        from ..kbuild.commands import KbuildRuntime
        rt = KbuildRuntime(r.spec, r.era, r.naming, r.guard, r.seed, fs2, run.cwd)
        rt.pass_no = r.passes + 1
        rt.register(sim.shell)
        if r.spec.tree is not None:  # a captured tree's later stages (kbuild/steps.py)
            from ..kbuild.steps import TreeSteps
            rt.objects.update({o.path: o for o in r.spec.tree_objects})
            steps = TreeSteps(rt, r.spec.tree)
            steps.register(sim.shell)
    opts = proc.opts.copy()
    try:
        sim.run(opts, proc.cwd, dict(proc.env))
    except Exception as e:  # a re-run that cannot finish is reported, not raised
        raise RuntimeError(f"re-running {run.command_of(proc)} failed: {e}") from None
    if rt is not None and _is_kbuild_object(run, name):
        return any(c.target == name for c in rt.compiles)
    if steps is not None and name in r.spec.tree.targets:
        return any(s.target == name for s in steps.records)
    for p in sim.processes:
        for d in p.decisions:
            if d.target == name and d.remade and _real_recipe(p.files.lookup(name)):
                return True
    return False


def check_counterfactual(run: BuildRun, ex: Explanation) -> CheckResult:
    cf = ex.counterfactual
    final = ex.decisions[max((i for i, v in enumerate(ex.decisions) if v.has_recipe),
                             default=len(ex.decisions) - 1)]
    proc = run.proc(final.process)
    cmd = run.command_of(proc)
    without = _rerun(run, proc, ex.target, None)
    if cf.kind == "mtime":
        applied = (f"mtime of '{cf.prerequisite}' set to {clock(cf.smallest_storable_ns)}")
        with_ = _rerun(run, proc, ex.target, (cf.prerequisite, cf.smallest_storable_ns))
        ok = with_ and not without
        txt = (f"re-running `{cmd}` on the final simulated tree: with the {applied} "
               f"'{ex.target}' is {'rebuilt' if with_ else 'NOT rebuilt'}; without the "
               f"change it is {'rebuilt' if without else 'not rebuilt'}"
               f" -> counterfactual {'confirmed' if ok else 'NOT confirmed'}")
    else:
        applied = "nothing (a fresh make process stats every name anew)"
        with_ = without
        ok = without
        txt = (f"re-running `{cmd}` on the final simulated tree with fresh stat caches: "
               f"'{ex.target}' is {'rebuilt' if without else 'not rebuilt'}"
               f" -> the stat cache {'was' if ok else 'was NOT'} what hid the change")
    return CheckResult(command=cmd, applied=applied, rebuilt_with_change=with_,
                       rebuilt_without_change=without, confirmed=ok, text=txt)


# ---------------------------------------------------------------- text
def _seen(p: PrereqView) -> str:
    if p.phony:
        return ".PHONY"
    if p.state != "present":
        return p.state
    return clock(p.mtime_ns)


def render_text(ex: Explanation, run: BuildRun, max_prereqs: int = 12) -> str:
    info = ex.run
    out = []
    head = f"kbsim explain: {ex.target}"
    if info["kind"] == "model" and info.get("captured"):
        head += (f" in {info['label']} (the next make of a captured tree: era "
                 f"{info['era']}, {info['versions']}; {info['granularity']} mtimes)")
    elif info["kind"] == "model":
        head += (f" in {info['label']} (seed {info['seed']}, era {info['era']}, "
                 f"{info['granularity']} mtimes, "
                 f"{'race guard' if info['guard'] else 'no race guard'})")
    else:
        head += f" in {info['label']} (make, {info['granularity']} stamps)"
    out.append(head)
    if ex.resolved_from:
        out.append(f"  ('{ex.resolved_from}' taken to mean '{ex.target}')")
    out.append("")
    verdict = ex.verdict.upper()
    line = f"Verdict: {verdict}"
    if ex.stale:
        miss = " ".join(ex.stale["missing"])
        line += f", and STALE: it lacks the exports {miss} that the final autoksyms.h asks for"
    out.append(line)
    for e in (ex.stale or {}).get("modpost_errors", [])[:4]:
        out.append(f"  modpost: {e}")
    out.append(f"  file: {ex.file or '(missing)'}"
               + (f", inode {ex.inode}, mtime {clock(ex.mtime_ns)}" if ex.exists else ""))
    out.append("")
    if ex.decisions:
        out.append("Decisions, in order:")
        for i, dv in enumerate(ex.decisions, 1):
            where = f"pass {dv.pass_no}, " if dv.pass_no is not None else ""
            out.append(f" {i}. {where}{dv.command} (#{dv.process}) at {clock(dv.time_ns)}:")
            out.append(f"    make: {dv.sentence}")
            if dv.kbuild:
                out.append(f"    {dv.kbuild}")
            if dv.compile:
                c = dv.compile
                out.append(f"    {c['tool']} ran {clock(c['start_ns'])} .. {clock(c['end_ns'])}"
                           f" -> mtime {clock(c['mtime_ns'])}; it read autoksyms.h of "
                           f"{clock(c['autoksyms_mtime_ns'])} and exported "
                           f"{' '.join(c['exports']) or 'nothing'}")
            if not dv.rebuilt and dv.prereqs:
                shown = sorted((p for p in dv.prereqs if not p.phony and not p.order_only),
                               key=lambda p: -(p.mtime_ns or 0))[:3]
                for p in shown:
                    out.append(f"      {p.comparison:>6}: {p.name} {_seen(p)}")
        out.append("")
    out.append(("Why: " if ex.verdict == "rebuilt" else "Why not: ") + ex.why + ".")
    for g in ex.aliases:
        out.append("")
        out.append(f"Aliases: {' and '.join(repr(s) for s in g.spellings)} are spellings of "
                   f"one file, {g.file} (inode {g.inode}). make keys its file table by the "
                   f"string, so each is a separate entry, stat'ed once; the kernel's path "
                   f"lookup reaches the same inode through each.")
        for sp in g.seen:
            if sp.stat_time_ns is None:
                out.append(f"  {sp.name}: not stat'ed by that make process")
            else:
                out.append(f"  {sp.name}: stat'ed at {clock(sp.stat_time_ns)} -> "
                           f"{clock(sp.mtime_ns) if sp.mtime_ns is not None else 'missing'}")
        for t in g.touched:
            out.append(f"  pass {t.pass_no}: adjust_autoksyms.sh touched {t.path} (for "
                       f"{t.symbol}) at {clock(t.time_ns)} -> mtime {clock(t.mtime_ns)}"
                       + (f" ({t.touches} touches, race guard)" if t.touches > 1 else ""))
    for i, c in enumerate(ex.chain):
        out.append(("Chain: " if i == 0 else "       ") + c + ".")
    if ex.counterfactual is not None:
        out.append("")
        out.append("Counterfactual (smallest change): " + ex.counterfactual.text)
    if ex.check is not None:
        out.append("")
        out.append("Check: " + ex.check.text + ".")
    return "\n".join(out) + "\n"


__all__ = ["Explanation", "explain_target", "check_counterfactual", "render_text",
           "resolve_target"]
