"""Recipe lines as effects on the simulated filesystem: a small POSIX sh subset.

make hands each recipe line to ``/bin/sh -c``. kbsim parses the line (quotes, escapes,
``;`` ``&&`` ``||``, redirections ``>`` ``>>`` ``2>``) and runs the commands it knows as
effects: ``touch`` (``-c``, ``-d @SECONDS``, ``-r FILE``), ``:``, ``true``, ``false``,
``exit``, ``echo`` and ``printf`` (dash semantics; output, no file effect unless
redirected), ``rm``, ``mkdir``, ``cp``, ``mv``, ``cat``, ``ln -s``, ``cd``, ``sleep``,
``pwd``, ``test``/``[`` and ``make`` itself (a sub-make: a new process with a fresh stat
cache).

Anything else (a compiler, a shell loop, a pipeline) is an unrecognised command: kbsim
assumes it writes the target ``$@`` and records that assumption as a warning, so a result
never silently rests on a guess. Other layers register more commands (kbuild's compiler
and scripts) through :data:`Shell.commands`.
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import posixpath
import re
import shlex
from collections.abc import Generator, Iterable
from operator import attrgetter
from typing import TYPE_CHECKING, Callable

from ..fs import NS_PER_S, FsError, parse_time
from ..fs.simfs import DIR, FILE, LINK
from .archive import cmd_ar
from .expand import glob_match
from .shellscript import (For, Group, If, Simple, SWord, UnsupportedShell, is_redirection,
                          parse_script)
from .shellscript import tokenize as script_tokenize

if TYPE_CHECKING:  # pragma: no cover
    from .process import MakeProcess


_KEYWORDS = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done",
             "case", "esac", "{", "}", "function", "!", "[[", "]]"}


class Word(str):
    """A shell word; ``globbable`` when it had unquoted glob characters."""

    globbable = False


_GLOBBABLE = attrgetter("globbable")  # every argv item is a Word (parse makes them)


_PLAIN = re.compile(r"""['"\\$`;&|<>()#*?\[\n]""")


def tokenize(line: str) -> list:
    """Split a shell line into words (Word) and operator strings; a variable reference
    is UnsupportedShell here (shellscript.py runs such lines)."""
    if _PLAIN.search(line) is None:
        # nothing but words separated by blanks (the common case): split is exact
        return [Word(w) for w in line.split()]
    toks: list = []
    for t in script_tokenize(line):
        if t.__class__ is not SWord:
            toks.append(t)
            continue
        if any(is_var for _, _, is_var in t.parts):
            raise UnsupportedShell("shell expansion")
        w = Word("".join(text for text, _, _ in t.parts))
        w.globbable = any(not quoted and ("*" in text or "?" in text or "[" in text)
                          for text, quoted, _ in t.parts)
        toks.append(w)
    return toks


class Command:
    __slots__ = ("argv", "redirs")

    def __init__(self) -> None:
        self.argv: list[Word] = []
        self.redirs: list[tuple[str, str]] = []


def parse(line: str) -> list[tuple[str, Command]]:
    """A list of (connector, command); connector is ';', '&&' or '||' (before the command)."""
    if _PLAIN.search(line) is None:
        # only words (tokenize's own fast case): one command; the loop below would check
        # the first word alone (keyword, assignment) and append every word
        words = line.split()
        if not words:
            return []
        first = words[0]
        if first in _KEYWORDS:
            raise UnsupportedShell(f"'{first}' compound command")
        if "=" in first and re.match(r"[A-Za-z_][A-Za-z_0-9]*=", first):
            raise UnsupportedShell("variable assignment")
        cmd = Command()
        cmd.argv = list(map(Word, words))
        return [(";", cmd)]
    toks = tokenize(line)
    out: list[tuple[str, Command]] = []
    conn = ";"
    cmd = Command()
    i = 0
    while i < len(toks):
        t = toks[i]
        if isinstance(t, Word):
            if not cmd.argv and not cmd.redirs and t in _KEYWORDS:
                raise UnsupportedShell(f"'{t}' compound command")
            if not cmd.argv and "=" in t and re.match(r"[A-Za-z_][A-Za-z_0-9]*=", t):
                raise UnsupportedShell("variable assignment")
            cmd.argv.append(t)
            i += 1
            continue
        if t in (";", "&&", "||"):
            if cmd.argv or cmd.redirs:
                out.append((conn, cmd))
            elif t != ";":
                raise UnsupportedShell("syntax")
            conn = t
            cmd = Command()
            i += 1
            continue
        if is_redirection(t):
            if i + 1 >= len(toks) or not isinstance(toks[i + 1], Word):
                raise UnsupportedShell("redirection")
            cmd.redirs.append((t, toks[i + 1]))
            i += 2
            continue
        raise UnsupportedShell(f"'{t}'")
    if cmd.argv or cmd.redirs:
        out.append((conn, cmd))
    return out


class IO:
    """Where a command's output goes: its redirections applied in order to file
    descriptors 1 and 2 (each the recipe's standard output or error, a file, or
    /dev/null); '<' is accepted and its file not read."""

    def __init__(self, ctx: "ShellContext", cmd: Command):
        self.ctx = ctx
        self.up = ctx.outer  # (an enclosing compound command's or script's output)
        self.files: dict[str, list] = {}  # path -> [append, chunks]
        fds: dict[int, tuple] = {1: _STDOUT, 2: _STDERR}
        for op, target in cmd.redirs:
            if op == "&>":
                fds[1] = fds[2] = self._open(target, False)
                continue
            n = int(op[0]) if op[0].isdigit() else (0 if op.lstrip("0123456789")[0] == "<"
                                                      else 1)
            kind = op.lstrip("0123456789")
            if kind in (">", ">>", ">|"):
                fds[n] = self._open(target, kind == ">>")
            elif kind in (">&", "<&"):
                if target == "-":
                    fds[n] = _NULL
                elif target.isdigit():
                    fds[n] = fds.get(int(target), _NULL)
                else:  # '>&FILE': both outputs to the file
                    fds[1] = fds[2] = self._open(target, False)
        self.fd_out = fds[1]
        self.fd_err = fds[2]

    def _open(self, path: str, append: bool) -> tuple:
        if path == "/dev/null":
            return _NULL
        if path in ("/dev/stdout", "/dev/fd/1"):
            return _STDOUT
        if path in ("/dev/stderr", "/dev/fd/2"):
            return _STDERR
        if path not in self.files:
            self.files[path] = [append, []]
        return ("file", path)

    def open(self) -> None:
        for path, (append, _) in self.files.items():
            if not append:
                self.ctx.fs.write(path, b"", self.ctx.cwd)

    def _write(self, fd: tuple, text: str) -> None:
        kind = fd[0]
        if kind == "file":
            self.files[fd[1]][1].append(text)
            return
        if kind == "null":
            return
        ctx = self.ctx
        if fd[1] == "out":
            if self.up is not None:
                self.up.out(text)
            elif ctx.capture is not None:
                ctx.capture.append(text)
            elif ctx.sink is not None:
                ctx.sink.append(("out", text))  # (-O: the job's output, held)
            else:
                ctx.proc.out(text)
        else:
            if self.up is not None:
                self.up.err(text)
            elif ctx.sink is not None:
                ctx.sink.append(("err", text))
            else:
                ctx.proc.err_raw(text)

    def out(self, text: str) -> None:
        self._write(self.fd_out, text)

    def err(self, text: str) -> None:
        self._write(self.fd_err, text)

    def close(self) -> None:
        for path, (_, chunks) in self.files.items():
            if chunks:
                self.ctx.fs.write(path, "".join(chunks), self.ctx.cwd, append=True)


_STDOUT, _STDERR, _NULL = ("std", "out"), ("std", "err"), ("null",)


class ShellContext:
    """What a recipe line runs with: its make process, target and working directory."""

    def __init__(self, proc: "MakeProcess", target: str | None, line: str,
                 capture: list[str] | None = None):
        self.proc = proc
        self.sim = proc.sim
        self.fs = proc.fs
        self.cwd = proc.cwd
        self.target = target
        self.line = line
        # $(shell ...): the standard output make reads back (a recipe line's goes to
        # make's own output); there is no target to assume written
        self.capture = capture
        # the shell's own state (shellscript.py): variables (None: unset), the names it
        # exported, 'set -e', the last status ($?), a command's NAME=value prefixes
        self.shvars: dict[str, str | None] = {}
        self.exported: set[str] = set()
        self.errexit = False
        self.xtrace = False  # set -x (.SHELLFLAGS -x): each command echoed on stderr
        # SHELL and .SHELLFLAGS when SHELL is no POSIX shell: the program run with the line
        self.shell_argv: list[str] | None = None
        self.last_status = 0
        self.cmd_env: dict[str, str] | None = None
        self._environ: dict[str, str] | None = None
        self.outer: IO | None = None  # a script's: where its unredirected output goes
        self.sink: list | None = None  # -O: the job's buffer its output goes to
        self.recursive = False  # the recipe line is recursive (make passes its jobserver)

    def environ(self) -> dict[str, str]:
        """The environment the shell started with: for a recipe, make's exported
        variables with the target's in force (job.c target_environment); for $(shell),
        make's own environment (GNU make 4.3 func_shell_base passes environ)."""
        if self._environ is None:
            self._environ = (dict(self.proc.env) if self.capture is not None
                             else self.proc.recipe_env(self.target))
        return self._environ

    def value(self, name: str, how) -> str:
        """A parameter expansion: $NAME (HOW True), or ${NAME-word}, ${NAME:-word},
        ${NAME+word}, ${NAME:+word} (HOW (operator, word))."""
        if how is True:
            return self.var(name)
        op, word = how
        v = self.var(name)
        is_set = name in ("?", "$", "PWD") or (
            self.shvars[name] is not None if name in self.shvars else name in self.environ())
        if op == "-":
            return v if is_set else word
        if op == ":-":
            return v if v else word
        if op == "+":
            return word if is_set else ""
        return word if v else ""

    def var(self, name: str) -> str:
        if name == "?":
            return str(self.last_status)
        if name == "$":
            return str(self.proc.pid + 10000)  # (a process id of its own, the same each run)
        if name in self.shvars:
            return self.shvars[name] or ""
        if name == "PWD":  # dash sets it to the directory it runs in, and cd updates it
            return self.cwd
        return self.environ().get(name, "")

    def child_env(self) -> dict[str, str | None]:
        """What a command's environment changes: exported shell variables (None:
        unset) and the command's own NAME=value prefixes."""
        out: dict[str, str | None] = {n: v for n, v in self.shvars.items()
                                      if v is None or n in self.exported}
        if self.cmd_env:
            out.update(self.cmd_env)
        return out

    def warn(self, text: str) -> None:
        self.sim.warn(text)


Handler = Callable[[ShellContext, list[str], IO], "int | Generator"]


def _err(io: IO, cmd: str, msg: str) -> int:
    io.err(f"{cmd}: {msg}\n")
    return 1


def cmd_true(ctx, argv, io):
    return 0


def cmd_false(ctx, argv, io):
    return 1


def _parse_date(spec: str) -> int:
    s = spec.strip()
    if s.startswith("@"):
        return parse_time(s)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            dt = _dt.datetime.strptime(s.split(".")[0], fmt)
        except ValueError:
            continue
        frac = 0
        if "." in s and fmt != "%Y-%m-%d":
            frac = int(s.split(".")[1].ljust(9, "0")[:9])
        return int(dt.timestamp()) * NS_PER_S + frac
    raise ValueError(spec)


def cmd_touch(ctx, argv, io):
    create = True
    at = None
    files = []
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            files.extend(args[i + 1:])
            break
        if a.startswith("-") and len(a) > 1:
            if a in ("-c", "--no-create"):
                create = False
            elif a in ("-m", "-a", "-f", "-h"):
                pass
            elif a in ("-d", "--date") or a.startswith("-d") or a.startswith("--date="):
                if a in ("-d", "--date"):
                    i += 1
                    spec = args[i] if i < len(args) else ""
                else:
                    spec = a[2:] if a.startswith("-d") else a.split("=", 1)[1]
                try:
                    at = _parse_date(spec)
                except ValueError:
                    return _err(io, "touch", f"invalid date format '{spec}'")
            elif a in ("-r", "--reference"):
                i += 1
                ref = args[i] if i < len(args) else ""
                st = ctx.fs.stat(ref, ctx.cwd)
                if st is None:
                    return _err(io, "touch", f"failed to get attributes of '{ref}': "
                                             f"No such file or directory")
                at = st.mtime
            else:
                return _err(io, "touch", f"invalid option -- '{a[1:]}'")
        else:
            files.append(a)
        i += 1
    status = 0
    for f in files:
        try:
            ctx.fs.touch(f, ctx.cwd, at_ns=at, create=create)
        except FsError as e:
            io.err(f"touch: cannot touch '{f}': {e.strerror}\n")
            status = 1
    return status


def _echo_escapes(s: str) -> tuple[str, bool]:
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            e = s[i + 1]
            m = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                 "v": "\v", "\\": "\\"}
            if e in m:
                out.append(m[e])
                i += 2
                continue
            if e == "c":
                return "".join(out), True
            if e == "0":
                j = i + 2
                k = j
                while k < len(s) and k < j + 3 and s[k] in "01234567":
                    k += 1
                out.append(chr(int(s[j:k] or "0", 8)))
                i = k
                continue
        out.append(c)
        i += 1
    return "".join(out), False


