"""A build directory's BuildSpec, kept while everything its capture observed is unchanged.

``kbsim replay BUILD_DIR`` captures the directory in memory (capture.py) and turns the
capture into the next make's spec (incremental.spec_from_capture). On a warm run of the
6.1 tree that was ~0.33 s of a 1.3 s replay, even with the capture cache (capcache.py)
sparing the scans: the capture still reads every ``.cmd`` file, resolves every name they
give, and the spec is built again. Both are a function of what the capture observed of
the real filesystem, all of which goes through its tree (RealTree) and of the
environment the filechk facts record; the spec is a function of the capture and of
kbsim's code.

So the capture runs on a ``RecordingTree``, which logs each question with its answer:
each directory listing (every entry's name, kind and stat signature: mtime, size, inode,
ctime), symlink, stat, kind, realpath, filesystem type and kernel release, and for each
file opened, the stat signature of what was opened (or the error). The spec is kept with
that log in ``<cache dir>/builddirs-1/<digest of the directory, source tree, ELF mode>.bin``
and reused only when the same questions, asked again in the same order, get the same
answers (``still_same``), and the key (kbsim's code, the directory, the source tree, the
ELF mode, the recorded environment) is the same. A file's contents are taken as unchanged
while its signature is (the capture cache's rule: ctime changes with every write and no
call sets it), and the spec is not kept when a file it read changed less than
capcache.RACY_NS before the capture began (git's racily clean rule), so a write in the
same timestamp tick cannot hide. A damaged, truncated, foreign or older file is one
warning line and is rewritten; the spec is then built as without it.

The check (~0.06 s on the 6.1 tree: ~360 listings, ~7,800 realpaths and stats) runs while
a thread decompresses the spec (zstd gives up the GIL). Running it in a forked child on
the other core measured no gain (1.073 s against 1.064 s wall, 8 alternated warm replays
of the 6.1 tree, 2026-12-07), and a fork while the read cache's prefetch thread runs is
a risk, so there is none. The file also keeps the digests of the contents the replay lays out from the spec, which
the read cache's checks would otherwise compute again (plan/observe.py known_digests).
"""

from __future__ import annotations

import io
import os
import pickle
import threading
from pathlib import Path

from ..make.gcpause import paused_gc
from ..plan.observe import digest_of, known_digests
from ..plan.store import (compress, decompress, load_data, loads_data, namespace,
                          save_document, written_here)
from .capcache import RACY_NS, signature

FORMAT = "kbsim-build-dir-spec/1"
SUBDIR = "builddirs-1"

# what the file's outer document may hold (builtin containers only), and the classes of
# a spec of a captured tree (its capture's pydantic models and scans included)
_DOC_ALLOWED: set[tuple[str, str]] = set()
_SPEC_ALLOWED = {
    ("kbsim.tree.captured", "CapturedBuildSpec"),
    ("kbsim.kbuild.spec", "DirSpec"), ("kbsim.kbuild.spec", "ObjectSpec"),
    ("kbsim.kbuild.spec", "ModuleSpec"), ("kbsim.kbuild.spec", "Timing"),
    ("kbsim.kbuild.treegraph", "TreeGraph"), ("kbsim.kbuild.treegraph", "TreeTarget"),
    ("kbsim.kbuild.treegraph", "FilechkVerdict"),
    ("kbsim.tree.cmdscan", "ScanResult"), ("kbsim.kbuild.cmdfile", "CmdFile"),
    ("kbsim.kbuild.cmdfile", "Dep"),
    *(("kbsim.tree.capture_format", n) for n in (
        "Capture", "TextFile", "FilechkFacts", "ObjtoolRules", "CmdScan", "CmdEntry",
        "ObjectEntry", "EraInfo", "GranularityInfo")),
}


def _error(e: OSError) -> tuple:
    return (None, e.errno)  # (no answer of a tree method is a tuple starting with None)


