"""One make process: reading, the goal loop and its jobs (``main.c``, ``job.c``, ``dir.c``).

A MakeProcess runs in its own greenlet; blocking calls (waiting for a job slot, a jobserver
token or a child) switch to the simulation's scheduler, which advances simulated time.
Every ``$(MAKE)`` is a new MakeProcess with an empty stat and directory cache (reference
section 7).
"""

from __future__ import annotations

import posixpath
import re
from collections import deque
from itertools import compress
from operator import attrgetter
from typing import TYPE_CHECKING

from .errors import MakeError, UnsupportedSyntax
from .expand import (AppendVariable, Expander, Variable, VariableNames, glob_magic_escaped,
                     glob_match, glob_regex_escaped, glob_unescape, has_glob)
from .builtins import PATTERN_RULES as BUILTIN_PATTERN_RULES
from .builtins import SUFFIX_RULES as BUILTIN_SUFFIX_RULES
from .builtins import SUFFIXES as BUILTIN_SUFFIXES
from .builtins import TERMINAL_RULES as BUILTIN_TERMINAL_RULES
from .builtins import VARIABLES as BUILTIN_VARIABLES
from .filedb import (CS_NOT_STARTED, CS_RUNNING, NONEXISTENT, UNKNOWN,
                     US_FAILED, US_NONE, US_QUESTION, US_SUCCESS, FileEntry, FileTable,
                     PatternRule, Recipe)
from .implicit import Implicit
from .makeflags import (command_variables, decode_makeflags, define_makeflags, quote_for_env,
                        split_env_words)
from .options import _ASSIGN, VERSION_TEXT, MakeOptions, parse_make_args
from .archive import split_name
from .readtext import ar_name, parse_file_seq
from .reader import OUTRANKS_FILE, Reader, apply_special_targets
from .remake import LoopsForever, MakeFatal, Remake, StackOverflow
from .shell import ShellContext, UnsupportedShell, set_recipe_shell
from .targetvars import parent_walk, scope_of
from .vpath import VPath

# variable.c define_variable_in_set: a name the environment can hold (v->exportable)
_EXPORTABLE = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")

if TYPE_CHECKING:  # pragma: no cover
    from .sim import Simulation

RM_INCLUDED, RM_DONTCARE, RM_NO_DEFAULT_GOAL = 1, 2, 4
MAX_INCLUDE_DEPTH = 200  # nested includes that mean "for ever" (read_makefile_file)
# main.c: .FEATURES as GNU make 4.3 sets it, less what kbsim does not model ('load')
FEATURES = ("target-specific order-only second-expansion else-if shortest-stem undefine "
            "oneshell nocomment grouped-target extra-prereqs archives jobserver "
            "output-sync check-symlink")
# read.c default_include_directories that exist, as Debian 12's make 4.3 lists them
DEFAULT_INCLUDE_DIRS = ("/usr/local/include", "/usr/include", "/usr/include")
_NAME = attrgetter("name")
SIGSEGV_STATUS = 128 + 11  # how a shell reports a make killed by SIGSEGV
HANG_STATUS = 124  # a make that never exits: the status timeout(1) reports


class IncludeDirs(Variable):
    """.INCLUDE_DIRS (read.c construct_include_path), its value worked out when read."""

    __slots__ = ("proc",)

    def __init__(self, proc: "MakeProcess"):
        self.proc = proc
        super().__init__(".INCLUDE_DIRS", "", True, "default")

    @property
    def value(self) -> str:  # type: ignore[override]
        return " ".join(self.proc.include_directories())

    @value.setter
    def value(self, v: str) -> None:
        pass


class ReExec(Exception):
    """main.c re_exec: a makefile was remade; start over with fresh caches."""


def _dir_and_base(name: str) -> tuple[str, str]:
    """dir.c file_exists_p's split: the directory part before the last slash ('.' when
    there is none, '/' for a name right under the root) and the name after it."""
    slash = name.rfind("/")
    if slash < 0:
        return ".", name
    return name[:slash] or "/", name[slash + 1:]


class Child:
    """``struct child``: one job, the recipe lines of one target."""

    __slots__ = ("file", "lines", "origin", "idx", "noerror", "recursive", "status", "proc",
                 "line_text", "cwd", "ctx", "started", "buf", "dontcare")

    def __init__(self, proc: "MakeProcess", file: FileEntry, lines: list[str],
                 origin: list[int] | None = None, dontcare: bool = False):
        self.proc = proc
        self.file = file
        self.lines = lines
        # the recipe line each of LINES came from, when an expansion held newlines (a
        # define'd variable): job.c runs each part as a command of its own
        self.origin = origin
        self.idx = 0
        self.noerror = False
        self.recursive = False
        self.status = 0
        self.line_text = ""
        self.ctx: ShellContext | None = None
        self.started = False
        # -O: the output of this job's synchronized lines, written when it is dumped
        self.buf: list | None = None
        # job.c new_job: the file's dontcare flag as the job starts (a makefile that may
        # be missing: its failure is neither reported nor fatal)
        self.dontcare = dontcare


def _split_command_lines(lines: list[str]) -> tuple[list[str], list[int]]:
    """job.c start_job_command / construct_command_argv: an expanded recipe line runs up
    to each newline that no backslash escapes, each part as a command with its own
    '@-+' prefixes. The parts, and the recipe line each came from."""
    parts: list[str] = []
    origin: list[int] = []
    for k, text in enumerate(lines):
        start = 0
        j = text.find("\n")
        while j >= 0:
            if j == 0 or text[j - 1] != "\\":
                parts.append(text[start:j])
                origin.append(k)
                start = j + 1
            j = text.find("\n", j + 1)
        parts.append(text[start:])
        origin.append(k)
    return parts, origin


def _load_limit(text: str) -> float | None:
    """-l's value as main.c reads it (atof; a negative one, no limit)."""
    try:
        v = float(text)
    except ValueError:
        m = re.match(r"\s*[-+]?\d*\.?\d*", text)
        v = float(m.group()) if m and m.group().strip() not in ("", "+", "-", ".") else 0.0
    return v if v >= 0 else None


def _gives_jobs(args: list[str]) -> bool:
    """Does a make command line ARGS give -j (or --jobs) itself?"""
    for a in args:
        if a == "--":
            break
        if a.startswith("--"):
            if a.startswith("--jobs") or (len(a) > 3 and "--jobs".startswith(a.split("=")[0])):
                return True
            continue
        if a.startswith("-"):
            for c in a[1:]:
                if c == "j":
                    return True
                if c in "CfIloOWE":  # (the rest of the word is that option's argument)
                    break
    return False


def _collapse_in_references(line: str) -> str:
    """job.c new_job: a backslash-newline inside a variable or function reference of a
    recipe line (not one quoted by another backslash), with the blanks before it and
    the spaces after it, becomes one space before the line is expanded (the function
    must not see it; elsewhere the shell removes it)."""
    out: list[str] = []
    i, n = 0, len(line)
    while True:
        ref = line.find("$", i)
        if ref < 0 or ref + 1 >= n:
            out.append(line[i:])
            break
        out.append(line[i:ref + 1])
        i = ref + 1
        o = line[i]
        if o not in "({":
            continue
        close = ")" if o == "(" else "}"
        out.append(o)
        i += 1
        start = len(out)
        count = 0
        while i < n:
            c = line[i]
            if c == close:
                count -= 1
                if count < 0:
                    break
                out.append(c)
                i += 1
            elif c == "\\" and i + 1 < n and line[i + 1] == "\n":
                k = i - 1
                quoted = False
                while k > ref + 1 and line[k] == "\\":
                    quoted = not quoted
                    k -= 1
                if quoted:
                    out.append(c)
                    i += 1
                    continue
                i += 2
                while i < n and line[i] in " \t\n\v\f\r":
                    i += 1
                while len(out) > start and out[-1] in (" ", "\t"):
                    out.pop()
                out.append(" ")
            else:
                if c == o:
                    count += 1
                out.append(c)
                i += 1
    return "".join(out)


