"""The character-level helpers of GNU make 4.3's reader (``read.c``, ``misc.c``).

Each function follows the make function it names, on Python strings (a makefile's bytes
decoded as UTF-8 with surrogate escapes, so every byte survives): logical lines as
``readline`` and ``readstring`` make them, ``collapse_continuations``, ``remove_comments``,
the unquoting searches ``find_map_unquote`` and ``find_char_unquote`` (a backslash before
a stop character is halved away, as make compacts its buffer), ``unescape_char``,
``get_next_mword``, ``parse_variable_definition``, ``parse_var_assignment`` and
``parse_file_seq`` (file names with escaped blanks and colons, archive groups
``lib(a b)``, globs).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# main.c initialize_stopchar_map: ISSPACE is isspace() in the C locale (MAP_SPACE),
# ISBLANK space and tab
SPACE = " \t\n\v\f\r"
BLANK = " \t"


def next_token(s: str, i: int = 0) -> int:
    """NEXT_TOKEN: the index of the first character at or after I that is not a space."""
    n = len(s)
    while i < n and s[i] in SPACE:
        i += 1
    return i


def end_of_token(s: str, i: int = 0) -> int:
    """END_OF_TOKEN: the index of the first space at or after I (or the end)."""
    n = len(s)
    while i < n and s[i] not in SPACE:
        i += 1
    return i


def split_logical_lines(text: str) -> list[tuple[int, str]]:
    """read.c readline over a makefile's text: (line number, logical line) pairs. A
    logical line is a physical line and the ones its trailing backslashes continue
    (the backslash-newlines are kept); a CR before the newline is dropped; as fgets then
    strlen see a NUL byte, the rest of its line is lost and the next line joins on (a
    NUL that starts a line gives the warning make prints: the caller's)."""
    out: list[tuple[int, str]] = []
    phys = text.split("\n")
    last_complete = text.endswith("\n")
    if last_complete:
        phys.pop()
    lineno = 1
    i = 0
    n = len(phys)
    while i < n:
        start = lineno
        buf: list[str] = []
        while i < n:
            line = phys[i]
            i += 1
            complete = i < n or last_complete
            nul = line.find("\0")
            if nul >= 0:
                if nul == 0 and not buf:
                    # "warning: NUL character seen; rest of line ignored": a newline
                    out.append((start, "\0NUL"))
                    lineno += 1
                    break
                # fgets read the whole line; strlen stops at the NUL: the newline is
                # lost and the next line is read on after the text before it
                buf.append(line[:nul])
                lineno += 1
                continue
            if complete and line.endswith("\r"):
                line = line[:-1]
            lineno += 1
            k = len(line)
            while k > 0 and line[k - 1] == "\\":
                k -= 1
            if complete and (len(line) - k) % 2 == 1:
                buf.append(line + "\n")
                continue
            buf.append(line)
            break
        out.append((start, "".join(buf)))
    return out


def collapse_continuations(line: str, posix: bool = False) -> str:
    """misc.c collapse_continuations: each backslash-newline (with the blanks around
    it, and further backslash-newlines) becomes one space (POSIX: the blanks before it
    stay); a run of backslashes before a newline keeps half of them; an unescaped
    newline stays."""
    if "\n" not in line:
        return line
    out: list[str] = []
    i = 0
    n = len(line)
    while True:
        q = line.find("\n", i)
        if q < 0:
            out.append(line[i:])
            break
        k = q
        while k > i and line[k - 1] == "\\":
            k -= 1
        nb = q - k
        out.append(line[i:k] + "\\" * (nb // 2))  # (half of the backslashes stay)
        i = q + 1
        if nb % 2 == 1:
            while i < n and line[i] in BLANK:
                i += 1
            if not posix:
                joined = "".join(out).rstrip(BLANK)
                out = [joined]
            out.append(" ")
        else:
            out.append("\n")
    return "".join(out)


def _halve_before(s: str, p: int) -> tuple[str, int, bool]:
    """The backslashes just before S[P]: half of them removed (make's memmove). Returns
    the new string, the new index of the character, and whether it was escaped (an odd
    number of backslashes)."""
    k = p
    while k > 0 and s[k - 1] == "\\":
        k -= 1
    nb = p - k
    if nb == 0:
        return s, p, False
    drop = (nb + 1) // 2 if nb % 2 else nb // 2
    s = s[:k] + s[k + drop:]
    return s, p - drop, nb % 2 == 1


def find_map_unquote(s: str, stops: str, skip_vars: bool = False,
                     start: int = 0) -> tuple[str, int]:
    """read.c find_map_unquote: the first character of STOPS at or after START that no
    backslash quotes (and, with SKIP_VARS, outside $(...) and ${...}). Backslashes
    before a stop character are halved in the returned string. (string, index), index
    -1 when there is none."""
    p = start
    n = len(s)
    while True:
        while p < n and s[p] not in stops and not (skip_vars and s[p] == "$"):
            p += 1
        if p >= n:
            return s, -1
        if skip_vars and s[p] == "$":
            if p + 1 >= n:
                return s, -1
            o = s[p + 1]
            p += 2
            if o in "({":
                close = ")" if o == "(" else "}"
                depth = 1
                while p < n:
                    if s[p] == o:
                        depth += 1
                    elif s[p] == close:
                        depth -= 1
                        if depth == 0:
                            p += 1
                            break
                    p += 1
            continue
        s, p, escaped = _halve_before(s, p)
        if not escaped:
            return s, p
        p += 1
        n = len(s)


def find_char_unquote(s: str, ch: str, start: int = 0) -> tuple[str, int]:
    """read.c find_char_unquote: find_map_unquote for one character, no variables."""
    p = start
    while True:
        p = s.find(ch, p)
        if p < 0:
            return s, -1
        s, p, escaped = _halve_before(s, p)
        if not escaped:
            return s, p
        p += 1


def unescape_char(s: str, c: str) -> str:
    """read.c unescape_char: a backslash run before C loses half its backslashes (and the
    one escaping C); other backslashes stay."""
    if "\\" not in s:
        return s
    out: list[str] = []
    i = 0
    n = len(s)
    while i < n:
        ch = s[i]
        if ch == "\\":
            e = i
            while e < n and s[e] == "\\":
                e += 1
            nb = e - i
            if e >= n or s[e] != c or nb % 2 == 0:
                out.append(s[i:e])
                if e >= n:
                    break
            elif nb > 1:
                out.append("\\" * (nb // 2))
            i = e
            out.append(s[i])
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def remove_comments(line: str) -> str:
    """read.c remove_comments: cut at the first '#' that no backslash quotes, outside
    variable references (the backslashes quoting a '#' are removed)."""
    if "#" not in line:
        return line
    line, k = find_map_unquote(line, "#", True)
    return line if k < 0 else line[:k]


# get_next_mword's word types
W_EOL, W_STATIC, W_VARIABLE, W_COLON, W_DCOLON, W_AMPCOLON, W_AMPDCOLON, W_SEMI, \
    W_VARASSIGN = range(9)


def get_next_mword(s: str, p: int) -> tuple[int, int, int]:
    """read.c get_next_mword from S[P]: (type, start, end) of the next word of a rule
    line: an operator (':' '::' '&:' '&::' ';' or an assignment operator), or the
    longest run without blanks, ':', '=', '&:', '[+?]=' (a backslash keeps ':' ';'
    '=' '\\'; a reference $(...) is read whole)."""
    n = len(s)
    while p < n and s[p] in BLANK:
        p += 1
    beg = p
    if p >= n:
        return W_EOL, beg, p
    c = s[p]
    p += 1
    nxt = s[p] if p < n else ""
    if c == ";":
        return W_SEMI, beg, p
    if c == "=":
        return W_VARASSIGN, beg, p
    if c == ":":
        if nxt == "=":
            return W_VARASSIGN, beg, p + 1
        if nxt == ":":
            if p + 1 < n and s[p + 1] == "=":
                return W_VARASSIGN, beg, p + 2
            return W_DCOLON, beg, p + 1
        return W_COLON, beg, p
    if c == "&" and nxt == ":":
        if p + 1 < n and s[p + 1] == ":":
            return W_AMPDCOLON, beg, p + 2
        return W_AMPCOLON, beg, p + 1
    if c in "+?!" and nxt == "=":
        return W_VARASSIGN, beg, p + 1
    wtype = W_STATIC
    while True:
        if c in " \t=" or c == "":
            break
        if c == ":":
            break
        if c == "$":
            c = s[p] if p < n else ""
            p += 1
            if c == "$":
                pass
            elif c == "":
                break
            else:
                wtype = W_VARIABLE
                if c in "({":
                    close = ")" if c == "(" else "}"
                    count = 0
                    while p < n:
                        if s[p] == c:
                            count += 1
                        elif s[p] == close:
                            count -= 1
                            if count < 0:
                                p += 1
                                break
                        p += 1
        elif c in "?+":
            if p < n and s[p] == "=":
                break
        elif c == "\\":
            if p < n and s[p] in ":;=\\":
                p += 1
        elif c == "&":
            if p < n and s[p] == ":":
                break
        c = s[p] if p < n else ""
        p += 1
    return wtype, beg, p - 1


# the characters parse_variable_definition looks at: none of these
_ORDINARY = re.compile(r"[^#$ \t=:+?!]*")


def parse_variable_definition(s: str, p: int = 0) -> tuple[int, int, str, int] | None:
    """variable.c parse_variable_definition: (name start, name end, operator, index
    after the operator) when S[P:] is NAME OP VALUE; None otherwise (a comment or the
    end first, a blank in the name not followed by the operator, a ':' that is not
    ':=' or '::=')."""
    n = len(s)
    p = next_token(s, p)
    name = p
    e = -1
    wspace = False
    ordinary = _ORDINARY.match
    while True:
        p = ordinary(s, p).end()  # (a run of characters that need no test below)
        if p >= n:
            return None
        c = s[p]
        p += 1
        if c == "#":
            return None
        if c == "$":
            if p >= n:
                return None
            c = s[p]
            p += 1
            if c in "({":
                close = ")" if c == "(" else "}"
                count = 1
                while p < n:
                    if s[p] == close:
                        count -= 1
                        if count == 0:
                            p += 1
                            break
                    elif s[p] == c:
                        count += 1
                    p += 1
            continue
        if c in BLANK:
            wspace = True
            e = p - 1
            p = next_token(s, p)
            if p >= n:
                return None
            c = s[p]
            p += 1
        if c == "=":
            return name, (e if e >= 0 else p - 1), "=", p
        if p < n and s[p] == "=":
            if c in ":+?!":
                return name, (e if e >= 0 else p - 1), c + "=", p + 1
            if wspace:
                return None
            continue
        if c == ":":
            if s.startswith(":=", p):
                return name, (e if e >= 0 else p - 1), "::=", p + 2
            return None
        if wspace:
            return None


_MODIFIERS = ("export", "override", "private")
# an assignment whose name has nothing parse_variable_definition looks into
_SIMPLE_ASSIGNMENT = re.compile(r"([ \t\n\v\f\r]*)[A-Za-z0-9_./-]+[ \t]*(?:::|[:+?!])?=")


def _word_is(s: str, p: int, e: int, word: str) -> bool:
    return e - p == len(word) and s.startswith(word, p)


def parse_var_assignment(s: str) -> tuple[set[str], int] | None:
    """read.c parse_var_assignment: the modifiers ('export', 'override', 'private') and
    'define' or 'undefine' before an assignment, and where the rest starts (the
    assignment, or the name after define/undefine); None when S is no assignment."""
    m = _SIMPLE_ASSIGNMENT.match(s)
    if m is not None:
        return set(), m.end(1)  # (what the loop below finds for NAME OP VALUE)
    mods: set[str] = set()
    n = len(s)
    p = next_token(s, 0)
    if p >= n:
        return None
    while True:
        if parse_variable_definition(s, p) is not None:
            return mods, p
        e = end_of_token(s, p)
        if _word_is(s, p, e, "define") or _word_is(s, p, e, "undefine"):
            mods.add(s[p:e])
            return mods, next_token(s, e)
        hit = False
        for w in _MODIFIERS:
            if _word_is(s, p, e, w):
                mods.add(w)
                hit = True
        if not hit:
            return None
        p = next_token(s, e)
        if p >= n:
            return None


def _has_glob(name: str) -> bool:
    return "*" in name or "?" in name or "[" in name


def ar_name(name: str) -> bool:
    """arscan.c ar_name: 'lib(member)': a '(' not first and a ')' at the end."""
    k = name.find("(")
    return k > 0 and name.endswith(")") and len(name) > k + 2


_SEQS: dict[tuple, tuple] = {}
# what makes parse_file_seq do more than split at blanks: a backslash, a bracket (an
# archive member), a glob, '~', a space that is not a blank, or a word starting './'
_SEQ_SPECIAL = ("\\", "(", ")", "*", "?", "[", "~", "\n", "\r", "\f", "\v", " ./", "\t./")


def _plain_seq(s: str, start: int) -> bool:
    """Nothing in S from START that parse_file_seq would unquote, strip, glob or group:
    no backslash, parenthesis, glob character, '~', newline or other blank than space
    and tab, no word starting with './'. (Each a scan of the string in C: a rule's
    prerequisites can be 100 kB, where a regular expression costs tens of instructions
    a character.)"""
    if s.startswith("./", start):
        return False
    for c in _SEQ_SPECIAL:
        if s.find(c, start) >= 0:
            return False
    return True


def parse_file_seq(s: str, stops: str = "", noar: bool = False, noglob: bool = False,
                   oneword: bool = False, nostrip: bool = False, start: int = 0,
                   glob: Callable[[str], list[str]] | None = None,
                   ar_glob: Callable[[str, str], list[str]] | None = None
                   ) -> tuple[list[str], int, str]:
    """(see _parse_file_seq); remembered when nothing in S can reach the filesystem
    (no glob character, no archive member): every make process of a build parses the
    same rule lines again."""
    if not oneword and not nostrip and _plain_seq(s, start):
        # (nothing to unquote, strip, glob or group: the blank-separated words up to
        # the first stop character, as the loop below would find them)
        end = len(s)
        for c in stops:
            k = s.find(c, start)
            if 0 <= k < end:
                end = k
        return s[start:end].split(), end, s
    pure = not (("*" in s or "?" in s or "[" in s) and not noglob) and \
        (noar or "(" not in s)
    if not pure:
        return _parse_file_seq(s, stops, noar, noglob, oneword, nostrip, start, glob, ar_glob)
    key = (s, stops, noar, oneword, nostrip, start)
    r = _SEQS.get(key)
    if r is None:
        if len(_SEQS) >= 50_000:
            _SEQS.clear()
        names, p, s2 = _parse_file_seq(s, stops, noar, True, oneword, nostrip, start)
        r = _SEQS[key] = (tuple(names), p, s2)
    return list(r[0]), r[1], r[2]


def _parse_file_seq(s: str, stops: str = "", noar: bool = False, noglob: bool = False,
                    oneword: bool = False, nostrip: bool = False, start: int = 0,
                    glob: Callable[[str], list[str]] | None = None,
                    ar_glob: Callable[[str, str], list[str]] | None = None
                    ) -> tuple[list[str], int, str]:
    """read.c parse_file_seq: the file names in S from START up to an unquoted character
    of STOPS (or the end): (names, where it stopped, S with its quoting backslashes
    removed). A name ends at an unquoted blank (unless ONEWORD); a backslash quotes a
    blank or a stop character; './' is stripped (unless NOSTRIP); 'lib(a b)' is
    'lib(a) lib(b)' (unless NOAR); a name with '*?[' is globbed with GLOB (unless NOGLOB;
    no match keeps the name)."""
    names: list[str] = []
    findmap = stops if oneword else stops + BLANK
    p = start
    ar_prefix: str | None = None  # inside an archive group 'lib(...'
    while True:
        p = next_token(s, p)
        if p >= len(s) or s[p] in stops:
            break
        b = p
        s, q = find_map_unquote(s, findmap, False, p)
        if q < 0:
            q = len(s)
        p = q
        if not nostrip:
            while q - b > 2 and s.startswith("./", b):
                b += 2
                while b < q and s[b] == "/":
                    b += 1
        name = "./" if b == q else s[b:q]
        if not noar:
            if ar_prefix is None and not name.startswith("(") and not name.endswith(")"):
                k = name.find("(")
                if k >= 0:
                    # the first member of an archive group, if a later word ends in ')'
                    e = p
                    while True:
                        o = e
                        e = next_token(s, e)
                        while e < len(s) and s[e] not in findmap:
                            e += 1
                        if e == o:
                            break
                        if s[e - 1] == ")":
                            ar_prefix = name[:k + 1]
                            name = name[k + 1:]
                            break
                        if e >= len(s):
                            break
                    if ar_prefix is not None and not name:
                        continue
            if ar_prefix is not None:
                if name.endswith(")"):
                    pre = ar_prefix
                    ar_prefix = None
                    if name == ")":
                        continue
                    name = pre + name
                else:
                    name = ar_prefix + name + ")"
        if noglob or glob is None:
            names.append(name)
            continue
        if not noar and ar_name(name):
            # an archive member: the archive's name is globbed, then the member's
            # within each archive (ar.c ar_glob); no match keeps the name
            k = name.find("(")
            arname, mem = name[:k], name[k + 1:-1]
            arnames = (glob(arname) or [arname]) if _has_glob(arname) else [arname]
            for a in arnames:
                found = ar_glob(a, mem) if ar_glob is not None else []
                names.extend(found if found else [f"{a}({mem})"])
        elif _has_glob(name):
            hits = glob(name)
            names.extend(hits if hits else [name])
        else:
            names.append(name)
    return names, p, s
