"""The simulation: a discrete-event scheduler, the jobserver and the make processes.

In the spirit of SimPy: one environment with ``now`` (the filesystem's clock), timed
callbacks, and processes. Each make process runs in a greenlet and switches to the
scheduler whenever GNU make would block (waiting for a child, a job slot or a jobserver
token). A recipe line is a generator that yields delays; its effects land at the
simulated time they happen. Serial make is the special case of one job slot.
"""

from __future__ import annotations

import heapq
import os
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from greenlet import getcurrent, greenlet

from ..fs import SimFS
from .errors import MakeError
from .gcpause import paused_gc
from .options import MakeOptions
from .process import MakeProcess, ReExec
from .shell import Shell

MAX_RESTARTS = 50
# GNU make has no limit on MAKELEVEL: a recipe that runs $(MAKE) on the same goal starts
# sub-makes until fork fails (measured: 1,077 levels in 5 s). kbsim stops the nesting
# here, as for a make that never exits (process.py HANG_STATUS); real builds nest a few.
MAX_MAKELEVEL = 200
RECURSION_LIMIT = 100_000  # Python frames while a simulation runs (see Simulation.run)


class Deadlock(RuntimeError):
    pass


class Jobserver:
    """GNU make's jobserver: N-1 shared tokens; each process also has one free slot."""

    def __init__(self, jobs: int | None):
        self.limited = jobs is not None
        self.free = (jobs - 1) if jobs is not None else 0
        self.waiters: deque[MakeProcess] = deque()
        self.sim: "Simulation | None" = None

    def try_acquire(self, proc: MakeProcess) -> bool:
        if self.free > 0:
            self.free -= 1
            return True
        if proc not in self.waiters:
            self.waiters.append(proc)
        return False

    def release(self) -> None:
        self.free += 1
        while self.waiters:
            p = self.waiters.popleft()
            if p.waiting is not None:
                self.sim.wake(p)
                break


class Handle:
    """A running make (top level or ``$(MAKE)``): done, status, completion callbacks."""

    def __init__(self) -> None:
        self.done = False
        self.status: int | None = None
        self.callbacks: list[Callable[[int], None]] = []
        self.procs: list[MakeProcess] = []


@dataclass
class Event:
    time_ns: int
    pid: int
    level: int
    kind: str
    data: dict = field(default_factory=dict)


