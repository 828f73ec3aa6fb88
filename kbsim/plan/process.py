"""PlanProcess: one make process run from a frozen Plan instead of its makefiles.

It stands where a ``MakeProcess`` would (kbsim/make/process.py): the same simulation,
greenlet, jobserver and shell, the same pid sequence and output. Its file table is the
Plan's tuples copied into per-run lists, indexed by entry number; the update logic is a
port of the reference's remake.py (plan/remake.py), job.c (plan/jobs.py) and the implicit
search (plan/implicit.py) onto those lists. Everything that does not touch file entries
(output, the directory cache, $(wildcard), sub-makes, the pattern rule candidates) is the
reference's own code, borrowed method by method, so the two tiers cannot drift there.
"""

from __future__ import annotations

from collections import deque

from ..make.errors import MakeError, UnsupportedSyntax
from ..make.expand import Expander, VariableNames
from ..make.filedb import (CS_NOT_STARTED, UNKNOWN, US_FAILED, US_NONE, US_QUESTION,
                           hash_slots, strip_dot_slash)
from ..make.readtext import ar_name
from ..make.implicit import Implicit
from ..make.process import HANG_STATUS, SIGSEGV_STATUS, MakeProcess, ReExec
from ..make.remake import LoopsForever, MakeFatal, StackOverflow
from .freeze import Plan
from .implicit import PlanImplicit
from .jobs import PlanJobs
from .recipe import one_word_each
from .remake import PlanRemake

RM_INCLUDED, RM_DONTCARE = 1, 2