def _oneshell_script(text: str) -> str:
    """job.c construct_command_argv_internal under .ONESHELL with a POSIX shell: each line
    of the script loses its leading blanks and '@-+' (meaningless to one shell); a
    newline escaped by a backslash does not start a line."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t@-+":
            i += 1
        esc = False
        while i < n:
            ch = text[i]
            out.append(ch)
            i += 1
            if ch == "\\":
                esc = not esc
            elif ch == "\n" and not esc:
                break
            else:
                esc = False
    return "".join(out)


class MakeProcess(Remake, Implicit, VPath):
    def __init__(self, sim: "Simulation", options: MakeOptions, cwd: str, level: int = 0,
                 restarts: int = 0, env: dict[str, str] | None = None,
                 parent: "MakeProcess | None" = None):
        self.sim = sim
        self.fs = sim.fs
        self.clock = sim.fs.clock
        self.opts = options
        self.level = level
        self.restarts = restarts
        self.env = dict(env or {})
        self.parent_proc = parent
        self.pid = sim.next_pid()
        self.prog = "make" if level == 0 else f"make[{level}]"
        self.cwd = cwd
        self.variables: dict[str, Variable] = {}
        self.export_all = False  # main.c export_all_variables (bare 'export')
        self.one_shell = False  # read.c record_files: a .ONESHELL target was read
        self.files = FileTable()
        self.pattern_rules: list = []
        self.pattern_version = 0  # bumps when pattern_rules changes (implicit.py)
        self._rule_table_cache: tuple | None = None
        self.pattern_extra: list[str] = []  # the global .EXTRA_PREREQS (reader.py)
        self.vars_initialized: set | None = None  # files given a variable set (secondexp.py)
        self.shell_target_vars = False  # a target or pattern variable SHELL/.SHELLFLAGS
        self.snapped_deps = False  # file.c snap_deps ran: no rule may be added now
        self.expanding_recipe: tuple[str, int] | None = None  # new_job: the recipe's start
        self.posix = False  # read.c posix_pedantic: a .POSIX target was read
        self.include_depth = 0  # makefiles being read, one inside the other
        # output.c: -O's mode (None, 'line', 'target' or 'recurse'), the buffer output
        # goes to now (output_context), and where this make's own output goes (sink)
        self.output_sync: str | None = options.output_sync
        if self.output_sync == "none":
            self.output_sync = None
        self.output_context: list | None = None
        self.sink: list | None = None
        self._include_dirs: list[str] | None = None  # read.c include_directories
        self.second_expansion = False  # a .SECONDEXPANSION target was read
        self._pattern_suffixes = None
        self.expander = Expander(self)
        self.dir_cache: dict[str, set[str] | None] = {}
        self.dir_contents: dict[int, set[str]] = {}
        # dir.c: which contents each directory name shares (its inode, or the name itself
        # when it was not a directory), and file_impossible's names by those contents
        self.dir_ids: dict[str, object] = {}
        self.impossible: dict[object, set[str]] = {}
        # vpath.c: the 'vpath' lists as read (newest first), then as searched
        self.vpath_chain: list = []
        self.vpaths: list = []
        self.general_vpath = None
        self.gpaths = None
        self.vpath_on = False  # any list to search (else no name is ever searched for)
        self.renames = False  # a vpath name merged one entry into another (rehash_file)
        self.lib_found = False  # a '-lNAME' was found by library_search (it was renamed)
        # flags
        self.just_print_flag = options.just_print
        self.question_flag = options.question
        self.touch_flag = options.touch
        self.always_make = False
        self.keep_going = options.keep_going
        self.silent = options.silent
        self.ignore_errors = options.ignore_errors
        self.rebuilding_makefiles = False
        self.all_secondary = False
        self.silent_files: set[str] | bool = set()
        self.ignore_files: set[str] | bool = set()
        self.delete_on_error = False
        self.not_parallel = False
        self.default_file: FileEntry | None = None
        # state
        self.considered = 0
        self.commands_started = 0
        self.clock_skew_detected = False
        self.adjusted_now = 0
        self.read_files: list[list] = []
        self.goal_dep: list | None = None
        # target- and pattern-specific variables (targetvars.py)
        self.target_vars: dict[FileEntry, dict[str, Variable]] = {}
        self.pattern_vars: list[tuple] = []
        self.pattern_sets: dict[str, dict | None] = {}
        self.reentered: str | None = None  # a file update_file_1 re-entered (remake.py)
        self.crash_reason: str | None = None  # why GNU make 4.3 would crash here
        self.finished_count = 0  # notice_finished_file calls (remake.py)
        self.settled_memo: tuple | None = None  # the last long run of settled deps (remake.py)
        self.children: list[Child] = []
        self.dead: deque[Child] = deque()
        self.waiting: str | None = None
        self.glet = None
        self.jobserver_tokens = 0
        self.dying = False
        self.makefile_status = 0  # main.c makefile_status after remaking the makefiles
        self.makeflags_var: Variable | None = None  # the MAKEFLAGS define_makeflags wrote
        self.waiting_said = False  # job.c reap_children's static 'printed'
        self.traced = False
        self.exit_status: int | None = None
        self.decisions: list = []
        self.record = sim.record
        self.trace_stats = sim.trace_stats
        self.errors: list[dict] = []
        self.finish_callbacks: list = []
        # job slots: 1 = serial, None = unlimited, 0 = use the jobserver (this make's:
        # its parent's, or one of its own: see jobserver_reset)
        self.jobserver = parent.jobserver if parent is not None else sim.jobserver
        if self.jobserver is not None and (level > 0 or options.jobs != 1):
            self.job_slots: int | None = 0 if self.jobserver.limited else None
        else:
            self.job_slots = 1 if options.jobs == 1 else options.jobs
        self.jobserver_note: str | None = None  # a warning main.c prints at the start
        pd = options.print_directory
        if pd is None:
            pd = not options.silent and (bool(options.directories) or level > 0)
        self.print_directory = pd

    # ------------------------------------------------------------------ output
    def write(self, stream: str, text: str) -> None:
        """Where this make's standard output and error go: the simulation's, or, for a
        sub-make whose recipe line's output is being synchronized (-O), that job's
        buffer (output.c: the child writes to the parent job's temporary file)."""
        if self.sink is not None:
            self.sink.append((stream, text))
        else:
            self.sim.write(stream, text)

    def emit(self, stream: str, text: str) -> None:
        """output.c outputs: into the output context (a job whose output is being
        synchronized, or the makefiles being read under -Oline/-Otarget), or out."""
        ctx = self.output_context
        if ctx is not None:
            ctx.append((stream, text))
        else:
            self.output_start()
            self.write(stream, text)

    def output_start(self) -> None:
        """output.c output_start: the 'Entering directory' line before this make's
        first output (with -Oline/-Otarget each dump has its own instead)."""
        if not self.traced and self.print_directory and \
                self.output_sync in (None, "recurse"):
            self.traced = True
            self.write("out", f"{self.prog}: Entering directory '{self.cwd}'\n")

    def output_dump(self, buf: list | None) -> None:
        """output.c output_dump: a job's synchronized output written at once, between
        'Entering' and 'Leaving directory' lines when directories are printed (not
        under -Orecurse)."""
        if not buf:
            return
        wrap = self.print_directory and self.output_sync != "recurse"
        if wrap:
            self.write("out", f"{self.prog}: Entering directory '{self.cwd}'\n")
        for stream, text in buf:
            self.write(stream, text)
        if wrap:
            self.write("out", f"{self.prog}: Leaving directory '{self.cwd}'\n")
        buf.clear()

    def out(self, text: str) -> None:
        if text:
            self.emit("out", text)

    def out_stdout(self, text: str) -> None:
        self.out(text)

    def err(self, line: str) -> None:
        self.emit("err", line + "\n")

    def err_raw(self, text: str) -> None:
        self.emit("err", text)

    def out_stderr(self, text: str) -> None:
        self.err_raw(text)

    def fatal(self, msg: str, floc=None) -> None:
        if floc:
            self.err(f"{floc[0]}:{floc[1]}: *** {msg}.  Stop.")
        else:
            self.err(f"{self.prog}: *** {msg}.  Stop.")
        raise MakeFatal(msg)

    def event(self, kind: str, **data) -> None:
        self.sim.event(self, kind, **data)

    def record_error(self, kind: str, target: str, parent: str | None = None) -> None:
        self.errors.append({"kind": kind, "target": target, "parent": parent})

    def variables_append(self, name: str, word: str) -> None:
        """read.c eval_makefile: do_variable_definition (NAME, WORD, o_file,
        f_append_value): a blank before WORD only when the value is not empty; nothing
        when an origin above 'file' holds NAME (make X=..., override, -e)."""
        v = self.variables.get(name)
        if v is None:
            self.variables[name] = AppendVariable(name, word, False, "file")
        elif v.origin in OUTRANKS_FILE:
            return
        elif v.__class__ is AppendVariable:
            # joined when read (MAKEFILE_LIST of 20k .cmd files)
            v.append_word(word)
        elif not v.recursive:
            nv = AppendVariable(v.name, v.value + " " + word if v.value else word, False,
                                v.origin, v.export)
            self.variables[name] = nv
        else:
            v.value = v.value + " " + word if v.value else word
            v.compiled = None

    # ------------------------------------------------------------------ dir cache
    def _dir_entries(self, dirname: str) -> set[str] | None:
        """dir.c find_directory: contents read once, shared by inode, never refreshed."""
        key = dirname or "."
        if key in self.dir_cache:
            return self.dir_cache[key]
        ino = self.fs.ino(key, self.cwd)
        if ino is None or not self.fs.isdir(key, self.cwd):
            self.dir_cache[key] = None
            self.dir_ids[key] = ("name", key)
            return None
        self.dir_ids[key] = ino
        contents = self.dir_contents.get(ino)
        if contents is None:
            contents = set(self.fs.listdir(key, self.cwd) or [])
            self.dir_contents[ino] = contents
            if self.trace_stats:
                self.event("readdir", dir=key)
        self.dir_cache[key] = contents
        return contents

    def file_exists_p(self, name: str) -> bool:
        d, base = _dir_and_base(name)
        if not base:
            return self.fs.isdir(name, self.cwd)
        entries = self._dir_entries(d)
        if self.impossible and base in self._impossible_in(d):
            return False  # dir.c: an impossible entry stands for the name
        return entries is not None and base in entries

    def _impossible_in(self, dirname: str) -> set[str] | tuple:
        """The names file_impossible marked in DIRNAME's contents (shared by every
        spelling of the directory, as dir.c shares them)."""
        self._dir_entries(dirname)  # (names its contents, the first time)
        return self.impossible.get(self.dir_ids[dirname or "."], ())

    def file_impossible(self, name: str) -> None:
        """dir.c file_impossible: NAME was searched for as an intermediate file and no
        rule makes it. The mark sits with its directory's contents (so every spelling of
        that directory sees it) and makes file_exists_p false for the name."""
        d, base = _dir_and_base(name)
        self._dir_entries(d)
        self.impossible.setdefault(self.dir_ids[d], set()).add(base)

    def file_impossible_p(self, name: str) -> bool:
        if not self.impossible:
            return False
        d, base = _dir_and_base(name)
        return base in self._impossible_in(d)

    def wildcard(self, words: list[str]) -> list[str]:
        """$(wildcard): each word globbed; a literal name is one lstat (V17, V18)."""
        if not self.trace_stats:
            joined = " ".join(words)
            if ("*" not in joined and "?" not in joined and "[" not in joined
                    and "\\" not in joined):
                # no word has a glob (has_glob) or a quote: the names that exist, in order
                return self.fs.lexisting(words, self.cwd)
        out: list[str] = []
        for w in words:
            if "\\" in w:
                out.extend(self._glob_quoted(w))
                continue
            if not has_glob(w):
                if self.fs.lexists(w, self.cwd):
                    out.append(w)
                if self.trace_stats:
                    self.event("lstat", file=w, exists=bool(out and out[-1] == w))
                continue
            out.extend(sorted(self._glob(w)))
        return out

    def _glob_quoted(self, word: str) -> list[str]:
        """glob(3) as make calls it (no GLOB_NOESCAPE) for a word with a backslash: one
        quotes the next character ('*\\#.c', 'e\\*'); a word with nothing unquoted to
        match is unquoted and lstat'ed ('c\\#.c' is 'c#.c'). A quoted directory part
        with a pattern in it is globbed as before (not modelled)."""
        if not glob_magic_escaped(word):
            name = glob_unescape(word)
            hit = self.fs.lexists(name, self.cwd)
            if self.trace_stats:
                self.event("lstat", file=name, exists=hit)
            return [name] if hit else []
        slash = word.rfind("/")
        if slash >= 0 and glob_magic_escaped(word[:slash]):
            return sorted(self._glob(word))
        prefix = glob_unescape(word[:slash + 1])
        dname = prefix[:-1] or "/" if prefix else "."
        base = word[slash + 1:]
        rx = glob_regex_escaped(base)
        dot = base.startswith(".") or base.startswith("\\.")
        entries = self._dir_entries(dname) or ()
        gone = self._impossible_in(dname) if self.impossible and entries else ()
        return sorted(prefix + nm for nm in entries
                      if (dot or not nm.startswith(".")) and rx.match(nm)
                      and nm not in gone)

    def _glob(self, pattern: str) -> list[str]:
        slash = pattern.rfind("/")
        if slash < 0:
            dirs = [("", ".")]
            base = pattern
        else:
            dpart = pattern[:slash + 1]
            base = pattern[slash + 1:]
            dname = pattern[:slash] or "/"
            if has_glob(dname):
                # each directory matched, then the run of slashes as written
                slashes = pattern[len(dpart.rstrip("/")):slash + 1]
                dirs = [(d + slashes, d) for d in self._glob(dname.rstrip("/") or "/")
                        if self.fs.isdir(d, self.cwd)]
            else:
                dirs = [(dpart, dname)]
        hits = []
        for prefix, dname in dirs:
            if not has_glob(base):
                cand = prefix + base
                if self.fs.lexists(cand, self.cwd):
                    hits.append(cand)
                continue
            entries = self._dir_entries(dname)
            if not entries:
                continue
            gone = self._impossible_in(dname) if self.impossible else ()
            for nm in entries:
                if glob_match(nm, base) and nm not in gone:
                    hits.append(prefix + nm)
        return hits

    # ------------------------------------------------------------------ reading
    def define_defaults(self) -> None:
        """main.c, up to reading the makefiles: the special variables, the environment,
        MAKE, the command-line definitions, CURDIR, .INCLUDE_DIRS, the automatic and
        built-in variables (-R: none), .SUFFIXES and the built-in suffix rules (-r:
        none), MAKEFLAGS."""
        v = self.variables
        opts = self.opts
        v[".VARIABLES"] = VariableNames(v)
        v[".RECIPEPREFIX"] = Variable(".RECIPEPREFIX", "", False, "default")
        v[".SHELLFLAGS"] = Variable(".SHELLFLAGS", "-c", False, "default")
        v[".LOADED"] = Variable(".LOADED", "", False, "default")
        v[".FEATURES"] = Variable(".FEATURES", FEATURES, False, "default")
        for k, val in self.env.items():
            v[k] = Variable(k, val, True, "environment", True)
        mk = self.sim.make_program
        v["MAKE_COMMAND"] = Variable("MAKE_COMMAND", mk, False, "default")
        v["MAKE"] = Variable("MAKE", "$(MAKE_COMMAND)", True, "default")
        v["MAKELEVEL"] = Variable("MAKELEVEL", str(self.level), False, "environment", True)
        v["CURDIR"] = Variable("CURDIR", self.cwd, False, "file")
        v[".INCLUDE_DIRS"] = IncludeDirs(self)
        v["MAKE_VERSION"] = Variable("MAKE_VERSION", "4.3", False, "default")
        v["MAKE_HOST"] = Variable("MAKE_HOST", "x86_64-pc-linux-gnu", False, "default")
        v["SHELL"] = Variable("SHELL", "/bin/sh", False, "file")
        if "MAKEFILES" not in v:
            v["MAKEFILES"] = Variable("MAKEFILES", "", False, "default")
        if not opts.no_builtin_variables:
            for name, value in BUILTIN_VARIABLES:
                if name not in v:
                    v[name] = Variable(name, value, True, "default")
        self.install_default_suffix_rules()
        v[".DEFAULT_GOAL"] = Variable(".DEFAULT_GOAL", "", False, "file")
        if opts.goals:
            v["MAKECMDGOALS"] = Variable("MAKECMDGOALS", " ".join(opts.goals), False,
                                         "default")
        old = v.get("MAKEFILE_LIST")
        if old is not None and self.opts.environment_overrides:
            old.origin = "environment override"  # (main.c's o_file definition loses)
        else:
            v["MAKEFILE_LIST"] = AppendVariable("MAKEFILE_LIST", "", False, "file")
        if self.restarts:
            v["MAKE_RESTARTS"] = Variable("MAKE_RESTARTS", str(self.restarts), False, "default")
        # main.c: MAKEOVERRIDES refers to the command-line definitions; MAKEFLAGS and
        # MFLAGS hold the switches (define_makeflags (0, 0) while the makefiles are read)
        if self.opts.variables:
            v["-*-command-variables-*-"] = Variable(
                "-*-command-variables-*-", command_variables(self.opts), False, "automatic")
            v["MAKEOVERRIDES"] = Variable(
                "MAKEOVERRIDES", "${-*-command-variables-*-}", True,
                "environment override" if self.opts.environment_overrides else "environment")
        self.define_makeflags(False, False)
        for name, op, value in self.opts.variables:
            old = v.get(name)
            if op in (":=", "::="):
                val = self.expander.expand(value)
                v[name] = Variable(name, val, False, "command line", True)
            elif op == "?=" and old is not None:
                continue
            elif op == "+=" and old is not None:
                # variable.c do_variable_definition: append to what the environment or
                # an earlier definition gave, in its flavor (a simple one expands VALUE)
                if not old.recursive:
                    value = self.expander.expand(value)
                if not value:
                    continue  # "If the new value is empty, nothing to do."
                if old.value:
                    value = old.value + " " + value
                v[name] = Variable(name, value, old.recursive, "command line", True)
            else:
                v[name] = Variable(name, value, True, "command line", True)

    def include_directories(self) -> list[str]:
        """read.c construct_include_path: the -I directories that exist, then the
        default ones that do (worked out when first needed)."""
        if self._include_dirs is None:
            incl = [d.rstrip("/") or "/" for d in self.opts.include_dirs
                    if self.fs.isdir(d, self.cwd)]
            self._include_dirs = incl + [d for d in DEFAULT_INCLUDE_DIRS if self.fs.isdir(d)]
        return self._include_dirs

    def install_default_suffix_rules(self) -> None:
        """default.c set_default_suffixes and install_default_suffix_rules: .SUFFIXES
        has the default suffixes as its prerequisites and each built-in suffix rule is a
        file with its recipe (not a target), unless -r; SUFFIXES holds the list."""
        sfx = self.files.enter(".SUFFIXES")
        if self.opts.no_builtin_rules:
            self.variables.setdefault("SUFFIXES", Variable("SUFFIXES", "", True, "default"))
            return
        sfx.deps = self.files.enter_many(BUILTIN_SUFFIXES.split())
        self.variables.setdefault("SUFFIXES", Variable("SUFFIXES", BUILTIN_SUFFIXES, True,
                                                       "default"))
        for name, recipe in BUILTIN_SUFFIX_RULES:
            f = self.files.enter(name)
            f.cmds = Recipe([recipe], None, 0)

    def drop_builtin_rules(self) -> None:
        """main.c, a makefile that added -r to MAKEFLAGS: .SUFFIXES loses the default
        suffixes when it still has them as set_default_suffixes left them (its 'builtin'
        mark: a makefile rule for .SUFFIXES clears it; kbsim tells by the list being the
        default one), SUFFIXES becomes empty; convert_to_pattern then adds no built-in
        pattern rule."""
        sfx = self.files.lookup(".SUFFIXES")
        if sfx is not None and [d.name for d in sfx.deps] == BUILTIN_SUFFIXES.split():
            sfx.deps = []
        self.variables["SUFFIXES"] = Variable("SUFFIXES", "", False, "default")

    def convert_to_pattern(self) -> None:
        """rule.c convert_to_pattern, after snap_deps: for each suffix of .SUFFIXES a
        pattern rule '%SUFFIX' with nothing (it only keeps the match-anything rules out),
        its single-suffix rule as '%: %SUFFIX', and each two-suffix rule '.X.Y' that has
        a recipe as '%.Y: %.X' (and '(%.o): %.X' for '.X.a'); none replaces an
        identical rule the makefiles defined. Then default.c
        install_default_implicit_rules (unless -r)."""
        sfx = self.files.lookup(".SUFFIXES")
        suffixes = [d.name for d in sfx.deps] if sfx is not None else []
        lookup = self.files.lookup
        for s1 in suffixes:
            self.new_pattern_rule(PatternRule(["%" + s1], [], [], None, False, None),
                                  override=False)
            f1 = lookup(s1)
            if f1 is not None and f1.cmds is not None:
                self.new_pattern_rule(PatternRule(["%"], ["%" + s1], [], f1.cmds, False,
                                                  None), override=False)
            for s2 in suffixes:
                if s1 == s2:
                    continue
                f = lookup(s1 + s2)
                if f is None or f.cmds is None:
                    continue
                if f.deps:
                    if self.posix:
                        continue
                    cm = f.cmds
                    where = f"{cm.filename}:{cm.lineno}: " if cm.filename else ""
                    self.err(f"{where}warning: ignoring prerequisites on suffix rule "
                             f"definition")
                if s2 == ".a":
                    self.new_pattern_rule(PatternRule(["(%.o)"], ["%" + s1], [], f.cmds,
                                                      False, None), override=False)
                self.new_pattern_rule(PatternRule(["%" + s2], ["%" + s1], [], f.cmds,
                                                  False, None), override=False)
        if self.opts.no_builtin_rules:
            return
        for terminal, table in ((False, BUILTIN_PATTERN_RULES),
                                (True, BUILTIN_TERMINAL_RULES)):
            for target, deps, recipe in table:
                self.new_pattern_rule(PatternRule([target], deps.split(), [],
                                                  Recipe([recipe], None, 0), terminal,
                                                  None), override=False)

    def read_makefile_file(self, name: str, flags: int, floc=None) -> bool:
        """read.c eval_makefile: read NAME if it exists (an included name that is not
        absolute is also looked for in the -I and default include directories, and
        recorded under the name found); record it as a makefile goal either way."""
        data = None
        error = None
        try:
            if self.fs.isdir(name, self.cwd):
                raise OSError(21, "Is a directory")
            data = self.fs.read(name, self.cwd)
        except OSError as e:
            error = e.strerror or "No such file or directory"
            if flags & RM_INCLUDED and not name.startswith("/"):
                for d in self.include_directories():
                    cand = d + "/" + name
                    if self.fs.isfile(cand, self.cwd):
                        name, data, error = cand, self.fs.read(cand, self.cwd), None
                        break
        f = self.files.enter(name)
        entry = [f, flags, False, None, floc]
        self.read_files.append(entry)
        if error is not None:
            if error == "Is a directory" and flags & RM_DONTCARE:
                return False
            entry[3] = error
            f.last_mtime = NONEXISTENT
            return False
        self.include_depth += 1
        if self.include_depth > MAX_INCLUDE_DEPTH:
            # read.c eval_makefile has no guard: a makefile that includes itself recurses
            # until make's stack is exhausted (SIGSEGV, nothing more printed)
            self.crash_reason = f"includes '{name}' within itself without end"
            raise StackOverflow(name)
        # GNU make reads bytes: those that are not UTF-8 travel as surrogate escapes,
        # as file names do (os.fsdecode), and are written back as they were
        text = data.decode("utf-8", "surrogateescape")
        self.event("read", file=name)
        reader = self.reader
        saved = reader.set_default
        if flags & RM_NO_DEFAULT_GOAL:
            reader.set_default = False
        try:
            reader.read_makefile(name, text)
        finally:
            self.include_depth -= 1
            reader.set_default = saved
        return True

    def do_include(self, names: list[str], dontcare: bool, floc) -> None:
        """read.c eval's include: each name (parse_file_seq has globbed them) read."""
        for n in names:
            self.read_makefile_file(n, RM_INCLUDED | (RM_DONTCARE if dontcare else 0), floc)

    def show_goal_error(self) -> None:
        g = self.goal_dep
        if g is None or len(g) < 5 or (g[1] & (RM_INCLUDED | RM_DONTCARE)) != RM_INCLUDED:
            return
        if g[3]:
            floc = g[4]
            where = f"{floc[0]}:{floc[1]}: " if floc else ""
            self.err(f"{where}{g[0].name}: {g[3]}")
            g[3] = None

    # ------------------------------------------------------------------ main
    def main(self) -> int:
        try:
            status = self._main()
        except ReExec:
            raise
        except MakeFatal as e:
            status = e.status
        except UnsupportedSyntax as e:
            self.sim.unsupported.append(e.message)
            self.err(f"kbsim: {e.message}")
            status = 2
        except MakeError as e:
            self.err(e.make_text(self.prog))
            status = 2
        except LoopsForever as e:
            # GNU make 4.3 never exits here (remake.py update_goal_chain); kbsim stops
            # with the status timeout(1) gives a command it has to kill.
            return self._stop_where_make_would_not(
                f"GNU make 4.3 loops for ever in update_goal_chain: goal(s) "
                f"{' '.join(repr(g) for g in e.goals)} can never be finished "
                f"(a '::' goal after a -q answer); kbsim stops there", HANG_STATUS)
        except (RecursionError, StackOverflow):
            if self.crash_reason is not None:
                return self._stop_where_make_would_not(
                    f"GNU make 4.3 {self.crash_reason} and dies with SIGSEGV; kbsim stops "
                    f"there", SIGSEGV_STATUS)
            if self.reentered is None:
                self.err(f"{self.prog}: *** kbsim: the dependency graph is nested too "
                         f"deeply for kbsim's recursion limit.  Stop.")
                return self.die(2)
            # GNU make 4.3 recurses without end here (remake.c update_file_1 re-enters
            # a file from its intermediate pass) and is killed by SIGSEGV: no further
            # output, no cleanup; a shell reports the status as 128 + 11.
            return self._stop_where_make_would_not(
                f"GNU make 4.3 recurses without end through '{self.reentered}' "
                f"(update_file_1 re-enters it from the intermediate pass) and "
                f"dies with SIGSEGV; kbsim stops there", SIGSEGV_STATUS)
        return self.die(status)

    def stop_nesting(self, limit: int) -> int:
        """A sub-make deeper than LIMIT levels (sim.py MAX_MAKELEVEL): GNU make would go
        on starting sub-makes until fork fails; kbsim stops as for a make that never
        exits."""
        return self._stop_where_make_would_not(
            f"sub-makes nested more than {limit} levels deep (MAKELEVEL {self.level}): GNU "
            f"make 4.3 would go on starting them until fork fails; kbsim stops there",
            HANG_STATUS)

    def _stop_where_make_would_not(self, warning: str, status: int) -> int:
        """End this process as the real make ends where it never finishes (a hang, a
        crash): no cleanup or messages of its own, only kbsim's warning and STATUS."""
        self.sim.warn(warning)
        self.dying = True
        self.exit_status = status
        return status

    def die(self, status: int) -> int:
        if not self.dying:
            self.dying = True
            if status:  # main.c die: reap_children (1, err), err = status != 0
                self.say_waiting()
            while self.children:
                try:
                    self.reap_children(True)
                except MakeFatal:
                    status = 2
            try:
                self.remove_intermediates()
            except MakeFatal:
                status = 2
            if self.output_context is not None:
                buf, self.output_context = self.output_context, None
                self.output_dump(buf)
            if self.traced:
                self.write("out", f"{self.prog}: Leaving directory '{self.cwd}'\n")
        self.exit_status = status
        return status

    def _main(self) -> int:
        opts = self.opts
        if self.jobserver_note is not None:
            self.err(f"{self.prog}: {self.jobserver_note}")
        if opts.print_version:
            # main.c: -v prints the version and exits (die (MAKE_SUCCESS))
            self.out(VERSION_TEXT)
            return 0
        self.read_phase()
        return self.update_phase()

    def read_phase(self) -> None:
        """main.c up to reading the makefiles and snapping their special targets: what a
        make process knows before it updates anything (kbsim.plan caches this phase)."""
        opts = self.opts
        if opts.print_data_base or opts.debug_all:
            raise UnsupportedSyntax("the -p and -d options (make's data base and debug "
                                    "output)")
        for d in opts.directories:
            new = d if d.startswith("/") else posixpath.join(self.cwd, d)
            new = posixpath.normpath(new)
            if new.startswith("//"):
                new = new[1:]
            if not self.fs.isdir(new):
                # main.c: -C fails before -w is turned on, so no "Entering directory"
                self.print_directory = False
                self.fatal(f"{d}: No such file or directory")
            self.cwd = new
        self.define_defaults()
        # main.c handle_non_switch_argument: the goals' entries, kept (a vpath search
        # while the makefiles are remade can give one another table name)
        goal_files = self.goal_files = [self.files.enter(g) for g in opts.goals]
        for f in goal_files:
            f.cmd_target = True
        self.reader = Reader(self)
        if self.output_sync not in (None, "line", "target", "recurse"):
            self.fatal(f"unknown output-sync type '{self.output_sync}'")
        if self.output_sync in ("line", "target"):
            # main.c: what reading the makefiles prints is synchronized too (make_sync)
            self.output_context = []
        if opts.eval_strings:
            # main.c: each --eval string is read (eval_buffer) before the makefiles, and
            # $(-*-eval-flags-*-) passes them to sub-makes through MAKEFLAGS
            for text in opts.eval_strings:
                self.reader.eval(text, "", None)
            self.variables["-*-eval-flags-*-"] = Variable(
                "-*-eval-flags-*-", " ".join("--eval=" + quote_for_env(t)
                                             for t in opts.eval_strings),
                False, "automatic")
        mfs = self.variables.get("MAKEFILES")
        if mfs is not None and mfs.value:
            # read.c read_all_makefiles: the files of $(MAKEFILES) first, as included
            # makefiles that may be missing and that do not set the default goal
            for name in self.expander.expand(mfs.value).split():
                self.read_makefile_file(name, RM_INCLUDED | RM_DONTCARE | RM_NO_DEFAULT_GOAL)
        if opts.makefiles:
            for mf in opts.makefiles:
                if not self.read_makefile_file(mf, 0):
                    # read.c read_all_makefiles: perror_with_name for a missing -f file
                    self.err(f"{self.prog}: {mf}: {self.read_files[-1][3]}")
        else:
            # read.c read_all_makefiles: file_exists_p, so the directory is read into
            # make's cache now, before any recipe runs (dir.c never reads it again)
            for cand in ("GNUmakefile", "makefile", "Makefile"):
                if self.file_exists_p(cand):
                    self.read_makefile_file(cand, 0)
                    break
        # main.c sets always_make_flag before reading (so a makefile's 'MAKEFLAGS += -B'
        # does not force the makefiles, only the goals)
        self.always_make_set = opts.always_make
        jobs_before = opts.jobs
        builtin_rules = not opts.no_builtin_rules
        builtin_variables = not opts.no_builtin_variables
        self.decode_makeflags()
        if builtin_rules and opts.no_builtin_rules:
            self.drop_builtin_rules()
        if builtin_variables and opts.no_builtin_variables:
            # default.c undefine_default_variables: those the makefiles left as they were
            v = self.variables
            for name, _value in BUILTIN_VARIABLES:
                old = v.get(name)
                if old is not None and old.origin == "default":
                    del v[name]
        if opts.jobs != jobs_before:
            self.jobs_from_makefile()
        apply_special_targets(self)
        self.convert_to_pattern()
        self.build_vpath_lists()  # main.c: after reading, before -o/-W
        if self.output_context is not None:
            # main.c: "Dump any output we've collected" (make_sync); and without
            # parallel jobs there is nothing to synchronize
            buf, self.output_context = self.output_context, None
            self.output_dump(buf)
        if self.output_sync is not None and self.job_slots == 1:
            self.output_sync = None
        for n in opts.old_files:
            self.mark_old(n)
        if not self.restarts:
            for n in opts.what_if:
                self.mark_new(n)

    def update_phase(self) -> int:
        """main.c from remaking the makefiles to the end of the goal update."""
        opts = self.opts
        # main.c: update the makefiles, and re-exec if one was remade
        # main.c: always_make_flag = always_make_set && restarts == 0 while the makefiles
        # are remade (so -B cannot re-exec for ever), always_make_set for the goals
        self.always_make = self.always_make_set and not self.restarts
        if self.read_files:
            self.define_makeflags(True, True)
            self.remake_makefiles()
        self.define_makeflags(True, False)
        self.always_make = opts.always_make
        if self.restarts:
            for n in opts.what_if:
                self.mark_new(n)
        goals = [[f, 0, False] for f in self.goal_files]
        if not goals:
            dg = self.variables.get(".DEFAULT_GOAL")
            name = ""
            if dg is not None:
                name = self.expander.expand(dg.value) if dg.recursive else dg.value
            if name:
                # main.c: the value names a file as it is; else it is parsed as a list
                # of names, which must hold one
                f = self.files.lookup(name)
                if f is None:
                    names = parse_file_seq(name)[0]
                    if len(names) > 1:
                        self.fatal(".DEFAULT_GOAL contains more than one target")
                    f = self.files.enter(names[0]) if names else None
                if f is not None:
                    goals = [[f, 0, False]]
        if not goals:
            mfl = self.variables.get("MAKEFILE_LIST")
            if mfl and mfl.value.strip():
                self.fatal("No targets")
            self.fatal("No targets specified and no makefile found")
        status = self.update_goal_chain(goals)
        makefile_status = self.makefile_status  # 2 if a makefile failed to be remade
        if status == US_QUESTION:
            makefile_status = 1
        elif status == US_FAILED:
            makefile_status = 2
        if self.clock_skew_detected:
            self.err(f"{self.prog}: warning:  Clock skew detected.  Your build may be incomplete.")
        return makefile_status

    def define_makeflags(self, all_: bool, makefile: bool) -> None:
        """main.c define_makeflags: MAKEFLAGS (origin 'file', or 'environment override'
        under -e) and MFLAGS from the switches now in force."""
        mf, mflags = define_makeflags(self.opts, self.print_directory, all_, makefile,
                                      self.job_slots == 0)
        e = self.opts.environment_overrides  # variable.c: o_env and o_file become
        v = self.variables["MAKEFLAGS"] = Variable(  # o_env_override under -e
            "MAKEFLAGS", mf, True, "environment override" if e else "file", True)
        self.makeflags_var = v
        self.variables["MFLAGS"] = Variable(
            "MFLAGS", mflags, True, "environment override" if e else "environment")

    def decode_makeflags(self) -> None:
        """main.c: after reading the makefiles, decode_env_switches (MAKEFLAGS) takes the
        switches a makefile added (``MAKEFLAGS += -s``)."""
        v = self.variables.get("MAKEFLAGS")
        if v is None or v is self.makeflags_var:
            return  # (as written from the switches: reading it back changes nothing)
        value = self.expander.expand(v.value) if v.recursive else v.value
        opts = self.opts
        decode_makeflags(value, opts)
        self.just_print_flag = opts.just_print
        self.question_flag = opts.question
        self.touch_flag = opts.touch
        self.keep_going = opts.keep_going
        self.silent = opts.silent
        self.ignore_errors = opts.ignore_errors

    def jobs_from_makefile(self) -> None:
        """main.c: the jobserver is set up after the makefiles are read, so a top-level
        make whose makefile adds -jN (``MAKEFLAGS += -j2``) runs N jobs. (A sub-make
        keeps the slots it started with: kbsim does not model -j forced in a sub-make.)"""
        from .sim import Jobserver
        sim = self.sim
        if self.level != 0 or self.jobserver is not None or self.opts.jobs == 1:
            return
        js = self.jobserver = sim.jobserver = Jobserver(self.opts.jobs)
        js.sim = sim
        self.job_slots = 0 if js.limited else None

    def remake_makefiles(self) -> None:
        entries = []
        mtimes = []
        # read.c eval_makefile puts each makefile at the FRONT of read_files as it starts
        # reading it: main.c walks them last read first (an included file before the
        # makefile that includes it, 'include a b' as b then a)
        for rf in reversed(self.read_files):
            f = rf[0]
            dc = f.double_colon
            skip = False
            while dc is not None:
                if not dc.deps and dc.cmds is not None:
                    skip = True
                    break
                dc = dc.prev
            if skip:
                continue
            entries.append(rf)
            mtimes.append(self.file_mtime(f, False))
        self.rebuilding_makefiles = True
        try:
            goals = [[rf[0], rf[1], False, rf[3], rf[4]] for rf in entries]
            status = self.update_goal_chain(goals)
        finally:
            self.rebuilding_makefiles = False
        if status == US_SUCCESS:
            self.remove_intermediates()
            raise ReExec()
        if status == US_FAILED:
            any_remade = False
            any_failed = False
            for rf, before in zip(entries, mtimes):
                f = rf[0]
                if f.updated:
                    if f.update_status == US_SUCCESS:
                        any_remade |= self.file_mtime(f, False) != before
                    elif not rf[1] & RM_DONTCARE:
                        self.err(f"{self.prog}: Failed to remake makefile '{f.name}'.")
                        self.makefile_status = 2  # main.c: MAKE_FAILURE, the exit status
                        m = self.file_mtime(f, False)
                        any_remade |= m != NONEXISTENT and m != before
                elif not rf[1] & RM_DONTCARE:
                    if rf[1] & RM_INCLUDED:
                        self.err(f"{self.prog}: Included makefile '{f.name}' was not found.")
                    else:
                        self.err(f"{self.prog}: Makefile '{f.name}' was not found")
                        any_failed = True
            if any_remade:
                self.remove_intermediates()
                raise ReExec()
            if any_failed:
                raise MakeFatal("makefile")

    def remove_intermediates(self) -> None:
        """file.c remove_intermediates: delete intermediate files this run made."""
        if self.question_flag or self.touch_flag or self.all_secondary:
            return
        removed = []
        doomed = [f for f in self.files
                  if f.intermediate and (f.dontcare or not f.precious) and not f.secondary
                  and not f.cmd_target and f.update_status != US_NONE]
        if len(doomed) > 1:
            doomed = self.files.hash_order(doomed)  # (make's table order)
        for f in doomed:
            if not self.just_print_flag and not self.fs.remove(f.name, self.cwd):
                continue
            if not f.dontcare:
                removed.append(f.name)
        if removed and not self.silent:
            self.out("rm " + " ".join(removed) + "\n")

    # ------------------------------------------------------------------ jobs
    def set_file_variables(self, file: FileEntry) -> dict[str, str]:
        """commands.c set_file_variables: $@ $< $^ $+ $? $| $*.

        Followed step by step: $< and $+ come first, from the order-only flags as read;
        then a hash on the name keeps the FIRST dep of each name, and when a name occurs
        both order-only and normal, both dep entries are upgraded to normal
        (``d->ignore_mtime = hd->ignore_mtime = 0``, a lasting change to the target's
        deps). $^/$?/$| list the first entry of each name at its position, with that
        entry's 'changed' flag.
        """
        deps = file.deps
        oo = file.oo
        changed = file.dep_changed or []
        always = self.always_make
        at, pct = file.name, ""
        if at[-1:] == ")" and ar_name(at):
            at, pct = split_name(at)  # 'lib(member)': $@ is lib, $% the member
        if file.n_extra:
            # (.EXTRA_PREREQS: ignore_automatic_vars)
            n = len(deps) - file.n_extra
            deps = deps[:n]
            oo = oo[:n] if oo is not None else None
            changed = changed[:n]
        if oo is None and (always or True not in changed):
            # No order-only deps and no 'changed' flag set (or -B): the steps below come
            # down to the names, the first occurrence of each, and $? empty (or all).
            names = list(map(_NAME, deps))
            caret = list(dict.fromkeys(names))
            less = next(filter(None, names), "")
            if file.cmds is not None and self.default_file is not None and \
                    file.cmds is self.default_file.cmds:
                less = file.name
            return {"@": at, "<": less, "^": " ".join(caret), "+": " ".join(names),
                    "?": " ".join(caret) if always else "", "|": "",
                    "*": self.stem_of(file), "%": pct}
        if oo is None:
            # No order-only deps (the steps below without the order-only cases), in C
            # where possible: $? takes the 'changed' flag of each name's first entry.
            names = list(map(_NAME, deps))
            caret = list(dict.fromkeys(names))
            if len(caret) == len(names):
                qmark = list(compress(names, changed))
            else:
                first = dict(zip(reversed(names), range(len(names) - 1, -1, -1)))
                nch = len(changed)
                qmark = [n for n in caret if first[n] < nch and changed[first[n]]]
            less = next(filter(None, names), "")
            if file.cmds is not None and self.default_file is not None and \
                    file.cmds is self.default_file.cmds:
                less = file.name
            return {"@": at, "<": less, "^": " ".join(caret), "+": " ".join(names),
                    "?": " ".join(qmark), "|": "", "*": self.stem_of(file), "%": pct}
        less = ""
        plus = []
        for i, d in enumerate(deps):
            if not (oo is not None and oo[i]):
                if not less:
                    less = d.name
                plus.append(d.name)
        first: dict[str, int] = {}
        for i, d in enumerate(deps):
            j = first.setdefault(d.name, i)
            if j != i and oo is not None and oo[i] != oo[j]:
                oo[i] = oo[j] = False
        caret = []
        qmark = []
        bar = []
        for i, d in enumerate(deps):
            if first[d.name] != i:
                continue
            if oo is not None and oo[i]:
                bar.append(d.name)
            else:
                caret.append(d.name)
                if (i < len(changed) and changed[i]) or always:
                    qmark.append(d.name)
        if file.cmds is not None and self.default_file is not None and \
                file.cmds is self.default_file.cmds:
            less = file.name
        return {"@": at, "<": less, "^": " ".join(caret), "+": " ".join(plus),
                "?": " ".join(qmark), "|": " ".join(bar), "*": self.stem_of(file), "%": pct}

    def stem_of(self, file: FileEntry) -> str:
        """commands.c set_file_variables: $* is the stem of a pattern rule; for another
        rule, the name without the first suffix of .SUFFIXES it ends in (for an archive
        member, the member's), kept as the file's stem; else empty."""
        if file.stem is not None:
            return file.stem
        sfx = self.files.files.get(".SUFFIXES")
        if sfx is None or not sfx.deps:
            return ""
        name = file.name
        if ar_name(name):
            name = name[name.index("(") + 1:-1]
        for d in sfx.deps:
            s = d.name
            if len(name) > len(s) and name.endswith(s):
                file.stem = name[:-len(s)]
                return file.stem
        file.stem = ""
        return ""

    def execute_file_commands(self, file: FileEntry) -> None:
        if file.cmds.is_empty():
            self.set_command_state(file, CS_RUNNING)
            file.update_status = US_SUCCESS
            self.notice_finished_file(file)
            return
        walk, loop = parent_walk(file, collect=bool(self.target_vars or self.pattern_vars))
        if loop:
            # variable.c initialize_file_variables, which execute_file_commands calls,
            # walks up the 'parent' links (the file that last visited each one as a
            # prerequisite) with no end test but the top: a chain that loops recurses
            # until make dies of SIGSEGV
            self.crash_reason = (
                f"recurses without end in initialize_file_variables: the 'parent' links "
                f"from '{file.name}' loop ({' <- '.join(loop)})")
            raise StackOverflow(file.name)
        self.new_job(file, scope_of(self, walk))

    def new_job(self, file: FileEntry, scope: list[dict] | None) -> None:
        """job.c new_job; SCOPE: the target and pattern variable sets in force."""
        self.start_waiting_jobs()
        self.reap_children(False)
        cmds = file.cmds
        exp = self.expander
        autos = exp.auto = self.set_file_variables(file)
        exp.scope = scope
        lines = []
        self.expanding_recipe = (cmds.filename, cmds.lineno)
        try:
            if self.one_shell:
                # commands.c chop_commands under .ONESHELL: the recipe is one line
                exp.floc = (cmds.filename, cmds.lineno)
                lines.append(exp.expand("\n".join(cmds.lines)))
            else:
                for k, raw in enumerate(cmds.lines):
                    exp.floc = (cmds.filename, cmds.lineno + k)
                    if "\\\n" in raw and "$" in raw:
                        raw = _collapse_in_references(raw)
                    lines.append(exp.expand(raw))
        finally:
            exp.auto = None
            exp.scope = None
            self.expanding_recipe = None
        origin = None
        if "\n" in "".join(lines):
            prefix = cmds.prefix
            if any("\n" + prefix in ln for ln in lines):
                # job.c start_job_command: a recipe prefix after a backslash-newline is
                # dropped (POSIX), so neither the echo nor the shell sees it
                lines = [ln.replace("\n" + prefix, "\n") for ln in lines]
            if not self.one_shell:
                lines, origin = _split_command_lines(lines)
        c = Child(self, file, lines, origin, file.dontcare)
        if self.job_slots == 1 or self.not_parallel:
            while len(self.children) >= 1:
                self.reap_children(True)
        elif self.job_slots == 0:
            js = self.jobserver
            while True:
                if self.jobserver_tokens == 0:
                    break
                self.reap_children(False)
                if self.jobserver_tokens == 0:
                    break
                if js.try_acquire(self):
                    break
                self.wait("token")
        elif self.job_slots is not None:
            while len(self.children) >= self.job_slots:
                self.reap_children(True)
        if self.opts.load_average and self.children:
            # job.c start_waiting_job: with a job running, wait while load_too_high();
            # kbsim's load average is the number of recipe lines running in the
            # whole simulation (docs/make-semantics.md)
            limit = _load_limit(self.opts.load_average)
            while self.children and limit is not None and sum(
                    len(p.children) for p in self.sim.processes) >= limit:
                self.reap_children(True)
        self.jobserver_tokens += 1
        if self.opts.trace or self.opts.debug_why:
            self.trace_why(file, autos)
        # job.c start_waiting_job
        self.start_job_command(c)
        st = file.command_state
        if st == CS_RUNNING:
            self.children.append(c)
        else:
            if st == CS_NOT_STARTED:
                file.update_status = US_SUCCESS
            self.notice_finished_file(file)
            self.free_child(c)
        if self.job_slots == 1 or self.not_parallel:
            while file.command_state == CS_RUNNING:
                self.reap_children(True)

    def trace_why(self, file: FileEntry, autos: dict[str, str]) -> None:
        cm = file.cmds
        nm = f"{cm.filename}:{cm.lineno}" if cm.filename else "<builtin>"
        exp = self.expander
        # the $? that set_file_variables defined for this job (it is computed once: its
        # order-only upgrade changes the deps, so a second call could differ)
        exp.auto = autos
        try:
            newer = exp.lookup("?")
        finally:
            exp.auto = None
        if self.opts.debug_why:
            # 4.4 job.c: 'update target 'T' due to: REASON'
            if file.phony:
                why = "target is .PHONY"
            elif self.file_mtime_cached(file) == NONEXISTENT:
                why = "target does not exist"
            elif newer:
                why = newer
            else:
                why = "unknown reasons"
            self.out(f"{nm}: update target '{file.name}' due to: {why}\n")
        elif newer:
            self.out(f"{nm}: update target '{file.name}' due to: {newer}\n")
        else:
            self.out(f"{nm}: target '{file.name}' does not exist\n")

    def file_mtime_cached(self, f: FileEntry) -> int:
        return f.mtime_before_update if f.mtime_before_update != UNKNOWN else f.last_mtime

    def start_waiting_jobs(self) -> None:
        return None

    def _line_silent(self, file: FileEntry) -> bool:
        sf = self.silent_files
        return sf is True or (isinstance(sf, set) and file.name in sf)

    def start_job_command(self, c: Child) -> None:
        """job.c start_job_command, one recipe line at a time."""
        file = c.file
        while True:
            if c.idx >= len(c.lines):
                # no more commands (all skipped under -n, -t, or empty)
                self.set_command_state(file, CS_RUNNING)
                file.update_status = US_SUCCESS
                self.notice_finished_file(file)
                return
            k = c.idx
            p = c.lines[k]
            c.idx += 1
            silent = self._line_silent(file)
            noerror = self.ignore_errors or self.ignore_files is True or (
                isinstance(self.ignore_files, set) and file.name in self.ignore_files)
            flags = file.cmds.recurse_flags
            if c.origin is not None:
                k = c.origin[k]
            recurse = flags[k] if k < len(flags) else False
            if c.origin is not None and k < len(file.cmds.line_prefixes):
                pre = file.cmds.line_prefixes[k]
                silent |= "@" in pre
                noerror |= "-" in pre
            if self.one_shell:  # (one line: a $(MAKE) anywhere in it)
                recurse = flags[0] or any("$(MAKE)" in ln or "${MAKE}" in ln
                                          for ln in file.cmds.lines)
            i = 0
            while i < len(p) and p[i] in "@+- \t":
                if p[i] == "@":
                    silent = True
                elif p[i] == "+":
                    if not recurse and k < len(flags):
                        # job.c start_job_command: a '+' the expansion brought keeps its
                        # mark on the recipe's line ("lines_flags |= COMMANDS_RECURSE"),
                        # which notice_finished_file reads under -n, -q and -t
                        flags[k] = True
                        file.cmds.any_recurse = True
                    recurse = True
                elif p[i] == "-":
                    noerror = True
                i += 1
            p = p[i:]
            if self.one_shell:
                p = _oneshell_script(p)
            c.noerror = noerror
            c.recursive = recurse
            if not p.strip(" \t\n") or ("\\\n" in p and not p.replace("\\\n", "").strip(" \t\n")):
                continue  # (job.c: a line of blanks and backslash-newlines runs nothing)
            if self.question_flag and not recurse:
                file.update_status = US_QUESTION
                self.notice_finished_file(file)
                return
            if self.touch_flag and not recurse:
                continue
            # job.c: this line's output is synchronized under -O unless it is recursive
            # (all of them under -Orecurse); the output held so far goes out first
            sync = self.output_sync is not None and (self.output_sync == "recurse"
                                                     or not recurse)
            if sync:
                if c.buf is None:
                    c.buf = []
            elif c.buf:
                self.output_dump(c.buf)
            if self.just_print_flag or self.opts.trace or (not silent and not self.silent):
                if sync:
                    c.buf.append(("out", p + "\n"))
                else:
                    self.out(p + "\n")
            self.commands_started += 1
            if self.just_print_flag and not recurse:
                continue
            # job.c: "We're sure we're going to invoke a command: set up the output."
            # (output.c output_start: under -Orecurse too, the 'Entering directory'
            # line goes to this make's stdout, which its parent is collecting)
            self.output_start()
            c.line_text = p
            self.run_line(c, p)
            self.set_command_state(file, CS_RUNNING)
            return

    def run_line(self, c: Child, line: str) -> None:
        ctx = ShellContext(self, c.file.name, line)
        ctx.recursive = c.recursive
        sh = self.variables.get("SHELL")
        fl = self.variables.get(".SHELLFLAGS")
        if (sh is not None and sh.value != "/bin/sh") or (fl is not None and fl.value != "-c") \
                or self.shell_target_vars:
            # job.c construct_command_argv: '$(SHELL) $(.SHELLFLAGS) LINE', both
            # expanded for the target
            exp = self.expander
            saved = exp.scope
            exp.scope = scope_of(self, parent_walk(c.file)[0])
            try:
                shell = exp.lookup("SHELL")
                flags = exp.lookup(".SHELLFLAGS")
            finally:
                exp.scope = saved
            set_recipe_shell(ctx, shell, flags)
        if c.buf is not None and (self.output_sync == "recurse" or not c.recursive):
            ctx.sink = c.buf
        c.ctx = ctx
        if self.sim.tracing:
            self.event("run", target=c.file.name, line=line)
        gen = self.sim.shell.run_line(ctx, line, self.opts.recipe_ns)
        self.sim.drive(gen, lambda status: self._line_finished(c, status))

    def shell_function(self, command: str, floc) -> tuple[str, int]:
        """function.c func_shell_base: run COMMAND to completion while make waits, and
        return its standard output and exit status. Simulated commands act at once (no
        simulated time passes); a command kbsim does not model stops with a clear error
        rather than a guessed output."""
        out: list[str] = []
        ctx = ShellContext(self, None, command, capture=out)
        gen = self.sim.shell.run_line(ctx, command, 0)
        try:
            while True:
                gen.send(None)  # (a delay: no simulated time passes)
        except StopIteration as e:
            status = int(e.value or 0)
        except UnsupportedShell as e:
            raise UnsupportedSyntax(f"{e} inside $(shell ...)", floc) from None
        return "".join(out), status

    def _line_finished(self, c: Child, status: int) -> None:
        c.status = status
        self.dead.append(c)
        if self.waiting is not None:
            self.sim.wake(self)

    def free_child(self, c: Child) -> None:
        """job.c free_child: give back the jobserver token this job held."""
        if c in self.children:
            self.children.remove(c)
        if self.jobserver_tokens > 1 and self.job_slots == 0 and self.jobserver is not None:
            self.jobserver.release()
        if self.jobserver_tokens > 0:
            self.jobserver_tokens -= 1

    def reap_children(self, block: bool) -> None:
        """job.c reap_children: handle dead children; with BLOCK, wait for one first."""
        while self.children:
            if not self.dead:
                if not block:
                    return
                self.wait("child")
                continue
            c = self.dead.popleft()
            block = False
            file = c.file
            status = c.status
            failed = 0  # job.c child_failed: MAKE_SUCCESS, MAKE_TROUBLE or MAKE_FAILURE
            if status != 0:
                # job.c reap_children: a recursive line exiting 1 under -q is a sub-make
                # answering "something to do" (MAKE_TROUBLE), not an error
                failed = 1 if status == 1 and self.question_flag and c.recursive else 2
                if c.noerror:
                    self.child_error(c, status, True)
                    failed = 0
                else:
                    if failed == 2 and not c.dontcare:
                        self.child_error(c, status, False)
                    file.update_status = US_FAILED if failed == 2 else US_QUESTION
                    self.delete_target(c)
            if not failed:
                if c.idx < len(c.lines):
                    if self.output_sync == "line" and c.buf:
                        self.output_dump(c.buf)  # (the previous line's, first)
                    self.start_job_command(c)
                    if file.command_state == CS_RUNNING:
                        continue
                else:
                    file.update_status = US_SUCCESS
            if c.buf:
                self.output_dump(c.buf)  # job.c: "Synchronize any remaining output."
            self.notice_finished_file(file)
            self.free_child(c)
            if failed and not self.keep_going and not self.dying and not c.dontcare:
                if self.job_slots != 1:
                    self.say_waiting()
                raise MakeFatal("child failed", status=failed)  # job.c: die (child_failed)

    def say_waiting(self) -> None:
        """job.c reap_children(block=1, err=1), as die() calls it after an error: while
        children are left, 'Waiting for unfinished jobs....', once per make process."""
        if self.children and not self.waiting_said:
            self.waiting_said = True
            self.err(f"{self.prog}: *** Waiting for unfinished jobs....")

    def child_error(self, c: Child, status: int, ignored: bool) -> None:
        cm = c.file.cmds
        k = c.idx - 1 if c.origin is None else c.origin[c.idx - 1]
        nm = f"{cm.filename}:{cm.lineno + k}" if cm.filename else "<builtin>"
        self.record_error("recipe-failed", c.file.name)
        if ignored and self.silent:
            return
        # job.c child_error (with the job's output context: under -O its message goes
        # with the job's output): the error of the included makefile being remade first
        saved = self.output_context
        if c.buf is not None:
            self.output_context = c.buf
        try:
            self.show_goal_error()
            if ignored:
                self.err(f"{self.prog}: [{nm}: {c.file.name}] Error {status} (ignored)")
            else:
                self.err(f"{self.prog}: *** [{nm}: {c.file.name}] Error {status}")
        finally:
            self.output_context = saved

    def delete_target(self, c: Child) -> None:
        f = c.file
        if not self.delete_on_error or f.precious or f.phony:
            return
        st = self.fs.mtime(f.name, self.cwd)
        if st is None:
            return
        before = f.last_mtime
        if before == UNKNOWN or st + 3 != before:
            if self.fs.remove(f.name, self.cwd):
                self.err(f"{self.prog}: *** Deleting file '{f.name}'")

    def wait(self, what: str) -> None:
        self.waiting = what
        self.sim.block(self)
        self.waiting = None

    # ------------------------------------------------------------------ sub-makes
    def is_make_command(self, name: str) -> bool:
        mk = self.sim.make_program
        return name == mk or name.endswith("/" + mk)

    def jobserver_reset(self, how: str | None) -> None:
        """main.c, a sub-make given the parent's jobserver in MAKEFLAGS: with a -jN of
        its own it starts one of its own ("-jN forced in submake"); started by a line
        make did not know was recursive, it cannot reach the parent's (its descriptors
        were closed) and runs serially ("jobserver unavailable")."""
        if how is None:
            return
        from .sim import Jobserver
        if how == "unavailable":
            self.jobserver = None
            self.job_slots = 1
            self.opts.jobs = 1
            self.jobserver_note = ("warning: jobserver unavailable: using -j1.  Add '+' "
                                   "to parent make rule.")
            return
        jobs = self.opts.jobs
        self.jobserver_note = (f"warning: -j{jobs if jobs is not None else 0} forced in "
                               f"submake: resetting jobserver mode.")
        if jobs == 1:
            self.jobserver = None
            self.job_slots = 1
            return
        js = self.jobserver = Jobserver(jobs)
        js.sim = self.sim
        self.job_slots = 0 if js.limited else None

    def submake_handler(self, ctx: ShellContext, argv: list[str], io):
        opts = self.child_options(argv[1:])
        reset = None
        if self.jobserver is not None and self.jobserver.limited and self.job_slots != 1:
            # (the child finds --jobserver-auth in its MAKEFLAGS)
            if _gives_jobs(argv[1:]):
                reset = "forced"
            elif not ctx.recursive:
                reset = "unavailable"
        env = self.recipe_env(ctx.target)
        for name, value in ctx.child_env().items():  # the shell's exports and prefixes
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        # (its output goes where this line's goes: the job's buffer under -O)
        handle = self.sim.spawn(opts, ctx.cwd, self.level + 1, self, env=env,
                                sink=ctx.sink if ctx.sink is not None else self.sink,
                                jobserver_reset=reset)
        status = yield ("wait", handle)
        return status

    def child_options(self, args: list[str]) -> MakeOptions:
        """MAKEFLAGS: the child inherits our switches (those a makefile added too) and
        command-line variables, but not -C, -f, -o or -W (main.c switches[]: toenv 0);
        while makefiles are remade, not -n, -q or -t either (define_makeflags (1, 1))."""
        o = self.opts
        remaking = self.rebuilding_makefiles
        # main.c define_makeflags: the variable definitions travel as ' -- $(MAKEOVERRIDES)'
        # (a makefile may change MAKEOVERRIDES: emptied, nothing is passed down)
        variables = o.variables
        mo = self.variables.get("MAKEOVERRIDES")
        if mo is None:
            variables = []
        elif mo.value != "${-*-command-variables-*-}" or not mo.recursive:
            text = self.expander.expand(mo.value) if mo.recursive else mo.value
            variables = []
            for w in split_env_words(text):
                m = _ASSIGN.match(w)
                if m:
                    variables.append((m.group(1), m.group(2), m.group(3)))
        base = o.copy(
            variables=list(variables),
            directories=[], makefiles=[], goals=[], what_if=[], old_files=[],
            just_print=o.just_print and not remaking, question=o.question and not remaking,
            touch=o.touch and not remaking,
            # 'w' is in MAKEFLAGS whenever this make prints directories (main.c turns
            # print_directory_flag on for a sub-make or -C unless -s), so the child
            # prints them even under -s; --no-print-directory passes down too
            print_directory=(False if o.print_directory is False else
                             True if self.print_directory else None))
        return parse_make_args(args, base)

    def recipe_env(self, target: str | None) -> dict[str, str]:
        """job.c target_environment: the environment of TARGET's recipe, its target
        (and pattern) variables in force."""
        f = self.files.lookup(target) if target is not None else None
        scope = scope_of(self, parent_walk(f)[0]) if f is not None else None
        return self.exported_env(scope)

    def exported_env(self, scope: list[dict] | None = None) -> dict[str, str]:
        """The environment of a recipe: the exported variables, with SCOPE (the target
        and pattern variable sets of the recipe's target) in force: a target variable
        takes its global namesake's export, or its own 'export' (variable.c)."""
        env = dict(self.env)
        every = self.export_all
        names = []
        for name, v in self.variables.items():
            e = v.export
            if e is False:  # 'unexport NAME' (an environment variable too)
                env.pop(name, None)
            elif (e and v.origin != "default") or (
                    every and e is None and v.origin not in ("default", "automatic")
                    and _EXPORTABLE.match(name) and name != "SHELL"):
                # (main.c: SHELL from the environment is v_noexport; the recipe gets
                # the environment's value, not the makefile's)
                names.append(name)
        for tv in scope or ():  # (a target variable is exported, or v_default)
            names += [name for name, v in tv.items()
                      if v.export or (every and _EXPORTABLE.match(name))]
        exp = self.expander
        saved = exp.scope
        exp.scope = scope
        try:
            for name in dict.fromkeys(names):
                env[name] = exp.lookup(name)
        finally:
            exp.scope = saved
        env["MAKELEVEL"] = str(self.level + 1)  # job.c target_environment: the child's
        return env
