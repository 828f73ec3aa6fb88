"""Recipe lines with shell variables and compound commands: the parser.

shell.py runs the common recipe line (words, quotes, ``;`` ``&&`` ``||``, redirections)
from a flat parse. A line that needs more goes through this parser: ``$NAME``, ``${NAME}``
and ``$?`` (expanded when the command runs, unquoted ones split into fields on blanks
and newlines, as dash does), ``NAME=value`` assignments alone or before a command,
``for NAME in WORDS; do LIST; done``, ``if LIST; then LIST; [elif ...] [else LIST;] fi``,
``{ LIST; }`` and ``( LIST )``. That covers the idioms of recursive make
(``for d in $(DIRS); do $(MAKE) -C $$d || exit 1; done``, ``(cd d && $(MAKE))``).
Pipelines, ``while``/``case``, command substitution and parameter operators stay outside
the subset (:class:`UnsupportedShell`); shell.py then falls back to assuming the line
writes its target, with a warning.

A word is a tuple of parts ``(text, quoted, is_variable)``; a list is a sequence of
``(connector, node)`` with connector ``;``, ``&&`` or ``||`` (before the node), as
shell.py's flat parse gives.
"""

from __future__ import annotations

import re

_NAME_START = re.compile(r"[A-Za-z_]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)=")
_OPS = ["&&", "||", ";", "|", "&", "(", ")"]
# a redirection operator, with its optional file descriptor number: 2>, >>, 1>&, <&, &>
_REDIR = re.compile(r"&>|[0-9]?(?:>>|>&|<&|>\||>|<)")
# a run of characters that only the final branch of tokenize handles (no blank, quote,
# escape, comment, expansion, operator or digit that may start a redirection)
_WORD_RUN = re.compile(r"""[^ \t\n#\\'"`$;&|<>()0-9]+""")


def is_redirection(tok) -> bool:
    """Is TOK (a token of tokenize) a redirection operator?"""
    return tok.__class__ is str and _REDIR.fullmatch(tok) is not None
_UNSUPPORTED_KEYWORDS = {"while", "until", "case", "esac", "function", "[[", "]]", "select"}


_PARAM_OP = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)(:?[-+])(.*)", re.S)


