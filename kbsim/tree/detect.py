"""What a captured tree says about itself: the kbuild era and the timestamp granularity.

Era (../shared/reference/kbuild-ksym-history.md sections 1b and 3): the ksym dependency
names and where fixdep put them tell the eras apart:

- ``include/config/ksym/...h`` inside ``deps_``: e1 (v4.7-v4.16; the race-guard backport
  e1-guard writes the same files, so the two cannot be told apart);
- ``include/ksym/...h`` inside ``deps_``: e2 (v4.17-v4.20);
- a ``ksymdeps_`` block of ``include/ksym/...h``: e3 (CONFIG deps ``include/config/x/y.h``,
  v5.0-v5.12) or e4 (CONFIG deps ``include/config/X_Y``, v5.13 to ~v5.15);
- a ``ksymdeps_`` block of ``include/ksym/<symbol as is>``: e5 (to v6.4; ``.usyms`` files
  mean v5.19+, ``savedcmd_`` means v6.2+: 92215e7a801d);
- no ksym dependencies at all, TRIM_UNUSED_KSYMS on and no autoksyms.h: e6 (v6.5+;
  5e9e95cc9148 removed the ksym files and the recursion, ddb5cdbafaaa has modpost write
  ``.vmlinux.export.c``).

The release in include/config/kernel.release (format 3 captures) is checked against the
format evidence, and decides alone when the files show none (TRIM_UNUSED_KSYMS off, or
e6, which writes no ksym dependencies).

Granularity (../shared/reference/peers.md section 10 and kbsim/fs/clock.py): whole
seconds (every ns field zero: 1 s, or 2 s if every second is even, as FAT), stamps from the
kernel's coarse clock (every mtime on one tick lattice: ``jiffy:HZ``; the lattice may be
offset from zero, as the real coarse clock is), a mix of lattice and fine stamps
(``multigrain:HZ``, Linux 6.13+), or fine stamps (``ns``). Only files of the build tree
count: a source tree unpacked by tar has whole-second mtimes whatever the filesystem.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter

from ..kbuild.eras import ERAS
from .cmdscan import ScanResult

NS = 1_000_000_000
HZ_CANDIDATES = (100, 250, 300, 1000)  # the kernel's CONFIG_HZ choices, coarsest first
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def era_hints(r: ScanResult) -> dict[str, bool]:
    """kbsim.kbuild.cmdfile.detect_era_hints on a ScanResult (same keys and values),
    computed once a ScanResult (the capture cache keeps it too); callers only read it."""
    if r._hints is None:
        r._hints = _era_hints(r)
    return r._hints


def _era_hints(r: ScanResult) -> dict[str, bool]:
    ks = r.ksym_paths()
    cfg: list[str] = []
    if r.deps:  # the wildcards' names under a config directory, not under a ksym one
        wild = list(compress(map(_FIRST, r.deps), map(_SECOND, r.deps)))
        if "/ksym/" in "\n".join(wild):
            cfg = [p for p in wild if "/config/" in p and "/ksym/" not in p]
        else:
            cfg = [p for p in wild if "/config/" in p]
    # how many of them end in ".h": each ".h\n" of the joined names ends one of them
    # (names never hold a newline), counted at C speed
    dot_h = ("\n".join(cfg) + "\n").count(".h\n") if cfg else 0
    return {
        "ksym_in_config_dir": any(p.startswith("include/config/ksym/") for p in ks),
        "ksym_repeated_slash": any("//" in p for p in ks),
        "ksymdeps_block": bool(r.ksymdeps),
        "ksym_raw": any(p.startswith("include/ksym/") and not p.endswith(".h") for p in ks),
        "ksym_dot_h": any(p.startswith("include/ksym/") and p.endswith(".h") for p in ks),
        "config_dot_h": dot_h > 0,
        "config_upper": dot_h < len(cfg),
        "savedcmd": r.prefix == "savedcmd_",
    }


def classify(h: dict[str, bool]) -> str | None:
    """The era one .cmd file's format points to (None if it has no ksym dependencies)."""
    if h["ksym_in_config_dir"]:
        return "e1"
    if h["ksym_raw"]:
        return "e5"
    if h["ksym_dot_h"]:
        if not h["ksymdeps_block"]:
            return "e2"
        if h["config_dot_h"]:
            return "e3"
        if h["config_upper"]:
            return "e4"
        return "e3|e4"
    return None


