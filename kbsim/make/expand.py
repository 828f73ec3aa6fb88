"""Variable and function expansion, after GNU make 4.3 ``expand.c`` and ``function.c``.

Rules replicated (evidence in the comments):
- ``$(`` and ``${`` references nest by counting only the same bracket type
  (``expand.c variable_expand_string``); function arguments split at top-level commas
  counting only the function's own bracket type (``function.c find_next_argument``), and
  the last argument of a function takes the remaining commas.
- ``$(wildcard)`` evaluates on the simulated filesystem when expanded: a literal name is
  one ``lstat`` and comes back as written; a pattern reads directories through the
  process's directory cache, which GNU make 4.3 never refreshes (reference section 4, V17,
  V18); each word's matches are sorted (4.3 NEWS, bug 52076).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import TYPE_CHECKING, Callable

from .errors import MakeError, UnsupportedSyntax

if TYPE_CHECKING:  # pragma: no cover
    from .process import MakeProcess


class Variable:
    __slots__ = ("name", "value", "recursive", "origin", "export", "compiled", "floc",
                 "private")

    def __init__(self, name: str, value: str, recursive: bool, origin: str = "file",
                 export: bool | None = None):
        # export: True (export), False (unexport), None (neither said: variable.h
        # v_default, exported only under a bare 'export' or .EXPORT_ALL_VARIABLES)
        self.name = name
        self.value = value
        self.recursive = recursive
        self.origin = origin
        self.export = export
        self.compiled = None  # the parsed template of a recursive value (Expander.compile)
        self.floc: tuple[str, int] | None = None  # where a makefile last defined it
        # variable.h private_var: not seen from a file that inherits it (a recipe, for a
        # global variable; a prerequisite, for a target or pattern variable)
        self.private = False


class AppendVariable(Variable):
    """A simple variable that grows by many appends (MAKEFILE_LIST, one word per makefile
    read): the appended text is joined when the value is read, not on every append, so
    reading N makefiles costs O(N) instead of O(N^2). Reads and writes of ``value`` behave
    as on a plain Variable."""

    __slots__ = ("_base", "_tail")

    def __init__(self, name: str, value: str, recursive: bool, origin: str = "file",
                 export: bool | None = None):
        self._tail: list[str] = []
        super().__init__(name, value, recursive, origin, export)

    @property
    def value(self) -> str:  # type: ignore[override]
        if self._tail:
            self._base = self._base + "".join(self._tail)
            self._tail = []
        return self._base

    @value.setter
    def value(self, v: str) -> None:
        self._base = v
        self._tail = []

    def append(self, text: str) -> None:
        """``self.value = self.value + text``."""
        self._tail.append(text)

    def append_word(self, word: str) -> None:
        """WORD after a blank, or alone when the value is empty (f_append_value)."""
        self._tail.append(" " + word if self._tail or self._base else word)


class VariableNames(Variable):
    """.VARIABLES (main.c: a 'special' variable): the names of every global variable,
    as they are when it is expanded."""

    __slots__ = ("table",)

    def __init__(self, table: dict):
        self.table = table
        super().__init__(".VARIABLES", "", False, "default")

    @property
    def value(self) -> str:  # type: ignore[override]
        return " ".join(self.table)

    @value.setter
    def value(self, v: str) -> None:
        pass


_AUTO = set("@<^+?*%|")
_GLOB_CHARS = re.compile(r"[*?\[]")


def split_words(s: str) -> list[str]:
    return s.split()


def _find_close(s: str, start: int, open_c: str, close_c: str) -> int:
    """Index of the bracket closing the one before START, counting only that bracket type."""
    # (str.find hops from bracket to bracket; the same result as a scan char by char)
    depth = 1
    i = start
    find = s.find
    while True:
        k = find(close_c, i)
        if k < 0:
            return -1
        j = find(open_c, i, k)
        if j >= 0:  # an opening bracket comes first
            depth += 1
            i = j + 1
            continue
        depth -= 1
        if depth == 0:
            return k
        i = k + 1


_ARG_CHARS = {("(", ")"): re.compile(r"[(),]"), ("{", "}"): re.compile(r"[{},]")}


def split_args(s: str, open_c: str, close_c: str, max_args: int) -> list[str]:
    """Split function arguments at top-level commas (function.c find_next_argument)."""
    if max_args == 1 or "," not in s:
        return [s]  # no comma can split (the loop below would find none)
    args: list[str] = []
    depth = 0
    start = 0
    for m in _ARG_CHARS[(open_c, close_c)].finditer(s):
        c = m.group()
        if c == open_c:
            depth += 1
        elif c == close_c:
            depth -= 1
        elif depth == 0 and (max_args == 0 or len(args) < max_args - 1):
            i = m.start()
            args.append(s[start:i])
            start = i + 1
    args.append(s[start:])
    return args


def _filter_escaped(pats: list[str], words: list[str], keep: bool) -> str:
    """function.c func_filter_filterout with backslashes in the patterns: find_percent
    unquotes them, and a pattern whose '%' is escaped is a plain word."""
    from .readtext import find_char_unquote
    plain = set()
    percent = []
    for p in pats:
        q, k = find_char_unquote(p, "%")
        if k < 0:
            plain.add(q)
        else:
            percent.append((q[:k], q[k + 1:]))
    out = [w for w in words
           if (w in plain or any(len(w) >= len(a) + len(b) and w.startswith(a)
                                 and w.endswith(b) for a, b in percent)) == keep]
    return " ".join(out)


def pattern_match(pattern: str, word: str) -> str | None:
    """Match WORD against a make pattern with one '%'; return the stem or None."""
    i = pattern.find("%")
    if i < 0:
        return "" if pattern == word else None
    pre, post = pattern[:i], pattern[i + 1:]
    if len(word) >= len(pre) + len(post) and word.startswith(pre) and word.endswith(post):
        return word[len(pre):len(word) - len(post)]
    return None


_SPACES = " \t\n\r\f\v"  # isspace(), as function.c strip_whitespace and subst_expand


def _strip_template(x):
    """A function argument (raw text or a compiled template) without the blanks at its
    two ends, as function.c strip_whitespace takes the text before expanding it."""
    if x.__class__ is str:
        return x.strip(_SPACES)
    parts = list(x)
    while parts and parts[0].__class__ is str:
        parts[0] = parts[0].lstrip(_SPACES)
        if parts[0]:
            break
        parts.pop(0)
    while parts and parts[-1].__class__ is str:
        parts[-1] = parts[-1].rstrip(_SPACES)
        if parts[-1]:
            break
        parts.pop()
    return tuple(parts)


def _patsubst(pattern: str, repl: str, text: str) -> str:
    """function.c patsubst_expand: each word replaced, joined by one blank. A matched word
    adds no blank only when the whole replacement text is empty ("Output a space, but not
    if the replacement is ''": the test is on the lengths of the replacement's parts and
    of the word, so '%' with an empty stem still adds one). A pattern without '%' is
    subst_expand by whole words, blanks kept as written."""
    if "%" not in pattern:
        return _subst_by_word(pattern, repl, text)
    words = (patsubst_word(pattern, repl, w) for w in text.split())
    return " ".join(words if repl else filter(None, words))



def _subst_by_word(subst: str, repl: str, text: str) -> str:
    """function.c subst_expand with by_word: each occurrence of SUBST that is a whole
    word (blanks or the ends of TEXT on both sides) becomes REPL; everything else, blanks
    included, is copied. An empty SUBST is looked for at the end of each word."""
    out = []
    n, slen = len(text), len(subst)
    t = 0
    while True:
        if slen == 0:
            p = t
            while p < n and text[p] in _SPACES:
                p += 1
            while p < n and text[p] not in _SPACES:
                p += 1
        else:
            p = text.find(subst, t)
            if p < 0:
                out.append(text[t:])
                break
        out.append(text[t:p])
        if (p > 0 and text[p - 1] not in _SPACES) or (p + slen < n
                                                      and text[p + slen] not in _SPACES):
            out.append(subst)  # struck out: not a whole word
        else:
            out.append(repl)
        t = p + slen
        if t >= n:
            break
    return "".join(out)


def patsubst_word(pattern: str, repl: str, word: str) -> str:
    stem = pattern_match(pattern, word)
    if stem is None:
        return word
    if "%" not in pattern:
        return repl
    j = repl.find("%")
    return repl if j < 0 else repl[:j] + stem + repl[j + 1:]


def _dir(w: str) -> str:
    i = w.rfind("/")
    return w[:i + 1] if i >= 0 else "./"


def _notdir(w: str) -> str:
    return w[w.rfind("/") + 1:]


def _suffix(w: str) -> str | None:
    base = _notdir(w)
    i = base.rfind(".")
    return base[i:] if i >= 0 else None


def _basename(w: str) -> str:
    slash = w.rfind("/")
    dot = w.rfind(".")
    return w[:dot] if dot > slash else w


# name -> (min_args, max_args, expand_args_first)
FUNCTIONS: dict[str, tuple[int, int, bool]] = {
    "subst": (3, 3, True), "patsubst": (3, 3, True), "strip": (0, 1, True),
    "findstring": (2, 2, True), "filter": (2, 2, True), "filter-out": (2, 2, True),
    "sort": (0, 1, True), "word": (2, 2, True), "words": (0, 1, True),
    "wordlist": (3, 3, True), "firstword": (0, 1, True), "lastword": (0, 1, True),
    "dir": (0, 1, True), "notdir": (0, 1, True), "suffix": (0, 1, True),
    "basename": (0, 1, True), "addsuffix": (2, 2, True), "addprefix": (2, 2, True),
    "join": (2, 2, True), "wildcard": (0, 1, True), "realpath": (0, 1, True),
    "abspath": (0, 1, True), "if": (2, 3, False), "or": (1, 0, False), "and": (1, 0, False),
    "foreach": (3, 3, False), "call": (1, 0, True), "info": (0, 1, True),
    "warning": (0, 1, True), "error": (0, 1, True), "origin": (0, 1, True),
    "flavor": (0, 1, True), "value": (0, 1, True), "eval": (0, 1, True),
    "shell": (0, 1, True), "file": (1, 2, True),
}
# Recognised so that the error names them, rather than reading them as variables.
UNSUPPORTED_FUNCTIONS = {"guile", "load"}
_COMPILED: dict[str, tuple] = {}  # template text -> compiled parts (shared by all processes)
_COMPILE_CACHE_MAX = 512  # longest text kept in _COMPILED


class Expander:
    """Expands text in the variable context of one make process."""

    def __init__(self, proc: "MakeProcess"):
        self.proc = proc
        self.vars: dict[str, Variable] = proc.variables
        self.auto: dict[str, str] | None = None  # automatic variables while expanding a recipe
        # the target/pattern variable sets in force, most specific first (targetvars.py)
        self.scope: list[dict[str, Variable]] | None = None
        self.locals: list[dict[str, str]] = []  # foreach / call bindings
        self.floc: tuple[str, int] | None = None
        self.var_floc: tuple[str, int] | None = None  # see err_floc
        self.call_args = 0  # function.c func_call's max_args: the most arguments seen
        self._expanding: set[int] = set()  # the variables being expanded (variable.c
        # 'expanding' lives on each variable: a target variable is not its global namesake)

    # ---------------------------------------------------------------- variables
    def lookup(self, name: str) -> str:
        for frame in reversed(self.locals):
            if name in frame:
                return frame[name]
        auto = self.auto
        if auto is not None and name and (name in auto or (len(name) == 2 and name[0] in _AUTO
                                                             and name[1] in "DF")):
            if name in auto:
                return auto[name]
            base = auto.get(name[0], "")
            fn = _dir if name[1] == "D" else _notdir
            words = [fn(w) for w in base.split()]
            if name[1] == "D":
                words = [w[:-1] if len(w) > 1 and w.endswith("/") else w for w in words]
            return " ".join(words)
        v, i = self._visible(name)
        if v is None:
            if self.proc.opts.warn_undefined:
                self.warn_undefined(name)
            return ""
        if i >= 0 and getattr(v, "append", False):
            return self._value_of(name, v, i)
        return self._value_of(name, v)

    def _visible(self, name: str) -> tuple[Variable | None, int]:
        """The variable NAME refers to here and the index of its scope set (-1: the
        global set): the most specific target/pattern set in scope that defines it, else
        the global one. variable.c lookup_variable skips a private variable met in a
        parent's set: a parent's target variable, or a global one seen from a recipe."""
        scope = self.scope
        if scope is not None:
            own = getattr(scope, "own", len(scope))
            for i, tv in enumerate(scope):
                v = tv.get(name)
                if v is not None and not (v.private and i >= own):
                    return v, i
        v = self.vars.get(name)
        if v is not None and v.private and self.auto is not None:
            return None, -1
        return v, -1

    def _append_from(self, name: str, i: int) -> str:
        """variable.c variable_append over the scope's sets from I on, then the global
        set: an 'append' variable is what is found further up, a blank (when that is not
        empty) and its own text; each text is expanded as it is met (no recursion mark:
        only the variable being looked up carries one)."""
        scope = self.scope or []
        own = getattr(scope, "own", len(scope))
        for j in range(i, len(scope)):
            v = scope[j].get(name)
            if v is None or (v.private and j >= own):
                continue  # (a parent's private variable is not seen: variable_append)
            base = self._append_from(name, j + 1) if getattr(v, "append", False) else ""
            own = self.run(self.compile(v.value)) if v.recursive else v.value
            return f"{base} {own}" if base else own
        v = self.vars.get(name)
        if v is None:
            return ""
        return self.run(self.compile(v.value)) if v.recursive else v.value

    def warn_undefined(self, name: str) -> None:
        """expand.c warn_undefined (--warn-undefined-variables), at the line being read
        or the recipe line being expanded."""
        where = f"{self.floc[0]}:{self.floc[1]}: " if self.floc else f"{self.proc.prog}: "
        self.proc.err(f"{where}warning: undefined variable '{name}'")

    def find_variable(self, name: str) -> Variable | None:
        """The variable NAME refers to here (see _visible)."""
        return self._visible(name)[0]

    def _value_of(self, name: str, v: Variable, append_at: int = -1) -> str:
        """V's value (APPEND_AT: V is the 'append' variable of scope set APPEND_AT)."""
        if not v.recursive:  # (expand.c reference_variable: a simple one as it is)
            return v.value
        # expand.c recursively_expand_for_file: while a variable that a makefile defined
        # is expanded, errors are located at its definition (expanding_var)
        saved = self.var_floc
        if v.floc is not None:
            self.var_floc = v.floc
        try:
            key = id(v)
            if key in self._expanding:
                raise MakeError(f"Recursive variable '{name}' references itself (eventually)",
                                self.err_floc())
            self._expanding.add(key)
            try:
                if append_at >= 0:
                    base = self._append_from(name, append_at + 1)
                    own = self.run(self.compile(v.value))
                    return f"{base} {own}" if base else own
                c = v.compiled
                if c is None:
                    c = v.compiled = self.compile(v.value)
                return self.run(c)
            finally:
                self._expanding.discard(key)
        finally:
            self.var_floc = saved

    def err_floc(self) -> tuple[str, int] | None:
        """*expanding_var: the definition of the innermost variable being expanded, else
        the line being read (the location of function and syntax errors)."""
        return self.var_floc or self.floc

    # ---------------------------------------------------------------- expansion
    # A template is compiled once into a tuple of parts: literal strings and nodes
    # ("v", name) a variable, ("V", template) a computed variable name,
    # ("f", name, [arg templates], pre_expand) a function call,
    # ("s", name, from, to) a substitution reference, ("x", construct) an unsupported
    # function and ("e", message) an error; errors are raised when the part is expanded,
    # which is when make would report them.
    def expand(self, s: str) -> str:
        if "$" not in s:
            return s
        return self.run(self.compile(s))

    def compile(self, s: str):
        if "$" not in s:
            return s
        c = _COMPILED.get(s)
        if c is not None:
            return c
        c = self._compile(s)
        # Only short texts recur (recipe lines, references, function arguments); a long
        # one is typically a one-shot deps_ value of a .cmd file, not worth keeping.
        # Variable values keep their own template (Variable.compiled).
        if len(s) <= _COMPILE_CACHE_MAX:
            if len(_COMPILED) > 100_000:
                _COMPILED.clear()
            _COMPILED[s] = c
        return c

    def _compile(self, s: str):
        parts: list = []
        i = 0
        n = len(s)
        find = s.find
        while True:
            j = find("$", i)
            if j < 0:
                if i < n:
                    parts.append(s[i:])
                break
            if j > i:
                parts.append(s[i:j])
            if j + 1 >= n:
                break
            c = s[j + 1]
            if c == "$":
                parts.append("$")
                i = j + 2
            elif c == "(" or c == "{":
                close = ")" if c == "(" else "}"
                b = j + 2
                if _is_function_call(s, b):
                    # function.c handle_function: the arguments run to the matching
                    # bracket of the same kind
                    k = _find_close(s, b, c, close)
                    if k < 0:
                        parts.append(("e", _unterminated(s[b:], close)))
                        break
                    parts.append(self._compile_ref(s[b:k], c, close))
                    i = k + 1
                    continue
                # expand.c variable_expand_string: a reference ends at the first closing
                # bracket, unless a '$' comes before it: then brackets are counted, and
                # when they never match, the name is the text up to that first one and
                # the rest of the text is dropped
                end = s.find(close, b)
                if end < 0:
                    parts.append(("e", "unterminated variable reference"))
                    break
                if s.find("$", b, end) >= 0:
                    k = _find_close(s, b, c, close)
                    if k < 0:
                        parts.append(self._compile_ref(s[b:end], c, close, literal=True))
                        break
                    end = k
                parts.append(self._compile_ref(s[b:end], c, close))
                i = end + 1
            else:
                parts.append(("v", c))
                i = j + 2
        return tuple(parts)

    def _compile_ref(self, body: str, open_c: str, close_c: str, literal: bool = False):
        # A function call: a known name followed by whitespace.
        # (function.c lookup_function: a name followed by any space, \r and \f too)
        m = 0
        nb = len(body)
        while m < nb and body[m] not in _SPACES and body[m] not in "$:(){}":
            m += 1
        if 0 < m < nb and body[m] in _SPACES:
            fname = body[:m]
            if fname in FUNCTIONS:
                min_a, max_a, pre = FUNCTIONS[fname]
                rest = body[m:].lstrip(_SPACES)
                args = split_args(rest, open_c, close_c, max_a)
                return ("f", fname, [self.compile(x) for x in args], pre)
            if fname in UNSUPPORTED_FUNCTIONS:
                return ("x", f"the $({fname} ...) function")
        if literal:  # (a name kept as written: see _compile)
            colon = body.find(":")
            eq = body.find("=", colon + 1) if colon >= 0 else -1
            if eq >= 0:
                return ("s", body[:colon], body[colon + 1:eq], body[eq + 1:])
            return ("v", body)
        # A substitution reference $(var:a=b): the first top-level ':'.
        colon = self._top_level(body, ":", open_c, close_c)
        if colon >= 0:
            eq = body.find("=", colon + 1)
            if eq >= 0:
                return ("s", self.compile(body[:colon]), self.compile(body[colon + 1:eq]),
                        self.compile(body[eq + 1:]))
        if "$" in body:
            return ("V", self.compile(body))
        return ("v", body)

    def run(self, c) -> str:
        """Expand a compiled template."""
        if c.__class__ is str:
            return c
        out = []
        for p in c:
            if p.__class__ is str:
                out.append(p)
                continue
            k = p[0]
            if k == "v":
                out.append(self.lookup(p[1]))
            elif k == "f":
                out.append(self._run_function(p))
            elif k == "V":
                out.append(self.lookup(self.run(p[1])))
            elif k == "s":
                value = self.lookup(self.run(p[1]))
                a = self.run(p[2])
                b = self.run(p[3])
                if "%" not in a:
                    a, b = "%" + a, "%" + b
                out.append(_patsubst(a, b, value))
            elif k == "x":
                raise UnsupportedSyntax(p[1], self.floc)
            else:
                raise MakeError(p[1], self.err_floc())
        return "".join(out)

    def ev(self, x) -> str:
        """Expand a function argument (a compiled template, or raw text)."""
        return self.run(x) if x.__class__ is tuple else self.expand(x)

    @staticmethod
    def _top_level(s: str, ch: str, open_c: str, close_c: str) -> int:
        if ch not in s:
            return -1
        depth = 0
        for i, c in enumerate(s):
            if c == "$" and i + 1 < len(s) and s[i + 1] in "({":
                continue
            if c in "({":
                depth += 1
            elif c in ")}":
                depth -= 1
            elif c == ch and depth == 0:
                return i
        return -1

    # ---------------------------------------------------------------- functions
    def _run_function(self, p) -> str:
        _, name, cargs, pre = p
        min_a = FUNCTIONS[name][0]
        if len(cargs) < min_a:
            raise MakeError(f"insufficient number of arguments ({len(cargs)}) to function "
                            f"'{name}'", self.err_floc())
        args = [self.run(a) for a in cargs] if pre else cargs
        return getattr(self, "f_" + name.replace("-", "_"))(args)

    def call_function(self, name: str, argstr: str, open_c: str, close_c: str) -> str:
        max_a = FUNCTIONS[name][1]
        args = split_args(argstr, open_c, close_c, max_a)
        return self._run_function(("f", name, [self.compile(x) for x in args],
                                   FUNCTIONS[name][2]))

    def f_subst(self, a):
        # function.c subst_expand: "The first occurrence of "" in any string is its end."
        return a[2].replace(a[0], a[1]) if a[0] else a[2] + a[1]

    def f_patsubst(self, a):
        return _patsubst(a[0].strip(), a[1].strip(), a[2])

    def f_strip(self, a):
        return " ".join(a[0].split()) if a else ""

    def f_findstring(self, a):
        return a[0] if a[0] in a[1] else ""

    @staticmethod
    def _filter(pats: list[str], words: list[str], keep: bool) -> str:
        for p in pats:
            if "\\" in p:
                return _filter_escaped(pats, words, keep)
        plain = {p for p in pats if "%" not in p}
        percent = [p for p in pats if "%" in p]
        if not percent:  # the loop below, without patterns
            return " ".join([w for w in words if (w in plain) == keep])
        out = []
        for w in words:
            hit = w in plain or any(pattern_match(p, w) is not None for p in percent)
            if hit == keep:
                out.append(w)
        return " ".join(out)

    def f_filter(self, a):
        return self._filter(a[0].split(), a[1].split(), True)

    def f_filter_out(self, a):
        return self._filter(a[0].split(), a[1].split(), False)

    def f_sort(self, a):
        return " ".join(sorted(set(a[0].split()))) if a else ""

    def _int_arg(self, s: str, fn: str, which: str) -> int:
        # function.c check_numeric: digits between blanks; the message quotes the
        # argument as it was
        t = s.strip(_SPACES)
        if not t.isdigit():
            raise MakeError(f"non-numeric {which} argument to '{fn}' function: '{s}'",
                            self.err_floc())
        return int(t)

    def f_word(self, a):
        n = self._int_arg(a[0], "word", "first")
        if n <= 0:
            raise MakeError("first argument to 'word' function must be greater than 0",
                            self.err_floc())
        w = a[1].split()
        return w[n - 1] if n <= len(w) else ""

    def f_words(self, a):
        return str(len(a[0].split())) if a else "0"

    def f_wordlist(self, a):
        s = self._int_arg(a[0], "wordlist", "first")
        e = self._int_arg(a[1], "wordlist", "second")
        if s <= 0:
            raise MakeError(f"invalid first argument to 'wordlist' function: '{s}'",
                            self.err_floc())
        return " ".join(a[2].split()[s - 1:e]) if e >= s else ""

    def f_firstword(self, a):
        w = a[0].split() if a else []
        return w[0] if w else ""

    def f_lastword(self, a):
        w = a[0].split() if a else []
        return w[-1] if w else ""

    def f_dir(self, a):
        return " ".join(_dir(w) for w in a[0].split()) if a else ""

    def f_notdir(self, a):
        return " ".join(_notdir(w) for w in a[0].split()) if a else ""

    def f_suffix(self, a):
        return " ".join(s for s in (_suffix(w) for w in a[0].split()) if s) if a else ""

    def f_basename(self, a):
        return " ".join(_basename(w) for w in a[0].split()) if a else ""

    def f_addsuffix(self, a):
        return " ".join(w + a[0] for w in a[1].split())

    def f_addprefix(self, a):
        return " ".join(a[0] + w for w in a[1].split())

    def f_join(self, a):
        x, y = a[0].split(), a[1].split()
        n = max(len(x), len(y))
        return " ".join((x[i] if i < len(x) else "") + (y[i] if i < len(y) else "")
                        for i in range(n))

    def f_wildcard(self, a):
        return " ".join(self.proc.wildcard(a[0].split())) if a else ""

    def f_realpath(self, a):
        out = []
        for w in a[0].split():
            c = self.proc.fs.canonical(w, self.proc.cwd)
            if c is not None:
                out.append(c)
        return " ".join(out)

    def f_abspath(self, a):
        out = []
        for w in a[0].split():
            p = w if w.startswith("/") else self.proc.cwd + "/" + w
            p = posixpath.normpath(p)
            if p.startswith("//"):
                p = p[1:]
            out.append(p)
        return " ".join(out)

    # function.c func_if, func_or, func_and: a condition is its text with the blanks at
    # both ends removed BEFORE expansion (strip_whitespace), true when that is not empty
    # and expands to anything, blanks included; and/or return that expansion as it is.
    def _condition(self, x) -> str | None:
        """The expansion of a condition argument, or None when its text is blank."""
        x = _strip_template(x)
        return None if not x else self.ev(x)

    def f_if(self, a):
        cond = self._condition(a[0])
        if cond:
            return self.ev(a[1])
        return self.ev(a[2]) if len(a) > 2 else ""

    def f_or(self, a):
        for x in a:
            v = self._condition(x)
            if v:
                return v
        return ""

    def f_and(self, a):
        v = ""
        for x in a:
            v = self._condition(x)
            if not v:
                return ""
        return v

    def f_foreach(self, a):
        var = self.ev(a[0]).strip()
        words = self.ev(a[1]).split()
        out = []
        frame: dict[str, str] = {}
        self.locals.append(frame)
        try:
            for w in words:
                frame[var] = w
                out.append(self.ev(a[2]))
        finally:
            self.locals.pop()
        return " ".join(out)

    def f_call(self, a):
        name = a[0].strip(_SPACES).split(None, 1)[0] if a[0].strip(_SPACES) else ""
        if not name:
            return ""  # "Calling nothing is a no-op"
        if name in FUNCTIONS:
            # function.c func_call: a built-in function gets the (expanded) arguments
            min_a, max_a, _ = FUNCTIONS[name]
            args = list(a[1:])
            if max_a and len(args) > max_a:
                args = args[:max_a - 1] + [",".join(args[max_a - 1:])]
            if len(args) < min_a:
                raise MakeError(f"insufficient number of arguments ({len(args)}) to "
                                f"function '{name}'", self.err_floc())
            return getattr(self, "f_" + name.replace("-", "_"))(args)
        frame = {str(i): v for i, v in enumerate(a)}
        frame["0"] = name
        # function.c func_call: the numbered arguments up to the most any call has had
        # are defined (empty), so an outer call's $6 is not seen in an inner one
        if len(a) > self.call_args:
            self.call_args = len(a)
        for i in range(len(a), self.call_args):
            frame[str(i)] = ""
        v = self.vars.get(name)
        if v is None:
            return ""
        self.locals.append(frame)
        saved = self.var_floc
        if v.floc is not None:  # func_call expands "$(NAME)": as lookup does
            self.var_floc = v.floc
        try:
            if not v.recursive:
                return v.value
            c = v.compiled
            if c is None:
                c = v.compiled = self.compile(v.value)
            return self.run(c)
        finally:
            self.locals.pop()
            self.var_floc = saved

    def f_info(self, a):
        self.proc.out_stdout((a[0] if a else "") + "\n")
        return ""

    def f_warning(self, a):
        where = f"{self.floc[0]}:{self.floc[1]}: " if self.floc else ""
        self.proc.out_stderr(f"{where}{a[0] if a else ''}\n")
        return ""

    def f_error(self, a):
        raise MakeError(a[0] if a else "", self.floc)

    def f_eval(self, a):
        # function.c func_eval -> read.c eval_buffer: the expanded text is read as
        # makefile lines, located at the line (or recipe line) being expanded
        if a and a[0]:
            self.proc.reader.eval_buffer(a[0], self.floc)
        return ""

    def f_shell(self, a):
        # function.c func_shell_base: the command's standard output with its trailing
        # newlines removed and the others (and CR-LF pairs) turned into blanks;
        # shell_completed sets .SHELLSTATUS (origin override)
        return self.shell(a[0] if a else "", trim=True)

    def shell(self, command: str, trim: bool) -> str:
        out, status = self.proc.shell_function(command, self.floc)
        self.vars[".SHELLSTATUS"] = Variable(".SHELLSTATUS", str(status), False, "override")
        return fold_newlines(out, trim)

    def f_file(self, a):
        """function.c func_file: '>NAME' writes TEXT (and a newline unless it ends in
        one), '>>NAME' appends, '<NAME' reads (one trailing newline, or CR-LF, dropped;
        a missing file reads as nothing), on the simulated filesystem."""
        fn = a[0]
        fs, cwd = self.proc.fs, self.proc.cwd
        if fn.startswith(">"):
            fn = fn[1:]
            append = fn.startswith(">")
            if append:
                fn = fn[1:]
            fn = fn.lstrip(_SPACES)
            if not fn:
                raise MakeError("file: missing filename", self.err_floc())
            text = a[1] if len(a) > 1 else None
            data = b""
            if text is not None:
                data = text.encode("utf-8", "surrogateescape")
                if not text.endswith("\n"):
                    data += b"\n"
            try:
                fs.write(fn, data, cwd, append=append)
            except OSError as e:
                raise MakeError(f"open: {fn}: {e.strerror}", self.floc) from None
            return ""
        if fn.startswith("<"):
            fn = fn[1:].lstrip(_SPACES)
            if not fn:
                raise MakeError("file: missing filename", self.err_floc())
            if len(a) > 1:
                raise MakeError("file: too many arguments", self.err_floc())
            try:
                text = fs.read(fn, cwd).decode("utf-8", "surrogateescape")
            except OSError as e:
                if e.errno == 2:
                    return ""
                raise MakeError(f"open: {fn}: {e.strerror}", self.floc) from None
            if text.endswith("\n"):
                text = text[:-1]
                if text.endswith("\r"):
                    text = text[:-1]
            return text
        raise MakeError(f"file: invalid file operation: {fn}", self.err_floc())

    def f_origin(self, a):
        name = a[0].strip()
        if self.auto is not None and name in self.auto:
            return "automatic"
        v = self.find_variable(name)
        return "undefined" if v is None else v.origin

    def f_flavor(self, a):
        v = self.find_variable(a[0].strip())
        return "undefined" if v is None else ("recursive" if v.recursive else "simple")

    def f_value(self, a):
        v = self.find_variable(a[0].strip())
        return "" if v is None else v.value


