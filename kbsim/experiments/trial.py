"""One seeded trial: apply a cell's settings to the model, replay it, and measure.

A trial is a pure function of (model, settings, seed): the replay is deterministic and the
result carries no wall-clock data except ``cpu_s`` (kept out of every report that must
be identical across worker counts).

Measured per trial: modpost failure and the failing symbols, the stale objects (compiled
exports differ from the final autoksyms.h), objects rebuilt in passes >= 2, adjust-step
runs, and, at each decision point (a pass started by the adjust step's ``exec make``),
what every rebuild rule (rebuilders.py) would have decided:

- for each stale object, which rules would have caught it at the decision point of the
  pass that followed its last compile;
- for each rule R, a one-step counterfactual: R replaces make's out-of-date rule at the
  last decision point of the build (earlier passes as make ran them). Objects whose
  exports are wrong for the autoksyms.h of that pass and that R does not call dirty stay
  stale; modpost then fails on their missing symbols that a module needs. For R = make
  this recomputation must match the simulation itself under per-make caches
  (``make_rule_agrees``), which cross-checks the recorded stamps against the engine.
"""

from __future__ import annotations

import copy
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace

from ..fs import parse_granularity
from ..kbuild.commands import CompileRecord, InputStamp
from ..kbuild.eras import ERAS
from ..kbuild.layout import AUTOKSYMS
from ..kbuild.objects import parse_autoksyms
from ..kbuild.replay import find_stale, replay
from ..kbuild.spec import BuildSpec
from ..make import MakeOptions
from ..plan import Engine
from . import statcache
from .dismantle import dismantle, free_processes
from .rebuilders import RULES, BuildFacts, DecisionPoint, RuleContext
from .settings import MS, canonical_key, resolve_naming

NS = 1_000_000_000
EDIT_GAP_NS = 60 * NS  # incremental: the developer edits this long after build 1 ends
START_GAP_NS = 5 * NS  # ... and starts make this long after the edit

_SYM = re.compile(r'"([^"]+)" \[')


@dataclass
class StaleRecord:
    target: str
    missing: list[str]
    extra: list[str]
    compiled_pass: int | None  # in the measured build (<= 0: last compiled by build 1)
    caught: dict[str, str | None]  # rule -> reason it is out of date, None: not caught
    # the facts the rules were judged on (None when there was no decision point)
    compile_start_ns: int | None = None
    compile_end_ns: int | None = None
    mtime_ns: int | None = None
    decision_ns: int | None = None
    newest_input: str | None = None
    newest_input_mtime_ns: int | None = None


@dataclass
class RuleOutcome:
    failed: bool
    failed_symbols: list[str]
    stale: list[str]
    rebuilt: int  # objects the rule calls dirty at the decision points of the build


@dataclass
class TrialResult:
    key: tuple[tuple[str, str], ...]  # the simulation settings (rebuilder excluded)
    seed: int
    exit_code: int
    make_status: int
    failed: bool  # modpost reported undefined symbols
    failed_symbols: list[str]
    modpost_errors: list[str]
    stale: list[StaleRecord]
    rebuilt: int  # objects compiled in passes >= 2 of the measured build
    adjust_passes: int  # adjust-step runs in the measured build
    passes: int
    sim_ns: int  # simulated duration of the measured build
    outcomes: dict[str, RuleOutcome] = field(default_factory=dict)
    make_rule_agrees: bool | None = None
    cache_hits: int = 0
    engines: dict[str, int] = field(default_factory=dict)  # make processes run by each tier
    cpu_s: float = 0.0

    def outcome(self, rule: str) -> RuleOutcome:
        if rule == "make" or rule not in self.outcomes:
            return RuleOutcome(self.failed, self.failed_symbols,
                               [s.target for s in self.stale], self.rebuilt)
        return self.outcomes[rule]


@dataclass
class Boundary:
    """The state at a decision point: the adjust step is done and execs make."""

    time_ns: int
    next_pass: int
    wanted: frozenset[str]
    stamps: dict[str, InputStamp]


