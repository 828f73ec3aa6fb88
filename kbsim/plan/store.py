"""The read cache on disk, so that a second ``kbsim replay`` of the same tree starts warm.

One file per tree (``<cache dir>/reads-1/<namespace>.bin``), written whole at the end of
a run: plain data only (lists, dicts, strings, numbers; every string once in a table, file
contents as BLAKE2b digests), serialised with pickle's protocol 5, zlib-compressed, and
read back by an unpickler that refuses every global (``_PlainUnpickler``): nothing in the
file can name a class or a function, so loading it cannot import or run anything (the
pattern the pickle documentation gives for restricting what a file may contain). Every
entry is checked again (observe.still_true) before it is used, the file names its format
and a fingerprint of kbsim's own code, and a file that does not decode, is truncated,
foreign or from another kbsim is ignored with one warning line. What the checks cannot
catch is a file crafted on purpose by someone who can write your cache directory: it
could make a simulation wrong (never run anything). Keep the directory your own, as
~/.cache is. Deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
import zlib
from pathlib import Path

from ..make.expand import AppendVariable, Variable, VariableNames
from ..make.gcpause import paused_gc
from ..make.filedb import NONEXISTENT, UNKNOWN, PatternRule, Recipe
from ..make.options import MakeOptions
from .engine import CachedRead, ReadCache
from .freeze import Plan
from .observe import Digest, Observation

FORMAT = "kbsim-read-cache/1"
SUBDIR = "reads-1"


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
        doc = _PlainUnpickler(io.BytesIO(zlib.decompress(data))).load()
        if (not isinstance(doc, dict) or doc.get("format") != FORMAT
                or doc.get("code") != code_fingerprint()):
            self.warn(f"read cache {self.path} was written by another kbsim; not used "
                      f"(it is rewritten)")
            return None
        return list(_Decoder(doc["strings"]).entries(doc["entries"]))

    def save(self) -> None:
        """Write the cache when this run added to it (atomically: a temporary file
        renamed into place). A directory that cannot be written: one warning."""
        if self.found and len(self.cache.added) == self.mark:
            return  # (nothing new)
        with paused_gc():
            enc = _Encoder()
            entries = [enc.entry(k, e) for k, es in self.cache.entries.items() for e in es]
            doc = {"format": FORMAT, "code": code_fingerprint(), "entries": entries,
                   "strings": enc.strings}
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


class _PlainUnpickler(pickle.Unpickler):
    """Builds lists, dicts, tuples, strings, bytes and numbers only: any reference to a
    class or function (the way a pickle runs code) is an error."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"the read cache may not name {module}.{name}")


# ---------------------------------------------------------------------------- encoding
# Plan columns stored as the indices where they are true (most entries are not targets,
# not phony...): all but 'names', whose strings go through the table.
_FLAGS = ("is_target", "phony", "intermediate", "secondary", "precious", "cmd_target",
          "dontcare", "tried_implicit", "plain")
# columns mostly None, stored as [index, value] pairs
_SPARSE = ("oo", "cmds", "stem", "rule_floc", "implicit_rule")


def _plain(v):
    """A value as JSON: tuples as lists, file contents as their digest, dicts by pairs."""
    if v is None or v.__class__ in (str, int, bool):
        return v
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, bytes):
        return {"d": hashlib.blake2b(v, digest_size=16).hexdigest()}
    if isinstance(v, Digest):
        return {"d": v.hex}
    if isinstance(v, dict):
        return {"m": [[_plain(k), _plain(x)] for k, x in v.items()]}
    raise TypeError(f"cannot store {type(v).__name__}")


def _unplain(v, tuples: bool = True):
    """_plain undone (lists as tuples unless TUPLES is false)."""
    if v.__class__ is list:
        items = [x if x is None or x.__class__ in (str, int, bool) else _unplain(x, tuples)
                 for x in v]
        return tuple(items) if tuples else items
    if v.__class__ is dict:
        if "d" in v:
            return Digest(v["d"])
        return {_unplain(k, tuples): _unplain(x, tuples) for k, x in v["m"]}
    return v


