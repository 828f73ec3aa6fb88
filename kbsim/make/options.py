"""make's command line: the options kbsim models, parsed as GNU make parses them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import MakeError

DEFAULT_RECIPE_NS = 1_000_000  # 1 ms of simulated time per recipe line


@dataclass
class MakeOptions:
    directories: list[str] = field(default_factory=list)  # -C (applied in order)
    makefiles: list[str] = field(default_factory=list)  # -f
    goals: list[str] = field(default_factory=list)
    variables: list[tuple[str, str, str]] = field(default_factory=list)  # (name, op, value)
    just_print: bool = False  # -n
    question: bool = False  # -q
    touch: bool = False  # -t
    always_make: bool = False  # -B
    keep_going: bool = False  # -k
    silent: bool = False  # -s
    ignore_errors: bool = False  # -i
    what_if: list[str] = field(default_factory=list)  # -W
    old_files: list[str] = field(default_factory=list)  # -o
    jobs: int | None = 1  # -j N; None = unlimited (-j alone)
    print_directory: bool | None = None  # -w / --no-print-directory; None = make's default
    trace: bool = False  # --trace (4.3 format)
    debug_why: bool = False  # --debug=why (4.4 format)
    environment_overrides: bool = False  # -e
    no_builtin_rules: bool = False  # -r (kbsim never has built-in rules; kept for MAKEFLAGS)
    no_builtin_variables: bool = False  # -R (likewise)
    check_symlink: bool = False  # -L (accepted; symlink times are not compared)
    include_dirs: list[str] = field(default_factory=list)  # -I (for MAKEFLAGS)
    load_average: str = ""  # -l N (no load limit is simulated; kept for MAKEFLAGS)
    recipe_ns: int = DEFAULT_RECIPE_NS

    def copy(self, **kw) -> MakeOptions:
        """A copy whose lists are its own (a shallow copy of the fields: every make
        process takes one, and dataclasses.replace costs ten times as much)."""
        new = object.__new__(MakeOptions)
        d = new.__dict__
        d.update(self.__dict__)
        for name in _LIST_FIELDS:
            d[name] = list(d[name])
        d.update(kw)
        return new


_LIST_FIELDS = ("directories", "makefiles", "goals", "variables", "what_if", "old_files",
                "include_dirs")

_ASSIGN = re.compile(r"^([^\s=:+?!]+)\s*(:=|::=|\+=|\?=|=)(.*)$", re.S)

# short options that take an argument
_WITH_ARG = set("CfWoIjl")
_FLAGS = {"n": "just_print", "q": "question", "t": "touch", "B": "always_make",
          "k": "keep_going", "s": "silent", "i": "ignore_errors", "e": "environment_overrides",
          "r": "no_builtin_rules", "R": "no_builtin_variables", "L": "check_symlink"}
_IGNORED = set("v")  # accepted and ignored
_LONG = {"--just-print": "n", "--dry-run": "n", "--recon": "n", "--question": "q",
         "--touch": "t", "--always-make": "B", "--keep-going": "k", "--silent": "s",
         "--quiet": "s", "--ignore-errors": "i", "--no-builtin-rules": "r",
         "--no-builtin-variables": "R", "--environment-overrides": "e",
         "--print-directory": "w", "--no-keep-going": "S"}
_LONG_ARG = {"--directory": "C", "--file": "f", "--makefile": "f", "--what-if": "W",
             "--new-file": "W", "--assume-new": "W", "--old-file": "o", "--assume-old": "o",
             "--jobs": "j", "--include-dir": "I"}


# switches main.c does not take from MAKEFLAGS (their 'env' is 0); -j is taken (a
# top-level make sets its jobserver up after reading: MakeProcess.jobs_from_makefile)
_NOT_FROM_ENV = set("CfWo")


def parse_make_args(argv: list[str], base: MakeOptions | None = None,
                    env: bool = False) -> MakeOptions:
    """Parse a make command line (without the program name). ENV: the words of a
    makefile's MAKEFLAGS (main.c decode_env_switches): unknown switches and those of
    _NOT_FROM_ENV are ignored without a message, and the first word that is not a
    switch ends them (variable definitions there are not modelled)."""
    o = base.copy() if base is not None else MakeOptions()
    i = 0
    n = len(argv)

    def take(opt: str, val: str) -> None:
        if env and opt in _NOT_FROM_ENV:
            return
        if opt == "C":
            o.directories.append(val)
        elif opt == "f":
            o.makefiles.append(val)
        elif opt == "W":
            o.what_if.append(val)
        elif opt == "o":
            o.old_files.append(val)
        elif opt == "j":
            if val == "":
                o.jobs = None
            else:
                if not val.isdigit() or int(val) < 1:
                    raise MakeError("the '-j' option requires a positive integer argument")
                o.jobs = int(val)
        elif opt == "I":
            o.include_dirs.append(val)
        elif opt == "l":
            o.load_average = val

    while i < n:
        a = argv[i]
        i += 1
        if a == "--":
            if not env:
                o.goals.extend(argv[i:])
            break
        if a.startswith("--"):
            name, eq, val = a.partition("=")
            if name == "--no-print-directory":
                o.print_directory = False
            elif name == "--trace":
                o.trace = True
            elif name == "--debug":
                if "why" in val.split(",") or "w" in val.split(","):
                    o.debug_why = True
            elif name in _LONG:
                c = _LONG[name]
                if c in _FLAGS:
                    setattr(o, _FLAGS[c], True)
                elif c == "w":
                    if o.print_directory is None:  # --no-print-directory wins
                        o.print_directory = True
                elif c == "S":
                    o.keep_going = False
            elif name in _LONG_ARG:
                c = _LONG_ARG[name]
                if not eq and c != "j":
                    if i >= n:
                        if env:
                            break
                        raise MakeError(f"option '{name}' requires an argument")
                    val = argv[i]
                    i += 1
                take(c, val)
            elif not env:
                raise MakeError(f"unrecognized option '{a}'")
            continue
        if a.startswith("-") and len(a) > 1:
            k = 1
            while k < len(a):
                c = a[k]
                k += 1
                if c in _WITH_ARG:
                    val = a[k:]
                    if c == "j":
                        if not val and i < n and argv[i].isdigit():
                            val = argv[i]
                            i += 1
                        take(c, val)
                        break
                    if not val:
                        if i >= n:
                            if env:
                                break
                            raise MakeError(f"option requires an argument -- '{c}'")
                        val = argv[i]
                        i += 1
                    take(c, val)
                    break
                if c in _FLAGS:
                    setattr(o, _FLAGS[c], True)
                elif c == "w":
                    if o.print_directory is None:  # --no-print-directory wins
                        o.print_directory = True
                elif c == "S":
                    o.keep_going = False
                elif c in _IGNORED or env:
                    pass
                else:
                    raise MakeError(f"invalid option -- '{c}'")
            continue
        if env:
            break
        m = _ASSIGN.match(a)
        if m:
            o.variables.append((m.group(1), m.group(2), m.group(3)))
            continue
        o.goals.append(a)
    if o.no_builtin_variables and not env:  # main.c: "If -R was given, set -r too"
        o.no_builtin_rules = True
    return o
