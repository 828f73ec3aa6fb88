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

from operator import attrgetter
from typing import TYPE_CHECKING

from . import cmdread
from .errors import MakeError, UnsupportedSyntax
from .expand import Variable, has_glob, pattern_match
from .filedb import FileEntry, PatternRule, Recipe, strip_dot_slash
from .readtext import (BLANK, SPACE, W_AMPCOLON, W_AMPDCOLON, W_COLON, W_DCOLON, W_EOL,
                       collapse_continuations, end_of_token, find_char_unquote,
                       find_map_unquote, get_next_mword, next_token, parse_file_seq,
                       parse_var_assignment, parse_variable_definition, remove_comments,
                       split_logical_lines, unescape_char)
from .targetvars import define_target_variable

_DOUBLE_COLON = attrgetter("double_colon")

if TYPE_CHECKING:  # pragma: no cover
    from .process import MakeProcess

_CONDITIONALS = frozenset(("ifdef", "ifndef", "ifeq", "ifneq", "else", "endif"))
# a rule line without targets (SunOS 4 compatibility): its recipe lines are skipped
_NO_TARGETS = {"targets": []}


_PREPARSED: dict[tuple[str, bool], tuple] = {}
_DEFINITIONS: dict[tuple[str, int], tuple | None] = {}


def _preparse(line: str, posix: bool) -> tuple[str, tuple | None, str | None, str]:
    """A logical line as eval first looks at it: collapse_continuations, then
    remove_comments, then parse_var_assignment, else its first word and the rest after
    it (None: nothing there). Pure functions of the text, so remembered: every make
    process reads the same makefile lines again (a kbuild replay: ~40,000 lines, a few
    hundred different)."""
    key = (line, posix)
    r = _PREPARSED.get(key)
    if r is None:
        if len(_PREPARSED) >= 50_000:
            _PREPARSED.clear()
        collapsed = remove_comments(collapse_continuations(line, posix))
        va = parse_var_assignment(collapsed)
        word, rest = None, ""
        p = next_token(collapsed)
        if va is None and p < len(collapsed):
            e = end_of_token(collapsed, p)
            word = collapsed[p:e]
            rest = collapsed[next_token(collapsed, e):]
        r = _PREPARSED[key] = (collapsed, va, word, rest)
    return r


_RULE_LINES: dict[tuple, tuple] = {}


def _rule_line(line: str, collapse: bool, posix: bool) -> tuple:
    """The start of eval's rule parsing, a pure function of the line (remembered, see
    _preparse): the recipe after an unquoted ';' that comes before any '#' (it keeps
    its backslash-newlines), the rest collapsed, and its first word (get_next_mword)."""
    key = (line, collapse, posix)
    r = _RULE_LINES.get(key)
    if r is None:
        if len(_RULE_LINES) >= 50_000:
            _RULE_LINES.clear()
        text, k = find_map_unquote(line, ";#", True)
        cmdleft = None
        if k >= 0 and text[k] == "#":
            text = text[:k]
        elif k >= 0:
            cmdleft = text[k + 1:]
            text = text[:k]
        if collapse:
            text = collapse_continuations(text, posix)
        r = _RULE_LINES[key] = (text, cmdleft, *get_next_mword(text, 0))
    return r


_LINES: dict[str, list] = {}
_LINES_SIZE = [0]


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """split_logical_lines, remembered for the texts read again (see _preparse)."""
    r = _LINES.get(text)
    if r is None:
        if _LINES_SIZE[0] > 20_000_000:
            _LINES.clear()
            _LINES_SIZE[0] = 0
        r = _LINES[text] = split_logical_lines(text)
        _LINES_SIZE[0] += len(text)
    return r


def _variable_definition(line: str, start: int) -> tuple | None:
    """parse_variable_definition, remembered (see _preparse)."""
    key = (line, start)
    r = _DEFINITIONS.get(key, False)
    if r is False:
        if len(_DEFINITIONS) >= 50_000:
            _DEFINITIONS.clear()
        r = _DEFINITIONS[key] = parse_variable_definition(line, start)
    return r


