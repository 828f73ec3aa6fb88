"""`kbsim whatif MODEL --vary KEY=V1,V2 [--set KEY=V] --trials N`: seeded what-if sweeps."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError
from ..experiments.settings import settings_help
from .engine_opts import CacheDirOpt, EngineOpt, NoCacheOpt, ReadCacheFile, check_engine
from .typer_app import app


@app.command("whatif")
def whatif_cmd(
    model: str = typer.Argument(..., metavar="MODEL|TREE",
                                help="A model file (.toml), a captured tree, or a shipped "
                                     "model name such as lindroth-2018."),
    vary: List[str] = typer.Option([], "--vary", metavar="KEY=V1,V2,...",
                                   help="A setting to vary (repeatable); the cells are the "
                                        "cartesian product. Settings: " + settings_help()),
    set_: List[str] = typer.Option([], "--set", metavar="KEY=V",
                                   help="Fix a setting for every cell (repeatable)."),
    trials: int = typer.Option(20, "--trials", "-n", help="Seeded trials per cell."),
    seed: int = typer.Option(0, "--seed", "-s", help="Trial i uses replay seed SEED+i "
                                                     "in every cell."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w",
                                          help="Worker processes (default: the CPUs "
                                               "available; 1 runs in this process)."),
    executor: str = typer.Option("process", "--executor",
                                 help="process (ProcessPoolExecutor), dask or ray (optional "
                                      "dependencies; see docs/whatif.md)."),
    address: Optional[str] = typer.Option(None, "--address",
                                          help="Scheduler address for --executor dask/ray "
                                               "(default: a local cluster)."),
    json_out: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
    csv_file: Optional[Path] = typer.Option(None, "--csv", metavar="FILE",
                                            help="Also write one CSV row per cell to FILE."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress",
                                            help="Progress on stderr (default: a bar on a "
                                                 "terminal, else a line every ~10 s)."),
    engine: Optional[str] = EngineOpt,
    cache_dir: Optional[Path] = CacheDirOpt,
    no_cache: bool = NoCacheOpt,
) -> None:
    """Run seeded trials of a model over the cartesian product of varied settings and
    report, per cell, the modpost failure rate (95% Wilson interval), stale and rebuilt
    objects, adjust passes, the failing symbols, and which rebuild rules would have caught
    the stale objects; then say which settings change the failure rate."""
    from ..experiments import EXECUTORS, Sweep, default_workers, parse_settings, run_sweep
    from ..experiments.runner import SweepInterrupted
    from ..plan.engine import read_cache
    from ..tree.registry import resolve
    if executor not in EXECUTORS:
        raise InputError(f"--executor {executor!r}: expected one of {', '.join(EXECUTORS)}")
    if trials < 1:
        raise InputError(f"--trials {trials}: must be at least 1")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}: must be at least 1")
    settings = parse_settings(vary, set_)
    check_engine(engine)
    where = resolve(model)
    # the read cache on disk: loaded before the workers start (they inherit it), saved
    # with what they learned (kbsim.plan.store)
    disk = ReadCacheFile(str(where), cache_dir, no_cache, engine,
                         reads=str(where) if where.is_dir() else None)
    spec, path = disk.load_spec(model)
    sweep = Sweep(model, spec, settings, trials, seed, engine=engine)
    disk.cache(into=read_cache())
    # a bar on a terminal; elsewhere (a log, CI) a line every ~10 s
    mode = ("bar" if sys.stderr.isatty() else "heartbeat") if progress is None else \
        ("bar" if progress else "off")
    try:
        res = run_sweep(sweep, workers=workers or default_workers(), executor=executor,
                        address=address, progress=mode)
    except SweepInterrupted as stop:
        _interrupted(stop, json_out, csv_file)
    except KeyboardInterrupt:  # a second Ctrl-C while the workers were being stopped
        print("kbsim: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
    disk.save()
    try:
        _write(res, json_out, csv_file)
    except KeyboardInterrupt:
        print("kbsim: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
    per = res.wall_s / res.replays if res.replays else 0.0
    print(f"kbsim: {res.replays} replays in {res.wall_s:.1f} s wall on {res.workers} "
          f"{res.executor} worker(s): {per:.2f} s per replay, {res.cpu_s / max(1, res.replays):.2f}"
          f" s CPU each", file=sys.stderr)


def _write(res, json_out: bool, csv_file: Optional[Path]) -> None:
    from ..experiments.render import csv_text, text_report, to_json
    if csv_file is not None:
        try:
            csv_file.write_text(csv_text(res), encoding="utf-8")
        except OSError as e:
            raise InputError(f"--csv {csv_file}: {e.strerror}") from None
    if json_out:
        sys.stdout.write(json.dumps(to_json(res), indent=2) + "\n")
    else:
        sys.stdout.write(text_report(res))
    sys.stdout.flush()


def _interrupted(stop, json_out: bool, csv_file: Optional[Path]) -> None:
    """The first Ctrl-C: every worker has stopped; say how far the sweep got and show what
    finished (marked partial). A second Ctrl-C while that is written stops at once."""
    try:
        res = stop.partial
        tail = (f"; the results of the {res.sweep.trials} seed(s) finished in every cell "
                f"follow, marked partial" if res is not None else
                "; no seed finished in every cell, so there is no table")
        print(f"kbsim: interrupted: {stop.finished} of {stop.planned} trials finished{tail}",
              file=sys.stderr, flush=True)
        if res is not None:
            _write(res, json_out, csv_file)
    except KeyboardInterrupt:
        print("kbsim: interrupted", file=sys.stderr)
    raise typer.Exit(130)
