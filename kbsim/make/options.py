"""make's command line: the options kbsim models, parsed as GNU make 4.3 parses them.

main.c decode_switches hands argv to getopt_long with make's switch table: short options
may be grouped (``-sf FILE``), a long option may be shortened to any unambiguous prefix
(``--no-print``), ``-j``/``-l`` take a following number as their argument, ``-O`` and
``--debug`` take one only when it is attached, and the words that are not options are
goals and variable definitions in the order given (handle_non_switch_argument). The
same parser reads MAKEFLAGS and GNUMAKEFLAGS (decode_env_switches, ENV): silently, and
only the switches whose ``env`` flag is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import MakeError

DEFAULT_RECIPE_NS = 1_000_000  # 1 ms of simulated time per recipe line

# main.c print_version, as Debian 12's make 4.3 prints it
VERSION_TEXT = (
    "GNU Make 4.3\n"
    "Built for x86_64-pc-linux-gnu\n"
    "Copyright (C) 1988-2020 Free Software Foundation, Inc.\n"
    "License GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>\n"
    "This is free software: you are free to change and redistribute it.\n"
    "There is NO WARRANTY, to the extent permitted by law.\n")


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
    no_builtin_rules: bool = False  # -r
    no_builtin_variables: bool = False  # -R
    check_symlink: bool = False  # -L (symlink mtimes: see remake.py f_mtime)
    include_dirs: list[str] = field(default_factory=list)  # -I
    load_average: str = ""  # -l N (no load limit is simulated; kept for MAKEFLAGS)
    eval_strings: list[str] = field(default_factory=list)  # -E / --eval
    output_sync: str | None = None  # -O[TYPE]: none, line, target, recurse
    warn_undefined: bool = False  # --warn-undefined-variables
    print_version: bool = False  # -v
    print_data_base: bool = False  # -p
    debug_all: bool = False  # -d (not modelled: kbsim prints no debug output)
    debug: list[str] = field(default_factory=list)  # --debug[=FLAGS] (for MAKEFLAGS)
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
                "include_dirs", "eval_strings", "debug")

_ASSIGN = re.compile(r"^([^\s=:+?!]+)\s*(:=|::=|\+=|\?=|=)(.*)$", re.S)

# main.c switches[]: letter -> (kind, MakeOptions field or action, env, long name).
# kind: flag / flag_off / ignore / arg (required) / int (-j) / float (-l) / opt (-O)
_SWITCHES: dict[str, tuple[str, str, bool, str | None]] = {
    "b": ("ignore", "", False, None),
    "B": ("flag", "always_make", True, "always-make"),
    "d": ("flag", "debug_all", True, None),
    "e": ("flag", "environment_overrides", True, "environment-overrides"),
    "E": ("arg", "eval_strings", True, "eval"),
    "h": ("flag", "help", False, "help"),
    "i": ("flag", "ignore_errors", True, "ignore-errors"),
    "k": ("flag", "keep_going", True, "keep-going"),
    "L": ("flag", "check_symlink", True, "check-symlink-times"),
    "m": ("ignore", "", False, None),
    "n": ("flag", "just_print", True, "just-print"),
    "p": ("flag", "print_data_base", True, "print-data-base"),
    "q": ("flag", "question", True, "question"),
    "r": ("flag", "no_builtin_rules", True, "no-builtin-rules"),
    "R": ("flag", "no_builtin_variables", True, "no-builtin-variables"),
    "s": ("flag", "silent", True, "silent"),
    "S": ("flag_off", "keep_going", True, "no-keep-going"),
    "t": ("flag", "touch", True, "touch"),
    "v": ("flag", "print_version", True, "version"),
    "w": ("flag", "print_directory", True, "print-directory"),
    "C": ("arg", "directories", False, "directory"),
    "f": ("arg", "makefiles", False, "file"),
    "I": ("arg", "include_dirs", True, "include-dir"),
    "j": ("int", "jobs", True, "jobs"),
    "l": ("float", "load_average", True, "load-average"),
    "o": ("arg", "old_files", False, "old-file"),
    "O": ("opt", "output_sync", True, "output-sync"),
    "W": ("arg", "what_if", False, "what-if"),
}
# the long-only switches (CHAR_MAX+N in main.c), and long_option_aliases
_LONG_ONLY: dict[str, tuple[str, str, bool]] = {
    "debug": ("opt", "debug", True),
    "jobserver-auth": ("arg", "", True),
    "trace": ("flag", "trace", True),
    "no-print-directory": ("flag", "no_print_directory", True),
    "warn-undefined-variables": ("flag", "warn_undefined", True),
    "sync-mutex": ("arg", "", True),
    "no-silent": ("flag_off", "silent", True),
    "jobserver-fds": ("arg", "", True),
}
_ALIASES = {"quiet": "s", "stop": "S", "new-file": "W", "assume-new": "W",
            "assume-old": "o", "max-load": "l", "dry-run": "n", "recon": "n",
            "makefile": "f"}


def _long_table() -> dict[str, tuple[str, str | None]]:
    """Every long name -> (short letter, None) or (None, long-only name)."""
    t: dict[str, tuple[str | None, str | None]] = {}
    for c, (_, _, _, name) in _SWITCHES.items():
        if name:
            t[name] = (c, None)
    for name in _LONG_ONLY:
        t[name] = (None, name)
    for name, c in _ALIASES.items():
        t[name] = (c, None)
    return t


_LONG = _long_table()


def _long_kind(entry: tuple[str | None, str | None]) -> str:
    c, name = entry
    return _SWITCHES[c][0] if c is not None else _LONG_ONLY[name][0]


class UsageError(MakeError):
    """getopt's complaint about the command line; main.c then prints the usage on
    stderr and exits 2."""


def expand_command_line_file(name: str) -> str:
    """main.c expand_command_line_file: leading './' (and the slashes after it)
    dropped; nothing else left is './'."""
    if name == "":
        raise MakeError("empty string invalid as file name")
    while name.startswith("./"):
        name = name[2:].lstrip("/")
    return name or "./"


def parse_make_args(argv: list[str], base: MakeOptions | None = None,
                    env: bool = False) -> MakeOptions:
    """main.c decode_switches on ARGV (without the program name). ENV: the words of
    MAKEFLAGS or GNUMAKEFLAGS (decode_env_switches): no messages, only the switches
    whose 'env' flag is set take effect, and the words that are not switches are
    variable definitions only (a goal there is ignored)."""
    o = base.copy() if base is not None else MakeOptions()
    problems: list[str] = []
    flags: dict[str, bool] = {}
    i = 0
    n = len(argv)

    def bad(msg: str) -> None:
        if not env:
            problems.append(msg)

    def take(kind: str, what: str, doit: bool, val: str | None, label: str) -> None:
        """One switch with its argument VAL (None: none given)."""
        nonlocal i
        if kind == "ignore" or not what:
            if kind == "int" and val is None and i < n and argv[i].isdigit():
                i += 1  # (an ignored -j still consumes its number)
            return
        if kind in ("flag", "flag_off"):
            if doit:
                flags[what] = kind == "flag"
            return
        if kind == "int":
            # decode_switches positive_int: a following word of digits is the argument
            if val is None and i < n and argv[i] and argv[i].isdigit():
                val = argv[i]
                i += 1
            if not doit:
                return
            if val is None:
                o.jobs = None  # 'inf_jobs'
            elif not val.isdigit() or int(val) < 1:
                bad(f"the '-{label}' option requires a positive integer argument")
            else:
                o.jobs = int(val)
            return
        if kind == "float":
            if val is None and i < n and argv[i][:1] and (argv[i][0].isdigit()
                                                           or argv[i][0] == "."):
                val = argv[i]
                i += 1
            if doit:
                o.load_average = val if val is not None else ""
            return
        if not doit:
            return
        if kind == "opt" and val is None:
            val = "target" if what == "output_sync" else "basic"
        if val == "":
            bad(f"the '{label}' option requires a non-empty string argument")
            return
        if what in ("directories", "makefiles", "old_files", "what_if", "include_dirs"):
            getattr(o, what).append(expand_command_line_file(val))
        elif what == "eval_strings":
            o.eval_strings.append(val)
        elif what == "output_sync":
            o.output_sync = val
        elif what == "debug":
            o.debug.extend(val.replace(",", " ").split())

    while i < n:
        a = argv[i]
        i += 1
        if a == "--":
            rest = argv[i:]
            i = n
            for w in rest:
                _non_switch(o, w, env)
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            entry = _LONG.get(name)
            if entry is None:
                cands = sorted({k for k in _LONG if k.startswith(name)})
                if len({_LONG[k] for k in cands}) == 1:
                    entry = _LONG[cands[0]]
                    name = cands[0]
                elif cands:
                    bad(f"option '--{name}' is ambiguous; possibilities:"
                        + "".join(f" '--{k}'" for k in cands))
                    continue
                else:
                    bad(f"unrecognized option '{a}'")
                    continue
            kind = _long_kind(entry)
            c, long_only = entry
            if kind in ("flag", "flag_off", "ignore") and eq:
                bad(f"option '--{name}' doesn't allow an argument")
                continue
            value: str | None = val if eq else None
            if kind == "arg" and not eq:
                if i >= n:
                    bad(f"option '--{name}' requires an argument")
                    continue
                value = argv[i]
                i += 1
            if c is not None:
                k, what, ok_env, _ = _SWITCHES[c]
                take(k, what, not env or ok_env, value, f"--{name}" if k == "opt" else c)
            else:
                k, what, ok_env = _LONG_ONLY[long_only]
                take(k, what, not env or ok_env, value, f"--{name}")
            continue
        if a.startswith("-") and len(a) > 1:
            k = 1
            while k < len(a):
                c = a[k]
                k += 1
                sw = _SWITCHES.get(c)
                if sw is None:
                    bad(f"invalid option -- '{c}'")
                    continue
                kind, what, ok_env, _ = sw
                doit = not env or ok_env
                if kind in ("flag", "flag_off", "ignore"):
                    take(kind, what, doit, None, c)
                    continue
                val = a[k:] if k < len(a) else None
                if kind == "arg" and val is None:
                    if i >= n:
                        bad(f"option requires an argument -- '{c}'")
                        break
                    val = argv[i]
                    i += 1
                take(kind, what, doit, val, f"-{c}" if kind == "opt" else c)
                break
            continue
        if a == "-":
            continue  # main.c: "Ignore plain '-' for compatibility."
        _non_switch(o, a, env)
    if problems:
        raise UsageError(problems[0])
    for what, on in flags.items():
        if what == "no_print_directory":
            o.print_directory = False
        elif what == "print_directory":
            if o.print_directory is None:  # --no-print-directory wins
                o.print_directory = True
        elif what == "help":
            pass
        else:
            setattr(o, what, on)
    if flags.get("help") and not env:
        raise UsageError("", status=0)
    if o.no_builtin_variables and not env:  # main.c: "If -R was given, set -r too"
        o.no_builtin_rules = True
    if "w" in o.debug or "why" in o.debug:
        o.debug_why = True
    return o


def _non_switch(o: MakeOptions, arg: str, env: bool) -> None:
    """main.c handle_non_switch_argument: a variable definition, else (not from the
    environment) a goal."""
    m = _ASSIGN.match(arg)
    if m:
        o.variables.append((m.group(1), m.group(2), m.group(3)))
    elif not env:
        o.goals.append(expand_command_line_file(arg))


# main.c usage[], printed after a bad option (to stderr) or for -h (to stdout)
USAGE_TEXT = """\
Usage: make [options] [target] ...
Options:
  -b, -m                      Ignored for compatibility.
  -B, --always-make           Unconditionally make all targets.
  -C DIRECTORY, --directory=DIRECTORY
                              Change to DIRECTORY before doing anything.
  -d                          Print lots of debugging information.
  --debug[=FLAGS]             Print various types of debugging information.
  -e, --environment-overrides
                              Environment variables override makefiles.
  -E STRING, --eval=STRING    Evaluate STRING as a makefile statement.
  -f FILE, --file=FILE, --makefile=FILE
                              Read FILE as a makefile.
  -h, --help                  Print this message and exit.
  -i, --ignore-errors         Ignore errors from recipes.
  -I DIRECTORY, --include-dir=DIRECTORY
                              Search DIRECTORY for included makefiles.
  -j [N], --jobs[=N]          Allow N jobs at once; infinite jobs with no arg.
  -k, --keep-going            Keep going when some targets can't be made.
  -l [N], --load-average[=N], --max-load[=N]
                              Don't start multiple jobs unless load is below N.
  -L, --check-symlink-times   Use the latest mtime between symlinks and target.
  -n, --just-print, --dry-run, --recon
                              Don't actually run any recipe; just print them.
  -o FILE, --old-file=FILE, --assume-old=FILE
                              Consider FILE to be very old and don't remake it.
  -O[TYPE], --output-sync[=TYPE]
                              Synchronize output of parallel jobs by TYPE.
  -p, --print-data-base       Print make's internal database.
  -q, --question              Run no recipe; exit status says if up to date.
  -r, --no-builtin-rules      Disable the built-in implicit rules.
  -R, --no-builtin-variables  Disable the built-in variable settings.
  -s, --silent, --quiet       Don't echo recipes.
  --no-silent                 Echo recipes (disable --silent mode).
  -S, --no-keep-going, --stop
                              Turns off -k.
  -t, --touch                 Touch targets instead of remaking them.
  --trace                     Print tracing information.
  -v, --version               Print the version number of make and exit.
  -w, --print-directory       Print the current directory.
  --no-print-directory        Turn off -w, even if it was turned on implicitly.
  -W FILE, --what-if=FILE, --new-file=FILE, --assume-new=FILE
                              Consider FILE to be infinitely new.
  --warn-undefined-variables  Warn when an undefined variable is referenced.

This program built for x86_64-pc-linux-gnu
Report bugs to <bug-make@gnu.org>
"""
