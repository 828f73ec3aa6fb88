"""A fast path through :meth:`Reader.eval` for fixdep ``.cmd`` files.

A kbuild tree makes make read one ``.cmd`` file per target (20,000 in a large tree, 100
dependency lines each), and the general reader spends most of its time there: it joins
every continuation line in a Python loop, then compiles each ``deps_T`` value as a
one-shot template before expanding it. This module reads the layouts fixdep, the kbuild
``cmd`` macros and gen_ksymdeps.sh write (reference section 3) with the same effects, in
the same order, as :meth:`Reader.eval` (read.c eval):

- ``PREFIX_NAME := VALUE`` for the prefixes ``cmd_ savedcmd_ source_ deps_ ksymdeps_``,
  with backslash continuations (``deps_T := \\``, one dependency per line) joined exactly
  as eval joins them;
- the rule lines ``T: $(deps_T)``, ``T: $(ksymdeps_T)``, ``$(deps_T):``,
  ``$(ksymdeps_T):`` and 6.1's ``T: $(wildcard ./tools/objtool/objtool)``;
- blank lines.

The file is first classified without side effects; anything else in it (a tab, ``#``, a
CR, a directive, another assignment, other rule shapes, a line with leading blanks,
unusual characters in a name, an even run of trailing backslashes) makes
:func:`read_cmd_fast` return False before anything happened, and the caller runs the
general reader. Each line then has exactly the effects eval would give it:

- an assignment sets ``expander.floc`` and calls :meth:`Reader.define` with the value
  expanded: a value made only of words and ``$(wildcard WORDS)`` is expanded here
  (``" ".join(proc.wildcard(WORDS.split()))`` per reference, in order, as
  ``Expander._run_function`` does for ``wildcard``); any other ``$`` goes to
  ``Expander.expand``;
- every non-blank line first records the rule pending from the line before
  (eval's ``finish_rule``); a rule line becomes the same rule dict ``Reader.parse_line``
  returns. ``$(VAR)`` in a rule is read straight from a simple (``:=``) variable, which is
  all the expansion of that text does; a recursive or undefined variable, a ``|`` or a
  ``:`` in its value, and the wildcard rule go through ``Reader.parse_line`` itself.

tests/test_cmdread.py compares the two paths (variables with their order and flags, the
file table with every entry's prerequisites and flags in order, default goal,
MAKEFILE_LIST, ``$(wildcard)`` lstat events, messages) on the real 6.1 fixtures, on the
.cmd files kbsim.kbuild.cmdfile.write_cmd writes for every era, on bench/gen_kbuild_tree
output, and on variants that must fall back.
"""

from __future__ import annotations

import re
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .reader import Reader

ENABLED = True  # tests switch it off to compare with the general reader

# A name in one of these lines: nothing the general reader would read specially in a
# target, a variable name or a $(...) reference (see the module docstring).
_N = r"[^\s:=$#()%|*?\[\]{}\\;,'\"]+"
_ASSIGN = re.compile(r"(cmd_|savedcmd_|source_|deps_|ksymdeps_)" + _N + r" :=(?: |$)")
_RULE_VAR = re.compile(r"(" + _N + r"): \$\(((?:ksym)?deps_" + _N + r")\)")
_RULE_TARGETS = re.compile(r"\$\(((?:ksym)?deps_" + _N + r")\):")
_RULE_WILD = re.compile(_N + r": \$\(wildcard [^\s$()]+\)")

_ASSIGN_OP, _RULE_DEPS, _RULE_TGTS, _RULE_OTHER = 0, 1, 2, 3
# the parts of a chunk after '$(wildcard ' (_expand_value): (BODY, ')', LITERAL)
_BODY, _CLOSE, _LIT = itemgetter(0), itemgetter(1), itemgetter(2)
# a run of lines that each end in exactly one backslash
_RUN = re.compile(r"(?:(?:[^\n]*[^\\\n])?\\\n)*")


def _ends_continued(line: str) -> bool:
    n = len(line) - len(line.rstrip("\\"))
    return n % 2 == 1


def _join_lines(lines: list[str]) -> str:
    """Reader.eval's join of the parts of a run of continued lines (each line ending in
    exactly one backslash and a newline), given as LINES, the run split at backslash-
    newline (the lines without their backslashes, then an empty part, popped here: every
    newline of the run follows its line's one backslash): each line stripped of blanks,
    the non-empty ones separated by one space, with a trailing space when there is at
    least one. (Removing the backslash first and then stripping both ends is the same as
    eval's lstrip, cut, rstrip; map and filter keep the loop in C.)"""
    lines.pop()
    body = " ".join(filter(None, map(str.strip, lines, repeat(" \t"))))
    return body + " " if body else ""


