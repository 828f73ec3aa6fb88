"""Freeze a make process after its read phase into a Plan: flat, immutable, shareable.

A Plan holds what ``MakeProcess.read_phase`` left (reference tier, kbsim/make): the file
table as parallel tuples indexed by entry (names, prerequisites, order-only flags, recipes,
the flags snap_deps set), the pattern rules, the variables, the directory cache, and the
process switches. ``PlanProcess`` (kernel.py) runs the update phase from it with state
arrays of its own, so one Plan serves every process that read the same inputs.

``freeze`` refuses (returns the reason as text) whatever the kernel does not implement;
such a process runs on the reference engine. The refusals are the kernel's contract:
'::' rules, vpath, grouped or multi-target pattern rules (also_make), target- and
pattern-specific variables, .DEFAULT, .LOW_RESOLUTION_TIME, .ONESHELL, -n -q -t -B -o -W,
--trace, -O under -j, -l, -L, archive members 'lib(member)', '-lNAME' library names, a makefile that has a rule of its own or could get one from a pattern, and
``$(eval)`` reachable from a recipe (it changes what was read).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from itertools import compress, count
from operator import attrgetter

from ..make.expand import FUNCTIONS, Expander, Variable, VariableNames
from ..make.filedb import NONEXISTENT, UNKNOWN, FileEntry, PatternRule, Recipe
from ..make.process import IncludeDirs, MakeProcess
from ..make.readtext import ar_name
from .recipe import one_word_each

# FileEntry slots whose read-time values a Plan carries (or checks are at their default)
_CARRIED = {
    "name", "deps", "oo", "cmds", "is_target", "phony", "intermediate", "secondary",
    "precious", "cmd_target", "stem", "rule_floc", "implicit_rule", "dontcare",
    "tried_implicit", "last_mtime", "mtime_before_update",
}
_NAME = attrgetter("name")
_CMDS, _DOUBLE_COLON = attrgetter("cmds"), attrgetter("double_colon")
_ALSO_MAKE, _LOW_RESOLUTION = attrgetter("also_make"), attrgetter("low_resolution_time")
_intern = sys.intern
_LONG = (15).__lt__  # a row of 16 or more (_interned)
_COLUMNS = ("name", "hname", "deps", "oo", "cmds", "is_target", "phony", "intermediate",
            "secondary", "precious", "cmd_target", "dontcare", "tried_implicit", "stem",
            "rule_floc", "implicit_rule", "last_mtime", "mtime_before_update")
# slots that must still hold FileEntry's defaults after reading (the update sets them)
_DEFAULTS = {
    "considered": 0, "double_colon": None, "updating": False, "update_status": 1,
    "command_state": 0, "parent": None, "updated": False, "no_diag": False,
    "low_resolution_time": False, "prev": None, "also_make": None, "chg": None,
    "dep_changed": None, "nesting": 0, "renamed": None, "ignore_vpath": False,
    "n_extra": 0,
}


@dataclass(frozen=True, eq=False)
class Plan:
    """One make process's read phase, frozen (see the module docstring)."""

    names: tuple[str, ...]
    one_word_names: bool  # each name is one word for str.split (recipe.one_word_each)
    index: dict[str, int]
    deps: tuple[tuple[int, ...], ...]
    oo: tuple[tuple[bool, ...] | None, ...]
    cmds: tuple[Recipe | None, ...]
    is_target: tuple[bool, ...]
    phony: tuple[bool, ...]
    intermediate: tuple[bool, ...]
    secondary: tuple[bool, ...]
    precious: tuple[bool, ...]
    cmd_target: tuple[bool, ...]
    dontcare: tuple[bool, ...]
    tried_implicit: tuple[bool, ...]
    stem: tuple[str | None, ...]
    rule_floc: tuple
    implicit_rule: tuple
    last_mtime: tuple[int, ...]
    mtime_before_update: tuple[int, ...]
    suffixes: tuple[str, ...]  # .SUFFIXES (for $* of a rule that is not a pattern rule)
    plain: tuple[bool, ...]  # no prerequisites, no recipe, not phony, no pattern matches
    pattern_rules: tuple[PatternRule, ...]
    variables: dict[str, Variable]
    recipe_env: dict[str, str]
    goals: tuple[int, ...]
    default_goal: str  # .DEFAULT_GOAL as update_phase expands it ('' when unset)
    makefile_list: str  # MAKEFILE_LIST (for the 'No targets' message)
    read_files: tuple[tuple[int, int, str | None, object], ...]  # (entry, flags, error, floc)
    cwd: str
    opts: object  # MakeOptions after reading (a makefile's MAKEFLAGS += ... included)
    # the process after reading: switches and snap_deps' process-wide flags
    just_print: bool
    keep_going: bool
    silent: bool
    ignore_errors: bool
    silent_files: frozenset[str] | bool
    ignore_files: frozenset[str] | bool
    delete_on_error: bool
    not_parallel: bool
    all_secondary: bool
    print_directory: bool
    # dir.c's cache as reading left it: name -> contents key (None: not a directory)
    dir_cache: dict[str, object]
    dir_contents: dict[object, frozenset[str]]
    # what reading printed, and the trace events it made (replayed when the plan is
    # reused: see Engine.new_process)
    output: tuple[tuple[str, str], ...]
    events: tuple[tuple[str, dict], ...]
    traced: bool
    # the implicit searches of the processes run from this plan, with what each one
    # looked at (plan/implicit.py): (name, explicit deps) -> (probes, found)
    implicit_memo: dict = field(default_factory=dict, compare=False)
    # an entry's key in implicit_memo while its prerequisites are still the plan's (the
    # same key object each time: a frozenset keeps its hash)
    implicit_keys: dict = field(default_factory=dict, compare=False)
    # what the jobs of its processes make once (plan/jobs.py), when a job first needs it;
    # run-time memos, never saved (store.py _storable_plan empties them):
    # a recipe line's text -> its program (plan/recipe.py)
    line_programs: dict = field(default_factory=dict, compare=False)
    # a Recipe -> its RecipeLines
    recipe_lines: dict = field(default_factory=dict, compare=False)
    # an entry -> its prerequisites' names ($+, $^, $<) while they are the plan's
    # (set_file_variables)
    prereq_names: dict = field(default_factory=dict, compare=False)

    @property
    def size(self) -> int:
        return len(self.names)