def cmd_echo(ctx, argv, io):
    """dash's echo: only '-n'; backslash escapes always interpreted."""
    args = argv[1:]
    nl = True
    if args and args[0] == "-n":
        nl = False
        args = args[1:]
    text, stop = _echo_escapes(" ".join(args))
    io.out(text + ("" if stop or not nl else "\n"))
    return 0


def cmd_coreutils_echo(ctx, argv, io):
    """/bin/echo (GNU coreutils), which make runs without a shell for a simple line:
    options -n, -e, -E (combinable, until the first other word); escapes only under -e."""
    args = argv[1:]
    nl, escapes = True, False
    while args and len(args[0]) > 1 and args[0][0] == "-" and \
            all(ch in "neE" for ch in args[0][1:]):
        for ch in args[0][1:]:
            if ch == "n":
                nl = False
            else:
                escapes = ch == "e"
        args = args[1:]
    text = " ".join(args)
    stop = False
    if escapes:
        text, stop = _echo_escapes(text)
    io.out(text + ("" if stop or not nl else "\n"))
    return 0


# job.c construct_command_argv_internal (unix): a line with none of these outside single
# quotes, no 'NAME=' leading word and no shell builtin of this list as its first word is
# exec'd by make itself, without /bin/sh
_SH_CHARS = frozenset("#;\"*?[]&|<>(){}$`^~!")
_SH_CMDS = frozenset((".", ":", "alias", "bg", "break", "case", "cd", "command", "continue",
                      "eval", "exec", "exit", "export", "fc", "fg", "for", "getopts", "hash",
                      "if", "jobs", "login", "logout", "read", "readonly", "return", "set",
                      "shift", "test", "times", "trap", "type", "ulimit", "umask", "unalias",
                      "unset", "wait", "while"))


