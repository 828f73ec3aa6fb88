"""What a capture read from each file of a build directory, kept for the next capture.

A second ``kbsim replay BUILD_DIR`` of a tree that changed little need not read and scan
every ``.cmd`` file and object again: this cache keeps, per file, what the capture took from
it (a ``.cmd`` file's scan and its structure(); an object's exports, markers and undefined
symbols, or why it could not be read), with the file's stat signature (mtime, size, inode,
ctime, all in ns). The next capture still lists every directory and lstat()s every entry
(so new, deleted and touched files are all seen); it reuses an entry only when the stat
signature the walk saw is the stored one, and reads the file otherwise. ``ctime`` catches an
mtime set back (``touch -d``, ``os.utime``): the kernel sets it to the current time on every
change and no user call can set it.

Racily clean files (git's rule, Documentation/technical/racy-git.txt): a file changed in
the same timestamp tick as the capture read it could keep the signature the capture saw
with other contents. So an entry is stored only when its mtime and ctime are older than the
capture's start by more than :data:`RACY_NS` (two seconds: the coarsest Linux timestamp
granularity, FAT's, plus the lag of the kernel's coarse clock); a file touched later is read
again next time, until it is that old.

Storage: ``<cache dir>/captures-2/<digest of the build dir, source tree and ELF mode>.bin``,
beside the read cache and through its code (kbsim.plan.store: data-only, an allow-list
unpickler, kbsim's code fingerprint; a damaged or foreign file is one warning line and is
rewritten). Never inside the tree being read: the caller checks (api/readcache.py).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from ..plan.store import load_data, namespace, save_document, written_here
from .cmdscan import ScanResult
from .detect import era_hints
from .elfscan import ObjectFacts

FORMAT = "kbsim-capture-cache/3"  # /3: object facts carry the defined symbols
SUBDIR = "captures-2"  # (2: zstd, as the read cache since reads-3)
RACY_NS = 2_000_000_000
_ALLOWED = {("kbsim.tree.cmdscan", "ScanResult")}
_now = time.time_ns  # (the tests move it)

Sig = tuple  # (st_mtime_ns, st_size, st_ino, st_ctime_ns)


def signature(st) -> Sig:
    """The stat facts a change to a file's contents changes."""
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