class _Encoder:
    def __init__(self) -> None:
        self.strings: list[str] = []
        self._ids: dict[str, int] = {}

    def s(self, text: str | None):
        if text is None:
            return None
        i = self._ids.get(text)
        if i is None:
            i = self._ids[text] = len(self.strings)
            self.strings.append(text)
        return i

    def entry(self, key: tuple, e: CachedRead) -> dict:
        out = {"key": _plain(key),
               "log": [[o.method, _plain(o.args), _plain(o.answer)] for o in e.log],
               "refusal": e.refusal}
        if e.plan is not None:
            out["plan"] = self.plan(e.plan)
        return out

    def plan(self, p: Plan) -> dict:
        recipes: dict[int, int] = {}
        table: list = []

        def rid(r):
            if r is None:
                return None
            k = id(r)
            if k not in recipes:
                recipes[k] = len(table)
                table.append([[self.s(x) for x in r.lines], self.s(r.filename), r.lineno,
                              r.prefix])
            return recipes[k]

        rules = {id(r): i for i, r in enumerate(p.pattern_rules)}
        conv = {"oo": list, "cmds": rid, "stem": self.s, "rule_floc": _plain,
                "implicit_rule": lambda r: rules[id(r)]}
        d = {"names": [self.s(x) for x in p.names],
             "flags": {k: [i for i, v in enumerate(getattr(p, k)) if v] for k in _FLAGS},
             "sparse": {k: [[i, conv[k](v)] for i, v in enumerate(getattr(p, k))
                            if v is not None] for k in _SPARSE},
             "deps": [list(x) for x in p.deps]}
        d.update(
            pattern_rules=[[[self.s(t) for t in r.targets], [self.s(t) for t in r.deps],
                            [self.s(t) for t in r.oo], rid(r.cmds), r.terminal,
                            _plain(r.floc)] for r in p.pattern_rules],
            variables=[[self.s(v.name), self.s(v.value), v.recursive, v.origin,
                        v.export, _plain(v.floc), v.private,
                        2 if isinstance(v, VariableNames) else isinstance(v, AppendVariable)]
                       for v in p.variables.values()],
            suffixes=[self.s(x) for x in p.suffixes],
            recipe_env=_plain(p.recipe_env), goals=list(p.goals),
            default_goal=p.default_goal, makefile_list=self.s(p.makefile_list),
            read_files=[[f, fl, err, _plain(floc)] for f, fl, err, floc in p.read_files],
            cwd=p.cwd, opts=_plain(vars(p.opts)),
            switches=[p.just_print, p.keep_going, p.silent, p.ignore_errors,
                      p.delete_on_error, p.not_parallel, p.all_secondary, p.print_directory,
                      p.traced],
            silent_files=_plain(_sortable(p.silent_files)),
            ignore_files=_plain(_sortable(p.ignore_files)),
            dir_cache=_plain(p.dir_cache),
            dir_contents=[[k, sorted(v)] for k, v in p.dir_contents.items()],
            output=_plain(p.output), events=_plain(p.events), recipes=table)
        return d


def _sortable(v):
    return v if isinstance(v, bool) else sorted(v)


class _Decoder:
    def __init__(self, strings: list[str]):
        self.strings = strings

    def s(self, i):
        return None if i is None else self.strings[i]

    def entries(self, raw: list):
        for e in raw:
            key = _unplain(e["key"])
            log = tuple(Observation(m, _unplain(a), ans if ans is None or ans.__class__ in
                                    (str, int, bool) else _unplain(ans))
                        for m, a, ans in e["log"])
            plan = self.plan(e["plan"]) if "plan" in e else None
            yield key, CachedRead(log, plan, e["refusal"])

    def plan(self, d: dict) -> Plan:
        s = self.s
        strings = self.strings.__getitem__
        recipes = [Recipe([s(x) for x in lines], s(fn), lineno, prefix)
                   for lines, fn, lineno, prefix in d["recipes"]]
        rules = tuple(PatternRule([s(t) for t in tg], [s(t) for t in dp], [s(t) for t in oo],
                                  None if c is None else recipes[c], term, _unplain(floc))
                      for tg, dp, oo, c, term, floc in d["pattern_rules"])
        variables = {}
        for name, value, recursive, origin, export, floc, private, kind in d["variables"]:
            if kind == 2:  # .VARIABLES: the names of this table
                v = VariableNames(variables)
            else:
                cls = AppendVariable if kind else Variable
                v = cls(s(name), s(value), recursive, origin, export)
            v.floc = _unplain(floc) if floc is not None else None
            v.private = private
            variables[v.name] = v
        names = tuple(map(strings, d["names"]))
        n = len(names)
        cols: dict[str, tuple] = {}
        for k, where in d["flags"].items():
            col = [False] * n
            for i in where:
                col[i] = True
            cols[k] = tuple(col)
        conv = {"oo": tuple, "cmds": recipes.__getitem__, "stem": strings,
                "rule_floc": _unplain, "implicit_rule": rules.__getitem__}
        for k, pairs in d["sparse"].items():
            col = [None] * n
            f = conv[k]
            for i, v in pairs:
                col[i] = f(v)
            cols[k] = tuple(col)
        seen: dict[tuple, tuple] = {}
        deps = tuple(seen.setdefault(t, t) if len(t) >= 16 else t
                     for t in map(tuple, d["deps"]))
        opts = MakeOptions()
        for k, v in _unplain(d["opts"], tuples=False).items():
            setattr(opts, k, v)
        opts.variables = [tuple(x) for x in opts.variables]
        sw = d["switches"]
        sf, igf = _unplain(d["silent_files"]), _unplain(d["ignore_files"])
        return Plan(
            names=names, index=dict(zip(names, range(n))), deps=deps,
            last_mtime=tuple(NONEXISTENT if ph else UNKNOWN for ph in cols["phony"]),
            suffixes=tuple(s(x) for x in d["suffixes"]),
            **cols, pattern_rules=rules, variables=variables,
            recipe_env=_unplain(d["recipe_env"]), goals=tuple(d["goals"]),
            default_goal=d["default_goal"], makefile_list=s(d["makefile_list"]),
            read_files=tuple((f, fl, err, _unplain(floc) if floc is not None else None)
                             for f, fl, err, floc in d["read_files"]),
            cwd=d["cwd"], opts=opts,
            just_print=sw[0], keep_going=sw[1], silent=sw[2], ignore_errors=sw[3],
            delete_on_error=sw[4], not_parallel=sw[5], all_secondary=sw[6],
            print_directory=sw[7], traced=sw[8],
            silent_files=sf if isinstance(sf, bool) else frozenset(sf),
            ignore_files=igf if isinstance(igf, bool) else frozenset(igf),
            dir_cache=_unplain(d["dir_cache"]),
            dir_contents={k: frozenset(v) for k, v in d["dir_contents"]},
            output=_unplain(d["output"]),
            events=tuple((k, dict(v)) for k, v in _unplain(d["events"])))
