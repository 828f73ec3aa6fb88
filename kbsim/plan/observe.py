"""What a make process's read phase observed of the filesystem, and the check of it.

The idea is kati's ``--regen`` stamp: reading makefiles is a function of its inputs (the
command line, the environment, the files read, every existence test and directory
listing), so its result may be reused exactly when each of those observations comes out
the same again. ``ObservingFS`` stands in for the simulated filesystem while
``MakeProcess.read_phase`` runs and logs every query with its answer; ``still_true``
asks the same queries of a filesystem later. A read that changed the filesystem, stat'ed
a file (stat has an effect: multigrain timestamps), or looked at anything else is marked
not reusable.
"""

from __future__ import annotations

import hashlib
import sys
import weakref
from itertools import compress
from dataclasses import dataclass

# queries with no effect on the simulated filesystem, and how to compare their answers
_intern = sys.intern
# a name lexisting was asked about -> the interpreter's one string object of it
_CANON: dict[str, str] = {}

_PURE = ("isdir", "exists", "lexists", "lexisting", "read", "listdir", "canonical", "ino",
         "lstat")


def digest_of(data: bytes) -> str:
    """What a Digest holds of DATA."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# contents whose digest is known already: id -> (the bytes object, its digest_of); a
# build directory's spec cache gives the digests of the files it lays out (dircache.py)
_KNOWN: dict[int, tuple[bytes, str]] = {}


def known_digests(pairs) -> None:
    """PAIRS of (bytes, digest_of(it)) replace those known (one tree's files at a time)."""
    global _KNOWN
    _KNOWN = {id(b): (b, h) for b, h in pairs}


@dataclass(frozen=True)
class Digest:
    """A file's content as the read cache on disk keeps it (store.py): its BLAKE2b."""

    hex: str

    def matches(self, data: bytes) -> bool:
        k = _KNOWN.get(id(data))
        if k is not None and k[0] is data:  # (that very object: its digest is known)
            return k[1] == self.hex
        return digest_of(data) == self.hex


@dataclass(frozen=True)
class Observation:
    method: str
    args: tuple
    answer: object  # as compared (inode numbers as their order of first appearance)


class ObservingFS:
    """A filesystem proxy for one read phase (see the module docstring)."""

    def __init__(self, fs):
        self._fs = fs
        self.log: list[Observation] = []
        self.reusable = True
        self.why_not = ""
        self._inos: dict[int, int] = {}

    def _note(self, method: str, args: tuple, answer):
        seen = _comparable(method, answer, self._inos)
        if seen.__class__ is tuple and (method == "lexisting" or method == "listdir"):
            seen = _interned(seen)
        self.log.append(Observation(method, _interned(args), seen))
        return answer

    def lexisting(self, *args):
        """The query fs.lexisting(PATHS, CWD), answered from the namespace cache of
        still_true (_Namespace: an answer depends on the names only, and the ~340 reads
        of a kernel tree ask about ~5,500 names ~250,000 times, between ~3 namespace
        changes), and noted as __getattr__'s query notes it: the same Observation, the
        names interned once."""
        fs = self._fs
        ns = _NAMESPACE.on(fs)
        if ns is None or len(args) != 2:
            return self._query("lexisting", args)
        paths, cwd = args
        c = paths.__class__
        if c is not list and c is not tuple:
            return self._query("lexisting", args)
        try:  # (names met before: a lookup in a dict of ~5,500, not in the interpreter's)
            paths = c(map(_CANON.__getitem__, paths))
        except (KeyError, TypeError):
            try:
                paths = c(map(_intern, paths))  # (TypeError: not all exact str)
            except TypeError:
                return self._query("lexisting", args)
            if len(_CANON) > 500_000:
                _CANON.clear()
            _CANON.update(zip(paths, paths))
        known = ns.known.get(cwd)
        if known is None:
            known = ns.known[cwd] = {}
        try:  # (every name known already: the usual case)
            mask = list(map(known.__getitem__, paths))
        except KeyError:
            new = [p for p in dict.fromkeys(paths) if p not in known]
            try:
                found = set(fs.lexisting(new, cwd))
            except OSError:  # (noted and raised as the query does)
                return self._query("lexisting", args)
            for p in new:
                known[p] = p in found
            mask = list(map(known.__getitem__, paths))
        answer = list(compress(paths, mask))
        self.log.append(Observation("lexisting", (paths, _intern(cwd) if cwd.__class__
                                                  is str else cwd), tuple(answer)))
        return answer

    def _query(self, name: str, args: tuple):
        try:
            answer = getattr(self._fs, name)(*args)
        except OSError as e:
            self._note(name, args, ("error", e.errno))
            raise
        return self._note(name, args, answer)

    def __getattr__(self, name: str):
        real = getattr(self._fs, name)
        if name in _PURE:
            def query(*args, _m=name, _f=real):
                try:
                    answer = _f(*args)
                except OSError as e:
                    self._note(_m, args, ("error", e.errno))
                    raise
                return self._note(_m, args, answer)
            return query
        # anything else (a write, a stat, the clock): the read is not a pure function of
        # its observations any more
        if self.reusable:
            self.reusable = False
            self.why_not = f"the read phase used the filesystem's '{name}'"
        return real


def _interned(args: tuple) -> tuple:
    """ARGS with each name (a str, or a list or tuple of them; the names of an answer)
    as the interpreter's one string object of that text: the ~340 processes of a kernel tree ask about the same
    ~15,000 names ~250,000 times, and a log of shared names is a smaller file that loads
    faster (the pickle keeps each object once)."""
    out = []
    for a in args:
        c = a.__class__
        if c is str:
            a = _intern(a)
        elif (c is list or c is tuple) and all(x.__class__ is str for x in a):
            a = c(map(_intern, a))
        out.append(a)
    return tuple(out)


def _comparable(method: str, answer, inos: dict[int, int]):
    if method == "ino":
        return None if answer is None else inos.setdefault(answer, len(inos))
    if method == "lstat":
        if answer is None:
            return None
        return (answer.kind, answer.mtime, answer.size, inos.setdefault(answer.ino, len(inos)))
    if method in ("listdir", "lexisting") and answer is not None:
        return tuple(answer)
    return answer


class _Namespace:
    """Answers that depend on a SimFS's namespace only (lexisting, isdir), kept while
    it is unchanged (its ``generation``, which every name added, removed or moved
    bumps, and which its own cache of failed resolutions keys on): the ~340 read logs
    of a kernel tree ask about ~5,500 names ~250,000 times, mostly with no change in
    between."""

    def __init__(self) -> None:
        self.fs: weakref.ref | None = None
        self.generation = -1
        self.known: dict[object, dict[str, bool]] = {}  # cwd -> name -> exists
        self.dirs: dict[tuple, bool] = {}  # (path, cwd) -> isdir

    def on(self, fs) -> "_Namespace | None":
        """This cache, made current for FS; None when FS keeps no generation."""
        gen = getattr(fs, "generation", None)
        if gen is None:
            return None
        if self.fs is None or self.fs() is not fs or self.generation != gen:
            self.fs = weakref.ref(fs)
            self.generation = gen
            self.known = {}
            self.dirs = {}
        return self

    def lexisting(self, fs, args: tuple):
        """fs.lexisting(*ARGS); the cache is current for FS (on)."""
        if len(args) != 2:
            return fs.lexisting(*args)
        paths, cwd = args
        known = self.known.get(cwd)
        if known is None:
            known = self.known[cwd] = {}
        try:  # (every name known already: the usual case)
            return list(compress(paths, map(known.__getitem__, paths)))
        except KeyError:
            pass
        new = list(set(paths).difference(known))
        found = set(fs.lexisting(new, cwd))
        for p in new:
            known[p] = p in found
        return list(compress(paths, map(known.__getitem__, paths)))

    def isdir(self, fs, args: tuple) -> bool:
        """fs.isdir(*ARGS); the cache is current for FS (on)."""
        got = self.dirs.get(args)
        if got is None:
            got = self.dirs[args] = fs.isdir(*args)
        return got


_NAMESPACE = _Namespace()


def still_true(log: list[Observation], fs) -> bool:
    """Whether every observation in LOG comes out the same on FS now."""
    inos: dict[int, int] = {}
    ns = _NAMESPACE.on(fs)  # (no query below changes the namespace)
    for ob in log:
        method = ob.method
        try:
            if ns is not None and method == "lexisting":
                answer = ns.lexisting(fs, ob.args)
            elif ns is not None and method == "isdir":
                answer = ns.isdir(fs, ob.args)
            else:
                answer = getattr(fs, method)(*ob.args)
        except OSError as e:
            answer = ("error", e.errno)
        a = _comparable(ob.method, answer, inos)
        if a is not ob.answer and a != ob.answer:
            want = ob.answer
            if not (want.__class__ is Digest and a.__class__ is bytes and want.matches(a)):
                return False
    return True
