"""The file table: one entry per name string, as GNU make 4.3's ``file.c`` keeps it.

- ``lookup_file``/``enter_file`` hash the exact string; the only normalisation is
  removing a leading ``./`` and the slashes after it (file.c lookup_file). ``d/x.h``,
  ``d///x.h`` and ``d/../d/x.h`` are three entries (reference section 3, V14).
- Internal timestamps follow ``filedef.h``: UNKNOWN (not stat'ed yet), NONEXISTENT, OLD
  (``-o``), ordinary values ordered like ns mtimes, NEW ("infinitely new", ``-W``).
"""

from __future__ import annotations

import time

# filedef.h FILE_TIMESTAMP special values; ordinary stamps are ns + ORDINARY_MIN.
UNKNOWN = 0
NONEXISTENT = 1
OLD = 2
ORDINARY_MIN = 3
MAX_SECONDS = (1 << 34) - 1  # file_timestamp_cons: 2514-05-30 01:53:03
ORDINARY_MAX = MAX_SECONDS * 1_000_000_000 + 999_999_999 + ORDINARY_MIN
NEW = 1 << 80

# update_status
US_SUCCESS, US_NONE, US_QUESTION, US_FAILED = 0, 1, 2, 3
# command_state
CS_NOT_STARTED, CS_DEPS_RUNNING, CS_RUNNING, CS_FINISHED = 0, 1, 2, 3


def to_ns(ts: int) -> int | None:
    """The ns mtime behind an ordinary internal timestamp (None for the special ones)."""
    if ORDINARY_MIN <= ts <= ORDINARY_MAX:
        return ts - ORDINARY_MIN
    return None


def describe_ts(ts: int) -> str:
    if ts == UNKNOWN:
        return "unknown"
    if ts == NONEXISTENT:
        return "missing"
    if ts == OLD:
        return "old (-o)"
    if ts >= NEW:
        return "new (-W or remade under -n)"
    ns = ts - ORDINARY_MIN
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


def timestamp_text(ts: int) -> str:
    """file.c file_timestamp_sprintf: local time with nanoseconds."""
    ns = ts - ORDINARY_MIN
    s = ns // 1_000_000_000
    try:
        tm = time.localtime(s)
        base = time.strftime("%Y-%m-%d %H:%M:%S", tm)
    except (OverflowError, OSError, ValueError):
        base = f"{s}"
    return f"{base}.{ns % 1_000_000_000:09d}"


def strip_dot_slash(name: str) -> str:
    """file.c lookup_file: drop leading './' (and following slashes) repeatedly."""
    while name.startswith("./") and len(name) > 2:
        name = name[2:].lstrip("/")
        if not name:
            return "./"
    return name


class Recipe:
    """A rule's recipe (``struct commands``): raw text lines and where they were read."""

    __slots__ = ("lines", "filename", "lineno", "recurse_flags", "any_recurse", "prefix",
                 "line_prefixes")

    def __init__(self, lines: list[str], filename: str | None, lineno: int,
                 prefix: str = "\t"):
        self.lines = lines
        self.filename = filename
        self.lineno = lineno
        self.prefix = prefix  # the recipe prefix when it was read (.RECIPEPREFIX)
        # commands.c chop_commands: '+' prefix or a $(MAKE)/${MAKE} reference makes a line
        # recursive (it runs even under -n, -q and -t).
        flags = []
        quiet = []
        for ln in lines:
            p = ln.lstrip(" \t")
            rec = False
            q = ""
            while p and p[0] in "@-+ \t":
                if p[0] == "+":
                    rec = True
                elif p[0] != " " and p[0] != "\t":
                    q += p[0]
                p = p[1:]
            if "$(MAKE)" in ln or "${MAKE}" in ln:
                rec = True
            flags.append(rec)
            quiet.append(q)
        self.recurse_flags = flags
        # the '@' and '-' of each line as written: they hold for every command its
        # expansion splits into (commands.c chop_commands: lines_flags)
        self.line_prefixes = quiet
        self.any_recurse = any(flags)

    def is_empty(self) -> bool:
        """commands.c execute_file_commands: nothing but whitespace and prefixes."""
        for ln in self.lines:
            if ln.strip(" \t\n@-+"):
                return False
        return True


