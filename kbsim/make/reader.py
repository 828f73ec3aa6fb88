"""Reading makefiles: the documented subset of GNU make 4.3 syntax (``read.c eval``).

Supported: comments, backslash continuations, ``=`` ``:=`` ``::=`` ``+=`` ``?=`` ``!=``,
the modifiers ``override``/``private``/``export``, ``define``/``undefine``,
``export``/``unexport`` (of names or of all variables), ``$(eval)`` text (eval_buffer),
conditionals (``ifeq ifneq ifdef ifndef else endif``), ``include``/``-include``/``sinclude``,
explicit rules with normal and order-only prerequisites, ``;`` and tab recipes,
double-colon rules, pattern rules, static pattern rules, target and pattern variables, the
``vpath`` directive (and the ``VPATH``/``GPATH`` variables: vpath.py), and
the special targets ``.PHONY .SECONDARY .INTERMEDIATE .PRECIOUS .LOW_RESOLUTION_TIME
.DELETE_ON_ERROR .SUFFIXES .DEFAULT .SILENT .IGNORE .NOTPARALLEL .ONESHELL
.EXPORT_ALL_VARIABLES``. Everything else raises :class:`UnsupportedSyntax` naming
file:line (docs/make-subset.md).

Order of prerequisites follows ``read.c record_files``: the rule with the recipe puts its
prerequisites first, other rules append theirs in parse order (V16).
"""

from __future__ import annotations

import re
from operator import attrgetter
from typing import TYPE_CHECKING

from . import cmdread
from .errors import MakeError, UnsupportedSyntax
from .expand import Variable, has_glob
from .filedb import FileEntry, PatternRule, Recipe, strip_dot_slash
from .targetvars import define_target_variable

_DOUBLE_COLON = attrgetter("double_colon")

if TYPE_CHECKING:  # pragma: no cover
    from .process import MakeProcess

_DIRECTIVES = {"ifeq", "ifneq", "ifdef", "ifndef", "else", "endif", "include", "-include",
               "sinclude", "export", "unexport", "override", "define", "endef", "undefine",
               "vpath", "private", "load", "-load"}
_UNSUPPORTED_SPECIAL = {".SECONDEXPANSION": "the .SECONDEXPANSION special target",
                        ".POSIX": "the .POSIX special target"}
_UNSUPPORTED_VARS = {".RECIPEPREFIX": "the .RECIPEPREFIX variable",
                     ".EXTRA_PREREQS": "the .EXTRA_PREREQS variable",
                     ".SHELLFLAGS": "the .SHELLFLAGS variable"}


def _logical_line(lines: list[str], i: int) -> tuple[str, int]:
    """LINES[I] with its backslash continuations joined as read.c collapse_continuations
    joins them (each break and the blanks around it become one space); the index after."""
    line = lines[i]
    i += 1
    if not (line.endswith("\\") and _ends_continued(line)):
        return line, i
    parts = [line[:-1].rstrip(" \t")]
    while i < len(lines):
        nxt = lines[i].lstrip(" \t")
        i += 1
        if _ends_continued(nxt):
            parts.append(nxt[:-1].rstrip(" \t"))
        else:
            parts.append(nxt)
            break
    return " ".join([p for p in parts if p]), i


_ASSIGN_OPS = ("::=", ":=", "+=", "?=", "!=", "=")


def _split_assignment(text: str) -> tuple[str, str, str] | None:
    """'NAME OP VALUE' at the first top-level '=': (NAME, OP, VALUE), or None."""
    k = _find_top(text, "=")
    if k < 0:
        return None
    for op in _ASSIGN_OPS:
        start = k + 1 - len(op)
        if start >= 0 and text.startswith(op, start):
            return text[:start], op, text[k + 1:]
    return None  # (not reached: '=' itself matches)


def _blank_in_name(name: str) -> bool:
    """Does the (unexpanded) variable name NAME hold a blank outside references?"""
    return _find_top(name.strip(" \t"), " \t") >= 0


_VAR_MODIFIERS = ("override", "private", "export")


def _first_word_in(line: str, words) -> str | None:
    """The first word of LINE if it is one of WORDS (followed by a blank or the end)."""
    for w in words:
        if _first_word_is(line, w):
            return w
    return None


def _first_word_is(line: str, word: str) -> bool:
    p = line.lstrip(" \t")
    return p.startswith(word) and (len(p) == len(word) or p[len(word)] in " \t")


