"""The read cache on disk, so that a second ``kbsim replay`` of the same tree starts warm.

One file per tree (``<cache dir>/reads-3/<namespace>.bin``), written whole at the end of
a run: the cache's entries (their observations, with file contents as BLAKE2b digests,
and their Plans, equal parts of them one object and each plan's index left out: _One,
_indexed), serialised with pickle's protocol 5 and compressed with zstd (``compress``), and read back
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
import threading
from pathlib import Path

import zstandard

from ..make.expand import Variable, VariableNames
from ..make.gcpause import paused_gc
from .engine import CachedRead, ReadCache
from .freeze import Plan
from .observe import Digest, Observation, digest_of

FORMAT = "kbsim-read-cache/3"
SUBDIR = "reads-3"


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
        self._raw: Prefetch | None = None
        self._doc: tuple | None = None  # (the file's document,) once preload() read it

    def prefetch(self) -> None:
        """Start reading and decompressing the file on a thread, for a load() later: zstd
        gives up the GIL while it works, so this overlaps the caller's own work (the
        capture of a build directory: 0.03-0.05 s of a warm 6.1 replay)."""
        self._raw = Prefetch(self.path)

    def preload(self) -> None:
        """Read and unpickle the file now (load() then only takes its entries): a run
        calls it while it waits for something else (tree/dircache.py's check)."""
        if self._doc is None:
            raw, self._raw = self._raw, None
            self._doc = (load_data(self.path, _ALLOWED, self.warn, raw),)

    def load(self, into: ReadCache | None = None) -> ReadCache:
        """The cache on disk, in INTO (default: a new ReadCache)."""
        self.cache = into if into is not None else ReadCache()
        self.preload()  # (nothing when it ran already)
        (doc,), self._doc = self._doc, None
        if doc is not None:
            entries = self._entries(doc)
            if entries is not None:
                self.cache.merge(entries)
                self.found = True
        self.mark = len(self.cache.added)
        return self.cache

    def warn(self, text: str) -> None:
        """At most one warning line a run."""
        if not self.warned:
            self.warned = True
            self._warn(f"read cache {text}")

    def _entries(self, doc) -> list | None:
        if not written_here(doc, FORMAT, self.path, self.warn):
            return None
        entries = doc.get("entries")
        if not isinstance(entries, list) or not all(
                isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], tuple)
                and isinstance(x[1], CachedRead) for x in entries) \
                or not _indexed([e.plan for _, e in entries]):
            self.warn(f"{self.path} is damaged (not a list of entries); not used (it is "
                      f"rewritten)")
            return None
        return entries

    def save(self) -> None:
        """Write the cache when this run added to it. A directory that cannot be
        written: one warning."""
        if self.found and len(self.cache.added) == self.mark:
            return  # (nothing new)
        plans: dict = {}
        one = _One()
        entries = [(k, _storable(e, plans, one)) for k, es in self.cache.entries.items()
                   for e in es]
        save_document(self.path, FORMAT, {"entries": entries}, self.warn)


def _storable(e: CachedRead, plans: dict, one: "_One") -> CachedRead:
    """E as the file keeps it: file contents as digests, the plan without what its
    processes learned in this Python process (its implicit searches) and with its long
    values kept packed (KeptVariable), equal parts of its log and plan one object in the
    file (ONE). PLANS: id -> the plan as kept, of the plans done (one object each in the
    file, as in memory)."""
    log = tuple(one.observation(o if o.answer.__class__ is not bytes else
                                Observation(o.method, o.args, Digest(digest_of(o.answer))))
                for o in e.log)
    plan = e.plan
    if plan is not None:
        kept = plans.get(id(plan))
        if kept is None:
            kept = plans[id(plan)] = (_storable_plan(plan, one), plan)
        plan = kept[0]
    return CachedRead(log, plan, e.refusal)