def _unquote(word: str) -> str:
    """A ${NAME-word} word as dash reads it (quotes removed)."""
    if "'" not in word and '"' not in word and "\\" not in word:
        return word
    out, i, n = [], 0, len(word)
    while i < n:
        c = word[i]
        if c in "'\"":
            k = word.find(c, i + 1)
            k = n if k < 0 else k
            out.append(word[i + 1:k])
            i = k + 1
        elif c == "\\" and i + 1 < n:
            out.append(word[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class UnsupportedShell(Exception):
    pass


class SWord:
    """One shell word: its parts ``(text, quoted, is_variable)``."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[tuple[str, bool, bool]]):
        self.parts = parts

    @property
    def literal(self) -> str | None:
        """The word's text when it is one unquoted literal (a keyword candidate)."""
        if len(self.parts) == 1 and not self.parts[0][1] and not self.parts[0][2]:
            return self.parts[0][0]
        return None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"SWord({self.parts!r})"


class Simple:
    __slots__ = ("assigns", "words", "redirs")

    def __init__(self) -> None:
        self.assigns: list[tuple[str, SWord]] = []
        self.words: list[SWord] = []
        self.redirs: list[tuple[str, SWord | None]] = []


class For:
    __slots__ = ("name", "words", "body", "redirs")

    def __init__(self, name: str, words: list[SWord], body: list):
        self.name, self.words, self.body = name, words, body


class If:
    __slots__ = ("branches", "otherwise", "redirs")

    def __init__(self, branches: list[tuple[list, list]], otherwise: list | None):
        self.branches, self.otherwise = branches, otherwise


class Group:
    __slots__ = ("body", "subshell", "redirs")

    def __init__(self, body: list, subshell: bool):
        self.body, self.subshell = body, subshell


def tokenize(line: str) -> list:
    """Words (SWord) and operator strings; a newline is a ';'."""
    toks: list = []
    parts: list[tuple[str, bool, bool]] = []
    cur: list[str] = []
    have = False
    i, n = 0, len(line)

    def lit(quoted: bool) -> None:
        if cur:
            parts.append(("".join(cur), quoted, False))
            cur.clear()

    def flush() -> None:
        nonlocal parts, have
        lit(False)
        if have:
            toks.append(SWord(parts))
        parts, have = [], False

    def variable(j: int, quoted: bool) -> int:
        """The reference at line[j] == '$'; the index after it."""
        nxt = line[j + 1] if j + 1 < n else ""
        if nxt == "{":
            k = line.find("}", j + 2)
            name = line[j + 2:k] if k >= 0 else ""
            m = _PARAM_OP.fullmatch(name)
            if m is not None and "$" not in m.group(3) and "`" not in m.group(3):
                # ${NAME-word} ${NAME:-word} ${NAME+word} ${NAME:+word}: the word as written
                parts.append((m.group(1), quoted, (m.group(2), _unquote(m.group(3)))))
                return k + 1
            if k < 0 or not (_NAME.fullmatch(name) or name in ("?", "$")):
                raise UnsupportedShell("parameter expansion")
            parts.append((name, quoted, True))
            return k + 1
        if nxt == "?" or nxt == "$":
            parts.append((nxt, quoted, True))  # the status; the shell's process id
            return j + 2
        m = _NAME.match(line, j + 1)
        if m is None:
            if nxt and (nxt in "(`#@*$!-" or nxt.isdigit()):
                raise UnsupportedShell("shell expansion")
            cur.append("$")  # a lone '$' is itself
            return j + 1
        parts.append((m.group(), quoted, True))
        return m.end()

    run = _WORD_RUN.match
    while i < n:
        m = run(line, i)
        if m is not None:  # (what the final branch would append one by one)
            cur.append(m.group())
            have = True
            i = m.end()
            continue
        c = line[i]
        if c in " \t":
            flush()
            i += 1
        elif c == "\n":
            flush()
            toks.append(";")
            i += 1
        elif c == "#" and not have:
            j = line.find("\n", i)
            i = n if j < 0 else j
        elif c == "\\":
            if i + 1 < n and line[i + 1] != "\n":
                lit(False)
                parts.append((line[i + 1], True, False))  # escaped: quoted
                have = True
            i += 2
        elif c == "'":
            j = line.find("'", i + 1)
            if j < 0:
                raise UnsupportedShell("unterminated quote")
            lit(False)
            parts.append((line[i + 1:j], True, False))
            have = True
            i = j + 1
        elif c == '"':
            lit(False)
            have = True
            i += 1
            if i < n and line[i] == '"':
                parts.append(("", True, False))
            while i < n and line[i] != '"':
                ch = line[i]
                if ch == "\\" and i + 1 < n and line[i + 1] in '$`"\\\n':
                    if line[i + 1] != "\n":
                        cur.append(line[i + 1])
                    i += 2
                elif ch == "`":
                    raise UnsupportedShell("shell expansion")
                elif ch == "$":
                    lit(True)
                    i = variable(i, True)
                else:
                    cur.append(ch)
                    i += 1
            if i >= n:
                raise UnsupportedShell("unterminated quote")
            lit(True)
            i += 1
        elif c == "`":
            raise UnsupportedShell("shell expansion")
        elif c == "$":
            lit(False)
            have = True
            i = variable(i, False)
        else:
            op = None
            if c in "<>&" or (c.isdigit() and not have):
                m = _REDIR.match(line, i)
                if m is not None:
                    op = m.group()
            if op is None and c in ";&|()":
                for o in _OPS:
                    if line.startswith(o, i):
                        op = o
                        break
            if op is not None:
                flush()
                toks.append(op)
                i += len(op)
            else:
                cur.append(c)
                have = True
                i += 1
    flush()
    return toks


class _Parser:
    def __init__(self, toks: list):
        self.toks = toks
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def keyword(self, tok=None) -> str | None:
        tok = self.peek() if tok is None else tok
        return tok.literal if isinstance(tok, SWord) else None

    def expect(self, kw: str) -> None:
        if self.keyword() != kw:
            raise UnsupportedShell(f"syntax: '{kw}' expected")
        self.i += 1

    def skip_separators(self) -> None:
        while self.peek() == ";":
            self.i += 1

    def parse_list(self, stops: tuple[str, ...] = ()) -> list:
        items: list = []
        conn = ";"
        while True:
            if conn == ";":
                self.skip_separators()
            tok = self.peek()
            if tok is None or tok == ")" or (stops and self.keyword() in stops):
                if conn != ";":
                    raise UnsupportedShell("syntax")
                return items
            items.append((conn, self.parse_command()))
            tok = self.peek()
            if tok in ("&&", "||"):
                conn = tok
                self.i += 1
                while self.peek() == ";":  # a newline may follow && and ||
                    self.i += 1
            elif tok == ";":
                conn = ";"
            elif tok is None or tok == ")" or (stops and self.keyword() in stops):
                conn = ";"
            else:
                raise UnsupportedShell(f"'{tok}'" if isinstance(tok, str) else "syntax")

    def parse_command(self):
        tok = self.peek()
        kw = self.keyword()
        if kw in _UNSUPPORTED_KEYWORDS or kw == "!":
            raise UnsupportedShell(f"'{kw}' compound command")
        if kw == "for":
            return self.parse_for()
        if kw == "if":
            return self.parse_if()
        if kw == "{":
            self.i += 1
            body = self.parse_list(("}",))
            self.expect("}")
            return self.after_compound(Group(body, False))
        if tok == "(":
            self.i += 1
            body = self.parse_list()
            if self.peek() != ")":
                raise UnsupportedShell("syntax: ')' expected")
            self.i += 1
            return self.after_compound(Group(body, True))
        if kw in ("then", "elif", "else", "fi", "do", "done", "}", "in"):
            raise UnsupportedShell(f"syntax: unexpected '{kw}'")
        return self.parse_simple()

    def after_compound(self, node):
        """The redirections after a compound command (they apply to all of it)."""
        node.redirs = []
        while is_redirection(self.peek()):
            target = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
            if not isinstance(target, SWord):
                raise UnsupportedShell("redirection")
            node.redirs.append((self.peek(), target))
            self.i += 2
        tok = self.peek()
        if tok is not None and tok not in (";", "&&", "||", ")", "|") and \
                self.keyword() not in ("then", "elif", "else", "fi", "do", "done", "}"):
            raise UnsupportedShell("syntax after a compound command")
        return node

    def parse_for(self) -> For:
        self.i += 1
        tok = self.peek()
        name = self.keyword(tok)
        if name is None or not _NAME.fullmatch(name):
            raise UnsupportedShell("syntax: for")
        self.i += 1
        self.skip_separators()
        if self.keyword() != "in":
            raise UnsupportedShell("'for' over the positional parameters")
        self.i += 1
        words = []
        while isinstance(self.peek(), SWord):
            words.append(self.peek())
            self.i += 1
        if self.peek() != ";":
            raise UnsupportedShell("syntax: for")
        self.skip_separators()
        self.expect("do")
        body = self.parse_list(("done",))
        self.expect("done")
        return self.after_compound(For(name, words, body))

    def parse_if(self) -> If:
        self.i += 1
        branches = []
        otherwise = None
        while True:
            cond = self.parse_list(("then",))
            self.expect("then")
            body = self.parse_list(("elif", "else", "fi"))
            branches.append((cond, body))
            kw = self.keyword()
            self.i += 1
            if kw == "elif":
                continue
            if kw == "else":
                otherwise = self.parse_list(("fi",))
                self.expect("fi")
            elif kw != "fi":
                raise UnsupportedShell("syntax: 'fi' expected")
            return self.after_compound(If(branches, otherwise))

    def parse_simple(self) -> Simple:
        cmd = Simple()
        while True:
            tok = self.peek()
            if isinstance(tok, SWord):
                if not cmd.words and tok.parts and not tok.parts[0][1] and \
                        not tok.parts[0][2]:
                    m = _ASSIGN.match(tok.parts[0][0])
                    if m is not None:
                        first = tok.parts[0][0][m.end():]
                        rest = ([(first, False, False)] if first else []) + tok.parts[1:]
                        cmd.assigns.append((m.group(1), SWord(rest)))
                        self.i += 1
                        continue
                cmd.words.append(tok)
                self.i += 1
                continue
            if is_redirection(tok):
                target = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else None
                if not isinstance(target, SWord):
                    raise UnsupportedShell("redirection")
                cmd.redirs.append((tok, target))
                self.i += 2
                continue
            if tok in ("|", "&"):
                raise UnsupportedShell(f"'{tok}'")
            break
        if not (cmd.words or cmd.assigns or cmd.redirs):
            raise UnsupportedShell("syntax")
        return cmd


def parse_script(line: str) -> list:
    """LINE as a list of (connector, node); UnsupportedShell outside the subset."""
    p = _Parser(tokenize(line))
    items = p.parse_list()
    if p.peek() is not None:
        raise UnsupportedShell("syntax")
    return items