def runs_without_shell(line: str) -> bool:
    """Whether GNU make 4.3 runs LINE without a shell (so ``echo`` is /bin/echo, not
    dash's builtin, which always interprets backslash escapes)."""
    quote = False
    first: list[str] = []
    in_first = True
    seen_nonequals = False
    word_has_equals = False
    i = 0
    line = line.lstrip(" \t")
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == "'":
                quote = False
            elif in_first:
                first.append(ch)
        elif ch in _SH_CHARS:
            return False
        elif ch == "=":
            if not seen_nonequals:
                return False
            word_has_equals = True
        elif ch == "'":
            quote = True
        elif ch in " \t":
            seen_nonequals |= not word_has_equals
            word_has_equals = False
            if in_first:
                in_first = False
                if "".join(first) in _SH_CMDS:
                    return False
            while i + 1 < n and line[i + 1] in " \t":
                i += 1
        elif ch == "\\" and i + 1 < n:
            i += 1
            if in_first and line[i] != "\n":
                first.append(line[i])
        elif in_first:
            first.append(ch)
        i += 1
    if quote:
        return False
    return not (in_first and "".join(first) in _SH_CMDS)


_PRINTF = re.compile(r"%([-+ #0]*)(\d*)(?:\.(\d+))?([sdibcxXou%])")


