"""One simulated build, seen from the teaching commands (explain, trace, graph, timeline).

A :class:`BuildRun` wraps either a kbuild replay of a model or captured tree (traced, with
every make decision recorded) or ``make`` simulated read-only in a real directory, and
answers the questions the reports ask: which make processes ran, what each decided about a
name, what it saw when it stat'ed a name, which names reach the same file, and the whole
build as one ordered stream of events.

The make engine emits start/stat/lstat/readdir/read/run/reexec/exit events, and keeps its
decisions per process. In a directory run kbsim adds a ``decide`` event through the
simulation's ``on_decision`` hook, so decisions sit exactly where make took them. A kbuild
replay creates its simulation itself, so there the decisions are placed afterwards (see
:func:`merged_events`); the kbuild layer's own records (compiles, the adjust script's
touches, the exec of the next pass, modpost) are added by their simulated times.
"""

from __future__ import annotations

import posixpath

import bisect
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..fs import Clock, GranularityError, SimFS, parse_granularity, real_fs
from ..make import MakeError, MakeOptions, simulate_make
from ..make.filedb import NONEXISTENT, ORDINARY_MAX, ORDINARY_MIN
from ..make.sim import Event, Simulation


def ts_ns(ts: int) -> int | None:
    """An engine timestamp as ns (None for missing, unknown, -o old, -W new)."""
    return ts - ORDINARY_MIN if ORDINARY_MIN <= ts <= ORDINARY_MAX else None


@dataclass
class XEvent:
    """One step of the narrated build: a make event, a decision, or a kbuild record."""

    time_ns: int
    pid: int  # 0 for kbuild's own steps outside make's bookkeeping
    level: int
    kind: str
    data: dict = field(default_factory=dict)