_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]+(?=[ \t\n\r\f\v]|$)")


def _is_function_call(s: str, b: int) -> bool:
    """function.c lookup_function at S[B:]: a built-in function's name followed by a
    space (or the end)."""
    m = _FUNCTION_NAME.match(s, b)
    return m is not None and (m.group() in FUNCTIONS or m.group() in UNSUPPORTED_FUNCTIONS)


def _unterminated(body: str, close: str) -> str:
    """The error for a '$(' or '${' with no closing match: function.c handle_function
    names a function (a known name followed by a blank or the end), else expand.c
    variable_expand_string says 'unterminated variable reference'."""
    m = _FUNCTION_NAME.match(body)
    if m and (m.group() in FUNCTIONS or m.group() in UNSUPPORTED_FUNCTIONS):
        return f"unterminated call to function '{m.group()}': missing '{close}'"
    return "unterminated variable reference"


def fold_newlines(text: str, trim: bool) -> str:
    """function.c fold_newlines: CR-LF and LF become one blank each; then TRIM ($(shell))
    drops every trailing newline, else (the != assignment) only the last one."""
    folded = text.replace("\r\n", "\n")
    body = folded.rstrip("\n")
    tail = len(folded) - len(body)
    body = body.replace("\n", " ")
    return body if trim or tail < 2 else body + " " * (tail - 1)


