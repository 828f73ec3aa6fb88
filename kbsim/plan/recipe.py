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

``run_words`` also gives such a line's words (what the shell's ``str.split`` of it gives)
without splitting it: a compile's ``$^`` in a kernel tree names ~1,000 headers, and one
warm replay of linux-6.1-tinyconfig made 15.7 MB of compile lines, split twice (the
filter-out's ``$^`` and the line itself) into ~3 million new strings. The filters run on
the names themselves instead, when the caller gives ``$^ $+ $? $|`` as lists of names that
are each one word, by the line's ``words_program`` (made once with its program).
"""

from __future__ import annotations

from itertools import filterfalse

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


# the characters str.split takes as blanks in an ASCII text, but the space
_BLANKS_BUT_SPACE = ("\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f")


def one_word_each(names) -> bool:
    """Is each of NAMES one word for str.split (not empty, no blank), so that
    " ".join(NAMES).split() is NAMES? (Checked on their join, in a few scans in C.)"""
    if not names:
        return True
    joined = " ".join(names)
    return (joined.isascii() and joined.count(" ") == len(names) - 1 and "" not in names
            and not any(b in joined for b in _BLANKS_BUT_SPACE))


_FILTERS = {_PURE["filter"]: True, _PURE["filter-out"]: False}
# the automatic variables whose words set_file_variables gives as lists (plan/jobs.py)
LISTED = frozenset("^+?|")


def words_program(prog):
    """PROG (a program) for ``run_words``, or None when run_words cannot give its line's
    words: a program made of constants, automatic variables and $(filter PATTERNS,$X) /
    $(filter-out PATTERNS,$X) of constant patterns without '%' or backslashes over an X
    of LISTED. Each part as an operation: ("s", text, its words, it starts with a blank,
    it ends with one), ("a", name), ("f", keep, the patterns as a set, X)."""
    if prog.__class__ is str:
        return None
    ops = []
    for p in prog:
        if p.__class__ is str:
            if p:
                ops.append(("s", p, p.split(), p[0].isspace(), p[-1].isspace()))
            continue
        if p[0] == "a":
            ops.append(p)
            continue
        keep = _FILTERS.get(p[1])
        args = p[2]
        if keep is None or len(args) != 2 or args[0].__class__ is not str:
            return None
        ref = args[1]
        if not (ref.__class__ is tuple and len(ref) == 1 and ref[0][0] == "a"
                and ref[0][1] in LISTED):
            return None
        pats = args[0].split()
        if any("%" in x or "\\" in x for x in pats):
            return None
        ops.append(("f", keep, frozenset(pats), ref[0][1]))
    return tuple(ops)


def run_words(ops, auto: dict, lists: dict) -> tuple[str, list[str]]:
    """(run(PROG), its str.split()) for OPS, words_program(PROG), with LISTS the words of
    the LISTED automatic variables (names that are each one word, so that
    " ".join(words).split() is words). A filter is the Expander's _filter on those words,
    and a piece's words continue the last word when no blank is between them, as in the
    joined text."""
    out: list[str] = []
    argv: list[str] = []
    glue = False  # (the text so far ends in a non-blank: the next word continues it)
    for op in ops:
        kind = op[0]
        if kind == "f":
            _, keep, plain, name = op
            names = lists[name]
            # (the set's test in C: a compile's $^ has ~1,000 names)
            words = list((filter if keep else filterfalse)(plain.__contains__, names))
            if not words:
                continue
            out.append(" ".join(words))
            if glue:
                argv[-1] += words[0]
                argv += words[1:]
            else:
                argv += words
            glue = True
            continue
        if kind == "s":
            _, text, words, lead, trail = op
        else:
            text = auto[op[1]]
            if not text:
                continue
            words = text.split()
            lead = text[0].isspace()
            trail = text[-1].isspace()
        out.append(text)
        if words:
            if glue and not lead:
                argv[-1] += words[0]
                argv += words[1:]
            else:
                argv += words
        glue = not trail
    return "".join(out), argv