@dataclass
class BuildRun:
    kind: str  # "model" or "dir"
    label: str
    fs: SimFS
    sim: Simulation
    cwd: str  # the directory make names are relative to
    exit_code: int
    replay: object | None = None  # kbuild.replay.ReplayResult
    spec: object | None = None  # kbuild.spec.BuildSpec
    start_ns: int = 0
    make_stdout: str = ""
    make_stderr: str = ""
    _stat_index: dict | None = None
    _merged: list | None = None

    # ------------------------------------------------------------ processes
    @property
    def processes(self):
        return self.sim.processes

    def proc(self, pid: int):
        m = self.__dict__.get("_procs")
        if m is None or len(m) != len(self.sim.processes):
            m = self.__dict__["_procs"] = {p.pid: p for p in self.sim.processes}
        return m.get(pid)

    def command_of(self, proc) -> str:
        o = proc.opts
        parts = ["make" if proc.level == 0 else f"make[{proc.level}]"]
        for d in o.directories:
            parts += ["-C", d]
        for f in o.makefiles:
            parts += ["-f", f]
        # a sub-make's command line: its own variables (the ones it inherited from the
        # parent through MAKEFLAGS come first, and its own assignment of a name wins)
        last = {n: i for i, (n, _, _) in enumerate(o.variables)}
        parts += [f"{n}{op}{v}" for i, (n, op, v) in enumerate(o.variables)
                  if last[n] == i]
        parts += list(o.goals)
        return " ".join(parts)

    def pass_of(self, proc) -> int | None:
        """Which adjust pass a make process belongs to (kbuild replays only)."""
        if self.replay is None:
            return None
        t = self.process_start(proc)
        n = 1
        for a in self.replay.adjusts:
            if a.reexec and a.end_ns <= t:
                n = a.pass_no + 1
        return n

    def process_start(self, proc) -> int:
        for e in self._events_of(proc.pid):
            if e.kind == "start":
                return e.time_ns
        return self.start_ns

    def process_end(self, proc) -> int:
        evs = self._events_of(proc.pid)
        for e in reversed(evs):
            if e.kind == "exit":
                return e.time_ns
        return evs[-1].time_ns if evs else self.fs.clock.now

    def proc_label(self, proc) -> str:
        lab = f"{self.command_of(proc)} (#{proc.pid}"
        p = self.pass_of(proc)
        if p is not None:
            lab += f", pass {p}"
        if proc.restarts:
            lab += f", restart {proc.restarts}"
        return lab + ")"

    def _events_of(self, pid: int) -> list:
        idx = self._by_pid()
        return idx.get(pid, [])

    def _by_pid(self) -> dict:
        if not hasattr(self, "_pid_events"):
            d: dict[int, list] = {}
            for e in self.sim.events:
                d.setdefault(e.pid, []).append(e)
            self._pid_events = d  # type: ignore[attr-defined]
        return self._pid_events  # type: ignore[attr-defined]

    # ------------------------------------------------------------ names and files
    def decisions_for(self, name: str) -> list[tuple[object, object]]:
        """(process, Decision) for every decision make took about NAME, in time order.
        A make in the run's directory must use NAME itself (another spelling is another
        file-table entry: lesson 5); a make elsewhere (``make -C dir``) matches when its
        name leads to the same path."""
        out = []
        path = None
        for p in self.sim.processes:
            same = p.cwd == self.cwd
            if not same and path is None:
                path = posixpath.normpath(posixpath.join(self.cwd, name))
            for d in p.decisions:
                if d.target == name if same else \
                        posixpath.normpath(posixpath.join(p.cwd, d.target)) == path:
                    out.append((p, d))
        out.sort(key=lambda pd: (pd[1].time_ns, pd[0].pid))
        return out

    def known_names(self) -> set[str]:
        names: set[str] = set()
        for p in self.sim.processes:
            names.update(f.name for f in p.files)
        names.update(d.target for p in self.sim.processes for d in p.decisions)
        return names

    def entry(self, proc, name: str):
        return proc.files.lookup(name)

    def stats_seen(self, pid: int) -> dict[str, list[tuple[int, int | None]]]:
        """name -> [(time_ns, mtime_ns or None)] for every stat process PID made."""
        if self._stat_index is None:
            idx: dict[int, dict[str, list]] = {}
            for e in self.sim.events:
                if e.kind == "stat":
                    idx.setdefault(e.pid, {}).setdefault(e.data.get("file"), []).append(
                        (e.time_ns, e.data.get("mtime")))
            self._stat_index = idx
        return self._stat_index.get(pid, {})

    def seen_mtime(self, proc, name: str, before_ns: int | None = None):
        """What process PROC's stat cache held for NAME: (state, mtime_ns, stat time).

        state is "present", "missing", "unstat'ed", "new" (-W / -n), "old" (-o).
        """
        f = proc.files.lookup(name)
        stats = self.stats_seen(proc.pid).get(f.name if f is not None else name, [])
        pick = None
        if stats:
            # the cache holds the newest stat made by then (a re-stat follows a recipe)
            prior = [s for s in stats if before_ns is None or s[0] <= before_ns]
            pick = prior[-1] if prior else stats[0]
        if pick is not None:
            t, m = pick
            return ("missing", None, t) if m is None else ("present", m, t)
        if f is None:
            return ("unstat'ed", None, None)
        ts = f.mtime_before_update if f.mtime_before_update else f.last_mtime
        ns = ts_ns(ts)
        if ns is not None:
            return ("present", ns, None)
        if ts == NONEXISTENT:
            return ("missing", None, None)
        if ts == 0:
            return ("unstat'ed", None, None)
        return ("old" if ts == 2 else "new", None, None)

    def abs_path(self, name: str, cwd: str | None = None) -> str:
        c = cwd or self.cwd
        return name if name.startswith("/") else c.rstrip("/") + "/" + name

    def display(self, name: str, cwd: str | None = None) -> str:
        """A name as the user sees it: relative to the run's directory when possible."""
        if cwd is None or cwd == self.cwd:
            return name
        full = self.abs_path(name, cwd)
        base = self.cwd.rstrip("/") + "/"
        return full[len(base):] if full.startswith(base) else full

    def inode(self, name: str, cwd: str | None = None) -> int | None:
        return self.fs.ino(name, cwd or self.cwd)

    def canonical(self, name: str, cwd: str | None = None) -> str | None:
        return self.fs.canonical(name, cwd or self.cwd)

    def final_mtime(self, name: str, cwd: str | None = None) -> int | None:
        st = self.fs.lstat(name, cwd or self.cwd)
        if st is None:
            return None
        st2 = self.fs.stat(name, cwd or self.cwd)
        return None if st2 is None else st2.mtime

    def fs_names(self) -> list[str]:
        """Every file under the run's directory, relative to it (for suggestions)."""
        base = self.cwd.rstrip("/") + "/"
        out = []
        if self.kind == "model" or self.fs.root.real is None:  # never walk a real tree
            for p, _ in self.fs.walk_files(self.cwd):
                if p.startswith(base):
                    out.append(p[len(base):])
        return out

    @property
    def store_ns(self) -> int:
        return self.fs.gran.store_ns

    @property
    def granularity_text(self) -> str:
        g = self.fs.gran
        if g.store_ns >= 1_000_000_000 and not g.multigrain:
            return f"{g.store_ns // 1_000_000_000} s filesystem"
        if g.multigrain:
            return f"multigrain filesystem (coarse tick {g.tick_ns / 1e6:g} ms)"
        if g.tick_ns > 1:
            return f"ns filesystem stamped from a {g.tick_ns / 1e6:g} ms jiffy clock"
        return "ns filesystem"

    # ------------------------------------------------------------ kbuild records
    def compiles_of(self, name: str) -> list:
        if self.replay is None:
            return []
        return [c for c in self.replay.compiles if c.target == name]

    def touches_of_inode(self, ino: int | None) -> list[tuple[object, object]]:
        """(AdjustRecord, TouchRecord) for every touch the adjust script made of inode INO."""
        if self.replay is None or ino is None:
            return []
        out = []
        for a in self.replay.adjusts:
            for t in a.touched:
                if self.inode(t.path) == ino:
                    out.append((a, t))
        return out

    # ------------------------------------------------------------ the event stream
    def merged_events(self) -> list[XEvent]:
        if self._merged is None:
            self._merged = merged_events(self)
        return self._merged