def freeze(mp: MakeProcess) -> Plan | str:
    """A Plan of MP right after ``read_phase``, or why the kernel cannot run it."""
    why = _refusal(mp)
    if why:
        return why
    files = list(mp.files)
    bad = set(FileEntry.__slots__) - _CARRIED - set(_DEFAULTS) - {"hname"}
    if bad:  # a field the engine gained that this freeze does not know
        return f"file entries have fields the plan does not carry: {', '.join(sorted(bad))}"
    # every entry as reading leaves it: the update's fields at FileEntry's defaults
    state = attrgetter(*_DEFAULTS)
    defaults = tuple(_DEFAULTS.values())
    if list(map(state, files)).count(defaults) != len(files):
        f = next(f for f in files if state(f) != defaults)
        s = next(k for k, v in _DEFAULTS.items() if getattr(f, k) != v)
        return f"entry '{f.name}' has {s} set after reading"
    cols = dict(zip(_COLUMNS, zip(*map(attrgetter(*_COLUMNS), files)))) if files else \
        {c: () for c in _COLUMNS}
    names = cols["name"]
    if names != cols["hname"]:
        return "a file table name differs from its hash name (vpath)"
    # one string object a name across every Plan (and the read logs: observe.py), so the
    # read cache's file holds each name once
    names = tuple(map(_intern, names))
    # not stat'ed yet: phony entries are NONEXISTENT (snap_deps), the others UNKNOWN,
    # except a makefile that could not be read (-include of a missing .cmd file), which
    # read.c eval_makefile marks NONEXISTENT without a stat (process.read_makefile_file)
    missing = {rf[0].name for rf in mp.read_files if rf[3] is not None}
    got = tuple(zip(cols["last_mtime"], cols["mtime_before_update"]))
    want = tuple((NONEXISTENT, NONEXISTENT) if ph else (UNKNOWN, UNKNOWN)
                 for ph in cols["phony"])
    if got != want and any(g != w and not (n in missing and g == (NONEXISTENT, UNKNOWN))
                           for n, g, w in zip(names, got, want)):
        return "an entry has a timestamp after reading"
    index = dict(zip(names, range(len(names))))
    if len(index) != len(names):
        return "two entries with one name"
    at = index.__getitem__
    try:
        # (most entries, a tree's headers, have none: the empty tuple without the maps)
        deps = _interned([tuple(map(at, map(_NAME, ds))) if ds else ()
                          for ds in cols["deps"]])
    except KeyError:
        return "a prerequisite is not in the file table"
    # the update phase's switches: define_makeflags (True, False), as it will run, then
    # the environment of every recipe (job.c target_environment; no target variables)
    variables = dict(mp.variables)
    if isinstance(variables.get(".VARIABLES"), VariableNames):  # (it lists its own table)
        variables[".VARIABLES"] = VariableNames(variables)
    inc = variables.get(".INCLUDE_DIRS")
    if isinstance(inc, IncludeDirs):  # (worked out from the process: kept as its value)
        variables[".INCLUDE_DIRS"] = Variable(".INCLUDE_DIRS", inc.value, True, "default")
    saved = mp.variables
    mp.variables = variables
    mp.expander.vars = variables
    try:
        mp.define_makeflags(True, False)
        recipe_env = mp.exported_env()
        dg = variables.get(".DEFAULT_GOAL")
        default_goal = ""
        if dg is not None:
            default_goal = (mp.expander.expand(dg.value) if dg.recursive else dg.value).strip()
        mfl = variables.get("MAKEFILE_LIST")
        makefile_list = mfl.value if mfl is not None else ""
    finally:
        mp.variables = saved
        mp.expander.vars = saved
    if any(c in default_goal for c in " \t\\*?[("):
        # main.c looks such a name up whole, else parses it (MakeProcess.update_phase);
        # the plan takes it as one plain name
        return "a .DEFAULT_GOAL with blanks, quoting, a glob or an archive member"
    contents: dict[object, frozenset[str]] = {}
    for key in mp.dir_cache:
        ident = mp.dir_ids.get(key)
        if ident is not None and not isinstance(ident, tuple):
            contents[ident] = frozenset(mp.dir_contents[ident])
    return Plan(
        names=names, one_word_names=one_word_each(names), index=index, deps=deps,
        oo=tuple(tuple(o) if o is not None else None for o in cols["oo"]),
        cmds=cols["cmds"], is_target=cols["is_target"], phony=cols["phony"],
        intermediate=cols["intermediate"], secondary=cols["secondary"],
        precious=cols["precious"], cmd_target=cols["cmd_target"], dontcare=cols["dontcare"],
        tried_implicit=cols["tried_implicit"], stem=cols["stem"], rule_floc=cols["rule_floc"],
        implicit_rule=cols["implicit_rule"], last_mtime=cols["last_mtime"],
        mtime_before_update=cols["mtime_before_update"],
        suffixes=_suffixes(mp), plain=_plain(mp, files),
        pattern_rules=tuple(mp.pattern_rules),
        variables=variables, recipe_env=recipe_env,
        goals=tuple(index[f.name] for f in mp.goal_files),
        default_goal=default_goal, makefile_list=makefile_list,
        read_files=tuple((index[rf[0].name], rf[1], rf[3], rf[4]) for rf in mp.read_files),
        cwd=mp.cwd, opts=mp.opts.copy(),
        just_print=mp.just_print_flag, keep_going=mp.keep_going, silent=mp.silent,
        ignore_errors=mp.ignore_errors,
        silent_files=_frozen(mp.silent_files), ignore_files=_frozen(mp.ignore_files),
        delete_on_error=mp.delete_on_error, not_parallel=mp.not_parallel,
        all_secondary=mp.all_secondary, print_directory=mp.print_directory,
        dir_cache={k: mp.dir_ids.get(k) if v is not None else None
                   for k, v in mp.dir_cache.items()},
        dir_contents=contents,
        output=(), events=(), traced=mp.traced,
    )