# The first release of each era (reference section 1b). e4 -> e5 (the include/ksym redo)
# is dated ~v5.15/v5.16 there, so a 5.15 release is told apart only by its files.
_ERA_STARTS = ((4, 7, "e1"), (4, 17, "e2"), (5, 0, "e3"), (5, 13, "e4"), (5, 16, "e5"),
               (6, 5, "e6"))


def parse_release(text: str | None) -> tuple[int, int] | None:
    """(major, minor) of a kernel release string such as ``6.12.118-amd64``."""
    if not text:
        return None
    head = text.strip().split("\n", 1)[0]
    parts = head.split(".")
    try:
        return int(parts[0]), int("".join(c for c in parts[1][:3] if c.isdigit()) or "x")
    except (ValueError, IndexError):
        return None


def era_of_release(text: str | None) -> str | None:
    """The era a release belongs to (None before v4.7, or for an unreadable string)."""
    v = parse_release(text)
    if v is None:
        return None
    era = None
    for major, minor, name in _ERA_STARTS:
        if v >= (major, minor):
            era = name
    if v[:2] == (5, 15):
        return "e4|e5"
    return era


@dataclass
class EraGuess:
    era: str | None
    versions: str
    evidence: list[str] = field(default_factory=list)
    hints: dict[str, int] = field(default_factory=dict)
    per_era: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def detect_era(scans: list[ScanResult], *, trim: bool | None, autoksyms: bool,
               ksym_file_names: list[str], tmp_versions: bool, usyms: bool,
               release: str | None = None, export_c: bool = False) -> EraGuess:
    hints: Counter = Counter()
    per: Counter = Counter()
    for r in scans:
        if r.target is None:
            continue
        h = era_hints(r)
        for k, v in h.items():
            if v:
                hints[k] += 1
        c = classify(h)
        if c:
            per[c] += 1
    ev: list[str] = []
    warn: list[str] = []
    era: str | None = None
    if per:
        era, n = per.most_common(1)[0]
        ev.append(f"{n} .cmd file(s) list ksym dependencies in the {era} format")
        others = {k: v for k, v in per.items() if k != era}
        if others:
            warn.append("mixed .cmd formats: " + ", ".join(f"{v} file(s) in the {k} format"
                                                           for k, v in sorted(others.items()))
                        + f" besides {n} in the {era} format (left from an older build?)")
        if era == "e3|e4":
            era = "e4" if hints["config_upper"] > hints["config_dot_h"] else "e3"
            style = "include/config/FOO" if era == "e4" else "include/config/foo.h"
            ev.append(f"CONFIG dependencies are {style} style, so {era}")
    else:
        names = ksym_file_names
        if any(p.startswith("include/config/ksym/") for p in names):
            era = "e1"
            ev.append("include/config/ksym/ timestamp files exist (no .cmd lists one)")
        elif any(p.startswith("include/ksym/") and not p.endswith(".h") for p in names):
            era = "e5"
            ev.append("include/ksym/<symbol> timestamp files exist (no .cmd lists one)")
        elif any(p.startswith("include/ksym/") for p in names):
            era = "e4" if hints["config_upper"] else ("e3" if hints["ksymdeps_block"] else "e2")
            ev.append("include/ksym/*.h timestamp files exist (no .cmd lists one)")
        elif trim and not autoksyms and (hints["config_upper"] or hints["savedcmd"]
                                         or export_c):
            era = "e6"
            ev.append("CONFIG_TRIM_UNUSED_KSYMS=y but no ksym dependencies and no "
                      "autoksyms.h: the single-pass scheme of v6.5+")
            if export_c:
                ev.append(".vmlinux.export.c exists: modpost writes the KSYMTAB entries "
                          "(v6.5+, ddb5cdbafaaa)")
        elif era_of_release(release) in ERAS:
            era = era_of_release(release)
            ev.append(f"include/config/kernel.release says {release.strip()}, an {era} "
                      f"release (its files show no ksym dependencies)")
        elif trim is False:
            ev.append("CONFIG_TRIM_UNUSED_KSYMS is not set in include/config/auto.conf")
        else:
            ev.append("no ksym dependencies in any .cmd file")
    by_release = era_of_release(release)
    if release and era is not None and by_release is not None \
            and era not in by_release.split("|") \
            and not ev[0].startswith("include/config/kernel.release"):
        warn.append(f"include/config/kernel.release says {release.strip()} ({by_release}), "
                    f"but the files are in the {era} format; the files are followed")
    elif release and era is not None and by_release is not None \
            and not ev[0].startswith("include/config/kernel.release"):
        ev.append(f"include/config/kernel.release says {release.strip()}, an {era} release")
    versions = ERAS[era].versions if era in ERAS else "unknown"
    if era == "e1":
        ev.append("e1 and e1-guard (the May 2018 race-guard backport to 4.9.y/4.14.y) write "
                  "the same files; the capture cannot tell them apart")
    if era == "e5":
        if hints["savedcmd"]:
            versions = "v6.2-v6.4"
            ev.append("savedcmd_ prefix: v6.2 or later (92215e7a801d)")
        elif usyms:
            versions = "v5.19-v6.1"
            ev.append(".usyms files (v5.19 or later) and cmd_ lines (before v6.2)")
    if era in ("e1", "e2") and not tmp_versions:
        ev.append("no .tmp_versions/ directory (expected before v5.3)")
    if era is not None and trim is False:
        warn.append("include/config/auto.conf does not set CONFIG_TRIM_UNUSED_KSYMS")
    return EraGuess(era, versions, ev, dict(sorted(hints.items())), dict(sorted(per.items())),
                    warn)


