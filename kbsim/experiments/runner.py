"""Sweeps: the cartesian product of varied settings times N seeded trials, on a pool.

Trial ``i`` of every cell uses replay seed ``seed + i``, so cells are compared on paired
trials (the same start phase and compile-time jitter); the paired comparisons in the
report use that. Cells that differ only in ``rebuilder`` share one replay per seed: the
rule is judged on the recorded history of the same simulated build.

Executors (``executor=``):

- ``process`` (default): concurrent.futures.ProcessPoolExecutor with ``workers``
  processes; ``workers=1`` runs in this process.
- ``dask``: a dask.distributed Client; ``address`` names a running scheduler
  (``tcp://host:8786``), without one a LocalCluster of ``workers`` processes is started.
  Trials go in batches (a few per worker, many trials a task), so the scheduler's cost
  per task is spread over many replays. Needs ``pip install "dask[distributed]"`` (and
  kbsim importable on every worker).
- ``ray``: ``ray.init(address=...)`` (``auto`` joins a running cluster), one remote task
  per trial. Needs ``pip install ray``.

The model is shipped to workers once (the BuildSpec is pickled), so workers need kbsim
but not the model file. Results never depend on the executor or the number of workers:
each trial is a pure function of (model, settings, seed) and the results are put back in
(cell, seed) order before anything is computed from them.

Interrupts: a Ctrl-C (SIGINT) stops every worker at once (pool workers ignore SIGINT and
leave on SIGTERM, taking their trial process with them) and raises SweepInterrupted, a
KeyboardInterrupt that carries the result of the seeds finished in every cell.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import os
import pickle
import signal
import sys
import time
from collections import Counter
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from ..errors import InputError
from ..kbuild.spec import BuildSpec
from ..make.gcpause import garbage_freed
from ..plan.engine import read_cache
from .rebuilders import RULES
from .settings import SweepSettings, canonical_key, check_against_spec, spec_defaults
from .stats import wilson
from .trial import TrialResult, run_trial

EXECUTORS = ("process", "dask", "ray")
DASK_BATCH_MOST = 16  # trials in one Dask task at most (bench/bench_dask.py varies it)


@dataclass(frozen=True)
class Task:
    settings: tuple[tuple[str, str], ...]  # sorted; rebuilder excluded
    seed: int


@dataclass
class Sweep:
    model: str
    spec: BuildSpec
    settings: SweepSettings
    trials: int
    seed: int = 0
    engine: str | None = None  # the tier that runs each make process (kbsim.plan)
    # an interrupted sweep's result: only these seeds (each finished in every cell)
    only_seeds: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise InputError(f"--trials {self.trials}: must be at least 1")
        check_against_spec(self.spec, self.settings.fixed, self.settings.varied)

    @property
    def base(self) -> dict[str, str]:
        """Every setting as the model has it, with --set applied."""
        d = spec_defaults(self.spec)
        d.update(self.settings.fixed)
        return d

    @property
    def seeds(self) -> list[int]:
        if self.only_seeds is not None:
            return list(self.only_seeds)
        return [self.seed + i for i in range(self.trials)]

    def cells(self) -> list[dict[str, str]]:
        keys = self.settings.keys
        out = []
        for combo in itertools.product(*[vals for _, vals in self.settings.varied]):
            s = dict(self.base)
            s.update(zip(keys, combo))
            out.append(s)
        return out

    def sim_keys(self) -> list[tuple[tuple[str, str], ...]]:
        seen: dict[tuple, None] = {}
        for c in self.cells():
            seen.setdefault(sim_key(c), None)
        return list(seen)

    def tasks(self) -> list[Task]:
        """Seed by seed, every cell of a seed before the next seed: what has finished when
        a sweep is interrupted is then whole seeds, paired across cells."""
        keys = self.sim_keys()
        return [Task(k, s) for s in self.seeds for k in keys]


def sim_key(settings: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return canonical_key(settings)


# ---------------------------------------------------------------------------- workers
_SPEC: BuildSpec | None = None
_ENGINE: str | None = None


def _init_worker(blob: bytes) -> None:
    global _SPEC, _ENGINE, _REPORTED
    # The parent decides what a Ctrl-C means (a terminal sends it to every process of
    # the group); it stops a worker with SIGTERM, which ends the running trial at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _leave_now)
    _SPEC, _ENGINE = pickle.loads(blob)
    # a forked worker starts with the sweep's process's read cache (loaded from disk, and
    # what earlier workers sent): nothing of it is news to that process. (Sending it back
    # with the first trial made the sweep's process unpickle every plan again, once a
    # worker: an incremental lindroth-2018 sweep's process peaked at 338 MB.)
    _REPORTED = len(read_cache().added)


def _leave_now(signum, frame) -> None:  # noqa: ARG001
    """SIGTERM in a pool worker: leave at once, without any teardown."""
    os._exit(1)


def adopt_orphans() -> None:
    """Linux: make this process the reaper of its descendants' orphans (a Dask worker
    process whose nanny was stopped; trials run inside the workers, _trial), so it can
    reap them before it exits (cli.run) instead of leaving them to init. For the kbsim
    command, not for a program that embeds kbsim."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        PR_SET_CHILD_SUBREAPER = 36
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1)
    except (OSError, AttributeError):  # pragma: no cover
        pass