def _string_lines(text: str) -> list[str]:
    """read.c readstring: TEXT split at the newlines no odd run of backslashes escapes."""
    out = []
    start = 0
    i = text.find("\n")
    while i >= 0:
        k = i
        while k > start and text[k - 1] == "\\":
            k -= 1
        if (i - k) % 2 == 0:
            out.append(text[start:i])
            start = i + 1
        i = text.find("\n", i + 1)
    if start < len(text):
        out.append(text[start:])
    return out


def _unescaped_colon(s: str) -> int:
    """read.c eval's search for the colon of a static pattern rule: the first ':' not
    after an odd run of backslashes (nothing is unquoted)."""
    p = s.find(":")
    while p > 0 and s[p - 1] == "\\":
        k = p
        while k > 0 and s[k - 1] == "\\":
            k -= 1
        if (p - k) % 2 == 0:
            break
        p = s.find(":", p + 1)
    return p


def _unquote_all(s: str, ch: str) -> str:
    """find_char_unquote (S, CH) for its effect on S: the backslashes quoting each CH
    before the first unquoted one are halved."""
    return find_char_unquote(s, ch)[0]


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
        self.cmd_prefix = "\t"  # main.c cmd_prefix: the first character of .RECIPEPREFIX
        self.set_default = True  # read.c eval's set_default (not for $(MAKEFILES))
        # where every line of the $(eval) text being read is located (read.c eval_buffer:
        # GNU make 4.3 reports each line of the buffer at the line that expanded it)
        self.eval_at: tuple[str, int] | None = None

    # ----------------------------------------------------------------- helpers
    def err(self, msg: str, floc: tuple[str, int]) -> MakeError:
        # (an $(eval) outside any makefile, in a second expansion: no location)
        return MakeError(msg, floc if floc and floc[0] else None)

    def define(self, name: str, value: str, recursive: bool, origin: str = "file",
               floc: tuple[str, int] | None = None) -> None:
        proc = self.proc
        if name in _UNSUPPORTED_VARS and value.strip():
            raise UnsupportedSyntax(_UNSUPPORTED_VARS[name], floc)
        old = proc.variables.get(name)
        if name == ".RECIPEPREFIX":
            # variable.c set_special_var: the recipe prefix is the value's first
            # character (a tab when it is empty), from this definition on
            self.cmd_prefix = value[0] if value else "\t"
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
        """read.c eval, line by line and in its order of tests: a recipe line (the
        recipe prefix, after a rule), an assignment (with its modifiers, define,
        undefine), a conditional, export/unexport, vpath, include, and else a rule."""
        exp = self.exp
        proc = self.proc
        if at is None:
            lines = _logical_lines(text)
        else:
            # read.c readstring: an $(eval) buffer is split at unescaped newlines, every
            # line located at AT (its line count is never advanced)
            lines = [(0, ln) for ln in _string_lines(text)]
        nlines = len(lines)
        i = 0
        conds: list[list[int]] = []  # [ignoring (0, 1 or 2), seen_else]
        ignoring = False
        in_ignored_define = False
        rule: dict | None = None  # the rule whose recipe lines are being collected
        no_targets = False  # a rule without targets: its recipe lines are skipped
        last_lineno = 0

        def record_waiting() -> None:
            nonlocal rule, no_targets
            if rule is not None:
                self.record_rule(rule)
                rule = None
            no_targets = False

        while i < nlines:
            lineno, line = lines[i]
            i += 1
            last_lineno = lineno
            floc = at or (filename, lineno)
            if line == "\0NUL":
                # read.c readline: a NUL at the start of a line
                proc.err(f"{floc[0]}:{floc[1]}: warning: NUL character seen; rest of "
                         f"line ignored")
                continue
            if lineno == 1 and line.startswith("\ufeff"):
                line = line[1:]  # read.c eval: a UTF-8 byte-order mark is skipped
            if not line:
                continue
            prefix = self.cmd_prefix
            if line[0] == prefix:
                if no_targets:
                    continue  # (the recipe of a rule without targets)
                if rule is not None:
                    if ignoring:
                        continue
                    if not rule["cmds"] and not rule["has_recipe"]:
                        rule["cmds_line"] = lineno
                    rule["cmds"].append(line[1:])
                    continue
            collapsed, va, word, rest = _preparse(line, proc.posix)
            if va is not None:
                mods, start = va
                if ignoring:
                    if "define" in mods:
                        in_ignored_define = True
                    continue
                if rule is not None or no_targets:
                    record_waiting()
                if "undefine" in mods:
                    self.undefine(collapsed[start:],
                                  "override" if "override" in mods else "file", floc)
                elif "define" in mods:
                    i = self.do_define(collapsed[start:], mods, lines, i, floc)
                else:
                    self.assign_line(collapsed, start, mods, floc)
                continue
            if word is None:
                continue  # (a blank line, or only a comment)
            if in_ignored_define:
                # read.c: the first 'endef' (with nothing after it but a comment) ends it
                if word == "endef" and not rest:
                    in_ignored_define = False
                continue
            if word in _CONDITIONALS:
                exp.floc = floc
                ignoring = self.conditional_line(word, rest, conds, floc)
                continue
            if ignoring:
                continue
            if word in ("export", "unexport"):
                record_waiting()
                if not rest:
                    proc.export_all = word == "export"
                else:
                    exp.floc = floc
                    for name in exp.expand(rest).split():
                        v = proc.variables.get(name)
                        if v is None:
                            v = proc.variables[name] = Variable(name, "", True, "file")
                        v.export = word == "export"
                continue
            if word == "vpath":
                record_waiting()
                exp.floc = floc
                words = exp.expand(rest).split(None, 1)
                proc.construct_vpath_list(words[0] if words else None,
                                          words[1] if len(words) > 1 else None)
                continue
            if word in ("include", "-include", "sinclude"):
                record_waiting()
                exp.floc = floc
                expanded = exp.expand(rest)
                if not expanded:
                    continue
                names, _, _ = parse_file_seq(expanded, noar=True, glob=self._glob)
                proc.do_include(names, word != "include", floc)
                continue
            if word in ("load", "-load"):
                raise UnsupportedSyntax(f"the {word} directive", floc)
            if line[0] == prefix:
                raise self.err("recipe commences before first target", floc)
            record_waiting()
            rule = self.parse_line(line, floc, collapse=True)
            if rule is not None and not rule["targets"]:
                no_targets = True
                rule = None
        if conds:
            # (at the line after the last: eval has counted it when readline ends)
            raise self.err("missing 'endif'", at or (filename, last_lineno + 1
                                                     if lines else 1))
        record_waiting()

    def assign_line(self, line: str, start: int, mods: set[str], floc) -> None:
        """An assignment line (read.c eval: try_variable_definition) with its modifiers."""
        pv = _variable_definition(line, start)
        name_b, name_e, op, vpos = pv
        value = line[next_token(line, vpos):]
        kw = {}  # (only what differs from assign's defaults)
        if "override" in mods:
            kw["origin"] = "override"
        if "private" in mods:
            kw["private"] = True
        self.assign(line[name_b:name_e], op, value, floc, export="export" in mods, **kw)

    def do_define(self, text: str, mods: set[str], lines, i: int, floc) -> int:
        """read.c do_define: 'define NAME [OP]', the body up to the matching 'endef' (a
        nested 'define' counts; a line starting with the recipe prefix never does),
        each line with its continuations collapsed. The index of the line after it."""
        pv = parse_variable_definition(text)
        op = "="
        name = text
        if pv is not None:
            name_b, name_e, op, vpos = pv
            if text[next_token(text, vpos):]:
                self.proc.err(f"{floc[0]}:{floc[1]}: extraneous text after 'define' "
                              f"directive")
            name = text[:name_e]
        if not self.exp.expand(name).strip(SPACE):
            raise self.err("empty variable name", floc)
        level = 1
        body: list[str] = []
        end_floc = floc
        while True:
            if i >= len(lines):
                raise self.err("missing 'endef', unterminated 'define'", floc)
            lineno, line = lines[i]
            i += 1
            end_floc = self.eval_at or (floc[0], lineno)
            line = collapse_continuations(line, self.proc.posix)
            if not line.startswith(self.cmd_prefix):
                p = next_token(line)
                w = line[p:]
                if w.startswith("define") and (len(w) == 6 or w[6] in BLANK):
                    level += 1
                elif w.startswith("endef") and (len(w) == 5 or w[5] in BLANK):
                    if next_token(remove_comments(w[5:])) < len(remove_comments(w[5:])):
                        self.proc.err(f"{end_floc[0]}:{end_floc[1]}: extraneous text "
                                      f"after 'endef' directive")
                    level -= 1
                    if level == 0:
                        break
            body.append(line)
        self.assign(name, op, "\n".join(body), end_floc,
                    origin="override" if "override" in mods else "file", strip=False,
                    var_floc=floc, export="export" in mods, private="private" in mods)
        return i

    def conditional_line(self, word: str, line: str, conds: list[list[int]], floc) -> bool:
        """read.c conditional_line: WORD (ifdef ifndef ifeq ifneq else endif) and the
        text after it; updates CONDS ([ignoring, seen_else] per level: ignoring is 0
        while reading, 1 until a branch is taken, 2 once one was) and returns whether
        lines are now ignored."""
        if word == "endif":
            if line:
                self.proc.err(f"{floc[0]}:{floc[1]}: extraneous text after 'endif' "
                              f"directive")
            if not conds:
                raise self.err("extraneous 'endif'", floc)
            conds.pop()
            return any(c[0] for c in conds)
        if word == "else":
            if not conds:
                raise self.err("extraneous 'else'", floc)
            top = conds[-1]
            if top[1]:
                raise self.err("only one 'else' per conditional", floc)
            top[0] = 2 if top[0] == 0 else 0 if top[0] == 1 else top[0]
            if not line:
                top[1] = 1
                return any(c[0] for c in conds)
            e = end_of_token(line, 1)
            w2 = line[:e]
            if w2 not in ("ifdef", "ifndef", "ifeq", "ifneq"):
                self.proc.err(f"{floc[0]}:{floc[1]}: extraneous text after 'else' "
                              f"directive")
                return any(c[0] for c in conds)
            outer_ignoring = top[0]
            r = self._if(w2, line[next_token(line, e):], conds[:-1] + [[outer_ignoring, 0]],
                         floc)
            if r is None:
                self.proc.err(f"{floc[0]}:{floc[1]}: extraneous text after 'else' "
                              f"directive")
            elif top[0] < 2:
                top[0] = r
            return any(c[0] for c in conds)
        r = self._if(word, line, conds, floc)
        if r is None:
            raise self.err("invalid syntax in conditional", floc)
        conds.append([r, 0])
        return any(c[0] for c in conds)

    def _if(self, word: str, line: str, conds: list[list[int]], floc) -> int | None:
        """The 'ignoring' value of a new level for 'WORD LINE' (1: the condition is
        false, or an outer level ignores; 0: true), or None for invalid syntax."""
        if any(c[0] for c in conds):
            return 1  # (already ignoring: the condition is not expanded)
        exp = self.exp
        if word in ("ifdef", "ifndef"):
            var = exp.expand(line)
            p = end_of_token(var)
            if next_token(var, p) < len(var):
                return None
            v = self.proc.variables.get(var[:p])
            defined = v is not None and v.value != ""
            return 1 if defined == (word == "ifndef") else 0
        if not line:
            return None
        termin = "," if line[0] == "(" else line[0]
        if termin not in ",\"'":
            return None
        k = 1
        n = len(line)
        if termin == ",":
            count = 0
            while k < n:
                c = line[k]
                if c == "(":
                    count += 1
                elif c == ")":
                    count -= 1
                elif c == "," and count <= 0:
                    break
                k += 1
        else:
            while k < n and line[k] != termin:
                k += 1
        if k >= n:
            return None
        s1 = line[1:k]
        if termin == ",":
            s1 = s1.rstrip(BLANK)
        k += 1
        a = exp.expand(s1)
        if termin != ",":
            k = next_token(line, k)
        termin = ")" if termin == "," else (line[k] if k < n else "")
        if termin not in (")", '"', "'"):
            return None
        if termin == ")":
            k = next_token(line, k)
            b0 = k
            count = 0
            while k < n:
                c = line[k]
                if c == "(":
                    count += 1
                elif c == ")":
                    if count <= 0:
                        break
                    count -= 1
                k += 1
        else:
            k += 1
            b0 = k
            while k < n and line[k] != termin:
                k += 1
        if k >= n:
            return None
        s2 = line[b0:k]
        if next_token(line, k + 1) < n:
            self.proc.err(f"{floc[0]}:{floc[1]}: extraneous text after '{word}' directive")
        b = exp.expand(s2)
        return 1 if (a == b) == (word == "ifneq") else 0

    def undefine(self, text: str, origin: str, floc) -> None:
        """read.c do_undefine, variable.c undefine_variable_in_set: the expanded, trimmed
        text names one variable; it goes unless its origin ranks above ORIGIN (under -e
        an environment variable first becomes 'environment override', as on a
        redefinition)."""
        self.exp.floc = floc
        name = self.exp.expand(text)
        name = name[next_token(name):].rstrip(BLANK)
        if not name:
            raise self.err("empty variable name", floc)
        v = self.proc.variables.get(name)
        if v is None:
            return
        if v.origin == "environment" and self.proc.opts.environment_overrides:
            v.origin = "environment override"
        if _ORIGIN_RANK.get(origin, 0) >= _ORIGIN_RANK.get(v.origin, 0):
            del self.proc.variables[name]

    def _ar_glob(self, arname: str, pattern: str) -> list[str]:
        """ar.c ar_glob: the members of ARNAME that match PATTERN."""
        from .archive import glob_members
        return glob_members(self.proc.fs, arname, pattern, self.proc.cwd)

    def _glob(self, pattern: str) -> list[str]:
        """glob(3) as parse_file_seq calls it (through make's directory cache): the
        sorted matches of one pattern."""
        return self.proc.wildcard([pattern])

    # ----------------------------------------------------------------- rules
    def parse_line(self, line: str, floc, tab: bool = False,
                   collapse: bool = False) -> dict | None:
        """The rule section of read.c eval for LINE (a logical line, its backslash-
        newlines still in it when COLLAPSE): a target-specific variable (defined here;
        None), or the rule dict record_rule takes ('targets' empty: a rule without
        targets, whose recipe is skipped)."""
        exp = self.exp
        exp.floc = floc
        line, cmdleft, wtype, b, e = _rule_line(line, collapse, self.proc.posix)
        semip = cmdleft
        if wtype == W_EOL:
            if cmdleft is not None:
                raise self.err("missing rule before recipe", floc)
            return None
        if wtype in (W_COLON, W_DCOLON, W_AMPCOLON, W_AMPDCOLON):
            return _NO_TARGETS
        lb_next = e
        p2 = exp.expand(line[b:e])
        seg = 0  # where the word being looked at starts in P2 (each is searched once)
        colonp = -1
        while True:
            if cmdleft is None:
                p2, sk = find_char_unquote(p2, ";", seg)
                if sk >= 0:
                    # ';' from an expansion: the rest of the line is expanded too, then
                    # cut there
                    tail = exp.expand(line[lb_next:])
                    lb_next = len(line)
                    cmdleft = p2[sk + 1:] + tail
                    p2 = p2[:sk]
            p2, colonp = find_char_unquote(p2, ":", seg)
            if colonp >= 0:
                if colonp > seg and p2[colonp - 1] == "&":
                    colonp -= 1
                break
            wtype, b, e = get_next_mword(line, lb_next)
            if wtype == W_EOL:
                break
            p2 = p2 + " "
            seg = len(p2)
            p2 = p2 + exp.expand(line[b:e])
            lb_next = e
        if colonp < 0:
            if not p2.strip(SPACE):
                return None
            if self.cmd_prefix == "\t" and line.startswith("        "):
                raise self.err("missing separator (did you mean TAB instead of 8 "
                               "spaces?)", floc)
            raise self.err("missing separator", floc)
        also = p2[colonp] == "&"
        targets, _, _ = parse_file_seq(p2[:colonp], glob=self._glob, ar_glob=self._ar_glob)
        after = p2[colonp + (2 if also else 1):]
        if not targets:
            return _NO_TARGETS
        double = after.startswith(":")
        if double:
            after = after[1:]
        rest = after + line[lb_next:]
        va = parse_var_assignment(rest)
        if va is not None and not (va[0] & {"define", "undefine"}):
            mods, start = va
            if semip is not None:
                rest = rest + ";" + collapse_continuations(semip, self.proc.posix)
            for t in targets:
                self._target_var(t, rest, start, mods, floc)
            return None
        # a normal rule: unquote '=' in the unexpanded rest, then expand it
        tail = line[lb_next:]
        if "=" in tail:
            tail = _unquote_all(tail, "=")
        deps_text = after + (exp.expand(tail) if tail else "")
        if cmdleft is None:
            deps_text, sk = find_char_unquote(deps_text, ";")
            if sk >= 0:
                cmdleft = deps_text[sk + 1:]
                deps_text = deps_text[:sk]
        # a static pattern rule: 'targets: target-pattern: prereq-patterns'
        static = None
        pc = _unescaped_colon(deps_text)
        if pc >= 0:
            pats, _, _ = parse_file_seq(deps_text[:pc], noglob=True)
            if not pats:
                raise self.err("missing target pattern", floc)
            if len(pats) > 1:
                raise self.err("multiple target patterns", floc)
            static = pats[0]
            if find_char_unquote(static, "%")[1] < 0:
                raise self.err("target pattern contains no '%'", floc)
            deps_text = deps_text[pc + 1:]
        deps_text = deps_text.strip(SPACE)
        cmds: list[str] = []
        if cmdleft is not None:
            cmds.append(cmdleft)
        r = {"targets": targets, "double": double, "static": static, "cmds": cmds,
             "has_recipe": cmdleft is not None, "floc": floc, "also": also,
             "depstr": deps_text, "normal": None, "oo": None}
        self._maybe_default_goal(targets)
        return r

    def _target_var(self, target: str, text: str, start: int, mods: set[str],
                    floc) -> None:
        """read.c record_target_var for one target: TEXT[START:] is the assignment."""
        pv = parse_variable_definition(text, start)
        if pv is None:
            raise self.err("Malformed target-specific variable definition", floc)
        name_b, name_e, op, vpos = pv
        value = text[next_token(text, vpos):]
        define_target_variable(self.proc, target, text[name_b:name_e], op, value,
                               "override" if "override" in mods else "file",
                               "export" in mods, floc, "private" in mods, raw_name=True)

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

    def split_prereqs(self, depstr: str) -> tuple[list[str], list[str]]:
        """file.c split_prereqs: the normal prerequisites up to an unquoted '|', the
        order-only ones after it (where a further '|' is a name)."""
        normal, p, depstr = parse_file_seq(depstr, stops="|", glob=self._glob,
                                           ar_glob=self._ar_glob)
        oo: list[str] = []
        if p < len(depstr):
            oo, _, _ = parse_file_seq(depstr, start=p + 1, glob=self._glob,
                                      ar_glob=self._ar_glob)
        return normal, oo

    def record_rule(self, r: dict) -> None:
        """read.c record_files: the rule R (parse_line's dict) into the file table, or a
        pattern rule."""
        targets = r["targets"]
        if not targets:
            return
        proc = self.proc
        floc = r["floc"]
        if proc.snapped_deps:
            # ("We can't add more rules at this time, since they won't get snapped")
            # located where read.c eval puts a rule: at the line it starts on, which an
            # $(eval) in a recipe takes from the recipe's start (expand.c sets
            # reading_file to cmds->fileinfo; a rule's location has no line offset)
            raise self.err("prerequisites cannot be defined in recipes",
                           proc.expanding_recipe or floc)
        has_recipe = r["has_recipe"] or bool(r["cmds"])
        cmds = (Recipe(r["cmds"], floc[0], r.get("cmds_line", floc[1]), self.cmd_prefix)
                if has_recipe else None)
        also = r.get("also", False)
        if also and cmds is None:
            raise self.err("grouped targets must provide a recipe", floc)
        static = r["static"]
        depstr = r.get("depstr")
        second = None  # the prerequisite text left for the second expansion
        if depstr is None:
            normal = self._glob_words(r["normal"])
            oo = self._glob_words(r["oo"])
        elif not depstr:
            normal, oo = [], []
        else:
            depstr = unescape_char(depstr, ":")
            if proc.second_expansion and "$" in depstr:
                second = depstr
                normal, oo = [], []
            else:
                normal, oo = self.split_prereqs(depstr)
        first = targets[0]
        if "%" in first and find_char_unquote(first, "%")[1] >= 0:
            # a pattern rule: all its targets must be patterns
            if static is not None:
                raise self.err("mixed implicit and static pattern rules", floc)
            pats = []
            for t in targets:
                t, k = find_char_unquote(t, "%")
                if k < 0:
                    raise self.err("mixed implicit and normal rules", floc)
                pats.append(t)
            self.proc.new_pattern_rule(PatternRule(pats, normal, oo, cmds, r["double"],
                                                   floc, second))
            return
        files = self.files
        if not _SPECIAL_SETTINGS.keys().isdisjoint(targets):
            for t in targets:
                if t in _SPECIAL_SETTINGS:
                    _SPECIAL_SETTINGS[t](proc)
        if static is None and cmds is None and not r["double"] and not normal \
                and not oo and second is None:
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
                dflt = files.files.get(".DEFAULT")
                if dflt is not None and dflt in ents:
                    dflt.cmds = None
                return
        dep_files = files.enter_many(normal) if static is None else []
        oo_files = files.enter_many(oo) if static is None else []
        group: list[FileEntry] = []
        for t in targets:
            deps, odeps = dep_files, oo_files
            stem = None
            pending = second
            if static is not None:
                if t.startswith("./"):  # (as files.enter will have it, and make prints it)
                    t = strip_dot_slash(t)
                stem = pattern_match(static, t)
                if stem is None:
                    # read.c record_files: an error message; the target is still
                    # entered, with the recipe and no prerequisites, and its stem is
                    # patsubst's result for a word that does not match: the name itself
                    proc.out_stderr(f"{floc[0]}:{floc[1]}: target '{t}' doesn't match the "
                                    f"target pattern\n")
                    stem = t
                    deps, odeps, pending = [], [], None
                elif second is None:
                    deps = files.enter_many(_subst_stem(normal, stem))
                    odeps = files.enter_many(_subst_stem(oo, stem))
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
                                    f"recipe for target '{f.name}'\n")
                    proc.out_stderr(f"{old.filename}:{old.lineno}: warning: ignoring old "
                                    f"recipe for target '{f.name}'\n")
                if f.name == ".DEFAULT" and not deps and not odeps and cmds is None \
                        and pending is None:
                    f.cmds = None  # "Defining .DEFAULT with no deps or cmds clears it."
                if cmds is not None:
                    f.cmds = cmds
                    f.rule_floc = floc
                if f.name == ".SUFFIXES" and not deps and not odeps and pending is None:
                    f.deps = []  # ".SUFFIXES with no dependencies clears out the list"
                    f.oo = None
            if also:
                group.append(f)
            f.is_target = True
            if stem is not None:
                f.stem = stem
            if pending is not None:
                # file.c expand_deps expands it once every makefile is read
                f.add_second(pending, static is not None, stem, first=cmds is not None)
            elif deps or odeps:
                alld = deps + odeps
                oo_flags = ([False] * len(deps) + [True] * len(odeps)) if odeps else None
                f.add_deps(alld, oo_flags, first=cmds is not None)
        for f in group:
            # read.c record_files: each target of a grouped rule has all of them as its
            # also_make list (in reverse order: make pushes each on the front)
            if f.also_make is not None:
                proc.out_stderr(f"{cmds.filename}:{cmds.lineno}: warning: overriding group "
                                f"membership for target '{f.name}'\n")
            f.also_make = [g for g in reversed(group) if g is not f]

    def _maybe_default_goal(self, targets: list[str]) -> None:
        """read.c eval, after parsing a rule line: when .DEFAULT_GOAL is empty, the first
        target that is not a pattern rule's (that ends the search), does not start with
        '.' (unless it has a '/'), and is not a suffix rule's name."""
        if not self.set_default:
            return
        v = self.proc.variables.get(".DEFAULT_GOAL")
        if v is not None and v.value and (not v.recursive or self.exp.expand(v.value)):
            return
        sfx = self.files.files.get(".SUFFIXES")
        suffixes = [d.name for d in sfx.deps] if sfx is not None else []
        for t in targets:
            if "%" in t:
                return
            if t.startswith(".") and "/" not in t:
                continue
            if suffixes and _names_a_suffix_rule(t, suffixes):
                continue
            self.proc.variables[".DEFAULT_GOAL"] = Variable(".DEFAULT_GOAL", t, False, "file")
            return


