"""A captured tree's targets as kbuild's rules hold them: kbuild/treegraph.py's TreeGraph.

Everything comes from the build directory itself (era e5/e6 trees, v5.19+):

- each target with a ``.cmd`` file; one with a ``source_`` line is a compile
  (``if_changed_dep``: its prerequisites are its source and, read by make from the same
  ``.cmd`` file, its ``deps_`` list);
- the prerequisites of the other targets are the files their saved command names
  (``$(real-prereqs)``, ``$<`` and ``$^`` are what the commands are made of: the members
  of an archive, ``@NAME.mod`` for a composite module, the objects of a ``.ko``), plus
  what a kbuild makefile declares and the command does not name (:data:`DECLARED`, and
  rules read from the source tree's directory makefiles: :func:`declared_prereqs`);
- the descent (which directory's sub-make visits which subdirectory, in order) comes from
  the ``built-in.a`` and ``modules.order`` commands, from ``./built-in.a`` and
  ``./modules.order`` down;
- which make process decides a target follows the era's makefiles (treegraph.py).
"""

from __future__ import annotations

import posixpath
import re
from operator import itemgetter

from ..kbuild.eras import Era
from ..kbuild.treegraph import TreeGraph, TreeTarget
from .cmdscan import archive_members
from .filechk import verdicts

# make processes of the top-level stages, by target (v6.1 and v6.12 makefiles)
STAGE_OF = {
    "vmlinux.a": "top",
    "vmlinux.o": "vmlinux_o", "modules.builtin.modinfo": "vmlinux_o",
    "modules.builtin": "vmlinux_o", ".tmp_initcalls.lds": "vmlinux_o",
    "Module.symvers": "modpost", "vmlinux.symvers": "modpost",
    "modules-only.symvers": "modpost", ".vmlinux.objs": "modpost",
    "vmlinux": "vmlinux", ".vmlinux.export.o": "vmlinux",
    ".module-common.o": "modfinal",
}
# the stage each make process belongs to, as the rebuild list names it
STAGE_NAME = {"top": "link", "vmlinux_o": "link", "modpost": "modpost",
              "vmlinux": "vmlinux", "modfinal": "modfinal", "prepare": "prepare"}
# targets that the prepare stage makes (top-level Kbuild 'prepare', archheaders,
# archscripts, scripts, scripts/mod): by directory prefix or exact name
PREPARE_PREFIXES = ("scripts/", "include/generated/", "arch/x86/include/generated/",
                    "arch/x86/tools/", "usr/include/", "include/config/")
PREPARE_NAMES = {"kernel/bounds.s", "arch/x86/kernel/asm-offsets.s"}
# files written by the vmlinux link besides vmlinux (scripts/link-vmlinux.sh: mksysmap,
# sorttable, the kallsyms passes), kept when the tree has them
LINK_SIDE_FILES = ("System.map", ".tmp_vmlinux.nm-sort", ".tmp_vmlinux1", ".tmp_vmlinux2",
                   ".tmp_vmlinux3", ".tmp_vmlinux.kallsyms1", ".tmp_vmlinux.kallsyms2",
                   ".tmp_vmlinux0.kallsyms.S", ".tmp_vmlinux1.kallsyms.S",
                   ".tmp_vmlinux2.kallsyms.S", ".tmp_vmlinux1.syms", ".tmp_vmlinux2.syms")