def has_glob(word: str) -> bool:
    """Does WORD contain one of ``* ? [`` (_GLOB_CHARS)?"""
    return "*" in word or "?" in word or "[" in word


def glob_magic_escaped(word: str) -> bool:
    """glibc glob_pattern_p with quoting on (make calls glob without GLOB_NOESCAPE): an
    unquoted '*' or '?', or an unquoted '[' with a ']' after it; a backslash quotes the
    next character."""
    i = 0
    n = len(word)
    bracket = False
    while i < n:
        c = word[i]
        if c == "\\":
            i += 2
            continue
        if c == "*" or c == "?" or (c == "]" and bracket):
            return True
        if c == "[":
            bracket = True
        i += 1
    return False


def glob_unescape(word: str) -> str:
    """A backslash quoting a character is dropped (a last lone one stays)."""
    return re.sub(r"\\(.)", r"\1", word, flags=re.S)


def glob_regex_escaped(pat: str) -> re.Pattern:
    """fnmatch without FNM_NOESCAPE for one path component: '\\c' is a literal c, also
    inside a bracket expression; '[!...]' and '[^...]' negate; an unclosed '[' is text."""
    out: list[str] = []
    i = 0
    n = len(pat)
    while i < n:
        c = pat[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(pat[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i + 1
            if j < n and pat[j] in "!^":
                j += 1
            if j < n and pat[j] == "]":
                j += 1
            while j < n and pat[j] != "]":
                j += 2 if pat[j] == "\\" else 1
            if j >= n:
                out.append(re.escape(c))
            else:
                body = pat[i + 1:j]
                neg = body[:1] in ("!", "^")
                if neg:
                    body = body[1:]
                cls: list[str] = []
                k = 0
                while k < len(body):
                    ch = body[k]
                    if ch == "\\" and k + 1 < len(body):
                        cls.append(re.escape(body[k + 1]))
                        k += 2
                        continue
                    cls.append(ch if ch == "-" else re.escape(ch))
                    k += 1
                out.append("[" + ("^" if neg else "") + "".join(cls) + "]")
                i = j + 1
                continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("(?s:" + "".join(out) + r")\Z")


def glob_match(name: str, pat: str) -> bool:
    """glibc fnmatch for one path component: a leading '.' must be matched explicitly."""
    if name.startswith(".") and not pat.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, pat)


GlobLister = Callable[[str], "list[str] | None"]