def _suffixes(mp: MakeProcess) -> tuple[str, ...]:
    sfx = mp.files.lookup(".SUFFIXES")
    return tuple(d.name for d in sfx.deps) if sfx is not None else ()


def _plain(mp: MakeProcess, files: list[FileEntry]) -> tuple[bool, ...]:
    """Entries whose update is only a stat: no prerequisites, no recipe and none to be
    found (no target pattern ends like the name: Implicit.try_implicit_rule's test), not
    phony (the headers, sources and config stamps of a kbuild tree). Their lists cannot
    grow: only an implicit rule adds prerequisites."""
    sufs = mp._suffixes() if mp.pattern_rules else ()
    if sufs is None:  # a match-anything rule: every name is searched
        return (False,) * len(files)
    return tuple(not f.deps and f.cmds is None and not f.phony
                 and not (sufs and f.name.endswith(sufs)) for f in files)


def _interned(rows) -> tuple:
    """The rows, equal ones as one tuple object (kbuild's top-level makefile gives ~300
    targets the same ~300 prerequisites: the kernel remembers a settled run by it)."""
    rows = list(rows)
    seen: dict[tuple, tuple] = {}
    for i in compress(count(), map(_LONG, map(len, rows))):  # (the few rows of 16 or more)
        r = rows[i]
        rows[i] = seen.setdefault(r, r)
    return tuple(rows)