class History:
    """KbuildRuntime.on_reexec: stamps of every input name seen so far, and the symbols the
    new autoksyms.h asks for, at each decision point."""

    def __init__(self, rt):
        self.rt = rt
        self.boundaries: list[Boundary] = []
        self._names: set[str] = set()
        self._seen = 0

    def on_reexec(self, ctx, rec) -> None:
        rt = self.rt
        for c in rt.compiles[self._seen:]:
            if c.inputs:
                self._names.update(c.inputs)
        self._seen = len(rt.compiles)
        stamps = rt.stamps(ctx, list(self._names))
        try:
            wanted = frozenset(parse_autoksyms(rt.fs.read(AUTOKSYMS, ctx.cwd).decode()))
        except OSError:
            wanted = frozenset()
        self.boundaries.append(Boundary(rt.fs.clock.now, rt.pass_no, wanted, stamps))


# ---------------------------------------------------------------------------- settings
# _apply's results for the model a process runs trials of (one model at a time): equal
# settings give the same spec object, so what is kept per spec (the .cmd texts, commands.py
# _cmd_texts_of) serves every trial of a cell instead of being made again, and held
# again, for each trial
_APPLIED: dict[tuple, tuple] = {}
_APPLIED_TO: list = [None]  # the model they are of
_LATE: dict[int, tuple] = {}  # id(spec2) -> (spec2, its copy for incremental trials)


def _apply(spec: BuildSpec, s: dict[str, str]):
    if _APPLIED_TO[0] is not spec or len(_APPLIED) >= 256:
        _APPLIED.clear()
        _LATE.clear()
        _APPLIED_TO[0] = spec
    key = tuple(sorted(s.items()))
    hit = _APPLIED.get(key)
    if hit is None:
        hit = _APPLIED[key] = _applied(spec, s)
    return hit[0], dict(hit[1])


def _applied(spec: BuildSpec, s: dict[str, str]):
    era = s["era"]
    t = replace(spec.timing, jitter=float(s["compile_jitter"]),
                touch_ns=int(round(float(s["touch_cost"]) * MS)))
    spec2 = replace(spec, timing=t, clock_skew_ns=int(round(float(s["clock_skew"]) * MS)),
                    stat_cache=s["stat_cache"])
    guard = ERAS[era].guard if s["guard"] == "era" else s["guard"] == "on"
    kwargs = dict(era=era, granularity=s["granularity"], jobs=int(s["jobs"]), guard=guard,
                  naming=resolve_naming(s["normalise"], era))
    return spec2, kwargs


def _late_copy(spec2: BuildSpec, late: list[str]) -> tuple[BuildSpec, dict[str, list[str]]]:
    """SPEC2 as build 1 of an incremental trial sees it: a copy, kept for the cell, whose
    late modules' member objects use no symbol yet (build 1 edits them, and build 2 gives
    them back what they use, the dict returned, taken from SPEC2 itself)."""
    hit = _LATE.get(id(spec2))
    if hit is None or hit[0] is not spec2:
        hit = _LATE[id(spec2)] = (spec2, copy.deepcopy(spec2))
    members = {p for m in spec2.modules if m.name in late for p in m.objects}
    saved = {o.path: list(o.undefined) for o in spec2.objects() if o.path in members}
    for o in hit[1].objects():
        if o.path in members:
            o.undefined = []
    return hit[1], saved


def _setup_factory(mode: str, histories: list, sims: list):
    def setup(sim, rt):
        rt.record_inputs = True
        h = History(rt)
        histories.append(h)
        rt.on_reexec = h.on_reexec
        new = statcache.install(sim, rt, mode)
        sims.append(new)
        return new
    return setup


