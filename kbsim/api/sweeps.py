"""``kbsim.whatif``: seeded trials of a model over the cartesian product of varied
settings, per cell the modpost failure rate with its 95% Wilson interval, and one record
per trial. The result has the fields of ``kbsim whatif --json`` (docs/whatif.md)."""

from __future__ import annotations

import os
from typing import Any, Iterable, Literal, Mapping, Optional, Union

from pydantic import Field, PrivateAttr

from ..errors import InputError
from .inputs import Model, load, resolve
from .readcache import ReadCacheFile, check_engine
from .schema import Engines, Record

Value = Union[str, int, float, bool]


class Trial(Record):
    """One seeded trial of a cell (with ``rebuilder=R``: R's one-step counterfactual)."""

    seed: int
    failed: bool = Field(description="modpost reported undefined symbols")
    failed_symbols: list[str]
    stale: list[str] = Field(description="objects whose compiled exports differ from the "
                                         "final autoksyms.h")
    rebuilt: int = Field(description="objects compiled in passes >= 2")
    adjust_passes: int = Field(description="adjust-step runs")
    passes: int
    exit_code: int = Field(description="1: modpost failed; 2: make failed otherwise")
    sim_ns: int = Field(description="simulated duration of the measured build")
    engines: Engines


class Cell(Record):
    """One combination of the varied settings: its trials and what they add up to."""

    settings: dict[str, str] = Field(description="the varied settings' values")
    trials: int
    failures: int
    failure_rate: float
    ci95: tuple[float, float] = Field(description="95% Wilson interval of the rate")
    mean_stale: float
    mean_rebuilt: float
    mean_adjust_passes: float
    failed_symbols: dict[str, int] = Field(description="symbol -> trials it failed in")
    stale_objects: dict[str, int] = Field(description="object -> trials it was stale in")
    stale_caught_by: dict[str, int] = Field(description="rule -> stale objects it would "
                                                        "have rebuilt; 'of': how many")
    errors: int = Field(description="trials whose make failed for another reason")
    make_rule_disagreements: int
    stat_cache_hits: int
    engines: Engines
    outcomes: str = Field(description="F (failed) or . per trial, in seed order")
    records: list[Trial] = Field(default_factory=list, description="every trial, in seed "
                                                                   "order")


class Comparison(Record):
    """Two values of one setting on paired trials (exact McNemar test)."""

    setting: str
    where: dict[str, str]
    a: str
    b: str
    fail_only_a: int
    fail_only_b: int
    p: float


class Partial(Record):
    planned: int
    finished: int
    seeds: list[int]