def classify(text: str) -> list[tuple] | None:
    """The logical lines of a .cmd text as (kind, lineno, ...) tuples, or None when the
    text is not one of the layouts this module reads. No side effects.

    Physical lines are those of ``text.split("\n")`` less a final empty one, as in eval."""
    if "\t" in text or "#" in text or "\r" in text:
        return None
    ops: list[tuple] = []
    n = len(text)
    find = text.find
    pos = 0
    lineno = 0
    while pos < n:
        e = find("\n", pos)
        if e < 0:
            e = n
        line = text[pos:e]
        lineno += 1
        pos = e + 1
        if line[-1:] == "\\":
            # A continued assignment (deps_T := \): join as Reader.eval does.
            if not _ends_continued(line):
                return None
            m = _ASSIGN.match(line)
            if m is None:
                return None
            head = line[:-1].rstrip(" \t")
            start = lineno
            if pos < n:
                # The continued lines that follow. fixdep ends them with a blank line: if
                # every line up to the first empty one ends in exactly one backslash, those
                # are the run; otherwise find it line by line.
                r = find("\n\n", pos) + 1
                block = text[pos:r]
                nl = block.count("\n")
                lines = block.split("\\\n")  # (one more part than backslash-newlines)
                if not r or nl != len(lines) - 1 or "\\\\\n" in block:
                    r = _RUN.match(text, pos).end()
                    block = text[pos:r]
                    nl = block.count("\n")
                    lines = block.split("\\\n")
                body = _join_lines(lines) if block else ""
                lineno += nl
                if r < n:  # the line that ends the logical line
                    e = find("\n", r)
                    if e < 0:
                        e = n
                    last = text[r:e].lstrip(" \t")
                    if last[-1:] == "\\":
                        return None  # two or more trailing backslashes
                    lineno += 1
                    pos = e + 1
                else:
                    last = ""
                    pos = r
                # (read.c collapse_continuations: a value that ends in a backslash-
                # newline keeps the blank it becomes, as make 4.3 prints it)
                line = None
            else:
                line = head
            # (the line starts in column 0; the value keeps its blanks at the end, as
            # Reader.eval keeps them)
            k = m.end() - (3 if m.group().endswith(" ") else 2)  # the ':' of ':='
            if line is not None:
                value = line[k + 2:].lstrip(" \t")
            elif head[k + 2:].strip(" \t"):
                value = (head[k + 2:] + " " + body + last).lstrip(" \t")
            else:
                # nothing but blanks after ':=' on the first line (fixdep's 'deps_T := \'):
                # the value is the joined lines, which start with no blank, then LAST
                # (already without leading blanks), without copying ~30 kB twice
                value = body + last if body else last
            ops.append((_ASSIGN_OP, start, head[:k - 1], value))
            continue
        stripped = line.strip(" \t")
        if not stripped:
            continue
        if line[0] == " ":
            return None
        m = _ASSIGN.match(line)
        if m is not None:
            k = m.end() - (3 if m.group().endswith(" ") else 2)
            ops.append((_ASSIGN_OP, lineno, line[:k - 1], line[k + 2:].lstrip(" \t")))
            continue
        m = _RULE_VAR.fullmatch(line)
        if m is not None:
            ops.append((_RULE_DEPS, lineno, stripped, m.group(1), m.group(2)))
            continue
        m = _RULE_TARGETS.fullmatch(line)
        if m is not None:
            ops.append((_RULE_TGTS, lineno, stripped, m.group(1)))
            continue
        if _RULE_WILD.fullmatch(line) is not None:
            ops.append((_RULE_OTHER, lineno, stripped))
            continue
        return None
    return ops