def cmd_printf(ctx, argv, io):
    if len(argv) < 2:
        return _err(io, "printf", "usage: printf format [arg ...]")
    fmt = argv[1]
    args = list(argv[2:])
    out = []
    while True:
        used = 0

        def sub(m):
            nonlocal used
            flags, width, prec, conv = m.groups()
            if conv == "%":
                return "%"
            a = args.pop(0) if args else ""
            used += 1
            if conv == "b":
                return _echo_escapes(a)[0]
            spec = "%" + flags + width + ("." + prec if prec else "")
            if conv in "diouxX":
                try:
                    v = int(a or "0", 0)
                except ValueError:
                    v = 0
                return (spec + ("d" if conv == "i" else conv)) % v
            if conv == "c":
                return a[:1]
            return (spec + "s") % a

        text = _PRINTF.sub(sub, fmt)
        out.append(_echo_escapes(text)[0])
        if not args or used == 0:
            break
    io.out("".join(out))
    return 0


def cmd_rm(ctx, argv, io):
    force = rec = False
    files = []
    for a in argv[1:]:
        if a.startswith("-") and len(a) > 1 and not files:
            force |= "f" in a
            rec |= "r" in a or "R" in a
        else:
            files.append(a)
    status = 0
    for f in files:
        try:
            ok = ctx.fs.remove(f, ctx.cwd, recursive=rec)
        except FsError:
            io.err(f"rm: cannot remove '{f}': Is a directory\n")
            status = 1
            continue
        if not ok and not force:
            io.err(f"rm: cannot remove '{f}': No such file or directory\n")
            status = 1
    return status


def cmd_mkdir(ctx, argv, io):
    parents = False
    dirs = []
    for a in argv[1:]:
        if a.startswith("-") and len(a) > 1 and not dirs:
            parents |= "p" in a
        else:
            dirs.append(a)
    status = 0
    for d in dirs:
        try:
            if parents:
                ctx.fs.mkdir(d, ctx.cwd, parents=True)
            else:
                ctx.fs.mkdir(d, ctx.cwd, parents=False)
        except FsError as e:
            if not (parents and e.errno == 17):
                io.err(f"mkdir: cannot create directory '{d}': {e.strerror}\n")
                status = 1
    return status


def _two_args(argv):
    flags, rest = [], []
    for a in argv[1:]:
        (flags if a.startswith("-") and len(a) > 1 and not rest else rest).append(a)
    return "".join(flags), rest


def cmd_cp(ctx, argv, io):
    flags, rest = _two_args(argv)
    if len(rest) != 2:
        return _err(io, "cp", "kbsim models 'cp SRC DST' only")
    try:
        ctx.fs.copy(rest[0], rest[1], ctx.cwd, preserve="p" in flags or "a" in flags)
    except FsError as e:
        return _err(io, "cp", f"cannot stat '{rest[0]}': {e.strerror}")
    return 0


def cmd_mv(ctx, argv, io):
    flags, rest = _two_args(argv)
    if len(rest) != 2:
        return _err(io, "mv", "kbsim models 'mv SRC DST' only")
    try:
        ctx.fs.rename(rest[0], rest[1], ctx.cwd)
    except FsError as e:
        return _err(io, "mv", f"cannot stat '{rest[0]}': {e.strerror}")
    return 0


def cmd_cat(ctx, argv, io):
    status = 0
    for f in argv[1:]:
        try:
            io.out(ctx.fs.read(f, ctx.cwd).decode("utf-8", "surrogateescape"))
        except FsError as e:
            io.err(f"cat: {f}: {e.strerror}\n")
            status = 1
    return status


def cmd_ln(ctx, argv, io):
    flags, rest = _two_args(argv)
    if "s" not in flags or len(rest) != 2:
        return _err(io, "ln", "kbsim models 'ln -s[f] TARGET LINK' only")
    if "f" in flags:
        ctx.fs.remove(rest[1], ctx.cwd)
    try:
        ctx.fs.symlink(rest[0], rest[1], ctx.cwd)
    except FsError as e:
        return _err(io, "ln", f"failed to create symbolic link '{rest[1]}': {e.strerror}")
    return 0


def cmd_cd(ctx, argv, io):
    d = argv[1] if len(argv) > 1 else "/"
    if not ctx.fs.isdir(d, ctx.cwd):
        io.err(f"/bin/sh: 1: cd: can't cd to {d}\n")
        return 2
    new = d if d.startswith("/") else ctx.cwd.rstrip("/") + "/" + d
    ctx.cwd = posixpath.normpath(new)
    return 0


def cmd_sleep(ctx, argv, io):
    total = 0
    for a in argv[1:]:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", a)
        if not m:
            return _err(io, "sleep", f"invalid time interval '{a}'")
        mult = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        total += int(float(m.group(1)) * mult * NS_PER_S)
    yield total
    return 0


def cmd_exit(ctx, argv, io):
    try:
        code = int(argv[1]) if len(argv) > 1 else 0
    except ValueError:
        code = 2
    raise _Exit(code & 255)


def cmd_pwd(ctx, argv, io):
    io.out(ctx.cwd + "\n")
    return 0


def _test_unary(ctx, op: str, arg: str) -> bool | None:
    if op == "-n":
        return arg != ""
    if op == "-z":
        return arg == ""
    if op in ("-h", "-L"):
        st = ctx.fs.lstat(arg, ctx.cwd)
        return st is not None and st.kind == LINK
    st = ctx.fs.stat(arg, ctx.cwd)
    if op == "-e":
        return st is not None
    if op == "-f":
        return st is not None and st.kind == FILE
    if op == "-d":
        return st is not None and st.kind == DIR
    if op == "-s":
        return st is not None and st.size > 0
    return None


