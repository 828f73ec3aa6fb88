"""The read cache on disk, so that a second ``kbsim replay`` of the same tree starts warm.

One file per tree (``<cache dir>/reads-2/<namespace>.bin``), written whole at the end of
a run: the cache's entries (their observations, with file contents as BLAKE2b digests,
and their Plans), serialised with pickle's protocol 5 and zlib-compressed, and read back
by an unpickler that builds nothing but the builtin containers and kbsim's own plain data
classes (``_ALLOWED``; the pattern the pickle documentation gives for restricting what a
file may contain): a file that names any other class or function is refused, so loading
it cannot import or run anything. Every entry is checked again (observe.still_true)
before it is used, the file names its format and a fingerprint of kbsim's own code, and
a file that does not decode, is truncated, foreign or from another kbsim is ignored with
one warning line. What the checks cannot catch is a file crafted on purpose by someone
who can write your cache directory: it could make a simulation wrong (never run
anything). Keep the directory your own, as ~/.cache is. Deleting it is always safe.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pickle
import tempfile
import zlib
from pathlib import Path

from ..make.gcpause import paused_gc
from .engine import CachedRead, ReadCache
from .observe import Digest, Observation

FORMAT = "kbsim-read-cache/2"
SUBDIR = "reads-2"


def default_dir() -> Path:
    """$KBSIM_CACHE_DIR, else $XDG_CACHE_HOME/kbsim, else ~/.cache/kbsim."""
    env = os.environ.get("KBSIM_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "kbsim"


_FINGERPRINT: str | None = None


def code_fingerprint() -> str:
    """A digest of kbsim's own sources: a cache written by other code is not used."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        h = hashlib.blake2b(digest_size=12)
        root = Path(__file__).resolve().parents[1]
        for p in sorted(root.rglob("*.py")):
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


def namespace(*parts: str) -> str:
    """The cache file's name for a tree (its path and content digest, say)."""
    return hashlib.blake2b("\0".join(parts).encode(), digest_size=16).hexdigest()


class DiskCache:
    """A ReadCache backed by one file: load() at start, save() at the end."""

    def __init__(self, directory: Path, name: str, warn=None):
        self.dir = Path(directory)
        self.path = self.dir / SUBDIR / f"{name}.bin"
        self._warn = warn or (lambda text: None)
        self.warned = False
        self.cache = ReadCache()
        self.mark = 0  # len(self.cache.added) when loaded: save() writes if it grew
        self.found = False

    def load(self, into: ReadCache | None = None) -> ReadCache:
        """The cache on disk, in INTO (default: a new ReadCache)."""
        self.cache = into if into is not None else ReadCache()
        try:
            data = self.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            data = None
        except OSError as e:
            self.warn(f"read cache {self.path} not used: {e.strerror or e}")
            data = None
        if data is not None:
            try:
                with paused_gc():  # (a large graph of containers, all kept: gcpause.py)
                    entries = self._decode(data)
                if entries is not None:
                    self.cache.merge(entries)
                    self.found = True
            except Exception as e:  # noqa: BLE001 - any damage: start cold, say so once
                self.warn(f"read cache {self.path} is damaged ({type(e).__name__}); not "
                          f"used (it is rewritten)")
        self.mark = len(self.cache.added)
        return self.cache

    def warn(self, text: str) -> None:
        """At most one warning line a run."""
        if not self.warned:
            self.warned = True
            self._warn(text)

    def _decode(self, data: bytes) -> list | None:
        doc = _DataUnpickler(io.BytesIO(zlib.decompress(data))).load()
        if (not isinstance(doc, dict) or doc.get("format") != FORMAT
                or doc.get("code") != code_fingerprint()):
            self.warn(f"read cache {self.path} was written by another kbsim; not used "
                      f"(it is rewritten)")
            return None
        entries = doc["entries"]
        if not all(isinstance(k, tuple) and isinstance(e, CachedRead) for k, e in entries):
            raise ValueError("not a list of read cache entries")
        return entries

    def save(self) -> None:
        """Write the cache when this run added to it (atomically: a temporary file
        renamed into place). A directory that cannot be written: one warning."""
        if self.found and len(self.cache.added) == self.mark:
            return  # (nothing new)
        with paused_gc():
            entries = [(k, _storable(e)) for k, es in self.cache.entries.items() for e in es]
            doc = {"format": FORMAT, "code": code_fingerprint(), "entries": entries}
            blob = zlib.compress(pickle.dumps(doc, protocol=5), 1)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as e:
            self.warn(f"read cache not written to {self.path.parent}: {e.strerror or e}")


def _storable(e: CachedRead) -> CachedRead:
    """E as the file keeps it: file contents as digests, the plan without what its
    processes learned in this Python process (its implicit searches)."""
    log = tuple(o if o.answer.__class__ is not bytes else
                Observation(o.method, o.args, Digest(hashlib.blake2b(
                    o.answer, digest_size=16).hexdigest())) for o in e.log)
    plan = e.plan
    if plan is not None and plan.implicit_memo:
        plan = dataclasses.replace(plan, implicit_memo={})
    return CachedRead(log, plan, e.refusal)


# the classes a read cache file may build: kbsim's own plain data (no method of theirs
# runs while they are built but the property setters of a variable's value)
_ALLOWED = {
    ("builtins", "frozenset"), ("builtins", "set"),
    ("kbsim.plan.engine", "CachedRead"), ("kbsim.plan.freeze", "Plan"),
    ("kbsim.plan.observe", "Observation"), ("kbsim.plan.observe", "Digest"),
    ("kbsim.make.filedb", "Recipe"), ("kbsim.make.filedb", "PatternRule"),
    ("kbsim.make.expand", "Variable"), ("kbsim.make.expand", "AppendVariable"),
    ("kbsim.make.expand", "VariableNames"), ("kbsim.make.options", "MakeOptions"),
}


class _DataUnpickler(pickle.Unpickler):
    """Builds the builtin containers and the classes of _ALLOWED only: a reference to
    anything else (the way a pickle runs code) is an error."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"the read cache may not name {module}.{name}")
        return super().find_class(module, name)