# v5.x link-vmlinux.sh (5.10 src): modpost_link writes vmlinux.o, 'make -f
# scripts/Makefile.modpost MODPOST_VMLINUX=1' vmlinux.symvers (a plain $(call cmd,modpost),
# no .cmd file), then modules.builtin.modinfo and modules.builtin, before the link
V5_LINK_FILES = ("vmlinux.o", "vmlinux.symvers", "modules.builtin.modinfo", "modules.builtin")
# filechk targets (scripts/Kbuild.include filechk): every make runs the generator and
# writes the file only if the text changed
FILECHK = {
    "include/config/kernel.release": "Makefile: filechk kernel.release (setlocalversion)",
    "include/generated/uapi/linux/version.h": "Makefile: filechk version.h (VERSION, "
                                              "PATCHLEVEL, SUBLEVEL)",
    "include/generated/utsrelease.h": "Makefile: filechk utsrelease.h (kernel.release)",
    "include/generated/compile.h": "Makefile: filechk compile.h (the build user, host and "
                                   "compiler of the next make)",
    "include/generated/bounds.h": "Kbuild: filechk offsets (kernel/bounds.s)",
    "include/generated/timeconst.h": "Kbuild: filechk gentimeconst (CONFIG_HZ)",
    "include/generated/asm-offsets.h": "Kbuild: filechk offsets (asm-offsets.s)",
    "init/utsversion-tmp.h": "init/Makefile: filechk uts_version",
    "scripts/mod/devicetable-offsets.h": "scripts/mod/Makefile: filechk offsets",
    "include/generated/package.h": "Makefile: filechk package.h (Debian)",
}
# files every make rewrites in an O= build (top-level Makefile and Kbuild)
ALWAYS = {
    "source": "outputmakefile: ln -fsn $(srctree) source, on every make",
    "Makefile": "outputmakefile: the build directory's Makefile is written on every make",
    ".missing-syscalls.d": "Kbuild missing-syscalls: checksyscalls.sh runs on every make",
}
# prerequisites kbuild's makefiles declare that the saved command does not name
# (target -> prerequisites, kept when they are targets or files of the tree)
DECLARED = {
    # scripts/Makefile.vmlinux: vmlinux: scripts/link-vmlinux.sh vmlinux.o $(KBUILD_LDS)
    # (+ .vmlinux.export.o with CONFIG_MODULES, scripts/sorttable with table sort)
    "vmlinux": ("vmlinux.o", "arch/x86/kernel/vmlinux.lds", ".vmlinux.export.o",
                "scripts/sorttable"),
    # init/Makefile: $(obj)/version-timestamp.o: include/generated/utsversion.h
    "init/version-timestamp.o": ("include/generated/utsversion.h",),
}

_WORD = re.compile(r"[^\s;|&<>(){}'\"`]+")


def command_words(command: str) -> list[str]:
    """The words of a shell command that could name files (quotes and operators dropped,
    ``$$(...)`` substitutions split), in order."""
    return [w for w in _WORD.findall(command.replace("$$", " ")) if not w.startswith("-")]


def rule_dir(name: str) -> str:
    """The $(obj) of the makefile whose rule spells target NAME: its directory, less any
    trailing '..' (compressed/Makefile's $(obj)/../voffset.h is made by obj=compressed)."""
    d = posixpath.dirname(name)
    while d.endswith("/.."):
        d = d[:-3]
    return d or "."


def _mod_members(ct, mod: str) -> list[str]:
    for tf in ct.cap.mod_files:
        if tf.path == mod and tf.text is not None:
            return [ct.key(x.strip()) for x in tf.text.split("\n") if x.strip()]
    return []


def _kind(t: str, r, graph_src: bool, era: Era | None = None) -> str:
    b = posixpath.basename(t)
    if t == "vmlinux":
        return "link"
    if graph_src:
        return "compile"
    if b in ("built-in.a", "lib.a") or t == "vmlinux.a":
        return "ar"
    if b == "modules.order":
        return "order"
    if t in ("Module.symvers", "vmlinux.symvers", "modules-only.symvers"):
        if era is not None and era.structure == "recursive-vmlinux" \
                and "modpost" not in (r.command or ""):
            # v5.10-v5.18 scripts/Makefile.modpost: Module.symvers is cmd_cat of
            # vmlinux.symvers and modules-only.symvers; modpost writes the latter
            return "gen"
        return "modpost"
    if t == "vmlinux.o":
        return "vmlinux.o"
    if t.endswith(".ko"):
        return "ko"
    if t.endswith(".mod"):
        return "mod"
    if t.endswith(".o") and r.command and re.search(r"\s@\S+\.mod\b", r.command):
        return "ld-r"
    if era is not None and era.structure == "recursive-vmlinux" and t.endswith(".o") \
            and r.command and re.search(r"\sld\s.*\s-r\s.*-o\s", " " + r.command):
        # up to v5.18 a composite module names its parts (Makefile.build
        # cmd_link_multi-m: $(LD) -r -o $@ $(filter %.o,$^)); the '@NAME.mod' response
        # file came with v5.19
        return "ld-r"
    return "gen"


_FIRST = itemgetter(0)