class FileEntry:
    """``struct file``: one name string in the file table."""

    # The attributes update_file_1 reads for every prerequisite come first, so that they
    # share a cache line or two (slot order is memory order; a kbuild tree has millions
    # of prerequisite visits).
    __slots__ = (
        "considered", "double_colon", "updating", "intermediate", "update_status",
        "command_state", "last_mtime", "parent", "phony", "updated", "dontcare", "no_diag",
        "name", "deps", "oo", "cmds", "is_target", "secondary", "precious",
        "low_resolution_time", "prev", "mtime_before_update", "tried_implicit",
        "cmd_target", "stem", "also_make", "rule_floc", "implicit_rule", "chg",
        "dep_changed", "nesting", "hname", "renamed", "ignore_vpath", "n_extra",
    )

    def __init__(self, name: str):
        self.name = name
        self.deps: list[FileEntry] = []
        self.oo: list[bool] | None = None  # parallel to deps: True = order-only
        self.cmds: Recipe | None = None
        self.is_target = False
        self.phony = False
        self.intermediate = False
        self.secondary = False
        self.precious = False
        self.low_resolution_time = False
        self.double_colon: FileEntry | None = None
        self.prev: FileEntry | None = None
        self.last_mtime = UNKNOWN
        self.mtime_before_update = UNKNOWN
        self.updated = False
        self.update_status = US_NONE
        self.command_state = CS_NOT_STARTED
        self.considered = 0
        self.updating = False
        self.tried_implicit = False
        self.dontcare = False
        self.no_diag = False
        self.cmd_target = False
        self.parent: FileEntry | None = None
        self.stem: str | None = None
        self.also_make: list[FileEntry] | None = None
        self.rule_floc: tuple[str, int] | None = None
        self.implicit_rule = None
        self.chg: dict[int, bool] | None = None  # struct dep 'changed', by dep index
        self.dep_changed: list[bool] | None = None  # final 'changed' flags, for $?
        self.nesting = 0  # active update_file_1 calls for this entry (remake.py)
        # file.c: the name the table knows it by (a vpath search changes it, and 'name'
        # only once the file is known not to need remaking: remake.py f_mtime)
        self.hname = name
        self.renamed: FileEntry | None = None  # merged into this entry (rehash_file)
        self.ignore_vpath = False  # must be remade: no vpath search any more
        # the last N_EXTRA deps came from .EXTRA_PREREQS: made, but not in $^ $< $? ...
        # (file.c snap_file appends them once the makefiles are read)
        self.n_extra = 0

    def __repr__(self) -> str:  # pragma: no cover
        return f"<FileEntry {self.name}>"

    def add_second(self, text: str, static: bool, stem: str | None, first: bool) -> None:
        """A prerequisite text left for the second expansion, in its place."""
        self.add_deps([SecondExpansion(text, static, stem)], None, first)

    def add_deps(self, deps: list["FileEntry"], oo: list[bool] | None, first: bool) -> None:
        """read.c record_files: a rule with a recipe puts its prerequisites first."""
        if not deps:
            return
        if not self.deps:
            self.deps = list(deps)
            self.oo = list(oo) if oo is not None else None
            return
        old_oo = self.oo if self.oo is not None else None
        if oo is None and old_oo is None:
            self.deps = deps + self.deps if first else self.deps + deps
            return
        a_oo = oo if oo is not None else [False] * len(deps)
        b_oo = old_oo if old_oo is not None else [False] * len(self.deps)
        if first:
            self.deps = deps + self.deps
            self.oo = a_oo + b_oo
        else:
            self.deps = self.deps + deps
            self.oo = b_oo + a_oo


