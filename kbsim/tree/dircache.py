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

Every make, even one with nothing to do, writes the build directory's Makefile and
.missing-syscalls.d again, which the capture never reads: when the only answers that
differ are listing entries of such files (Check.unread), the kept spec is given their
new mtimes where a fresh capture would put them (patch_mtimes), instead of capturing
again.

The check takes ~0.06 s on the 6.1 tree (~360 listings, ~7,800 realpaths and stats).
Running it in a forked child on the other core measured no gain (1.073 s against 1.064 s
wall, 8 alternated warm replays of the 6.1 tree, 2026-12-07), and a fork while the read
cache's prefetch thread runs is a risk, so there is none. The spec is then unpickled as
it is decompressed (store.loads_frame): decompressing it whole on a thread while the
check ran held its 35 MB pickle at once, for no gain in time (10 alternated warm replays
of the 6.1 tree: 0.888 s CPU and 160 MB peak, against 0.913 s and 191 MB, 2026-12-07).
The file also keeps the digests of the contents the replay lays out from the spec, which
the read cache's checks would otherwise compute again (plan/observe.py known_digests).
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

from ..make.gcpause import paused_gc
from ..plan.observe import known_digests
from ..plan.store import (decompress, load_data, loads_frame, namespace,
                          save_document, written_here)
from .capcache import RACY_NS, signature
from .keptspec import fields_ok, packed, restored
from .specparts import SPEC_ALLOWED

FORMAT = "kbsim-build-dir-spec/2"
SUBDIR = "builddirs-1"

# what the file's outer document may hold (builtin containers only; a spec's classes:
# specparts.SPEC_ALLOWED)
_DOC_ALLOWED: set[tuple[str, str]] = set()


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


def still_same(log, tree) -> bool:
    """Does TREE (a fresh capture.RealTree) give every answer of LOG again, asked in
    order? A file opened is checked by its signature: the one its directory listing
    just gave, when it is a regular file the listing reached, else by opening it."""
    check = Check(log, tree)
    return check.run(0, len(log)) and not check.moved


class Check:
    """The answers of a kept LOG asked again of TREE (a fresh capture.RealTree), like
    still_same, but past the answers a make changes without changing the capture's
    result. A no-op make of a 5.10, 6.1 or 6.12 tree writes the build directory's
    Makefile and .missing-syscalls.d again (the same bytes, so the same size and inode,
    a later mtime and ctime: their logs before and after ``make -j2``, 2026-12-07), and
    the capture reads neither: it uses such a file's listing entry only for its name,
    kind and mtime. So a listing whose names and kinds are the same, and where only
    regular files' mtimes and signatures moved, is noted in ``moved`` (path -> (kept
    entry, new entry)); any other answer that differs ends the check (``first``: its
    index and the answer, a listing's unread files as kept: what the .seen file
    records)."""

    def __init__(self, log, tree):
        self.log, self.tree = log, tree
        self.listed: dict[str, tuple] = {}  # regular files of the listings checked
        self.moved: dict[str, tuple] = {}
        self.first: tuple | None = None
        self._asked: set | None = None

    def run(self, lo: int, hi: int) -> bool:
        """Check the log's entries LO..HI-1; False once an answer differs otherwise."""
        log, tree, listed = self.log, self.tree, self.listed
        for i in range(lo, hi):
            entry = log[i]
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
                if method == "scandir" and self._moved_only(args[0], want, got):
                    continue
                self.first = (i, self._as_kept(args[0], want, got)
                              if method == "scandir" else got)
                return False
        return True

    def _moved_only(self, base: str, want, got) -> bool:
        """Do the listings WANT and GOT differ only in regular files' mtimes and
        signatures, each of a file the capture did not read (unread)? Noted if so."""
        if not (want.__class__ is tuple and got.__class__ is tuple
                and len(want) == len(got)):
            return False
        moved = []
        for w, g in zip(want, got):
            if w == g:
                continue
            if not (w.__class__ is tuple and len(w) == 4 and w[0] == g[0]
                    and w[1] == g[1] == "file" and g[3] is not None):
                return False
            path = f"{base}/{w[0]}"
            if not self.unread(path):
                return False
            moved.append((path, w, g))
        for path, w, g in moved:
            self.moved[path] = (w, g)
        return True

    def _as_kept(self, base: str, want, got):
        """GOT (a listing), with the entries of unread files as WANT had them, so that a
        make's writes to those do not change what the .seen file records."""
        if not (want.__class__ is tuple and got.__class__ is tuple):
            return got
        kept = {w[0]: w for w in want if w.__class__ is tuple and len(w) == 4}
        return tuple(kept[g[0]] if len(g) == 4 and g[0] in kept and kept[g[0]][1] == "file"
                     and self.unread(f"{base}/{g[0]}") else g for g in got)

    def unread(self, path: str) -> bool:
        """Did the capture use nothing of the file PATH but its listing entry (name, kind,
        mtime)? Not if the log asks anything else of it (an open, a stat, the lstat_kind
        with which text files and objects are read, even through the capture cache), nor
        for the names whose listing entry itself says more: a .cmd file (its mtime is its
        CmdEntry's; its scan is cached by signature), an object (its facts are cached by
        signature), a ksym file (its mtime decides the granularity), the state files the
        capture reads and the filechk texts and sources whose mtimes the verdicts compare
        (filechk.py)."""
        asked = self._asked
        if asked is None:
            asked = self._asked = {a[1][0] for a in self.log
                                   if a[0] != "scandir" and a[1]}
        if path in asked:
            return False
        name = path.rpartition("/")[2]
        return not (name.endswith((".cmd", ".o", ".ko", ".mod", ".usyms", ".s"))
                    or name.startswith("vmlinux") or "/ksym" in path
                    or path.endswith(_read_names()))