def _define_body(lines: list[str], i: int, floc, reader: "Reader") -> tuple[str, int]:
    """read.c do_define: the lines up to the matching 'endef' (a nested 'define' counts;
    lines that start with a tab never do), each with its continuations collapsed,
    joined by newlines; and the index after the 'endef'."""
    level = 1
    body: list[str] = []
    n = len(lines)
    while True:
        if i >= n:
            raise reader.err("missing 'endef', unterminated 'define'", floc)
        lineno = i + 1
        line, i = _logical_line(lines, i)
        if not line.startswith("\t"):
            if _first_word_is(line, "define"):
                level += 1
            elif _first_word_is(line, "endef"):
                after = _strip_comment(line.lstrip(" \t")[5:])
                if after.strip(" \t"):
                    at = reader.eval_at or (floc[0], lineno)
                    reader.proc.err(f"{at[0]}:{at[1]}: extraneous text after 'endef' "
                                    f"directive")
                level -= 1
                if level == 0:
                    return "\n".join(body), i
        body.append(line)


def _skip_ignored_define(lines: list[str], i: int) -> int:
    """read.c in_ignored_define: skip to just after the first line whose first word is
    'endef' followed by nothing but a comment (nested defines are not counted)."""
    while i < len(lines):
        line, i = _logical_line(lines, i)
        p = line.lstrip(" \t")
        if p.startswith("endef") and (len(p) == 5 or p[5] in " \t#"):
            if not _strip_comment(p[5:]).strip(" \t"):
                break
    return i