class SecondExpansion:
    """A rule's prerequisite text that .SECONDEXPANSION leaves unexpanded until every
    makefile is read (read.c record_files: need_2nd_expansion; file.c expand_deps),
    kept in its place among the file's prerequisites until then."""

    __slots__ = ("text", "static", "stem", "name")

    def __init__(self, text: str, static: bool, stem: str | None):
        self.text = text
        self.static = static  # from a static pattern rule: '%' stands for the stem
        self.stem = stem
        self.name = text


class PatternRule:
    """An implicit rule ``%.o: %.c`` (implicit.c, rule.c). SECOND: the prerequisite text
    when .SECONDEXPANSION leaves it for the second expansion (then DEPS and OO are
    empty)."""

    __slots__ = ("targets", "deps", "oo", "cmds", "terminal", "floc", "second", "parts",
                 "dep_parts")

    def __init__(self, targets: list[str], deps: list[str], oo: list[str], cmds: Recipe | None,
                 terminal: bool, floc: tuple[str, int], second: str | None = None):
        self.targets = targets
        self.deps = deps
        self.oo = oo
        self.cmds = cmds
        self.terminal = terminal
        self.floc = floc
        self.second = second
        # each target as (prefix, suffix, length, has '/'): implicit.py matches by them
        self.parts = [(t[:t.index("%")], t[t.index("%") + 1:], len(t), "/" in t)
                      for t in targets]
        # each prerequisite as (prefix, suffix) around its first '%' (None: no '%'),
        # when no name needs parse_file_seq (no blank, glob, backslash or bracket)
        names = deps + oo
        self.dep_parts = None
        if second is None and not any(c in n for n in names for c in " \t*?[\\(") \
                and not any(n.startswith(("./", "~")) for n in names):
            self.dep_parts = [((n[:n.index("%")], n[n.index("%") + 1:]) if "%" in n
                               else (n, None), k >= len(deps)) for k, n in enumerate(names)]


_M32 = 0xFFFFFFFF


def _rol32(v: int, n: int) -> int:
    return ((v << n) | (v >> (32 - n))) & _M32


def jhash_string(data: bytes) -> int:
    """hash.c jhash_string (little-endian): Bob Jenkins' lookup3 over the string in
    32-bit words up to its NUL, plus the offset of the word holding the NUL."""
    a = b = c = 0xDEADBEEF
    k = 0
    regs = [a, b, c]
    while True:
        nul = False
        for r in range(3):
            # sum_up_to_nul: a word with no zero byte is added whole; else the bytes
            # before the first zero (none when the first one is)
            val = int.from_bytes(data[k:k + 4], "little")
            if not ((val - 0x01010101) & _M32 & ~val & 0x80808080):
                regs[r] = (regs[r] + val) & _M32
            else:
                nul = True
                if val & 0xFF:
                    if not val & 0xFF00:
                        val &= 0xFF
                    elif not val & 0xFF0000:
                        val &= 0xFFFF
                    regs[r] = (regs[r] + val) & _M32
                break
            k += 4
        if nul:
            break
        a, b, c = regs  # jhash_mix
        a = (a - c) & _M32; a ^= _rol32(c, 4); c = (c + b) & _M32  # noqa: E702
        b = (b - a) & _M32; b ^= _rol32(a, 6); a = (a + c) & _M32  # noqa: E702
        c = (c - b) & _M32; c ^= _rol32(b, 8); b = (b + a) & _M32  # noqa: E702
        a = (a - c) & _M32; a ^= _rol32(c, 16); c = (c + b) & _M32  # noqa: E702
        b = (b - a) & _M32; b ^= _rol32(a, 19); a = (a + c) & _M32  # noqa: E702
        c = (c - b) & _M32; c ^= _rol32(b, 4); b = (b + a) & _M32  # noqa: E702
        regs = [a, b, c]
    a, b, c = regs  # jhash_final
    c ^= b; c = (c - _rol32(b, 14)) & _M32  # noqa: E702
    a ^= c; a = (a - _rol32(c, 11)) & _M32  # noqa: E702
    b ^= a; b = (b - _rol32(a, 25)) & _M32  # noqa: E702
    c ^= b; c = (c - _rol32(b, 16)) & _M32  # noqa: E702
    a ^= c; a = (a - _rol32(c, 4)) & _M32  # noqa: E702
    b ^= a; b = (b - _rol32(a, 14)) & _M32  # noqa: E702
    c ^= b; c = (c - _rol32(b, 24)) & _M32  # noqa: E702
    return (c + k) & _M32


