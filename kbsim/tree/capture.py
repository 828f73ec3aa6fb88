"""Capture a kbuild build tree, read-only: ``kbsim capture BUILD_DIR``.

The walk lists the build directory with ``lstat`` and never follows a symlink (the ``source``
link of an ``O=`` build is recorded, not entered). It reads only regular files reached
that way inside the build directory: the ``.cmd`` files, autoksyms.h, auto.conf,
modules.order, ``.mod``/``.usyms``, and the objects whose contents matter. Every file a
``.cmd`` file names (sources in the source tree included) is ``stat``ed the way make stats
it (following symlinks), and only stat()ed: the source tree's files are never opened.
Nothing is ever written: the capture is returned, and the caller decides where it goes
(the CLI refuses any place inside the build or source tree).

The same code captures a simulated tree (a SimFS, e.g. the state a kbsim replay left), so
tests and experiments can produce captures without a kernel build.
"""

from __future__ import annotations

import errno
import io
from itertools import chain
import os
import posixpath
import stat as pystat
from dataclasses import dataclass
from typing import Callable

from .. import __version__
from ..errors import InputError
from ..make.gcpause import paused_gc
from .capcache import CaptureCache, signature
from .capture_format import (Capture, CmdEntry, EraInfo, GranularityInfo, ObjectEntry,
                             ObjtoolRules, TextFile, encode_lines, lexical_key, module_ko,
                             rel_or_abs)
from .cmdscan import ScanResult, scan_cmd
from .detect import detect_era, detect_granularity
from .filechk import read_filechk_facts
from .linkgraph import declared_prereqs, objtool_exemptions
from .elfscan import ElfUnavailable, NotAnObject, have_pyelftools, read_facts
from .scanstore import store_scans

AUTOKSYMS = "include/generated/autoksyms.h"
AUTO_CONF = "include/config/auto.conf"
KERNEL_RELEASE = "include/config/kernel.release"
MODULES_ORDER = "modules.order"
KSYM_DIRS = ("include/ksym/", "include/config/ksym/")
MAX_TEXT = 64 * 1024 * 1024  # a .cmd or state file larger than this is not read

Progress = Callable[[str, int, "int | None"], None]


@dataclass
class Entry:
    name: str
    kind: str  # file | dir | link | other
    mtime_ns: int
    sig: tuple | None = None  # capcache.signature of a real file (None: not cacheable)


class RealTree:
    """The real filesystem, read-only."""

    def __init__(self):
        self._dirs: dict[str, str] = {}  # directory as spelled -> its realpath
        # realpath's lstat of a leaf that is no symlink: what stat() of it says, so the
        # capture's stat() of that name right after costs no second system call
        self._leaf: dict[str, os.stat_result | OSError] = {}

    def scandir(self, path: str) -> list[Entry]:
        out = []
        with os.scandir(path) as it:
            for e in it:
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                m = st.st_mode
                kind = ("link" if pystat.S_ISLNK(m) else "dir" if pystat.S_ISDIR(m)
                        else "file" if pystat.S_ISREG(m) else "other")
                out.append(Entry(e.name, kind, st.st_mtime_ns, signature(st)))
        return out

    def readlink(self, path: str) -> str:
        return os.readlink(path)

    def stat(self, path: str) -> tuple[str, int]:
        st = self._leaf.pop(path, None)
        if st is None:
            st = os.stat(path)
        elif isinstance(st, OSError):
            raise st
        m = st.st_mode
        return ("dir" if pystat.S_ISDIR(m) else "file" if pystat.S_ISREG(m) else "other",
                st.st_mtime_ns)

    def lstat_kind(self, path: str) -> str | None:
        try:
            m = os.lstat(path).st_mode
        except OSError:
            return None
        return ("link" if pystat.S_ISLNK(m) else "dir" if pystat.S_ISDIR(m)
                else "file" if pystat.S_ISREG(m) else "other")

    def realpath(self, path: str) -> str:
        """os.path.realpath, with each directory resolved once: realpath(d/b) is
        realpath(realpath(d)/b), and only a leaf that is a symlink needs more."""
        d, b = os.path.split(path)
        if not b or b in (".", ".."):
            return os.path.realpath(path)
        rd = self._dirs.get(d)
        if rd is None:
            rd = self._dirs[d] = os.path.realpath(d)
        full = os.path.join(rd, b)
        try:
            st = os.lstat(full)
        except OSError as e:  # missing (or unreadable): realpath keeps the name as it is
            self._leaf[full] = e  # (stat(FULL) fails the same way)
            return full
        if pystat.S_ISLNK(st.st_mode):
            return os.path.realpath(full)
        self._leaf[full] = st
        return full

    def filesystem(self, path: str) -> str | None:
        """The type of the filesystem holding PATH: the longest mount point of
        /proc/self/mountinfo that contains it (read, never written); None if unknown."""
        try:
            with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            return None
        best, kind = -1, None
        p = os.path.realpath(path).rstrip("/") + "/"
        for ln in lines:
            left, sep, right = ln.partition(" - ")
            f = left.split()
            if not sep or len(f) < 5:
                continue
            mp = f[4].replace("\\040", " ").rstrip("/") + "/"
            if p.startswith(mp) and len(mp) > best:
                best, kind = len(mp), (right.split() or [None])[0]
        return kind

    def host_kernel(self) -> str | None:
        return os.uname().release if hasattr(os, "uname") else None

    def open(self, path: str):
        # O_NOFOLLOW: the last component must not be a symlink (the walk checked the rest)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0))
        return os.fdopen(fd, "rb")


