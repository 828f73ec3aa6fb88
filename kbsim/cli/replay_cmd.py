"""`kbsim replay MODEL`: a full kbuild build from clean, every adjust pass, then modpost."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..fs import GRANULARITY_HELP
from ..kbuild import ERAS
from .typer_app import app
from .common import check_granularity, dump_json
from .engine_opts import CacheDirOpt, EngineOpt, NoCacheOpt, ReadCacheFile, check_engine


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
    from ..kbuild import replay
    from ..report.replay_report import replay_json, replay_text
    from ..tree.registry import resolve
    check_engine(engine)
    where = resolve(model)  # (the cache directory is checked before anything is read)
    disk = ReadCacheFile(str(where), cache_dir, no_cache, engine,
                         reads=str(where) if where.is_dir() else None)
    spec, path = disk.load_spec(model)
    if era is not None and era not in ERAS:
        from ..errors import InputError
        raise InputError(f"unknown era {era!r}; expected one of {', '.join(ERAS)}")
    if granularity is not None:
        check_granularity(granularity)
    r = replay(spec, era=era, granularity=granularity, jobs=jobs, seed=seed, guard=guard,
               naming=normalise, engine=engine, read_cache=disk.cache())
    disk.save()
    if json_out:
        dump_json(replay_json(r))
    else:
        sys.stdout.write(replay_text(r, full=full))
    raise typer.Exit(r.exit_code)