def _frozen(v):
    return v if isinstance(v, bool) else frozenset(v)


def _file_refusal(files: list[FileEntry]) -> str:
    """_refusal's reasons in the file table FILES ('' when none)."""
    for f in files:
        if f.double_colon is not None:
            return f"the double-colon rule of '{f.name}'"
        if f.also_make:
            return f"the grouped targets of '{f.name}'"
        if f.low_resolution_time:
            return ".LOW_RESOLUTION_TIME"
        if f.name.endswith(")") and ar_name(f.name):
            return f"the archive member '{f.name}'"
        if f.name.startswith("-l"):
            return f"the library search for '{f.name}'"
    return ""


def _refusal(mp: MakeProcess) -> str:
    """Why the kernel cannot run MP's update phase ('' when it can)."""
    o = mp.opts
    for flag, what in ((mp.just_print_flag, "-n"), (mp.question_flag, "-q"),
                       (mp.touch_flag, "-t"), (mp.always_make_set or o.always_make, "-B"),
                       (o.old_files, "-o"), (o.what_if, "-W"), (o.trace, "--trace"),
                       (o.debug_why, "--debug=why"), (o.load_average, "-l"),
                       (o.check_symlink, "-L")):
        if flag:
            return f"the option {what}"
    if mp.output_sync is not None:
        return "the option -O"
    if mp.vpath_on or mp.vpaths or mp.general_vpath or mp.gpaths:
        return "vpath"
    if mp.target_vars or mp.pattern_vars:
        return "target- or pattern-specific variables"
    if mp.default_file is not None:
        return ".DEFAULT"
    if mp.one_shell:
        return ".ONESHELL"
    if mp.export_all:
        return "export of all variables"  # (kept out: recipe_env would be per target)
    if mp.second_expansion or any(r.second is not None for r in mp.pattern_rules):
        return ".SECONDEXPANSION"
    if mp.pattern_extra:
        return ".EXTRA_PREREQS"
    if mp.posix:
        return ".POSIX"
    if mp.renames or mp.reentered or mp.crash_reason:
        return "a renamed or re-entered entry"
    for r in mp.pattern_rules:
        if len(r.targets) > 1:
            return f"the pattern rule '{' '.join(r.targets)}' with several targets"
    files = list(mp.files)
    names = "\0".join(map(_NAME, files))
    # (the loop below finds the first file of the first kind; the tests at C speed
    # before it pass over a kbuild tree's ~40,000 entries with none, and a name that
    # holds ')\0' or '\0-l' only sends them through the loop)
    if (list(map(_DOUBLE_COLON, files)).count(None) != len(files)
            or any(map(_ALSO_MAKE, files)) or any(map(_LOW_RESOLUTION, files))
            or ")\0" in names or names.endswith(")") or names.startswith("-l")
            or "\0-l" in names):
        why = _file_refusal(files)
        if why:
            return why
    why = _makefile_refusal(mp)
    if why:
        return why
    cmds = list(map(_CMDS, files))
    recipes = dict(zip(map(id, cmds), cmds))  # (in order of first appearance)
    recipes.pop(id(None), None)
    recipes.update((id(r.cmds), r.cmds) for r in mp.pattern_rules if r.cmds is not None)
    check = _EvalFinder(mp)
    for rc in recipes.values():
        for line in rc.lines:
            if check.reaches_eval(line):
                return f"$(eval) or a computed name in the recipe line '{line.strip()}'"
    dg = mp.variables.get(".DEFAULT_GOAL")
    if dg is not None and dg.recursive and check.reaches_eval(dg.value):
        return "$(eval) in .DEFAULT_GOAL"
    return ""


