"""Target-specific and pattern-specific variables (``t: V = x``, ``%.o: V += y``).

GNU make 4.3 keeps a variable set per file (read.c record_target_var, at read time) and
one per pattern (create_pattern_var, kept sorted by pattern length, shorter first). When
a recipe is started, variable.c initialize_file_variables chains the sets: the file's
own, then the pattern variables that match its name (defined into one set, in that
order, so a longer pattern wins), then the same for its 'parent' (the file that last
visited it as a prerequisite: target variables are inherited by prerequisites), and so
on up to the global set. A '+=' that is the first definition of its name in a set is an
'append' variable: its value is the one found further up the chain, a blank, and its own
text (variable.c variable_append). A ``private`` variable is skipped when it is met in a
parent's set (variable.c lookup_variable's is_parent): scope_of says how many of the
sets are the file's own (Scope.own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .expand import Variable, pattern_match

if TYPE_CHECKING:  # pragma: no cover
    from .filedb import FileEntry
    from .process import MakeProcess


class TargetVariable(Variable):
    """A variable of a per-file or per-pattern set; APPEND: see the module docstring."""

    __slots__ = ("append",)

    def __init__(self, name: str, value: str, recursive: bool, origin: str,
                 export: bool, append: bool, floc=None):
        super().__init__(name, value, recursive, origin, export)
        self.append = append
        self.floc = floc


def _in_set(exp, vset: dict, fn, arg: str):
    """FN(ARG) with VSET (then the global set) in scope: the context make defines a
    target or pattern variable in."""
    saved = exp.scope
    exp.scope = [vset]
    try:
        return fn(arg)
    finally:
        exp.scope = saved


class Scope(list):
    """The variable sets of a recipe, most specific first; the first OWN are the file's
    own (its set and its pattern set), the rest its parents'."""

    __slots__ = ("own",)


def assign_in_set(proc: "MakeProcess", vset: dict, name: str, op: str, value: str,
                  origin: str, export: bool, floc=None, private: bool = False) -> None:
    """(see _assign_in_set) and mark the variable private."""
    _assign_in_set(proc, vset, name, op, value, origin, export, floc)
    if private and name in vset:
        vset[name].private = True


def _assign_in_set(proc: "MakeProcess", vset: dict, name: str, op: str, value: str,
                   origin: str, export: bool, floc=None) -> None:
    """variable.c do_variable_definition with target_var set, into VSET (':=' and '+=' of
    a simple variable expand VALUE with VSET in scope, as make does while reading);
    FLOC: where the definition was read (errors while expanding it point there)."""
    exp = proc.expander
    old = vset.get(name)
    if old is not None and origin == "file" and old.origin in ("override", "command line"):
        return
    if op in (":=", "::="):
        value = _in_set(exp, vset, exp.expand, value)
        vset[name] = TargetVariable(name, value, False, origin, export, False, floc)
    elif op == "=":
        vset[name] = TargetVariable(name, value, True, origin, export, False, floc)
    elif op == "?=":
        if _in_set(exp, vset, exp.find_variable, name) is None:
            vset[name] = TargetVariable(name, value, True, origin, export, False, floc)
    elif op == "+=":
        if old is None:
            vset[name] = TargetVariable(name, value, True, origin, export, True, floc)
        else:
            if not old.recursive:
                value = _in_set(exp, vset, exp.expand, value)
            if value:
                old.value = old.value + " " + value if old.value else value
                old.compiled = None
            old.export = True if (old.export or export) else old.export
            old.floc = floc
    else:  # '!=' and anything else
        from .errors import UnsupportedSyntax
        raise UnsupportedSyntax(f"the {op} assignment", None)


