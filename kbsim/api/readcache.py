"""The plan tier's read cache on disk for one run (``cache_dir=``, ``no_cache=``;
``--cache-dir``, ``--no-cache``): see docs/plan-tier.md and kbsim.plan.store."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

from ..errors import InputError


def warn(msg: str) -> None:
    """A warning line on stderr, as the CLI prints them."""
    print(f"kbsim: warning: {msg}", file=sys.stderr)


def check_engine(engine: str | None) -> str | None:
    from ..plan import ENGINES
    if engine is not None and engine not in ENGINES:
        raise InputError(f"--engine {engine!r}: expected one of {', '.join(ENGINES)}")
    return engine


class ReadCacheFile:
    """The read cache of one tree on disk (kbsim.plan.store), or none."""

    def __init__(self, source: str, cache_dir: Optional[os.PathLike | str], no_cache: bool,
                 engine: str | None, reads: Optional[str] = None):
        """SOURCE: the model, capture or build directory replayed; READS: a directory the
        run reads (the cache must not be inside it)."""
        from ..plan.store import DiskCache, default_dir, namespace
        self.disk = None
        self.dir: Path | None = None
        self.warned = False
        self.reads = reads
        if no_cache or (engine or os.environ.get("KBSIM_ENGINE")) == "faithful":
            return
        explicit = cache_dir is not None
        d = Path(cache_dir) if explicit else default_dir()  # type: ignore[arg-type]
        if reads is not None and _inside(d, Path(reads)):
            msg = (f"--cache-dir {d}: inside {reads}, which kbsim reads; kbsim never "
                   f"writes there")
            if explicit:
                raise InputError(msg)
            warn(msg + " (no read cache on disk for this run)")
            return
        p = Path(source)
        ident = str(p.resolve()) if p.exists() else source
        self.dir = d
        self.disk = DiskCache(d, namespace(ident), warn=self.warn)

    def warn(self, text: str) -> None:
        """One warning line a run about the cache on disk, whichever part says it."""
        if not self.warned:
            self.warned = True
            warn(text)

    def load_spec(self, source: str):
        """tree.registry.load_spec(SOURCE); a model file's spec kept beside the read cache
        (tree/speccache.py) when there is one."""
        from ..tree.speccache import load_spec_cached
        if self.dir is None:
            from ..tree.registry import load_spec
            return load_spec(source)
        # (a build directory's spec cache checks the tree in a child process; this run's
        # read cache is read meanwhile)
        return load_spec_cached(source, self.dir,
                                lambda text: self.warn(f"spec cache {text}"),
                                idle=self.disk.preload if self.disk is not None else None)

    def prefetch(self) -> "ReadCacheFile":
        """For a build directory, start reading the cache file for cache() on a thread
        (plan/store.py Prefetch), so that it overlaps capturing the directory. (A model or
        capture file's spec loads in less time than the file decompresses; unpickled as it
        is decompressed instead, the file costs less CPU: store.load_data.)"""
        if self.disk is not None and self.reads is not None:
            self.disk.prefetch()
        return self

    def cache(self, into=None):
        """The ReadCache to run with, loaded into INTO if given (None: no cache on disk:
        the process's own, in memory only)."""
        return self.disk.load(into) if self.disk is not None else None

    def save(self) -> None:
        if self.disk is not None:
            self.disk.save()


def _inside(path: Path, top: Path) -> bool:
    try:
        a = os.path.realpath(path)
        b = os.path.realpath(top)
    except OSError:
        return False
    return a == b or a.startswith(b.rstrip("/") + "/")
