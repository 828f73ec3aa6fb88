"""kbuild's tools as simulated commands: compile, ar, ld, the adjust script, modpost.

They are registered in the make simulation's shell and run as recipe lines, so their
effects land on the simulated filesystem at the simulated time they happen:

- ``kbsim-cc OBJ SRC [flags] -- NEWER...``: reads include/generated/autoksyms.h when the
  compile starts and writes OBJ when it ends; OBJ exports S only if that autoksyms.h had
  ``#define __KSYM_S 1`` (include/linux/export.h ``__is_defined``); then fixdep's .cmd.
- ``kbsim-adjust-ksyms MAKE ARGS...``: scripts/adjust_autoksyms.sh for the era: the needed
  symbols from the modules, the symmetric difference with the current autoksyms.h, one
  touch per changed symbol in ``sort`` order (LC_COLLATE=C) with the clock advancing per
  touch, the race guard where the era has it (825d48758308), ``mv -f``, and ``exec`` of
  the make command when anything changed.
- ``kbsim-modpost``: each module's undefined symbols against the exports of vmlinux and the
  modules, printed in the era's format.
"""

from __future__ import annotations

import hashlib
import posixpath
import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import filterfalse, repeat

from ..fs import FsError
from .cmdfile import write_cmd
from .eras import Era
from .layout import AUTOKSYMS, autoksyms_text
from .naming import Naming
from .objects import ObjectContent, compiled_text, fixed_lines, parse_autoksyms
from .spec import BuildSpec, ObjectSpec

TMPNEW = AUTOKSYMS + ".tmpnew"


@dataclass(frozen=True, slots=True)
class InputStamp:
    """One input of a compile as it was when the compile started (kbsim.experiments hook:
    rebuild rules other than make's compare these with the inputs at a later decision)."""

    mtime_ns: int | None  # None: the name did not resolve (a $(wildcard) dep not yet created)
    size: int = 0
    ino: int = 0
    digest: str = ""  # blake2b-64 of the content ("" when absent)


NO_STAMP = InputStamp(None)
_DIGESTS: dict[bytes, str] = {}
_DIGEST_MEMO_MAX = 512  # longer contents are hashed each time (the memo keeps its keys)


def _digest(data: bytes) -> str:
    """blake2b-64 of DATA, remembered for short contents (an equal content has an equal
    digest): the inputs of a kbuild tree are mostly empty or short files, stamped again
    after every adjust step of every trial."""
    memo = data.__class__ is bytes and len(data) <= _DIGEST_MEMO_MAX
    out = _DIGESTS.get(data) if memo else None
    if out is None:
        out = hashlib.blake2b(data, digest_size=8).hexdigest()
        if memo:
            if len(_DIGESTS) >= 20_000:
                _DIGESTS.clear()
            _DIGESTS[data] = out
    return out


class InputStamps(Mapping):
    """The stamps of a compile's input NAMES (a list, the names in order), read from
    TABLE, the stamps table of the interval between two adjust steps in which the
    compile started: a view, not a copy (a compile lists ~50 names; a trial compiles
    ~3,000 objects). TABLE holds every name of NAMES, and no stamp in it changes once
    it is there: the runtime starts a new table when the interval ends
    (KbuildRuntime.forget_stamps)."""

    __slots__ = ("names", "table")

    def __init__(self, names: list[str], table: dict[str, InputStamp]):
        self.names = names
        self.table = table

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, name: str) -> InputStamp:
        if name not in self.names:
            raise KeyError(name)
        return self.table[name]

    def values(self) -> list[InputStamp]:  # type: ignore[override]
        return list(map(self.table.__getitem__, self.names))

    def items(self) -> list[tuple[str, InputStamp]]:  # type: ignore[override]
        return list(zip(self.names, self.values()))

    def __repr__(self) -> str:
        return f"InputStamps({dict(self.items())!r})"


@dataclass
class CompileRecord:
    pass_no: int
    target: str
    tool: str  # CC or AS
    start_ns: int
    end_ns: int
    mtime_ns: int
    exports: list[str]
    reasons: list[str]
    saw_autoksyms_ns: int | None
    # kbsim.experiments hook: the stamps of every name the object's .cmd lists (source
    # first), taken when the compile starts; only when KbuildRuntime.record_inputs is set.
    inputs: Mapping[str, InputStamp] | None = None  # (an InputStamps view)


