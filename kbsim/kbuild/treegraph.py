"""A real build tree's targets, as kbuild's makefiles would hold them, laid out as makefiles.

The tree layer reads a captured build directory into a :class:`TreeGraph`: every target
with a ``.cmd`` file, what kind of kbuild rule makes it, its prerequisites, which make
process decides it (the directory sub-make ``scripts/Makefile.build obj=DIR``, or one of the
top-level stages), and what its recipe writes besides the target. :func:`tree_makefiles`
turns that into the makefiles the make engine runs, in the shape of the era's kbuild
(v6.1 and v6.12 source trees):

- the top-level Makefile: ``prepare``, the descent into ``.`` (``$(build-dir)``),
  ``vmlinux.a``, the adjust step where the era has one (``autoksyms_recursive`` up to
  v6.4), then ``vmlinux_o`` (scripts/Makefile.vmlinux_o), ``modpost``
  (scripts/Makefile.modpost), ``vmlinux`` (scripts/Makefile.vmlinux), ``modules``
  (scripts/Makefile.modfinal) and the arch's boot image;
- scripts/Makefile.build: one sub-make per directory, which descends into its
  subdirectories (``$(subdir-ym)``) and makes the directory's goals, each target with its
  own explicit rule, and reads the saved ``.cmd`` files of the targets that exist;
- a target whose directory is outside the descent is made by a sub-make for it
  (``$(obj)/rm/realmode.bin: FORCE; $(MAKE) $(build)=$(obj)/rm $@`` in
  arch/x86/realmode/Makefile).

Recipes are kbsim commands: ``kbsim-cc`` for compiles (kbuild/commands.py) and
``kbsim-step KIND`` for the other if_changed rules (kbuild/steps.py).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from .eras import Era

# which top-level stage makefile decides a target (the real file each is modelled on)
STAGE_MAKEFILES = {
    "prepare": "scripts/Makefile.prepare",  # kbsim: the prepare sub-makes, as one
    "vmlinux_o": "scripts/Makefile.vmlinux_o",
    "modpost": "scripts/Makefile.modpost",
    "vmlinux": "scripts/Makefile.vmlinux",
    "modfinal": "scripts/Makefile.modfinal",
}


@dataclass
class TreeTarget:
    path: str  # relative to the build directory
    kind: str  # compile, ar, ld-r, mod, order, vmlinux.o, modpost, link, ko, gen
    prereqs: list[str] = field(default_factory=list)  # explicit, in order (names as made)
    stage: str = "compile"  # compile, link, modpost, vmlinux, modfinal, boot, prepare
    maker: str = ""  # "dir:D", "top", or a key of STAGE_MAKEFILES
    writes: list[str] = field(default_factory=list)  # other files its recipe writes


@dataclass
class FilechkVerdict:
    """What a filechk target's next text will be (tree/filechk.py): ``unchanged``,
    ``changes`` (TEXT: the new text, which the replay writes) or ``unknown`` (WHY names
    the input that decides). AFTER: a file of the tree that, if this make remakes it
    (its mtime moves from AFTER_MTIME), decides the text instead (a 'filechk offsets'
    target's .s file)."""

    kind: str
    why: str
    text: str | None = None
    after: str | None = None
    after_mtime: int | None = None


@dataclass
class TreeGraph:
    targets: dict[str, TreeTarget]
    # the descent: directory -> its subdirectories in order ("." is the top)
    subdirs: dict[str, list[str]]
    # directory -> the goals its sub-make makes ($(obj)/: in Makefile.build), in order
    goals: dict[str, list[str]]
    vmlinux_objs: list[str]  # vmlinux.a's members (./built-in.a, lib.a's)
    lds: str | None = None  # $(KBUILD_LDS)
    image: str | None = None  # arch/x86/boot/bzImage
    image_goal: str | None = None  # the top-level goal that makes it (bzImage)
    image_link: str | None = None  # arch/x86_64/boot/bzImage (ln -fsn on every make)
    # files every make rewrites, with the rule that does it (outputmakefile, ...)
    always: list[tuple[str, str]] = field(default_factory=list)
    # filechk targets: regenerated on every make, written only if the text changes
    filechk: list[tuple[str, str]] = field(default_factory=list)
    filechk_verdicts: dict[str, FilechkVerdict] = field(default_factory=dict)
    # composite modules whose members' undefined symbols were captured (less those
    # another member defines): a relink takes its undefined symbols from them
    member_symbols: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def maker_of(self, path: str) -> str:
        t = self.targets.get(path)
        return t.maker if t is not None else ""


def _dir(path: str) -> str:
    return posixpath.dirname(path) or "."


def _rule(target: str, prereqs: list[str], recipe: list[str]) -> list[str]:
    out = [f"{target}: {' '.join(prereqs)}".rstrip()]
    out += [f"\t{r}" for r in recipe]
    return out


def _recipe(t: TreeTarget) -> list[str]:
    if t.kind == "compile":
        return ["@kbsim-cc $@ $< $(why)"]
    return [f"@kbsim-step {t.kind} $@ $(why)"]


def _prereq_rules(g: TreeGraph, maker: str, t: TreeTarget, seen: set[str],
                  out: list[str]) -> None:
    """Rules for T's prerequisites that another make process makes on demand: a target
    of a directory outside the descent gets ``P: FORCE; $(MAKE) ... obj=DIR P``."""
    for p in t.prereqs:
        if p in seen:
            continue
        pt = g.targets.get(p)
        if pt is None or pt.maker == maker or not pt.maker.startswith("dir:"):
            continue
        d = pt.maker[4:]
        if d in g.goals:  # in the descent: made by its own sub-make, before this one
            continue
        seen.add(p)
        out += _rule(p, ["FORCE"], [f"@$(MAKE) -f scripts/Makefile.build obj={d} {p}"])


def _cmd_includes(var: str) -> list[str]:
    return [f"existing-{var} := $(wildcard $({var}))",
            f"-include $(foreach f,$(existing-{var}),$(dir $(f)).$(notdir $(f)).cmd)"]


def dir_makefile(g: TreeGraph, d: str, mine: list[TreeTarget] | None = None) -> str:
    """.kbsim/dirs/D.mk: the rules of directory D's sub-make. MINE: the targets it makes
    (those whose maker is dir:D, in the order of g.targets), if the caller has them."""
    maker = f"dir:{d}"
    if mine is None:
        mine = [t for t in g.targets.values() if t.maker == maker]
    lines = [f"# kbsim: {d} (the rules scripts/Makefile.build reads for obj={d})"]
    subs = g.subdirs.get(d, [])
    if subs:
        lines.append("subdir-ym := " + " ".join(subs))
        for s in subs:  # $(subdir-builtin) and $(subdir-modorder): made by the descent
            made = [f"{s}/{n}" for n in ("built-in.a", "modules.order")
                    if f"{s}/{n}" in g.targets]
            if made:
                lines.append(f"{' '.join(made)}: {s} ;")
    lines.append("kbsim-goals := " + " ".join(g.goals.get(d, [])))
    # $(targets): the if_changed targets, whose .cmd files are read; a plain rule's
    # target (lib/Makefile's crc32table.h) is not one (it has no .cmd file to read, and
    # an -include of a missing file would be a makefile make tries to remake)
    lines.append("targets := " + " ".join(t.path for t in mine if t.kind != "plain"))
    seen: set[str] = set()
    for t in mine:
        lines += _rule(t.path, t.prereqs + ["FORCE"], _recipe(t))
        _prereq_rules(g, maker, t, seen, lines)
    return "\n".join(lines) + "\n"


def makefile_build(era: Era) -> str:
    return "\n".join([
        f"# kbsim model of scripts/Makefile.build ({era.describe()}), for a captured tree",
        "PHONY := $(obj)/",
        "$(obj)/:",
        "subdir-ym :=",
        "include scripts/Kbuild.include",
        "include .kbsim/dirs/$(obj).mk",
        "# Makefile.build: $(obj)/: $(targets-for-builtin) $(targets-for-modules) "
        "$(subdir-ym) $(always-y)",
        "$(obj)/: $(kbsim-goals) $(subdir-ym)",
        "PHONY += $(subdir-ym)",
        "$(subdir-ym):",
        "\t@$(MAKE) -f scripts/Makefile.build obj=$@",
        "# read the saved command lines and dependencies of targets that exist",
        *_cmd_includes("targets"),
        "PHONY += FORCE",
        "FORCE:",
        ".PHONY: $(PHONY)",
    ]) + "\n"


def stage_makefile(g: TreeGraph, stage: str, era: Era) -> str:
    """The rules of one top-level stage (scripts/Makefile.vmlinux_o, ...)."""
    mine = [t for t in g.targets.values() if t.maker == stage]
    goals = [t.path for t in mine if not any(t.path in o.prereqs for o in mine)]
    lines = [f"# kbsim model of {STAGE_MAKEFILES[stage]} ({era.describe()})",
             "PHONY := __default", "__default: " + " ".join(goals),
             "include scripts/Kbuild.include",
             "targets := " + " ".join(t.path for t in mine)]
    seen: set[str] = set()
    for t in mine:
        lines += _rule(t.path, t.prereqs + ["FORCE"], _recipe(t))
        _prereq_rules(g, stage, t, seen, lines)
    lines += _cmd_includes("targets")
    lines += ["PHONY += FORCE", "FORCE:", ".PHONY: $(PHONY)"]
    return "\n".join(lines) + "\n"


def _top_head(g: TreeGraph, era: Era, phony: str) -> list[str]:
    """The top-level Makefile's goals, prepare and the descent (both layouts)."""
    has = lambda s: any(t.maker == s for t in g.targets.values())  # noqa: E731
    lines = [f"# kbsim model of the top-level Makefile for a captured tree: {era.describe()}",
             "PHONY := __all", "__all: all"]
    # arch/x86/Makefile (included before 'all: vmlinux') adds 'all: bzImage'
    if g.image_goal:
        lines.append(f"all: {g.image_goal}")
    lines += ["all: vmlinux", "all: modules", "include scripts/Kbuild.include",
              "PHONY += all . prepare " + phony + " FORCE"]
    # archprepare's first prerequisite is outputmakefile (the 'source' symlink), before
    # the generated headers and scripts (top-level Makefile, v5.10, v6.1 and v6.12)
    prep = [f"@kbsim-step always {f}" for f, _ in g.always]
    prep += ["@$(MAKE) -f scripts/Makefile.prepare"] if has("prepare") else []
    prep += [f"@kbsim-step filechk {f}" for f, _ in g.filechk]
    lines += _rule("prepare", [], prep or ["@:"])
    # the descent: v6.1+ 'make $(build)=.' (the top-level Kbuild); v5.x 'descend:
    # $(build-dirs)', one sub-make per build directory, as obj=. here with the build
    # directories as its subdir-ym (the same sub-makes, one make level lower)
    lines += _rule(".", ["prepare"], ["@$(MAKE) -f scripts/Makefile.build obj=."])
    made_by_descent = [p for p in [*g.vmlinux_objs, g.lds or "", "modules.order"]
                       if p and p in g.targets]
    if made_by_descent:
        lines.append(f"{' '.join(sorted(set(made_by_descent)))}: . ;")
    return lines


def _top_tail(g: TreeGraph, existing: str) -> list[str]:
    lines = []
    if g.image_goal and g.image:
        rec = [f"@$(MAKE) -f scripts/Makefile.build obj={_dir(g.image)} {g.image}"]
        if g.image_link:  # arch/x86/Makefile: ln -fsn ../../x86/boot/bzImage ...
            rec.append(f"@kbsim-step always {g.image_link}")
        lines += ["PHONY += " + g.image_goal] + _rule(g.image_goal, ["vmlinux"], rec)
    lines += ["FORCE:", ".PHONY: $(PHONY)",
              "# the saved command lines of the top-level targets that exist",
              f"existing-top := $(wildcard {existing})",
              "-include $(foreach f,$(existing-top),$(dir $(f)).$(notdir $(f)).cmd)"]
    return lines


def top_makefile_v5(g: TreeGraph, era: Era) -> str:
    """The top-level Makefile of v5.x (e3/e4; 5.10 source tree): after the descent,
    ``autoksyms_recursive: descend modules.order`` (the adjust step), then
    ``vmlinux: scripts/link-vmlinux.sh autoksyms_recursive $(vmlinux-deps) FORCE``, an
    if_changed rule of this Makefile (link-vmlinux.sh writes vmlinux.o, vmlinux.symvers
    and runs 'make obj=init' itself: kbuild/steps.py), and ``modules: vmlinux
    modules_check`` plus ``modules: modules.order`` whose recipe runs
    scripts/Makefile.modpost, whose own recipe runs scripts/Makefile.modfinal."""
    has = lambda s: any(t.maker == s for t in g.targets.values())  # noqa: E731
    # (vmlinux is a file target here, not phony as in v6.1)
    lines = _top_head(g, era, "autoksyms_recursive modules_check modules")
    if era.recursion:
        lines += _rule("autoksyms_recursive", [".", "modules.order"],
                       [f"@kbsim-adjust-ksyms $(MAKE) -f Makefile {era.reexec_goal}"])
    else:
        lines += _rule("autoksyms_recursive", ["."], ["@:"])
    vm = g.targets.get("vmlinux")
    if vm is not None:
        pre = list(vm.prereqs)
        at = 1 if pre and pre[0].endswith("/link-vmlinux.sh") else 0
        # '+$(call if_changed,link-vmlinux)': link-vmlinux.sh runs make itself
        lines += _rule("vmlinux", pre[:at] + ["autoksyms_recursive"] + pre[at:] + ["FORCE"],
                       ["+" + r for r in _recipe(vm)])
    else:
        lines += _rule("vmlinux", ["autoksyms_recursive"], ["@:"])
    lines += _rule("modules_check", ["modules.order"], ["@:"])
    rec = ["@$(MAKE) -f scripts/Makefile.modpost"] if has("modpost") else []
    rec += ["@$(MAKE) -f scripts/Makefile.modfinal"] if has("modfinal") else []
    lines += _rule("modules", ["vmlinux", "modules_check", "modules.order"], rec or ["@:"])
    lines += _top_tail(g, "vmlinux")
    return "\n".join(lines) + "\n"


def top_makefile(g: TreeGraph, era: Era) -> str:
    """The top-level Makefile: v6.1 (e5) and v6.12 (e6) source trees, their stages; v5.x
    trees: :func:`top_makefile_v5`."""
    if era.structure == "recursive-vmlinux":
        return top_makefile_v5(g, era)
    has = lambda s: any(t.maker == s for t in g.targets.values())  # noqa: E731
    lines = _top_head(g, era, "vmlinux_o modpost modules_check vmlinux modules")
    va = g.targets.get("vmlinux.a")
    if va is not None:
        pre = list(va.prereqs)
        if era.recursion and era.structure == "self":
            pre.append("autoksyms_recursive")
        lines += _rule("vmlinux.a", pre + ["FORCE"], _recipe(va))
    if era.recursion and era.structure == "self":
        # v5.19-v6.4 Makefile: autoksyms_recursive: $(build-dir) modules.order
        lines += ["PHONY += autoksyms_recursive"]
        lines += _rule("autoksyms_recursive", [".", "modules.order"],
                       [f"@kbsim-adjust-ksyms $(MAKE) -f Makefile {era.reexec_goal}"])
    lines += _rule("vmlinux_o", ["vmlinux.a"] if va is not None else ["."],
                   ["@$(MAKE) -f scripts/Makefile.vmlinux_o"] if has("vmlinux_o") else ["@:"])
    outs = [t.path for t in g.targets.values() if t.maker == "vmlinux_o"]
    if outs:
        lines += _rule(" ".join(outs), ["vmlinux_o"], ["@:"])
    lines += _rule("modules_check", ["modules.order"], ["@:"])
    mp_pre = (["vmlinux.o"] if "vmlinux.o" in g.targets else []) + ["modules_check"]
    lines += _rule("modpost", mp_pre,
                   ["@$(MAKE) -f scripts/Makefile.modpost"] if has("modpost") else ["@:"])
    vm_pre = [p for p in ("vmlinux.o", g.lds) if p and p in g.targets] + ["modpost"]
    lines += _rule("vmlinux", vm_pre,
                   ["@$(MAKE) -f scripts/Makefile.vmlinux"] if has("vmlinux") else ["@:"])
    lines += _rule("modules", ["modpost"],
                   ["@$(MAKE) -f scripts/Makefile.modfinal"] if has("modfinal") else ["@:"])
    lines += _top_tail(g, "vmlinux.a")
    return "\n".join(lines) + "\n"


def tree_makefiles(g: TreeGraph, era: Era, kbuild_include: str) -> dict[str, str]:
    """path (relative to the build directory) -> text of every makefile of the layout."""
    out = {"Makefile": top_makefile(g, era), "scripts/Kbuild.include": kbuild_include,
           "scripts/Makefile.build": makefile_build(era)}
    for stage, path in STAGE_MAKEFILES.items():
        if any(t.maker == stage for t in g.targets.values()):
            out[path] = stage_makefile(g, stage, era)
    by_maker: dict[str, list[TreeTarget]] = {}  # (one pass, not one a directory)
    for t in g.targets.values():
        by_maker.setdefault(t.maker, []).append(t)
    dirs = set(g.goals) | {m[4:] for m in by_maker if m.startswith("dir:")}
    for d in sorted(dirs):
        out[f".kbsim/dirs/{d}.mk"] = dir_makefile(g, d, by_maker.get(f"dir:{d}", []))
    return out


def lay_out_tree(fs, spec, era: Era, kbuild_include_text: str) -> None:
    """Write a captured tree (spec.initial_files) and then the layout's makefiles. A
    makefile that is also a file of the tree (the build directory's own Makefile, in an
    O= build) gets the model's text and keeps the tree's mtime."""
    t0 = fs.clock.now
    old = t0 - 3600 * 1_000_000_000
    root = spec.root
    fs.mkdir(root)

    def full(p: str) -> str:
        return p if p.startswith("/") else f"{root}/{p}"

    fs.put_files((full(path), data if data is not None else b"", mtime)
                 for path, (mtime, data) in (spec.initial_files or {}).items())
    for path, text in tree_makefiles(spec.tree, era, kbuild_include_text).items():
        p = full(path)
        m = fs.mtime(p)
        fs.mkdir(posixpath.dirname(p))
        fs.write(p, text)
        fs.set_mtime(p, m if m is not None else old)
