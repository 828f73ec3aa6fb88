"""The second expansion of explicit prerequisites (``.SECONDEXPANSION``, file.c).

Once a ``.SECONDEXPANSION`` target has been read, a rule's prerequisite text that still
holds a ``$`` after the first expansion is kept unexpanded (read.c record_files:
``need_2nd_expansion``; filedb.SecondExpansion holds it in its place among the file's
prerequisites). When every makefile is read, file.c snap_deps calls expand_deps for
every file (``.SUFFIXES`` first): the text is expanded with the file's automatic
variables (``$@``, ``$<``, ``$^``, ``$+``, ``$|`` from the prerequisites already known,
``$*`` the stem) and its target and pattern variables in force, split like any
prerequisite list, and the names take the placeholder's place. In a static pattern
rule's text, ``%`` is first turned into ``$*`` (the stem). Implicit rules expand theirs
in implicit.py, per match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .filedb import SecondExpansion
from .targetvars import parent_walk, scope_of

if TYPE_CHECKING:  # pragma: no cover
    from .filedb import FileEntry
    from .process import MakeProcess


def expand_all_deps(proc: "MakeProcess") -> None:
    """file.c snap_deps: expand_deps for .SUFFIXES, then for every other file."""
    files = proc.files
    sfx = files.lookup(".SUFFIXES")
    f = sfx
    while f is not None:
        expand_deps(proc, f)
        f = f.prev
    for head in list(files):
        if head is sfx:
            continue
        f = head
        while f is not None:
            expand_deps(proc, f)
            f = f.prev


def expand_deps(proc: "MakeProcess", f: "FileEntry") -> None:
    """file.c expand_deps: each second-expansion text of F expanded into its place."""
    deps = f.deps
    if not any(d.__class__ is SecondExpansion for d in deps):
        return
    oo = f.oo if f.oo is not None else [False] * len(deps)
    exp = proc.expander
    scope = None
    scoped = False
    new_deps: list = []
    new_oo: list[bool] = []
    for k, d in enumerate(deps):
        if d.__class__ is not SecondExpansion:
            new_deps.append(d)
            new_oo.append(oo[k])
            continue
        text = d.text.replace("%", "$*") if d.static else d.text
        if not scoped:  # (initialize_file_variables, once per file)
            scope = scope_of(proc, parent_walk(f)[0])
            scoped = True
            # (F, and the first '::' entry of its name, now have a variable set of their
            # own: snap_file gives such a file only its own .EXTRA_PREREQS, reader.py)
            if proc.vars_initialized is None:
                proc.vars_initialized = set()
            proc.vars_initialized.add(f)
            if f.double_colon is not None:
                proc.vars_initialized.add(f.double_colon)
        file_stem = f.stem
        if d.stem is not None:
            f.stem = d.stem
        autos = _file_variables(proc, f, new_deps + deps[k:], new_oo + oo[k:])
        f.stem = file_stem
        saved = (exp.auto, exp.scope, exp.floc)
        exp.auto, exp.scope, exp.floc = autos, scope, None
        try:
            text = exp.expand(text)
        finally:
            exp.auto, exp.scope, exp.floc = saved
        normal, order_only = proc.reader.split_prereqs(text)
        if d.stem is not None:
            from .reader import _subst_stem
            normal = _subst_stem(normal, d.stem)
            order_only = _subst_stem(order_only, d.stem)
        ents = proc.files.enter_many(normal + order_only)
        new_deps.extend(ents)
        new_oo.extend([False] * len(normal) + [True] * len(order_only))
    f.deps = new_deps
    f.oo = new_oo if True in new_oo else None


def _file_variables(proc: "MakeProcess", f: "FileEntry", deps: list,
                    oo: list[bool]) -> dict[str, str]:
    """commands.c set_file_variables while some prerequisites still wait for their
    second expansion: those are left out of $^, $+ and $|, and $< is empty when the
    first normal prerequisite is one of them."""
    real = [(d, o) for d, o in zip(deps, oo) if d.__class__ is not SecondExpansion]
    saved = (f.deps, f.oo, f.dep_changed)
    f.deps = [d for d, _ in real]
    f.oo = [o for _, o in real] if any(o for _, o in real) else None
    f.dep_changed = None
    try:
        autos = proc.set_file_variables(f)
    finally:
        f.deps, f.oo, f.dep_changed = saved
    first = next((d for d, o in zip(deps, oo) if not o), None)
    if first is not None and first.__class__ is SecondExpansion:
        autos["<"] = ""
    return autos
