"""A recipe line's expansion made once per Plan, for the lines that are pure.

A PlanProcess's variables never change (freeze refuses $(eval), target and pattern
variables), so when a recipe line refers only to automatic variables ($@ $< $^ $+ $? $|
$* $%), to global variables defined without anything else and to functions that compute
text from their arguments alone, its expansion is a function of the automatic variables.
``program`` turns such a line's template (Expander.compile) into a flat program once: the
simple variables' values and the functions of constants already in it, the recursive
variables' templates spliced in; ``run`` evaluates it for a job. It calls the Expander's
own f_* functions, so the text is the reference's. Any other part (a computed name, a
substitution reference, $(@D), an undefined or private variable, a variable that refers to
itself, .SHELLSTATUS, which a $(shell) in a recipe sets, any other function: $(shell),
$(wildcard), $(info), $(call), $(if)...) leaves the line to the Expander, with its
warnings, errors and effects.

kbuild's compile line ``@kbsim-cc $@ $< $(why)``, ``why = $(filter-out $(PHONY),$?) --
$(filter-out $(PHONY),$^)``, runs as four auto lookups and two filter-outs of a constant
(~3 us a line instead of ~10 us through Expander.expand: ~5,500 lines a lindroth-2018 replay).
"""

from __future__ import annotations

from ..make.expand import FUNCTIONS, AppendVariable, Expander, Variable

_AUTOMATIC = frozenset("@<^+?*%|")
# the one variable a recipe's expansion sets (Expander.shell: every $(shell) in a recipe)
_CHANGING = frozenset({".SHELLSTATUS"})
# functions whose result depends only on their (expanded) arguments, and that raise no
# error for any argument (word and wordlist check theirs: not here)
_PURE = {name: getattr(Expander, "f_" + name.replace("-", "_")) for name in (
    "subst", "patsubst", "strip", "findstring", "filter", "filter-out", "sort", "words",
    "firstword", "lastword", "dir", "notdir", "addsuffix", "addprefix")}
_PLAIN_VARIABLES = (Variable, AppendVariable)


class _Impure(Exception):
    """The template has a part outside the subset (see the module docstring)."""


def program(exp: Expander, variables: dict, text: str):
    """TEXT (a recipe line) as a program for ``run``: a str when its expansion is a
    constant, a tuple of parts otherwise; None when the Expander must expand it."""
    try:
        parts = _parts(exp, variables, exp.compile(text), frozenset())
    except _Impure:
        return None
    return _folded(parts)


def _parts(exp: Expander, variables: dict, template, expanding: frozenset) -> list:
    if template.__class__ is str:
        return [template]
    out: list = []
    for p in template:
        if p.__class__ is str:
            out.append(p)
            continue
        kind = p[0]
        if kind == "v":
            name = p[1]
            if name in _AUTOMATIC:
                out.append(("a", name))
                continue
            v = variables.get(name)
            # (Expander._visible: a private global variable is not seen from a recipe)
            if (v is None or v.__class__ not in _PLAIN_VARIABLES or v.private
                    or name in _CHANGING):
                raise _Impure
            if not v.recursive:
                out.append(v.value)
                continue
            if name in expanding:  # (the Expander's error: it references itself)
                raise _Impure
            out += _parts(exp, variables, exp.compile(v.value), expanding | {name})
        elif kind == "f":
            _, name, cargs, pre = p
            fn = _PURE.get(name)
            if fn is None or not pre or len(cargs) < FUNCTIONS[name][0]:
                raise _Impure
            args = [_folded(_parts(exp, variables, a, expanding)) for a in cargs]
            if all(a.__class__ is str for a in args):
                out.append(fn(exp, args))  # (a function of constants: its value)
            else:
                out.append(("f", fn, tuple(args)))
        else:
            raise _Impure
    return out


def _folded(parts: list):
    """PARTS with adjacent constants joined: one str when all are."""
    out: list = []
    for p in parts:
        if p.__class__ is str and out and out[-1].__class__ is str:
            out[-1] += p
        else:
            out.append(p)
    out = [p for p in out if p != ""]
    if not out:
        return ""
    if len(out) == 1 and out[0].__class__ is str:
        return out[0]
    return tuple(out)


def run(prog, auto: dict, exp: Expander) -> str:
    """The expansion of a program (not None) with the automatic variables AUTO."""
    if prog.__class__ is str:
        return prog
    out = []
    for p in prog:
        if p.__class__ is str:
            out.append(p)
        elif p[0] == "a":
            out.append(auto[p[1]])
        else:
            out.append(p[1](exp, [run(a, auto, exp) for a in p[2]]))
    return "".join(out)