def _names_a_suffix_rule(name: str, suffixes: list[str]) -> bool:
    """read.c eval's test: NAME is a suffix (not starting with '.') or two suffixes."""
    for d in suffixes:
        if not d.startswith(".") and name == d:
            return True
        for d2 in suffixes:
            if name.startswith(d2) and name[len(d2):] == d:
                return True
    return False


def _subst_stem(names: list[str], stem: str) -> list[str]:
    """file.c enter_prereqs with a stem: the first unquoted '%' of each name is the stem
    (an empty stem just removes it); a name that becomes empty is dropped."""
    out = []
    for n in names:
        n2, k = find_char_unquote(n, "%")
        if k >= 0:
            n2 = n2[:k] + stem + n2[k + 1:]
        if n2:
            out.append(n2)
    return out


def _set_posix(proc: "MakeProcess") -> None:
    """read.c record_files: .POSIX turns on posix_pedantic, .SHELLFLAGS '-ec' and the
    POSIX values of ARFLAGS, CC, CFLAGS, FC, FFLAGS and SCCSGETFLAGS."""
    if proc.posix:
        return
    proc.posix = True
    for name, value in ((".SHELLFLAGS", "-ec"), ("ARFLAGS", "-rv"), ("CC", "c99"),
                        ("CFLAGS", "-O1"), ("FC", "fort77"), ("FFLAGS", "-O1"),
                        ("SCCSGETFLAGS", "-s")):
        old = proc.variables.get(name)
        if old is None or old.origin == "default":
            proc.variables[name] = Variable(name, value, True, "default")


