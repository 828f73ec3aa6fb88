"""Lay a BuildSpec out on the simulated filesystem as a kbuild tree with era makefiles.

The makefiles are kbsim's models of the era's top-level Makefile, scripts/Kbuild.include
and scripts/Makefile.build, written in the make subset the engine reads. They keep the
parts that decide rebuilds: one sub-make per directory (``$(MAKE) -f
scripts/Makefile.build obj=DIR``), ``.cmd`` files included for existing targets,
``if_changed_rule`` with ``any-prereq``/``newer-prereqs`` and ``arg-check``, ``FORCE``,
the global ``.SECONDARY:`` from v5.0, and the adjust step where the era runs it:
``vmlinux_prereq`` (v4.7-v4.16), ``autoksyms_recursive`` re-running ``make vmlinux``
(v4.17-v5.18) or itself (v5.19+). Compiling, archiving, linking, the adjust script and
modpost are kbsim commands (kbuild/commands.py) that act on the simulated files.
"""

from __future__ import annotations

import posixpath

from ..fs import DIR, SimFS
from .eras import Era
from .naming import Naming
from .spec import BuildSpec, DirSpec

ROOT = "/linux"
AUTOKSYMS = "include/generated/autoksyms.h"


def builtin_name(era: Era) -> str:
    # built-in.o became a thin archive built-in.a in v4.17 (kbuild: rename built-in.o)
    return "built-in.o" if era.mod_format == "tmp_versions" and era.name.startswith("e1") \
        else "built-in.a"


def kbuild_include(era: Era) -> str:
    """kbsim's Kbuild.include: if_changed's test itself runs in the kbsim commands (see
    commands.if_changed); make hands them $? and $^ without the phony FORCE."""
    lines = [
        f"# kbsim model of scripts/Kbuild.include ({era.describe()})",
        "# kbsim commands get the newer prerequisites ($?) and all of them ($^) and decide",
        "# as if_changed_rule does (any-prereq / newer-prereqs, arg-check, missing .cmd)",
        "why = $(filter-out $(PHONY),$?) -- $(filter-out $(PHONY),$^)",
        ".DELETE_ON_ERROR:",
    ]
    if era.secondary:
        lines.append("# do not delete intermediate files automatically (8e9b61b293d9)")
        lines.append(".SECONDARY:")
    return "\n".join(lines) + "\n"


def makefile_build(era: Era) -> str:
    b = builtin_name(era)
    return "\n".join([
        f"# kbsim model of scripts/Makefile.build ({era.describe()})",
        "src := $(obj)",
        "PHONY := __build",
        "__build:",
        "obj-y :=",
        "lib-y :=",
        "single-m :=",
        "multi-m :=",
        "mod-parts :=",
        "explicit-m :=",
        "include scripts/Kbuild.include",
        "include $(obj)/Makefile",
        f"builtin-target := $(obj)/{b}",
        "lib-target := $(if $(lib-y),$(obj)/lib.a)",
        "real-obj-y := $(addprefix $(obj)/,$(obj-y))",
        "real-lib-y := $(addprefix $(obj)/,$(lib-y))",
        "real-single-m := $(addprefix $(obj)/,$(single-m))",
        "real-multi-m := $(addprefix $(obj)/,$(multi-m))",
        "real-mod-parts := $(addprefix $(obj)/,$(mod-parts))",
        "real-explicit-m := $(addprefix $(obj)/,$(explicit-m))",
        "__build: $(builtin-target) $(lib-target) $(real-single-m) $(real-multi-m) "
        "$(real-explicit-m)",
        "targets := $(real-obj-y) $(real-lib-y) $(real-single-m) $(real-multi-m) "
        "$(real-mod-parts) $(real-explicit-m) $(builtin-target) $(lib-target)",
        "# read the saved command lines and dependencies of targets that exist",
        "existing := $(wildcard $(targets))",
        "-include $(foreach f,$(existing),$(dir $(f)).$(notdir $(f)).cmd)",
        "$(real-single-m): $(obj)/%.o: $(src)/%.c FORCE",
        "\t@kbsim-cc $@ $< $(why)",
        "\t@kbsim-modfile $@",
        "$(obj)/%.o: $(src)/%.c FORCE",
        "\t@kbsim-cc $@ $< $(why)",
        "$(obj)/%.o: $(src)/%.S FORCE",
        "\t@kbsim-cc $@ $< $(why)",
        "$(builtin-target): $(real-obj-y) FORCE",
        "\t@kbsim-ar $@ $(why)",
        "$(lib-target): $(real-lib-y) FORCE",
        "\t@kbsim-ar $@ $(why)",
        "PHONY += FORCE",
        "FORCE:",
        ".PHONY: $(PHONY)",
    ]) + "\n"