# ---------------------------------------------------------------------------- the trial
def run_trial(spec: BuildSpec, settings: dict[str, str], seed: int,
              engine: str | None = None, free: bool = False) -> TrialResult:
    """One trial; ENGINE: the tier that runs the make processes (kbsim.plan), which
    changes nothing in the result but TrialResult.engines. FREE: break the simulation's
    reference cycles before returning (dismantle.py), so it is freed at once instead of
    waiting for the cyclic collector (a process that runs trial after trial)."""
    t_cpu = time.process_time()
    spec2, kw = _apply(spec, settings)
    late = [] if settings["incremental"] == "off" else settings["incremental"].split("+")
    saved: dict[str, list[str]] = {}
    if late:
        spec2, saved = _late_copy(spec2, late)  # build 1 edits the module objects
    histories: list[History] = []
    sims: list = []
    setup = _setup_factory(settings["stat_cache"], histories, sims)
    r = replay(spec2, seed=seed, setup=setup, engine=engine, **kw)
    engines = Counter(r.engines)
    rt, fs = r.runtime, r.fs
    first_pass, n_compiles0, n_adjusts0, build_start = 1, 0, 0, r.start_ns
    status, stale = r.make_status, r.stale
    if late:
        if free:  # build 1's make processes: nothing of build 2 or the result needs them
            for s1 in dict.fromkeys([r.sim, *sims]):
                free_processes(s1)
        # build 2: the late modules now use their symbols (their sources are edited)
        fs.clock.advance(EDIT_GAP_NS)
        rt.forget_stamps()  # the edit below changes inputs behind the runtime's back
        for path, und in saved.items():
            o = rt.objects[path]
            o.undefined = und
            fs.touch(f"{rt.root}/{o.source}")
        fs.clock.advance(START_GAP_NS)
        first_pass = rt.pass_no + 1
        rt.pass_no = first_pass
        n_compiles0, n_adjusts0 = len(rt.compiles), len(rt.adjusts)
        rt.modpost = None
        build_start = fs.clock.now
        from ..make.sim import Simulation
        sim = Simulation(fs, record=False)
        rt.register(sim.shell)
        sim = setup(sim, rt) or sim
        eng = Engine(engine)
        eng.install(sim)
        fs.clock.advance(spec2.timing.top_startup_ns)
        status = sim.run(MakeOptions(jobs=kw["jobs"], print_directory=False,
                                     recipe_ns=spec2.timing.recipe_ns,
                                     no_builtin_rules=True, no_builtin_variables=True),
                         rt.root, env={})  # (kbuild: MAKEFLAGS += -rR)
        stale = find_stale(fs, rt)
        engines.update(eng.tally())
    compiles = rt.compiles[n_compiles0:]
    adjusts = rt.adjusts[n_adjusts0:]
    errors = list(rt.modpost.errors) if rt.modpost else []
    failed_syms = sorted({m.group(1) for e in errors for m in [_SYM.search(e)] if m})
    passes = max([first_pass] + [c.pass_no for c in compiles] + [a.pass_no for a in adjusts])
    result = TrialResult(
        key=canonical_key(settings),
        seed=seed,
        exit_code=1 if errors else (0 if status == 0 else 2),
        make_status=status, failed=bool(errors), failed_symbols=failed_syms,
        modpost_errors=errors, stale=[],
        rebuilt=sum(1 for c in compiles if c.pass_no > first_pass),
        adjust_passes=len(adjusts), passes=passes - first_pass + 1,
        sim_ns=fs.clock.now - build_start)
    _judge(result, rt, fs, spec2, stale, histories, build_start, first_pass,
           compiles, kw["granularity"])
    result.cache_hits = sum(x.shared.hits for x in sims
                            if getattr(x, "shared", None) is not None)
    result.engines = dict(engines)
    if free:
        dismantle(r, sims + ([sim] if late else []))
    result.cpu_s = time.process_time() - t_cpu
    return result


def _last_compiles(compiles: list[CompileRecord], before_ns: int) -> dict[str, CompileRecord]:
    last: dict[str, CompileRecord] = {}
    for c in compiles:
        if c.end_ns <= before_ns:
            last[c.target] = c
    return last