class _One:
    """One object for equal immutable values across the plans and logs a file keeps: the
    ~620 make processes of a kbuild replay read much the same makefiles, so of
    lindroth-2018's 29,019 plain variables 7,701 differ, of its 621 plans' ``deps`` 360,
    of its 10,217 observations 7,113 (2026-12-08), and every object in the file is one
    the load builds (unpickling was ~0.1 s of a warm replay). Sharing them changes
    nothing a replay does: tuples and Observations cannot change, and a plan's Variables
    are never changed by the processes that run it (process.py copies the table; a
    variable's ``compiled`` template is a function of its value). Values are equal only
    with their types (True == 1, so a key holds the types where a field may mix them)."""

    def __init__(self) -> None:
        self.memo: dict = {}

    def value(self, kind: str, v):
        """V, or the equal value of KIND kept before (V when it cannot be a key)."""
        try:
            return self.memo.setdefault((kind, v), v)
        except TypeError:  # (unhashable: a list in it)
            return v

    def observation(self, o: Observation) -> Observation:
        """O, or an equal one kept before; else its lists of names (lexisting's: 247,000
        names in a tinyconfig replay's logs, 1,170 lists of 1,716 distinct) and its
        answer one object for equal values. (A method's answers are of one type; the
        lists are only read: still_true.)"""
        try:
            return self.memo.setdefault(("observation", o), o)
        except TypeError:  # (a list in its arguments)
            pass
        args = tuple(self.names(a) if a.__class__ is list else a for a in o.args)
        return Observation(o.method, args, self.value(o.method, o.answer))

    def names(self, v: list) -> list:
        """V (a list of strings), or an equal list kept before."""
        try:
            return self.memo.setdefault(("list", tuple(v)), v)
        except TypeError:
            return v

    def variable(self, v: Variable) -> Variable:
        """V (a plain Variable), or an equal one kept before: every slot equal, with its
        type."""
        c = v.compiled
        key = (v.name, v.value, v.recursive, v.recursive.__class__, v.origin, v.export,
               v.export.__class__, v.floc, v.private, v.private.__class__,
               c if c is None or c.__class__ is str else pickle.dumps(c, protocol=5))
        try:
            return self.memo.setdefault(("variable", key), v)
        except TypeError:  # (unhashable: a list in its floc, say)
            return v


# the Plan fields kept one object for equal values (tuples, each of one element type);
# ``deps`` also each entry's tuple of prerequisites
_SHARED_FIELDS = ("deps", "oo", "is_target", "phony", "intermediate", "secondary",
                  "precious", "cmd_target", "dontcare", "tried_implicit", "stem",
                  "rule_floc", "implicit_rule", "last_mtime", "mtime_before_update",
                  "suffixes", "plain", "goals", "read_files", "output", "events")


def _indexed(plans: list) -> bool:
    """Give the PLANS of a file (_storable_plan left out ``index``: it is
    ``names``' positions, made again in less time than it unpickles) their index; False
    when one is not a Plan or its names are not distinct strings (a damaged file)."""
    done: set[int] = set()
    for p in plans:
        if p is None or id(p) in done:
            continue
        if p.__class__ is not Plan or p.index is not None or \
                p.names.__class__ is not tuple:
            return False
        names = p.names
        index = dict(zip(names, range(len(names))))
        if len(index) != len(names) or not all(n.__class__ is str for n in index):
            return False
        object.__setattr__(p, "index", index)  # (a frozen dataclass)
        done.add(id(p))
    return True


def _storable_plan(plan: Plan, one: _One) -> Plan:
    changes: dict = {"index": None}  # (made again: _indexed)
    for f in _SHARED_FIELDS:
        v = getattr(plan, f)
        if f == "deps":
            v = tuple(one.value("dep", d) for d in v)
        changes[f] = one.value(f, v)
    if (plan.implicit_memo or plan.implicit_keys or plan.line_programs or plan.recipe_lines
            or plan.prereq_names):
        changes.update(implicit_memo={}, implicit_keys={}, line_programs={}, recipe_lines={},
                       prereq_names={})
    variables = {n: one.variable(v) if v.__class__ is Variable and
                 len(v.value) < KeptVariable.LONG else v
                 for n, v in plan.variables.items()}
    long = [v for v in variables.values()
            if v.__class__ is Variable and len(v.value) >= KeptVariable.LONG]
    if long:
        texts = [v.value for v in long]
        packed = [compress("".join(texts).encode("utf-8", "surrogatepass"))]
        start = 0
        for v, text in zip(long, texts):
            variables[v.name] = KeptVariable.of(v, (packed, start, start + len(text)))
            start += len(text)
    names = variables.get(".VARIABLES")
    if names is not None and names.__class__ is VariableNames:  # (it lists its table)
        new = variables[".VARIABLES"] = VariableNames(variables)
        for n in _SLOTS:
            if n != "value":  # (its value is its table's names)
                setattr(new, n, getattr(names, n))
    changes["variables"] = variables
    return dataclasses.replace(plan, **changes)