def _expand_value(reader: "Reader", value: str) -> str:
    """Expander.expand(VALUE) for words and $(wildcard WORDS) only; else the expander."""
    if "$" not in value:
        return value
    chunks = value.split("$(wildcard ")  # literal, then body) literal each
    lit0 = chunks[0]
    if "$" not in lit0 and not ("*" in value or "?" in value or "[" in value):
        # Every '$' starts a $(wildcard BODY) with BODY free of '$', '(' and ')' when each
        # later chunk is BODY ')' LITERAL with no '$' in either: then these are the
        # references a search for \$\(wildcard ([^$()]*)\) finds, left to right (the maps
        # keep the loops in C).
        trip = list(map(str.partition, chunks[1:], repeat(")")))
        bodies = list(map(_BODY, trip))
        lits = list(map(_LIT, trip))
        joined = " ".join(bodies)
        n = len(trip)
        if ("".join(map(_CLOSE, trip)) == ")" * n and "$" not in "".join(lits)
                and "$" not in joined and "(" not in joined and joined.split() == bodies):
            # Fixdep's own shape: one name per $(wildcard), no pattern. Each is one
            # lstat and comes back as written if it exists; one call for all of them
            # makes the same lstats in the same order, and a name exists or not alike
            # wherever it appears.
            found = reader.proc.wildcard(bodies)
            hit = dict(zip(found, found))
            parts = [lit0] * (2 * n + 1)
            parts[1::2] = map(hit.get, bodies, repeat(""))
            parts[2::2] = lits
            return "".join(parts)
    find = value.find
    pieces = []
    i = 0
    while True:
        j = find("$", i)
        if j < 0:
            break
        if not value.startswith("$(wildcard ", j):
            return reader.exp.expand(value)
        k = find(")", j + 11)
        if k < 0:
            return reader.exp.expand(value)
        body = value[j + 11:k]
        if "$" in body or "(" in body:
            return reader.exp.expand(value)
        pieces.append((value[i:j], body))
        i = k + 1
    wildcard = reader.proc.wildcard
    out = []
    if "*" in value or "?" in value or "[" in value:
        for lit, body in pieces:
            out.append(lit)
            out.append(" ".join(wildcard(body.split())))
    else:
        # No pattern: each word is one lstat and comes back as written if it exists, so
        # one call for all the words (the same lstats in the same order) tells which
        # exist: the found ones are the existing words in order, and equal words exist
        # alike, so matching them in order sorts the finds back into their references.
        groups = [body.split() for _, body in pieces]
        found = wildcard([w for g in groups for w in g])
        nf = len(found)
        m = 0
        for (lit, _), g in zip(pieces, groups):
            out.append(lit)
            hit = []
            for w in g:
                if m < nf and found[m] == w:
                    hit.append(w)
                    m += 1
            out.append(" ".join(hit))
    out.append(value[i:])
    return "".join(out)


def _special_word_chars(value: str) -> bool:
    """Does VALUE hold a character read.c reads specially in a rule's words? (Four
    scans of the string: a deps_ value can be 100 kB, where a regular expression's
    character class costs tens of instructions a character.)"""
    return "|" in value or ":" in value or "(" in value or "\\" in value


def _rule(targets: list[str], normal: list[str], floc) -> dict:
    """The rule dict Reader.parse_line returns for 'TARGETS: NORMAL' (no recipe)."""
    return {"targets": targets, "normal": normal, "oo": [], "double": False, "static": None,
            "cmds": [], "has_recipe": False, "floc": floc}


def read_cmd_fast(reader: "Reader", text: str, filename: str) -> bool:
    """Evaluate TEXT as Reader.eval(TEXT, FILENAME) would, if it is a .cmd layout this
    module reads; False (and nothing done) otherwise."""
    ops = classify(text)
    if ops is None:
        return False
    exp = reader.exp
    variables = reader.proc.variables
    define = reader.define
    record_rule = reader.record_rule
    pending: dict | None = None
    # the words of the last simple variable a rule used: '$(deps_T):' names the same words
    # as 'T: $(deps_T)' (the same str objects again, so their hashes are already known)
    last_value = last_words = None
    for op in ops:
        kind = op[0]
        floc = (filename, op[1])
        if pending is not None:  # eval's finish_rule
            record_rule(pending)
            pending = None
        if kind == _ASSIGN_OP:
            exp.floc = floc
            define(op[2], _expand_value(reader, op[3]), False, floc=floc)
        elif kind == _RULE_DEPS:
            exp.floc = floc
            v = variables.get(op[4])
            # (a '|', a ':' (a static pattern: an error), a '(' (an archive member)
            # or a backslash (an escape) in the words: parse_line reads them)
            if v is None or v.recursive or _special_word_chars(v.value):
                pending = reader.parse_line(op[2], floc)
            else:
                last_value = v.value
                last_words = last_value.split()
                pending = _rule([op[3]], list(last_words), floc)
                reader._maybe_default_goal(pending["targets"])
        elif kind == _RULE_TGTS:
            exp.floc = floc
            v = variables.get(op[3])
            if v is None or v.recursive or _special_word_chars(v.value):
                pending = reader.parse_line(op[2], floc)
            else:
                value = v.value
                targets = list(last_words) if value is last_value else value.split()
                pending = _rule(targets, [], floc) if targets else None
                if pending is not None:
                    reader._maybe_default_goal(targets)
        else:
            pending = reader.parse_line(op[2], floc)
    if pending is not None:
        record_rule(pending)
    return True