def _facts(c: CompileRecord) -> BuildFacts:
    return BuildFacts(c.target, c.start_ns, c.end_ns, c.mtime_ns, c.inputs or {})


def _judge(res: TrialResult, rt, fs, spec: BuildSpec, stale, histories, build_start: int,
           first_pass: int, measured_compiles, granularity: str) -> None:
    ctx = RuleContext(parse_granularity(granularity))
    bounds = [b for h in histories for b in h.boundaries]
    bounds.sort(key=lambda b: b.time_ns)
    recursion = rt.era.recursion
    objects = rt.objects
    points: dict[int, DecisionPoint] = {}

    def point(b: Boundary) -> DecisionPoint:
        """The rules' judge at decision point B (what it shares between objects, once)."""
        p = points.get(id(b))
        if p is None:
            p = points[id(b)] = DecisionPoint(b.stamps, ctx)
        return p

    def should(path: str, wanted: frozenset[str]) -> list[str]:
        o = objects[path]
        return [x for x in o.exports if x in wanted] if recursion else list(o.exports)

    # which rules catch each stale object, at the first decision point after its last
    # compile at which its exports were wrong
    all_compiles = rt.compiles
    for s in stale:
        recs = [c for c in all_compiles if c.target == s.target]
        cp = s.compiled_pass - first_pass + 1 if s.compiled_pass is not None else None
        rec = StaleRecord(s.target, list(s.missing), list(s.extra), cp, {})
        if recs:
            c = recs[-1]
            rec.compile_start_ns, rec.compile_end_ns, rec.mtime_ns = (c.start_ns, c.end_ns,
                                                                      c.mtime_ns)
            for b in bounds:
                if b.time_ns >= c.end_ns and sorted(c.exports) != sorted(should(c.target,
                                                                                 b.wanted)):
                    rec.caught = point(b).verdicts(_facts(c))
                    rec.decision_ns = b.time_ns
                    for name in c.inputs or {}:
                        st = b.stamps.get(name)
                        if st is not None and st.mtime_ns is not None and (
                                rec.newest_input_mtime_ns is None
                                or st.mtime_ns > rec.newest_input_mtime_ns):
                            rec.newest_input, rec.newest_input_mtime_ns = name, st.mtime_ns
                    break
        res.stale.append(rec)
    # one-step counterfactual per rule at the build's last decision point
    mine = [b for b in bounds if b.time_ns >= build_start]
    if not mine:
        res.outcomes = {r: RuleOutcome(res.failed, res.failed_symbols,
                                       [x.target for x in res.stale], res.rebuilt)
                        for r in RULES}
        res.make_rule_agrees = True
        return
    b = mine[-1]
    last = _last_compiles(all_compiles, b.time_ns)
    needed = {u for p, o in objects.items() if o.kind == "m" for u in o.undefined}
    needed |= set(spec.whitelist) if rt.era.initial_autoksyms == "gen" else set()
    dirty: dict[str, set[str]] = {r: set() for r in RULES}
    at_b = point(b)
    wrong: dict[str, list[str]] = {}
    for path, c in last.items():
        o = objects.get(path)
        if o is None or not o.exports:
            continue
        want = should(path, b.wanted)
        if sorted(c.exports) != sorted(want):
            wrong[path] = [x for x in want if x not in c.exports]
        v = at_b.verdicts(_facts(c))
        for r, why in v.items():
            if why is not None:
                dirty[r].add(path)
    for r in RULES:
        st = sorted(p for p in wrong if p not in dirty[r])
        syms = sorted({x for p in st for x in wrong[p] if x in needed})
        res.outcomes[r] = RuleOutcome(bool(syms), syms, st, len(dirty[r]))
    # the make rule recomputed from the records must reproduce what the engine did
    after = {c.target for c in measured_compiles if c.start_ns >= b.time_ns
             and c.target in last and objects[c.target].exports}
    res.make_rule_agrees = (dirty["make"] == after and set(res.outcomes["make"].stale)
                            == {x.target for x in res.stale})
