"""Reading ``.cmd`` files in bulk: a fast scanner, truncation checks, partial results.

``kbsim.kbuild.cmdfile.parse_cmd`` reads a ``.cmd`` file through the make engine's reader,
which is exact but costs a few milliseconds per file (a 6.1 tree has about 1,400 of them).
:func:`scan_cmd` first tries a line scanner that accepts only the layouts fixdep, the
kbuild ``cmd`` macros and gen_ksymdeps.sh write (reference section 3) and produces the same
:class:`CmdFile` (tests compare the two on every era's writer output and on real 6.1
files); anything else (comments, other assignments, ``$`` references other than
``$$``/``$(pound)``/``$(wildcard ...)``, recipes, CR line ends) goes to ``parse_cmd``.

A file that the make reader rejects is not fatal to a capture: the scanner reads it again
leniently, keeps every line it understands and says what it dropped, so the caller can
report the file and go on with partial results. Files that parse but look cut short (no
final newline, a continued last line, a ``deps_``/``ksymdeps_`` list without the rule lines
fixdep writes after it) are reported the same way.
"""

from __future__ import annotations

import posixpath
import re
from itertools import chain, compress, count
from operator import itemgetter, methodcaller, not_
from dataclasses import dataclass, field

from ..errors import InputError
from ..kbuild.cmdfile import CmdFile, Dep, parse_cmd, unescape_cmd

_PREFIXES = ("savedcmd_", "cmd_", "source_", "deps_", "ksymdeps_")
_NAME = re.compile(r"^(savedcmd_|cmd_|source_|deps_|ksymdeps_)([^\s$:=#()]+)$")
_RULE_VAR = re.compile(r"^([^\s:$#=]+): \$\((?:ksym)?deps_\1\)$")
_EMPTY_RULE = re.compile(r"^\$\((?:ksym)?deps_[^\s()$]+\):$")
_RULE_WILD = re.compile(r"^([^\s:$#=]+): \$\(wildcard ([^\s()$]+)\)$")