class KeptVariable(Variable):
    """A variable of a Plan as the file keeps it when its value is long: the long values
    of a plan compressed together, until something reads one (``_packed``: ([the
    compressed text of them all, or once read the text], start, end)). Such values are the
    dependency lists of kbuild's ``.cmd`` files (``deps_foo.o := ...``), which make expands
    while it reads them and never after: a warm replay of linux-6.1-tinyconfig read none
    of them (16.9 MB of the file's 23 MB pickle: 4,300 page faults and ~0.02 s to unpickle,
    2026-12-08). It reads and writes as a Variable does."""

    __slots__ = ("_packed",)
    LONG = 1024  # (characters)

    @classmethod
    def of(cls, v: Variable, packed: tuple) -> "KeptVariable":
        """V, its value PACKED."""
        k = cls.__new__(cls)
        for n in _SLOTS:
            setattr(k, n, getattr(v, n))  # (value: through the setter below)
        k._packed = packed
        return k

    @property
    def value(self) -> str:  # type: ignore[override]
        packed = self._packed
        if packed is not None:
            box, start, end = packed
            text = box[0]
            if text.__class__ is bytes:  # (the first of the plan's long values read)
                text = box[0] = decompress(text).decode("utf-8", "surrogatepass")
            _VALUE.__set__(self, text[start:end])
            self._packed = None
        return _VALUE.__get__(self)

    @value.setter
    def value(self, v: str) -> None:
        self._packed = None
        _VALUE.__set__(self, v)

    def __getstate__(self):
        """As pickle keeps a Variable's slots, the value packed while it is."""
        state = {n: getattr(self, n) for n in _SLOTS if n != "value"}
        if self._packed is None:
            state["value"] = self.value
        state["_packed"] = self._packed
        return None, state


_SLOTS = Variable.__slots__
_VALUE = Variable.value  # (the slot that holds a Variable's value)


def compress(data: bytes) -> bytes:
    """The files' codec: zstd at level 1. A 6.1 build directory's cache (32 MB of pickle)
    is 2.1 MB and loads in 0.03 s, where zlib made 5.2 MB and took 0.11 s. The frame
    carries a checksum of its content (XXH64), which decompress checks: a damaged file
    that would still decode is refused."""
    return zstandard.ZstdCompressor(level=1, write_checksum=True).compress(data)


def decompress(data: bytes) -> bytes:
    return zstandard.ZstdDecompressor().decompress(data)


def _read(path: Path) -> tuple[str, object]:
    """PATH's bytes: ("ok", bytes), or ("missing" | "unreadable", the exception)."""
    try:
        return "ok", Path(path).read_bytes()
    except (FileNotFoundError, NotADirectoryError) as e:
        return "missing", e
    except OSError as e:
        return "unreadable", e


def _raw_data(path: Path) -> tuple[str, object]:
    """PATH's pickle, decompressed: ("ok", bytes), or ("missing" | "unreadable" |
    "damaged", the exception)."""
    kind, data = _read(path)
    if kind != "ok":
        return kind, data
    try:
        return "ok", decompress(data)
    except Exception as e:  # noqa: BLE001 - any damage: not used, said once
        return "damaged", e


class Prefetch:
    """_raw_data(PATH) on a thread of its own; result() waits for it."""

    def __init__(self, path: Path):
        self._box: list = []
        self._thread = threading.Thread(target=lambda: self._box.append(_raw_data(path)),
                                        name="kbsim-cache-prefetch", daemon=True)
        self._thread.start()

    def result(self) -> tuple[str, object]:
        self._thread.join()
        return self._box[0]


def load_data(path: Path, allowed: set[tuple[str, str]], warn=None,
              prefetched: Prefetch | None = None):
    """The object in PATH (save_data), built by an unpickler that knows only the
    builtin containers and the classes ALLOWED names; None when there is no file, and
    when it does not load (said once through WARN). PREFETCHED: PATH's Prefetch, if one
    was started; else the file is unpickled as it is decompressed (loads_frame): a
    tinyconfig replay's read cache is a 23 MB pickle, held whole for nothing (5,500 page
    faults, 2026-12-08)."""
    if prefetched is None:
        kind, raw = _read(path)
        return loads_frame(raw, allowed, path, warn) if kind == "ok" else \
            _unread(kind, raw, path, warn)
    kind, raw = prefetched.result()
    if kind != "ok" and kind != "damaged":
        return _unread(kind, raw, path, warn)
    try:
        if kind == "damaged":
            raise raw
        with paused_gc():  # (a large graph of containers, all kept: gcpause.py)
            return _DataUnpickler(io.BytesIO(raw), allowed).load()
    except Exception as e:  # noqa: BLE001 - any damage: not used, said once
        if warn:
            warn(f"{path} is damaged ({type(e).__name__}); not used (it is rewritten)")
        return None


