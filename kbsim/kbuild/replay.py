"""Replay a kbuild tree: a full build from clean, every adjust pass, then modpost.

The build runs through the make engine on the simulated filesystem: the era's makefiles
(kbuild/layout.py) with the kbuild commands (kbuild/commands.py) as recipes, ``-j`` jobs on
the jobserver, one sub-make per directory with a fresh stat cache, and the adjust step
re-running make until nothing changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..fs import NS_PER_S, Clock, SimFS, parse_granularity
from ..make import MakeOptions, Simulation
from ..make.errors import MakeError
from ..make.gcpause import paused_gc
from ..plan import Engine
from .commands import AdjustRecord, CompileRecord, KbuildRuntime
from .eras import Era, get_era, with_formats
from .layout import AUTOKSYMS, kbuild_include, lay_out
from .steps import TreeSteps
from .treegraph import lay_out_tree
from .naming import Naming, get_naming
from .objects import ObjectContent, parse_autoksyms
from .spec import BuildSpec


@dataclass
class StaleObject:
    target: str
    missing: list[str]  # asked for by the final autoksyms.h, not compiled in
    extra: list[str]  # compiled in, no longer asked for
    compiled_pass: int | None
    mtime_ns: int | None


@dataclass
class ReplayResult:
    spec: BuildSpec
    era: Era
    naming: Naming
    guard: bool
    granularity: str
    jobs: int
    seed: int
    start_ns: int
    end_ns: int
    make_status: int
    compiles: list[CompileRecord]
    adjusts: list[AdjustRecord]
    stale: list[StaleObject]
    modpost_errors: list[str]
    modpost_ran: bool
    output: list[tuple[str, str]]
    warnings: list[str]
    fs: SimFS
    sim: Simulation
    runtime: KbuildRuntime
    pass_commands: list[list[str]] = field(default_factory=list)
    # how the granularity was decided: "" (the model's setting), or the evidence
    granularity_note: str = ""
    engines: dict[str, int] = field(default_factory=dict)  # make processes run by each tier
    # a captured tree's steps after the compiles (archives, modpost, links), in order
    steps: list = field(default_factory=list)

    def rebuilds(self) -> list[dict]:
        """Every target whose recipe the make ran, in the order the recipes started: the
        compiles and (captured trees) the later steps, each with its stage (compile,
        link, modpost, vmlinux, modfinal, boot, prepare), pass, reasons and the files it
        wrote (the target's ``.cmd`` file aside)."""
        tree = self.spec.tree
        rows = []
        for i, c in enumerate(self.compiles):
            tt = tree.targets.get(c.target) if tree is not None else None
            rows.append((c.start_ns, 0, i, {
                "target": c.target, "stage": tt.stage if tt is not None else "compile",
                "pass": c.pass_no, "reasons": c.reasons, "writes": [c.target],
                "content": None}))
        for i, st in enumerate(self.steps):
            rows.append((st.start_ns, 1, i, {
                "target": st.target, "stage": st.stage, "pass": st.pass_no,
                "reasons": st.reasons, "writes": list(st.writes), "content": st.content}))
        return [r for *_, r in sorted(rows, key=lambda x: x[:3])]

    @property
    def make_errors(self) -> list[str]:
        """make's own error lines (``make[1]: *** ...``), in the order make printed them:
        the reason a failed make stopped, whatever else the output holds."""
        out: list[str] = []
        for _, text in self.output:
            for ln in text.splitlines():
                if "*** " in ln and ln.startswith("make") and ln not in out:
                    out.append(ln)
        return out

    @property
    def exit_code(self) -> int:
        """1 when modpost fails (the finding), 2 for any other make failure, else 0."""
        if self.modpost_errors:
            return 1
        return 0 if self.make_status == 0 else 2

    @property
    def passes(self) -> int:
        return max([1] + [c.pass_no for c in self.compiles] + [a.pass_no for a in self.adjusts])

    def log(self) -> str:
        return "".join(t for _, t in self.output)


def start_time(spec: BuildSpec, seed: int) -> int:
    """The build's start: the model's time plus a seeded fraction of a second (the phase
    of the build against the filesystem's second boundaries is part of the luck)."""
    if not spec.start_phase:
        return spec.start_ns
    return spec.start_ns + random.Random(f"{seed}:start").randrange(NS_PER_S)


def replay(spec: BuildSpec, *, era: str | None = None, granularity: str | None = None,
           jobs: int | None = None, seed: int | None = None, guard: bool | None = None,
           naming: str | Naming | None = None, echo=None, trace: bool = False,
           setup=None, engine: str | None = None, read_cache=None) -> ReplayResult:
    """Build SPEC from clean. kbsim.experiments hooks (both optional): NAMING may be a
    ready Naming; SETUP(sim, runtime) runs before make starts and may return a replacement
    Simulation (it must then register the runtime's commands on it). ENGINE: which tier
    runs the make processes (kbsim.plan: "auto", "plan" or "faithful"; None: as
    $KBSIM_ENGINE says, else "auto"); READ_CACHE: the
    kbsim.plan.ReadCache to use (default: the one this Python process shares)."""
    # the whole tree and every make's file table are kept, then dropped (gcpause.py)
    with paused_gc(leaves_garbage=True):
        return _replay(spec, era=era, granularity=granularity, jobs=jobs, seed=seed,
                       guard=guard, naming=naming, echo=echo, trace=trace, setup=setup,
                       engine=engine, read_cache=read_cache)


def _replay(spec: BuildSpec, *, era: str | None, granularity: str | None, jobs: int | None,
            seed: int | None, guard: bool | None, naming: str | Naming | None, echo,
            trace: bool, setup, engine: str | None, read_cache) -> ReplayResult:
    e = with_formats(get_era(era or spec.era), spec.formats)
    if isinstance(naming, Naming):  # kbsim.experiments hook: a naming built elsewhere
        nm = naming
    else:
        # a naming the caller passed may be code it asked for; the spec's own is data
        nm = (get_naming(naming, e.naming, allow_code=True) if naming is not None
              else get_naming(spec.naming, e.naming))
    g = guard if guard is not None else (spec.guard if spec.guard is not None else e.guard)
    if not e.recursion:
        g = False
    gran = parse_granularity(granularity or spec.granularity)
    if granularity is not None:
        gnote = "as asked" + (f" (the tree suggested {spec.granularity}: "
                              f"{spec.granularity_evidence})"
                              if spec.granularity_evidence else "")
    else:
        gnote = spec.granularity_evidence
    j = jobs or spec.jobs
    s = spec.seed if seed is None else seed
    t0 = spec.now_ns if spec.now_ns is not None else start_time(spec, s)
    fs = SimFS(Clock(t0), gran)
    if spec.tree is not None:  # a captured tree: the era's stages after the compiles too
        lay_out_tree(fs, spec, e, kbuild_include(e))
    else:
        lay_out(fs, spec, e, nm)
    sim = Simulation(fs, echo=echo, trace=trace, record=trace)
    rt = KbuildRuntime(spec, e, nm, g, s, fs, spec.root)
    rt.register(sim.shell)
    steps = None
    if spec.tree is not None:
        rt.objects.update({o.path: o for o in spec.tree_objects})
        steps = TreeSteps(rt, spec.tree)
        steps.register(sim.shell)
    if setup is not None:  # kbsim.experiments hook (stat-cache what-ifs, input stamps)
        sim = setup(sim, rt) or sim
    eng = Engine(engine, read_cache)
    eng.install(sim)
    # (kbuild's top Makefile sets MAKEFLAGS += -rR: no built-in rules or variables)
    opts = MakeOptions(jobs=j, print_directory=False, recipe_ns=spec.timing.recipe_ns,
                       no_builtin_rules=True, no_builtin_variables=True)
    fs.clock.advance(spec.timing.top_startup_ns)
    try:
        status = sim.run(opts, spec.root, env={})
    except MakeError as ex:  # a model the engine cannot read is a kbsim bug
        raise RuntimeError(f"kbuild layout rejected by the make engine: {ex.make_text()}")
    stale = find_stale(fs, rt)
    return ReplayResult(spec, e, nm, g, gran.name, j, s, t0, fs.clock.now, status,
                        rt.compiles, rt.adjusts, stale,
                        rt.modpost.errors if rt.modpost else [], rt.modpost is not None,
                        sim.output, list(sim.warnings), fs, sim, rt,
                        [argv for _, argv in rt.make_starts], gnote, eng.tally(),
                        steps.records if steps is not None else [])


def find_stale(fs: SimFS, rt: KbuildRuntime) -> list[StaleObject]:
    """Objects whose compiled exports differ from what the final autoksyms.h asks for.

    None from v6.5 (e6): an object then carries every EXPORT_SYMBOL as an .export_symbol
    entry and modpost writes the KSYMTAB entries (5e9e95cc9148), so no object can hold a
    stale set of exports."""
    if not rt.era.recursion:
        return []
    try:
        wanted = set(parse_autoksyms(fs.read(f"{rt.root}/{AUTOKSYMS}").decode()))
    except OSError:
        wanted = set()
    out = []
    for path, o in rt.objects.items():
        if not o.exports:
            continue
        try:
            data = fs.read(f"{rt.root}/{path}")
        except OSError:
            continue
        c = ObjectContent.parse(data)
        if c is None:
            continue
        should = [x for x in o.exports if x in wanted] if rt.era.recursion else list(o.exports)
        missing = [x for x in should if x not in c.exports]
        extra = [x for x in c.exports if x not in should]
        if missing or extra:
            out.append(StaleObject(path, missing, extra, c.compiled_pass,
                                   fs.mtime(f"{rt.root}/{path}")))
    return out
