"""fixdep's ``.cmd`` files: the writer per era and a reader for real files of every era.

Format (reference section 3; scripts/basic/fixdep.c): ``cmd_T := COMMAND`` (``$`` as
``$$``, ``#`` as ``$(pound)``), ``source_T := SOURCE``, ``deps_T := \\`` followed by one
entry per line (files indented 2 spaces, ``$(wildcard ...)`` 4), a blank line,
``T: $(deps_T)``, a blank line, ``$(deps_T):``. Each header's CONFIG wildcards follow it;
CONFIG wildcards are deduplicated across the file; the source is not listed, but its
CONFIGs are (first). E1/E2 append the ksym wildcards at the end of ``deps_`` in source
order without deduplication (fixdep -e); E3-E5 append a separate ``ksymdeps_T`` block
(gen_ksymdeps.sh, markers in ``nm`` order, i.e. sorted).

The reader parses a ``.cmd`` text through the make engine's reader (assignments are
recorded raw, before ``$(wildcard)`` would be evaluated) into a :class:`CmdFile`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..fs import Clock, SimFS
from ..make.errors import MakeError
from ..make.options import MakeOptions
from ..make.reader import Reader
from .eras import Era
from .naming import Naming

_WILD = re.compile(r"\$\(wildcard\s+([^)]*)\)|(\S+)")


def escape_cmd(cmd: str) -> str:
    return cmd.replace("$", "$$").replace("#", "$(pound)")


def unescape_cmd(cmd: str) -> str:
    return cmd.replace("$(pound)", "#").replace("$$", "$")


def write_cmd(era: Era, naming: Naming, target: str, command: str, source: str,
              headers: list[tuple[str, list[str]]], source_configs: list[str],
              ksyms: list[str]) -> str:
    """The .cmd text fixdep (and gen_ksymdeps.sh) would write for TARGET."""
    out = [f"{era.cmd_prefix}{target} := {escape_cmd(command)}", "",
           f"source_{target} := {source}", "", f"deps_{target} := \\"]
    seen: set[str] = set()

    def configs(opts: list[str]) -> None:
        for o in opts:
            p = naming.config(o)
            if p not in seen:
                seen.add(p)
                out.append(f"    $(wildcard {p}) \\")

    configs(source_configs)
    for h, opts in headers:
        out.append(f"  {h} \\")
        configs(opts)
    if era.ksym_in_deps:
        for s in ksyms:  # CPP output order, not deduplicated (fixdep do_extra_deps)
            out.append(f"    $(wildcard {naming.fixdep_ksym(s)}) \\")
    out += ["", f"{target}: $(deps_{target})", "", f"$(deps_{target}):"]
    if era.ksymdeps_block and ksyms:
        out += ["", f"ksymdeps_{target} := \\"]
        for s in sorted(set(ksyms)):  # nm sorts its output by name
            out.append(f"    $(wildcard {naming.fixdep_ksym(s)}) \\")
        out += ["", f"{target}: $(ksymdeps_{target})", "", f"$(ksymdeps_{target}):"]
    if era.objtool_dep:  # 6.1 Makefile.build: objects depend on the objtool binary
        out += ["", f"{target}: $(wildcard ./tools/objtool/objtool)"]
    return "\n".join(out) + "\n"


@dataclass
class Dep:
    path: str
    wildcard: bool  # written as $(wildcard PATH): only a dependency if it exists


@dataclass
class CmdFile:
    """One parsed .cmd file."""

    name: str  # the .cmd file's own path
    target: str | None = None
    command: str | None = None
    source: str | None = None
    deps: list[Dep] = field(default_factory=list)
    ksymdeps: list[Dep] = field(default_factory=list)
    prefix: str = "cmd_"  # "savedcmd_" from v6.3
    other: dict[str, str] = field(default_factory=dict)

    def config_deps(self) -> list[str]:
        return [d.path for d in self.deps if d.wildcard and "/config/" in d.path
                and "/ksym/" not in d.path]

    def ksym_deps(self) -> list[str]:
        """Ksym dependency paths, from either place an era writes them."""
        inline = [d.path for d in self.deps if d.wildcard and "ksym" in d.path.split("/")]
        return inline + [d.path for d in self.ksymdeps]

    def file_deps(self) -> list[str]:
        return [d.path for d in self.deps if not d.wildcard]

    def structure(self) -> tuple[list[str], list[tuple[str, list[str]]], list[str]]:
        """(source's CONFIG paths, [(header, its CONFIG paths)], inline ksym paths), the
        grouping fixdep printed: wildcards follow the file they were found in."""
        src_cfg: list[str] = []
        headers: list[tuple[str, list[str]]] = []
        ksyms: list[str] = []
        for d in self.deps:
            if not d.wildcard:
                headers.append((d.path, []))
            elif "ksym" in d.path.split("/"):
                ksyms.append(d.path)
            elif headers:
                headers[-1][1].append(d.path)
            else:
                src_cfg.append(d.path)
        return src_cfg, headers, ksyms


def split_deps(raw: str) -> list[Dep]:
    out = []
    for m in _WILD.finditer(raw):
        if m.group(1) is not None:
            for w in m.group(1).split():
                out.append(Dep(w, True))
        else:
            out.append(Dep(m.group(2), False))
    return out


class _RecordingReader(Reader):
    """The make reader, recording assignments raw instead of evaluating them."""

    def __init__(self, proc):
        super().__init__(proc)
        self.assigns: list[tuple[str, str, str]] = []
        self.rules: list[dict] = []

    def assign(self, name, op, value, floc, export=False):
        self.assigns.append((self.exp.expand(name).strip(), op, value.strip()))

    def record_rule(self, r):
        self.rules.append(r)


class _ReaderHost:
    """The minimal process a Reader needs (variables, files, expander, output)."""

    def __init__(self):
        from ..make.expand import Expander
        from ..make.filedb import FileTable
        self.variables = {}
        self.files = FileTable()
        self.pattern_rules = []
        self.fs = SimFS(Clock(0))
        self.cwd = "/"
        self.opts = MakeOptions()
        self.expander = Expander(self)
        self.messages: list[str] = []
        self.posix = False  # (read.c: no .POSIX, no .SECONDEXPANSION in a .cmd file)
        self.second_expansion = False

    def variables_append(self, name, word):
        pass

    def wildcard(self, words):
        return []

    def do_include(self, names, dontcare, floc):
        raise InputError(f"{floc[0]}:{floc[1]}: unexpected include in a .cmd file")

    def out(self, text):
        self.messages.append(text)

    out_stdout = out_stderr = out


def parse_cmd(text: str, name: str = ".cmd") -> CmdFile:
    """Parse one .cmd file (any era) into a CmdFile. Raises InputError if malformed."""
    host = _ReaderHost()
    rd = _RecordingReader(host)
    try:
        rd.eval(text, name)
    except MakeError as e:
        raise InputError(f"{name}: malformed .cmd file: {e.make_text()}") from None
    cf = CmdFile(name)
    for var, op, value in rd.assigns:
        if _unbalanced(value):
            raise InputError(f"{name}: malformed .cmd file: unterminated variable reference "
                             f"in {var}")
        if var.startswith("savedcmd_"):
            cf.prefix, cf.target, cf.command = "savedcmd_", var[9:], unescape_cmd(value)
        elif var.startswith("cmd_"):
            cf.prefix, cf.target, cf.command = "cmd_", var[4:], unescape_cmd(value)
        elif var.startswith("source_"):
            cf.source = value
            cf.target = cf.target or var[7:]
        elif var.startswith("deps_"):
            cf.deps = split_deps(value)
            cf.target = cf.target or var[5:]
        elif var.startswith("ksymdeps_"):
            cf.ksymdeps = split_deps(value)
        else:
            cf.other[var] = value
    if cf.target is None:
        raise InputError(f"{name}: malformed .cmd file: no cmd_, source_ or deps_ assignment")
    return cf


def _unbalanced(value: str) -> bool:
    """True if a $( or ${ reference is not closed (make: unterminated variable reference)."""
    from ..make.expand import _find_close
    i = value.find("$")
    while i >= 0 and i + 1 < len(value):
        c = value[i + 1]
        if c in "({":
            k = _find_close(value, i + 2, c, ")" if c == "(" else "}")
            if k < 0:
                return True
            i = value.find("$", k + 1)
        else:
            i = value.find("$", i + 2)
    return False


def detect_era_hints(cf: CmdFile) -> dict[str, bool]:
    """Format features of one .cmd file that tell eras apart."""
    ks = cf.ksym_deps()
    cfg = cf.config_deps()
    return {
        "ksym_in_config_dir": any(p.startswith("include/config/ksym/") for p in ks),
        "ksym_repeated_slash": any("//" in p for p in ks),
        "ksymdeps_block": bool(cf.ksymdeps),
        "ksym_raw": any(p.startswith("include/ksym/") and not p.endswith(".h") for p in ks),
        "ksym_dot_h": any(p.startswith("include/ksym/") and p.endswith(".h") for p in ks),
        "config_dot_h": any(p.endswith(".h") for p in cfg),
        "config_upper": any(not p.endswith(".h") for p in cfg),
        "savedcmd": cf.prefix == "savedcmd_",
    }