def _makefile_refusal(mp: MakeProcess) -> str:
    """The kernel remakes no makefile: each one read must have no rule, get none from a
    pattern, and exist unless it was included with '-include'."""
    sufs = mp._suffixes() if mp.pattern_rules else ()
    for rf in mp.read_files:
        f, flags, error = rf[0], rf[1], rf[3]
        if f.deps or f.cmds is not None or f.phony or f.is_target:
            return f"the makefile '{f.name}' has a rule"
        if sufs is None or (sufs and f.name.endswith(sufs)):
            return f"a pattern rule could remake the makefile '{f.name}'"
        if error is not None and not flags & 2:  # RM_DONTCARE
            return f"the makefile '{f.name}' could not be read"
    return ""


class _EvalFinder:
    """Does expanding a text reach $(eval), whose effects change the read phase's state,
    or a name computed at expansion time (which could reach anything)? Variables are
    followed through their values; automatic and unknown names expand to plain text."""

    def __init__(self, mp: MakeProcess):
        self.exp: Expander = mp.expander
        self.vars = mp.variables
        self.seen: dict[str, bool] = {}

    def reaches_eval(self, text: str) -> bool:
        return self._template(self.exp.compile(text))

    def _template(self, c) -> bool:
        if c.__class__ is str:
            return False
        for p in c:
            if p.__class__ is str:
                continue
            k = p[0]
            if k == "v":
                if self._variable(p[1]):
                    return True
            elif k == "f":
                name, args = p[1], p[2]
                if name == "eval" or name not in FUNCTIONS:
                    return True
                if name == "call":
                    first = args[0] if args else ""
                    if first.__class__ is not str or self._variable(first.strip()):
                        return True
                for a in args:
                    if self._template(a if a.__class__ is tuple else self.exp.compile(a)):
                        return True
            elif k == "V":
                return True
            elif k == "s":
                if any(self._template(x) for x in p[1:]):
                    return True
        return False

    def _variable(self, name: str) -> bool:
        hit = self.seen.get(name)
        if hit is not None:
            return hit
        self.seen[name] = False  # (a self-reference is an error at expansion, not eval)
        v = self.vars.get(name)
        out = v is not None and v.recursive and self._template(self.exp.compile(v.value))
        self.seen[name] = out
        return out