@functools.cache
def _read_names() -> tuple[str, ...]:
    from .capture import AUTO_CONF, AUTOKSYMS, KERNEL_RELEASE, MODULES_ORDER
    from .filechk import OFFSETS, TEXT_FILES
    return tuple(f"/{n}" for n in (AUTO_CONF, AUTOKSYMS, KERNEL_RELEASE, MODULES_ORDER,
                                   *TEXT_FILES, *(s for s, _ in OFFSETS.values())))


def patch_mtimes(spec, moved: dict[str, tuple]) -> bool:
    """Give SPEC (a kept spec) the new mtimes of the unread files MOVED (Check.moved,
    absolute paths), every place a fresh capture and spec_from_capture put them: the
    capture's mtimes (capture.py walk: a file's listing mtime, when nothing else gave
    its mtime), the file's entry in the initial files (captured.initial_files: its mtime,
    no content), and the start of the next make (incremental.next_make_start). False,
    with SPEC unchanged, when a file is not there as that says (its mtime came from
    elsewhere) or it is an object or the target of a tools/ .cmd file (whose mtimes
    decide more)."""
    from .incremental import next_make_start
    cap = spec.capture
    root = cap.build_dir.rstrip("/") or "/"
    files = spec.initial_files
    todo = []
    for path, (w, g) in moved.items():
        if not path.startswith(root + "/"):
            return False
        rel = path[len(root) + 1:]
        f = files.get(path)
        if (cap.mtimes.get(rel) != w[2] or rel not in cap.mtimes or f is None
                or f[0] != w[2] or rel in cap.objects or rel in cap.names.values()):
            return False
        todo.append((rel, path, g[2], f[1]))
    if todo and rel_in_tools_targets(cap, {t[0] for t in todo}):
        return False
    for rel, path, m, data in todo:
        cap.mtimes[rel] = m
        files[path] = (m, data)
    spec.now_ns = next_make_start(spec)
    return True


def rel_in_tools_targets(cap, rels: set[str]) -> bool:
    """Is one of RELS the target of a tools/ .cmd file (whose names the capture does not
    resolve; its target's mtime goes into the granularity's evidence as written)?"""
    from .cmdscan import scan_cmd
    for e in cap.cmd_files:
        if e.path.startswith("tools/") and e.text is not None:
            t = scan_cmd(e.text, e.path).target
            if t is not None and t in rels:
                return True
    return False


