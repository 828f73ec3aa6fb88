"""`kbsim whatif MODEL --vary KEY=V1,V2 [--set KEY=V] --trials N`: seeded what-if sweeps."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError
from ..experiments.settings import settings_help
from .engine_opts import CacheDirOpt, EngineOpt, NoCacheOpt
from .root import app


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
    from ..api.sweeps import Interrupted, run_whatif
    from ..experiments.runner import adopt_orphans
    # a bar on a terminal; elsewhere (a log, CI) a line every ~10 s
    mode = ("bar" if sys.stderr.isatty() else "heartbeat") if progress is None else \
        ("bar" if progress else "off")
    adopt_orphans()  # what a stopped worker leaves, kbsim reaps (cli.run)
    try:
        res = run_whatif(model, vary, set_, trials=trials, seed=seed, workers=workers,
                         executor=executor, address=address, engine=engine,
                         cache_dir=cache_dir, no_cache=no_cache, progress=mode)
    except Interrupted as stop:
        _interrupted(stop, json_out, csv_file)
    except KeyboardInterrupt:  # a second Ctrl-C while the workers were being stopped
        print("kbsim: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
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
    if csv_file is not None:
        try:
            csv_file.write_text(res.csv(), encoding="utf-8")
        except OSError as e:
            raise InputError(f"--csv {csv_file}: {e.strerror}") from None
    if json_out:
        sys.stdout.write(json.dumps(res.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(res.text())
    sys.stdout.flush()


def _interrupted(stop, json_out: bool, csv_file: Optional[Path]) -> None:
    """The first Ctrl-C: every worker has stopped; say how far the sweep got and show what
    finished (marked partial). A second Ctrl-C while that is written stops at once."""
    try:
        res = stop.partial
        tail = (f"; the results of the {res.trials} seed(s) finished in every cell "
                f"follow, marked partial" if res is not None else
                "; no seed finished in every cell, so there is no table")
        print(f"kbsim: interrupted: {stop.finished} of {stop.planned} trials finished{tail}",
              file=sys.stderr, flush=True)
        if res is not None:
            _write(res, json_out, csv_file)
    except KeyboardInterrupt:
        print("kbsim: interrupted", file=sys.stderr)
    raise typer.Exit(130)