class PlanProcess(PlanRemake, PlanImplicit, PlanJobs):
    """A make process whose read phase is PLAN (see the module docstring)."""

    tier = "plan"
    vpath_on = False  # freeze refuses vpath
    renames = False
    one_shell = False
    always_make = False
    question_flag = False
    touch_flag = False

    def __init__(self, sim, plan: Plan, level: int, restarts: int, env: dict[str, str],
                 parent, pid: int):
        self.sim = sim
        self.fs = sim.fs
        self.clock = self.fs.clock
        self.plan = plan
        self.opts = options = plan.opts.copy()
        self.level = level
        self.restarts = restarts
        self.env = env
        self.parent_proc = parent
        self.pid = pid
        self.prog = "make" if level == 0 else f"make[{level}]"
        self.cwd = plan.cwd
        # the plan's variables (freeze: no $(eval)) in a table of this process's own: a
        # $(shell) in a recipe sets .SHELLSTATUS (Expander.shell), which no other process
        # run from the plan may see
        self.variables = variables = dict(plan.variables)
        if isinstance(variables.get(".VARIABLES"), VariableNames):  # (it lists its own)
            variables[".VARIABLES"] = VariableNames(variables)
        self.expander = Expander(self)
        self.pattern_rules = plan.pattern_rules
        self.pattern_version = 0  # (the rules do not change after reading)
        self._pattern_suffixes = None
        self._rule_table_cache = None
        self.reader = _GlobOnly(self)  # what the pattern search asks of the reader
        # switches and snap_deps flags as reading left them
        self.just_print_flag = plan.just_print
        self.keep_going = plan.keep_going
        self.silent = plan.silent
        self.ignore_errors = plan.ignore_errors
        self.silent_files = plan.silent_files
        self.ignore_files = plan.ignore_files
        self.delete_on_error = plan.delete_on_error
        self.not_parallel = plan.not_parallel
        self.all_secondary = plan.all_secondary
        self.print_directory = plan.print_directory
        self.traced = plan.traced
        self.output_sync = None  # (freeze refuses -O under -j)
        self.output_context = None
        self.sink = None
        # (its parent's: a parent whose jobserver was reset has one of its own)
        self.jobserver = parent.jobserver if parent is not None else sim.jobserver
        self.rebuilding_makefiles = False
        self.default_file = None
        # dir.c's cache as reading left it, its directories known by this run's inodes
        self.dir_cache: dict[str, object] = {}
        self.dir_ids: dict[str, object] = {}
        self.dir_contents: dict[object, object] = {}
        self.impossible: dict[object, set[str]] = {}
        for key, ident in plan.dir_cache.items():
            if ident is None:
                self.dir_cache[key] = None
                self.dir_ids[key] = ("name", key)
                continue
            ino = self.fs.ino(key, self.cwd)
            contents = plan.dir_contents[ident]
            self.dir_ids[key] = ino
            self.dir_contents.setdefault(ino, contents)
            self.dir_cache[key] = self.dir_contents[ino]
        # the file table: the plan's tuples, copied where the update changes them
        self.names = list(plan.names)
        self.one_word_names = plan.one_word_names  # (and the names entered later: enter)
        self.index = plan.index
        self.extra: dict[str, int] = {}  # entries the implicit search adds (name -> index)
        self.deps = list(plan.deps)
        self.oo = list(plan.oo)
        self.cmds = list(plan.cmds)
        self.is_target = list(plan.is_target)
        self.phony = plan.phony  # (only entries added later extend it: see enter)
        self.intermediate = list(plan.intermediate)
        self.had_intermediate = True in plan.intermediate  # (see update_file_1)
        self.secondary = plan.secondary
        self.precious = plan.precious
        self.cmd_target = plan.cmd_target
        self.dontcare = list(plan.dontcare)
        self.tried_implicit = list(plan.tried_implicit)
        self.plain = plan.plain  # (entries added later are not: see enter)
        self.stem = list(plan.stem)
        self.rule_floc = list(plan.rule_floc)
        self.implicit_rule = list(plan.implicit_rule)
        n = len(plan.names)
        self.last_mtime = list(plan.last_mtime)
        self.mtime_before_update = list(plan.mtime_before_update)
        self.considered = [0] * n
        self.updating = [False] * n
        self.update_status = [US_NONE] * n
        self.command_state = [CS_NOT_STARTED] * n
        self.parent: list[int | None] = [None] * n
        self.updated = [False] * n
        self.no_diag = [False] * n
        self.chg: list[list[bool] | None] = [None] * n
        self.dep_changed: list[list[bool] | None] = [None] * n
        self.nesting = [0] * n
        # settled prerequisite runs (remake.py SettledRun) and which entries are in one
        self.runs: dict[int, object] = {}
        self.run_epoch = 0
        self.in_run = [False] * n
        self._shared = True  # phony, secondary, precious, cmd_target are the plan's tuples
        # process state, as MakeProcess.__init__ starts it
        self.pass_no = 0  # update_goal_chain's 'considered' counter (remake.py)
        self.commands_started = 0
        self.clock_skew_detected = False
        self.adjusted_now = 0
        self.goal_dep = None
        self.reentered: str | None = None
        self.crash_reason: str | None = None
        self.finished_count = 0
        self.children: list = []
        self.dead: deque = deque()
        self.waiting: str | None = None
        self.glet = None
        self.jobserver_tokens = 0
        self.dying = False
        self.makefile_status = 0
        self.waiting_said = False
        self.exit_status: int | None = None
        self.decisions: list = []
        self.record = sim.record
        self.trace_stats = sim.trace_stats
        self.errors: list[dict] = []
        self.finish_callbacks: list = []
        if self.jobserver is not None and (level > 0 or options.jobs != 1):
            self.job_slots: int | None = 0 if self.jobserver.limited else None
        else:
            self.job_slots = 1 if options.jobs == 1 else options.jobs

    # ------------------------------------------------------------------ the reference's own
    write = MakeProcess.write
    emit = MakeProcess.emit
    output_start = MakeProcess.output_start
    out = MakeProcess.out
    out_stdout = MakeProcess.out_stdout
    err = MakeProcess.err
    err_raw = MakeProcess.err_raw
    out_stderr = MakeProcess.out_stderr
    fatal = MakeProcess.fatal
    event = MakeProcess.event
    record_error = MakeProcess.record_error
    wait = MakeProcess.wait
    say_waiting = MakeProcess.say_waiting
    is_make_command = MakeProcess.is_make_command
    submake_handler = MakeProcess.submake_handler
    child_options = MakeProcess.child_options
    shell_function = MakeProcess.shell_function
    wildcard = MakeProcess.wildcard
    _glob = MakeProcess._glob
    _glob_quoted = MakeProcess._glob_quoted
    _dir_entries = MakeProcess._dir_entries
    _impossible_in = MakeProcess._impossible_in
    _file_exists_p = MakeProcess.file_exists_p
    _file_impossible = MakeProcess.file_impossible
    _file_impossible_p = MakeProcess.file_impossible_p
    probes: list | None = None  # what an implicit search asks (plan/implicit.py)

    def file_exists_p(self, name: str) -> bool:
        out = self._file_exists_p(name)
        if self.probes is not None:
            self.probes.append(("e", name, out))
        return out

    def file_impossible_p(self, name: str) -> bool:
        out = self._file_impossible_p(name)
        if self.probes is not None:
            self.probes.append(("i", name, out))
        return out

    def file_impossible(self, name: str) -> None:
        self.probes = None  # (a search that marks a name is not kept: it does more)
        self._file_impossible(name)
    _stop_where_make_would_not = MakeProcess._stop_where_make_would_not
    stop_nesting = MakeProcess.stop_nesting
    _suffixes = Implicit._suffixes
    _pattern_search = Implicit._pattern_search
    _rule_deps = Implicit._rule_deps
    _rule_table = Implicit._rule_table
    _found = Implicit._found

    def start_waiting_jobs(self) -> None:
        return None

    # ------------------------------------------------------------------ the file table
    def lookup(self, name: str) -> int | None:
        """file.c lookup_file: the entry of NAME (a leading './' dropped), or None."""
        if name.startswith("./"):
            name = strip_dot_slash(name)
        i = self.index.get(name)
        return i if i is not None else self.extra.get(name)

    def enter(self, name: str) -> int:
        """file.c enter_file for a new name: an entry with FileEntry's defaults."""
        if name.startswith("./"):
            name = strip_dot_slash(name)
        i = self.lookup(name)
        if i is not None:
            return i
        self._own()
        i = len(self.names)
        self.extra[name] = i
        self.names.append(name)
        if self.one_word_names and not one_word_each((name,)):
            self.one_word_names = False
        # (plain as freeze.py _plain says: a new entry has no prerequisites or recipe;
        # the implicit search gives a name one only when a target pattern ends like it)
        sufs = self._suffixes() if self.pattern_rules else ()
        plain = sufs is not None and not (sufs and name.endswith(sufs))
        self.plain.append(plain)
        columns = self._columns
        if columns is None:  # (made once: _own replaces some lists first)
            columns = self._columns = (
                (self.deps, ()), (self.oo, None), (self.cmds, None),
                (self.is_target, False), (self.phony, False),
                (self.intermediate, False), (self.secondary, False),
                (self.precious, False), (self.cmd_target, False),
                (self.dontcare, False), (self.tried_implicit, False),
                (self.stem, None), (self.rule_floc, None), (self.implicit_rule, None),
                (self.last_mtime, UNKNOWN), (self.mtime_before_update, UNKNOWN),
                (self.considered, 0), (self.updating, False),
                (self.update_status, US_NONE), (self.command_state, CS_NOT_STARTED),
                (self.parent, None), (self.updated, False), (self.no_diag, False),
                (self.chg, None), (self.dep_changed, None), (self.nesting, 0),
                (self.in_run, False))
        for arr, v in columns:
            arr.append(v)
        return i

    _columns: tuple | None = None  # enter's (entry list, default) pairs but plain

    @property
    def files(self) -> "PlanFiles":
        """The file table as the reference's code and the reports ask for it."""
        return PlanFiles(self)  # (a view: nothing to keep up to date)

    def _own(self) -> None:
        """Copy the columns still shared with the plan before one is changed."""
        if self._shared:
            self.phony = list(self.phony)
            self.secondary = list(self.secondary)
            self.precious = list(self.precious)
            self.cmd_target = list(self.cmd_target)
            self.plain = list(self.plain)
            self._shared = False

    def stem_of(self, file: int) -> str:
        """MakeProcess.stem_of: $* of FILE (a pattern rule's stem, else the name without
        the first suffix of .SUFFIXES it ends in, kept as the file's stem)."""
        stem = self.stem[file]
        if stem is not None:
            return stem
        suffixes = self.plan.suffixes
        if not suffixes:
            return ""
        name = self.names[file]
        if ar_name(name):
            name = name[name.index("(") + 1:-1]
        for s in suffixes:
            if len(name) > len(s) and name.endswith(s):
                self.stem[file] = name[:-len(s)]
                return self.stem[file]
        self.stem[file] = ""
        return ""

    def recipe_env(self, target: str | None) -> dict[str, str]:
        """job.c target_environment: freeze computed it (no target variables here)."""
        return dict(self.plan.recipe_env)

    def exported_env(self, scope=None) -> dict[str, str]:
        return dict(self.plan.recipe_env)

    # ------------------------------------------------------------------ main
    def main(self) -> int:
        """MakeProcess.main's exits, around the update phase (reading is done)."""
        for kind, data in self.plan.events:  # what reading traced, in its place
            self.event(kind, **data)
        try:
            status = self.update_phase()
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
            return self._stop_where_make_would_not(
                f"GNU make 4.3 recurses without end through '{self.reentered}' "
                f"(update_file_1 re-enters it from the intermediate pass) and "
                f"dies with SIGSEGV; kbsim stops there", SIGSEGV_STATUS)
        return self.die(status)

    def die(self, status: int) -> int:
        """MakeProcess.die."""
        if not self.dying:
            self.dying = True
            if status:
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
            if self.traced:
                self.sim.write("out", f"{self.prog}: Leaving directory '{self.cwd}'\n")
        self.exit_status = status
        return status

    def update_phase(self) -> int:
        """MakeProcess.update_phase without -B, -W and makefile rules (freeze refuses
        them): the makefiles are each stat'ed and found up to date, then the goals."""
        plan = self.plan
        if plan.read_files:
            self.remake_makefiles()
        goals = [[g, 0, False] for g in plan.goals]
        if not goals:
            name = plan.default_goal
            if name:
                if len(name.split()) > 1:
                    self.fatal(".DEFAULT_GOAL contains more than one target")
                goals = [[self.enter(name), 0, False]]
        if not goals:
            if plan.makefile_list.strip():
                self.fatal("No targets")
            self.fatal("No targets specified and no makefile found")
        status = self.update_goal_chain(goals)
        makefile_status = self.makefile_status
        if status == US_QUESTION:
            makefile_status = 1
        elif status == US_FAILED:
            makefile_status = 2
        if self.clock_skew_detected:
            self.err(f"{self.prog}: warning:  Clock skew detected.  Your build may be incomplete.")
        return makefile_status

    def remake_makefiles(self) -> None:
        """MakeProcess.remake_makefiles when no makefile has a rule (freeze): nothing is
        remade, so there is never a re-exec; a missing '-include'd one fails quietly."""
        entries = [[rf[0], rf[1], False, rf[2], rf[3]] for rf in reversed(self.plan.read_files)]
        for g in entries:
            self.file_mtime(g[0], False)
        self.rebuilding_makefiles = True
        try:
            status = self.update_goal_chain(entries)
        finally:
            self.rebuilding_makefiles = False
        # (US_FAILED only from a missing '-include'd makefile: nothing to say or redo)

    def remove_intermediates(self) -> None:
        """file.c remove_intermediates (MakeProcess.remove_intermediates)."""
        if self.question_flag or self.touch_flag or self.all_secondary:
            return
        removed = []
        doomed = [f for f in range(len(self.names))
                  if self.intermediate[f] and (self.dontcare[f] or not self.precious[f])
                  and not self.secondary[f] and not self.cmd_target[f]
                  and self.update_status[f] != US_NONE]
        if len(doomed) > 1:  # (make's table order: the names in the order entered)
            rank = hash_slots(self.names)
            doomed.sort(key=lambda f: rank[self.names[f]])
        for f in doomed:
            name = self.names[f]
            if not self.just_print_flag and not self.fs.remove(name, self.cwd):
                continue
            if not self.dontcare[f]:
                removed.append(name)
        if removed and not self.silent:
            self.out("rm " + " ".join(removed) + "\n")

    def show_goal_error(self) -> None:
        """MakeProcess.show_goal_error: an included makefile's read error, once."""
        g = self.goal_dep
        if g is None or len(g) < 5 or (g[1] & (RM_INCLUDED | RM_DONTCARE)) != RM_INCLUDED:
            return
        if g[3]:
            floc = g[4]
            where = f"{floc[0]}:{floc[1]}: " if floc else ""
            self.err(f"{where}{self.names[g[0]]}: {g[3]}")
            g[3] = None