def tree_graph(ct, era: Era, declared: dict[str, list[str]] | None = None) -> TreeGraph:
    """The TreeGraph of captured tree CT (a CapturedTree) for era ERA (e5 or e6).
    DECLARED: prerequisites read from the source tree's makefiles (target -> names)."""
    targets: dict[str, TreeTarget] = {}
    dep_edges: dict[str, list[str]] = {}
    notes: list[str] = []  # what the graph had to assume (TreeGraph.notes)
    known = set(ct.cap.mtimes)
    # v5.x (e3/e4): vmlinux is the top-level Makefile's target and link-vmlinux.sh makes
    # vmlinux.o and vmlinux.symvers itself (no Makefile.vmlinux_o / Makefile.vmlinux)
    v5_link = era.structure == "recursive-vmlinux"
    # kconfig's own targets are made by 'make *config' and syncconfig, not by this make
    scans = {t: r for t, r in ct.by_target.items()
             if not t.startswith(("/", "scripts/kconfig/"))}
    names = set(scans)
    # make knows a target by the name its rule spells (the one in its .cmd file:
    # arch/x86/boot/compressed/../voffset.h), which need not be the canonical path
    spell = {t: r.target for t, r in scans.items()}
    by_name = {**spell, **{v: v for v in spell.values()}}  # a key or a spelling -> spelling

    def resolve(words: list[str], me: str) -> list[str]:
        out = []
        for w in words:
            if w.startswith("@"):
                mod = ct.key(w[1:])
                out.append(spell.get(mod, mod))
                out += [spell.get(m, m) for m in _mod_members(ct, mod)]
                continue
            k = ct.key(w)
            if k != me and (k in names or k in known):
                n = spell.get(k, k)
                if n not in out:
                    out.append(n)
        return out

    for t, r in scans.items():
        kind = _kind(t, r, r.source is not None and t != "vmlinux", era)
        if kind == "compile":
            prereqs = [r.source]
        elif kind == "ar":
            prereqs = [spell.get(m, m) for m in (ct.key(x)
                                                 for x in archive_members(r.command or ""))
                       if m != t]
            if t == "vmlinux.a":
                prereqs += [w for w in resolve(command_words(r.command or ""), t)
                            if not w.endswith((".a", ".o")) and w not in prereqs]
        elif kind == "mod":
            # up to v5.18 '$(obj)/%.mod: $(obj)/%.o FORCE' (fc93a4cdce1d "kbuild: make
            # *.mod not depend on *.o", v5.19, dropped the .o): rewritten after the .o
            prereqs = [spell.get(t[:-4] + ".o", t[:-4] + ".o")] \
                if era.mod_format == "mod2" and t[:-4] + ".o" in names else []
        elif kind == "link":
            prereqs = [r.source] if r.source else []
        elif kind == "order":  # $(obj)/modules.order: $(obj-m): the objects, whatever
            # the command echoes (NAME.ko up to v6.1)
            prereqs = resolve([w[:-3] + ".o" if w.endswith(".ko") else w
                               for w in command_words(r.command or "")], t)
        else:
            prereqs = resolve(command_words(r.command or ""), t)
        if v5_link and kind == "modpost":
            # v5.10 Makefile.modpost: '$(output-symdump): $(MODORDER) $(input-symdump)
            # FORCE': modules.order and vmlinux.symvers, not the modpost binary (v6.1 adds
            # $(MODPOST))
            prereqs = [p for p in prereqs if p in ("modules.order", "vmlinux.symvers")]
        for extra in list(DECLARED.get(t, ())) + list((declared or {}).get(t, ())):
            if (extra in names or extra in known) and spell.get(extra, extra) not in prereqs:
                prereqs.append(spell.get(extra, extra))
        maker = STAGE_OF.get(t)
        if maker is None and (t.endswith((".ko", ".mod.o"))):
            maker = "modfinal"
        if t == "vmlinux" and v5_link:
            maker = "top"  # v5.x: the top-level Makefile's own if_changed rule
        targets[t] = TreeTarget(spell[t], kind, prereqs,
                                "compile" if kind == "compile" else "link",
                                maker or f"dir:{rule_dir(spell[t])}")
        if kind == "compile":  # what make reads from the .cmd file: deps_ (for reach)
            # (the deps that are targets are relative names, spelled as their rules spell
            # them or canonical: a dict lookup each, no key() of every header)
            # (structure()'s headers are the deps that are no wildcard, in order; a
            # spelling is never empty, so filter(None) drops exactly the misses)
            dep_edges[spell[t]] = list(filter(None, map(by_name.get, map(
                _FIRST, r.structure()[1]))))

    if v5_link and "vmlinux" in targets:
        _v5_vmlinux(ct, targets, known)
        _v5_objtool_dep(ct, targets, known, notes)
    else:
        _synthesize(ct, targets, spell, known)
    # rules without a .cmd file that the source tree's makefiles declare: plain make
    # rules, no if_changed; the asm-generic wrappers of scripts/Makefile.asm-headers are
    # made in prepare (asm-generic), the others (lib/crc32table.h) by their directory's
    # Makefile.build, where what needs them asks for them
    for t, deps in (declared or {}).items():
        if t not in targets and t in known and all(p in known for p in deps):
            spell[t] = t
            wrapper = "/include/generated/" in "/" + t
            targets[t] = TreeTarget(t, "plain", [spell.get(p, p) for p in deps],
                                    "prepare" if wrapper else "compile",
                                    "prepare" if wrapper else f"dir:{rule_dir(t)}")
    # from here on, targets by the name make knows them by
    targets = {tt.path: tt for tt in targets.values()}

    # the descent, from ./built-in.a and ./modules.order down
    subdirs: dict[str, list[str]] = {}
    order: list[str] = []

    def descend(d: str) -> None:
        if d in subdirs:
            return
        subdirs[d] = []
        order.append(d)
        pre = "" if d == "." else d + "/"
        kids: list[str] = []
        for n in ("built-in.a", "modules.order"):
            tt = targets.get(pre + n)
            if tt is None:
                continue
            for p in tt.prereqs:
                if p.endswith("/" + n) and posixpath.dirname(p) not in kids:
                    kids.append(posixpath.dirname(p))
        subdirs[d] = kids
        for k in kids:
            descend(k)

    if "built-in.a" in targets or "modules.order" in targets:
        descend(".")
    in_descent = set(subdirs)

    # the goals of each directory (Makefile.build: $(obj)/: targets-for-builtin
    # targets-for-modules): lib.a, built-in.a, the modules' .o and .mod, modules.order
    goals: dict[str, list[str]] = {d: [] for d in subdirs}
    for d in subdirs:
        pre = "" if d == "." else d + "/"
        g = goals[d]
        for n in ("lib.a", "built-in.a"):
            if pre + n in targets:
                g.append(pre + n)
        mo = targets.get(pre + "modules.order")
        if mo is not None:
            for p in mo.prereqs:
                if p.endswith(".o") and posixpath.dirname(p) == (d if d != "." else ""):
                    g.append(p)
                    if p[:-2] + ".mod" in targets:
                        g.append(p[:-2] + ".mod")
            g.append(mo.path)

    # what the directories' goals reach, and what the stages and the image reach besides
    image = next((t for t in sorted(targets) if re.fullmatch(r"arch/[^/]+/boot/bzImage", t)),
                 None)

    def closure(start: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(start)
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            tt = targets.get(x)
            if tt is not None:
                stack += [p for p in tt.prereqs + dep_edges.get(x, []) if p in targets]
        return seen

    by_dirs = closure([x for g in goals.values() for x in g])
    by_all = by_dirs | closure([t for t, tt in targets.items()
                                if not tt.maker.startswith("dir:")] + ([image] if image else []))
    link_made = {"init/version-timestamp.o"}  # made by link-vmlinux.sh's own make
    for t, tt in targets.items():
        d = tt.maker[4:] if tt.maker.startswith("dir:") else None
        if d is None or t in by_dirs or t in link_made:
            continue
        if t.startswith(PREPARE_PREFIXES) or t in PREPARE_NAMES \
                or posixpath.basename(t).startswith(".checked-"):
            tt.maker = "prepare"
        elif d in in_descent:  # extra-y / always-y of a directory (vmlinux.lds, ...)
            goals[d].insert(0, t)
        elif t not in by_all:  # asked for by nothing this make runs: the prepare stage
            tt.maker = "prepare"
    for t, tt in targets.items():
        if tt.kind != "compile":  # a directory's plain rule (a generated header): compile
            tt.stage = STAGE_NAME.get(tt.maker, "compile" if tt.kind == "plain" else "link")
        elif tt.maker in STAGE_NAME and tt.maker != "top":
            tt.stage = STAGE_NAME[tt.maker]
        if tt.maker.startswith("dir:") and image and \
                tt.maker[4:].startswith(posixpath.dirname(image)):
            tt.stage = "boot"
        if t in link_made or (v5_link and t == "vmlinux"):
            tt.stage = "vmlinux"
    if "vmlinux" in targets:
        side = (V5_LINK_FILES if v5_link else ()) + LINK_SIDE_FILES
        targets["vmlinux"].writes = [f for f in side if f in known]
    va = targets.get("vmlinux.a")
    if v5_link and "vmlinux" in targets:  # $(vmlinux-deps) but the lds, made by the descent
        objs = [p for p in targets["vmlinux"].prereqs if p.endswith((".o", ".a"))]
    else:
        objs = list(va.prereqs) if va is not None else []
    g = TreeGraph(targets=targets, subdirs=subdirs, goals=goals,
                  vmlinux_objs=objs, notes=notes,
                  lds=next((p for p in targets.get("vmlinux", TreeTarget("", "")).prereqs
                            if p.endswith("vmlinux.lds")), None))
    if image:
        g.image, g.image_goal = image, posixpath.basename(image)
        g.image_link = next((s for s in sorted(ct.cap.symlinks)
                             if s.endswith("/boot/" + g.image_goal) and s != image), None)
    if ct.cap.srctree and ct.cap.srctree.rstrip("/") != ct.root:  # an O= build
        g.always = [(f, why) for f, why in ALWAYS.items()
                    if f in known or f in ct.cap.symlinks]
    g.filechk = [(f, why) for f, why in FILECHK.items() if f in known]
    objs = ct.cap.objects
    for t, tt in targets.items():
        if tt.kind == "ld-r":
            members = [p for p in tt.prereqs if p.endswith(".o")]
            if members and all(objs.get(m) is not None and objs[m].undefined is not None
                               for m in members):
                g.member_symbols.add(t)
    fc = ct.cap.filechk
    if fc is not None and not fc.package_h:  # not Debian's Makefile: no such rule
        g.filechk = [(f, why) for f, why in g.filechk if f != "include/generated/package.h"]
    g.filechk_verdicts = verdicts(fc, ct.config, ct.cap.srctree, ct.cap.mtimes,
                                  [f for f, _ in g.filechk])
    return g


def _v5_vmlinux(ct, targets: dict[str, TreeTarget], known: set[str]) -> None:
    """vmlinux's prerequisites in a v5.x top-level Makefile (5.10 src):
    ``vmlinux: scripts/link-vmlinux.sh autoksyms_recursive $(vmlinux-deps) FORCE`` with
    ``vmlinux-deps := $(KBUILD_LDS) $(KBUILD_VMLINUX_OBJS) $(KBUILD_VMLINUX_LIBS)``: the
    linker script, the arch's $(head-y) objects, every build directory's built-in.a and
    the libs-y directories' lib.a. The .cmd file names only the script; the build
    directories are those ./modules.order concatenates (every build dir has one:
    need-modorder=1), $(head-y) the objects compiled in the lds's directory that no
    archive holds (arch/x86/kernel: head_64.o head64.o ebda.o platform-quirks.o).
    (autoksyms_recursive is the layout's, treegraph.top_makefile.)"""
    vm = targets["vmlinux"]
    script = f"{ct.cap.srctree}/scripts/link-vmlinux.sh" if ct.cap.srctree \
        else "scripts/link-vmlinux.sh"
    pre = [script] if script in known else []
    lds = next((t for t in targets if re.fullmatch(r"arch/[^/]+/kernel/vmlinux\.lds", t)),
               None)
    members = {p for tt in targets.values() if tt.kind in ("ar", "ld-r") for p in tt.prereqs}
    head = []
    if lds is not None:
        pre.append(targets[lds].path)
        d = posixpath.dirname(lds)
        head = [tt.path for t, tt in sorted(targets.items())
                if tt.kind == "compile" and t.endswith(".o") and posixpath.dirname(t) == d
                and t not in members]
    mo = targets.get("modules.order")
    dirs = [posixpath.dirname(p) for p in (mo.prereqs if mo is not None else [])
            if p.endswith("/modules.order")]
    archives = [f"{d}/{n}" for d in dirs for n in ("built-in.a",) if f"{d}/{n}" in targets]
    archives += [f"{d}/lib.a" for d in dirs if f"{d}/lib.a" in targets]
    vm.prereqs = pre + head + [targets[a].path for a in archives]


_NON_STANDARD = re.compile(r"^OBJECT_FILES_NON_STANDARD(_\S+)?\s*:?=\s*([yn])\s*(#.*)?$")
# (Makefile.build: 'objtool_dep = $(objtool_obj) $(wildcard include/config/orc/unwinder.h
# include/config/stack/validation.h)')
OBJTOOL_CONFIGS = ("include/config/orc/unwinder.h", "include/config/stack/validation.h")


def objtool_exemptions(makefile_text: str, bits: str | None = "64"
                       ) -> tuple[bool, dict[str, bool]]:
    """(the directory is exempt, {object: exempt}) from a directory makefile's
    ``OBJECT_FILES_NON_STANDARD := y`` and ``OBJECT_FILES_NON_STANDARD_foo.o := y|n``
    lines (``$(BITS)`` as BITS; None keeps it as written): the objects objtool skips."""
    whole, per = False, {}
    for ln in makefile_text.replace("\\\n", " ").split("\n"):
        m = _NON_STANDARD.match(ln.strip())
        if not m:
            continue
        if m.group(1) is None:
            whole = m.group(2) == "y"
        else:
            name = m.group(1)[1:]
            per[name if bits is None else name.replace("$(BITS)", bits)] = m.group(2) == "y"
    return whole, per


def _source_exemptions(src: str | None, d: str) -> tuple[bool, dict[str, bool]] | None:
    """objtool_exemptions of directory D's makefile in source tree SRC (Kbuild, else
    Makefile), $(BITS) kept; None when neither can be read."""
    for mk in ("Kbuild", "Makefile") if src else ():
        try:
            with open(posixpath.join(src, d, mk), "rb") as fh:
                return objtool_exemptions(fh.read(1 << 20).decode("utf-8", "replace"), None)
        except OSError:
            continue
    return None


def _v5_objtool_dep(ct, targets: dict[str, TreeTarget], known: set[str],
                    notes: list[str]) -> None:
    """Up to v5.18 scripts/Makefile.build's pattern rules give each object a prerequisite
    its .cmd file does not name: '$(obj)/%.o: $(src)/%.c $(recordmcount_source)
    $$(objtool_dep) FORCE' (and %.S), objtool_dep being tools/objtool/objtool with
    CONFIG_STACK_VALIDATION (unless the directory makefile says
    OBJECT_FILES_NON_STANDARD(_foo.o) := y) plus whichever of include/config/
    orc/unwinder.h and stack/validation.h exist (5.10 src; 6.1 writes the objtool
    dependency into the .cmd file instead: eras.objtool_dep). Real 5.10, seed 3: an
    object set equal to its newest .cmd dependency was rebuilt 'due to:
    tools/objtool/objtool'. The exemptions are the capture's (format 6, read from the
    source tree when it was captured); a capture before format 6 has them read from the
    source tree now, where it still is, else takes every object as checked (NOTES say
    which). (A directory without a makefile has no exemption.)"""
    extra_cfg = [c for c in OBJTOOL_CONFIGS if c in known]
    tool = "tools/objtool/objtool"
    cfg = ct.config
    checked = cfg.get("STACK_VALIDATION") == "y" and tool in known
    if not checked and not extra_cfg:
        return
    bits = "64" if cfg.get("64BIT") == "y" else "32"
    recorded = ct.cap.objtool_exempt
    src = ct.cap.srctree
    exempt: dict[str, tuple[bool, dict[str, bool]]] = {}
    read: list[str] = []  # directories whose makefile was read from the source tree now

    def skips(d: str, name: str) -> bool:
        if d not in exempt:
            if recorded is not None:
                r = recorded.get(d or ".")
                got = (r.whole, r.objects) if r is not None else (False, {})
            else:
                got = _source_exemptions(src, d)
                if got is None:
                    got = (False, {})
                else:
                    read.append(d)
            exempt[d] = (got[0], {k.replace("$(BITS)", bits): v for k, v in got[1].items()})
        whole, per = exempt[d]
        return per.get(name, whole)

    for t, tt in targets.items():
        if tt.kind != "compile" or not tt.maker.startswith("dir:") or t.endswith(".mod.o") \
                or not t.endswith(".o") or not tt.prereqs \
                or not tt.prereqs[0].endswith((".c", ".S")):
            continue
        r = ct.by_target.get(t)
        if r is None or "-D__KERNEL__" not in (r.command or ""):  # host programs' objects
            continue
        d = posixpath.dirname(t)
        add = ([tool] if checked and not skips(d, posixpath.basename(t)) else []) + extra_cfg
        tt.prereqs += [p for p in add if p not in tt.prereqs]
    if recorded is None and checked:
        lack = "objtool exemptions (OBJECT_FILES_NON_STANDARD): not in this capture " \
               "(written before kbsim-capture/6)"
        if read:
            notes.append(f"{lack}; read from the source tree {src} now")
        else:
            where = f"no makefile of the source tree {src} can be read" if src \
                else "no source tree is known"
            notes.append(f"{lack}, and {where}: every kernel object is taken as checked "
                         f"by objtool (tools/objtool/objtool is its prerequisite)")


def _synthesize(ct, targets: dict[str, TreeTarget], spell: dict[str, str],
                known: set[str]) -> None:
    """The later stages' targets a build that stopped early has no .cmd file for (the
    saved command is written only after a recipe succeeds; a failed modpost leaves no
    Module.symvers, .DELETE_ON_ERROR): modpost's output, vmlinux, each module's .mod.o
    and .ko, with the prerequisites their makefiles give them."""
    def add(t: str, kind: str, prereqs: list[str], maker: str) -> None:
        if t not in targets:
            spell[t] = t
            targets[t] = TreeTarget(t, kind, [spell.get(p, p) for p in prereqs
                                              if p in targets or p in known],
                                    "compile" if kind == "compile" else "link", maker)
    if "vmlinux.o" not in targets:
        return
    mods = ct.modules
    # Makefile.modpost: $(output-symdump): $(MODORDER) vmlinux.o $(MODPOST) FORCE
    add("Module.symvers", "modpost", ["modules.order", "vmlinux.o", "scripts/mod/modpost"],
        "modpost")
    add("vmlinux", "link", [f"{ct.cap.srctree}/scripts/link-vmlinux.sh"] + [
        x for x in DECLARED["vmlinux"]], "vmlinux")
    for ko in mods:  # Makefile.modfinal: %.ko: %.o %.mod.o $(ARCH_MODULE_LDS) FORCE
        base = ko[:-3]
        add(base + ".mod.o", "compile", [base + ".mod.c"], "modfinal")
        add(ko, "ko", [base + ".o", base + ".mod.o", ".module-common.o",
                       "scripts/module.lds"], "modfinal")


_RULE = re.compile(r"^\$\(obj\)/(\S+)\s*:\s*([^=]*)$")


def declared_prereqs(makefile_text: str, d: str,
                     recipes: set[str] | None = None) -> dict[str, list[str]]:
    """Explicit prerequisites a directory makefile declares for its own targets:
    ``$(obj)/A: $(obj)/B ...`` lines (no variables but $(obj), no patterns), the way
    arch/x86/realmode/Makefile gives rmpiggy.o its .incbin input rm/realmode.bin.
    RECIPES, if given, receives the targets whose line is followed by a recipe (lib/
    Makefile's crc32table.h: a plain rule, '$(call cmd,crc32)', no .cmd file)."""
    out: dict[str, list[str]] = {}
    pre = "" if d == "." else d + "/"
    lines = makefile_text.replace("\\\n", " ").split("\n")
    for i, ln in enumerate(lines):
        if ln.startswith("\t"):
            continue
        m = _RULE.match(ln.split("#", 1)[0].rstrip())
        if not m or "%" in m.group(1) or ";" in m.group(2):
            continue
        deps = []
        for w in m.group(2).split():
            if w == "FORCE":
                continue
            if not w.startswith("$(obj)/") or "$" in w[7:]:
                deps = []
                break
            deps.append(pre + w[7:])
        if deps:
            out.setdefault(pre + m.group(1), []).extend(deps)
            if recipes is not None and i + 1 < len(lines) and lines[i + 1].startswith("\t"):
                recipes.add(pre + m.group(1))
    return out