class DirSpecCache:
    """The spec of one build directory on disk (see the module docstring)."""

    def __init__(self, directory: Path | str, key: tuple, warn=None):
        self.key = key
        self.path = Path(directory) / SUBDIR / f"{namespace(*map(repr, key))}.bin"
        self._warn = warn or (lambda text: None)
        self.warned = False
        self.seen = self.path.with_suffix(".seen")  # see _keep()
        self.keep = True  # (load: keep the spec built instead of the one kept?)
        self.top_same = False

    def warn(self, text: str) -> None:
        if not self.warned:
            self.warned = True
            self._warn(text)

    def load(self, tree, idle=None):
        """The spec kept, when every answer of its log is still the same on TREE, or
        differs only in the mtimes of files the capture did not read (Check; the spec is
        then patched with them); else None, and ``keep`` says whether the spec built
        instead is to be kept (see _keep). IDLE(): work of the caller's, done once the
        first answer is the same (the read cache's loading: api/readcache.py)."""
        self.keep = True
        doc = load_data(self.path, _DOC_ALLOWED, self.warn)
        if doc is None:
            return None
        if not written_here(doc, FORMAT, self.path, self.warn):
            return None
        log = doc.get("log")
        if not (isinstance(log, list) and fields_ok(doc)):
            # (the log's entries are checked as they are asked again: Check.run)
            self.warn(f"{self.path} is damaged; not used (it is rewritten)")
            return None
        if doc.get("key") != self.key:
            return None  # (another environment: built again, and kept instead)
        check = Check(log, tree)
        # the top directory's listing first, here: a make run since changes it (it
        # rewrites the build directory's Makefile), and when more than unread files'
        # mtimes changed there, nothing more is done
        same = self._run(check, 0, 1)
        if same is None:
            return None
        self.top_same = same and not check.moved
        if not same:
            self.keep = self._keep(check)
            return None
        if idle is not None:
            idle()
        same = self._run(check, 1, len(log))
        if same is None:
            return None
        if not same:  # (the tree changed: built again)
            self.keep = self._keep(check)
            return None
        try:
            capture = decompress(doc["capture"])  # (its checksum checked now)
        except Exception as e:  # noqa: BLE001 - any damage: not used, said once
            self.warn(f"{self.path} is damaged ({type(e).__name__}); not used (it is "
                      f"rewritten)")
            return None
        spec = loads_frame(doc["spec"], SPEC_ALLOWED, self.path, self.warn)
        if spec is None:
            return None
        try:
            spec, contents = restored(spec, doc, capture, self.path)
            patched = not check.moved or patch_mtimes(spec, check.moved)  # (its capture)
        except Exception as e:  # noqa: BLE001 - any damage: not used, said once
            self.warn(f"{self.path} is damaged ({type(e).__name__}); not used (it is "
                      f"rewritten)")
            return None
        if not patched:
            check.first = (-1, sorted((p, g) for p, (_, g) in check.moved.items()))
            self.keep = self._keep(check)
            return None
        known_digests(zip(contents, doc["digests"]))
        return spec

    def _run(self, check: "Check", lo: int, hi: int) -> bool | None:
        """check.run(LO, HI), or None (said once) when the log is damaged."""
        try:
            return check.run(lo, hi)
        except Exception:  # noqa: BLE001 - Damaged, or any other surprise in the file
            self.warn(f"{self.path} is damaged (its log); not used (it is rewritten)")
            return None

    def save(self, spec, rec: RecordingTree, start_ns: int) -> None:
        """Keep SPEC (as built, before any replay changed it) with REC's log, when every
        answer could be recorded and no file read was racily clean."""
        if not (rec.usable and rec.settled(start_ns)):
            if self.warned:  # a damaged or foreign file, said once: not said again
                try:
                    self.path.unlink()
                except OSError:
                    pass
            return
        save_document(self.path, FORMAT, {"key": self.key, "log": rec.log, **packed(spec)},
                      self.warn)

    def _keep(self, check: "Check") -> bool:
        """Is the spec built instead of the kept one (which CHECK found different) to be
        kept? Keeping costs ~0.13 s on the 6.1 tree (and recording the capture's answers
        ~0.03 s), and is worth it only if the tree stays as it is now, up to what a make
        with nothing to do writes (Check: the kept spec is patched for those). So: when
        the top directory's listing is the kept one (no make since), or when the run
        before found the same first difference from the kept spec (a digest of it in
        the ``.seen`` file beside, the listings' unread files as kept); else this run's
        is written there instead."""
        i, got = check.first
        if i != 0 and self.top_same:
            return True  # (the top directory's listing the same: no make since)
        mark = namespace(repr((i, got)))
        try:
            if self.seen.read_text() == mark:
                self.seen.unlink()
                return True
        except OSError:
            pass
        try:
            self.seen.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.seen.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_text(mark)
            os.replace(tmp, self.seen)
        except OSError:
            pass
        return False


_METHODS = frozenset(("scandir", "readlink", "stat", "lstat_kind", "realpath", "filesystem",
                      "host_kernel", "open"))


def build_dir_spec(path: Path, cache_dir: Path | str, warn=None, idle=None):
    """The spec of the next make of the build directory PATH (registry.load_spec), from
    CACHE_DIR when its capture's answers are all the same again; else captured (with
    the capture cache in CACHE_DIR), built, and kept there. IDLE(): work of the caller's
    to do meanwhile (DirSpecCache.load)."""
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
            # (the answers recorded only for a spec to be kept: ~0.03 s on the 6.1 tree)
            rec = RecordingTree(RealTree()) if cache.keep else None
            spec = spec_from_capture(capture(str(path), layout="inline",  # texts as read
                                             cache_dir=cache_dir, warn=warn, tree=rec))
            if rec is not None:
                cache.save(spec, rec, start)
    return spec