class WhatifResult(Record):
    """What ``kbsim whatif --json`` reports. ``cells`` in the order of the cartesian
    product; ``comparisons`` and ``conclusions``: which settings change the rate."""

    model: str
    trials: int
    seed: int
    settings: dict[str, str] = Field(description="the settings every cell shares")
    varied: dict[str, list[str]]
    replays: int
    partial: Optional[Partial] = Field(description="an interrupted sweep: the trials "
                                                   "planned and finished")
    cells: list[Cell]
    comparisons: list[Comparison]
    conclusions: list[str]
    # how it ran: not in --json (two runs of a sweep print the same bytes)
    wall_s: float = Field(0.0, exclude=True)
    cpu_s: float = Field(0.0, exclude=True)
    workers: int = Field(1, exclude=True)
    executor: str = Field("process", exclude=True)

    _raw: Any = PrivateAttr(None)  # kbsim.experiments.runner.SweepResult

    def __repr__(self) -> str:
        cells = "; ".join(f"{','.join(f'{k}={v}' for k, v in c.settings.items()) or 'all'}: "
                          f"{c.failures}/{c.trials}" for c in self.cells[:6])
        more = f"; +{len(self.cells) - 6} cells" if len(self.cells) > 6 else ""
        part = " (partial)" if self.partial else ""
        return (f"<kbsim.WhatifResult {self.model}{part}: {len(self.cells)} cell(s) x "
                f"{self.trials} trial(s); failed {cells}{more}>")

    __str__ = __repr__

    def to_records(self, per: Literal["trial", "cell"] = "trial") -> list[dict[str, Any]]:
        """Plain dicts, one per trial (PER="trial": the cell's varied settings, the seed
        and the trial's measures) or per cell (the settings, rate and interval, means):
        ``pandas.DataFrame(result.to_records())`` takes them as they are."""
        out: list[dict[str, Any]] = []
        for c in self.cells:
            if per == "cell":
                out.append({**c.settings, "trials": c.trials, "failures": c.failures,
                            "failure_rate": c.failure_rate, "ci95_low": c.ci95[0],
                            "ci95_high": c.ci95[1], "mean_stale": c.mean_stale,
                            "mean_rebuilt": c.mean_rebuilt,
                            "mean_adjust_passes": c.mean_adjust_passes,
                            "errors": c.errors})
                continue
            for t in c.records:
                out.append({**c.settings, "seed": t.seed, "failed": t.failed,
                            "exit_code": t.exit_code, "n_stale": len(t.stale),
                            "stale": list(t.stale), "failed_symbols": list(t.failed_symbols),
                            "rebuilt": t.rebuilt, "adjust_passes": t.adjust_passes,
                            "passes": t.passes, "sim_ns": t.sim_ns})
        if per not in ("trial", "cell"):
            raise InputError(f"to_records: per={per!r}: expected 'trial' or 'cell'")
        return out

    def cell(self, **settings: Value) -> Cell:
        """The cell with these varied settings (``res.cell(granularity="1s")``)."""
        want = {k: _text(v) for k, v in settings.items()}
        hits = [c for c in self.cells if all(c.settings.get(k) == v for k, v in want.items())]
        if len(hits) != 1:
            raise InputError(f"{len(hits)} cells match {want}; the cells: "
                             f"{[c.settings for c in self.cells]}")
        return hits[0]

    def text(self, width: int | None = None) -> str:
        """The table and conclusions ``kbsim whatif`` prints."""
        from ..experiments.render import text_report
        return text_report(self._raw, width)

    def csv(self) -> str:
        """One CSV row per cell (``--csv``)."""
        from ..experiments.render import csv_text
        return csv_text(self._raw)


class Interrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C once every worker has stopped. ``partial``: the result
    of the seeds that finished in every cell (None when none did)."""

    def __init__(self, partial: WhatifResult | None, finished: int, planned: int):
        super().__init__(f"interrupted after {finished} of {planned} trials")
        self.partial, self.finished, self.planned = partial, finished, planned


def _text(v: Value) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    return str(v)


def _assignments(values: Mapping[str, Any] | None, many: bool, opt: str) -> list[str]:
    """{"granularity": ["ns", "1s"]} -> ["granularity=ns,1s"], as --vary/--set take them."""
    if values is None:
        return []
    if not isinstance(values, Mapping):
        raise InputError(f"{opt}: expected a dict of settings, not {type(values).__name__}")
    out = []
    for k, v in values.items():
        if many and isinstance(v, Iterable) and not isinstance(v, str):
            vals = [_text(x).replace(",", "\\,") for x in v]
            if not vals:
                raise InputError(f"{opt} {k!r}: no values")
            out.append(f"{k}={','.join(vals)}")
        elif not many and isinstance(v, Iterable) and not isinstance(v, str):
            raise InputError(f"{opt} {k}={v!r}: one value (vary= takes several)")
        else:
            out.append(f"{k}={_text(v)}")
    return out


def whatif(model: str | os.PathLike | Model, vary: Mapping[str, Any] | None = None,
           set: Mapping[str, Value] | None = None, *, trials: int = 20, seed: int = 0,
           workers: int | None = None, executor: str = "process", address: str | None = None,
           engine: str | None = None, cache_dir: str | os.PathLike | None = None,
           no_cache: bool = False, progress: bool | str = False) -> WhatifResult:
    """Run TRIALS seeded trials of MODEL in every cell of the cartesian product of VARY
    (setting -> list of values, or ``"V1,V2"`` as ``--vary`` takes it), with SET
    (setting -> value) fixed in every cell. Trial i of every cell uses seed SEED+i, so
    cells are compared on paired trials. Settings: granularity, guard, normalise, era,
    jobs, compile_jitter, touch_cost, clock_skew, stat_cache, rebuilder, incremental
    (docs/whatif.md; booleans may be given as True/False).

    WORKERS: processes (default: the CPUs available; 1 runs here); EXECUTOR: ``process``,
    ``dask`` or ``ray`` (ADDRESS: their scheduler); ENGINE, CACHE_DIR, NO_CACHE: as
    :func:`kbsim.replay`; PROGRESS: ``"bar"``, ``"heartbeat"`` (a line on stderr every
    ~10 s), True (a bar) or False. Results never depend on the executor or the number of
    workers. A Ctrl-C raises :class:`kbsim.Interrupted` with the partial result."""
    return run_whatif(model, _assignments(vary, True, "--vary"),
                      _assignments(set, False, "--set"), trials=trials, seed=seed,
                      workers=workers, executor=executor, address=address, engine=engine,
                      cache_dir=cache_dir, no_cache=no_cache, progress=progress)


def run_whatif(model, vary: list[str], sets: list[str], *, trials: int = 20, seed: int = 0,
               workers: int | None = None, executor: str = "process",
               address: str | None = None, engine: str | None = None, cache_dir=None,
               no_cache: bool = False, progress: bool | str = False) -> WhatifResult:
    """whatif() with --vary/--set as the CLI takes them (KEY=V1,V2 strings)."""
    from ..experiments import EXECUTORS, Sweep, default_workers, parse_settings, run_sweep
    from ..experiments.runner import SweepInterrupted
    from ..plan.engine import read_cache
    if executor not in EXECUTORS:
        raise InputError(f"--executor {executor!r}: expected one of {', '.join(EXECUTORS)}")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InputError(f"--trials {trials}: must be at least 1")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise InputError(f"--workers {workers}: must be at least 1")
    settings = parse_settings(vary, sets)
    check_engine(engine)
    path = model.path if isinstance(model, Model) else resolve(model)
    # the read cache on disk: loaded before the workers start (they inherit it), saved
    # with what they learned (kbsim.plan.store); checked before anything is read
    disk = ReadCacheFile(str(path), cache_dir, no_cache, engine,
                         reads=str(path) if path.is_dir() else None).prefetch()
    m = load(model, disk.load_spec)
    sweep = Sweep(m.source, m.spec, settings, trials, seed, engine=engine)
    disk.cache(into=read_cache())
    try:
        raw = run_sweep(sweep, workers=workers or default_workers(), executor=executor,
                        address=address, progress=progress)
    except SweepInterrupted as stop:
        part = from_sweep(stop.partial) if stop.partial is not None else None
        raise Interrupted(part, stop.finished, stop.planned) from None
    disk.save()
    return from_sweep(raw)


def from_sweep(raw) -> WhatifResult:
    """The API's result of a kbsim.experiments SweepResult."""
    from ..experiments.render import to_json
    doc = to_json(raw)
    sw = raw.sweep
    for c, cell in zip(raw.cells, doc["cells"]):
        rule = c.settings["rebuilder"]
        from ..experiments.runner import sim_key
        recs = []
        for s in sw.seeds:
            t = raw.trials[(sim_key(c.settings), s)]
            o = t.outcome(rule)
            recs.append({"seed": s, "failed": o.failed,
                         "failed_symbols": list(o.failed_symbols), "stale": list(o.stale),
                         "rebuilt": o.rebuilt, "adjust_passes": t.adjust_passes,
                         "passes": t.passes, "exit_code": t.exit_code, "sim_ns": t.sim_ns,
                         "engines": {"plan": t.engines.get("plan", 0),
                                     "faithful": t.engines.get("faithful", 0)}})
        cell["records"] = recs
    res = WhatifResult.model_validate(doc)
    res.wall_s, res.cpu_s = raw.wall_s, raw.cpu_s
    res.workers, res.executor = raw.workers, raw.executor
    res._raw = raw
    return res
