"""``kbsim.replay``: one kbuild build pass by pass, the adjust loop and modpost, as data.

The result has the fields of ``kbsim replay --json`` (the CLI prints
``ReplayResult.to_json()``), the text report (``.text()``), and the dependency graph of
the build as a networkx DiGraph (``.graph()``, the graph ``kbsim graph`` exports).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Optional

from pydantic import Field, PrivateAttr

from ..errors import InputError
from .inputs import Model
from .schema import Engines, Record

if TYPE_CHECKING:
    import networkx as nx


class Compile(Record):
    """One object compiled (``CC``/``AS``), with kbuild's reasons (V=2 wording)."""

    target: str
    tool: str
    reasons: list[str]
    start_ns: int
    end_ns: int
    mtime_ns: int
    exports: list[str] = Field(description="the EXPORT_SYMBOLs compiled in")
    autoksyms_mtime_ns: Optional[int] = Field(description="autoksyms.h's mtime when the "
                                                          "compile read it")
    pass_no: int = Field(0, exclude=True, description="the pass it ran in (not in --json: "
                                                      "there it is the enclosing pass)")


class Touch(Record):
    """One ksym dependency file touched by the adjust script."""

    symbol: str
    path: str
    time_ns: int
    mtime_ns: int
    touches: int = Field(description="1, or more when the race guard looped")


class Adjust(Record):
    """One run of adjust_autoksyms.sh."""

    start_ns: int
    end_ns: int
    tmpnew_mtime_ns: int
    before: int
    after: int
    changed: int
    reexec: Optional[list[str]] = Field(description="the make it exec'd, if any")
    touched: list[Touch]


class Pass(Record):
    """One make pass: the first build, then each pass the adjust script exec'd."""

    pass_no: int = Field(alias="pass")
    command: Optional[list[str]]
    compiled: list[Compile]
    adjust: list[Adjust]


class Rebuild(Record):
    """A target whose recipe the (next) make runs, and why: its stage (``compile``; for a
    captured tree also ``prepare``, ``link``, ``modpost``, ``vmlinux``, ``modfinal``,
    ``boot``), the make pass, and the files the recipe wrote. A filechk target (rewritten
    only when the generator's text differs) has ``content``: ``unchanged``, ``changes``
    (then it is written) or ``unknown`` (an input kbsim cannot see decides; the reason
    names it); null for any other target."""

    target: str
    stage: str
    pass_no: int = Field(alias="pass")
    reasons: list[str]
    writes: list[str]
    content: Optional[str] = None


class Stale(Record):
    """An object whose compiled exports differ from what the final autoksyms.h asks."""

    target: str
    missing: list[str]
    extra: list[str]
    compiled_pass: Optional[int]
    mtime_ns: Optional[int]


class ReplayResult(Record):
    """What ``kbsim replay --json`` reports, typed. ``exit_code``: 1 when modpost fails,
    2 when make failed otherwise, else 0."""

    model: str
    era: str
    granularity: str
    granularity_evidence: str
    jobs: int
    seed: int
    guard: bool
    naming: str
    start_ns: int
    end_ns: int
    passes: list[Pass]
    rebuild: list[Rebuild]
    stale: list[Stale]
    modpost_errors: list[str]
    make_status: int
    exit_code: int
    warnings: list[str]
    # what a captured tree's graph had to assume (an old capture's missing facts)
    notes: list[str] = []
    engines: Engines

    _raw: Any = PrivateAttr(None)  # kbsim.kbuild.replay.ReplayResult
    _run: Any = PrivateAttr(None)  # kbsim.report.buildrun.BuildRun (a traced replay)
    _again: Any = PrivateAttr(None)  # () -> BuildRun: the same replay, traced

    def __repr__(self) -> str:  # a notebook shows this: the gist, not 3,000 compiles
        stale = ", ".join(s.target for s in self.stale[:3]) + \
            (f", +{len(self.stale) - 3}" if len(self.stale) > 3 else "")
        return (f"<kbsim.ReplayResult {self.model}: era {self.era}, {self.granularity}, "
                f"-j{self.jobs}, seed {self.seed}, guard {'on' if self.guard else 'off'}; "
                f"{len(self.passes)} pass(es), {len(self.compiles)} compiles, stale [{stale}], "
                f"{len(self.modpost_errors)} modpost error(s), exit {self.exit_code}>")

    __str__ = __repr__

    @property
    def compiles(self) -> list[Compile]:
        """Every compile of every pass, in order (each with its ``pass_no``)."""
        return [c for p in self.passes for c in p.compiled]

    @property
    def failed(self) -> bool:
        """modpost reported undefined symbols."""
        return bool(self.modpost_errors)

    def text(self, full: bool = False) -> str:
        """The report ``kbsim replay`` prints (``full``: every line of the first pass)."""
        from ..report.replay_report import replay_text
        return replay_text(self._raw, full=full)

    def log(self) -> str:
        """Everything the simulated build printed, in order."""
        return self._raw.log()

    def traced(self):
        """The same build with every make decision and file event recorded
        (kbsim.report.buildrun.BuildRun), replayed again with tracing on first use unless
        ``replay(..., trace=True)`` kept it."""
        if self._run is None:
            run = self._again()
            again = _from_raw(run.replay)
            if again.to_json() != self.to_json():  # replays are deterministic
                raise RuntimeError("the traced replay differs from the first one (a kbsim "
                                   "bug; please report it)")
            self._run = run
        return self._run

    def graph(self, target: str | None = None) -> "nx.DiGraph":
        """The dependency graph: files as nodes (``state``: up-to-date, rebuilt, stale,
        missing or phony; ``mtime_ns``, ``inode``, ``file``), edges prerequisite ->
        target with ``relation`` prerequisite or order-only, and names of one file linked
        to a node ``inode:PATH`` by ``alias`` edges. TARGET: only its ancestors and
        descendants. The graph ``kbsim graph`` exports."""
        return graph_of(self.traced(), target)