def _unread(kind: str, e: OSError, path: Path, warn) -> None:
    """Nothing, for a file _read found missing, and said through WARN when unreadable."""
    if kind == "unreadable" and warn:
        warn(f"{path} not used: {e.strerror or e}")


def loads_data(raw: bytes, allowed: set[tuple[str, str]], path: Path, warn=None):
    """The object pickled in RAW (a part of PATH's), built as load_data builds one; None
    when it does not load (said once through WARN)."""
    try:
        with paused_gc():
            return _DataUnpickler(io.BytesIO(raw), allowed).load()
    except Exception as e:  # noqa: BLE001 - any damage: not used, said once
        if warn:
            warn(f"{path} is damaged ({type(e).__name__}); not used (it is rewritten)")
        return None


def loads_frame(blob: bytes, allowed: set[tuple[str, str]], path: Path, warn=None):
    """The object pickled in BLOB (a compress()ed part of PATH's), built as load_data
    builds one, but unpickled as it is decompressed: the whole pickle is never held (a
    6.1 capture's spec: 34 MB, which cost 7,500 page faults and 0.02 s of a warm replay,
    2026-12-07). The frame's checksum is checked when its end is read, after the
    pickle's last byte: a damaged frame is refused as decompress() refuses it. None when
    it does not load (said once through WARN)."""
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(blob, read_size=1 << 20)
        with paused_gc():
            obj = _DataUnpickler(reader, allowed).load()
        if reader.read(1):  # (and the frame's end, with its checksum, read)
            raise pickle.UnpicklingError("data after the pickle")
        return obj
    except Exception as e:  # noqa: BLE001 - any damage: not used, said once
        if warn:
            warn(f"{path} is damaged ({type(e).__name__}); not used (it is rewritten)")
        return None


def written_here(doc, fmt: str, path, warn) -> bool:
    """Is DOC (the document of a cache file at PATH) in format FMT and written by this very
    kbsim code? Else that is said through WARN, and the caller does not use it (its next
    save rewrites the file)."""
    if (isinstance(doc, dict) and doc.get("format") == fmt
            and doc.get("code") == code_fingerprint()):
        return True
    warn(f"{path} was written by another kbsim; not used (it is rewritten)")
    return False


def save_document(path: Path, fmt: str, fields: dict, warn=None) -> None:
    """FIELDS into PATH (save_data) as a document that written_here accepts."""
    save_data(path, {"format": fmt, "code": code_fingerprint(), **fields}, warn)


def save_data(path: Path, obj, warn=None) -> None:
    """OBJ into PATH, atomically (a temporary file renamed into place); a directory
    that cannot be written is said once through WARN."""
    import tempfile  # (a warm replay writes nothing: not imported for it)
    path = Path(path)
    with paused_gc():
        blob = compress(pickle.dumps(obj, protocol=5))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        if warn:
            warn(f"not written to {path.parent}: {e.strerror or e}")


# the classes a read cache file may build: kbsim's own plain data (no method of theirs
# runs while they are built but the property setters of a variable's value)
_ALLOWED = {
    ("builtins", "frozenset"), ("builtins", "set"),
    ("kbsim.plan.engine", "CachedRead"), ("kbsim.plan.freeze", "Plan"),
    ("kbsim.plan.observe", "Observation"), ("kbsim.plan.observe", "Digest"),
    ("kbsim.make.filedb", "Recipe"), ("kbsim.make.filedb", "PatternRule"),
    ("kbsim.make.expand", "Variable"), ("kbsim.make.expand", "AppendVariable"),
    ("kbsim.make.expand", "VariableNames"), ("kbsim.make.options", "MakeOptions"),
    ("kbsim.plan.store", "KeptVariable"),
}


class _DataUnpickler(pickle.Unpickler):
    """Builds the builtin containers and the allowed classes only: a reference to
    anything else (the way a pickle runs code) is an error."""

    def __init__(self, fh, allowed: set[tuple[str, str]] = frozenset()):
        super().__init__(fh)
        self.allowed = allowed | _BUILTINS

    def find_class(self, module, name):
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"the cache may not name {module}.{name}")
        return super().find_class(module, name)


_BUILTINS = {("builtins", "frozenset"), ("builtins", "set")}