@dataclass
class TouchRecord:
    symbol: str
    path: str
    time_ns: int
    mtime_ns: int
    touches: int  # 1, or more when the race guard looped


@dataclass
class AdjustRecord:
    pass_no: int
    start_ns: int
    end_ns: int = 0
    tmpnew_mtime_ns: int = 0
    tmpnew_time_ns: int = 0  # when .tmpnew was written
    mv_time_ns: int | None = None  # when mv -f replaced autoksyms.h (None: no change)
    before: int = 0
    after: int = 0
    changed: int = 0
    touched: list[TouchRecord] = field(default_factory=list)
    reexec: list[str] | None = None


@dataclass
class ModpostRecord:
    time_ns: int  # when modpost finished
    start_ns: int
    errors: list[str]
    modules: int
    status: int


def split_why(argv: list[str], first: int) -> tuple[list[str], list[str], list[str]]:
    """ARGS... NEWER... -- ALL... as the makefiles pass them: (args, $?, $^)."""
    try:
        k = argv.index("--", first)
    except ValueError:
        return argv[first:], [], []
    return [], argv[first:k], argv[k + 1:]


def if_changed(ctx, era: Era, target: str, command: str, newer: list[str],
               prereqs: list[str], trust_saved: bool = False) -> list[str]:
    """scripts/Kbuild.include if_changed(_rule): why TARGET must be rebuilt, in kbuild's
    V=2 wording ('- due to ...'); empty when the recipe would run ':' instead.

    any-prereq (v2.6.x-v5.7) = newer prerequisites plus missing ones ($(wildcard $^));
    newer-prereqs (later) = newer ones only. arg-check: the command line saved in the
    .cmd file (variable cmd_TARGET) differs from the current one, or there is none.
    """
    return _why(ctx, era.any_prereq_missing, target, era.cmd_prefix + target,
                _blanks_folded(command), newer, prereqs, trust_saved)


def _why(ctx, any_prereq: bool, target: str, saved_as: str, folded: str,
         newer: list[str], prereqs: list[str], trust_saved: bool) -> list[str]:
    """if_changed with the name of the saved command's variable (SAVED_AS) and the
    command with its blanks folded (FOLDED) given: a compile's are made once."""
    fs = ctx.fs
    out = []
    if not fs.lexists(target, ctx.cwd):
        out.append("target missing")
    if newer:
        out.append("due to: " + " ".join(newer))
    if any_prereq:
        gone = fs.lmissing(prereqs, ctx.cwd)
        if gone:
            out.append("due to missing: " + " ".join(gone))
    saved = ctx.proc.variables.get(saved_as)
    if saved is None:
        out.append("missing .cmd file")
    elif not trust_saved and _blanks_folded(saved.value) != folded:
        out.append("command line changed")
    return out


_PARSED: dict[bytes, ObjectContent] = {}  # see KbuildRuntime._content
_WANTED: dict[bytes, frozenset[str]] = {}  # see KbuildRuntime._autoksyms
# random.Random(f"{seed}:{path}:{pass}").random(), remembered as [(seed, pass)][path]:
# each replay of a spec draws again for the same seeds (a str seed is hashed with
# sha512 and the generator's state made from it, the costly part of a compile's
# jitter), and the object's path, a string made once, is the key without a seed string
# built and hashed for each compile
_DRAWS: dict[tuple, dict[str, float]] = {}


def _draws_of(seed, pass_no: int) -> dict[str, float]:
    key = (seed, pass_no)
    out = _DRAWS.get(key)
    if out is None:
        if len(_DRAWS) > 64:  # (~3,000 draws each for a lindroth-2018 pass)
            _DRAWS.clear()
        out = _DRAWS[key] = {}
    return out


def _first_draw(seed, path: str, pass_no: int) -> float:
    """random.Random(f"{SEED}:{PATH}:{PASS_NO}").random(), remembered (_DRAWS)."""
    draws = _draws_of(seed, pass_no)
    out = draws.get(path)
    if out is None:
        out = draws[path] = random.Random(f"{seed}:{path}:{pass_no}").random()
    return out


