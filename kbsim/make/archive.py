"""Archive members 'lib(member)': the ar format on the simulated filesystem.

GNU make 4.3 reads a member's date from the archive itself (ar.c ar_member_date,
arscan.c ar_scan): a member that is not there, or whose date is 0 (what Debian's ar
writes in its default deterministic mode), does not exist; a missing archive has no
members. ``lib(*.o)`` globs over the members (ar.c ar_glob, sorted). Recipes write
archives with ``ar``, simulated here as GNU binutils' ``ar r`` does it: the common
format ('!<arch>', 60-byte headers, names longer than 15 characters in a '//' table),
'a - NAME' or 'r - NAME' with v, 'ar: creating LIB' unless c, and member dates 0 unless
U (actual timestamps) is given.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from ..fs import NS_PER_S, FsError

if TYPE_CHECKING:  # pragma: no cover
    from ..fs import SimFS

MAGIC = b"!<arch>\n"


class Member:
    __slots__ = ("name", "date", "uid", "gid", "mode", "data")

    def __init__(self, name: str, date: int, uid: int, gid: int, mode: int, data: bytes):
        self.name, self.date, self.uid, self.gid, self.mode, self.data = \
            name, date, uid, gid, mode, data


def parse_archive(data: bytes) -> list[Member] | None:
    """arscan.c ar_scan: the members of an archive (None when DATA is not one); the
    symbol table '/' is skipped, long names come from the '//' table."""
    if not data.startswith(MAGIC):
        return None
    out: list[Member] = []
    pos = len(MAGIC)
    names = b""
    while pos + 60 <= len(data):
        hdr = data[pos:pos + 60]
        if hdr[58:60] != b"`\n":
            return None
        raw = hdr[:16].rstrip(b" ")
        try:
            date = int(hdr[16:28].strip() or b"0")
            uid = int(hdr[28:34].strip() or b"0")
            gid = int(hdr[34:40].strip() or b"0")
            mode = int(hdr[40:48].strip() or b"0", 8)
            size = int(hdr[48:58].strip() or b"0")
        except ValueError:
            return None
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if raw == b"/" or raw == b"/SYM64/":
            continue  # the symbol table
        if raw == b"//":
            names = body
            continue
        if raw.startswith(b"/") and raw[1:].isdigit():
            k = int(raw[1:])
            end = names.find(b"/\n", k)
            raw = names[k:end if end >= 0 else len(names)]
        elif raw.endswith(b"/"):
            raw = raw[:-1]
        out.append(Member(raw.decode("utf-8", "surrogateescape"), date, uid, gid, mode,
                          body))
    return out


def write_archive(members: list[Member]) -> bytes:
    """An archive of MEMBERS in GNU ar's format (no symbol table)."""
    table = b""
    hdr_names = []
    for m in members:
        nb = m.name.encode("utf-8", "surrogateescape")
        if len(nb) > 15:
            hdr_names.append(b"/" + str(len(table)).encode())
            table += nb + b"/\n"
        else:
            hdr_names.append(nb + b"/")
    out = [MAGIC]
    if table:
        out.append(_header(b"//", 0, 0, 0, None, len(table)) + table
                   + (b"\n" if len(table) & 1 else b""))
    for m, hn in zip(members, hdr_names):
        out.append(_header(hn, m.date, m.uid, m.gid, m.mode, len(m.data)) + m.data
                   + (b"\n" if len(m.data) & 1 else b""))
    return b"".join(out)


def _header(name: bytes, date: int, uid: int, gid: int, mode: int | None, size: int) -> bytes:
    def field(v, w: int) -> bytes:
        return str(v).encode().ljust(w) if v is not None else b" " * w
    if name == b"//":
        return name.ljust(16) + b" " * 32 + field(size, 10) + b"`\n"
    return (name.ljust(16) + field(date, 12) + field(uid, 6) + field(gid, 6)
            + field(oct(mode)[2:], 8) + field(size, 10) + b"`\n")


def split_name(name: str) -> tuple[str, str]:
    """ar.c ar_parse_name: 'lib(member)' as ('lib', 'member')."""
    k = name.index("(")
    return name[:k], name[k + 1:-1]


def read_members(fs: "SimFS", arname: str, cwd: str) -> list[Member] | None:
    try:
        data = fs.read(arname, cwd)
    except FsError:
        return None
    return parse_archive(data)


def member_date(fs: "SimFS", arname: str, memname: str, cwd: str) -> int | None:
    """ar.c ar_member_date: the member's date in seconds, or None (no archive, no
    such member, or a date of 0)."""
    members = read_members(fs, arname, cwd) or []
    for m in members:
        if m.name == memname:
            return m.date if m.date > 0 else None
    return None


def glob_members(fs: "SimFS", arname: str, pattern: str, cwd: str) -> list[str]:
    """ar.c ar_glob: 'ARNAME(MEMBER)' for each member matching PATTERN (fnmatch with
    FNM_PATHNAME|FNM_PERIOD), sorted; [] when PATTERN has no glob character."""
    if not any(c in pattern for c in "*?[]"):
        return []
    hits = []
    for m in read_members(fs, arname, cwd) or []:
        if m.name.startswith(".") and not pattern.startswith("."):
            continue
        if "/" not in m.name and fnmatchcase(m.name, pattern):
            hits.append(f"{arname}({m.name})")
    return sorted(hits)


def cmd_ar(ctx, argv, io):
    """binutils ar, the 'r' operation (replace or insert members), as recipes and
    GNU make's '(%): %' rule use it: modifiers v (verbose), c (no 'creating'
    message), U (actual dates) and D (dates 0, the default), u (only newer), s (no
    index is kept here)."""
    args = argv[1:]
    if not args:
        return _usage(io)
    key = args[0].lstrip("-")
    if "r" not in key or any(c not in "rvcUDusS" for c in key):
        raise _not_modelled(argv)
    if len(args) < 2:
        return _usage(io)
    arname, files = args[1], args[2:]
    fs, cwd = ctx.fs, ctx.cwd
    members: list[Member] = []
    exists = fs.stat(arname, cwd) is not None
    if exists:
        members = read_members(fs, arname, cwd)
        if members is None:
            io.err(f"ar: {arname}: file format not recognized\n")
            return 1
    elif "c" not in key:
        io.err(f"ar: creating {arname}\n")
    actual = "U" in key
    for f in files:
        st = fs.stat(f, cwd)
        if st is None:
            io.err(f"ar: {f}: No such file or directory\n")
            return 1
        name = f.rsplit("/", 1)[-1]
        date = st.mtime // NS_PER_S if actual else 0
        new = Member(name, date, 0, 0, 0o100644 if actual else 0o644, fs.read(f, cwd))
        for k, m in enumerate(members):
            if m.name == name:
                if "u" in key and m.date >= date:
                    break
                members[k] = new
                if "v" in key:
                    io.out(f"r - {f}\n")
                break
        else:
            members.append(new)
            if "v" in key:
                io.out(f"a - {f}\n")
    fs.write(arname, write_archive(members), cwd)
    return 0


def _usage(io) -> int:
    io.err("ar: no operation specified\n")
    return 1


def _not_modelled(argv):
    from .shell import _NotModelled
    return _NotModelled(" ".join(argv[:2]))