class SimTree:
    """A kbsim SimFS (a simulated tree), read without side effects."""

    def __init__(self, fs):
        self.fs = fs

    def scandir(self, path: str) -> list[Entry]:
        names = self.fs.listdir(path)
        if names is None:
            raise FileNotFoundError(errno.ENOENT, "no such directory", path)
        out = []
        for n in names:
            st = self.fs.lstat(f"{path.rstrip('/')}/{n}")
            if st is None:
                continue
            kind = {"f": "file", "d": "dir", "l": "link"}.get(st.kind, "other")
            out.append(Entry(n, kind, st.mtime))
        return out

    def readlink(self, path: str) -> str:
        node = self.fs._lookup(path, None, False)  # noqa: SLF001 (no public readlink)
        return (node.target or "") if node is not None else ""

    def stat(self, path: str) -> tuple[str, int]:
        c = self.fs.canonical(path)
        st = self.fs.lstat(c) if c is not None else None
        if st is None:
            raise FileNotFoundError(errno.ENOENT, "no such file", path)
        return ("dir" if st.kind == "d" else "file" if st.kind == "f" else "other", st.mtime)

    def lstat_kind(self, path: str) -> str | None:
        st = self.fs.lstat(path)
        if st is None:
            return None
        return {"f": "file", "d": "dir", "l": "link"}.get(st.kind, "other")

    def realpath(self, path: str) -> str:
        c = self.fs.canonical(path)
        if c is not None:
            return c
        head, _, tail = lexical_key(path).rpartition("/")
        ch = self.fs.canonical(head or "/")
        return f"{ch.rstrip('/')}/{tail}" if ch is not None else lexical_key(path)

    def filesystem(self, path: str) -> str | None:
        return None  # a simulated tree: its granularity is in its stamps alone

    def host_kernel(self) -> str | None:
        return None

    def open(self, path: str):
        from ..fs import FsError
        try:
            return io.BytesIO(self.fs.read(path))
        except FsError as e:
            raise OSError(e.errno, e.strerror, path) from None


def _err(e: OSError) -> str:
    return e.strerror or str(e)