@dataclass
class ScanResult:
    """One ``.cmd`` file read: target, source, command and dependency names, the extra
    prerequisites of ``T: $(wildcard X)`` rules (6.1's objtool rule), and problems.

    ``deps`` and ``ksymdeps`` are (path, is_wildcard) pairs; :attr:`cmd` builds the
    equivalent :class:`CmdFile` on first use (the scanner itself avoids the per-entry
    objects, which dominate its cost on a kernel tree)."""

    name: str
    target: str | None = None
    source: str | None = None
    command: str | None = None
    prefix: str = "cmd_"
    deps: list[tuple[str, bool]] = field(default_factory=list)
    ksymdeps: list[tuple[str, bool]] = field(default_factory=list)
    other: dict[str, str] = field(default_factory=dict)
    extra_prereqs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    parser: str = "fast"  # fast | make | partial
    _cmd: CmdFile | None = None
    _structure: tuple | None = field(default=None, compare=False, repr=False)
    _hints: dict | None = field(default=None, compare=False, repr=False)  # detect.era_hints

    @property
    def usable(self) -> bool:
        return self.target is not None

    @property
    def partial(self) -> bool:
        return self.parser == "partial" or any(p.startswith("truncated") for p in self.problems)

    @property
    def cmd(self) -> CmdFile | None:
        if self.target is None:
            return None
        if self._cmd is None:
            self._cmd = CmdFile(self.name, self.target, self.command, self.source,
                                [Dep(p, w) for p, w in self.deps],
                                [Dep(p, w) for p, w in self.ksymdeps], self.prefix,
                                dict(self.other))
        return self._cmd

    @classmethod
    def from_cmdfile(cls, cf: CmdFile, **kw) -> "ScanResult":
        r = cls(cf.name, cf.target, cf.source, cf.command, cf.prefix,
                [(d.path, d.wildcard) for d in cf.deps],
                [(d.path, d.wildcard) for d in cf.ksymdeps], dict(cf.other), **kw)
        r._cmd = cf
        return r

    def structure(self) -> tuple[list[str], list[tuple[str, tuple[str, ...]]], list[str]]:
        """CmdFile.structure() of :attr:`cmd`, from the pairs directly, computed once
        (callers only read it), each header's CONFIG paths as a tuple: a slice of a tuple,
        and the same empty tuple for the many headers without any."""
        if self._structure is None:
            src_cfg: list[str] = []
            headers: list[tuple[str, list[str]]] = []
            ksyms: list[str] = []
            deps = self.deps
            paths = tuple(map(_FIRST, deps))
            if not _ksym_component(paths):
                # no ksym names: every wildcard belongs to the file before it (or to the
                # source), so cut the list at the files (one step per file, not per dep)
                at = list(compress(count(), map(not_, map(_SECOND, deps))))  # the files
                src_cfg = list(paths[:at[0]] if at else paths)
                ends = at[1:]
                ends.append(len(deps))
                self._structure = (src_cfg, [(paths[a], paths[a + 1:b])
                                             for a, b in zip(at, ends)], ksyms)
                return self._structure
            for p, w in deps:
                if not w:
                    headers.append((p, []))
                elif "ksym" in p and "ksym" in p.split("/"):
                    ksyms.append(p)
                elif headers:
                    headers[-1][1].append(p)
                else:
                    src_cfg.append(p)
            self._structure = (src_cfg, [(h, tuple(c)) for h, c in headers], ksyms)
        return self._structure

    def ksym_paths(self) -> list[str]:
        """Ksym dependency names (CmdFile.ksym_deps)."""
        if self._structure is not None:  # its ksyms: these same wildcards, in order
            inline = self._structure[2]
        elif self.deps and _ksym_component(map(_FIRST, self.deps)):
            inline = [p for p, w in self.deps if w and "ksym" in p and "ksym" in p.split("/")]
        else:  # (no name has a "ksym" component: the usual case, found at C speed)
            inline = []
        return inline + list(map(_FIRST, self.ksymdeps))

    def names(self) -> list[str]:
        """Every file name the file names, in file order (duplicates kept once)."""
        return list(dict.fromkeys(self.all_names()))

    def all_names(self):
        """names(), repeats included (an iterator)."""
        return chain([n for n in (self.target, self.source) if n], map(_FIRST, self.deps),
                     map(_FIRST, self.ksymdeps), self.extra_prereqs)


def _ksym_component(paths) -> bool:
    """Does any of PATHS have a component "ksym" (the test ``"ksym" in p.split("/")``),
    found at C speed: names never hold a newline, so in the names joined by newlines such
    a component is "ksym" between a newline or "/" and a newline or "/"."""
    j = "\n" + "\n".join(paths) + "\n"
    if "ksym" not in j:
        return False
    return "/ksym/" in j or "\nksym/" in j or "/ksym\n" in j or "\nksym\n" in j


class _Fallback(Exception):
    pass


_ENDS_CONTINUED = methodcaller("endswith", "\\")
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


def _continued(line: str) -> bool:
    """True if the line ends in an odd number of backslashes (make line continuation)."""
    n = len(line) - len(line.rstrip("\\"))
    return n % 2 == 1