class RecordingTree:
    """A capture's tree (capture.RealTree) that logs every question and its answer
    (``log``); ``usable`` turns False when an answer could not be recorded."""

    def __init__(self, tree):
        self._t = tree
        self.log: list[tuple[str, tuple, object]] = []
        self.usable = True
        self.opened: list[tuple] = []  # the signatures of the files read

    def _ask(self, method: str, args: tuple, answer_of=None):
        try:
            got = getattr(self._t, method)(*args)
        except OSError as e:
            self.log.append((method, args, _error(e)))
            raise
        except BaseException:
            self.usable = False
            raise
        self.log.append((method, args, got if answer_of is None else answer_of(got)))
        return got

    def scandir(self, path: str):
        return self._ask("scandir", (path,), _listing)

    def readlink(self, path: str) -> str:
        return self._ask("readlink", (path,))

    def stat(self, path: str):
        return self._ask("stat", (path,))

    def lstat_kind(self, path: str):
        return self._ask("lstat_kind", (path,))

    def realpath(self, path: str) -> str:
        return self._ask("realpath", (path,))

    def filesystem(self, path: str):
        return self._ask("filesystem", (path,))

    def host_kernel(self):
        return self._ask("host_kernel", ())

    def open(self, path: str):
        try:
            fh = self._t.open(path)
        except OSError as e:
            self.log.append(("open", (path,), _error(e)))
            raise
        try:
            sig = signature(os.fstat(fh.fileno()))
        except (OSError, AttributeError, io.UnsupportedOperation):
            self.usable = False  # (not a real file: nothing to check it by)
            sig = None
        self.log.append(("open", (path,), sig))
        if sig is not None:
            self.opened.append(sig)
        return fh

    def settled(self, start_ns: int) -> bool:
        """Was every file read last changed before START_NS - RACY_NS (not racily clean)?"""
        limit = start_ns - RACY_NS
        return all(max(s[0], s[3]) < limit for s in self.opened)


def _listing(entries) -> tuple:
    """A listing as the log keeps it: a regular file with its mtime and signature, any
    other entry by its name and kind (the capture descends into a directory and reads a
    link's target, which the log has too, but takes no stat of either)."""
    return tuple((e.name, e.kind, e.mtime_ns, e.sig) if e.kind == "file"
                 else (e.name, e.kind) for e in entries)


class Damaged(ValueError):
    """A log that is not one RecordingTree writes."""


def verdict(log, tree) -> bool | None:
    """still_same(LOG, TREE), or None when LOG is damaged."""
    try:
        return still_same(log, tree)
    except Exception:  # noqa: BLE001 - Damaged, or any other surprise in the file
        return None


def still_same(log, tree) -> bool:
    """Does TREE (a fresh capture.RealTree) give every answer of LOG again, asked in
    order? A file opened is checked by its signature: the one its directory listing
    just gave, when it is a regular file the listing reached, else by opening it."""
    listed: dict[str, tuple] = {}  # regular files of the listings checked: path -> sig
    for entry in log:
        if not (entry.__class__ is tuple and len(entry) == 3):
            raise Damaged("a log entry is not a question and its answer")
        method, args, want = entry
        if method not in _METHODS or args.__class__ is not tuple or not all(
                a.__class__ is str for a in args):
            raise Damaged("a question of the log is not one the capture asks")
        if method == "open":
            path = args[0]
            sig = listed.get(path)
            if sig is not None and sig == want:
                continue
            try:
                with tree.open(path) as fh:
                    got = signature(os.fstat(fh.fileno()))
            except OSError as e:
                got = _error(e)
        else:
            try:
                got = getattr(tree, method)(*args)
            except OSError as e:
                got = _error(e)
            if method == "scandir" and got.__class__ is list:
                got = _listing(got)
                base = args[0]
                for ent in got:
                    if ent[1] == "file" and ent[3] is not None:
                        listed[f"{base}/{ent[0]}"] = ent[3]
        if got != want:
            return False
    return True