# ---------------------------------------------------------------- building runs
def _decide_hook(sim: Simulation) -> None:
    def on_decision(proc, dc) -> None:
        if sim.tracing:
            sim.events.append(Event(sim.clock.now, proc.pid, proc.level, "decide",
                                    {"decision": dc}))
    sim.on_decision = on_decision


def run_dir(directory: str, *, goals: list[str] | None = None,
            makefiles: list[str] | None = None, now_ns: int | None = None,
            granularity: str = "ns", jobs: int = 1,
            env: dict[str, str] | None = None, watch=None) -> BuildRun:
    """Simulate ``make`` in a real directory, read-only, with every decision traced."""
    d = os.path.abspath(directory)
    if not os.path.isdir(d):
        raise InputError(f"{directory}: not a directory")
    try:
        gran = parse_granularity(granularity)
    except GranularityError as e:
        raise InputError(str(e)) from None
    import time
    now = time.time_ns() if now_ns is None else now_ns
    fs = real_fs(Clock(now), gran)
    if not makefiles and not any(fs.exists(n, d) for n in
                                 ("GNUmakefile", "makefile", "Makefile")):
        raise InputError(f"{directory}: no GNUmakefile, makefile or Makefile in it")
    return run_make(fs, d, goals=goals, makefiles=makefiles, jobs=jobs, env=env,
                    label=directory, watch=watch)