def _strip_comment(line: str) -> str:
    """read.c remove_comments: cut at the first unescaped '#'."""
    i = line.find("#")
    if i < 0:
        return line
    while i >= 0:
        nb = 0
        j = i - 1
        while j >= 0 and line[j] == "\\":
            nb += 1
            j -= 1
        if nb % 2 == 0:
            # an even run of backslashes before '#': half of them remain
            return line[:i - nb] + "\\" * (nb // 2)
        line = line[:i - 1] + line[i:]  # '\#' -> '#'
        i = line.find("#", i)
    return line


def _ends_continued(line: str) -> bool:
    n = 0
    i = len(line) - 1
    while i >= 0 and line[i] == "\\":
        n += 1
        i -= 1
    return n % 2 == 1


_FIND_TOP_MEMO: dict[tuple[str, str, int], int] = {}


def _find_top(s: str, chars: str, start: int = 0) -> int:
    """First index of any of CHARS outside $( ) / ${ } references. A pure function of
    its arguments, remembered: every sub-make reads the same makefile lines again
    (lindroth-2018: 38k calls, 305 distinct)."""
    key = (s, chars, start)
    r = _FIND_TOP_MEMO.get(key)
    if r is None:
        if len(_FIND_TOP_MEMO) >= 100_000:
            _FIND_TOP_MEMO.clear()
        r = _FIND_TOP_MEMO[key] = _scan_top(s, chars, start)
    return r


def _scan_top(s: str, chars: str, start: int = 0) -> int:
    """_find_top itself."""
    # Fast path: the first of CHARS, when no '$' comes before it (the scan below would
    # meet nothing else on the way); otherwise scan from the first '$'.
    best = -1
    for ch in chars:
        k = s.find(ch, start)
        if k >= 0 and (best < 0 or k < best):
            best = k
    d = s.find("$", start) if best < 0 else s.find("$", start, best)
    if d < 0:
        return best
    i = d
    n = len(s)
    while i < n:
        c = s[i]
        if c == "$" and i + 1 < n:
            o = s[i + 1]
            if o in "({":
                close = ")" if o == "(" else "}"
                depth = 1
                k = i + 2
                while k < n:
                    if s[k] == o:
                        depth += 1
                    elif s[k] == close:
                        depth -= 1
                        if depth == 0:
                            break
                    k += 1
                i = k + 1
                continue
            i += 2
            continue
        if c in chars:
            return i
        i += 1
    return -1


# variable.h enum variable_origin, lowest first
_ORIGIN_RANK = {"default": 0, "environment": 1, "file": 2, "environment override": 3,
                "command line": 4, "override": 5, "automatic": 6}
# variable.c: origins above o_file (o_env_override is an environment variable under -e)
OUTRANKS_FILE = frozenset(("environment override", "command line", "override", "automatic"))


class Reader:
    """Evaluates makefile text into a make process's file table and variables."""

    def __init__(self, proc: "MakeProcess"):
        self.proc = proc
        self.exp = proc.expander
        self.files = proc.files
        self.default_goal_set = False
        # where every line of the $(eval) text being read is located (read.c eval_buffer:
        # GNU make 4.3 reports each line of the buffer at the line that expanded it)
        self.eval_at: tuple[str, int] | None = None

    # ----------------------------------------------------------------- helpers
    def err(self, msg: str, floc: tuple[str, int]) -> MakeError:
        return MakeError(msg, floc)

    def define(self, name: str, value: str, recursive: bool, origin: str = "file",
               floc: tuple[str, int] | None = None) -> None:
        proc = self.proc
        if name in _UNSUPPORTED_VARS and value.strip():
            raise UnsupportedSyntax(_UNSUPPORTED_VARS[name], floc)
        old = proc.variables.get(name)
        if old is not None and old.origin == "environment" and \
                proc.opts.environment_overrides:
            # variable.c define_variable_in_set: the environment was imported before -e
            # was decoded; the variable becomes 'environment override' when redefined
            old.origin = "environment override"
        if old is not None and origin == "file" and old.origin in OUTRANKS_FILE:
            return  # variable.c define_variable_in_set: a lower origin does not replace
        export = old.export if old is not None else None
        v = proc.variables[name] = Variable(name, value, recursive, origin, export)
        v.floc = floc
        if old is not None:
            v.private = old.private  # (read.c sets it on the variable, kept when redefined)

    def assign(self, name: str, op: str, value: str, floc, export: bool = False,
               origin: str = "file", strip: bool = True, var_floc=None,
               private: bool = False) -> None:
        """An assignment NAME OP VALUE read at FLOC (ORIGIN 'override' after the
        override directive; STRIP False for a define body, whose blanks are kept;
        VAR_FLOC, where the variable is said to be defined, when not FLOC: a define
        block is expanded at its 'endef' line but defined at its 'define' line)."""
        exp = self.exp
        exp.floc = floc
        if var_floc is not None:
            floc, exp.floc = var_floc, floc
        name = exp.expand(name).strip()
        if not name:
            raise self.err("empty variable name", floc)
        if strip:
            value = value.lstrip(" \t")
        vars_ = self.proc.variables
        if op in (":=", "::="):
            self.define(name, exp.expand(value), False, origin, floc)
        elif op == "=":
            self.define(name, value, True, origin, floc)
        elif op == "!=":
            # variable.c do_variable_definition f_shell: the expanded value run by the
            # shell; its output (only the last newline dropped) is a recursive value
            self.define(name, exp.shell(exp.expand(value), trim=False), True, origin, floc)
        elif op == "?=":
            if name not in vars_:
                self.define(name, value, True, origin, floc)
        elif op == "+=":
            old = vars_.get(name)
            if old is None:
                self.define(name, value, True, origin, floc)
            elif old.recursive:
                if value:  # variable.c: "If the new value is empty, nothing to do."
                    self.define(name, (old.value + " " + value) if old.value else value,
                                True, origin, floc)
            else:
                v = exp.expand(value)
                if v:  # (the expansion, for a simple variable)
                    self.define(name, (old.value + " " + v) if old.value else v, False,
                                origin, floc)
        if export and name in vars_:
            vars_[name].export = True
        if private and name in vars_:
            vars_[name].private = True

    # ----------------------------------------------------------------- reading
    def read_makefile(self, filename: str, text: str) -> None:
        self.proc.variables_append("MAKEFILE_LIST", filename)
        # fixdep .cmd files: the same effects as eval, faster (make/cmdread.py)
        if cmdread.ENABLED and self.__class__ is Reader and \
                cmdread.read_cmd_fast(self, text, filename):
            return
        self.eval(text, filename)

    def eval_buffer(self, text: str, at: tuple[str, int] | None) -> None:
        """read.c eval_buffer, for $(eval TEXT): TEXT read as makefile lines with a
        conditional stack and a rule context of its own, every line located at AT (the
        line, or recipe line, whose expansion called it)."""
        saved = self.exp.floc
        try:
            self.eval(text, at[0] if at else "", at)
        finally:
            self.exp.floc = saved

    def eval(self, text: str, filename: str, at: tuple[str, int] | None = None) -> None:
        """read.c eval: TEXT, the makefile FILENAME (or $(eval) text located at AT)."""
        saved = self.eval_at
        self.eval_at = at
        try:
            self._eval(text, filename, at)
        finally:
            self.eval_at = saved

    def _eval(self, text: str, filename: str, at: tuple[str, int] | None) -> None:
        exp = self.exp
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        nlines = len(lines)
        i = 0
        cond_stack: list[list[bool]] = []  # [active, seen_true, seen_else]
        active = True
        rule: dict | None = None  # current rule context collecting tab recipe lines

        def finish_rule() -> None:
            nonlocal rule
            if rule is not None:
                self.record_rule(rule)
                rule = None

        while i < nlines:
            line = lines[i]
            lineno = i + 1
            i += 1
            floc = at or (filename, lineno)
            if line.startswith("\t") and rule is not None:
                if not active:
                    continue
                # A recipe line: keep backslash-newlines, drop the next line's tab.
                text_ = line[1:]
                while _ends_continued(text_) and i < nlines:
                    nxt = lines[i]
                    i += 1
                    text_ += "\n" + (nxt[1:] if nxt.startswith("\t") else nxt)
                if not rule["cmds"]:
                    # read.c eval: 'if (commands_idx == 0) cmds_started = ebuf->floc.lineno'
                    # -- a recipe that starts on a tab line is located at that line, so
                    # child_error's "[Makefile:N: t]" counts from it (a ';' recipe keeps
                    # the rule's line).
                    rule["cmds_line"] = lineno
                rule["cmds"].append(text_)
                continue
            # Logical line: join continuations (read.c collapse_continuations).
            if line.endswith("\\") and _ends_continued(line):
                line, i = _logical_line(lines, i - 1)
            if "#" in line:
                line = _strip_comment(line)
            stripped = line.strip(" \t")
            if not stripped:
                continue
            # Directives
            word, _, rest = stripped.partition(" ")
            if "\t" in word:
                word, _, rest2 = word.partition("\t")
                rest = rest2 + (" " + rest if rest else "")
            if word in _DIRECTIVES:
                exp.floc = floc  # (a conditional or an include expands text on this line)
                # "word = value" is an assignment to a variable named like a directive
                r = rest.lstrip(" \t")
                if not (r.startswith("=") or r.startswith(":=") or r.startswith("+=")
                        or r.startswith("?=") or (r.startswith(":") and word not in
                                                  ("include", "-include", "sinclude"))):
                    if word in ("ifeq", "ifneq", "ifdef", "ifndef"):
                        # [active, a branch was taken, a plain 'else' was seen]
                        if not active:
                            cond_stack.append([False, True, False])
                        else:
                            val = self.eval_condition(word, rest.strip(" \t"), floc)
                            cond_stack.append([val, val, False])
                        active = all(c[0] for c in cond_stack)
                        continue
                    if word == "else":
                        if not cond_stack:
                            raise self.err("extraneous 'else'", floc)
                        top = cond_stack[-1]
                        if top[2]:  # read.c conditional_line: seen_else, even when ignoring
                            raise self.err("only one 'else' per conditional", floc)
                        outer = all(c[0] for c in cond_stack[:-1])
                        r = rest.strip(" \t")
                        if r:
                            w2, _, r2 = r.partition(" ")
                            if w2 not in ("ifeq", "ifneq", "ifdef", "ifndef"):
                                raise self.err("extraneous text after 'else' directive", floc)
                            if top[1] or not outer:
                                top[0] = False
                            else:
                                val = self.eval_condition(w2, r2.strip(" \t"), floc)
                                top[0] = val
                                top[1] = val
                        else:
                            top[0] = not top[1] and outer
                            top[1] = True
                            top[2] = True
                        active = all(c[0] for c in cond_stack)
                        continue
                    if word == "endif":
                        if not cond_stack:
                            raise self.err("extraneous 'endif'", floc)
                        cond_stack.pop()
                        active = all(c[0] for c in cond_stack)
                        continue
                    if not active:
                        if word == "define" or (word == "override" and
                                                _first_word_is(rest, "define")):
                            # read.c in_ignored_define: up to the first 'endef' line
                            i = _skip_ignored_define(lines, i)
                        continue
                    if word in ("include", "-include", "sinclude"):
                        finish_rule()
                        names = exp.expand(rest).split()
                        self.proc.do_include(names, word != "include", floc)
                        continue
                    if word in ("export", "unexport"):
                        finish_rule()
                        if word == "export" and _first_word_in(
                                rest, (*_VAR_MODIFIERS, "define")):
                            i = self.do_variable_directive(
                                word, line.lstrip(" \t")[len(word):], lines, i, floc)
                        else:
                            self.do_export(word, rest, floc)
                        continue
                    if word == "vpath":
                        # read.c eval: 'vpath PATTERN DIRS...' (all of the rest), 'vpath
                        # PATTERN' clears that pattern, a bare 'vpath' every pattern
                        finish_rule()
                        words = exp.expand(rest).lstrip(" \t").split(None, 1)
                        self.proc.construct_vpath_list(
                            words[0] if words else None,
                            words[1] if len(words) > 1 else None)
                        continue
                    if word == "endef":  # outside a define: not a directive here
                        raise self.err("missing separator", floc)
                    if word in ("define", "override", "undefine", "private"):
                        finish_rule()
                        # (from the line itself: 'rest' lost the blanks at its end)
                        i = self.do_variable_directive(
                            word, line.lstrip(" \t")[len(word):], lines, i, floc)
                        continue
                    raise UnsupportedSyntax(f"the {word} directive", floc)
            if not active:
                continue
            finish_rule()
            # a tab line outside a rule is read as an ordinary line: a directive or an
            # assignment, else read.c eval stops ("recipe commences before first target")
            # (only the left: an assignment keeps the blanks at the end of its value)
            rule = self.parse_line(line.lstrip(" \t"), floc, tab=line.startswith("\t"))
        finish_rule()
        if cond_stack:
            raise self.err("missing 'endif'", at or (filename, nlines))

    def do_variable_directive(self, word: str, rest: str, lines: list[str], i: int,
                              floc) -> int:
        """read.c parse_var_assignment: the modifiers 'override', 'private' and
        'export' in any order, then 'undefine NAME', 'define NAME [OP]' (a block read
        from LINES[I:], do_define) or an assignment. The index of the line after what was
        read."""
        mods = set()
        rest = word + rest
        while True:
            rest = rest.lstrip(" \t")  # (an assignment keeps the blanks at its end)
            w = _first_word_in(rest, _VAR_MODIFIERS)
            if w is None:
                break
            mods.add(w)
            rest = rest[len(w):]
        origin = "override" if "override" in mods else "file"
        export = "export" in mods
        private = "private" in mods
        if _first_word_is(rest, "undefine"):
            self.undefine(_strip_comment(rest[8:]), origin, floc)
            return i
        if not _first_word_is(rest, "define"):
            parts = _split_assignment(rest)
            # (a ':' before the operator, or a blank inside the name: not an assignment)
            if parts is None or ":" in parts[0] or _blank_in_name(parts[0]):
                raise self.err("missing separator", floc)
            self.assign(*parts, floc, origin=origin, export=export, private=private)
            return i
        rest = rest[6:].strip(" \t")
        # do_define: 'define NAME [OP]' (no operator: recursive)
        op = "="
        name = rest
        parts = _split_assignment(rest)
        if parts is not None:
            name, op, after = parts
            if after.strip(" \t"):
                self.proc.err(f"{floc[0]}:{floc[1]}: extraneous text after 'define' "
                              f"directive")
        if not self.exp.expand(name).strip():
            raise self.err("empty variable name", floc)
        body, i = _define_body(lines, i, floc, self)
        self.assign(name, op, body, self.eval_at or (floc[0], i), origin=origin, strip=False,
                    var_floc=floc, export=export, private=private)
        return i

    def undefine(self, text: str, origin: str, floc) -> None:
        """read.c do_undefine, variable.c undefine_variable_in_set: the expanded, trimmed
        text names one variable; it goes unless its origin ranks above ORIGIN (under -e
        an environment variable first becomes 'environment override', as on a
        redefinition)."""
        name = self.exp.expand(text).strip(" \t")
        if not name:
            raise self.err("empty variable name", floc)
        v = self.proc.variables.get(name)
        if v is None:
            return
        if v.origin == "environment" and self.proc.opts.environment_overrides:
            v.origin = "environment override"
        if _ORIGIN_RANK.get(origin, 0) >= _ORIGIN_RANK.get(v.origin, 0):
            del self.proc.variables[name]

    def eval_condition(self, word: str, arg: str, floc) -> bool:
        exp = self.exp
        if word in ("ifdef", "ifndef"):
            name = exp.expand(arg).strip()
            v = self.proc.variables.get(name)
            defined = v is not None and v.value != ""
            return defined if word == "ifdef" else not defined
        arg = arg.strip()
        if arg.startswith("("):
            body = arg[1:]
            if not body.endswith(")"):
                raise self.err("invalid syntax in conditional", floc)
            body = body[:-1]
            comma = _find_top(body, ",")
            if comma < 0:
                raise self.err("invalid syntax in conditional", floc)
            a = exp.expand(body[:comma]).strip()
            b = exp.expand(body[comma + 1:]).strip()
        else:
            m = re.fullmatch(r"""(["'])(.*?)\1\s+(["'])(.*?)\3""", arg)
            if not m:
                raise self.err("invalid syntax in conditional", floc)
            a = exp.expand(m.group(2))
            b = exp.expand(m.group(4))
        return (a == b) if word == "ifeq" else (a != b)

    def do_export(self, word: str, rest: str, floc) -> None:
        rest = rest.strip()
        if not rest:
            # read.c: a bare 'export' or 'unexport' sets export_all_variables
            self.proc.export_all = word == "export"
            return
        if _first_word_is(rest, "define") or _first_word_is(rest, "override"):
            raise UnsupportedSyntax(f"'{word}' with define or override", floc)
        parts = _split_assignment(rest) if word == "export" else None
        if parts is not None and not _blank_in_name(parts[0]):
            self.assign(*parts, floc, export=True)
            return
        for name in self.exp.expand(rest).split():
            v = self.proc.variables.get(name)
            if v is None:
                v = Variable(name, "", True, "file")
                self.proc.variables[name] = v
            v.export = word == "export"

    # ----------------------------------------------------------------- rules
    def parse_line(self, line: str, floc, tab: bool = False) -> dict | None:
        """An assignment, a rule (returns the rule context), or an expansion-only line.
        TAB: the line began with a tab outside a rule, so only an assignment may follow."""
        exp = self.exp
        k = _find_top(line, "=:")
        if tab and (k < 0 or (line[k] == ":" and not line.startswith(":=", k)
                              and not line.startswith("::=", k))):
            raise self.err("recipe commences before first target", floc)
        if k < 0:
            out = exp_with_floc(exp, line, floc)
            if out.strip():
                raise self.err("missing separator", floc)
            return None
        c = line[k]
        if c == "=":
            op_start = k
            if k > 0 and line[k - 1] in "+?!":
                op_start = k - 1
            if not _blank_in_name(line[:op_start]):
                self.assign(line[:op_start], line[op_start:k + 1], line[k + 1:], floc)
                return None
            # read.c parse_variable_definition: a blank in the name must be followed
            # by the operator, else the line is no assignment: a rule, or no separator
            k = _find_top(line, ":")
            if k < 0:
                if exp_with_floc(exp, line, floc).strip():
                    raise self.err("missing separator", floc)
                return None
            c = ":"
        # c == ':'
        if line.startswith(":=", k) and not _blank_in_name(line[:k]):
            self.assign(line[:k], ":=", line[k + 2:], floc)
            return None
        if line.startswith("::=", k) and not _blank_in_name(line[:k]):
            self.assign(line[:k], "::=", line[k + 3:], floc)
            return None
        double = line.startswith("::", k)
        after = line[k + (2 if double else 1):]
        # target-specific variables: 't: VAR = value' (an '=' before any ';': the ';' is
        # then part of the value; read.c record_target_var)
        semi = _find_top(after, ";")
        eqpos = _find_top(after if semi < 0 else after[:semi], "=")
        if eqpos >= 0:
            self.target_variable(line[:k], after, floc)
            return None
        recipe_first = None
        if semi >= 0:
            recipe_first = after[semi + 1:]
            after = after[:semi]
        exp.floc = floc
        targets_text = exp.expand(line[:k])
        static_pat = None
        colon2 = _find_top(after, ":")
        if colon2 >= 0:
            static_pat = exp.expand(after[:colon2]).strip()
            after = after[colon2 + 1:]
        deps_text = exp.expand(after)
        targets = targets_text.split()
        if not targets:
            # read.c: a rule whose target list is empty (after expansion) is ignored,
            # together with its recipe lines (checked against make 4.3)
            return {"targets": [], "normal": [], "oo": [], "double": double, "static": None,
                    "cmds": [], "has_recipe": False, "floc": floc}
        if ":" in targets_text:
            for t in targets:
                if ":" in t and not t.startswith("/"):
                    raise UnsupportedSyntax("a target whose name contains ':' (archive members "
                                            "or a rule built by variable expansion)", floc)
        words = deps_text.split()
        if "|" not in deps_text:
            normal, oo = words, []
        elif "|" in words:
            j = words.index("|")
            normal, oo = words[:j], [w for w in words[j + 1:] if w != "|"]
        else:
            normal, oo = words, []
            for idx, w in enumerate(words):
                if "|" in w:
                    raise UnsupportedSyntax("an order-only '|' joined to a prerequisite name",
                                            floc)
        cmds = [] if recipe_first is None else [recipe_first]
        return {"targets": targets, "normal": normal, "oo": oo, "double": double,
                "static": static_pat, "cmds": cmds, "has_recipe": recipe_first is not None,
                "floc": floc}

    def target_variable(self, targets_text: str, text: str, floc) -> None:
        """'TARGETS: [override|export] NAME OP VALUE' (targetvars.py)."""
        exp = self.exp
        exp.floc = floc
        origin, export, private = "file", False, False
        text = text.lstrip(" \t")
        while True:
            w, _, r = text.partition(" ")
            if w in ("override", "export", "private") and _find_top(text, "=") > len(w):
                if w == "private":
                    private = True
                elif w == "override":
                    origin = "override"
                else:
                    export = True
                text = r.lstrip(" \t")
                continue
            break
        raw_name, op, value = _split_assignment(text) or ("", "=", "")
        name = exp.expand(raw_name).strip()
        if not name:
            raise self.err("empty variable name", floc)
        if ":" in name or " " in name:
            raise UnsupportedSyntax("this target-specific variable line", floc)
        value = value.lstrip(" \t")
        for t in exp.expand(targets_text).split():
            define_target_variable(self.proc, t, name, op, value, origin, export, floc,
                                   private)

    def _glob_words(self, words: list[str]) -> list[str]:
        """Prerequisite words are globbed only if they contain ? * [ (read.c parse_file_seq)."""
        if not words or not has_glob(" ".join(words)):  # one search over all the words
            return words
        out = []
        for w in words:
            if has_glob(w):
                hits = self.proc.wildcard([w])
                out.extend(hits if hits else [w])
            else:
                out.append(w)
        return out

    def record_rule(self, r: dict) -> None:
        if not r["targets"]:
            return
        proc = self.proc
        floc = r["floc"]
        has_recipe = r["has_recipe"] or bool(r["cmds"])
        cmds = (Recipe(r["cmds"], floc[0], r.get("cmds_line", floc[1])) if has_recipe
                else None)
        targets = r["targets"]
        normal = self._glob_words(r["normal"])
        oo = self._glob_words(r["oo"])
        static = r["static"]
        pattern = [t for t in targets if "%" in t] if "%" in "".join(targets) else None
        if pattern and static is None:
            if len(pattern) != len(targets):
                raise self.err("mixed implicit and normal rules", floc)
            proc.pattern_rules.append(PatternRule(targets, normal, oo, cmds, r["double"], floc))
            return
        files = self.files
        if not _UNSUPPORTED_SPECIAL.keys().isdisjoint(targets):
            for t in targets:
                if t in _UNSUPPORTED_SPECIAL:
                    raise UnsupportedSyntax(_UNSUPPORTED_SPECIAL[t], floc)
        self._maybe_default_goal(targets)
        if static is not None:
            if "%" not in static:
                raise self.err("target pattern contains no '%'", floc)
            from .expand import pattern_match
        dep_files = files.enter_many(normal)
        oo_files = files.enter_many(oo)
        if static is None and cmds is None and not r["double"] and not dep_files \
                and not oo_files:
            # Only targets (the '$(deps_T):' rule of every .cmd file): the loop below
            # reduced to what it does here, for many targets at a time.
            ents = list(map(files.files.get, targets))
            if None not in ents and not any(map(_DOUBLE_COLON, ents)):
                # all entered already, none with '::' rules (no error on the way)
                for f in ents:
                    f.is_target = True
                sfx = files.files.get(".SUFFIXES")
                if sfx is not None and sfx in ents:
                    sfx.deps = []
                    sfx.oo = None
                return
            get = files.files.get
            for t in targets:
                f = get(t)
                if f is None:
                    f = files.enter(t)
                if f.double_colon is not None:
                    raise self.err(f"target file '{f.name}' has both : and :: entries", floc)
                f.is_target = True
                if f.name == ".SUFFIXES":
                    f.deps = []
                    f.oo = None
            return
        for t in targets:
            if static is not None:
                if t.startswith("./"):  # (as files.enter will have it, and make prints it)
                    t = strip_dot_slash(t)
                stem = pattern_match(static, t)
                if stem is None:
                    # read.c record_files: a warning, and the target is still entered, with
                    # the recipe and no prerequisites; its stem is patsubst's result for a
                    # word that does not match: the name itself
                    proc.out_stderr(f"{floc[0]}:{floc[1]}: target '{t}' doesn't match the "
                                    f"target pattern\n")
                    stem = t
                    deps, odeps = [], []
                else:
                    d_names = [n.replace("%", stem, 1) for n in normal]
                    o_names = [n.replace("%", stem, 1) for n in oo]
                    deps = [files.enter(n) for n in d_names]
                    odeps = [files.enter(n) for n in o_names]
            else:
                stem = None
                deps, odeps = dep_files, oo_files
            if r["double"]:
                existing = files.lookup(t)
                if existing is not None and existing.is_target and existing.double_colon is None:
                    # (the name as entered: without './', as make prints it)
                    raise self.err(f"target file '{existing.name}' has both : and :: entries",
                                   floc)
                f = files.enter_double_colon(t)
                f.cmds = cmds
            else:
                f = files.enter(t)
                if f.double_colon is not None:
                    raise self.err(f"target file '{f.name}' has both : and :: entries", floc)
                if cmds is not None and f.cmds is cmds:
                    # read.c record_files: this rule named the target before ("harmless")
                    proc.out_stderr(f"{floc[0]}:{floc[1]}: target '{f.name}' given more than "
                                    f"once in the same rule\n")
                elif cmds is not None and f.cmds is not None and f.is_target:
                    old = f.cmds
                    # read.c record_files reports both recipes at their cmds->fileinfo
                    proc.out_stderr(f"{cmds.filename}:{cmds.lineno}: warning: overriding "
                                    f"recipe for "
                                    f"target '{f.name}'\n")
                    proc.out_stderr(f"{old.filename}:{old.lineno}: warning: ignoring old "
                                    f"recipe for target '{f.name}'\n")
                if cmds is not None:
                    f.cmds = cmds
                    f.rule_floc = floc
            f.is_target = True
            if stem is not None:
                f.stem = stem
            if deps or odeps:
                alld = deps + odeps
                oo_flags = ([False] * len(deps) + [True] * len(odeps)) if odeps else None
                f.add_deps(alld, oo_flags, first=cmds is not None)
            if f.name == ".SUFFIXES" and not deps:
                f.deps = []
                f.oo = None

    def _maybe_default_goal(self, targets: list[str]) -> None:
        """read.c: the first target not starting with '.' (unless it has a '/')."""
        if self.default_goal_set:
            return
        v = self.proc.variables.get(".DEFAULT_GOAL")
        if v is not None and v.value:
            self.default_goal_set = True
            return
        for t in targets:
            if t.startswith(".") and "/" not in t:
                continue
            self.proc.variables[".DEFAULT_GOAL"] = Variable(".DEFAULT_GOAL", t, False, "default")
            self.default_goal_set = True
            return


def exp_with_floc(exp, text: str, floc) -> str:
    exp.floc = floc
    return exp.expand(text)


def apply_special_targets(proc: "MakeProcess") -> None:
    """file.c snap_deps: .PHONY, .SECONDARY, .INTERMEDIATE, .PRECIOUS, .LOW_RESOLUTION_TIME,
    .EXPORT_ALL_VARIABLES; and read.c record_files' .ONESHELL."""
    from .filedb import NONEXISTENT
    files = proc.files

    def deps_of(name: str) -> list[FileEntry] | None:
        f = files.lookup(name)
        if f is None:
            return None
        out = []
        g = f
        while g is not None:
            out.extend(g.deps)
            g = g.prev
        return out

    eav = files.lookup(".EXPORT_ALL_VARIABLES")
    if eav is not None and eav.is_target:
        proc.export_all = True
    one = files.lookup(".ONESHELL")
    if one is not None and one.is_target:
        proc.one_shell = True
    for f2 in deps_of(".PRECIOUS") or []:
        f2.precious = True
    for f2 in deps_of(".LOW_RESOLUTION_TIME") or []:
        f2.low_resolution_time = True
    for f2 in deps_of(".PHONY") or []:
        g = f2
        while g is not None:
            g.phony = True
            g.is_target = True
            g.last_mtime = NONEXISTENT
            g.mtime_before_update = NONEXISTENT
            g = g.prev
    for f2 in deps_of(".INTERMEDIATE") or []:
        f2.intermediate = True
    sec = files.lookup(".SECONDARY")
    if sec is not None and sec.is_target:
        if sec.deps:
            for f2 in sec.deps:
                f2.intermediate = True
                f2.secondary = True
        else:
            proc.all_secondary = True
    for name, attr in ((".SILENT", "silent_files"), (".IGNORE", "ignore_files")):
        f = files.lookup(name)
        if f is not None and f.is_target:
            if f.deps:
                setattr(proc, attr, {d.name for d in f.deps})
            else:
                setattr(proc, attr, True)
                # file.c snap_deps: with no prerequisites these are the -s and -i
                # switches themselves (run_silent, ignore_errors_flag), so '.SILENT:'
                # also silences "'t' is up to date." and "rm ..." (update_goal_chain)
                if name == ".SILENT":
                    proc.silent = True
                else:
                    proc.ignore_errors = True
    for name, attr in ((".DELETE_ON_ERROR", "delete_on_error"), (".NOTPARALLEL", "not_parallel")):
        f = files.lookup(name)
        if f is not None and f.is_target:
            setattr(proc, attr, True)
    d = files.lookup(".DEFAULT")
    if d is not None and d.cmds is not None:
        proc.default_file = d
    if proc.all_secondary:
        # file.c snap_file: every file in the table becomes intermediate
        for f in files:
            f.intermediate = True
            g = f.prev
            while g is not None:
                g.intermediate = True
                g = g.prev
