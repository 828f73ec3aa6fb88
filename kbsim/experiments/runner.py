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
  Needs ``pip install "dask[distributed]"`` (and kbsim importable on every worker).
- ``ray``: ``ray.init(address=...)`` (``auto`` joins a running cluster), one remote task
  per trial. Needs ``pip install ray``.

The model is shipped to workers once (the BuildSpec is pickled), so workers need kbsim
but not the model file. Results never depend on the executor or the number of workers:
each trial is a pure function of (model, settings, seed) and the results are put back in
(cell, seed) order before anything is computed from them.
"""

from __future__ import annotations

import gc
import itertools
import os
import pickle
import time
from collections import Counter
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from ..errors import InputError
from ..kbuild.spec import BuildSpec
from ..plan.engine import read_cache
from .rebuilders import RULES
from .settings import SweepSettings, canonical_key, check_against_spec, spec_defaults
from .stats import wilson
from .trial import TrialResult, run_trial

EXECUTORS = ("process", "dask", "ray")


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
        return [self.seed + i for i in range(self.trials)]

    def cells(self) -> list[dict[str, str]]:
        keys = self.settings.keys
        out = []
        for combo in itertools.product(*[vals for _, vals in self.settings.varied]):
            s = dict(self.base)
            s.update(zip(keys, combo))
            out.append(s)
        return out

    def tasks(self) -> list[Task]:
        seen: dict[tuple, None] = {}
        for c in self.cells():
            seen.setdefault(sim_key(c), None)
        return [Task(k, s) for k in seen for s in self.seeds]


def sim_key(settings: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return canonical_key(settings)


# ---------------------------------------------------------------------------- workers
_SPEC: BuildSpec | None = None
_ENGINE: str | None = None


def _init_worker(blob: bytes) -> None:
    global _SPEC, _ENGINE
    _SPEC, _ENGINE = pickle.loads(blob)


def _trial(spec: BuildSpec, task: Task, engine: str | None = None) -> TrialResult:
    """One trial, then a full cyclic collection. A replay runs with the collector paused
    (make/gcpause.py) and its graph is full of cycles; in a process that runs trial after
    trial, nothing else would trigger the full collection that frees them, and a worker
    grew by ~1 GB a minute until the OOM killer stopped it (a 1,200-trial sweep)."""
    try:
        return run_trial(spec, dict(task.settings), task.seed, engine)
    finally:
        gc.collect()


_REPORTED = 0  # the worker's read cache entries already sent to the sweep's process


def _run_task(task: Task) -> tuple[TrialResult, list]:
    """A pool worker's trial, and the read phases it cached that the sweep's process has
    not seen yet (so that it can keep them on disk: kbsim.plan.store)."""
    global _REPORTED
    assert _SPEC is not None, "worker not initialised"
    if hasattr(os, "fork"):
        result = _trial_in_child(_SPEC, task, _ENGINE)
    else:
        result = _trial(_SPEC, task, _ENGINE)
    cache = read_cache()
    learned = cache.added[_REPORTED:]
    _REPORTED = len(cache.added)
    return result, learned


def _trial_in_child(spec: BuildSpec, task: Task, engine: str | None = None) -> TrialResult:
    """One trial in a forked child of this pool worker, its result back through a pipe.

    The child's whole object graph goes with its exit: no cyclic collection after the
    trial (_trial's gc.collect() costs 0.5-0.9 s a trial on lindroth-2018; a sweep takes
    about 0.84x the wall time this way) and no memory left behind. Only pool workers do
    this: they are single-threaded, so forking them is safe (a process with other threads,
    such as the CLI's with its progress bar, or a Dask worker, uses _trial). The read
    phases the child cached (kbsim.plan) come back with its result, so the worker's
    next trials start from them."""
    cache = read_cache()
    mark = len(cache.added)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, send, leave without any teardown
        status = 0
        try:
            os.close(r)
            # off the caller's terminal and pipes: a child left running after its worker
            # was stopped (an error elsewhere in the sweep) must not hold them open
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            try:
                out = ("ok", (run_trial(spec, dict(task.settings), task.seed, engine),
                              cache.since(mark)))
            except BaseException as e:  # noqa: BLE001  (re-raised in the worker)
                out = ("error", e)
            try:
                data = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as e:  # an exception that does not pickle
                data = pickle.dumps(("error", RuntimeError(f"{type(out[1]).__name__}: "
                                                           f"{out[1]} ({e})")))
            with os.fdopen(w, "wb") as fh:
                fh.write(data)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        data = fh.read()  # (all of it before waiting: a full pipe would block the child)
    _, wstatus = os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"trial {dict(task.settings)} seed {task.seed}: the trial "
                           f"process died ({_exit_text(wstatus)})")
    kind, value = pickle.loads(data)
    if kind == "error":
        raise value
    result, learned = value
    cache.merge(learned)
    return result


def _exit_text(wstatus: int) -> str:
    if os.WIFSIGNALED(wstatus):
        return f"killed by signal {os.WTERMSIG(wstatus)}"
    return f"exit status {os.waitstatus_to_exitcode(wstatus)}"


def run_task_with_spec(spec: BuildSpec, task: Task, engine: str | None = None) -> TrialResult:
    """Entry point for distributed executors (the spec arrives as a scattered object)."""
    return _trial(spec, task, engine)


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

    @property
    def replays(self) -> int:
        return len(self.trials)


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
    """A rich progress bar on stderr (or nothing)."""

    def __init__(self, enabled: bool, total: int, label: str):
        self.p = None
        if enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)
            self.p = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                              MofNCompleteColumn(), TimeElapsedColumn(),
                              TimeRemainingColumn(), console=Console(stderr=True),
                              transient=False)
            self.p.start()
            self.t = self.p.add_task(label, total=total)

    def advance(self) -> None:
        if self.p is not None:
            self.p.advance(self.t)

    def close(self) -> None:
        if self.p is not None:
            self.p.stop()


def run_sweep(sweep: Sweep, workers: int = 1, executor: str = "process",
              address: str | None = None, progress: bool = False,
              cache: dict | None = None) -> SweepResult:
    """Run every trial of SWEEP. CACHE (optional, filled in place) maps (settings key,
    seed) to TrialResult for the same model, so sweeps sharing cells do not replay them
    twice (trials are pure functions of model, settings and seed)."""
    if workers < 1:
        raise InputError(f"--workers {workers}: must be at least 1")
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}; expected one of "
                         f"{', '.join(EXECUTORS)}")
    if address and executor == "process":
        raise InputError("--address needs --executor dask or ray")
    results: dict[tuple[tuple, int], TrialResult] = {}
    tasks = []
    for t in sweep.tasks():
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

    try:
        if executor == "dask":
            _run_dask(sweep.spec, tasks, workers, address, done, sweep.engine)
        elif executor == "ray":
            _run_ray(sweep.spec, tasks, workers, address, done, sweep.engine)
        elif not tasks:
            pass
        elif workers == 1 or len(tasks) == 1:
            for t in tasks:
                done(_trial(sweep.spec, t, sweep.engine))
        else:
            _run_pool(sweep.spec, tasks, workers, done, sweep.engine)
    finally:
        bar.close()
    wall = time.perf_counter() - t0
    cells = aggregate(sweep, results)
    return SweepResult(sweep, cells, results, wall_s=wall,
                       cpu_s=sum(r.cpu_s for r in results.values()), workers=workers,
                       executor=executor, ran=len(tasks))


def _run_pool(spec: BuildSpec, tasks: list[Task], workers: int, done,
              engine: str | None = None) -> None:
    blob = pickle.dumps((spec, engine), protocol=pickle.HIGHEST_PROTOCOL)
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_init_worker,
                               initargs=(blob,))
    try:
        pending = {pool.submit(_run_task, t) for t in tasks}
        cache = read_cache()
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for f in finished:
                result, learned = f.result()  # re-raises a worker's InputError here
                cache.merge(learned)
                done(result)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _run_dask(spec, tasks, workers, address, done, engine: str | None = None) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("--executor dask needs the optional dependency dask.distributed: "
                         "pip install 'dask[distributed]'") from None
    cluster = None
    try:
        if address:
            client = Client(address)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
    except Exception as e:  # the user's cluster, not a kbsim bug
        raise InputError(f"--executor dask: cannot start or reach a Dask cluster"
                         f"{' at ' + address if address else ''}: {e}") from None
    try:
        fspec = client.scatter(spec, broadcast=True)
        futs = [client.submit(run_task_with_spec, fspec, t, engine, pure=False)
                for t in tasks]
        for f in as_completed(futs):
            done(f.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


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


__all__ = ["Sweep", "SweepResult", "CellResult", "Task", "run_sweep", "aggregate",
           "EXECUTORS", "default_workers", "sim_key"]