class DirSpecCache:
    """The spec of one build directory on disk (see the module docstring)."""

    def __init__(self, directory: Path | str, key: tuple, warn=None):
        self.key = key
        self.path = Path(directory) / SUBDIR / f"{namespace(*map(repr, key))}.bin"
        self._warn = warn or (lambda text: None)
        self.warned = False
        self.kept_top = None  # the top directory's listing in the file's log, if read
        self.seen = self.path.with_suffix(".seen")  # see save()

    def warn(self, text: str) -> None:
        if not self.warned:
            self.warned = True
            self._warn(text)

    def load(self, tree, idle=None):
        """The spec kept, when every answer of its log is still the same on TREE; else
        None. IDLE(): called while a thread decompresses the spec."""
        doc = load_data(self.path, _DOC_ALLOWED, self.warn)
        if doc is None:
            return None
        if not written_here(doc, FORMAT, self.path, self.warn):
            return None
        log, blob, shared = doc.get("log"), doc.get("spec"), doc.get("shared")
        digests = doc.get("digests")
        if not (isinstance(log, list) and isinstance(blob, bytes)
                and isinstance(shared, list) and all(type(i) is int for i in shared)
                and isinstance(digests, list) and all(type(h) is str for h in digests)):
            # (the log's entries are checked as they are asked again: still_same)
            self.warn(f"{self.path} is damaged; not used (it is rewritten)")
            return None
        if log and log[0].__class__ is tuple:
            self.kept_top = log[0]
        if doc.get("key") != self.key:
            return None  # (another environment: built again, and kept instead)
        # the top directory's listing first, here: a make run since changes it (it
        # rewrites the build directory's Makefile), and nothing more is done then
        first = verdict(log[:1], tree)
        if first is None:
            self.warn(f"{self.path} is damaged (its log); not used (it is rewritten)")
            return None
        if not first:
            return None
        # the rest of the answers are checked while a thread decompresses the spec (zstd
        # gives up the GIL); the caller's IDLE work overlaps it too
        raw = Unpacking(blob)
        if idle is not None:
            idle()
        same = verdict(log, tree)
        if same is None:
            self.warn(f"{self.path} is damaged (its log); not used (it is rewritten)")
            return None
        if not same:
            return None  # (the tree changed: built again, and kept instead)
        kind, data = raw.result()
        spec = loads_data(data, _SPEC_ALLOWED, self.path, self.warn) if kind == "ok" else None
        if kind != "ok":
            self.warn(f"{self.path} is damaged ({type(data).__name__}); not used (it is "
                      f"rewritten)")
        from .captured import CapturedBuildSpec
        if spec is None:
            return None
        try:
            if not isinstance(spec, CapturedBuildSpec):
                raise TypeError("not a spec")
            _put_back_texts(spec, shared)
            contents = _contents(spec)
            if len(contents) != len(digests):
                raise ValueError("digests")
        except Exception as e:  # noqa: BLE001 - any damage: not used, said once
            self.warn(f"{self.path} is damaged ({type(e).__name__}); not used (it is "
                      f"rewritten)")
            return None
        known_digests(zip(contents, digests))
        return spec

    def save(self, spec, rec: RecordingTree, start_ns: int) -> None:
        """Keep SPEC (as built, before any replay changed it) with REC's log, when every
        answer could be recorded and no file read was racily clean."""
        if not (rec.usable and rec.settled(start_ns)) or self._churning(rec):
            if self.warned:  # a damaged or foreign file, said once: not said again
                try:
                    self.path.unlink()
                except OSError:
                    pass
            return
        with paused_gc():
            # (a class of the spec that _SPEC_ALLOWED lacks would make every later load
            # one warning and a rebuild: tests/test_dir_spec_cache.py loads the specs back)
            shared, data = _pickled(spec)
        contents = _contents(spec)
        digests = [digest_of(b) for b in contents]
        known_digests(zip(contents, digests))
        save_document(self.path, FORMAT, {"key": self.key, "log": rec.log, "shared": shared,
                                          "digests": digests, "spec": compress(data)},
                      self.warn)

    def _churning(self, rec: RecordingTree) -> bool:
        """Is the top directory changing from run to run? Every make, even one with
        nothing to do, rewrites the build directory's Makefile, so a spec kept between
        two makes is never used, and keeping it costs ~0.2 s. So when the top listing is
        not the one of the spec kept, the spec is kept only if the previous run saw this
        same listing (a digest of it in the ``.seen`` file beside); else this run's is
        written there instead."""
        top = rec.log[0] if rec.log and rec.log[0][0] == "scandir" else None
        if top is None or self.kept_top is None or self.kept_top == top or self.warned:
            return False  # (nothing kept, or the same top, or a damaged file replaced)
        mark = namespace(repr(top))
        try:
            if self.seen.read_text() == mark:
                self.seen.unlink()
                return False
        except OSError:
            pass
        try:
            self.seen.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.seen.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_text(mark)
            os.replace(tmp, self.seen)
        except OSError:
            pass
        return True