def run_make(fs: SimFS, cwd: str, *, goals: list[str] | None = None,
             makefiles: list[str] | None = None, jobs: int = 1,
             env: dict[str, str] | None = None, args: list[str] | None = None,
             label: str | None = None, watch=None) -> BuildRun:
    """Simulate make on FS (simulated or mirroring a real tree) with every decision traced.

    ARGS, if given, is a make command line (``["-W", "d/x.h", "t"]``) used instead of
    GOALS/MAKEFILES/JOBS. Changes stay in FS, in memory. WATCH(sim), if given, is called
    before make starts (a progress display reads the simulation's counters).
    """
    def setup(sim):
        _decide_hook(sim)
        if watch is not None:
            watch(sim)

    from ..make import parse_make_args
    try:
        if args is not None:
            opts = parse_make_args(list(args))
        else:
            opts = MakeOptions(makefiles=list(makefiles or []), goals=list(goals or []),
                               jobs=jobs)
        start = fs.clock.now
        mr = simulate_make(fs, opts, cwd, env=env or {}, trace=True, setup=setup)
    except MakeError as e:
        raise InputError(f"{label or cwd}: {e.make_text()}") from None
    return BuildRun("dir", label or cwd, fs, mr.sim, cwd, mr.exit_code, start_ns=start,
                    make_stdout=mr.stdout, make_stderr=mr.stderr)


def run_model(spec, *, seed: int | None = None, era: str | None = None,
              granularity: str | None = None, jobs: int | None = None,
              guard: bool | None = None, naming: str | None = None,
              label: str | None = None, watch=None, engine: str | None = None,
              read_cache=None) -> BuildRun:
    """Replay a kbuild model with tracing and every make decision recorded. WATCH(sim,
    runtime), if given, is called before make starts (a progress display); it must
    return None. ENGINE, READ_CACHE: as kbuild.replay takes them."""
    from ..kbuild import replay
    from ..kbuild.layout import ROOT
    if granularity is not None:
        try:
            parse_granularity(granularity)
        except GranularityError as e:
            raise InputError(str(e)) from None
    r = replay(spec, era=era, granularity=granularity, jobs=jobs, seed=seed, guard=guard,
               naming=naming, trace=True, setup=watch, engine=engine,
               read_cache=read_cache)
    # a captured tree sits where it was built (spec.root); a model under ROOT
    return BuildRun("model", label or spec.name, r.fs, r.sim, getattr(spec, "root", ROOT),
                    r.exit_code, replay=r,
                    spec=spec, start_ns=r.start_ns, make_stdout=r.log())


def open_run(arg: str, *, seed: int | None = None, era: str | None = None,
             granularity: str | None = None, jobs: int | None = None,
             guard: bool | None = None, naming: str | None = None,
             goals: list[str] | None = None, makefiles: list[str] | None = None,
             now_ns: int | None = None, env: dict[str, str] | None = None,
             allow_dir: bool = True, watch=None, engine: str | None = None,
             read_cache=None) -> BuildRun:
    """A directory means `make` in it, unless it is a kbuild build directory (then it is
    captured, read-only, and its next make replayed, as `kbsim replay BUILD_DIR` does);
    anything else is a model, captured tree or name."""
    from ..tree.capture import is_build_dir
    if Path(arg).is_dir() and not (is_build_dir(arg) and not goals and not makefiles):
        if not allow_dir:
            raise InputError(f"{arg}: is a directory; this command needs a model or a "
                             f"captured tree")
        return run_dir(arg, goals=goals, makefiles=makefiles, now_ns=now_ns,
                       granularity=granularity or "ns", jobs=jobs or 1, env=env,
                       watch=watch)
    from ..tree.registry import load_spec
    spec, _ = load_spec(arg)
    return run_model(spec, seed=seed, era=era, granularity=granularity, jobs=jobs,
                     guard=guard, naming=naming, watch=watch, engine=engine,
                     read_cache=read_cache)


