"""--engine, --cache-dir and --no-cache: which tier runs make, and the read cache on disk."""

from __future__ import annotations

import typer

# (moved to the API, which the commands call; kept here for those who import them)
from ..api.readcache import ReadCacheFile, check_engine  # noqa: F401

ENGINE_HELP = ("Which tier runs each make process: auto (the plan where it can, else the "
               "reference; the default, or $KBSIM_ENGINE), plan (fail on a process the plan "
               "cannot run), faithful (the reference port of make 4.3 only). The results "
               "are the same.")
CACHE_HELP = ("Where to keep what make processes (and the capture of a build directory) "
              "read, so a second run starts warm "
              "(default: $KBSIM_CACHE_DIR, else ~/.cache/kbsim; safe to delete).")

EngineOpt = typer.Option(None, "--engine", metavar="auto|plan|faithful", help=ENGINE_HELP)
CacheDirOpt = typer.Option(None, "--cache-dir", metavar="DIR", help=CACHE_HELP)
NoCacheOpt = typer.Option(False, "--no-cache", help="Neither read nor write a cache on disk.")
