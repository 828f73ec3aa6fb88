"""One replay as ``replay()`` runs it, up to its result models: the arguments checked, the
read cache on disk, the kbuild layer's replay. Nothing here imports pydantic, so the CLI's
quick path (cli/quick.py) runs a replay without it and writes the same ``--json``."""

from __future__ import annotations

from typing import Callable

from ..errors import InputError
from .inputs import Model, load, resolve
from .readcache import ReadCacheFile, check_engine


def run_raw(model, *, era=None, granularity=None, jobs=None, seed=None, guard=None,
            normalise=None, engine=None, trace=False, cache_dir=None, no_cache=False,
            watch: Callable | None = None):
    """replay()'s run (its arguments, see there; WATCH: see run_replay): (the kbuild
    layer's ReplayResult, the traced run when TRACE, a function that runs the same replay
    traced)."""
    from ..fs import GranularityError, parse_granularity
    from ..kbuild import ERAS
    check_engine(engine)
    path = model.path if isinstance(model, Model) else resolve(model)
    # the cache directory is checked before anything is read
    disk = ReadCacheFile(str(path), cache_dir, no_cache, engine,
                         reads=str(path) if path.is_dir() else None).prefetch()
    m = load(model, disk.load_spec)
    if era is not None and era not in ERAS:
        raise InputError(f"unknown era {era!r}; expected one of {', '.join(ERAS)}")
    if granularity is not None:
        try:
            parse_granularity(granularity)
        except GranularityError as e:
            raise InputError(str(e)) from None
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise InputError(f"--jobs {jobs!r}: must be a whole number of at least 1")
    kw = dict(era=era, granularity=granularity, jobs=jobs, seed=seed, guard=guard,
              naming=normalise, engine=engine)

    def traced_run(read_cache=None, watch=None):
        from ..report.buildrun import run_model
        return run_model(m.spec, label=m.name, watch=watch, read_cache=read_cache, **kw)

    if trace:
        run = traced_run(disk.cache(), watch)
        raw = run.replay
    else:
        from ..kbuild.replay import replay as kbuild_replay
        run = None
        raw = kbuild_replay(m.spec, setup=watch, read_cache=disk.cache(), **kw)
    disk.save()
    return raw, run, traced_run