# ---------------------------------------------------------------- merging
def merged_events(run: BuildRun) -> list[XEvent]:
    """Make's events with its decisions in place, plus kbuild's records, in order."""
    events = run.sim.events
    have_decide = any(e.kind == "decide" for e in events)
    out: list[XEvent] = []
    if have_decide:
        out = [XEvent(e.time_ns, e.pid, e.level, e.kind, dict(e.data)) for e in events]
    else:
        after: dict[int, list] = {}  # event index -> decisions placed right after it
        pos_by_pid: dict[int, list[int]] = {}
        for i, e in enumerate(events):
            pos_by_pid.setdefault(e.pid, []).append(i)
        for p in run.sim.processes:
            _place_decisions(run, p, events, pos_by_pid.get(p.pid, []), after)
        for i, e in enumerate(events):
            out.append(XEvent(e.time_ns, e.pid, e.level, e.kind, dict(e.data)))
            for p, d in after.get(i, ()):
                out.append(XEvent(d.time_ns, p.pid, p.level, "decide", {"decision": d}))
    r = run.replay
    if r is None:
        return out
    extra: list[XEvent] = []
    for c in r.compiles:
        extra.append(XEvent(c.end_ns, 0, 0, "compiled", {"record": c}))
    for a in r.adjusts:
        extra.append(XEvent(a.start_ns, 0, 0, "adjust-start", {"record": a}))
        for t in a.touched:
            extra.append(XEvent(t.time_ns, 0, 0, "touch", {"record": t, "adjust": a}))
        extra.append(XEvent(a.end_ns, 0, 0, "adjust-end", {"record": a}))
    mp = getattr(r.runtime, "modpost", None)
    if mp is not None:
        extra.append(XEvent(mp.time_ns, 0, 0, "modpost", {"record": mp}))
    extra.sort(key=lambda x: x.time_ns)
    # a decision is anchored to the make event it follows; sort keys use that event's time
    times: list[int] = []
    last = None
    for e in out:
        if e.kind != "decide" or last is None:
            last = e.time_ns
        times.append(last)
    merged: list[XEvent] = []
    j = 0
    # a record happens at its time, before make's events of that same instant
    for x in extra:
        k = bisect.bisect_left(times, x.time_ns, lo=j)
        merged.extend(out[j:k])
        merged.append(x)
        j = k
    merged.extend(out[j:])
    return merged


def _place_decisions(run: BuildRun, proc, events, positions: list[int], after: dict) -> None:
    """Put each of PROC's decisions after the last of its own events that must precede it.

    Within one make process a decision about T follows the stat of T and of each of its
    prerequisites (``update_file_1`` stats them all first) and the recipes of the targets
    decided before it that had started by then; it precedes T's own recipe. Decisions keep
    their order. Ties at one simulated instant are broken this way; the order within a
    process is exact for everything make printed or ran.
    """
    if not positions:
        return
    stat_pos: dict[str, list[tuple[int, int]]] = {}
    runs: list[tuple[int, int, str]] = []
    for i in positions:
        e = events[i]
        if e.kind == "stat":
            stat_pos.setdefault(e.data.get("file"), []).append((e.time_ns, i))
        elif e.kind == "run":
            runs.append((e.time_ns, i, e.data.get("target")))
    first_stat = next((i for i in positions if events[i].kind == "stat"), positions[0])
    # reading the makefiles comes first: start, read, lstat of $(wildcard)s
    cursor = positions[0]
    for i in positions:
        if i >= first_stat:
            break
        cursor = i
    last = positions[-1]
    if events[last].kind == "exit" and len(positions) > 1:
        last = positions[-2]
    decided: set[str] = set()
    rj = 0
    for d in proc.decisions:
        lo = cursor
        f = proc.files.lookup(d.target)
        names = [d.target] + ([x.name for x in f.deps] if f is not None else [])
        for n in names:
            lst = stat_pos.get(n)
            if not lst:
                continue
            k = bisect.bisect_right(lst, (d.time_ns, 1 << 62)) - 1
            if k >= 0 and lst[k][1] > lo:
                lo = lst[k][1]
        while rj < len(runs) and runs[rj][0] <= d.time_ns and runs[rj][2] in decided:
            if runs[rj][1] > lo:
                lo = runs[rj][1]
            rj += 1
        lo = min(lo, last)
        after.setdefault(lo, []).append((proc, d))
        cursor = lo
        decided.add(d.target)


def rel(path: str, base: str) -> str:
    b = base.rstrip("/") + "/"
    return path[len(b):] if path.startswith(b) else path


__all__ = ["BuildRun", "XEvent", "run_dir", "run_make", "run_model", "open_run",
           "merged_events", "ts_ns", "rel"]