def _test_binary(ctx, a: str, op: str, b: str) -> bool | None:
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if op in ("-nt", "-ot"):  # dash newerf/olderf: false unless both files exist
        ma, mb = ctx.fs.mtime(a, ctx.cwd), ctx.fs.mtime(b, ctx.cwd)
        if ma is None or mb is None:
            return False
        return ma > mb if op == "-nt" else ma < mb
    if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge"):
        try:
            x, y = int(a), int(b)
        except ValueError:
            return None
        return {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y,
                "-gt": x > y, "-ge": x >= y}[op]
    return None


def _test_expr(ctx, args: list[str]) -> bool | None:
    """POSIX test by argument count (up to four, with '!'); None: not modelled."""
    n = len(args)
    if n == 0:
        return False
    if args[0] == "!" and n > 1:
        r = _test_expr(ctx, args[1:])
        return None if r is None else not r
    if n == 1:
        return args[0] != ""
    if n == 2:
        return _test_unary(ctx, args[0], args[1])
    if n == 3:
        return _test_binary(ctx, args[0], args[1], args[2])
    return None


def cmd_test(ctx, argv, io):
    name, args = argv[0], argv[1:]
    if name == "[":
        if not args or args[-1] != "]":
            return _err(io, "[", "missing ]") + 1
        args = args[:-1]
    r = _test_expr(ctx, args)
    if r is None:
        return _err(io, name, f"kbsim models test with up to three operands and the "
                              f"operators -e -f -d -s -h -L -n -z = != -nt -ot -eq -ne -lt "
                              f"-le -gt -ge and ! ({' '.join(args)})") + 1
    return 0 if r else 1


def cmd_export(ctx, argv, io):
    for a in argv[1:]:
        name, eq, value = a.partition("=")
        if eq:
            ctx.shvars[name] = value
        ctx.exported.add(name)
    return 0


def cmd_unset(ctx, argv, io):
    for name in argv[1:]:
        ctx.shvars[name] = None
        ctx.exported.discard(name)
    return 0


def cmd_set(ctx, argv, io):
    for a in argv[1:]:
        if a in ("-e", "+e"):
            ctx.errexit = a == "-e"
        else:
            raise _NotModelled("set " + a)
    return 0


class _NotModelled(Exception):
    """A command outside the subset: the line is assumed to write its target."""

    def __init__(self, name: str):
        self.name = name


def _cannot_create(io: IO, e: FsError) -> int:
    io.err(f"/bin/sh: 1: cannot create {e.filename}: {e.strerror}\n")
    return 2


def call_command(handler, ctx: ShellContext, argv: list[str], io: IO) -> Generator:
    """Run a command's HANDLER on ARGV with IO's streams already open; its exit status
    (a file it cannot create is dash's 'cannot create' and status 2)."""
    try:
        r = handler(ctx, argv, io)
        if isinstance(r, Generator):
            r = yield from r
        return int(r or 0)
    except FsError as e:
        return _cannot_create(io, e)


class _Exit(Exception):
    def __init__(self, code: int):
        self.code = code


class _Killed(Exception):
    """The shell killed itself with a signal ('kill -2 $$'): it ends there, subshells
    and all."""

    def __init__(self, sig: int):
        self.sig = sig


def cmd_kill(ctx, argv, io):
    """dash's kill, for the one process kbsim can name: the shell itself ($$), inside
    $(shell ...) (GNU make's tests do it to see a signal's status: function.c
    shell_completed gives 128 + the signal). Signal 0 only asks whether it is there.
    Any other process, or a recipe killing its shell, is not modelled."""
    import signal as _signal
    args = argv[1:]
    sig = 15  # TERM
    if args and args[0] == "-s" and len(args) > 1:
        spec, args = args[1], args[2:]
    elif args and args[0].startswith("-") and args[0] != "--":
        spec, args = args[0][1:], args[1:]
    else:
        spec = None
    if args and args[0] == "--":
        args = args[1:]
    if spec is not None:
        if spec.isdigit():
            sig = int(spec)
        else:
            name = spec.upper()
            try:
                sig = int(_signal.Signals[name if name.startswith("SIG") else "SIG" + name])
            except KeyError:
                return _err(io, "kill", f"invalid signal number or name: {spec}")
    me = ctx.var("$")
    if ctx.capture is None or not args or any(a != me for a in args):
        raise _NotModelled("kill")
    if sig == 0:
        return 0
    raise _Killed(sig)


BUILTINS: dict[str, Handler] = {
    ":": cmd_true, "true": cmd_true, "false": cmd_false, "touch": cmd_touch,
    "echo": cmd_echo, "printf": cmd_printf, "rm": cmd_rm, "mkdir": cmd_mkdir,
    "cp": cmd_cp, "mv": cmd_mv, "cat": cmd_cat, "ln": cmd_ln, "cd": cmd_cd,
    "sleep": cmd_sleep, "exit": cmd_exit, "pwd": cmd_pwd, "test": cmd_test, "[": cmd_test,
    "export": cmd_export, "unset": cmd_unset, "set": cmd_set, "ar": cmd_ar,
    "kill": cmd_kill,
}


_IFS = re.compile(r"[ \t\n]+")


def _string(ctx: ShellContext, w: SWord) -> str:
    """W expanded without field splitting or globbing (an assignment, a redirection)."""
    return "".join(ctx.value(t, is_var) if is_var else t for t, _, is_var in w.parts)