def _own_source(o) -> bool:
    """Is O's source $(src)/NAME.c or .S next to it (so the pattern rules find it)?"""
    stem = o.path[:-2]
    return o.source in (stem + ".c", stem + ".S")


def modules_by_dir(spec: BuildSpec) -> dict[str, list]:
    """The modules of SPEC by the directory of their .o, in spec order."""
    out: dict[str, list] = {}
    for m in spec.modules:
        out.setdefault(posixpath.dirname(m.name[:-3] + ".o"), []).append(m)
    return out


def dir_makefile(d: DirSpec, spec: BuildSpec, by_dir: dict[str, list] | None = None) -> str:
    """D's Makefile. BY_DIR: modules_by_dir(SPEC), when the caller has it already."""
    base = d.path + "/"
    rel = lambda p: p[len(base):] if p.startswith(base) else p  # noqa: E731
    obj_y = [rel(o.path) for o in d.objects if o.kind == "y"]
    lib_y = [rel(o.path) for o in d.objects if o.kind == "lib"]
    lines = [f"# kbsim: {d.path} ({d.group})"]
    if obj_y:
        lines.append("obj-y := " + " ".join(obj_y))
    if lib_y:
        lines.append("lib-y := " + " ".join(lib_y))
    single, multi, parts = [], [], []
    member_paths = {o.path for o in d.objects if o.kind == "m"}
    if by_dir is None:
        by_dir = modules_by_dir(spec)
    for m in by_dir.get(d.path, ()):
        mobj = m.name[:-3] + ".o"
        if m.objects == [mobj]:
            single.append(rel(mobj))
        else:
            multi.append((rel(mobj), [rel(p) for p in m.objects]))
            parts.extend(rel(p) for p in m.objects if p in member_paths)
    # Sources elsewhere (O= builds: make's VPATH finds them in the source tree): an
    # explicit rule per object, with the path VPATH would give as $<.
    explicit_m = []
    for o in d.objects:
        if not _own_source(o):
            lines.append(f"{o.path}: {o.source} FORCE")
            lines.append("\t@kbsim-cc $@ $< $(why)")
            if rel(o.path) in single:
                lines.append("\t@kbsim-modfile $@")
                single.remove(rel(o.path))
                explicit_m.append(rel(o.path))
    if explicit_m:
        lines.append("explicit-m := " + " ".join(explicit_m))
    if single:
        lines.append("single-m := " + " ".join(single))
    if multi:
        lines.append("multi-m := " + " ".join(m for m, _ in multi))
        lines.append("mod-parts := " + " ".join(parts))
        for mobj, members in multi:
            lines.append(f"$(obj)/{mobj}: " + " ".join(f"$(obj)/{p}" for p in members)
                         + " FORCE")
            lines.append("\t@kbsim-ld-multi $@ $(why)")
            lines.append("\t@kbsim-modfile $@")
    return "\n".join(lines) + "\n"


def ordered_dirs(spec: BuildSpec, era: Era) -> list[DirSpec]:
    rank = {g: i for i, g in enumerate(era.dir_order)}
    return sorted(spec.dirs, key=lambda d: rank.get(d.group, 1))  # stable within a group