def _set_second_expansion(proc: "MakeProcess") -> None:
    proc.second_expansion = True


def _set_one_shell(proc: "MakeProcess") -> None:
    proc.one_shell = True


# read.c record_files: special targets that take effect as soon as they are read
_SPECIAL_SETTINGS = {".POSIX": _set_posix, ".SECONDEXPANSION": _set_second_expansion,
                     ".ONESHELL": _set_one_shell}
_UNSUPPORTED_VARS: dict[str, str] = {}


def exp_with_floc(exp, text: str, floc) -> str:
    exp.floc = floc
    return exp.expand(text)


def apply_special_targets(proc: "MakeProcess") -> None:
    """file.c snap_deps: .PHONY, .SECONDARY, .INTERMEDIATE, .PRECIOUS, .LOW_RESOLUTION_TIME,
    .EXPORT_ALL_VARIABLES; and read.c record_files' .ONESHELL."""
    from .filedb import NONEXISTENT
    files = proc.files
    proc.snapped_deps = True
    if proc.second_expansion:
        from .secondexp import expand_all_deps
        expand_all_deps(proc)

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
    _extra_prereqs(proc)
    if proc.all_secondary:
        # file.c snap_file: every file in the table becomes intermediate
        for f in files:
            f.intermediate = True
            g = f.prev
            while g is not None:
                g.intermediate = True
                g = g.prev