def _fields(ctx: ShellContext, w: SWord) -> list[str]:
    """W expanded as a command word: unquoted expansions split on blanks and newlines,
    unquoted glob characters matched against the filesystem (dash expand.c)."""
    fields: list[str] = []
    cur: list[str] = []
    have = False  # the current field exists (even if empty: a quoted part)
    glob = False

    def end() -> None:
        nonlocal cur, have, glob
        if have:
            text = "".join(cur)
            fields.extend(_glob(ctx, text) if glob else [text])
        cur, have, glob = [], False, False

    for text, quoted, is_var in w.parts:
        if not is_var or quoted:
            value = ctx.value(text, is_var) if is_var else text
            cur.append(value)
            have = True
            if not quoted and ("*" in value or "?" in value or "[" in value):
                glob = True
            continue
        value = ctx.value(text, is_var)
        words = [x for x in _IFS.split(value) if x]
        if value and value[0] in " \t\n":
            end()
        for k, word in enumerate(words):
            if k:
                end()
            cur.append(word)
            have = True
            if "*" in word or "?" in word or "[" in word:
                glob = True
        if words and value[-1] in " \t\n":
            end()
    end()
    return fields


def _glob(ctx: ShellContext, word: str) -> list[str]:
    """Expand one unquoted glob word against the simulated filesystem."""
    parts = word.split("/")
    absolute = word.startswith("/")
    bases = ["/" if absolute else ""]
    for k, part in enumerate(parts):
        if part == "" and k == 0:
            continue
        nxt = []
        for b in bases:
            if any(ch in part for ch in "*?["):
                names = ctx.fs.listdir(b or ".", ctx.cwd) or []
                for nm in names:
                    if glob_match(nm, part):
                        nxt.append(b + nm if (b.endswith("/") or not b) else b + "/" + nm)
            else:
                nxt.append(b + part if (b.endswith("/") or not b) else b + "/" + part)
        bases = nxt
    hits = sorted(p for p in bases if ctx.fs.lexists(p, ctx.cwd))
    return hits or [word]


