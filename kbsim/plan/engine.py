"""Which tier runs each make process of a simulation, and the read cache between them.

``Engine.install(sim)`` makes the simulation ask the engine for every make process it
starts (``Simulation.new_process``). For each one the engine looks for a cached read
phase whose observations still hold (observe.py); on a hit it starts a PlanProcess from
the cached Plan without reading; on a miss the reference reads the makefiles (watched by
ObservingFS), freeze() turns what it read into a Plan, and the process runs as a
PlanProcess, or on as the reference when freeze refused it. ``engine="faithful"`` never
asks; ``"plan"`` makes a refusal an error naming the process and the feature.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace

from ..errors import InputError
from ..make.process import MakeProcess
from .freeze import Plan, freeze
from .observe import Observation, ObservingFS, still_true
from .process import PlanProcess

ENGINES = ("auto", "plan", "faithful")


class PlanRefused(InputError):
    """--engine plan on a make process the kernel cannot run."""


@dataclass(frozen=True, eq=False)
class CachedRead:
    """One read phase: what it observed, then its Plan or why there is none."""

    log: tuple[Observation, ...]
    plan: Plan | None
    refusal: str


class ReadCache:
    """Read phases by their key (the command line, directory, level, environment); a key
    can hold several entries (the same make reading different files at different times)."""

    def __init__(self, limit: int = 20_000) -> None:
        self.entries: dict[tuple, list[CachedRead]] = {}
        self.limit = limit  # entries kept (beyond it, the cache starts again empty)
        self.size = 0
        self.hits = 0
        self.misses = 0
        self.added: list[tuple[tuple, CachedRead]] = []  # in order (see since)

    def find(self, key: tuple, fs) -> CachedRead | None:
        for e in self.entries.get(key, ()):
            if still_true(e.log, fs):
                self.hits += 1
                return e
        self.misses += 1
        return None

    def store(self, key: tuple, entry: CachedRead) -> None:
        if self.size >= self.limit:
            self.entries.clear()
            self.added.clear()
            self.size = 0
        self.entries.setdefault(key, []).insert(0, entry)
        self.added.append((key, entry))
        self.size += 1

    def merge(self, entries: list[tuple[tuple, CachedRead]]) -> None:
        """Store ENTRIES (from another process) but those this cache already has."""
        for key, entry in entries:
            if not any(e.log == entry.log for e in self.entries.get(key, ())):
                self.store(key, entry)

    def __len__(self) -> int:
        return self.size


# the read cache of this Python process: every simulation reuses what earlier ones read
# (the passes of one replay, the trials of a whatif worker)
SHARED = ReadCache()


def read_cache() -> ReadCache:
    """The read cache this Python process shares (see SHARED)."""
    return SHARED


def read_key(sim, options, cwd: str, level: int, restarts: int, env: dict) -> tuple:
    """What a read phase depends on besides the filesystem."""
    opts = tuple((k, tuple(v) if isinstance(v, list) else v)
                 for k, v in sorted(vars(options).items()))
    js = sim.jobserver
    # (a traced read keeps its trace events, which an untraced one does not record)
    return (cwd, level, restarts, opts, tuple(sorted(env.items())), sim.make_program,
            None if js is None else js.limited, sim.tracing)


class PrereadProcess(MakeProcess):
    """A reference make process whose read phase the engine ran already (to freeze it):
    main() traces what reading traced, then goes on with the update phase, or raises what
    reading raised, so that it ends exactly as MakeProcess.main would have."""

    read_error: Exception | None = None
    read_events: list = []

    def _main(self) -> int:
        self.sim.events.extend(self.read_events)
        if self.read_error is not None:
            raise self.read_error
        return self.update_phase()


class Engine:
    """The tier chooser of one simulation (see the module docstring)."""

    def __init__(self, mode: str | None = None, cache: ReadCache | None = None):
        """MODE: one of ENGINES; None takes $KBSIM_ENGINE, else "auto" (so a whole test
        suite can be run on one tier)."""
        mode = mode or os.environ.get("KBSIM_ENGINE") or "auto"
        if mode not in ENGINES:
            raise InputError(f"unknown engine {mode!r}; expected one of {', '.join(ENGINES)}")
        self.mode = mode
        self.cache = cache if cache is not None else SHARED
        self.counts: Counter[str] = Counter()  # make processes run by each tier
        self.refusals: Counter[str] = Counter()  # why the reference ran one
        self.sim = None

    def install(self, sim) -> None:
        self.sim = sim
        if self.mode != "faithful":
            sim.new_process = self.new_process

    def tally(self) -> dict[str, int]:
        """Make processes run by each tier in the simulation installed on (--json's
        "engines"): every one not run on the plan ran on the reference, those that
        Simulation.spawn starts itself and all of a faithful run's included."""
        n = len(self.sim.processes) if self.sim is not None else 0
        return {"plan": self.counts["plan"], "faithful": n - self.counts["plan"]}

    def new_process(self, sim, options, cwd, level, restarts, env, parent):
        if options.print_version:  # (make -v reads nothing)
            return self._faithful(MakeProcess(sim, options, cwd, level, restarts, env,
                                              parent), "the option -v")
        key = read_key(sim, options, cwd, level, restarts, env)
        hit = self.cache.find(key, sim.fs)
        if hit is not None:
            if hit.plan is None:
                return self._faithful(MakeProcess(sim, options, cwd, level, restarts, env,
                                                  parent), hit.refusal)
            for stream, text in hit.plan.output:
                sim.write(stream, text)
            self.counts["plan"] += 1
            return PlanProcess(sim, hit.plan, level, restarts, env, parent, sim.next_pid())
        mp = PrereadProcess(sim, options, cwd, level, restarts, env, parent)
        obs = ObservingFS(sim.fs)
        mp.fs = obs
        jobs = options.jobs
        out0 = len(sim.output)
        ev0 = len(sim.events)
        try:
            mp.read_phase()
        except Exception as e:  # ends the process: main() raises it again
            mp.read_error = e
        finally:
            mp.fs = sim.fs
        # the trace events of reading come after the process's 'start' event, which the
        # simulation records once this returns: main() puts them back in their place
        mp.read_events = sim.events[ev0:]
        del sim.events[ev0:]
        if mp.read_error is not None:
            return self._faithful(mp, "reading failed")
        result = freeze(mp) if mp.opts.jobs == jobs else "a makefile changed -j"
        plan = None
        if isinstance(result, Plan):
            plan = replace(result, output=tuple(sim.output[out0:]),
                           events=tuple((e.kind, e.data) for e in mp.read_events))
        if obs.reusable:
            self.cache.store(key, CachedRead(tuple(obs.log), plan,
                                             result if plan is None else ""))
        if plan is None:
            return self._faithful(mp, result)
        self.counts["plan"] += 1
        return PlanProcess(sim, plan, level, restarts, env, parent, mp.pid)

    def _faithful(self, mp: MakeProcess, why: str) -> MakeProcess:
        if self.mode == "plan":
            cmd = " ".join(["make"] + [f"-f {f}" for f in mp.opts.makefiles]
                           + [f"{n}{op}{v}" for n, op, v in mp.opts.variables]
                           + list(mp.opts.goals))
            raise PlanRefused(f"--engine plan: the make process `{cmd}` in {mp.cwd} "
                              f"is outside the plan ({why}); --engine auto runs it on "
                              f"the reference engine")
        self.counts["faithful"] += 1
        self.refusals[why] += 1
        mp.tier = "faithful"
        return mp