def _trial(spec: BuildSpec, task: Task, engine: str | None = None) -> TrialResult:
    """One trial in this process. Its simulation is freed as soon as the result is made
    (run_trial's FREE: its reference cycles broken, dismantle.py); the cyclic collector
    runs only when this process's memory grew all the same (_collect_if_grown).

    A replay runs with the collector paused (make/gcpause.py) and its graph is full of
    cycles: in a process that runs trial after trial, something has to free them (a
    worker that never did grew by ~1 GB a minute until the OOM killer stopped it). A full
    collection after each trial cost 0.4-0.6 s on lindroth-2018 (a third of the trial),
    and the forked process per trial that replaced it ~0.13 s in copy-on-write faults."""
    try:
        return run_trial(spec, dict(task.settings), task.seed, engine, free=True)
    finally:
        _collect_if_grown()


# What this process may grow by between two full collections: small objects (pymalloc
# blocks; one lindroth-2018 trial left behind is over a million) and resident memory.
GROWTH_BLOCKS = 250_000
GROWTH_BYTES = 48 << 20
_baseline: tuple[int, int] | None = None  # (blocks, resident bytes) after the last one


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # not Linux: the blocks alone decide
        return 0


def _collect_if_grown() -> None:
    """A full collection when this process grew by GROWTH_BLOCKS or GROWTH_BYTES since
    the last one (the first call always collects): what dismantle missed is freed, and
    memory stays bounded whatever it misses. The replays' pending count (gcpause.py) is
    settled either way."""
    global _baseline
    now = (sys.getallocatedblocks(), _resident_bytes())
    if (_baseline is None or now[0] - _baseline[0] > GROWTH_BLOCKS
            or now[1] - _baseline[1] > GROWTH_BYTES):
        gc.collect()
        _baseline = (sys.getallocatedblocks(), _resident_bytes())
    garbage_freed()


_REPORTED = 0  # the worker's read cache entries already sent to the sweep's process


def _run_task(task: Task) -> tuple[TrialResult, list]:
    """A pool worker's trial, and the read phases it cached that the sweep's process has
    not seen yet (so that it can keep them on disk: kbsim.plan.store)."""
    global _REPORTED
    assert _SPEC is not None, "worker not initialised"
    result = _trial(_SPEC, task, _ENGINE)
    cache = read_cache()
    learned = cache.added[_REPORTED:]
    _REPORTED = len(cache.added)
    return result, learned


def run_task_with_spec(spec: BuildSpec, task: Task, engine: str | None = None) -> TrialResult:
    """Entry point for distributed executors (the spec arrives as a scattered object)."""
    return _trial(spec, task, engine)


_FROZEN = False


def run_batch_with_spec(spec: BuildSpec, batch: list[Task],
                        engine: str | None = None) -> list[TrialResult]:
    """Many trials in one distributed task: the scheduler's cost per task is paid once
    for the batch, and the spec (scattered once to every worker) is not sent again.

    The first batch in a worker freezes what the worker holds (its runtime and the spec)
    out of the collector's reach: _trial's full collection after each trial then walks
    the trial's garbage only, not a Dask worker's large heap (that walk cost more than the
    trial itself on small models)."""
    global _FROZEN
    if not _FROZEN:
        gc.collect()
        gc.freeze()
        _FROZEN = True
    return [_trial(spec, t, engine) for t in batch]


