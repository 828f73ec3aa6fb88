"""`kbsim replay MODEL`: a full kbuild build from clean, every adjust pass, then modpost."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..fs import GRANULARITY_HELP
from ..kbuild import ERAS
from .root import app
from .common import dump_record
from .engine_opts import CacheDirOpt, EngineOpt, NoCacheOpt


@app.command("replay")
def replay_cmd(
    model: str = typer.Argument(..., metavar="MODEL",
                                help="A model file (.toml), a captured tree, or the name of a "
                                     "shipped model such as lindroth-2018."),
    era: Optional[str] = typer.Option(None, "--era", help="Era profile: " + ", ".join(ERAS)),
    granularity: Optional[str] = typer.Option(None, "--granularity", "-g",
                                              help=GRANULARITY_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="make -j"),
    seed: Optional[int] = typer.Option(None, "--seed", "-s",
                                       help="Seed for compile-time jitter and start phase."),
    guard: Optional[bool] = typer.Option(None, "--guard/--no-guard",
                                         help="Force the adjust script's race guard on or "
                                              "off (default: as the era had it)."),
    normalise: Optional[str] = typer.Option(None, "--normalise",
                                            help="Dependency naming: e1-tr, e2-collapse, "
                                                 "e5-raw, seed-patch, python:MOD:FUNC, or "
                                                 "a sed expression."),
    full: bool = typer.Option(False, "--full", help="Print every line of the first pass."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    engine: Optional[str] = EngineOpt,
    cache_dir: Optional[Path] = CacheDirOpt,
    no_cache: bool = NoCacheOpt,
) -> None:
    """Replay a kbuild tree: build from clean, adjust_autoksyms.sh until nothing changes,
    then modpost. Exits 1 when modpost fails, as the build would."""
    from ..api.replays import run_replay
    r = run_replay(model, era=era, granularity=granularity, jobs=jobs, seed=seed,
                   guard=guard, normalise=normalise, engine=engine, cache_dir=cache_dir,
                   no_cache=no_cache)
    if json_out:
        dump_record(r)
    else:
        sys.stdout.write(r.text(full=full))
    raise typer.Exit(r.exit_code)