class _GlobOnly:
    """The reader as the pattern search uses it: parse_file_seq's glob (Reader._glob)."""

    def __init__(self, proc: PlanProcess):
        self.proc = proc

    def _glob(self, pattern: str) -> list[str]:
        self.proc.probes = None  # (a search that globs is not kept: it read more)
        return self.proc.wildcard([pattern])


class PlanFiles:
    """A PlanProcess's entries as a file table (filedb.FileTable's lookup, enter and
    iteration), each entry a view of the lists that reads like a FileEntry."""

    def __init__(self, proc: PlanProcess):
        self.proc = proc

    def lookup(self, name: str) -> "EntryView | None":
        proc = self.proc
        i = proc.lookup(name)
        if proc.probes is not None:
            proc.probes.append(("l", name, i is not None))
        return None if i is None else EntryView(proc, i)

    def enter(self, name: str) -> "EntryView":
        return EntryView(self.proc, self.proc.enter(name))

    def __iter__(self):
        proc = self.proc
        return (EntryView(proc, i) for i in range(len(proc.names)))

    def __len__(self) -> int:
        return len(self.proc.names)


class EntryView:
    """One entry of a PlanProcess, read as a FileEntry (its attributes are the lists')."""

    __slots__ = ("_p", "_i")

    def __init__(self, proc: PlanProcess, i: int):
        self._p = proc
        self._i = i

    @property
    def name(self) -> str:
        return self._p.names[self._i]

    @property
    def hname(self) -> str:
        return self._p.names[self._i]

    @property
    def deps(self) -> list["EntryView"]:
        p = self._p
        return [EntryView(p, d) for d in p.deps[self._i]]

    @property
    def oo(self):
        o = self._p.oo[self._i]
        return list(o) if o is not None else None

    @property
    def parent(self):
        i = self._p.parent_of(self._i)
        return None if i is None else EntryView(self._p, i)

    double_colon = None
    prev = None
    also_make = None
    low_resolution_time = False
    n_extra = 0

    def __getattr__(self, attr: str):
        # the remaining FileEntry fields are lists of PlanProcess by the same name
        return getattr(self._p, attr)[self._i]

    def __eq__(self, other) -> bool:
        return isinstance(other, EntryView) and other._p is self._p and other._i == self._i

    def __hash__(self) -> int:
        return hash((id(self._p), self._i))

    def __repr__(self) -> str:  # pragma: no cover
        return f"<EntryView {self.name}>"