class CaptureCache:
    """Per-file results of a capture of one build directory, loaded from and saved to
    one file. ``hits``/``misses``: files reused and read in this capture."""

    def __init__(self, directory: Path | str, root: str, srctree: str | None, mode: str,
                 warn=None, now_ns: int | None = None):
        """ROOT: the build directory (realpath); MODE: what decides an object's facts
        beyond its bytes (the ELF reader available, --elf); NOW_NS: the capture's start
        (default: now), against which entries are racily clean."""
        self.path = Path(directory) / SUBDIR / f"{namespace(root, srctree or '', mode)}.bin"
        self._warn = warn or (lambda text: None)
        self.warned = False
        self.start_ns = _now() if now_ns is None else now_ns
        self.old_cmd: dict = {}
        self.old_obj: dict = {}
        self.new_cmd: dict = {}
        self.new_obj: dict = {}
        self.hits = 0
        self._pairs: dict = {}
        self._names: dict = {}
        self._headers: dict = {}
        self._hints: dict = {}
        self.misses = 0
        self.loaded = False

    def warn(self, text: str) -> None:
        if not self.warned:
            self.warned = True
            self._warn(f"capture cache {text}")

    def load(self) -> "CaptureCache":
        doc = load_data(self.path, _ALLOWED, self.warn)
        if doc is None:
            return self
        if not written_here(doc, FORMAT, self.path, self.warn):
            return self
        cmd, obj = doc.get("cmd"), doc.get("obj")
        if not (isinstance(cmd, dict) and isinstance(obj, dict)
                and all(_cmd_ok(v) for v in cmd.values())
                and all(_obj_ok(k, v) for k, v in obj.items())):
            self.warn(f"{self.path} is damaged; not used (it is rewritten)")
            return self
        self.old_cmd, self.old_obj, self.loaded = cmd, obj, True
        return self

    def _settled(self, sig: Sig | None) -> bool:
        """May an entry with SIG be stored (not racily clean)?"""
        return sig is not None and max(sig[0], sig[3]) < self.start_ns - RACY_NS

    # ---------------------------------------------------------------- .cmd files
    def scan(self, rel: str, sig: Sig | None, size: int) -> ScanResult | None:
        """The scan kept for REL if its signature is SIG (and SIZE, the bytes read now,
        is the size it gives), else None."""
        e = self.old_cmd.get(rel)
        if sig is None or e is None or e[0] != sig or size != sig[1]:
            self.misses += 1
            return None
        self.hits += 1
        self.new_cmd[rel] = e
        return e[1]

    def put_scan(self, rel: str, sig: Sig | None, scan: ScanResult) -> None:
        if not self._settled(sig):
            return
        pair = self._pairs.setdefault  # one object per (name, wildcard) pair and per
        name = self._names.setdefault  # (header, CONFIG names): the file keeps each
        hdr = self._headers.setdefault  # once, and loads it back fast
        src_cfg, headers, ksyms = scan.structure()  # (kept too: its users read it,
        hints = era_hints(scan)  # as they read the era hints)
        self.new_cmd[rel] = (sig, dataclasses.replace(
            scan, deps=[pair((name(p, p), w), (p, w)) for p, w in scan.deps],
            ksymdeps=[pair((name(p, p), w), (p, w)) for p, w in scan.ksymdeps], _cmd=None,
            _structure=([name(p, p) for p in src_cfg], [hdr(h, h) for h in headers],
                        [name(p, p) for p in ksyms]),
            _hints=self._hints.setdefault(tuple(hints.items()), hints)))

    # ---------------------------------------------------------------- objects
    def obj(self, key: str, und: bool, sig: Sig | None):
        """(is ELF, facts or the NotAnObject reason) kept for KEY, or None."""
        e = self.old_obj.get((key, und))
        if sig is None or e is None or e[0] != sig:
            self.misses += 1
            return None
        self.hits += 1
        self.new_obj[(key, und)] = e
        is_elf, r = e[1], e[2]
        if isinstance(r, tuple):
            r = ObjectFacts(r[0], list(r[1]), None if r[2] is None else list(r[2]),
                            None if r[3] is None else list(r[3]),
                            None if r[4] is None else list(r[4]))
        return is_elf, r

    def put_obj(self, key: str, und: bool, sig: Sig | None, is_elf: bool,
                result: "ObjectFacts | str") -> None:
        if not self._settled(sig):
            return
        if isinstance(result, ObjectFacts):
            result = (result.format, tuple(result.exports),
                      None if result.markers is None else tuple(result.markers),
                      None if result.undefined is None else tuple(result.undefined),
                      None if result.defined is None else tuple(result.defined))
        self.new_obj[(key, und)] = (sig, is_elf, result)

    # ---------------------------------------------------------------- saving
    def save(self) -> None:
        """Write the entries this capture used or read, when they differ from the file's
        (entries of files gone from the tree are dropped)."""
        if self.loaded and self.new_cmd.keys() == self.old_cmd.keys() \
                and self.new_obj.keys() == self.old_obj.keys() \
                and all(self.new_cmd[k] is self.old_cmd[k] for k in self.new_cmd) \
                and all(self.new_obj[k] is self.old_obj[k] for k in self.new_obj):
            return
        save_document(self.path, FORMAT, {"cmd": self.new_cmd, "obj": self.new_obj},
                      self.warn)


def _sig_ok(s) -> bool:
    return isinstance(s, tuple) and len(s) == 4 and all(type(x) is int for x in s)


def _cmd_ok(v) -> bool:
    if not (isinstance(v, tuple) and len(v) == 2 and _sig_ok(v[0])
            and isinstance(v[1], ScanResult)):
        return False
    st, h = v[1]._structure, v[1]._hints
    return isinstance(st, tuple) and len(st) == 3 and all(isinstance(x, list) for x in st) \
        and isinstance(h, dict) and all(type(x) is bool for x in h.values())


def _obj_ok(k, v) -> bool:
    if not (isinstance(k, tuple) and len(k) == 2 and isinstance(k[0], str)
            and isinstance(v, tuple) and len(v) == 3 and _sig_ok(v[0])):
        return False
    r = v[2]
    return isinstance(r, str) or (isinstance(r, tuple) and len(r) == 5
                                  and isinstance(r[0], str))