def top_makefile(spec: BuildSpec, era: Era) -> str:
    dirs = ordered_dirs(spec, era)
    b = builtin_name(era)
    deps = []
    for d in dirs:
        if any(o.kind == "y" for o in d.objects) or not d.objects:
            deps.append(f"{d.path}/{b}")
        if any(o.kind == "lib" for o in d.objects):
            deps.append(f"{d.path}/lib.a")
    lines = [
        f"# kbsim model of the top-level Makefile: {era.describe()}, "
        f"CONFIG_TRIM_UNUSED_KSYMS=y",
        "PHONY := all",
        "all: vmlinux modules",
        "include scripts/Kbuild.include",
        "vmlinux-dirs := " + " ".join(d.path for d in dirs),
        "vmlinux-deps := " + " ".join(deps),
        "PHONY += $(vmlinux-dirs) prepare modules FORCE",
    ]
    adjust = "\t@kbsim-adjust-ksyms $(MAKE) -f Makefile " + era.reexec_goal
    if era.structure == "prereq":
        lines += [
            "PHONY += vmlinux_prereq",
            "vmlinux: vmlinux_prereq $(vmlinux-deps) FORCE",
            "\t@kbsim-link $@ $(why)",
            "vmlinux_prereq: $(vmlinux-deps) modules.order FORCE",
            adjust,
        ]
    elif era.structure == "recursive-vmlinux":
        lines += [
            "PHONY += autoksyms_recursive",
            "vmlinux: autoksyms_recursive $(vmlinux-deps) FORCE",
            "\t@kbsim-link $@ $(why)",
            "autoksyms_recursive: $(vmlinux-deps) modules.order",
            adjust,
        ]
    elif era.structure == "self":
        lines += [
            "PHONY += autoksyms_recursive",
            "vmlinux: $(vmlinux-deps) vmlinux.a FORCE",
            "\t@kbsim-link $@ $(why)",
            "vmlinux.a: $(vmlinux-deps) autoksyms_recursive",
            "\t@:",
            "autoksyms_recursive: $(vmlinux-deps) modules.order",
            adjust,
        ]
    else:  # no recursion (v6.5+): modpost trims
        lines += [
            "vmlinux: $(vmlinux-deps) FORCE",
            "\t@kbsim-link $@ $(why)",
        ]
    lines += [
        "# the descents: one sub-make per directory, each with a fresh stat cache",
        "$(sort $(vmlinux-deps)): $(vmlinux-dirs) ;",
        "$(vmlinux-dirs): prepare",
        "\t@$(MAKE) -f scripts/Makefile.build obj=$@",
        "prepare: ;",
        "modules.order: $(vmlinux-dirs) FORCE",
        "\t@kbsim-modorder $@",
        "modules: vmlinux modules.order FORCE",
        "\t@$(MAKE) -f scripts/Makefile.modpost",
        "FORCE:",
        ".PHONY: $(PHONY)",
        "# the saved command lines of the top-level targets that exist",
        "existing-top := $(wildcard vmlinux vmlinux.a)",
        "-include $(foreach f,$(existing-top),$(dir $(f)).$(notdir $(f)).cmd)",
    ]
    return "\n".join(lines) + "\n"


MAKEFILE_MODPOST = "__modpost:\n\t@kbsim-modpost\n.PHONY: __modpost\n"


def autoksyms_text(symbols) -> str:
    """include/generated/autoksyms.h as adjust_autoksyms.sh writes it (sorted)."""
    lines = ["/*", " * Automatically generated file; DO NOT EDIT.", " */", ""]
    lines += [f"#define __KSYM_{s} 1" for s in sorted(set(symbols))]
    return "\n".join(lines) + "\n"


# Trees laid out before, to copy instead of writing again: a what-if worker lays out the
# same (spec, era, naming) for every trial of a cell, and a copy of the ~3,500 nodes
# costs a fraction of the ~3,200 writes. Keyed as commands._CMD_TEXTS is (the spec and
# naming are kept in the value, so their ids are not reused meanwhile); a model edited
# between replays must be a new spec object, as it is for those.
_LAID: dict[tuple[int, int], list] = {}
_OLD, _CFG, _DIR = "old", "cfg", "dir"  # the kinds of mtime lay_out gives (or an int)


def lay_out(fs: SimFS, spec: BuildSpec, era: Era, naming: Naming) -> None:
    """Write the tree at its starting state: sources, headers, config, makefiles, then any
    captured files (spec.initial_files) on top.

    The second time a (spec, era, naming) is laid out, the result is kept (SimFS.freeze)
    with the kind of mtime of each node: _OLD and _CFG times, a captured file's own
    mtime, or, for a directory, the stamp of a change now (every directory is created
    or changed at the start time and nothing was queried); from the third time on it is
    copied (SimFS.thaw) with those mtimes for this filesystem's start and granularity."""
    key = (id(spec), id(naming))
    hit = _LAID.get(key)
    if hit is not None and (hit[0] is not spec or hit[1] is not naming or hit[2] != era):
        hit = None
    if hit is not None and hit[3] and fs.empty():
        tree, kinds = hit[3]
        fs.thaw(tree, _mtimes(fs, kinds))
        return
    kinds: dict[int, str | int] | None = {} if hit is not None else None
    _write_tree(fs, spec, era, naming, kinds)
    if hit is None:
        if len(_LAID) >= 64:
            _LAID.clear()
        _LAID[key] = [spec, naming, era, None]
    elif hit[3] is None and kinds is not None:
        hit[3] = _kept(fs, kinds) or False