def _contents(spec) -> list[bytes]:
    """The contents of the files the replay lays out from SPEC, in order: their digests
    are kept beside the spec, so the read cache's checks of what a make read from them
    (plan/observe.py Digest) need not compute them again."""
    return [d for _, d in spec.initial_files.values() if d is not None]


def _cmd_file_key(spec, e) -> str:
    return e.path if e.path.startswith("/") else f"{spec.capture.build_dir.rstrip('/')}/{e.path}"


def _pickled(spec) -> tuple[list[int], bytes]:
    """SPEC pickled without the texts of the .cmd files that its initial_files hold as
    their UTF-8 bytes (half of a 6.1 tree's spec), and the indexes of those."""
    cmds = spec.capture.cmd_files
    files = spec.initial_files
    shared: list[int] = []
    for i, e in enumerate(cmds):
        t = e.text
        if t is None:
            continue
        f = files.get(_cmd_file_key(spec, e))
        if f is not None and f[1] is not None and f[1] == t.encode("utf-8"):
            shared.append(i)
    texts = [cmds[i].__dict__["text"] for i in shared]
    # each object's header and CONFIG lists as one string object a name (the pickle then
    # holds each name once; equal strings, so nothing changes for the replay)
    names: dict[str, str] = {}
    one = names.setdefault
    for o in (*spec.objects(), *spec.tree_objects):
        o.headers = [one(h, h) for h in o.headers]
        o.configs = [one(c, c) for c in o.configs]
    private = spec.capture.__pydantic_private__
    scans = private.get("_scans") if private else None
    try:
        for i in shared:  # (the model's own dict: no pydantic bookkeeping changes)
            cmds[i].__dict__["text"] = None
        if scans is not None:
            # the capture's own scans, which the spec was built from and which nothing
            # reads after (a CapturedTree of the capture would scan the texts again)
            private["_scans"] = None
        return shared, pickle.dumps(spec, protocol=5)
    finally:
        for i, t in zip(shared, texts):
            cmds[i].__dict__["text"] = t
        if scans is not None:
            private["_scans"] = scans


def _put_back_texts(spec, shared: list[int]) -> None:
    cmds = spec.capture.cmd_files
    files = spec.initial_files
    for i in shared:
        e = cmds[i]
        e.__dict__["text"] = files[_cmd_file_key(spec, e)][1].decode("utf-8")


class Unpacking:
    """decompress(BLOB) on a thread; result(): ("ok", bytes) or ("damaged", exception)."""

    def __init__(self, blob: bytes):
        self._box: list = []
        self._thread = threading.Thread(target=self._run, args=(blob,), daemon=True,
                                        name="kbsim-dir-spec")
        self._thread.start()

    def _run(self, blob: bytes) -> None:
        try:
            self._box.append(("ok", decompress(blob)))
        except Exception as e:  # noqa: BLE001 - any damage: said by the caller
            self._box.append(("damaged", e))

    def result(self):
        self._thread.join()
        return self._box[0]


_METHODS = frozenset(("scandir", "readlink", "stat", "lstat_kind", "realpath", "filesystem",
                      "host_kernel", "open"))


def build_dir_spec(path: Path, cache_dir: Path | str, warn=None, idle=None):
    """The spec of the next make of the build directory PATH (registry.load_spec), from
    CACHE_DIR when its capture's answers are all the same again; else captured (with
    the capture cache in CACHE_DIR), built, and kept there. IDLE(): work of the caller's
    to do while a thread decompresses the kept spec."""
    from . import capcache
    from .capture import RealTree, capture, capture_setup
    from .filechk import capture_env
    from .incremental import spec_from_capture
    root, src, note, mode = capture_setup(str(path), None, None, "inline")
    key = (root, src, note, mode, None, "inline", tuple(sorted(capture_env().items())))
    cache = DirSpecCache(cache_dir, key, warn)
    with paused_gc():  # large object graphs, all kept (make/gcpause.py)
        spec = cache.load(RealTree(), idle)
        if spec is None:
            start = capcache._now()
            rec = RecordingTree(RealTree())
            spec = spec_from_capture(capture(str(path), layout="inline",  # texts as read
                                             cache_dir=cache_dir, warn=warn, tree=rec))
            cache.save(spec, rec, start)
    return spec