def define_target_variable(proc: "MakeProcess", target: str, name: str, op: str, value: str,
                           origin: str, export: bool, floc, private: bool = False,
                           raw_name: bool = False) -> None:
    """read.c record_target_var for one target name (a pattern when it holds '%').
    RAW_NAME: NAME is as written, and is expanded as make expands it: with the
    target's own variables in force (variable.c assign_variable_definition while
    current_variable_set_list is the target's), in the global set for a pattern."""
    exp = proc.expander
    exp.floc = floc
    if raw_name:
        if "%" in target:
            name = exp.expand(name)
        else:
            f0 = proc.files.enter(target)
            if f0.double_colon is not None:
                f0 = f0.double_colon
            vset0 = proc.target_vars.get(f0)
            name = _in_set(exp, vset0, exp.expand, name) if vset0 else exp.expand(name)
        if not name:
            from .errors import MakeError
            raise MakeError("empty variable name", floc)
    if name in ("SHELL", ".SHELLFLAGS"):
        proc.shell_target_vars = True  # (process.py run_line looks them up then)
    # record_target_var: unless it is an override, a command-line (or -e environment)
    # setting of the name replaces the value (and, for a target, the 'append')
    gv = proc.variables.get(name) if origin != "override" else None
    if gv is not None and gv.origin not in ("command line", "environment override"):
        gv = None
    if "%" in target:
        if gv is not None and not _overridden(proc, target, name):
            value, origin = gv.value, gv.origin
        elif op in (":=", "::="):
            value = exp.expand(value)  # expanded once, while reading (global scope)
        recs = proc.pattern_vars
        k = len(recs)
        while k > 0 and len(recs[k - 1][0]) > len(target):
            k -= 1
        recs.insert(k, (target, name, "=" if op == "::=" else op, value, origin, export,
                        op in (":=", "::="), floc, private))
        proc.pattern_sets.clear()
        return
    f = proc.files.enter(target)
    vset = proc.target_vars.get(f)
    if vset is None:
        vset = proc.target_vars[f] = {}
    assign_in_set(proc, vset, name, op, value, origin, export, floc, private)
    v = vset.get(name)
    if gv is not None and v is not None and v.origin != "override":
        vset[name] = TargetVariable(name, gv.value, gv.recursive, gv.origin, export, False,
                                    floc)
        vset[name].private = private


def _overridden(proc: "MakeProcess", pattern: str, name: str) -> bool:
    """Has PATTERN an 'override' definition of NAME already (a later plain one leaves
    it, and the command line's value does not replace it)?"""
    return any(r[0] == pattern and r[1] == name and r[4] == "override"
               for r in proc.pattern_vars)


def _pattern_set(proc: "MakeProcess", name: str) -> dict | None:
    """initialize_file_variables: the pattern variables matching NAME, defined into one
    set in pattern order (None when none match)."""
    cached = proc.pattern_sets.get(name, False)
    if cached is not False:
        return cached
    vset: dict | None = None
    for pattern, vname, op, value, origin, export, simple, floc, private in proc.pattern_vars:
        if pattern_match(pattern, name) is None:
            continue
        if vset is None:
            vset = {}
        if simple:
            vset[vname] = TargetVariable(vname, value, False, origin, export, False, floc)
            vset[vname].private = private
        else:
            assign_in_set(proc, vset, vname, op, value, origin, export, floc, private)
    proc.pattern_sets[name] = vset
    return vset


def parent_walk(file: "FileEntry", collect: bool = True
                ) -> tuple[list["FileEntry"], list[str]]:
    """The files variable.c initialize_file_variables visits from FILE: each file (a
    '::' entry's first entry in its place) and then its 'parent' (the file that last
    visited it as a prerequisite), up to the top (not kept unless COLLECT: without target
    or pattern variables only a loop matters). And, when those links loop (make then
    recurses until SIGSEGV), the names around the loop; else [].

    make walks the whole chain for every recipe, so a chain of N targets costs N^2 / 2
    steps in make and here alike; each step here is kept to a few operations. A loop is
    noticed with Brent's method (compare with a mark moved at powers of two), then
    described by _looping_walk."""
    files: list[FileEntry] = []
    append = files.append if collect else None
    f: FileEntry | None = file
    mark = None
    steps, power = 0, 1
    while f is not None:
        dc = f.double_colon
        if dc is not None and dc is not f:
            f = dc
        if f is mark:
            return _looping_walk(file)
        if append is not None:
            append(f)
        steps += 1
        if steps == power:
            mark, power = f, power * 2
        f = f.parent
    return files, []


def _looping_walk(file: "FileEntry") -> tuple[list["FileEntry"], list[str]]:
    """parent_walk for links that loop: the files up to the first one met twice, and the
    names around the loop from that one."""
    files: list[FileEntry] = []
    seen: dict[int, int] = {}
    f: FileEntry | None = file
    while f is not None:
        dc = f.double_colon
        if dc is not None and dc is not f:
            f = dc
        k = id(f)
        if k in seen:
            return files, [g.name for g in files[seen[k]:]] + [f.name]
        seen[k] = len(files)
        files.append(f)
        f = f.parent
    return files, []


def scope_of(proc: "MakeProcess", files: list["FileEntry"]) -> list[dict] | None:
    """The chain of variable sets a recipe expands with (most specific first) over FILES
    (parent_walk), or None when no target or pattern variable applies."""
    if not proc.target_vars and not proc.pattern_vars:
        return None
    chain = Scope()
    chain.own = 0
    for k, f in enumerate(files):
        own = proc.target_vars.get(f)
        if own:
            chain.append(own)
        if proc.pattern_vars:
            pset = _pattern_set(proc, f.name)
            if pset:
                chain.append(pset)
        if k == 0:
            chain.own = len(chain)
    return chain or None