def _hash_insert(vec: list, name: str) -> None:
    """hash.c hash_find_slot for a new name, then the name put there."""
    mask = len(vec) - 1
    i = jhash_string(name.encode("utf-8", "surrogateescape")) & mask
    while vec[i] is not None:
        i = (i + 1) & mask
    vec[i] = name


def hash_slots(names) -> dict[str, int]:
    """Each of NAMES (in the order make entered them) by its slot in make's file hash
    table: hash.c's open addressing, 1000 slots rounded up to 1024, jhash_string of the
    name (file_hash_1; file_hash_2 is 0, so a collision takes the next slot), the table
    rebuilt in slot order, twice as large, once more than 15/16 of it is filled."""
    size = 1024
    vec: list[str | None] = [None] * size
    fill = 0
    for name in names:
        _hash_insert(vec, name)
        fill += 1
        if fill > size - size // 16:  # hash_insert_at: hash_rehash
            size *= 2
            old, vec = vec, [None] * size
            for nm in old:
                if nm is not None:
                    _hash_insert(vec, nm)
    return {nm: i for i, nm in enumerate(vec) if nm is not None}


class FileTable:
    """The hash of file entries by name."""

    def __init__(self) -> None:
        self.files: dict[str, FileEntry] = {}

    def lookup(self, name: str) -> FileEntry | None:
        if name.startswith("./"):
            name = strip_dot_slash(name)
        return self.files.get(name)

    def enter(self, name: str) -> FileEntry:
        if name.startswith("./"):
            name = strip_dot_slash(name)
        f = self.files.get(name)
        if f is None:
            f = FileEntry(name)
            self.files[name] = f
        return f

    def enter_many(self, names: list[str]) -> list[FileEntry]:
        """``[self.enter(n) for n in names]``, with the usual hit inlined (a stored key
        never starts with './' except './' itself, so a hit is the entry enter finds)."""
        out = list(map(self.files.get, names))
        if None in out:  # new names, or spellings with './': in order, as enter would
            for i, f in enumerate(out):
                if f is None:
                    out[i] = self.enter(names[i])
        return out

    def enter_file(self, name: str) -> FileEntry:
        """file.c enter_file exactly: for a name that already has '::' rules it makes a
        NEW double-colon entry (no rule, not a target) chained after them. The reader
        looks names up first (enter_prereqs, record_files), but main.c's -o and -W go
        straight to enter_file, so 'make -W t' on a 't::' target gets an extra entry
        whose update says "No rule to make target 't'"."""
        head = self.lookup(name)
        if head is not None and head.double_colon is not None:
            return self.enter_double_colon(name)
        return self.enter(name)

    def enter_double_colon(self, name: str) -> FileEntry:
        """A new '::' entry chained after the existing ones (file.c enter_file)."""
        if name.startswith("./"):
            name = strip_dot_slash(name)
        head = self.files.get(name)
        if head is None:
            f = FileEntry(name)
            self.files[name] = f
            f.double_colon = f
            return f
        if head.double_colon is None:
            head.double_colon = head
            return head
        new = FileEntry(name)
        new.double_colon = head
        last = head
        while last.prev is not None:
            last = last.prev
        last.prev = new
        return new

    def __iter__(self):
        return iter(self.files.values())

    def hash_order(self, entries: list["FileEntry"]) -> list["FileEntry"]:
        """ENTRIES in the order make's loops over its file table meet them (file.c
        remove_intermediates walks the slots): see hash_slots. The names go in as they
        were entered (this table's order; a name a vpath search renamed goes in under
        its new name, where make leaves a deleted slot behind)."""
        rank = hash_slots(self.files)
        return sorted(entries, key=lambda f: rank.get(f.hname, -1))

    def __len__(self) -> int:
        return len(self.files)
