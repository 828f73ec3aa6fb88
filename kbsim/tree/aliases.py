"""``kbsim aliases TREE``: distinct names in ``.cmd`` files that reach one file.

GNU make keys its file table by the name string (only a leading ``./`` is stripped), so
``include/config/ksym///clear/user.h`` and ``include/config/ksym/clear/user.h`` are two
make files, each stat()ed and cached separately, while the kernel's path lookup (repeated
'/' folded, '.' dropped, '..' through the directory reached, symlinks followed) makes them
one inode. Capture resolves every name from the build directory; this lists every file
reached by two or more names, with the targets whose ``.cmd`` file uses each name.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from .captured import CapturedTree


class AliasSpelling(BaseModel):
    name: str
    make_name: str = Field(description="The name in make's file table (leading ./ "
                                       "stripped)")
    targets: list[str] = Field(default_factory=list)


class AliasSet(BaseModel):
    path: str = Field(description="The canonical path all the names reach")
    present: bool | None
    mtime_ns: int | None = None
    kind: str = Field(description="ksym, config, header, source, target or other")
    distinct_make_files: int = Field(description="How many separate make files these names "
                                                 "are (names differing only in a leading "
                                                 "./ are one)")
    spellings: list[AliasSpelling]


class AliasReport(BaseModel):
    build_dir: str
    sets: list[AliasSet]
    names: int = Field(description="Distinct names seen in .cmd files")
    files: int = Field(description="Distinct files they reach")


def _make_name(name: str) -> str:
    while name.startswith("./") and len(name) > 2:  # make strips leading ./ (file.c)
        name = name[2:].lstrip("/")
    return name


def _kind(path: str) -> str:
    if "/ksym/" in f"/{path}":
        return "ksym"
    if path.startswith("include/config/") or "/include/config/" in path:
        return "config"
    if path.endswith((".h", ".lds", ".inc")):
        return "header"
    if path.endswith((".c", ".S", ".s", ".rs")):
        return "source"
    if path.endswith((".o", ".a", ".ko")):
        return "target"
    return "other"


def find_aliases(ct: CapturedTree) -> AliasReport:
    users: dict[str, dict[str, list[str]]] = {}  # key -> name -> targets
    names = 0
    for r in sorted(ct.scans.values(), key=lambda r: r.name):
        if r.name.startswith("tools/"):
            continue
        t = r.target
        for n in r.names():
            k = ct.key(n)
            by = users.setdefault(k, {})
            if n not in by:
                names += 1
                by[n] = []
            if t not in by[n] and n != t:
                by[n].append(t)
    sets = []
    for k, by in sorted(users.items()):
        if len(by) < 2:
            continue
        m = ct.cap.mtimes.get(k)
        known = k in ct.cap.mtimes
        sets.append(AliasSet(
            path=k, present=(m is not None) if known else None, mtime_ns=m, kind=_kind(k),
            distinct_make_files=len({_make_name(n) for n in by}),
            spellings=[AliasSpelling(name=n, make_name=_make_name(n), targets=sorted(ts))
                       for n, ts in sorted(by.items())]))
    return AliasReport(build_dir=ct.cap.build_dir, sets=sets, names=names, files=len(users))