class Simulation:
    def __init__(self, fs: SimFS, *, record: bool = True, trace: bool = False,
                 make_program: str = "make", echo: Callable[[str, str], None] | None = None):
        self.fs = fs
        self.clock = fs.clock
        self.shell = Shell()
        self.record = record
        self.tracing = trace
        self.trace_stats = trace
        self.make_program = make_program
        self.output: list[tuple[str, str]] = []
        self.echo = echo
        self.warnings: list[str] = []
        self.unsupported: list[str] = []
        self.events: list[Event] = []
        self.processes: list[MakeProcess] = []
        self.on_decision = None
        # what runs each make process: MakeProcess (the reference) unless a caller puts
        # another factory here with the same arguments (kbsim.plan's engine)
        self.new_process: Callable[..., MakeProcess] = MakeProcess
        self.jobserver: Jobserver | None = None
        self._pid = 0
        self._heap: list = []
        self._seq = 0
        self._ready: deque = deque()
        self._main = None

    # ------------------------------------------------------------ bookkeeping
    def next_pid(self) -> int:
        self._pid += 1
        return self._pid

    def write(self, stream: str, text: str) -> None:
        self.output.append((stream, text))
        if self.echo is not None:
            self.echo(stream, text)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def event(self, proc: MakeProcess, kind: str, **data) -> None:
        if self.tracing:
            self.events.append(Event(self.clock.now, proc.pid, proc.level, kind, data))

    def stdout(self) -> str:
        return "".join(t for s, t in self.output if s == "out")

    def stderr(self) -> str:
        return "".join(t for s, t in self.output if s == "err")

    # ------------------------------------------------------------ scheduler
    def call_later(self, delay_ns: int, fn, *args) -> None:
        heapq.heappush(self._heap, (self.clock.now + max(0, int(delay_ns)), self._seq, fn, args))
        self._seq += 1

    def wake(self, proc: MakeProcess) -> None:
        if proc.glet is not None and not getattr(proc, "_woken", False):
            proc._woken = True  # type: ignore[attr-defined]
            self._ready.append(proc)

    def block(self, proc: MakeProcess) -> None:
        proc._woken = False  # type: ignore[attr-defined]
        self._main.switch()

    def drive(self, gen, done: Callable[[int], None]) -> None:
        """Run a recipe-line generator: it yields delays (ns) or ('wait', Handle)."""

        send = gen.send
        heap = self._heap
        clock = self.clock

        def step(val=None):
            nonlocal step
            try:
                ev = send(val)
            except StopIteration as e:
                # (no longer refers to itself: a finished simulation is freed by reference
                # counting, without waiting for the cyclic collector; experiments/dismantle.py)
                step = None
                done(int(e.value or 0))
                return
            if isinstance(ev, int):  # (call_later(ev, step), inline: once a yield)
                heapq.heappush(heap, (clock.now + (ev if ev > 0 else 0), self._seq, step, ()))
                self._seq += 1
            else:
                handle: Handle = ev[1]
                if handle.done:
                    self.call_later(0, step, handle.status)
                else:
                    handle.callbacks.append(lambda st: self.call_later(0, step, st))

        step()

    def spawn(self, options: MakeOptions, cwd: str, level: int,
              parent: MakeProcess | None, env: dict[str, str] | None = None,
              sink: list | None = None, jobserver_reset: str | None = None) -> Handle:
        handle = Handle()
        sim = self
        if env is not None:
            penv = env
        else:
            penv = parent.exported_env() if parent is not None else {}

        def body():
            restarts = 0
            traced = False
            while True:
                # a process may change its switches (MAKEFLAGS += -s in a makefile); a
                # re-exec starts again from the command line and the environment it was
                # given (main.c re_exec passes environ, not the new MAKEFLAGS)
                # (the plan tier's factory reads the makefiles before returning: a process
                # whose output, jobserver or "Entering directory" line is set up here
                # first runs on the reference)
                special = sink is not None or traced or \
                    (jobserver_reset is not None and not restarts)
                new = MakeProcess if special else sim.new_process
                proc = new(sim, options.copy(), cwd, level, restarts, penv, parent)
                if special:
                    proc.sink = sink
                    if not restarts:
                        proc.jobserver_reset(jobserver_reset)
                    # main.c: a re-exec that printed "Entering directory" says so in
                    # MAKE_RESTARTS ('-N'), and does not print it again
                    proc.traced = traced
                proc.glet = g
                handle.procs.append(proc)
                sim.processes.append(proc)
                sim.event(proc, "start", cwd=cwd, level=level, restarts=restarts,
                          goals=list(options.goals))
                if level > MAX_MAKELEVEL:
                    status = proc.stop_nesting(MAX_MAKELEVEL)
                    break
                try:
                    status = proc.main()
                    break
                except ReExec:
                    sim.event(proc, "reexec")
                    restarts += 1
                    traced = proc.traced
                    if restarts > MAX_RESTARTS:
                        proc.err(f"{proc.prog}: *** kbsim: more than {MAX_RESTARTS} re-execs "
                                 f"(makefiles keep being remade).  Stop.")
                        status = 2
                        break
            sim.event(proc, "exit", status=status)
            handle.status = status
            handle.done = True
            for cb in handle.callbacks:
                cb(status)

        g = greenlet(body, parent=self._main)
        self._ready.append(g)
        return handle

    def run(self, options: MakeOptions, cwd: str, env: dict[str, str] | None = None,
            level: int = 0) -> int:
        """Run a top-level make to completion; returns its exit status. LEVEL: its
        MAKELEVEL (a make started by a recipe of a real make is not at level 0)."""
        self._main = getcurrent()
        if options.jobs != 1 and self.jobserver is None:
            self.jobserver = Jobserver(options.jobs)
            self.jobserver.sim = self
        handle = self.spawn(options, cwd, level, None, env)
        # remake.c recurses once per level of the dependency graph, and so does
        # remake.py (about three Python frames a level); GNU make handles chains tens of
        # thousands deep, so lift Python's default limit of 1000 while we run.
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
        try:
            with paused_gc():  # a large file table is built and kept (make/gcpause.py)
                self.loop(lambda: handle.done)
        finally:
            sys.setrecursionlimit(old_limit)
        return int(handle.status or 0)

    def loop(self, until: Callable[[], bool]) -> None:
        ready = self._ready
        heap = self._heap
        while not until():
            if ready:
                item = ready.popleft()
                if item.__class__ is greenlet:  # a process about to start
                    g = item
                else:  # a make process (of any tier) woken up
                    item._woken = False  # type: ignore[attr-defined]
                    g = item.glet
                if g is not None and not g.dead:
                    g.switch()
                continue
            if not heap:
                raise Deadlock("simulation stalled: every make process waits and nothing runs")
            t, _, fn, args = heapq.heappop(heap)
            self.clock.advance_to(t)
            fn(*args)


@dataclass
class MakeRun:
    """The result of one simulated make invocation."""

    exit_code: int
    stdout: str
    stderr: str
    sim: Simulation

    @property
    def decisions(self):
        return [d for p in self.sim.processes for d in p.decisions]


def simulate_make(fs: SimFS, args: list[str] | MakeOptions, cwd: str, *,
                  env: dict[str, str] | None = None, trace: bool = False,
                  echo=None, setup: Callable[[Simulation], None] | None = None) -> MakeRun:
    """Parse a make command line and run it on FS with CWD as the starting directory."""
    from .options import parse_make_args
    opts = args if isinstance(args, MakeOptions) else parse_make_args(list(args))
    sim = Simulation(fs, trace=trace, echo=echo)
    if setup is not None:
        setup(sim)
    status = sim.run(opts, cwd, env)
    return MakeRun(status, sim.stdout(), sim.stderr(), sim)


def real_environment() -> dict[str, str]:
    """The environment a real make imports (MAKEFLAGS, GNUMAKEFLAGS and MAKELEVEL
    included: makeflags.options_from_environment reads them)."""
    return dict(os.environ)


__all__ = ["Simulation", "simulate_make", "MakeRun", "Jobserver", "Deadlock", "MakeError",
           "real_environment"]