class _Capturer:
    def __init__(self, tree, root: str, srctree: str | None, elf: bool | None,
                 layout: str, progress: Progress | None, elf_mode: str,
                 cache: CaptureCache | None = None, environ=None):
        self.t = tree
        self.environ = environ  # recorded for the filechk generators (None: os.environ)
        self.root = root.rstrip("/") or "/"
        self.srctree = srctree
        self.want_elf = elf
        self.layout = layout
        self.progress = progress or (lambda stage, done, total: None)
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.partial = False
        self.elf_mode = elf_mode
        self.elf_state = "off" if elf is False else elf_mode
        self.walked: dict[str, int] = {}  # regular files reached without a symlink
        self.sigs: dict[str, tuple | None] = {}  # their stat signatures (capcache.py)
        self.cache = cache

    def abs(self, rel: str) -> str:
        return rel if rel.startswith("/") else f"{self.root}/{rel}"

    def warn(self, msg: str, partial: bool = True) -> None:
        self.warnings.append(msg)
        if partial:
            self.partial = True

    # ------------------------------------------------------------------ walk
    def walk(self):
        cmds, mods, usyms, ksyms, links = [], [], [], {}, {}
        stack = [""]
        n = 0
        while stack:
            rel = stack.pop()
            path = self.abs(rel) if rel else self.root
            try:
                entries = self.t.scandir(path)
            except OSError as e:
                if not rel:
                    raise InputError(f"{self.root}: cannot list: {_err(e)}") from None
                self.warn(f"{rel}: cannot list directory: {_err(e)} (skipped)")
                continue
            for e in sorted(entries, key=lambda x: x.name, reverse=True):
                r = f"{rel}/{e.name}" if rel else e.name
                n += 1
                if not e.name.isascii() and any("\udc80" <= ch <= "\udcff" for ch in e.name):
                    shown = os.fsencode(r).decode("utf-8", "replace")
                    self.warn(f"{shown}: file name is not UTF-8 (skipped)", partial=False)
                    continue
                if e.kind == "link":
                    try:
                        links[r] = self.t.readlink(self.abs(r))
                    except OSError:
                        links[r] = ""
                    continue
                if e.kind == "dir":
                    stack.append(r)
                    continue
                if r.startswith(KSYM_DIRS):
                    ksyms[r] = e.mtime_ns
                if e.kind != "file":
                    continue
                self.walked[r] = e.mtime_ns
                self.sigs[r] = e.sig
                name = e.name
                if name.startswith(".") and name.endswith(".cmd") and len(name) > 5:
                    cmds.append((r, e.mtime_ns))
                elif name.endswith(".mod") and len(name) > 4:
                    mods.append(r)
                elif name.endswith(".usyms") and len(name) > 6:
                    usyms.append(r)
            if n % 2000 < len(entries):
                self.progress("walk", n, None)
        self.progress("walk", n, n)
        return sorted(cmds), sorted(mods), sorted(usyms), dict(sorted(ksyms.items())), \
            dict(sorted(links.items()))

    # ------------------------------------------------------------------ reading
    def read_bytes(self, rel: str) -> bytes:
        with self.t.open(self.abs(rel)) as fh:
            # read(MAX_TEXT + 1) of a real file allocates that much first (~25 us a
            # file): ask for the size fstat says (plus one), and more if it grew
            try:
                want = min(os.fstat(fh.fileno()).st_size, MAX_TEXT) + 1
            except OSError:  # (a simulated tree's file: no descriptor)
                want = MAX_TEXT + 1
            data = fh.read(want)
            if len(data) == want <= MAX_TEXT:
                data += fh.read(MAX_TEXT + 1 - want)
        if len(data) > MAX_TEXT:
            raise OSError(errno.EFBIG, f"larger than {MAX_TEXT // (1 << 20)} MB, not read")
        return data

    def decode(self, rel: str, data: bytes) -> tuple[str, str | None]:
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError as e:
            return data.decode("utf-8", "replace"), \
                f"not valid UTF-8 (byte {e.start}); undecodable bytes replaced"

    def text_file(self, rel: str, mtime: int | None = None) -> TextFile | None:
        kind = self.t.lstat_kind(self.abs(rel))
        if kind is None:
            return None
        if kind == "file" and rel not in self.walked:
            self.warn(f"{rel}: reached through a symlink; not read")
            return TextFile(path=rel, error="reached through a symlink, not followed")
        if kind != "file":
            what = "a symlink (not followed)" if kind == "link" else "not a regular file"
            self.warn(f"{rel}: {what}; not read")
            return TextFile(path=rel, error="not a regular file" if kind != "link"
                            else "a symlink, not followed")
        try:
            if mtime is None:
                mtime = self.t.stat(self.abs(rel))[1]
            data = self.read_bytes(rel)
        except OSError as e:
            self.warn(f"{rel}: cannot read: {_err(e)}")
            return TextFile(path=rel, mtime_ns=mtime, error=f"cannot read: {_err(e)}")
        text, err = self.decode(rel, data)
        if err:
            self.warn(f"{rel}: {err}")
        return TextFile(path=rel, mtime_ns=mtime, text=text, error=err)

    # ------------------------------------------------------------------ main
    def run(self) -> Capture:
        cmds, mods, usyms, ksyms, links = self.walk()
        if not cmds:
            raise InputError(f"{self.root}: not a kbuild build tree: no .cmd files in it "
                             f"(give the directory passed as O=, or the source tree of an "
                             f"in-tree build, after a build)")
        entries: list[CmdEntry] = []
        scans: list[ScanResult] = []
        scan_by_path: dict[str, ScanResult] = {}
        texts: list[str | None] = []
        total = len(cmds)
        cache = self.cache
        for i, (rel, mtime) in enumerate(cmds):
            if i % 200 == 0:
                self.progress("read .cmd files", i, total)
            ent = CmdEntry(path=rel, mtime_ns=mtime)
            try:
                data = self.read_bytes(rel)
            except OSError as e:
                ent.problems.append(f"cannot read: {_err(e)}")
                self.warn(f"{rel}: cannot read: {_err(e)} (skipped)")
                entries.append(ent)
                texts.append(None)
                continue
            text, err = self.decode(rel, data)
            if err:
                ent.problems.append(err)
            # the text is read every time (the replay writes it into its tree; reading is
            # cheaper than keeping it); its scan is kept while the file's stat is unchanged
            r = cache.scan(rel, self.sigs.get(rel), len(data)) if cache is not None else None
            if r is None:
                r = scan_cmd(text, rel)
                if cache is not None:
                    cache.put_scan(rel, self.sigs.get(rel), r)
            for p in r.problems:
                ent.problems.append(p.removeprefix(f"{rel}: "))
            if ent.problems:
                what = ("partial results kept" if r.target is not None
                        else "nothing usable")
                self.warn(f"{rel}: {'; '.join(ent.problems)} ({what})")
            entries.append(ent)
            texts.append(text)
            if r.target is not None:
                scans.append(r)
                scan_by_path[rel] = r
        self.progress("read .cmd files", total, total)

        autoksyms = self.text_file(AUTOKSYMS)
        auto_conf = self.text_file(AUTO_CONF)
        release = self.text_file(KERNEL_RELEASE)
        modorder = self.text_file(MODULES_ORDER)
        mod_files = [t for t in (self.text_file(p) for p in mods) if t is not None]
        usyms_files = [t for t in (self.text_file(p) for p in usyms) if t is not None]

        # every file the .cmd files name, stat()ed like make would
        named = []
        tools = 0
        for r in scans:
            if r.name.startswith("tools/"):
                # tools/build's own .cmd files (objtool, resolve_btfids): written by a make
                # running in the tool's source directory, so their relative names are not
                # relative to the build directory; kept as text, names not resolved
                tools += 1
                continue
            named.append(r.all_names())
        spellings = dict.fromkeys(chain.from_iterable(named))  # (first seen first)
        if tools:
            self.notes.append(f"{tools} .cmd file(s) under tools/ (tools/build's format, "
                              f"names relative to the tool's source directory) were kept as "
                              f"text; the files they name were not stat()ed")
        mtimes: dict[str, int | None] = {}
        names: dict[str, str] = {}
        notes: dict[str, str] = {}
        canon_cache: dict[str, str] = {}
        total = len(spellings)
        for i, sp in enumerate(spellings):
            if i % 1000 == 0:
                self.progress("stat named files", i, total)
            key = self.key_of(sp, canon_cache)
            if key != sp:
                names[sp] = key
            if key in mtimes:
                continue
            mtimes[key] = self.stat_key(key, notes)
        self.progress("stat named files", total, total)
        for rel, m in ksyms.items():
            mtimes.setdefault(rel, m)
        for rel, m in self.walked.items():  # every build product, for the later stages
            if not (rel.startswith(".") and rel.endswith(".cmd")):
                mtimes.setdefault(rel, m)
        for tf in [autoksyms, auto_conf, modorder, *mod_files, *usyms_files]:
            if tf is not None and tf.mtime_ns is not None:
                mtimes.setdefault(tf.path, tf.mtime_ns)

        targets = {r.name: r.target for r in scans}
        declared, exempt = self.makefile_facts({names.get(r.target, r.target) for r in scans
                                                 if not r.name.startswith("tools/")})
        objects = self.read_objects(scans, modorder, mod_files, mtimes, names)

        trim = None
        if auto_conf is not None and auto_conf.text is not None:
            trim = "CONFIG_TRIM_UNUSED_KSYMS=y" in auto_conf.text.splitlines()
        eg = detect_era(scans, trim=trim, autoksyms=autoksyms is not None,
                        ksym_file_names=list(ksyms), tmp_versions=any(
                            p.startswith(".tmp_versions/") for p in mods),
                        usyms=bool(usyms_files),
                        release=release.text if release is not None else None,
                        export_c=".vmlinux.export.c" in self.walked)
        for w in eg.warnings:
            self.warn(w, partial=False)
        produced = [e.mtime_ns for e in entries if e.mtime_ns is not None]
        target_keys = {names.get(r.target, r.target) for r in scans}
        produced += [m for k, m in mtimes.items()
                     if m is not None and not k.startswith("/") and k not in notes
                     and (k in ksyms or k in target_keys)]
        produced += [tf.mtime_ns for tf in [autoksyms, *mod_files, *usyms_files]
                     if tf is not None and tf.mtime_ns is not None]
        gg = detect_granularity(produced, self.t.filesystem(self.root), self.t.host_kernel())

        if self.layout == "table":
            ok = [t if t is not None else "" for t in texts]
            table, runs, subs = encode_lines(ok, [targets.get(e.path) for e in entries])
            for ent, t, rr, sub in zip(entries, texts, runs, subs):
                if t is not None:
                    ent.lines = rr
                    ent.subst = sub
        else:
            table = []
            for ent, t in zip(entries, texts):
                ent.text = t
        cap = Capture(
            kbsim_version=__version__, build_dir=self.root, srctree=self.srctree,
            era=EraInfo(era=eg.era, versions=eg.versions, evidence=eg.evidence,
                        hints=eg.hints, per_era=eg.per_era),
            granularity=GranularityInfo(**gg.__dict__),
            elf=self.elf_state, line_table=table, cmd_files=entries,
            mtimes=dict(sorted(mtimes.items())), names=dict(sorted(names.items())),
            file_notes=dict(sorted(notes.items())), symlinks=links,
            autoksyms=autoksyms, kernel_release=release, makefile_prereqs=declared,
            objtool_exempt=exempt, auto_conf=auto_conf, modules_order=modorder,
            filechk=read_filechk_facts(self, self.environ),
            mod_files=mod_files, usyms_files=usyms_files, objects=objects,
            warnings=self.warnings, notes=self.notes, partial=self.partial)
        if self.layout == "table":
            store_scans(cap, scan_by_path)  # so readers need not scan the texts again
        cap._scans = scan_by_path
        return cap

    def makefile_facts(self, targets: set[str]
                       ) -> tuple[dict[str, list[str]], dict[str, ObjtoolRules] | None]:
        """What the source tree's directory makefiles of TARGETS say, each directory's
        Kbuild, else Makefile (kbuild-file), read only: the prerequisites they declare
        (linkgraph.declared_prereqs) and their objtool exemptions
        (linkgraph.objtool_exemptions, for the directories that have any; None: no source
        tree, so nothing known)."""
        if not self.srctree:
            return {}, None
        out: dict[str, list[str]] = {}
        exempt: dict[str, ObjtoolRules] = {}
        dirs = sorted({posixpath.dirname(t) or "." for t in targets if not t.startswith("/")})
        for d in dirs:
            for name in ("Kbuild", "Makefile"):
                path = os.path.join(self.srctree, d, name)
                try:
                    with self.t.open(path) as fh:
                        text = fh.read(1 << 20).decode("utf-8", "replace")
                except OSError:
                    continue
                recipes: set[str] = set()
                for t, deps in declared_prereqs(text, d, recipes).items():
                    # a target with a .cmd file, or one a plain rule of this makefile
                    # makes (no .cmd file; it exists in the build directory)
                    if t in targets or (t in recipes and t in self.walked):
                        out[t] = deps
                if "OBJECT_FILES_NON_STANDARD" in text:
                    whole, per = objtool_exemptions(text, None)  # $(BITS) as written
                    if whole or per:
                        exempt[d] = ObjtoolRules(whole=whole, objects=per)
                break
        out.update(self.asm_wrapper_prereqs())
        return dict(sorted(out.items())), exempt

    def asm_wrapper_prereqs(self) -> dict[str, list[str]]:
        """The asm-generic wrappers (arch/*/include/generated[/uapi]/asm/NAME.h holding
        '#include <asm-generic/NAME.h>'): a plain rule with no .cmd file writes them, and
        from the kernels whose scripts/Makefile.asm-headers says '$(obj)/%.h:
        $(srctree)/$(generic)/%.h' each depends on its asm-generic header (6.12; 6.1's
        scripts/Makefile.asm-generic has no prerequisite, so a wrapper is never remade)."""
        rule = None
        for name in ("scripts/Makefile.asm-headers", "scripts/Makefile.asm-generic"):
            try:
                with self.t.open(os.path.join(self.srctree, name)) as fh:
                    text = fh.read(1 << 20).decode("utf-8", "replace")
            except OSError:
                continue
            for ln in text.split("\n"):
                if ln.startswith("$(obj)/%.h:"):
                    rule = ln
            break
        if rule is None or "$(generic)/%.h" not in rule:
            return {}
        out: dict[str, list[str]] = {}
        for rel in self.walked:
            parts = rel.split("/")
            if len(parts) < 5 or parts[0] != "arch" or parts[2:4] != ["include", "generated"] \
                    or not rel.endswith(".h"):
                continue
            uapi = parts[4] == "uapi"
            if parts[4 + uapi:] != ["asm", parts[-1]]:
                continue
            try:
                with self.t.open(self.abs(rel)) as fh:
                    head = fh.read(256).decode("utf-8", "replace")
            except OSError:
                continue
            if head.strip() == f"#include <asm-generic/{parts[-1]}>":
                gen = "include/uapi/asm-generic" if uapi else "include/asm-generic"
                out[rel] = [f"{self.srctree}/{gen}/{parts[-1]}"]
        return out

    def key_of(self, spelling: str, cache: dict[str, str]) -> str:
        """Canonical key: the kernel's resolution of the name (from the build dir)."""
        k = cache.get(spelling)
        if k is None:
            k = rel_or_abs(self.root, self.t.realpath(self.abs(spelling)))
            cache[spelling] = k
        return k

    def stat_key(self, key: str, notes: dict[str, str]) -> int | None:
        try:
            kind, m = self.t.stat(self.abs(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as e:
            notes[key] = f"stat failed: {_err(e)}"
            self.warn(f"{key}: stat failed: {_err(e)} (recorded as absent)")
            return None
        if kind == "dir":
            notes[key] = "a directory"
        elif kind != "file":
            notes[key] = "not a regular file"
        return m

    # ------------------------------------------------------------------ objects
    def read_objects(self, scans, modorder, mod_files, mtimes, names) -> dict[str, ObjectEntry]:
        want: dict[str, bool] = {}  # key -> want undefined symbols
        for r in scans:
            t = r.target
            if t and t.endswith((".o", ".ko")) and r.ksym_paths():
                want.setdefault(names.get(t, t), False)
        kos: list[str] = []
        if modorder is not None and modorder.text:
            kos = [ln.strip() for ln in modorder.text.splitlines() if ln.strip()]
        else:
            kos = [tf.path[:-4] + ".ko" for tf in mod_files
                   if not tf.path.startswith(".tmp_versions/")]
        for ko in kos:
            ko = module_ko(lexical_key(ko))
            want[ko] = True
            want[ko[:-3] + ".o"] = True
        # the members of a composite module (its .mod lists several objects, v5.19+ one a
        # line): their undefined symbols, less those another member defines, are what the
        # relinked module needs (composite_members below)
        composites = composite_members(mod_files)
        for members in composites.values():
            for m in members:
                want[m] = True
        want.setdefault("vmlinux", False)
        # v6.5+: vmlinux.o's __export_symbol_ entries are what modpost exports from it
        want.setdefault("vmlinux.o", False)
        out: dict[str, ObjectEntry] = {}
        defined: dict[str, list[str] | None] = {}
        items = sorted(want.items())
        elf_missing = False
        for i, (key, und) in enumerate(items):
            if i % 100 == 0:
                self.progress("read objects", i, len(items))
            if key.startswith("/") or mtimes.get(key, 0) is None:
                continue
            path = self.abs(key)
            kind = self.t.lstat_kind(path)
            if kind is None:
                continue
            if kind == "file" and key not in self.walked:
                kind = "link"  # a component on the way is a symlink: not followed
            if kind != "file":
                out[key] = ObjectEntry(error="a symlink, not followed" if kind == "link"
                                       else "not a regular file")
                if key != "vmlinux" or kind != "dir":
                    self.warn(f"{key}: {out[key].error}; contents not read")
                continue
            sig = self.sigs.get(key)
            kept = self.cache.obj(key, und, sig) if self.cache is not None else None
            if kept is not None:
                is_elf, facts = kept
                if is_elf and (self.want_elf is False or elf_missing):
                    continue
                if isinstance(facts, str):
                    out[key] = ObjectEntry(error=facts)
                    self.warn(f"{key}: {facts}; its compiled exports are unknown")
                    continue
            else:
                try:
                    with self.t.open(path) as fh:
                        head = fh.read(16)
                        is_elf = head.startswith(b"\x7fELF")
                        if is_elf and (self.want_elf is False or elf_missing):
                            continue
                        facts = read_facts(head, fh, und)
                except ElfUnavailable:
                    elf_missing = True
                    self.elf_state = "unavailable"
                    continue
                except NotAnObject as e:
                    if self.cache is not None:
                        self.cache.put_obj(key, und, sig, is_elf, str(e))
                    out[key] = ObjectEntry(error=str(e))
                    self.warn(f"{key}: {e}; its compiled exports are unknown")
                    continue
                except OSError as e:
                    out[key] = ObjectEntry(error=f"cannot read: {_err(e)}")
                    self.warn(f"{key}: cannot read: {_err(e)}")
                    continue
                if self.cache is not None:
                    self.cache.put_obj(key, und, sig, is_elf, facts)
            if facts.format == "kbsim-object" and self.elf_state in ("off", "unavailable") \
                    and self.elf_mode == "kbsim":
                self.elf_state = "kbsim"
            if key not in mtimes and key in self.walked:  # read, so its mtime is known too
                mtimes[key] = self.walked[key]
            out[key] = ObjectEntry(format=facts.format, exports=facts.exports,
                                   markers=facts.markers, undefined=facts.undefined)
            defined[key] = facts.defined
        self.progress("read objects", len(items), len(items))
        for members in composites.values():  # ld -r resolves what one member gives another
            if any(defined.get(m) is None or out[m].undefined is None for m in members):
                continue
            for m in members:
                given = {x for o in members if o != m for x in defined[o]}
                out[m].undefined = [u for u in out[m].undefined if u not in given]
        if elf_missing:
            self.warn("pyelftools is not installed (pip install 'kbsim[elf]'): the exports "
                      "compiled into ELF objects and the modules' undefined symbols were not "
                      "captured", partial=False)
        return out


def composite_members(mod_files) -> dict[str, list[str]]:
    """Module object -> its members, for the modules linked from several objects
    (``foo-y := a.o b.o``: ``NAME.mod`` of v5.19+ lists one member a line, v5.3-v5.18's
    all of them on its first line)."""
    out: dict[str, list[str]] = {}
    for tf in mod_files:
        if tf.text is None or tf.path.startswith(".tmp_versions/"):
            continue
        lines = [x.strip() for x in tf.text.split("\n") if x.strip()]
        if lines and all(" " not in x and x.endswith(".o") for x in lines):
            members = [lexical_key(x) for x in lines]
        elif lines and all(w.endswith(".o") for w in lines[0].split()):
            # v5.3-v5.18 NAME.mod (Makefile.build cmd_mod): the objects on one line, the
            # undefined symbols of the linked module on the next
            members = [lexical_key(x) for x in lines[0].split()]
        else:
            continue
        obj = tf.path[:-4] + ".o"
        if members != [obj]:
            out[obj] = members
    return out


def is_build_dir(path: str) -> bool:
    """Does PATH look like a kbuild build directory after a build (its configuration and
    one of the files a build leaves at the top)?"""
    if not os.path.isfile(os.path.join(path, "include", "config", "auto.conf")):
        return False
    return any(os.path.exists(os.path.join(path, n))
               for n in ("vmlinux", "built-in.a", "modules.order", "Module.symvers"))


def resolve_srctree(root: str, srctree: str | None, tree=None) -> tuple[str | None, str | None]:
    """(source tree, note). --srctree wins; else the build dir's ``source`` symlink (read,
    not walked); else the build dir itself when it is a kernel source tree (in-tree)."""
    if srctree is not None:
        p = os.path.realpath(srctree)
        if not os.path.isdir(p):
            raise InputError(f"{srctree}: --srctree is not a directory")
        return p, None
    link = os.path.join(root, "source")
    if os.path.islink(link):
        target = os.readlink(link)
        p = os.path.realpath(os.path.join(root, target))
        if os.path.isdir(p):
            return p, None
        return None, f"{link} points to {target}, which is not a directory; source files " \
                     f"are recorded by the names the .cmd files use"
    if os.path.isfile(os.path.join(root, "Kbuild")) and \
            os.path.isfile(os.path.join(root, "scripts", "Makefile.build")):
        return root, None
    return None, "no 'source' symlink and not a source tree: source files are recorded by " \
                 "the names the .cmd files use (give --srctree to classify them)"


def capture_setup(build_dir: str, srctree: str | None, elf: bool | None, layout: str
                  ) -> tuple[str, str | None, str | None, str]:
    """What capture() settles before it reads the tree: (the build directory's realpath,
    the source tree, a note about it, the ELF reader available); InputError for a
    directory it cannot capture."""
    if not os.path.exists(build_dir):
        raise InputError(f"{build_dir}: no such directory")
    if not os.path.isdir(build_dir):
        raise InputError(f"{build_dir}: not a directory (give a kbuild build directory)")
    if not os.access(build_dir, os.R_OK | os.X_OK):
        raise InputError(f"{build_dir}: cannot read the directory (permission denied)")
    if elf is True and not have_pyelftools():
        raise InputError("--elf needs pyelftools: pip install 'kbsim[elf]' (or pyelftools)")
    if layout not in ("table", "inline"):
        raise InputError(f"unknown layout {layout!r}; expected table or inline")
    root = os.path.realpath(build_dir)
    src, note = resolve_srctree(root, srctree)
    mode = "pyelftools" if have_pyelftools() else "unavailable"
    return root, src, note, mode


def capture(build_dir: str, *, srctree: str | None = None, elf: bool | None = None,
            layout: str = "table", progress: Progress | None = None,
            cache_dir: str | os.PathLike | None = None, warn: Callable | None = None,
            stats: dict | None = None, environ=None, tree=None) -> Capture:
    """Capture the real build directory BUILD_DIR (read-only).

    ``elf``: None reads objects with pyelftools when it is installed (a warning otherwise),
    True requires it (InputError if missing), False reads no ELF contents. ``cache_dir``:
    keep what was read from each file there and reuse it while the file's stat is
    unchanged (capcache.py; the caller makes sure it is outside the trees read); WARN
    says a cache problem in one line; STATS, a dict, gets the cache's hits and misses.
    ``environ``: the environment the next make is predicted for (os.environ if None;
    filechk.py). ``tree``: what reads the build directory (default: a RealTree; the
    build directory's spec cache passes one that records what it answered,
    tree/dircache.py)."""
    root, src, note, mode = capture_setup(build_dir, srctree, elf, layout)
    with paused_gc():  # large object graphs, all kept (make/gcpause.py)
        cache = None
        if cache_dir is not None:
            cache = CaptureCache(cache_dir, root, src, f"{mode}/{elf}", warn).load()
        c = _Capturer(RealTree() if tree is None else tree, root, src, elf, layout,
                      progress, mode, cache, environ)
        if note:
            c.warn(note, partial=False)
        cap = c.run()
        if cache is not None:
            cache.save()
            if stats is not None:
                stats.update(hits=cache.hits, misses=cache.misses)
        return cap


def capture_simfs(fs, root: str, *, srctree: str | None = None, layout: str = "table",
                  progress: Progress | None = None, environ=None) -> Capture:
    """Capture a simulated tree at ROOT of a SimFS (objects are kbsim object text; ELF
    objects, if any were written there, are read with pyelftools when available)."""
    if not fs.isdir(root):
        raise InputError(f"{root}: no such directory in the simulated filesystem")
    c = _Capturer(SimTree(fs), fs.canonical(root), srctree, None, layout, progress, "kbsim",
                  environ=environ)
    with paused_gc():
        return c.run()