def _logical_lines(text: str):
    """(first physical line number, logical line) with backslash-newline joined by a
    space, as make does outside recipes."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start = i
        parts = [lines[i]]
        while _continued(parts[-1]) and i + 1 < len(lines):
            parts[-1] = parts[-1][:-1]
            i += 1
            parts.append(lines[i])
        if _continued(parts[-1]):  # continued at end of file
            parts[-1] = parts[-1][:-1]
        i += 1
        yield start + 1, " ".join(p.strip() for p in parts) if len(parts) > 1 else parts[0]


def _check_value(kind: str, value: str) -> None:
    if kind in ("deps_", "ksymdeps_"):
        # only words and $(wildcard WORDS): every '$', '(' and ')' belongs to one
        n = value.count("$(wildcard ")
        if value.count("$") != n or value.count("(") != n or value.count(")") != n:
            raise _Fallback
    elif kind in ("cmd_", "savedcmd_"):
        if "$" in value.replace("$$", "").replace("$(pound)", ""):
            raise _Fallback
    elif "$" in value:
        raise _Fallback


def _split(value: str) -> list[tuple[str, bool]]:
    """split_deps for a value _check_value accepted, on str.split (much faster than a
    regular expression over a kernel-sized deps list)."""
    toks = value.split()
    if "$(wildcard" not in value:
        return [(t, False) for t in toks]
    out: list[tuple[str, bool]] = []
    append = out.append
    it = iter(toks)
    for t in it:
        if t == "$(wildcard":
            for u in it:  # inside: up to the token that ends in ')'
                if u.endswith(")"):
                    u = u[:-1]
                    if u:
                        append((u, True))
                    break
                append((u, True))
        else:
            append((t, False))
    return out


def _assign(r: ScanResult, kind: str, tgt: str, value: str) -> None:
    if kind in ("savedcmd_", "cmd_"):
        r.prefix, r.target, r.command = kind, tgt, unescape_cmd(value)
    elif kind == "source_":
        r.source = value
        r.target = r.target or tgt
    elif kind == "deps_":
        r.deps = _split(value)
        r.target = r.target or tgt
    else:
        r.ksymdeps = _split(value)


def _fast(text: str, name: str) -> ScanResult:
    """The strict line scanner: raises _Fallback on anything unusual."""
    if "\r" in text or "#" in text or "\t" in text or "\\\\\n" in text:
        raise _Fallback
    r = ScanResult(name)
    lines = text.split("\n")
    n = len(lines)
    i = 0
    ends = None  # line k ends in a backslash (computed at the first continued line)
    while i < n:
        line = lines[i]
        i += 1
        if not line or line.isspace():
            continue
        if line[0] == " ":
            raise _Fallback
        head, sep, value = line.partition(" := ")
        if not sep and line.endswith(" :="):
            head, sep, value = line[:-3], " :=", ""
        if sep:
            m = _NAME.match(head)
            if m is None:
                raise _Fallback
            kind = m.group(1)
            if line.endswith("\\"):
                if kind not in ("deps_", "ksymdeps_"):
                    raise _Fallback
                # backslash-newline becomes a space (make, outside recipes): the lines
                # that end in a backslash without it, then the first one that does not
                # (every such line ends in exactly one: no "\\\\\n" in the text)
                if ends is None:
                    ends = list(map(_ENDS_CONTINUED, lines))
                try:
                    j = ends.index(False, i)
                except ValueError:
                    j = n
                parts = [value[:-1]]
                if j > i:
                    parts.append("\n".join(lines[i:j]).replace("\\\n", " ")[:-1])
                if j < n:
                    parts.append(lines[j])
                    j += 1
                i = j
                value = " ".join(parts)
            value = value.strip()
            _check_value(kind, value)
            _assign(r, kind, m.group(2), value)
            continue
        s = line.strip()
        if _RULE_VAR.match(s) or _EMPTY_RULE.match(s):
            continue
        m = _RULE_WILD.match(s)
        if m:
            r.extra_prereqs.append(m.group(2))
            continue
        raise _Fallback
    return r


def _lenient(text: str, name: str) -> tuple[ScanResult, list[str]]:
    """Keep every line the scanner understands; list the others."""
    r = ScanResult(name, parser="partial")
    dropped: list[str] = []
    for lineno, line in _logical_lines(text):
        s = line.strip()
        if not s:
            continue
        head, sep, value = line.partition(" := ")
        if not sep and s.endswith(" :="):
            head, sep, value = s[:-3], " :=", ""
        if sep:
            m = _NAME.match(head.strip())
            try:
                if m is None:
                    raise _Fallback
                value = value.strip()
                _check_value(m.group(1), value)
            except _Fallback:
                dropped.append(f"line {lineno}")
                continue
            _assign(r, m.group(1), m.group(2), value)
            continue
        if _RULE_VAR.match(s) or _EMPTY_RULE.match(s):
            continue
        m = _RULE_WILD.match(s)
        if m:
            r.extra_prereqs.append(m.group(2))
            continue
        dropped.append(f"line {lineno}")
    return r, dropped


def _rule_prereqs(text: str) -> list[str]:
    """``T: $(wildcard X)`` prerequisites, for files the make reader parsed."""
    out = []
    for ln in text.split("\n"):
        m = _RULE_WILD.match(ln.strip())
        if m:
            out.append(m.group(2))
    return out


def target_from_name(name: str) -> str | None:
    """The target a ``.cmd`` file name stands for: ``lib/.hexdump.o.cmd`` -> lib/hexdump.o."""
    d, b = posixpath.split(name)
    if not (b.startswith(".") and b.endswith(".cmd")) or len(b) <= 5:
        return None
    t = b[1:-4]
    return posixpath.join(d, t) if d else t


def truncation_problems(text: str, r: ScanResult) -> list[str]:
    """Signs that a parsed file was cut short."""
    out = []
    if not text:
        return ["truncated: empty file"]
    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    if _continued(last):
        out.append("truncated: the file ends inside a continued line")
    elif not text.endswith("\n"):
        out.append("truncated: no newline at the end of the file")
    t = r.target
    if t is not None:
        for var, entries in (("deps_", r.deps), ("ksymdeps_", r.ksymdeps)):
            if f"{var}{t} :=" not in text:
                continue
            if f"\n{t}: $({var}{t})" not in text or f"\n$({var}{t}):" not in text:
                out.append(f"truncated: the {var} list ({len(entries)} entries read) is not "
                           f"followed by the rule lines fixdep writes after it")
    return out


def scan_cmd(text: str, name: str) -> ScanResult:
    """Read one ``.cmd`` file; never raises for bad content (problems are listed)."""
    try:
        r = _fast(text, name)
        if r.target is None:
            raise _Fallback
        r.problems = truncation_problems(text, r)
        return r
    except _Fallback:
        pass
    try:
        cf = parse_cmd(text, name)
        r = ScanResult.from_cmdfile(cf, extra_prereqs=_rule_prereqs(text), parser="make")
        r.problems = truncation_problems(text, r)
        return r
    except InputError as e:
        err = str(e)
    except RecursionError:  # pathological nesting
        err = f"{name}: malformed .cmd file: nesting too deep"
    r, dropped = _lenient(text, name)
    r.problems = [err]
    if r.target is None:
        r.target = target_from_name(name)
    if r.target is None:
        r.problems.append("nothing usable could be read")
        return r
    kept = len(r.deps) + len(r.ksymdeps)
    r.problems.append(f"partial: kept {kept} dependencies"
                      + (f", dropped {', '.join(dropped[:5])}"
                         + (f" and {len(dropped) - 5} more" if len(dropped) > 5 else "")
                         if dropped else ""))
    r.problems += [p for p in truncation_problems(text, r) if p not in r.problems]
    return r


_PRINTF = re.compile(r"""printf\s+(["'])([^"'%]*)%s\s*\1""")


def archive_members(command: str) -> list[str]:
    """The member objects an archive's command line names.

    6.1: ``rm -f lib/built-in.a; printf "lib/%s " a.o b.o | xargs ar cDPrST lib/built-in.a``
    (names relative to the directory, a printf prefix); lib.a and 4.x: ``ar rcsTPD lib/lib.a
    lib/a.o ...``; kbsim's simulated ``kbsim-ar OUT MEMBERS``. Sub-archives
    (``math/built-in.a``) are members too."""
    out: list[str] = []
    for seg in command.split(";"):
        m = _PRINTF.search(seg)
        if m:
            prefix = m.group(2)
            tail = seg[m.end():].split("|", 1)[0]
            out += [prefix + w.strip("'\"") for w in tail.split()
                    if w.strip("'\"").endswith((".o", ".a"))]
            continue
        words = seg.split()
        if not words:
            continue
        tool = posixpath.basename(words[0])
        if tool in ("ar", "kbsim-ar") or tool.endswith("-ar"):
            args = words[1:]
            if tool != "kbsim-ar" and args:
                args = args[1:]  # the ar operation letters
            if args:
                args = args[1:]  # the archive itself
            out += [w.strip("'\"") for w in args if w.strip("'\"").endswith((".o", ".a"))]
    return list(dict.fromkeys(out))