def batches(tasks: list[Task], workers: int, per_worker: int = 4,
            most: int = 16) -> list[list[Task]]:
    """TASKS cut into batches in order: at least PER_WORKER a worker, so the workers share
    the load as trials differ in length, and at most MOST trials each, so progress and an
    interrupt lose little (a batch reports when it is whole). Scheduling a task costs a few
    ms; a trial 0.1-3 s: 16 trials a task keep that well under 1%."""
    if not tasks:
        return []
    n = min(len(tasks), max(max(1, workers) * per_worker, -(-len(tasks) // most)))
    size, extra = divmod(len(tasks), n)
    out, i = [], 0
    for b in range(n):
        k = size + (1 if b < extra else 0)
        out.append(tasks[i:i + k])
        i += k
    return out


# ---------------------------------------------------------------------------- results
@dataclass
class CellResult:
    settings: dict[str, str]
    varied: dict[str, str]
    outcomes: list[bool]  # failure per trial, in seed order
    failures: int
    ci95: tuple[float, float]
    mean_stale: float
    mean_rebuilt: float
    mean_adjust_passes: float
    failed_symbols: dict[str, int]  # symbol -> trials in which modpost reported it
    stale_targets: dict[str, int]  # object -> trials in which it was stale
    caught_by: dict[str, int]  # rule -> make-stale objects it would have caught
    stale_objects: int  # make-stale objects over all trials
    errors: int  # trials whose make failed for another reason (exit 2)
    make_rule_disagreements: int
    cache_hits: int
    engines: dict[str, int] = field(default_factory=dict)  # make processes run by each tier

    @property
    def trials(self) -> int:
        return len(self.outcomes)

    @property
    def rate(self) -> float:
        return self.failures / self.trials if self.trials else 0.0


@dataclass
class SweepResult:
    sweep: Sweep
    cells: list[CellResult]
    trials: dict[tuple[tuple, int], TrialResult] = field(repr=False)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    workers: int = 1
    executor: str = "process"
    ran: int = 0  # replays run by this call (the rest came from a cache)
    # an interrupted sweep: the trials planned and finished (the cells above hold the
    # seeds finished in every cell, sweep.trials of them)
    planned: int | None = None
    finished: int | None = None

    @property
    def replays(self) -> int:
        return len(self.trials)

    @property
    def partial(self) -> bool:
        return self.planned is not None


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C, every worker stopped. ``partial`` is the result of the
    seeds that finished in every cell (None when no seed did); ``finished`` and
    ``planned`` count trials."""

    def __init__(self, partial: SweepResult | None, finished: int, planned: int):
        super().__init__(f"interrupted after {finished} of {planned} trials")
        self.partial, self.finished, self.planned = partial, finished, planned


def partial_result(sweep: Sweep, results: dict[tuple[tuple, int], TrialResult],
                   **kw) -> SweepResult | None:
    """The sweep cut to the seeds that finished in every cell (paired trials stay
    paired), or None when no seed did."""
    keys = sweep.sim_keys()
    whole = tuple(s for s in sweep.seeds if all((key, s) in results for key in keys))
    if not whole:
        return None
    sub = dataclasses.replace(sweep, trials=len(whole), only_seeds=whole)
    kept = {key: r for key, r in results.items() if key[1] in set(whole)}
    return SweepResult(sub, aggregate(sub, kept), kept, **kw)


def aggregate(sweep: Sweep, trials: dict[tuple[tuple, int], TrialResult]) -> list[CellResult]:
    out = []
    keys = sweep.settings.keys
    for cell in sweep.cells():
        rule = cell["rebuilder"]
        rs = [trials[(sim_key(cell), s)] for s in sweep.seeds]
        outs = [r.outcome(rule) for r in rs]
        fails = [o.failed for o in outs]
        syms: Counter[str] = Counter()
        stale_t: Counter[str] = Counter()
        for o in outs:
            syms.update(set(o.failed_symbols))
            stale_t.update(set(o.stale))
        caught: Counter[str] = Counter({r: 0 for r in RULES})
        n_stale = 0
        for r in rs:
            for st in r.stale:
                n_stale += 1
                for name, why in st.caught.items():
                    if why is not None:
                        caught[name] += 1
        n = len(rs)
        k = sum(fails)
        out.append(CellResult(
            settings=dict(cell), varied={key: cell[key] for key in keys}, outcomes=fails,
            failures=k, ci95=wilson(k, n),
            mean_stale=sum(len(o.stale) for o in outs) / n,
            mean_rebuilt=sum(o.rebuilt for o in outs) / n,
            mean_adjust_passes=sum(r.adjust_passes for r in rs) / n,
            failed_symbols=dict(sorted(syms.items(), key=lambda kv: (-kv[1], kv[0]))),
            stale_targets=dict(sorted(stale_t.items(), key=lambda kv: (-kv[1], kv[0]))),
            caught_by=dict(caught), stale_objects=n_stale,
            errors=sum(1 for r in rs if r.exit_code == 2),
            make_rule_disagreements=sum(1 for r in rs if r.make_rule_agrees is False),
            cache_hits=sum(r.cache_hits for r in rs),
            engines=dict(sum((Counter(r.engines) for r in rs), Counter()))))
    return out


# ---------------------------------------------------------------------------- running
class _Progress:
    """How a sweep shows it is alive, on stderr: a rich progress bar (``"bar"``, on a
    terminal), one line every HEARTBEAT_S seconds (``"heartbeat"``, for logs and CI,
    where a bar would be noise), or nothing (``"off"``)."""

    HEARTBEAT_S = 10.0

    def __init__(self, mode: str | bool, total: int, label: str):
        try:  # KBSIM_HEARTBEAT_S: another period (tests use a short one)
            self.period = float(os.environ.get("KBSIM_HEARTBEAT_S") or self.HEARTBEAT_S)
        except ValueError:
            self.period = self.HEARTBEAT_S
        if mode is True:
            mode = "bar"
        elif mode is False or mode is None:
            mode = "off"
        self.mode, self.total, self.label = mode, total, label
        self.done = 0
        self.t0 = self.last = time.monotonic()
        self.p = None
        if mode == "bar":
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)
            self.p = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                              MofNCompleteColumn(), TimeElapsedColumn(),
                              TimeRemainingColumn(), console=Console(stderr=True),
                              transient=False)
            self.p.start()
            self.t = self.p.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.p is not None:
            self.p.advance(self.t, n)
        self.tick()

    def wait_s(self) -> float | None:
        """How long the caller may block before tick() is due (None: for ever)."""
        if self.mode != "heartbeat":
            return None
        return max(0.05, self.last + self.period - time.monotonic())

    def tick(self) -> None:
        if self.mode != "heartbeat":
            return
        now = time.monotonic()
        if now - self.last < self.period:
            return
        self.last = now
        el = now - self.t0
        left = ""
        if 0 < self.done < self.total:
            left = f", about {_duration(el / self.done * (self.total - self.done))} left"
        print(f"kbsim: {self.label}: {self.done} of {self.total} trials done, "
              f"{_duration(el)} elapsed{left}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.p is not None:
            self.p.stop()
            self.p = None


def _duration(s: float) -> str:
    s = int(round(s))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def run_sweep(sweep: Sweep, workers: int = 1, executor: str = "process",
              address: str | None = None, progress: bool | str = False,
              cache: dict | None = None) -> SweepResult:
    """Run every trial of SWEEP. CACHE (optional, filled in place) maps (settings key,
    seed) to TrialResult for the same model, so sweeps sharing cells do not replay them
    twice (trials are pure functions of model, settings and seed). PROGRESS: True or
    "bar", "heartbeat", False or "off" (see _Progress). A Ctrl-C raises SweepInterrupted
    once every worker has stopped."""
    if workers < 1:
        raise InputError(f"--workers {workers}: must be at least 1")
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}; expected one of "
                         f"{', '.join(EXECUTORS)}")
    if address and executor == "process":
        raise InputError("--address needs --executor dask or ray")
    results: dict[tuple[tuple, int], TrialResult] = {}
    tasks = []
    planned = sweep.tasks()
    for t in planned:
        hit = cache.get((t.settings, t.seed)) if cache is not None else None
        if hit is not None:
            results[(t.settings, t.seed)] = hit
        else:
            tasks.append(t)
    bar = _Progress(progress, len(tasks), f"whatif {sweep.spec.name}")
    t0 = time.perf_counter()

    def done(r: TrialResult) -> None:
        results[(r.key, r.seed)] = r
        if cache is not None:
            cache[(r.key, r.seed)] = r
        bar.advance()

    def summary(wall: float) -> dict:
        return dict(wall_s=wall, cpu_s=sum(r.cpu_s for r in results.values()),
                    workers=workers, executor=executor, ran=len(tasks))

    try:
        if executor == "dask":
            _run_dask(sweep.spec, tasks, workers, address, done, bar, sweep.engine)
        elif executor == "ray":
            _run_ray(sweep.spec, tasks, workers, address, done, sweep.engine)
        elif not tasks:
            pass
        elif workers == 1 or len(tasks) == 1:
            for t in tasks:
                done(_trial(sweep.spec, t, sweep.engine))
        else:
            _run_pool(sweep.spec, tasks, workers, done, bar, sweep.engine)
    except KeyboardInterrupt as e:
        if isinstance(e, SweepInterrupted):
            raise
        wall = time.perf_counter() - t0
        part = partial_result(sweep, results, planned=len(planned), finished=len(results),
                              **summary(wall))
        raise SweepInterrupted(part, len(results), len(planned)) from None
    finally:
        bar.close()
    wall = time.perf_counter() - t0
    cells = aggregate(sweep, results)
    return SweepResult(sweep, cells, results, **summary(wall))


def _run_pool(spec: BuildSpec, tasks: list[Task], workers: int, done, bar=None,
              engine: str | None = None) -> None:
    blob = pickle.dumps((spec, engine), protocol=pickle.HIGHEST_PROTOCOL)
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_init_worker,
                               initargs=(blob,))
    try:
        pending = {pool.submit(_run_task, t) for t in tasks}
        cache = read_cache()
        while pending:
            finished, pending = wait(pending, timeout=bar.wait_s() if bar else None,
                                     return_when=FIRST_EXCEPTION)
            for f in finished:
                result, learned = f.result()  # re-raises a worker's InputError here
                cache.merge(learned)
                done(result)
            if bar is not None:
                bar.tick()
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop every worker now, each with its trial process, and reap them: no zombie, no
    worker left running (shutdown(wait=False) alone lets running trials finish, and the
    pool starts fresh workers for queued tasks)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.terminate()  # SIGTERM: _leave_now
        except (OSError, AttributeError, ValueError):
            pass
    deadline = time.monotonic() + 2.0
    for p in procs:
        try:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(1.0)
        except (OSError, AttributeError, ValueError):
            pass


def _run_dask(spec, tasks, workers, address, done, bar=None,
              engine: str | None = None) -> None:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import wait as dask_wait
    except ImportError:
        raise InputError("--executor dask needs the optional dependency dask.distributed: "
                         "pip install 'dask[distributed]'") from None
    cluster = None
    try:
        if address:
            client = Client(address)
        else:
            # its worker processes start with SIGINT ignored (a disposition kept across
            # exec, and Python then installs no handler): a terminal's Ctrl-C reaches
            # the whole process group, and stopping the workers is kbsim's job
            with _sigint_ignored(), _stderr_to_devnull():
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                       processes=True, dashboard_address=None)
            client = Client(cluster)
    except Exception as e:  # the user's cluster, not a kbsim bug
        raise InputError(f"--executor dask: cannot start or reach a Dask cluster"
                         f"{' at ' + address if address else ''}: {e}") from None
    futs = []
    stopped = False
    try:
        n = len(client.scheduler_info().get("workers", {})) or workers
        fspec = client.scatter(spec, broadcast=True)
        futs = [client.submit(run_batch_with_spec, fspec, b, engine, pure=False)
                for b in batches(tasks, n, most=DASK_BATCH_MOST)]
        pending = set(futs)
        with _sigint_noted() as ctrl_c:
            while pending:
                # short waits: a Ctrl-C is acted on here, not inside dask's own wait
                # (interrupting that leaves its event loop a callback that fails)
                wait_s = min(bar.wait_s() or 0.5, 0.5) if bar else 0.5
                try:
                    res = dask_wait(pending, timeout=wait_s, return_when="FIRST_COMPLETED")
                    finished, pending = res.done, res.not_done
                except TimeoutError:  # nothing finished in time
                    finished = set()
                for f in finished:
                    for r in f.result():  # re-raises a worker's error here
                        done(r)
                if bar is not None:
                    bar.tick()
                if ctrl_c.is_set():
                    raise KeyboardInterrupt
    except BaseException:
        stopped = True
        _stop_dask(client, cluster, futs)
        raise
    finally:
        client.close()
        if cluster is not None:
            try:  # stopped: its workers are dead; do not wait for them to say goodbye
                cluster.close(**({"timeout": 1} if stopped else {}))
            except Exception:  # noqa: BLE001  (closing a cluster whose workers we killed)
                pass


class _stderr_to_devnull:
    """The processes started inside the block (a LocalCluster's workers and
    multiprocessing's resource tracker they share) write their stderr to /dev/null.
    Their errors reach the user as the tasks' exceptions; what they print when a stopped
    sweep kills them (dask's log lines, the tracker's notes on the killed workers'
    semaphores, a KeyError from a race in it) is not news to the user who stopped it."""

    def __enter__(self):
        self.saved = None
        try:
            sys.stderr.flush()
            self.saved = os.dup(2)
        except (OSError, ValueError):  # no stderr to speak of
            return self
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        return self

    def __exit__(self, *exc) -> None:
        if self.saved is not None:
            os.dup2(self.saved, 2)
            os.close(self.saved)


class _sigint_noted:
    """Inside the block a SIGINT sets the event it yields instead of raising (the caller
    acts on it where it chooses); a second one, or one after the block, raises as usual."""

    def __enter__(self):
        import threading
        self.event = threading.Event()
        self.old = None

        def note(signum, frame):  # noqa: ARG001
            if self.event.is_set():  # a second Ctrl-C: at once
                raise KeyboardInterrupt
            self.event.set()
        try:
            self.old = signal.signal(signal.SIGINT, note)
        except ValueError:  # not the main thread: SIGINT raises where it lands
            pass
        return self.event

    def __exit__(self, *exc) -> None:
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)


class _sigint_ignored:
    """SIGINT ignored for the processes started inside the block (main thread only)."""

    def __enter__(self):
        self.old = None
        try:
            self.old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # not the main thread: leave it be
            pass
        return self

    def __exit__(self, *exc) -> None:
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)


def _stop_dask(client, cluster, futs) -> None:
    """Stop a sweep on Dask now. A running trial cannot be cancelled inside a worker (the
    nanny would wait 4 s, then kill it): on a cluster we started, kill the worker
    processes at once; on the user's cluster, cancel our tasks. Quietly: what dask logs
    about the tasks it loses is not news to the user who stopped them."""
    import logging
    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if cluster is not None:
        for nanny in getattr(cluster, "workers", {}).values():
            if hasattr(nanny, "auto_restart"):
                nanny.auto_restart = False  # a killed worker stays dead
        for p in _local_worker_processes(cluster):
            try:
                p.kill()
            except (OSError, AttributeError, ValueError):
                pass
    if futs:
        try:
            client.cancel(futs)
        except Exception:  # noqa: BLE001  (stopping anyway)
            pass


def _local_worker_processes(cluster) -> list:
    """The multiprocessing processes of a LocalCluster's workers (through each nanny's
    process handle; empty where dask keeps them otherwise)."""
    out = []
    for w in getattr(cluster, "workers", {}).values():
        proc = getattr(getattr(w, "process", None), "process", None)  # WorkerProcess
        proc = getattr(proc, "_process", proc)  # distributed's AsyncProcess wrapper
        if proc is not None and hasattr(proc, "kill"):
            out.append(proc)
    return out


def _run_ray(spec, tasks, workers, address, done, engine: str | None = None) -> None:
    try:
        import ray
    except ImportError:
        raise InputError("--executor ray needs the optional dependency ray: "
                         "pip install ray") from None
    started = not ray.is_initialized()
    if started:
        try:
            if address:
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, ignore_reinit_error=True, log_to_driver=False)
        except Exception as e:  # the user's cluster, not a kbsim bug
            raise InputError(f"--executor ray: cannot start or reach a Ray cluster"
                             f"{' at ' + address if address else ''}: "
                             f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") \
                from None
    try:
        ref = ray.put(spec)
        remote = ray.remote(run_task_with_spec)
        pending = [remote.remote(ref, t, engine) for t in tasks]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done(ray.get(ready[0]))
    finally:
        if started:
            ray.shutdown()


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover
        return max(1, os.cpu_count() or 1)


__all__ = ["Sweep", "SweepResult", "SweepInterrupted", "CellResult", "Task", "run_sweep",
           "aggregate", "partial_result", "batches", "EXECUTORS", "default_workers",
           "sim_key"]
