"""A capture, indexed: its .cmd files parsed, names resolved, modules and symbols looked up.

Everything that reads a capture (to_spec, initial_files, diagnose, aliases) goes through
:class:`CapturedTree`, so the rules for reading the kbuild state files live in one place:

- ``.mod`` files (reference section 2): ``.tmp_versions/NAME.mod`` (v4.7-v5.2) has the
  module on line 1, its objects on line 2 and its undefined symbols on line 3; from v5.3
  ``DIR/NAME.mod`` has the objects on line 1 and the undefined symbols on line 2; from
  v5.19 ``NAME.mod`` lists the objects one per line and ``NAME.usyms`` the undefined
  symbols one per line.
- autoksyms.h: ``#define __KSYM_sym 1`` lines (only the value 1 counts: ``__is_defined``).
- ksym dependency names back to symbols: exact from e5 (``include/ksym/<sym>``); before,
  the era's ``tr``-style names lose case and (e2-e4) leading/repeated underscores, so
  names are matched against the symbols the capture knows (ELF markers and exports,
  autoksyms.h, the modules' needs) through the era's naming, and otherwise inverted.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from functools import cached_property

from ..kbuild.eras import ERAS, release_formats
from ..kbuild.naming import NAMINGS, Naming, get_naming
from ..kbuild.objects import ObjectContent, parse_autoksyms
from ..kbuild.spec import MS, DirSpec, ModuleSpec, ObjectSpec
from .capspec import CapturedBuildSpec
from .capture_format import (Capture, RunTexts, cmd_text, lexical_key,
                             module_ko, rel_or_abs)
from .cmdscan import ScanResult, archive_members, scan_cmd
from .scanstore import ScanReader


class CapturedTree:
    def __init__(self, cap: Capture):
        self.cap = cap
        self.root = cap.build_dir.rstrip("/") or "/"
        # key() and src_relative() depend on the name and the (unchanging) capture only
        self._keys: dict[str, str] = {}
        self._src_rel: dict[str, str] = {}
        self._texts: dict[int, str | None] = {}  # id(CmdEntry) -> cmd_text
        self._runs = RunTexts(cap.line_table)  # runs recur across files: joined once
        self._own: dict[str, dict[str, list[str]]] = {}  # see _own_ksyms()

    # ------------------------------------------------------------------ .cmd files
    @cached_property
    def scans(self) -> dict[str, ScanResult]:
        """.cmd path -> parsed file (files with nothing usable are left out)."""
        if self.cap._scans is not None:  # parsed by the capture in this process
            return dict(self.cap._scans)
        stored = ScanReader(self.cap.line_table)
        out = {}
        for e in self.cap.cmd_files:
            r = stored.read(e)  # format 2: rebuilt from its stored scan, no rescan
            if r is not None:
                out[e.path] = r
                continue
            t = self.cmd_text(e)
            if t is None:
                continue
            r = scan_cmd(t, e.path)
            if r.target is not None:
                out[e.path] = r
        return out

    @cached_property
    def by_target(self) -> dict[str, ScanResult]:
        out = {}
        for r in self.scans.values():
            if r.name.startswith("tools/"):
                continue
            out[self.key(r.target)] = r
        return out

    def cmd_problems(self, cmd_path: str) -> list[str]:
        for e in self.cap.cmd_files:
            if e.path == cmd_path:
                return list(e.problems)
        return []

    # ------------------------------------------------------------------ names and files
    def key(self, name: str) -> str:
        """Canonical key of a name as a .cmd file writes it (relative to the build dir)."""
        k = self._keys.get(name)
        if k is None:
            k = self._keys[name] = self._key(name)
        return k

    def _key(self, name: str) -> str:
        k = self.cap.names.get(name)
        if k is not None:
            return k
        if name in self.cap.mtimes:
            return name
        if name.startswith("/"):
            return rel_or_abs(self.root, lexical_key(name))
        return lexical_key(name)

    def keys(self, names: Sequence[str]) -> list[str]:
        """key() of each of NAMES; names seen before cost a lookup at C speed (an object's
        header list mostly repeats earlier objects')."""
        out = list(map(self._keys.get, names))
        if None in out:
            out = [k if k is not None else self.key(n) for k, n in zip(out, names)]
        return out

    def captured(self, name: str) -> bool:
        return self.key(name) in self.cap.mtimes

    def mtime(self, name: str) -> int | None:
        return self.cap.mtimes.get(self.key(name))

    def area(self, key: str) -> str:
        if not key.startswith("/"):
            return "build"
        src = self.cap.srctree
        if src and (key == src or key.startswith(src.rstrip("/") + "/")):
            return "src"
        return "external"

    def src_relative(self, key: str) -> str:
        """A path as a BuildSpec wants it: relative to the source or build tree."""
        r = self._src_rel.get(key)
        if r is None:
            r = self._src_rel[key] = self._src_relative(key)
        return r

    def cmd_text(self, e) -> str | None:
        """cmd_text(cap, E), once per entry."""
        k = id(e)
        if k in self._texts:
            return self._texts[k]
        t = self._texts[k] = cmd_text(self.cap, e, self._runs)
        return t

    def _src_relative(self, key: str) -> str:
        src = self.cap.srctree
        if src and key.startswith(src.rstrip("/") + "/"):
            return key[len(src.rstrip("/")) + 1:]
        return key

    # ------------------------------------------------------------------ state files
    @cached_property
    def autoksyms(self) -> list[str] | None:
        a = self.cap.autoksyms
        if a is None or a.text is None:
            return None
        return parse_autoksyms(a.text)

    @cached_property
    def config(self) -> dict[str, str]:
        out: dict[str, str] = {}
        a = self.cap.auto_conf
        if a is None or a.text is None:
            return out
        for ln in a.text.splitlines():
            if ln.startswith("CONFIG_") and "=" in ln:
                k, _, v = ln.partition("=")
                out[k[len("CONFIG_"):]] = v.strip('"')
        return out

    @cached_property
    def modules(self) -> list[str]:
        mo = self.cap.modules_order
        if mo is not None and mo.text is not None:  # NAME.ko, or NAME.o from v6.2
            return [module_ko(lexical_key(x.strip())) for x in mo.text.splitlines()
                    if x.strip()]
        mods = []
        for tf in self.cap.mod_files:
            if tf.path.startswith(".tmp_versions/"):
                lines = (tf.text or "").split("\n")
                if lines and lines[0].strip().endswith(".ko"):
                    mods.append(lexical_key(lines[0].strip()))
            else:
                mods.append(tf.path[:-4] + ".ko")
        return mods

    def _mod_file(self, ko: str):
        base = ko[:-3]
        want = {base + ".mod", ".tmp_versions/" + posixpath.basename(base) + ".mod"}
        for tf in self.cap.mod_files:
            if tf.path in want:
                return tf
        return None

    def _usyms_file(self, ko: str):
        p = ko[:-3] + ".usyms"
        for tf in self.cap.usyms_files:
            if tf.path == p:
                return tf
        return None

    def module_members(self, ko: str) -> list[str]:
        tf = self._mod_file(ko)
        if tf is None or tf.text is None:
            return [ko[:-3] + ".o"]
        lines = tf.text.split("\n")
        if tf.path.startswith(".tmp_versions/"):
            members = lines[1].split() if len(lines) > 1 else []
        elif self._usyms_file(ko) is not None or self.cap.era.era in ("e5", "e6"):
            members = [x.strip() for x in lines if x.strip()]
        else:
            members = lines[0].split() if lines else []
        return [lexical_key(m) for m in members] or [ko[:-3] + ".o"]

    def module_needs(self, ko: str) -> tuple[list[str] | None, str]:
        """(the module's undefined symbols, where they came from): what the adjust script
        reads (.usyms, .mod) first, else the ELF of the .ko or its .o."""
        u = self._usyms_file(ko)
        if u is not None and u.text is not None:
            return u.text.split(), u.path
        tf = self._mod_file(ko)
        if tf is not None and tf.text is not None and not (
                self.cap.era.era in ("e5", "e6") and not tf.path.startswith(".tmp_versions/")):
            lines = tf.text.split("\n")
            n = 2 if tf.path.startswith(".tmp_versions/") else 1
            if len(lines) > n:
                return lines[n].split(), f"{tf.path} line {n + 1}"
        for p in (ko, ko[:-3] + ".o"):
            o = self.cap.objects.get(p)
            if o is not None and o.undefined is not None:
                return list(o.undefined), f"{p} (ELF undefined symbols)"
        return None, "no .usyms/.mod file or module object captured"

    @cached_property
    def formats(self) -> dict[str, object]:
        """The tree's own file formats (kbuild/eras.py FORMAT_FIELDS), where its files show
        them: the saved command's variable (cmd_ or, from v6.2, savedcmd_, whichever most
        .cmd files use) and how modules.order names modules (NAME.ko or, v6.2+, NAME.o)."""
        out: dict[str, object] = {}
        prefixes: dict[str, int] = {}
        for r in self.scans.values():
            if r.target is not None and not r.name.startswith("tools/") and r.command:
                prefixes[r.prefix] = prefixes.get(r.prefix, 0) + 1
        if prefixes:
            out["cmd_prefix"] = max(sorted(prefixes), key=prefixes.__getitem__)
        mo = self.cap.modules_order
        names = [x.strip() for x in (mo.text or "").splitlines() if x.strip()] \
            if mo is not None else []
        if names:
            out["modorder_ext"] = ".o" if names[0].endswith(".o") else ".ko"
        if any(tf.path.startswith(".tmp_versions/") for tf in self.cap.mod_files):
            out["mod_format"] = "tmp_versions"
        elif self.cap.usyms_files:
            out["mod_format"] = "usyms"
        # what include/config/kernel.release fixes inside an era (v5.x: eras.release_formats)
        rel = self.cap.kernel_release
        out.update(release_formats(rel.text if rel is not None else None))
        return out

    # ------------------------------------------------------------------ symbols
    @cached_property
    def naming(self) -> Naming:
        era = self.cap.era.era
        if era in ERAS:
            return get_naming(None, ERAS[era].naming)
        # unknown era: the naming under which most ksym names in the capture make sense
        best, score = NAMINGS["e5-raw"], -1
        paths = {p for r in self.scans.values() for p in r.ksym_paths()}
        syms = set(self.autoksyms or [])
        for nm in NAMINGS.values():
            s = sum(1 for x in syms if nm.fixdep_ksym(x) in paths)
            if s > score:
                best, score = nm, s
        return best

    @cached_property
    def known_symbols(self) -> set[str]:
        s: set[str] = set(self.autoksyms or [])
        for o in self.cap.objects.values():
            s.update(o.exports)
            s.update(o.markers or [])
            s.update(o.undefined or [])
        for ko in self.modules:
            needs, _ = self.module_needs(ko)
            s.update(needs or [])
        return s

    @cached_property
    def _path_to_symbols(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        nm = self.naming
        for sym in sorted(self.known_symbols):
            out.setdefault(nm.fixdep_ksym(sym), []).append(sym)
        return out

    def symbols_for_ksym_path(self, path: str, target: str | None = None) -> list[str]:
        """The symbols a ksym dependency name stands for."""
        if target is not None:
            own = self._own_ksyms(self.key(target)).get(path)
            if own:
                return own
        syms = self._path_to_symbols.get(path)
        if syms:
            return syms
        return [invert_ksym_path(path)]

    def _own_ksyms(self, key: str) -> dict[str, list[str]]:
        """ksym name -> the sorted symbols of the object's markers and exports that have
        it, once per object (an object asks for each of its ksym dependencies)."""
        out = self._own.get(key)
        if out is None:
            o = self.cap.objects.get(key)
            by_path: dict[str, set[str]] = {}
            for s in ((o.markers or []) + o.exports) if o is not None else ():
                by_path.setdefault(self.naming.fixdep_ksym(s), set()).add(s)
            out = self._own[key] = {p: sorted(v) for p, v in by_path.items()}
        return out

    def candidates(self, target: str) -> list[str]:
        """Candidate exports of an object (its EXPORT_SYMBOLs), in .cmd order."""
        r = self.by_target.get(self.key(target))
        out: list[str] = []
        if r is not None:
            for p in r.ksym_paths():
                out += self.symbols_for_ksym_path(p, target)
        o = self.cap.objects.get(self.key(target))
        if o is not None:
            out += (o.markers or []) + o.exports
        return list(dict.fromkeys(out))

    # ------------------------------------------------------------------ to a BuildSpec
    def archives(self) -> dict[str, list[str]]:
        """Archive target -> member keys (from the archive's .cmd command line)."""
        return dict(self._archives)

    @cached_property
    def _archives(self) -> dict[str, list[str]]:  # to_spec and initial_files both need it
        out = {}
        for t, r in self.by_target.items():
            if r.command is None:
                continue
            b = posixpath.basename(t)
            if t.endswith(".a") or b in ("built-in.o", "lib.a"):
                if r.source is not None:
                    continue
                members = [self.key(m) for m in archive_members(r.command)]
                if members:
                    out[t] = members
        return out

    @cached_property
    def builtin_objects(self) -> set[str]:
        """Objects linked into vmlinux (members of built-in and lib archives)."""
        return {m for a, ms in self.archives().items() for m in ms if m.endswith(".o")}

    def to_spec(self, with_headers: bool = True) -> CapturedBuildSpec:
        """The BuildSpec of the captured structure. WITH_HEADERS=False leaves the objects'
        headers and the spec's header table empty, for a caller that fills them itself
        (incremental.spec_from_capture sets both for every object)."""
        cap = self.cap
        notes: list[str] = []
        era = cap.era.era
        if era not in ERAS:
            notes.append(f"era unknown ({cap.era.versions}); assumed e5")
            era = "e5"
        kinds: dict[str, str] = {}
        for a, members in self.archives().items():
            k = "lib" if posixpath.basename(a) == "lib.a" else "y"
            for m in members:
                if m.endswith(".o"):
                    kinds.setdefault(m, k)
        modules: list[ModuleSpec] = []
        needs: dict[str, list[str]] = {}
        for ko in self.modules:
            members = self.module_members(ko)
            modules.append(ModuleSpec(ko, members))
            for m in members:
                kinds[m] = "m"
            n, _ = self.module_needs(ko)
            own = [cap.objects.get(m) for m in members]
            if len(members) > 1 and all(o is not None and o.undefined is not None
                                        for o in own):
                # a composite's members, read one by one (capture.composite_members)
                for m, o in zip(members, own):
                    needs[m] = list(o.undefined)
            else:
                needs[members[0]] = [s for s in (n or []) if s != "__this_module"]
        headers: dict[str, list[str]] = HeaderConfigs()
        dirs: dict[str, DirSpec] = {}
        first: dict[str, int] = {}
        skipped = 0
        for t, r in sorted(self.by_target.items()):
            if not t.endswith(".o") or t.startswith("/") or r.source is None:
                continue
            kind = kinds.get(t)
            if kind is None:
                skipped += 1
                continue
            src_key = self.key(r.source)
            src_cfg, hdrs, _ = r.structure()
            hs = []
            for h, cfgs in (hdrs if with_headers else ()):
                hk = self.key(h)
                if hk == src_key:
                    continue
                hp = self.src_relative(hk)
                hs.append(hp)
                merge_configs(headers, hp, cfgs)
            d = posixpath.dirname(t)
            from .groups import infer_group
            ds = dirs.get(d)
            if ds is None:
                ds = dirs[d] = DirSpec(d, infer_group(d))
            m = self.mtime(t)
            if m is not None:
                first[d] = min(first.get(d, m), m)
            ds.objects.append(ObjectSpec(
                t, self.src_relative(src_key), list(dict.fromkeys(hs)),
                list(dict.fromkeys(config_name(c) for c in src_cfg)), self.candidates(t),
                needs.get(t, []), 500 * MS, kind))
        if skipped:
            notes.append(f"{skipped} compiled object(s) in no archive and no module (boot, "
                         f"vdso, *.mod.o, host tools, members of composite objects) left out")
        # directories in the order their first object was compiled (then by name)
        order = sorted(dirs.values(), key=lambda d: (first.get(d.path, 1 << 62), d.path))
        starts = [m for m in (self.mtime(o.path) for d in order for o in d.objects)
                  if m is not None]
        wl = self.config.get("UNUSED_KSYMS_WHITELIST")
        if wl:
            notes.append(f"CONFIG_UNUSED_KSYMS_WHITELIST={wl}: the whitelist file is not "
                         f"captured; the spec has no whitelist")
        spec = CapturedBuildSpec(
            name=posixpath.basename(self.root) or "captured", era=era, dirs=order,
            headers=dict(headers), modules=modules, granularity=cap.granularity.granularity,
            granularity_evidence=granularity_evidence(cap),
            modversions=self.config.get("MODVERSIONS") == "y",
            start_ns=min(starts) if starts else CapturedBuildSpec.start_ns,
            start_phase=False,
            description=f"captured from {self.root} ({cap.era.versions})",
            capture=cap, notes=notes, formats=dict(self.formats))
        return spec

    # ------------------------------------------------------------------ initial files
    def initial_files(self, root: str | None = None
                      ) -> dict[str, tuple[int | None, bytes | None]]:
        cap = self.cap
        r0 = root.rstrip("/") if root else None

        def place(key: str) -> str:
            if key.startswith("/") or r0 is None:
                return key
            return f"{r0}/{key}"

        out: dict[str, tuple[int | None, bytes | None]] = {}
        for k, m in cap.mtimes.items():
            if k in cap.file_notes and cap.file_notes[k] == "a directory":
                continue
            out[place(k)] = (m, None)
        for e in cap.cmd_files:
            t = self.cmd_text(e)
            out[place(e.path)] = (e.mtime_ns, t.encode("utf-8") if t is not None else None)
        for tf in [cap.autoksyms, cap.auto_conf, cap.modules_order, *cap.mod_files,
                   *cap.usyms_files]:
            if tf is not None and tf.mtime_ns is not None:
                out[place(tf.path)] = (tf.mtime_ns,
                                       tf.text.encode("utf-8") if tf.text is not None
                                       else None)
        for k, o in cap.objects.items():
            m = cap.mtimes.get(k)
            if o.format is None or m is None:
                continue
            oc = ObjectContent(exports=list(o.exports), markers=list(o.markers or []),
                               undefined=list(o.undefined or []))
            out[place(k)] = (m, oc.dump().encode())
        for a, members in self.archives().items():
            m = cap.mtimes.get(a)
            if m is not None and not a.startswith("/"):
                out[place(a)] = (m, ObjectContent(members=members).dump().encode())
        return dict(sorted(out.items()))


def granularity_evidence(cap: Capture) -> str:
    """How the capture decided its granularity, in one line for a report heading."""
    g = cap.granularity
    ev = g.evidence or "no evidence recorded"
    return f"from the capture's {g.files} build-tree mtimes: {ev}" if g.files else ev


class HeaderConfigs(dict):
    """header -> its CONFIG names in first-seen order (a dict of lists), merged from many
    .cmd files: a header's list of CONFIG paths repeats from file to file, so each
    distinct (header, paths) pair is merged once, and membership is a set lookup."""

    def __init__(self) -> None:
        super().__init__()
        self._merged: set[tuple] = set()
        self._seen: dict[str, set[str]] = {}
        self._pairs: set[tuple[str, tuple[str, ...]]] = set()  # merge_headers' done pairs


def merge_headers(headers: HeaderConfigs,
                  hdrs: Sequence[tuple[str, tuple[str, ...]]]) -> None:
    """For each (header, CONFIG paths) pair of HDRS (ScanResult.structure()'s) in order:
    merge_configs, or an empty entry for a header without CONFIGs. Pairs merged before
    change nothing, and most of an object's pairs repeat earlier objects', so the new
    ones are picked out with a set difference first."""
    new = set(hdrs).difference(headers._pairs)
    if not new:
        return
    headers._pairs |= new
    for pair in hdrs:
        if pair in new:
            new.discard(pair)  # once: a pair repeated within HDRS changes nothing either
            h, cfgs = pair
            if cfgs:
                merge_configs(headers, h, cfgs)
            elif h not in headers:
                headers[h] = []


def merge_configs(headers: HeaderConfigs, h: str, cfgs: Sequence[str]) -> None:
    """``lst = headers.setdefault(h, [])`` then each config_name(c) of CFGS appended if
    not in lst yet (the loop the callers had), faster."""
    lst = headers.setdefault(h, [])
    if not cfgs:
        return
    # (below: at most once per distinct (header, paths))
    sig = (h, tuple(cfgs))
    if sig in headers._merged:
        return  # the same names again: nothing new
    headers._merged.add(sig)
    seen = headers._seen.get(h)
    if seen is None:
        seen = headers._seen[h] = set(lst)
    for c in cfgs:
        name = config_name(c)
        if name not in seen:
            seen.add(name)
            lst.append(name)


_CONFIG_NAMES: dict[str, str] = {}


def config_name(path: str) -> str:
    """include/config/FOO_BAR -> FOO_BAR; include/config/foo/bar.h -> FOO_BAR."""
    n = _CONFIG_NAMES.get(path)
    if n is None:
        if len(_CONFIG_NAMES) > 200_000:
            _CONFIG_NAMES.clear()
        n = _CONFIG_NAMES[path] = _config_name(path)
    return n


def _config_name(path: str) -> str:
    p = path
    for pre in ("include/config/", "./include/config/"):
        if p.startswith(pre):
            p = p[len(pre):]
            break
    if p.endswith(".h"):
        return p[:-2].replace("/", "_").upper()
    return p


def invert_ksym_path(path: str) -> str:
    """A ksym dependency name back to a symbol, when nothing better is known."""
    for pre in ("include/config/ksym/", "include/ksym/"):
        if path.startswith(pre):
            rest = path[len(pre):]
            if rest.endswith(".h"):
                return rest[:-2].replace("/", "_")
            return rest
    return posixpath.basename(path)


# ---------------------------------------------------------------------- replay bridges
def to_spec(cap: Capture) -> CapturedBuildSpec:
    """A BuildSpec describing the captured tree's structure (a build from clean of it)."""
    return CapturedTree(cap).to_spec()


def initial_files(cap: Capture, root: str | None = None
                  ) -> dict[str, tuple[int | None, bytes | None]]:
    """Every captured file: path -> (mtime_ns or None if absent, content or None if
    only its mtime was captured). With ROOT, build-directory paths become ROOT/PATH;
    other paths stay absolute. Objects with captured contents get kbsim object text
    (kbuild/objects.py) carrying their exports, markers and undefined symbols; archives
    get their member lists from their .cmd command lines."""
    return CapturedTree(cap).initial_files(root)
