"""The if_changed rules after the compiles, as simulated commands: ``kbsim-step KIND``.

Each step decides as ``if_changed`` does (scripts/Kbuild.include: the target is missing,
a prerequisite is newer (``$?`` without the phony ones), or there is no saved command; a
captured tree's saved commands are taken as the current ones) and, when it runs, writes
its target, the target's ``.cmd`` file and whatever else its recipe writes, at the
simulated time the recipe ends. Kinds (the rule each models, v6.1 and v6.12 trees):

- ``ar``: built-in.a, lib.a, vmlinux.a (``cmd_ar_builtin``, ``cmd_ar``, ``cmd_ar_vmlinux.a``);
- ``ld-r``: a composite module, ``$(LD) -r -o $@ @$<`` from its ``.mod`` list;
- ``mod``: ``NAME.mod`` (``$(obj)/%.mod: FORCE``): only a missing file or command;
- ``order``: modules.order (``cmd_gen_order`` / ``cmd_modules_order``, rewritten whenever a
  module in it is newer: "kbuild: update modules.order only when contained modules are
  updated");
- ``vmlinux.o``: ``ld -r`` of vmlinux.a (scripts/Makefile.vmlinux_o);
- ``modpost``: Module.symvers (scripts/Makefile.modpost). modpost writes Module.symvers
  every time it runs, and each ``NAME.mod.c`` and ``.vmlinux.export.c`` only when its text
  changes (modpost.c ``write_if_changed``). kbsim cannot write modpost's C text; it writes
  what decides it (:func:`mod_c_text`), which the capture also wrote for the files it
  found, so an unchanged module keeps its ``.mod.c`` and its mtime;
- ``link``: vmlinux (scripts/link-vmlinux.sh): the build number in ``.version`` goes up,
  ``include/generated/utsversion.h`` changes, ``make -f scripts/Makefile.build obj=init
  init/version-timestamp.o`` runs, then vmlinux and its side files (System.map, ...);
- ``ko``: ``NAME.ko`` (scripts/Makefile.modfinal);
- ``gen``: any other if_changed target (the boot image's steps, generated headers, ...);
- ``always``: a file every make rewrites (``outputmakefile``; ``ln -fsn`` of the image);
- ``filechk``: a file every make regenerates and writes only if its text changed
  (scripts/Kbuild.include ``filechk``): kbsim runs no generator; the capture's verdict
  (tree/filechk.py) says whether the text stays, changes (then it is written) or is
  decided by an input kbsim cannot see (then it is left as it is).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from ..fs import FsError
from .commands import if_changed, split_why
from .objects import ObjectContent


@dataclass
class StepRecord:
    pass_no: int
    target: str
    kind: str
    stage: str
    reasons: list[str]
    start_ns: int
    end_ns: int
    writes: list[str] = field(default_factory=list)  # files whose mtime the step changed
    # a filechk target's next text: unchanged, changes or unknown (None: not filechk)
    content: str | None = None


def mod_c_text(name: str, exports: list[str], depends: list[str]) -> str:
    """What decides modpost's NAME.mod.c in kbsim's model: the module, the KSYMTAB entries
    modpost keeps for it (v6.5+: its EXPORT_SYMBOLs some module uses) and the modules it
    depends on (``MODULE_INFO(depends, ...)``)."""
    return (f"kbsim modpost output for {name}\nexports: {' '.join(sorted(exports))}\n"
            f"depends: {','.join(sorted(depends))}\n")


def export_c_text(exports: list[str]) -> str:
    """What decides .vmlinux.export.c: the KSYMTAB entries kept for vmlinux."""
    return f"kbsim modpost output for vmlinux\nexports: {' '.join(sorted(exports))}\n"


def vmlinux_exports(vmlinux_o: ObjectContent, recursion: bool) -> set[str]:
    """What modpost takes vmlinux.o to export: up to v6.4 the KSYMTAB entries compiled in
    (those autoksyms.h asked for); from v6.5 every EXPORT_SYMBOL (.export_symbol)."""
    if recursion:
        return set(vmlinux_o.exports)
    return set(vmlinux_o.markers) | set(vmlinux_o.exports)


def undefined_in(modules: list[tuple[str, ObjectContent]], vmlinux_exports: set[str],
                 recursion: bool) -> set[str]:
    """The modules (.ko) with a symbol neither vmlinux nor any module exports: those
    modpost reports 'undefined!' (commands.report_modpost's rule)."""
    exports = set(vmlinux_exports)
    for _, c in modules:
        exports.update(c.exports if recursion else (c.markers or c.exports))
    return {ko for ko, c in modules
            if any(u not in exports and u != "__this_module" for u in c.undefined)}


def modpost_outputs(modules: list[tuple[str, ObjectContent]], vmlinux_exports: set[str],
                    trim: bool, whitelist: list[str], ksymtab_by_modpost: bool
                    ) -> tuple[dict[str, str], str | None]:
    """(module .ko -> its mod_c_text, export_c_text or None) for the modules' contents.

    KSYMTAB_BY_MODPOST (v6.5+): modpost writes the KSYMTAB entries, keeping with TRIM only
    the symbols some module uses (check_exports marks them) or the whitelist names."""
    provider: dict[str, str] = {}
    for ko, c in modules:
        for s in (c.markers or c.exports):
            provider.setdefault(s, ko)
    used: set[str] = set(whitelist)
    deps: dict[str, set[str]] = {ko: set() for ko, _ in modules}
    for ko, c in modules:
        for s in c.undefined:
            p = provider.get(s)
            if p is not None and p != ko:
                deps[ko].add(posixpath.basename(p)[:-3])
                used.add(s)
            elif s in vmlinux_exports:
                used.add(s)
    texts = {}
    for ko, c in modules:
        kept = [s for s in (c.markers or c.exports) if not trim or s in used] \
            if ksymtab_by_modpost else []
        texts[ko] = mod_c_text(posixpath.basename(ko)[:-3], kept, sorted(deps[ko]))
    export_c = None
    if ksymtab_by_modpost:
        export_c = export_c_text([s for s in vmlinux_exports if not trim or s in used])
    return texts, export_c


class TreeSteps:
    """The ``kbsim-step`` command of a captured tree's replay (see kbuild/treegraph.py)."""

    def __init__(self, rt, graph):
        self.rt = rt
        self.g = graph
        self.records: list[StepRecord] = []

    def register(self, shell) -> None:
        shell.register("kbsim-step", self.step)

    # ------------------------------------------------------------ helpers
    def _cmd_path(self, target: str) -> str:
        d, b = posixpath.split(target)
        return f"{d}/.{b}.cmd" if d else f".{b}.cmd"

    def _save_cmd(self, ctx, target: str) -> None:
        """if_changed's printf of the saved command: the same text, written again."""
        p = self._cmd_path(target)
        try:
            old = self.rt.fs.read(p, ctx.cwd)
        except FsError:
            old = f"{self.rt.era.cmd_prefix}{target} := kbsim\n".encode()
        self.rt.fs.write(p, old, ctx.cwd)

    def _content(self, ctx, path: str) -> ObjectContent:
        return self.rt._content(ctx, path)  # noqa: SLF001 (the runtime's object reader)

    def _write(self, ctx, path: str, data: bytes | str, writes: list[str]) -> None:
        self.rt.fs.mkdir(posixpath.dirname(path) or ".", ctx.cwd)
        self.rt.fs.write(path, data, ctx.cwd)
        writes.append(path)

    def _write_if_changed(self, ctx, path: str, text: str, writes: list[str]) -> None:
        try:
            old = self.rt.fs.read(path, ctx.cwd)
        except FsError:
            old = None
        if old is None or old.decode("utf-8", "replace") != text:
            self._write(ctx, path, text, writes)

    # ------------------------------------------------------------ the command
    def step(self, ctx, argv, io):
        kind, target = argv[1], argv[2]
        if kind == "filechk":  # the generator runs; mv only if the text changed
            yield self.rt.t.recipe_ns
            self.records.append(self._filechk(ctx, target, io))
            return 0
        if kind == "always":
            yield self.rt.t.recipe_ns
            rec = StepRecord(self.rt.pass_no, target, kind, self._stage(target),
                             ["rewritten on every make"], self.rt.fs.clock.now, 0)
            self._always(ctx, target, rec.writes)
            rec.end_ns = self.rt.fs.clock.now
            self.records.append(rec)
            return 0
        _, newer, prereqs = split_why(argv, 3)
        if kind == "plain":  # a plain make rule (no if_changed, no .cmd file)
            reasons = [] if self.rt.fs.lexists(target, ctx.cwd) else ["target missing"]
            reasons += ["due to: " + " ".join(newer)] if newer else []
        else:
            reasons = if_changed(ctx, self.rt.era, target, "", newer, prereqs, True)
        if not reasons:
            return 0  # if_changed expands to ':'
        start = self.rt.fs.clock.now
        rec = StepRecord(self.rt.pass_no, target, kind, self._stage(target), reasons,
                         start, start)
        label = {"ar": "AR", "ld-r": "LD [M]", "mod": "GEN", "order": "GEN",
                 "vmlinux.o": "LD", "modpost": "MODPOST", "link": "LD", "ko": "LD [M]",
                 "gen": "GEN", "plain": "WRAP"}.get(kind, "GEN")
        if kind != "link":  # link-vmlinux.sh says LD after its own make (version stamp)
            io.out(f"  {label:<8}{target}\n")
        t = self.rt.t
        if kind == "modpost":
            status = yield from self._modpost(ctx, target, io, rec)
        elif kind == "link":
            status = yield from self._link(ctx, target, io, rec, prereqs)
        else:
            yield t.archive_ns
            self._write(ctx, target, self._output(ctx, kind, target, prereqs), rec.writes)
            status = 0
        if kind != "plain":
            self._save_cmd(ctx, target)
        rec.end_ns = self.rt.fs.clock.now
        self.records.append(rec)
        return status

    def _filechk(self, ctx, target: str, io) -> StepRecord:
        """scripts/Kbuild.include filechk: the generator's text goes to .NAME.tmp and is
        moved over the target ('UPD') only if cmp finds a difference; the verdict
        (tree/filechk.py) says which, or that an input kbsim cannot see decides (then the
        file is left as it is)."""
        rule = dict(self.g.filechk).get(target, "filechk")
        v = self.g.filechk_verdicts.get(target)
        now = self.rt.fs.clock.now
        rec = StepRecord(self.rt.pass_no, target, "filechk", "prepare", [], now, now,
                         content="unknown")
        if v is None:
            rec.reasons = [f"regenerated on every make ({rule}); content decided by its "
                           f"generator, which kbsim does not run: left as it is"]
            return rec
        kind, why = v.kind, v.why
        if v.after is not None and self.rt.fs.mtime(v.after, ctx.cwd) != v.after_mtime:
            kind, why = "unknown", (f"content decided by {v.after}, which this make "
                                    f"remade (kbsim does not compile it)")
        rec.content = kind
        tail = {"unknown": "; kbsim leaves the file as it is",
                "changes": "; written (UPD), so what depends on it is rebuilt"}.get(kind, "")
        rec.reasons = [f"regenerated on every make ({rule}); {why}{tail}"]
        if kind == "changes":
            io.out(f"  {'UPD':<8}{target}\n")
            self._write(ctx, target, v.text or "", rec.writes)
        return rec

    def _stage(self, target: str) -> str:
        tt = self.g.targets.get(target)
        if tt is not None:
            return tt.stage
        if target == self.g.image_link:
            return "boot"
        return "prepare" if any(f == target for f, _ in self.g.always) else "link"

    def _always(self, ctx, target: str, writes: list[str]) -> None:
        fs = self.rt.fs
        st = fs.lstat(target, ctx.cwd)
        if st is not None and st.kind == "l":  # ln -fsn: the link is made again
            node = fs._lookup(target, ctx.cwd, False)  # noqa: SLF001 (no public readlink)
            dest = node.target if node is not None else ""
            fs.remove(target, ctx.cwd)
            fs.symlink(dest or "", target, ctx.cwd)
            writes.append(target)
            return
        try:
            data = fs.read(target, ctx.cwd)
        except FsError:
            data = b""
        self._write(ctx, target, data, writes)

    def _old(self, ctx, target: str) -> bytes:
        try:
            return self.rt.fs.read(target, ctx.cwd)
        except FsError:
            return b""

    def _order_text(self, ctx, prereqs: list[str]) -> str:
        """cmd_gen_order (v6.2+) / cmd_modules_order: each subdirectory's modules.order
        as it is, each module by name (NAME.o from v6.2, NAME.ko before)."""
        out = []
        for p in prereqs:
            if p.endswith("modules.order"):
                sub = self.g.targets.get(p)
                if sub is not None and sub.kind == "order":
                    # its text as its own rule makes it: the capture read the top-level
                    # modules.order only, so a subdirectory's is empty in the replay
                    # until rewritten (with lib's left out, a rewritten top-level list
                    # lost lib's modules, and the autoksyms step their symbols)
                    out.append(self._order_text(ctx, sub.prereqs))
                else:
                    out.append(self._old(ctx, p).decode("utf-8", "replace"))
            elif p.endswith(".o"):
                out.append(f"{p[:-2]}{self.rt.era.modorder_ext}\n")
        return "".join(out)

    def _output(self, ctx, kind: str, target: str, prereqs: list[str]) -> bytes | str:
        """What the simulated file holds: archives list members; linked objects merge the
        members' facts (a relinked module or vmlinux.o also keeps the facts the old one
        had: kbsim objects carry only what the capture read); modules.order its lines;
        any other file keeps its content."""
        members = [p for p in prereqs if p.endswith((".o", ".a"))]
        if kind == "ar":
            return ObjectContent(members=members).dump()
        if kind == "order":
            return self._order_text(ctx, prereqs)
        if kind == "gen" and target.endswith(".usyms") and members:
            # Makefile.build cmd_undefined_syms (v5.19-v6.4): nm NAME.o | sed -n 's/^  *U //p'
            return "".join(f"{u}\n" for u in sorted(self._content(ctx, members[0]).undefined))
        if kind == "mod" and self.rt.era.mod_format == "mod2" and members \
                and members[0] in self.g.member_symbols:
            # v5.3-v5.18 Makefile.build cmd_mod: the objects, then 'nm' of the module's
            # undefined symbols, which the autoksyms step reads: a relinked composite's
            # are its members' (a member that needs a new symbol: Linux 5.10,
            # validate_composite.py); other modules keep the text the capture read
            c = self._content(ctx, members[0])
            old = self._old(ctx, target).decode("utf-8", "replace").split("\n")
            objs = old[0] if old[0].strip() else members[0]
            return f"{objs}\n{' '.join(c.undefined)}\n"
        if kind not in ("ld-r", "vmlinux.o", "ko"):
            return self._old(ctx, target)
        oc = ObjectContent(members=members)
        if kind in ("vmlinux.o", "ld-r") and not self.rt.era.recursion:
            # v6.5+: the capture read only some objects' .export_symbol entries
            old = self._content(ctx, target)
            oc.exports, oc.markers = list(old.exports), list(old.markers)
            oc.undefined = list(old.undefined)
        ex, mk, und = set(oc.exports), set(oc.markers), set()
        for sub in self._leaves(ctx, members):
            oc.exports += [x for x in sub.exports if x not in ex and not ex.add(x)]
            oc.markers += [x for x in sub.markers if x not in mk and not mk.add(x)]
            oc.undefined += [u for u in sub.undefined if u not in und and not und.add(u)]
        if kind == "ld-r" and target in self.g.member_symbols:
            # a composite's undefined symbols are its members' less those another member
            # defines (ld -r resolves them): the capture read each member's so (and a
            # member newer than the module brings what it needs now)
            oc.undefined = []
            und = set()
            for sub in self._leaves(ctx, members):
                oc.undefined += [u for u in sub.undefined if u not in und and not und.add(u)]
        elif kind == "ld-r" and self.rt.era.recursion:
            # without the members' symbols (a capture before they were read), the relinked
            # module keeps those read from it: a recompile changes no symbol a member
            # uses (else modpost's NAME.mod.c 'depends' would lose them: Linux 6.1 seed 5,
            # crypto/crypto_hash.mod.c)
            old = self._content(ctx, target)
            if old.undefined:
                oc.undefined = list(old.undefined)
        return oc.dump()

    def _leaves(self, ctx, members: list[str], seen: set[str] | None = None):
        """The contents of the objects MEMBERS stand for, thin archives opened (their
        members, recursively)."""
        seen = set() if seen is None else seen
        for m in members:
            if m in seen:
                continue
            seen.add(m)
            c = self._content(ctx, m)
            if m.endswith(".a"):
                yield from self._leaves(ctx, c.members, seen)
            else:
                yield c

    # ------------------------------------------------------------ modpost
    def _modpost(self, ctx, target, io, rec):
        rt = self.rt
        yield rt.t.modpost_ns
        vm_exports = vmlinux_exports(self._content(ctx, "vmlinux.o"), rt.era.recursion)
        mods = [(ko, self._content(ctx, ko[:-3] + ".o")) for ko in rt.module_names]
        status = rt.report_modpost(ctx, io, vm_exports, mods)
        texts, export_c = modpost_outputs(
            mods, vm_exports, True, list(rt.spec.whitelist), not rt.era.recursion)
        # modpost.c write_buf writes nothing once an error occurred: v6.1 checks and
        # writes module by module (write_mod_c_file), so the modules before the first
        # failing one get their .mod.c; v6.12 checks every module first, so a failure
        # writes none; Module.symvers (write_dump) comes last (Linux 6.1 and 6.12 sources)
        failing = undefined_in(mods, vm_exports, rt.era.recursion)
        if export_c is not None or rt.fs.exists(".vmlinux.export.c", ctx.cwd):
            if not (failing and not rt.era.recursion):
                self._write_if_changed(ctx, ".vmlinux.export.c",
                                       export_c if export_c is not None else
                                       export_c_text([]), rec.writes)
        for ko, text in texts.items():
            if ko in failing or (failing and not rt.era.recursion):
                break
            self._write_if_changed(ctx, ko[:-3] + ".mod.c", text, rec.writes)
        if not failing:
            self._write(ctx, target, f"kbsim Module.symvers ({len(mods)} modules)\n",
                        rec.writes)
        return status

    # ------------------------------------------------------------ link-vmlinux.sh
    def _link(self, ctx, target, io, rec, prereqs):
        rt = self.rt
        fs = rt.fs
        tt = self.g.targets.get(target)
        # the build number goes up (init/build-version), so utsversion.h changes (filechk)
        if fs.exists(".version", ctx.cwd):
            n = fs.read(".version", ctx.cwd).decode().strip()
            self._write(ctx, ".version", f"{int(n) + 1 if n.isdigit() else 1}\n", rec.writes)
        ts = "init/version-timestamp.o"
        if rt.era.structure == "recursive-vmlinux":  # v5.x link-vmlinux.sh (5.10 src)
            status = yield from self._link_v5_init(ctx, io, rec)
            if status:
                return status
        elif ts in self.g.targets:
            uts = "include/generated/utsversion.h"
            io.out(f"  {'UPD':<8}{uts}\n")
            self._write(ctx, uts, f"kbsim build {fs.clock.now}\n", rec.writes)
            status = yield from rt.make(ctx, ["make", "-f", "scripts/Makefile.build",
                                              "obj=init", ts], io)
            if status:
                return status
        rec.start_ns = fs.clock.now  # the link itself, after that make: its log order
        io.out(f"  {'LD':<8}{target}\n")
        yield rt.t.link_ns
        # v6.1+: vmlinux.o; v5.x: $(vmlinux-deps), archives and $(head-y)
        oc = ObjectContent(members=[p for p in prereqs if p.endswith((".o", ".a"))])
        for c in self._leaves(ctx, oc.members):
            oc.exports += [x for x in c.exports if x not in oc.exports]
        if not rt.era.recursion:  # v6.5+: the KSYMTAB comes from .vmlinux.export.o
            oc.exports = sorted(set(oc.exports) | set(self._content(ctx, "vmlinux.o").exports))
        self._write(ctx, target, oc.dump(), rec.writes)
        for w in (tt.writes if tt is not None else []):
            if w not in rec.writes:
                self._always(ctx, w, rec.writes)
        return 0

    def _link_v5_init(self, ctx, io, rec):
        """What v5.x link-vmlinux.sh does before its link (5.10 src): 'GEN .version' (done
        by the caller), then ``make -f scripts/Makefile.build obj=init need-builtin=1``,
        where init/Makefile's FORCE rule runs mkcompile_h: compile.h's first line carries
        the new build number (only UTS_VERSION is left out of its comparison), so it is
        rewritten, init/version.o recompiled and init/built-in.a archived again; then
        modpost_link writes vmlinux.o (ld -r of $(KBUILD_VMLINUX_OBJS), no .cmd file)."""
        rt = self.rt
        fs = rt.fs
        ch = "include/generated/compile.h"
        if fs.exists(".version", ctx.cwd) and fs.exists(ch, ctx.cwd):
            io.out(f"  {'UPD':<8}{ch}\n")
            self._write(ctx, ch, f"kbsim build {fs.clock.now}\n", rec.writes)
        if "dir:init" in {t.maker for t in self.g.targets.values()}:
            status = yield from rt.make(ctx, ["make", "-f", "scripts/Makefile.build",
                                              "obj=init"], io)
            if status:
                return status
        if fs.exists("vmlinux.o", ctx.cwd):
            io.out(f"  {'LD':<8}vmlinux.o\n")
            yield rt.t.link_ns
            vm = self.g.targets.get("vmlinux")
            members = [p for p in (vm.prereqs if vm is not None else [])
                       if p.endswith((".o", ".a"))]
            self._write(ctx, "vmlinux.o", self._output(ctx, "vmlinux.o", "vmlinux.o",
                                                       members), rec.writes)
        # 'make -f scripts/Makefile.modpost MODPOST_VMLINUX=1' (vmlinux.symvers), then
        # modules.builtin.modinfo and modules.builtin: before the link
        tt = self.g.targets.get("vmlinux")
        for w in (tt.writes if tt is not None else []):
            if w in ("vmlinux.symvers", "modules.builtin.modinfo", "modules.builtin"):
                self._always(ctx, w, rec.writes)
        return 0