class Shell:
    """Runs recipe lines; ``commands`` may be extended by other layers."""

    def __init__(self) -> None:
        self.commands: dict[str, Handler] = dict(BUILTINS)

    def register(self, name: str, handler: Handler) -> None:
        self.commands[name] = handler

    def run_line(self, ctx: ShellContext, line: str, recipe_ns: int) -> Generator:
        """A generator: yields delays (ns) or ('wait', handle); returns the exit status."""
        yield recipe_ns
        if ctx.shell_argv is not None:
            # job.c: '$(SHELL) $(.SHELLFLAGS) LINE', a program like any other
            argv = ctx.shell_argv + [line]
            try:
                return (yield from self._dispatch(ctx, argv, Command(), line))
            except _NotModelled:
                if ctx.capture is not None:
                    raise UnsupportedShell(f"the shell '{' '.join(argv[:-1])}'") from None
                return self._assume(ctx, line, " ".join(ctx.shell_argv))
        try:
            try:
                seq = parse(line)
            except UnsupportedShell:
                # variables or compound commands (shellscript.py), else not modelled
                try:
                    script = parse_script(line)
                except UnsupportedShell:
                    if ctx.capture is not None:
                        raise
                    return self._assume(ctx, line)
                return (yield from self._run_list(ctx, script, line, False))
            return (yield from self._run_list(ctx, seq, line, False))
        except _Exit as e:
            return e.code
        except _Killed as e:
            return 128 + e.sig
        except _NotModelled as e:
            if ctx.capture is not None:
                raise UnsupportedShell(f"the command '{e.name}'") from None
            return self._assume(ctx, line, e.name)

    def _dispatch(self, ctx: ShellContext, argv: list[str], cmd, line: str) -> Generator:
        """Run one command ARGV with CMD's redirections; its exit status."""
        name = argv[0]
        if ctx.xtrace:
            # dash's xtrace: '+ ' and the words, quoted where they need it
            IO(ctx, Command()).err("+ " + " ".join(map(_xtrace_word, argv)) + "\n")
        handler = self.commands.get(name)
        if handler is None and ctx.proc.is_make_command(name):
            if ctx.capture is not None:
                raise UnsupportedShell("a sub-make")
            handler = ctx.proc.submake_handler
        if handler is None:
            handler = self._program(ctx, argv, line)
        if handler is cmd_echo and runs_without_shell(line):
            handler = cmd_coreutils_echo
        io = IO(ctx, cmd)
        try:
            try:
                io.open()
            except FsError as e:
                return _cannot_create(io, e)
            return (yield from call_command(handler, ctx, argv, io))
        finally:
            io.close()

    def _program(self, ctx: ShellContext, argv: list[str], line: str) -> Handler:
        """A command that is not a builtin: looked up as exec looks it up (a name with
        a '/' as it is, else in each directory of PATH), on the simulated filesystem.
        None there is an error with the status and message of the real one: make's own
        when make runs the line without a shell (job.c exec_command: 127), dash's
        otherwise. A shell script (no '#!' line, or a '#!' naming sh, dash or bash) runs
        here; GNU make's test helper thelp.pl runs as its header describes it; any other
        program is not modelled."""
        name = argv[0]
        path, err = _find_program(ctx, name)
        if path is None:
            if runs_without_shell(line):
                msg = f"{ctx.proc.prog}: {name}: {os.strerror(err)}\n"
                return _failing(msg, 127)
            if err == errno.ENOENT:
                return _failing(f"/bin/sh: 1: {name}: not found\n", 127)
            return _failing(f"/bin/sh: 1: {name}: {os.strerror(err)}\n", 126)
        base = name.rsplit("/", 1)[-1]
        if base in self.commands and path.rsplit("/", 1)[-1] == base and \
                path.startswith(("/bin/", "/usr/bin/")):
            h = self.commands[base]
            return cmd_coreutils_echo if h is cmd_echo else h
        interp = _interpreter(ctx, path)
        if interp == "sh":
            return self._script_handler(path)
        if interp is not None and interp.rsplit("/", 1)[-1].startswith("perl") and \
                len(argv) > 1 and argv[1].endswith("/thelp.pl"):
            return cmd_thelp
        if base.startswith("perl") and len(argv) > 1 and argv[1].endswith("/thelp.pl"):
            return cmd_thelp
        raise _NotModelled(name)

    def _script_handler(self, path: str) -> Handler:
        """A handler running the shell script at PATH (a subshell of its own)."""
        shell = self

        def run_script(ctx, argv, io):
            text = ctx.fs.read(path, ctx.cwd).decode("utf-8", "surrogateescape")
            try:
                script = parse_script(text)
            except UnsupportedShell:
                raise _NotModelled(argv[0]) from None
            sub = ShellContext(ctx.proc, ctx.target, text, capture=ctx.capture)
            sub.cwd = ctx.cwd
            sub._environ = dict(ctx.environ())
            sub._environ.update({k: v for k, v in ctx.child_env().items() if v is not None})
            sub.outer = io
            sub.sink = ctx.sink
            try:
                return (yield from shell._run_list(sub, script, text, False))
            except _Exit as e:
                return e.code

        return run_script

    def _run_list(self, ctx: ShellContext, items: list, line: str, tested: bool) -> Generator:
        """A list of (connector, node): parse()'s Commands or shellscript.py's nodes.
        TESTED: its status decides an 'if' (set -e
        does not apply; dash: nor to the left of && and ||)."""
        status = ctx.last_status
        n = len(items)
        for k, (conn, node) in enumerate(items):
            if conn == "&&" and status != 0:
                continue
            if conn == "||" and status == 0:
                continue
            t = tested or (k + 1 < n and items[k + 1][0] != ";")
            status = yield from self._run_node(ctx, node, line, t)
            ctx.last_status = status
            if status and ctx.errexit and not t:
                raise _Exit(status)
        return status

    def _run_node(self, ctx: ShellContext, node, line: str, tested: bool) -> Generator:
        if node.__class__ is Command:  # from parse(): words already final but for globs
            if True in map(_GLOBBABLE, node.argv):
                argv: list[str] = []
                for w in node.argv:
                    if getattr(w, "globbable", False):
                        argv.extend(_glob(ctx, w))
                    else:
                        argv.append(str(w))
            else:
                argv = list(map(str, node.argv))
            if not argv:
                return 0
            return (yield from self._dispatch(ctx, argv, node, line))
        if isinstance(node, Simple):
            return (yield from self._run_simple(ctx, node, line))
        redirs = getattr(node, "redirs", None)
        if redirs:
            # a compound command's redirections hold for every command in it
            cmd = Command()
            cmd.redirs = [(op, _string(ctx, t)) for op, t in redirs]
            io = IO(ctx, cmd)
            saved = ctx.outer
            try:
                io.open()
                ctx.outer = io
                node.redirs = None
                try:
                    return (yield from self._run_node(ctx, node, line, tested))
                finally:
                    node.redirs = redirs
            except FsError as e:
                io.err(f"/bin/sh: 1: cannot create {e.filename}: {e.strerror}\n")
                return 2
            finally:
                ctx.outer = saved
                io.close()
        if isinstance(node, For):
            status = 0
            values = [f for w in node.words for f in _fields(ctx, w)]
            for v in values:
                ctx.shvars[node.name] = v
                status = yield from self._run_list(ctx, node.body, line, tested)
            return status
        if isinstance(node, If):
            for cond, body in node.branches:
                if (yield from self._run_list(ctx, cond, line, True)) == 0:
                    return (yield from self._run_list(ctx, body, line, tested))
            if node.otherwise is not None:
                return (yield from self._run_list(ctx, node.otherwise, line, tested))
            return 0
        assert isinstance(node, Group)
        if not node.subshell:
            return (yield from self._run_list(ctx, node.body, line, tested))
        saved = (ctx.cwd, dict(ctx.shvars), set(ctx.exported), ctx.errexit)
        try:
            return (yield from self._run_list(ctx, node.body, line, tested))
        except _Exit as e:  # 'exit' leaves the subshell only
            return e.code
        finally:
            ctx.cwd, ctx.shvars, ctx.exported, ctx.errexit = saved

    def _run_simple(self, ctx: ShellContext, node: Simple, line: str) -> Generator:
        argv = [f for w in node.words for f in _fields(ctx, w)]
        values = [(name, _string(ctx, w)) for name, w in node.assigns]
        cmd = Command()
        for op, target in node.redirs:
            cmd.redirs.append((op, _string(ctx, target) if target is not None else ""))
        if not argv:  # assignments (and redirections) alone
            for name, v in values:
                ctx.shvars[name] = v
            io = IO(ctx, cmd)
            try:
                io.open()
            except FsError as e:
                io.err(f"/bin/sh: 1: cannot create {e.filename}: {e.strerror}\n")
                return 2
            io.close()
            return 0
        ctx.cmd_env = dict(values) if values else None
        try:
            return (yield from self._dispatch(ctx, argv, cmd, line))
        finally:
            ctx.cmd_env = None

    @staticmethod
    def _assume(ctx: ShellContext, line: str, name: str | None = None) -> int:
        what = f"'{name}'" if name else "a shell construct"
        ctx.warn(f"assumed that the recipe line `{line.strip()}` ({what} is not modelled) "
                 f"writes its target '{ctx.target}'")
        fs = ctx.fs
        try:
            if fs.exists(ctx.target, ctx.proc.cwd):
                fs.touch(ctx.target, ctx.proc.cwd)
            else:
                fs.write(ctx.target, b"", ctx.proc.cwd)
            fs.unknown_content.add(fs.ino(ctx.target, ctx.proc.cwd))
        except FsError:
            pass
        return 0


_XTRACE_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def _xtrace_word(w: str) -> str:
    if _XTRACE_SAFE.fullmatch(w):
        return w
    return "'" + w.replace("'", "'\\''") + "'"