def graph_of(run, target: str | None = None) -> "nx.DiGraph":
    from ..report import graph as gr
    from ..report.explain import resolve_target
    G = gr.build_graph(run)
    if target is not None:
        name, _ = resolve_target(run, target)
        if name not in G:
            raise InputError(f"{name!r} is not in the dependency graph (make never "
                             f"read a rule or prerequisite naming it)")
        G = gr.limit_to(G, name)
    return G


def _from_raw(raw) -> ReplayResult:
    from ..report.replay_report import replay_json
    res = ReplayResult.model_validate(replay_json(raw))
    for p in res.passes:
        for c in p.compiled:
            c.pass_no = p.pass_no
    res._raw = raw
    return res


def replay(model: str | os.PathLike | Model, *, era: str | None = None,
           granularity: str | None = None, jobs: int | None = None, seed: int | None = None,
           guard: bool | None = None, normalise: str | None = None,
           engine: str | None = None, trace: bool = False,
           cache_dir: str | os.PathLike | None = None, no_cache: bool = False
           ) -> ReplayResult:
    """Replay a kbuild tree: build from clean (a captured tree or build directory: the
    next make), run adjust_autoksyms.sh until nothing changes, then modpost.

    MODEL: a :class:`Model` from :func:`load`, or anything ``load`` takes. Each keyword is
    the ``kbsim replay`` option of the same name; None keeps the model's own setting.
    ERA: ``e1`` ... ``e6``, ``e1-guard``; GRANULARITY: ``ns``, ``jiffy[:HZ]``, ``1s``,
    ``2s``, ``multigrain[:HZ]``; JOBS: make -j; SEED: compile-time jitter and start
    phase; GUARD: force the adjust script's race guard on or off; NORMALISE: the
    dependency naming (a built-in name, a sed expression, or ``python:MOD:FUNC``: your
    own code, which a model file may never name); ENGINE: ``auto``, ``plan`` or
    ``faithful`` (None: ``$KBSIM_ENGINE``, else auto; the results are the same);
    TRACE: record every decision now (``.graph()`` and :func:`kbsim.explain` need it and
    otherwise replay again once); CACHE_DIR, NO_CACHE: the read cache on disk.

    Raises :class:`kbsim.InputError` for bad input. A failing modpost is a result
    (``exit_code`` 1, ``modpost_errors``), not an exception."""
    return run_replay(model, era=era, granularity=granularity, jobs=jobs, seed=seed,
                      guard=guard, normalise=normalise, engine=engine, trace=trace,
                      cache_dir=cache_dir, no_cache=no_cache)


def run_replay(model, *, era=None, granularity=None, jobs=None, seed=None, guard=None,
               normalise=None, engine=None, trace=False, cache_dir=None, no_cache=False,
               watch: Callable | None = None) -> ReplayResult:
    """replay(), and WATCH(sim, runtime) called before make starts (a progress display
    of the CLI; it must return None)."""
    from .replayrun import run_raw
    raw, run, traced_run = run_raw(model, era=era, granularity=granularity, jobs=jobs,
                                   seed=seed, guard=guard, normalise=normalise,
                                   engine=engine, trace=trace, cache_dir=cache_dir,
                                   no_cache=no_cache, watch=watch)
    res = _from_raw(raw)
    res._run = run
    res._again = traced_run
    return res