@dataclass
class GranularityGuess:
    granularity: str  # a name kbsim.fs.parse_granularity accepts
    evidence: str
    files: int
    whole_seconds: int
    tick_ns: int | None = None
    on_tick: float | None = None  # share of distinct mtimes on the tick lattice
    equal_mtime_files: int = 0  # files sharing their exact mtime with another file
    filesystem: str | None = None  # the build directory's filesystem type (mountinfo)
    host_kernel: str | None = None  # uname -r where the capture ran


def lattice_fraction(mtimes: list[int], hz: int, window_ns: int = NS) -> tuple[float, int]:
    """Share of distinct mtimes that sit on a common tick lattice within each window.

    The coarse clock's stamps are tick boundaries of CLOCK_REALTIME, offset from zero and
    drifting slowly with NTP, so the lattice is fitted per one-second window: in each
    window holding two or more distinct mtimes, the largest group of residues (mod the
    tick) within 1% of a tick of each other counts as on the lattice when it has at least
    two members. Random nanosecond stamps score about 0.1; coarse stamps 1.0."""
    tick = NS / hz
    tol = tick / 100
    groups: dict[int, list[float]] = {}
    for t in sorted(set(mtimes)):
        groups.setdefault(t // window_ns, []).append(t % tick)
    on = considered = 0
    for g in groups.values():
        k = len(g)
        if k < 2:
            continue
        g.sort()
        ext = g + [x + tick for x in g]
        best = 1
        for i in range(k):
            j = bisect.bisect_right(ext, ext[i] + tol)
            best = max(best, min(j - i, k))
        considered += k
        if best >= 2:
            on += best
    return (on / considered if considered else 0.0), considered


# Filesystems that took multigrain timestamps in Linux 6.13 (fs/inode.c
# inode_set_ctime_current and FS_MGTIME: ext4, xfs, btrfs, tmpfs).
MULTIGRAIN_FS = ("ext4", "xfs", "btrfs", "tmpfs")


def host_evidence(filesystem: str | None, host_kernel: str | None) -> str | None:
    """What the filesystem and the kernel that stamped the files say, in words."""
    if not filesystem and not host_kernel:
        return None
    fs = filesystem or "an unknown filesystem"
    on = f" on Linux {host_kernel}" if host_kernel else ""
    v = parse_release(host_kernel)
    if filesystem in MULTIGRAIN_FS and v is not None:
        if v >= (6, 13):
            return f"{fs}{on}: multigrain timestamps apply there (Linux 6.13+)"
        return f"{fs}{on}: stamps from the coarse clock, no multigrain (before Linux 6.13)"
    if filesystem in ("vfat", "msdos", "exfat"):
        return f"{fs}{on}: 2 s timestamps (FAT)"
    return f"{fs}{on}"


def detect_granularity(mtimes: list[int], filesystem: str | None = None,
                       host_kernel: str | None = None) -> GranularityGuess:
    """From the stamps (they decide), with what the filesystem and the kernel that wrote
    them say added to the evidence."""
    g = _granularity_from_stamps(mtimes)
    g.filesystem, g.host_kernel = filesystem, host_kernel
    h = host_evidence(filesystem, host_kernel)
    if h:
        g.evidence += f"; {h}"
    return g


def _granularity_from_stamps(mtimes: list[int]) -> GranularityGuess:
    n = len(mtimes)
    eq = sum(c for c in Counter(mtimes).values() if c > 1)
    if n == 0:
        return GranularityGuess("ns", "no build-tree files to judge from; assuming ns", 0, 0)
    whole = sum(1 for t in mtimes if t % NS == 0)
    if whole == n:
        if n >= 8 and all((t // NS) % 2 == 0 for t in mtimes):
            return GranularityGuess("2s", f"all {n} mtimes are even whole seconds (FAT)", n,
                                    whole, 2 * NS, 1.0, eq)
        return GranularityGuess("1s", f"all {n} mtimes are whole seconds (ext3, or ext4 "
                                      f"with 128-byte inodes)", n, whole, NS, 1.0, eq)
    # stamps on a lattice anchored at zero (kbsim's own coarse clock does this)
    for hz in HZ_CANDIDATES:
        if NS % hz == 0 and all(t % (NS // hz) == 0 for t in mtimes):
            name = "jiffy" if hz == 250 else f"jiffy:{hz}"
            return GranularityGuess(name, f"all {n} mtimes are multiples of "
                                          f"{NS // hz / 1e6:g} ms (a HZ={hz} coarse clock)",
                                    n, whole, NS // hz, 1.0, eq)
    fr = {hz: lattice_fraction(mtimes, hz) for hz in HZ_CANDIDATES}
    best = max(f for f, _ in fr.values())
    hz = next(h for h in HZ_CANDIDATES if fr[h][0] >= 0.95 * best)
    f, considered = fr[hz]
    tick = round(NS / hz)
    share = f"{f:.0%} of {considered} distinct mtimes (in one-second windows) sit on a " \
            f"{tick / 1e6:g} ms tick lattice"
    if considered < 8:
        return GranularityGuess("ns", f"too few distinct mtimes to see a tick lattice "
                                      f"({considered}); assuming ns", n, whole, None, None, eq)
    if f >= 0.9:
        name = "jiffy" if hz == 250 else f"jiffy:{hz}"
        return GranularityGuess(name, share + ": every write is stamped from the kernel's "
                                              f"coarse clock (HZ={hz})", n, whole, tick, f, eq)
    if f >= 0.3:
        name = "multigrain" if hz == 250 else f"multigrain:{hz}"
        return GranularityGuess(name, share + ", the rest are fine-grained: a mix of coarse "
                                              "and fine stamps, as multigrain timestamps "
                                              f"(Linux 6.13+) give (HZ={hz})",
                                n, whole, tick, f, eq)
    return GranularityGuess("ns", share + ": no coarse tick visible; nanosecond stamps", n,
                            whole, None, f, eq)