def shell_options(shell: str, flags: str) -> tuple[bool, bool] | None:
    """What kbsim runs a recipe line with, for make's SHELL and .SHELLFLAGS: (errexit,
    xtrace) for a POSIX shell (sh, dash, bash) given -c, with -e and -x before it in
    any grouping ('-ec', '-x -c', '-xec'); None for any other shell or flags (the line
    is then not modelled)."""
    if shell.rsplit("/", 1)[-1] not in ("sh", "dash", "bash"):
        return None
    words = flags.split()
    if not words or not words[-1].endswith("c"):
        return None
    letters = ""
    for w in words:
        if not w.startswith("-") or len(w) < 2:
            return None
        letters += w[1:]
    if letters[-1] != "c" or any(c not in "ex" for c in letters[:-1]):
        return None
    return "e" in letters, "x" in letters


def set_recipe_shell(ctx: ShellContext, shell: str, flags: str) -> None:
    """CTX runs recipe lines as '$(SHELL) $(.SHELLFLAGS) LINE' (job.c
    construct_command_argv): a POSIX shell given -c with its -e and -x (shell_options);
    another program runs with the flags and the line, '$(SHELL) $(.SHELLFLAGS)' split as
    make's own parser splits a simple command (quotes removed)."""
    how = shell_options(shell, flags)
    if how is not None:
        ctx.errexit, ctx.xtrace = how
        return
    try:
        ctx.shell_argv = shlex.split(f"{shell} {flags}")
    except ValueError:
        ctx.shell_argv = [*shell.split(), *flags.split()]


def _find_program(ctx: ShellContext, name: str) -> tuple[str | None, int]:
    """execvp's search: (the path found, 0) or (None, the errno exec gives)."""
    fs = ctx.fs
    if "/" in name:
        cands = [name]
    else:
        path = ctx.environ().get("PATH", "/bin:/usr/bin")
        cands = [(d or ".") + "/" + name for d in path.split(":")]
    err = errno.ENOENT
    for c in cands:
        st = fs.stat(c, ctx.cwd)
        if st is None:
            continue
        if st.kind == DIR or not fs.executable(c, ctx.cwd):
            err = errno.EACCES  # (execvp remembers it and goes on searching)
            continue
        return c, 0
    return None, err


def _interpreter(ctx: ShellContext, path: str) -> str | None:
    """'sh' for a shell script (no '#!' line: make and dash run it with /bin/sh; or a
    '#!' naming sh, dash or bash), the interpreter a '#!' line names, or None for a
    binary."""
    try:
        head = ctx.fs.read(path, ctx.cwd)[:256]
    except FsError:
        return None
    if head.startswith(b"#!"):
        interp = head[2:].split(b"\n", 1)[0].strip().split(b" ")[0].decode(
            "utf-8", "surrogateescape")
        if interp.rsplit("/", 1)[-1] in ("sh", "dash", "bash"):
            return "sh"
        return interp
    if b"\0" in head or head.startswith(b"\x7fELF"):
        return None
    return "sh"


def _failing(message: str, status: int) -> Handler:
    def fail(ctx, argv, io):
        io.err(message)
        return status
    return fail


def cmd_thelp(ctx, argv, io):
    """GNU make's test helper tests/thelp.pl, as its code does it: each operator and
    its argument in turn: 'out W' prints W; 'file W' prints 'file W' and creates W;
    'dir W' ('dir W', mkdir); 'rm W' (removes the file or directory W, then prints
    'rm W'); 'wait W' polls every 0.1 s for W to be a file (at most the timeout, 4 s
    unless 'tmout S' changed it; then 'wait W'); 'sleep S' sleeps S seconds then prints
    'sleep S'; 'fail N' prints 'fail N' and exits N. '-q' prints only what 'out'
    prints."""
    args = argv[2:]
    quiet = False
    if args and args[0] == "-q":
        quiet = True
        args = args[1:]
    timeout = 4
    fs = ctx.fs
    i = 0
    while i < len(args):
        op = args[i]
        if i + 1 >= len(args):
            io.err(f"Missing value for {op}\n")
            return 255
        w = args[i + 1]
        i += 2
        if op == "out":
            io.out(w + "\n")
        elif op == "file":
            if not quiet:
                io.out(f"file {w}\n")
            fs.write(w, b"", ctx.cwd)
        elif op == "dir":
            if not quiet:
                io.out(f"dir {w}\n")
            fs.mkdir(w, ctx.cwd, parents=False)
        elif op == "rm":
            fs.remove(w, ctx.cwd, recursive=fs.isdir(w, ctx.cwd))
            if not quiet:
                io.out(f"rm {w}\n")
        elif op == "tmout":
            timeout = int(w)
            if not quiet:
                io.out(f"tmout {w}\n")
        elif op == "wait":
            waited = 0
            while not fs.isfile(w, ctx.cwd):
                if waited > timeout * NS_PER_S:
                    io.err(f"wait {w}: timeout after {timeout} seconds\n")
                    return 255
                yield NS_PER_S // 10  # (it polls; simulated time passes)
                waited += NS_PER_S // 10
            if not quiet:
                io.out(f"wait {w}\n")
        elif op == "sleep":
            yield int(float(w) * NS_PER_S)
            if not quiet:
                io.out(f"sleep {w}\n")
        elif op == "fail":
            io.out(f"fail {w}\n")
            return int(w)
        else:
            io.err(f"Invalid command: {op} {w}\n")
            return 255
    return 0


def words_in(lines: Iterable[str]) -> list[str]:  # pragma: no cover - helper for reports
    return [w for ln in lines for w in ln.split()]