def _extra_prereqs(proc: "MakeProcess") -> None:
    """file.c snap_file and snap_implicit_rules: the names of .EXTRA_PREREQS
    (expand_extra_prereqs) become prerequisites of every target that has no target
    variables, appended, and of every pattern rule; a file with target variables takes
    only its own .EXTRA_PREREQS (snap_file: 'if (f->variables)' looks in the file's own
    set), and so does one whose prerequisites had a second expansion (expand_deps gave
    it a set: none). A list that names the file itself is not added.
    Automatic variables do not see them (FileEntry.n_extra)."""
    reader = proc.reader
    exp = proc.expander

    def names_of(v) -> list[str]:
        if v is None:
            return []
        normal, oo = reader.split_prereqs(exp.expand(v.value) if v.recursive else v.value)
        return normal + oo

    exp.floc = None
    global_extra = names_of(proc.variables.get(".EXTRA_PREREQS"))
    proc.pattern_extra = global_extra
    target_vars = proc.target_vars
    initialized = proc.vars_initialized
    if not global_extra and not any(".EXTRA_PREREQS" in v for v in target_vars.values()):
        return
    # (without a global list only files with target variables can get one)
    for head in (list(proc.files) if global_extra else list(target_vars)):
        f = head
        while f is not None:
            if target_vars and (f.double_colon or f) in target_vars:
                names = names_of(target_vars[f.double_colon or f].get(".EXTRA_PREREQS"))
            elif initialized and f in initialized:
                names = []
            elif f.is_target:
                names = global_extra
            else:
                names = []
            if names and f.name not in names:
                ents = proc.files.enter_many(names)
                if f.oo is not None:
                    f.oo = f.oo + [False] * len(ents)
                f.deps = f.deps + ents
                f.n_extra += len(ents)
            f = f.prev