_FOLDED: dict[str, str] = {}


def _blanks_folded(text: str) -> str:
    """TEXT with runs of blanks as one space (arg-check compares the command lines so:
    $(strip) of each), remembered: every pass compares the same few thousand lines."""
    out = _FOLDED.get(text)
    if out is None:
        if len(_FOLDED) > 200_000:
            _FOLDED.clear()
        out = _FOLDED[text] = " ".join(text.split())
    return out


def _gcc_command(obj: str, src: str, d: str, b: str, asm: bool) -> str:
    """The compile command kbsim's objects record (remembered: each object's, each pass)."""
    key = (obj, src, asm)
    out = _GCC.get(key)
    if out is None:
        if len(_GCC) > 200_000:
            _GCC.clear()
        flag = "-D__ASSEMBLY__ " if asm else ""
        out = _GCC[key] = f"gcc -Wp,-MD,{d}/.{b}.d -nostdinc {flag}-c -o {obj} {src}"
    return out


_GCC: dict[tuple[str, str, bool], str] = {}


class _Compile:
    """What a compile of OBJ from SRC writes and says that no replay changes: made from
    the spec's object, the era and the naming (KbuildRuntime._compile_of)."""

    __slots__ = ("src", "known", "o", "o_command", "tool", "label", "command", "folded",
                 "saved_as", "cmd_path", "_cmd_text")

    def __init__(self, rt: "KbuildRuntime", obj: str, src: str):
        era = rt.era
        self.src = src
        # (the object's exports and undefined symbols are read at each compile: a whatif
        # trial gives a late module's objects their symbols between its two builds)
        self.known = rt.objects.get(obj)
        self.tool = tool = "AS" if src.endswith(".S") else "CC"
        d, sep, b = obj.rpartition("/")
        if d.endswith("/") or (sep and not d):  # ('a//b.o', '/b.o': as posixpath says)
            d, b = posixpath.split(obj)
        self.o = o = self.known or ObjectSpec(obj, src)
        self.o_command = o.command
        self.command = command = o.command or _gcc_command(obj, src, d, b, tool == "AS")
        self.folded = _blanks_folded(command)
        self.saved_as = era.cmd_prefix + obj
        self.label = f"  {tool:<8}{obj}\n"
        self.cmd_path = f"{d}/.{b}.cmd"
        self._cmd_text = None  # (made by the first compile that writes it: cmd_text)

    def cmd_text(self, rt: "KbuildRuntime", obj: str) -> str:
        """The .cmd file's text, made when a compile first writes it: most kbsim-cc lines
        of a replay compile nothing (a kernel tree's no-op make: none), and the text of a
        6.1 object names ~1,000 headers and their configs."""
        text = self._cmd_text
        if text is None:
            o = self.o
            headers = [(h, rt.spec.headers.get(h, [])) for h in o.headers]
            # (interned: the cells of a sweep mostly write equal texts, kept once)
            text = self._cmd_text = sys.intern(write_cmd(
                rt.era, rt.naming, obj, self.command, self.src, headers, o.configs,
                list(o.exports) if rt.era.recursion else []))
        return text

    def holds(self, rt: "KbuildRuntime", obj: str, src: str) -> bool:
        """Whether these are still the facts of compiling OBJ from SRC."""
        return (self.src == src and self.known is rt.objects.get(obj)
                and self.o_command is self.o.command)


# what the compiles of a (spec, era, naming) write (_Compile, by object): the same in
# every replay of one spec (whatif trials), so a process keeps them while the spec lives
# (the spec itself is the key's owner: kept in the value, so its id is not reused
# meanwhile)
_CMD_TEXTS: dict[tuple[int, str, int], tuple[object, object, dict, dict]] = {}


def _cmd_texts_of(spec, era, naming) -> dict:
    key = (id(spec), era.name, id(naming))
    hit = _CMD_TEXTS.get(key)
    if hit is None or hit[0] is not spec or hit[1] is not naming:
        if len(_CMD_TEXTS) > 64:
            _CMD_TEXTS.clear()
        hit = _CMD_TEXTS[key] = (spec, naming, {}, {})
    return hit[2]