def _mtimes(fs: SimFS, kinds: list) -> list[int]:
    """The mtime of each kind in KINDS on FS, which starts now (see lay_out)."""
    t0 = fs.clock.now
    g = fs.gran
    at = {_OLD: g.truncate(t0 - 3600 * 1_000_000_000),
          _CFG: g.truncate(t0 - 60 * 1_000_000_000), _DIR: g.coarse(t0)}
    return [at[k] if k.__class__ is str else g.truncate(k) for k in kinds]


def _kept(fs: SimFS, kinds: dict[int, str | int]):
    """(frozen tree, kind of mtime of each node) of FS as _write_tree just left it, or
    None when a node's mtime is not what its kind gives (then the tree is written each
    time)."""
    tree = fs.freeze()
    if tree is None:
        return None
    out = []
    for e in tree.entries:
        k = _DIR if e[3] == DIR else kinds.get(e[4])
        if k is None:
            return None
        out.append(k)
    if _mtimes(fs, out) != [e[5] for e in tree.entries]:
        return None
    return tree, out


def _write_tree(fs: SimFS, spec: BuildSpec, era: Era, naming: Naming,
                kinds: dict[int, str | int] | None) -> None:
    """lay_out's writes; KINDS (unless None) gets the kind of mtime of each file
    written, by inode."""
    t0 = fs.clock.now
    times = {_OLD: t0 - 3600 * 1_000_000_000,  # sources and headers: an hour before
             _CFG: t0 - 60 * 1_000_000_000}  # configuration: a minute before
    root = spec.root
    fs.mkdir(root)

    def w(p: str, text: str | bytes = "", at: str | int = _OLD) -> None:
        full = p if p.startswith("/") else f"{root}/{p}"
        fs.mkdir(posixpath.dirname(full))
        fs.write(full, text)
        fs.set_mtime(full, times[at] if at.__class__ is str else at)
        if kinds is not None:
            kinds[fs.ino(full)] = at

    w("Makefile", top_makefile(spec, era))
    w("scripts/Kbuild.include", kbuild_include(era))
    w("scripts/Makefile.build", makefile_build(era))
    w("scripts/Makefile.modpost", MAKEFILE_MODPOST)
    model = {"Makefile", "scripts/Kbuild.include", "scripts/Makefile.build",
             "scripts/Makefile.modpost"} | {f"{d.path}/Makefile" for d in spec.dirs}
    configs: set[str] = set()
    for h, opts in spec.headers.items():
        w(h, "")
        configs.update(opts)
    by_dir = modules_by_dir(spec)
    for d in spec.dirs:
        w(f"{d.path}/Makefile", dir_makefile(d, spec, by_dir))
        for o in d.objects:
            w(o.source, "")
            configs.update(o.configs)
    for c in sorted(configs):
        w(naming.config(c), "", _CFG)
    auto = ["CONFIG_TRIM_UNUSED_KSYMS=y", "CONFIG_MODULES=y"]
    if spec.modversions:
        auto.append("CONFIG_MODVERSIONS=y")
    if spec.whitelist:
        auto.append('CONFIG_UNUSED_KSYMS_WHITELIST="scripts/ksym-whitelist"')
        w("scripts/ksym-whitelist", "\n".join(spec.whitelist) + "\n")
    w("include/config/auto.conf", "\n".join(auto) + "\n", _CFG)
    # The empty (or G.sh-generated, v5.7+) autoksyms.h exists before the build starts.
    initial: list[str] = []
    if era.initial_autoksyms == "gen":
        initial = list(spec.whitelist) + (["module_layout"] if spec.modversions else [])
    if not spec.initial_files or AUTOKSYMS not in spec.initial_files:
        w(AUTOKSYMS, autoksyms_text(initial), _CFG)
    for path, (mtime, data) in (spec.initial_files or {}).items():
        full = path if path.startswith("/") else f"{root}/{path}"
        if mtime is None:
            fs.remove(full)
            continue
        rel = full[len(root) + 1:] if full.startswith(root + "/") else None
        if rel in model:  # a captured tree's own Makefile: the model's text, its mtime
            fs.set_mtime(full, mtime)
            if kinds is not None:
                kinds[fs.ino(full)] = mtime
            continue
        w(path, data if data is not None else b"", mtime)