def _input_names_of(spec, era, naming) -> dict:
    """input_names()'s answers, kept as the .cmd texts are: both are made from the
    spec's objects (source, headers, configs, exports), the era and the naming, which no
    replay changes (an incremental whatif trial edits only what its late objects use,
    between its builds). tests/test_whatif.py checks each compile's names against its .cmd."""
    _cmd_texts_of(spec, era, naming)
    return _CMD_TEXTS[(id(spec), era.name, id(naming))][3]


class KbuildRuntime:
    """State shared by the kbuild commands during one replay."""

    def __init__(self, spec: BuildSpec, era: Era, naming: Naming, guard: bool, seed: int,
                 fs, root: str):
        self.spec = spec
        self.era = era
        self.naming = naming
        self.guard = guard
        self.seed = seed
        self.fs = fs
        self.root = root
        self.t = spec.timing
        self.objects: dict[str, ObjectSpec] = {o.path: o for o in spec.objects()}
        self.module_names = [m.name for m in spec.modules]
        self.pass_no = 1
        self.compiles: list[CompileRecord] = []
        self.adjusts: list[AdjustRecord] = []
        self.modpost: ModpostRecord | None = None
        self.make_starts: list[tuple[int, list[str]]] = []
        self._wanted: tuple[bytes | None, frozenset[str]] = (None, frozenset())
        # where each pass (and modpost) starts in the simulation's output stream
        self.marks: list[tuple[int, str, list[str]]] = []
        # --- kbsim.experiments hooks (all off by default; the replay is unchanged) ---
        self.record_inputs = False  # fill CompileRecord.inputs
        self._stamps: dict[str, InputStamp] = {}  # see input_stamps()
        self._stamp_objs: dict[tuple, InputStamp] = {}  # see _stamp_now()
        self._names: dict[str, list[str]] = _input_names_of(spec, era, naming)
        self._compile_facts: dict[str, _Compile] = _cmd_texts_of(spec, era, naming)
        self.on_touch = None  # on_touch(ctx, path): after each adjust-step touch (+guard)
        self.on_reexec = None  # on_reexec(ctx, rec): adjust step done, about to exec make

    def register(self, shell) -> None:
        for name, fn in (("kbsim-cc", self.cc), ("kbsim-ar", self.ar),
                         ("kbsim-ld-multi", self.ld_multi), ("kbsim-link", self.link),
                         ("kbsim-modfile", self.modfile), ("kbsim-modorder", self.modorder),
                         ("kbsim-adjust-ksyms", self.adjust), ("kbsim-modpost", self.modpost_cmd),
                         ("make", self.make)):
            shell.register(name, fn)

    # ------------------------------------------------------------ helpers
    def _read(self, ctx, path: str) -> bytes | None:
        try:
            return self.fs.read(path, ctx.cwd)
        except FsError:
            return None

    def _content(self, ctx, path: str) -> ObjectContent:
        """The object PATH holds (empty when it is missing or not an object), parsed once
        per content: equal contents give one ObjectContent, which callers only read."""
        try:
            data = self.fs.read(path, ctx.cwd)
        except FsError:
            return ObjectContent()
        oc = _PARSED.get(data)
        if oc is None:
            if len(_PARSED) > 20_000:
                _PARSED.clear()
            oc = _PARSED[data] = ObjectContent.parse(data) or ObjectContent()
        return oc

    def _autoksyms(self, ctx) -> frozenset[str]:
        """The symbols autoksyms.h defines now (parsed once per content: each replay of
        a spec meets the same few versions of the file, of ~1,000 lines each)."""
        try:
            data = self.fs.read(AUTOKSYMS, ctx.cwd)
        except FsError:
            return frozenset()
        if data is not self._wanted[0]:
            wanted = _WANTED.get(data)
            if wanted is None:
                if len(_WANTED) > 64:
                    _WANTED.clear()
                wanted = _WANTED[data] = frozenset(parse_autoksyms(data.decode()))
            self._wanted = (data, wanted)
        return self._wanted[1]

    def input_names(self, o: ObjectSpec) -> list[str]:
        """The names the object's .cmd makes it depend on, as write_cmd lists them: the
        source (the pattern rule's prerequisite), headers, CONFIG and ksym wildcards."""
        names = self._names.get(o.path)
        if names is None:
            names = [o.source] + list(o.headers)
            opts = list(o.configs) + [c for h in o.headers
                                      for c in self.spec.headers.get(h, [])]
            names += [self.naming.config(c) for c in opts]
            if self.era.recursion and (self.era.ksym_in_deps or self.era.ksymdeps_block):
                names += [self.naming.fixdep_ksym(s) for s in o.exports]
            # (one string a name in the process: every cell keeps its own lists)
            names = self._names[o.path] = list(map(sys.intern, dict.fromkeys(names)))
        return names

    def stamps(self, ctx, names) -> dict[str, InputStamp]:
        """The stamps of NAMES (a list) as a dict (input_stamps)."""
        return dict(self.input_stamps(ctx, names).items())

    def input_stamps(self, ctx, names: list[str]) -> InputStamps:
        """The stamps of NAMES as a view of this interval's table, with the names
        stamped before in the interval found without a call each: a compile lists ~50
        names, nearly all of them headers and config files that other compiles stamped
        already. A stamp has no side effect (no stat counted, no multigrain 'queried')
        and is kept until the next adjust step: in a replay only the adjust step writes
        inputs (sources, headers and config files are laid out before the build); code
        that edits them between builds calls forget_stamps()."""
        table = self._stamps
        for n in filterfalse(table.__contains__, names):
            table[n] = self._stamp_now(ctx, n)
        return InputStamps(names, table)

    def _stamp_now(self, ctx, name: str) -> InputStamp:
        """NAME's stamp read from the filesystem now: lstat's mtime, size and inode, and
        the digest of the content (read follows a symlink, as before). Equal stamps are
        one object within a replay (an unchanged file is stamped again after every
        adjust step), so a rule can tell 'unchanged' by identity first."""
        st = self.fs.lstat_and_read(name, ctx.cwd)
        if st is None:
            return NO_STAMP
        mtime, size, ino, data = st
        key = (mtime, size, ino, _digest(data or b""))
        out = self._stamp_objs.get(key)
        if out is None:
            out = self._stamp_objs[key] = InputStamp(*key)
        return out

    def forget_stamps(self) -> None:
        # a new table: the old one stays as it is for the InputStamps that read it
        self._stamps = {}

    def compile_ns(self, o: ObjectSpec) -> int:
        r = _first_draw(self.seed, o.path, self.pass_no)
        j = self.t.jitter
        return max(1, int(o.compile_ns * (1 + j * (2 * r - 1))))

    # ------------------------------------------------------------ make (startup cost)
    def make(self, ctx, argv, io):
        """A sub-make: parsing its makefiles takes time before it decides anything."""
        top = "scripts/Makefile.build" not in argv and "scripts/Makefile.modpost" not in argv
        yield self.t.top_startup_ns if top else self.t.make_startup_ns
        if top:
            self.make_starts.append((self.fs.clock.now, list(argv)))
        status = yield from ctx.proc.submake_handler(ctx, argv, io)
        return status

    # ------------------------------------------------------------ compile
    def _compile_of(self, obj: str, src: str) -> _Compile:
        facts = self._compile_facts.get(obj)
        if facts is None or not facts.holds(self, obj, src):
            facts = self._compile_facts[obj] = _Compile(self, obj, src)
        return facts

    def cc(self, ctx, argv, io):
        obj, src = argv[1], argv[2]
        try:  # (split_why(argv, 3))
            k = argv.index("--", 3)
        except ValueError:
            newer, prereqs = [], []
        else:
            newer, prereqs = argv[3:k], argv[k + 1:]
        facts = self._compile_facts.get(obj)
        if facts is None or not facts.holds(self, obj, src):
            facts = self._compile_of(obj, src)
        era = self.era
        reasons = _why(ctx, era.any_prereq_missing, obj, facts.saved_as, facts.folded,
                       newer, prereqs, self.spec.trust_saved_commands)
        if not reasons:
            return 0  # if_changed_rule expands to ':'
        io.out(facts.label)
        fs = self.fs
        cwd = ctx.cwd
        start = fs.clock.now
        o = facts.o
        inputs = (self.input_stamps(ctx, self.input_names(o)) if self.record_inputs
                  else None)
        saw = fs.mtime(AUTOKSYMS, cwd)
        wanted = self._autoksyms(ctx)
        r = _draws_of(self.seed, self.pass_no).get(obj)  # (o.path is OBJ)
        if r is None:
            yield self.compile_ns(o)
        else:  # (compile_ns(o), its draw remembered)
            yield max(1, int(o.compile_ns * (1 + self.t.jitter * (2 * r - 1))))
        ox = o.exports
        if not ox:
            exports = []
        elif era.recursion:
            exports = [s for s in ox if s in wanted]
        else:
            exports = list(ox)
        pass_no = self.pass_no
        rest = fixed_lines(ox if era.ksymdeps_block else (), o.undefined)
        mtime = fs.write(obj, compiled_text(exports, rest, saw, pass_no), cwd)
        fs.write(facts.cmd_path, facts.cmd_text(self, obj), cwd)
        self.compiles.append(CompileRecord(pass_no, obj, facts.tool, start, fs.clock.now,
                                           mtime, exports, reasons, saw, inputs))
        return 0

    # ------------------------------------------------------------ archives and links
    def _write_with_cmd(self, ctx, out: str, content: ObjectContent, command: str) -> None:
        self.fs.write(out, content.dump(), ctx.cwd)
        d, b = posixpath.split(out)
        self.fs.write(f"{d}/.{b}.cmd", f"{self.era.cmd_prefix}{out} := {command}\n", ctx.cwd)

    def _step(self, ctx, argv, io, label: str, tool: str, ns: int, content):
        """An if_changed step OUT from its members (ar, ld -r, the vmlinux link): skipped
        when nothing changed, otherwise it takes NS and writes CONTENT(members) and .cmd."""
        out = argv[1]
        _, newer, members = split_why(argv, 2)
        command = f"{tool} {out} {' '.join(members)}"
        if not if_changed(ctx, self.era, out, command, newer, members,
                          self.spec.trust_saved_commands):
            return 0
        io.out(f"  {label:<8}{out}\n")
        yield ns
        self._write_with_cmd(ctx, out, content(ctx, members), command)
        return 0

    def ar(self, ctx, argv, io):
        return self._step(ctx, argv, io, "AR", "ar cDPrST", self.t.archive_ns,
                          lambda ctx, members: ObjectContent(members=members))

    def ld_multi(self, ctx, argv, io):
        def merged(ctx, members):
            oc = ObjectContent(members=members)
            for m in members:
                c = self._content(ctx, m)
                oc.exports += c.exports
                oc.markers += c.markers
                oc.undefined += [u for u in c.undefined if u not in oc.undefined]
            return oc
        return self._step(ctx, argv, io, "LD [M]", "ld -r -o", self.t.archive_ns, merged)

    def _archive_exports(self, ctx, archive: str) -> list[str]:
        out = []
        for m in self._content(ctx, archive).members:
            c = self._content(ctx, m)
            out += c.exports if self.era.recursion else c.markers or c.exports
        return out

    def link(self, ctx, argv, io):
        def linked(ctx, archives):
            exports: list[str] = []
            for a in archives:
                exports += self._archive_exports(ctx, a)
            return ObjectContent(exports=sorted(set(exports)))
        return self._step(ctx, argv, io, "LD", "ld -o", self.t.link_ns, linked)

    # ------------------------------------------------------------ modules
    def _mod_paths(self, ko: str) -> tuple[str, str | None]:
        """Where the era keeps a module's .mod (and .usyms) file."""
        base = ko[:-3]
        if self.era.mod_format == "tmp_versions":
            return f".tmp_versions/{posixpath.basename(base)}.mod", None
        if self.era.mod_format in ("mod2", "lines"):
            return f"{base}.mod", None
        return f"{base}.mod", f"{base}.usyms"

    def modfile(self, ctx, argv, io):
        mobj = argv[1]
        ko = mobj[:-2] + ".ko"
        yield self.t.modfile_ns
        c = self._content(ctx, mobj)
        members = c.members or [mobj]
        und = c.undefined
        mod, usyms = self._mod_paths(ko)
        if self.era.mod_format == "tmp_versions":
            text = f"{ko}\n{' '.join(members)}\n{' '.join(und)}\n"
        elif self.era.mod_format == "mod2":
            text = f"{' '.join(members)}\n{' '.join(und)}\n"
        else:  # v5.19+: one member per line (Makefile.build cmd_mod: printf '%s\n')
            text = "".join(f"{m}\n" for m in members)
        self.fs.mkdir(posixpath.dirname(mod) or ".", ctx.cwd)
        self._write_if_changed(ctx, mod, text)
        if usyms:
            self._write_if_changed(ctx, usyms, "".join(f"{u}\n" for u in und))
        return 0

    def _write_if_changed(self, ctx, path: str, text: str) -> None:
        old = self._read(ctx, path)
        if old is None or old.decode() != text:
            self.fs.write(path, text, ctx.cwd)

    def modorder(self, ctx, argv, io):
        yield 0
        ext = self.era.modorder_ext  # NAME.ko, or NAME.o from v6.2
        self._write_if_changed(ctx, argv[1], "".join(f"{m[:-3]}{ext}\n"
                                                     for m in self.module_names))
        return 0

    def needed_symbols(self, ctx) -> list[str]:
        """The symbols modules need, as the era's adjust (or gen_autoksyms.sh) reads them."""
        syms: list[str] = []
        if self.era.mod_format == "tmp_versions":
            names = self.fs.listdir(".tmp_versions", ctx.cwd) or []
            for n in sorted(x for x in names if x.endswith(".mod")):
                data = self._read(ctx, ".tmp_versions/" + n)
                lines = data.decode().split("\n") if data else []
                if len(lines) >= 3:
                    syms += lines[2].split()
        else:
            data = self._read(ctx, "modules.order")
            for ko in (data.decode().split() if data else []):
                ko = ko[:-2] + ".ko" if ko.endswith(".o") else ko  # v6.2+ lists NAME.o
                mod, usyms = self._mod_paths(ko)
                if usyms:
                    d = self._read(ctx, usyms)
                    syms += d.decode().split() if d else []
                else:
                    d = self._read(ctx, mod)
                    lines = d.decode().split("\n") if d else []
                    if len(lines) >= 2:
                        syms += lines[1].split()
        if self.era.initial_autoksyms == "gen":
            syms += self.spec.whitelist
        if self.spec.modversions:
            syms.append("module_layout")
        if self.era.mod_format == "usyms":
            syms = [s.lstrip(".") for s in syms if s != "__this_module"]
        return sorted(set(filter(None, syms)))  # (the non-empty ones)

    # ------------------------------------------------------------ the adjust script
    def adjust(self, ctx, argv, io):
        fs = self.fs
        self.forget_stamps()  # the touches below change inputs (see input_stamps())
        rec = AdjustRecord(self.pass_no, fs.clock.now)
        self.adjusts.append(rec)
        io.out(f"  {'CHK':<8}{AUTOKSYMS}\n")
        yield self.t.adjust_startup_ns
        new_text = autoksyms_text(self.needed_symbols(ctx))
        rec.tmpnew_time_ns = fs.clock.now
        rec.tmpnew_mtime_ns = fs.write(TMPNEW, new_text, ctx.cwd)
        cur = self._read(ctx, AUTOKSYMS)
        cur_lines = set((cur.decode() if cur else "").split("\n"))
        new_lines = set(new_text.split("\n"))
        # (the lines that start with it, counted without a Python loop)
        rec.before = sum(map(str.startswith, cur_lines, repeat("#define __KSYM_")))
        rec.after = sum(map(str.startswith, new_lines, repeat("#define __KSYM_")))
        # sort cur new | uniq -u | sed -n 's/^#define __KSYM_\(.*\) 1/\1/p'
        diff = sorted(cur_lines ^ new_lines)
        skew = self.spec.clock_skew_ns
        for ln in diff:
            if not (ln.startswith("#define __KSYM_") and ln.endswith(" 1")):
                continue
            sym = ln[len("#define __KSYM_"):-2]
            path = self.naming.adjust_ksym(sym)
            yield self.t.touch_ns
            fs.mkdir(posixpath.dirname(path), ctx.cwd)
            fs.touch(path, ctx.cwd, skew_ns=skew)
            n = 1
            if self.guard:
                # while [ ! "$depfile" -nt "$new_ksyms_file" ]; do touch "$depfile"; done
                while not (fs.mtime(path, ctx.cwd) > fs.mtime(TMPNEW, ctx.cwd)):
                    yield self.t.guard_touch_ns
                    fs.touch(path, ctx.cwd, skew_ns=skew)
                    n += 1
            if self.on_touch is not None:  # kbsim.experiments hook
                self.on_touch(ctx, path)
            rec.touched.append(TouchRecord(sym, path, fs.clock.now, fs.mtime(path, ctx.cwd), n))
        rec.changed = len(rec.touched)
        if rec.changed:
            io.out(f"  {'KSYMS':<8}symbols: before={rec.before}, after={rec.after}, "
                   f"changed={rec.changed}\n")
            io.out(f"  {'UPD':<8}{AUTOKSYMS}\n")
            fs.rename(TMPNEW, AUTOKSYMS, ctx.cwd)
            rec.mv_time_ns = rec.end_ns = fs.clock.now
            rec.reexec = list(argv[1:])
            self.pass_no += 1
            self.marks.append((len(ctx.sim.output), f"pass {self.pass_no}", list(argv[1:])))
            if self.on_reexec is not None:  # kbsim.experiments hook
                self.on_reexec(ctx, rec)
            status = yield from self.make(ctx, argv[1:], io)  # exec $@
            return status
        fs.remove(TMPNEW, ctx.cwd)
        rec.end_ns = fs.clock.now
        return 0

    # ------------------------------------------------------------ modpost
    def modpost_cmd(self, ctx, argv, io):
        fs = self.fs
        kos = list(self.module_names)
        self.marks.append((len(ctx.sim.output), "modpost", list(argv)))
        io.out(f"  {'MODPOST':<8}{len(kos)} modules\n")
        start = fs.clock.now
        yield self.t.modpost_ns
        exports = set(self._content(ctx, "vmlinux").exports)
        if not self.era.recursion:  # v6.5+: modpost reads every EXPORT_SYMBOL of vmlinux.o
            exports.update(self._content(ctx, "vmlinux.o").markers)
        mods = [(ko, self._content(ctx, ko[:-3] + ".o")) for ko in kos]
        return self.report_modpost(ctx, io, exports, mods, start)

    def report_modpost(self, ctx, io, exports: set[str], mods, start: int | None = None
                       ) -> int:
        """modpost's undefined-symbol check: each module's undefined symbols against
        EXPORTS and the modules' own, printed in the era's format; records the run."""
        exports = set(exports)
        for ko, c in mods:
            exports.update(c.exports if self.era.recursion else (c.markers or c.exports))
        if not self.era.modpost_in_order:
            mods = sorted(mods, key=lambda m: posixpath.basename(m[0]), reverse=True)
        errors = []
        for ko, c in mods:
            und = c.undefined if self.era.modpost_in_order else list(reversed(c.undefined))
            for s in und:
                # __this_module is defined by the NAME.mod.o modpost itself generates
                if s not in exports and s != "__this_module":
                    pre = "ERROR: modpost: " if self.era.modpost_prefix else "ERROR: "
                    errors.append(f'{pre}"{s}" [{ko}] undefined!')
        shown = errors
        cap = self.era.modpost_cap
        for e in (errors[:cap] if cap else errors):
            io.err(e + "\n")
        if cap and len(errors) > cap:
            io.err(f"WARNING: modpost: suppressed {len(errors) - cap} unresolved symbol "
                   f"warnings because there were too many)\n")
            shown = errors[:cap]
        status = 1 if errors else 0
        self.modpost = ModpostRecord(self.fs.clock.now,
                                     self.fs.clock.now if start is None else start, shown,
                                     len(mods), status)
        return status
