"""Simulated time: an integer-nanosecond clock and filesystem timestamp granularity.

Evidence for the profiles (see ../shared/reference/peers.md section 10):
- Linux stamps inodes from a coarse per-jiffy clock (``current_time``), so even a
  filesystem that stores nanoseconds hands out stamps on jiffy boundaries;
- ext3, and ext4 with 128-byte inodes, keep whole seconds; FAT keeps 2 s, truncated;
- Linux 6.13 multigrain timestamps: a file whose timestamps were queried since its last
  change gets a fine-grained stamp on its next change, and coarse stamps are never
  earlier than the newest fine stamp handed out (the "floor").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class Granularity:
    """How a filesystem turns the current time, or an explicit time, into a stored mtime."""

    name: str
    store_ns: int  # every stored mtime is truncated to a multiple of this
    tick_ns: int  # "now" stamps come from a clock that ticks this often
    multigrain: bool = False
    # the coarse clock's step: the tick, or the stored resolution when that is coarser
    step: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "step", max(self.tick_ns, self.store_ns))

    def truncate(self, t_ns: int) -> int:
        """Truncate an explicit time (touch -d, cp -p) to what the filesystem can store."""
        if self.store_ns == 1:
            return t_ns
        return (t_ns // self.store_ns) * self.store_ns

    def coarse(self, now_ns: int) -> int:
        """The stamp a write gets from the kernel's coarse clock at ``now_ns``."""
        step = self.step
        return (now_ns // step) * step

    def describe(self) -> str:
        if self.multigrain:
            return f"multigrain (coarse tick {self.tick_ns / 1e6:g} ms, fine stamps after a query)"
        if self.store_ns >= NS_PER_S:
            return f"{self.store_ns // NS_PER_S} s stored mtimes"
        if self.tick_ns > 1:
            return f"ns stored, stamped on a {self.tick_ns / 1e6:g} ms jiffy clock"
        return "ns stored, ns stamps"


class GranularityError(ValueError):
    pass


_JIFFY = re.compile(r"^(jiffy|multigrain)(?:[:@-](?:hz)?(\d+))?$")
_HZ_GIVEN = re.compile(r"^(jiffy|multigrain)[:@-](.*)$")

GRANULARITY_HELP = (
    "ns | jiffy[:HZ] (default HZ 250, a 4 ms tick) | 1s (ext3, ext4 with 128-byte inodes) | "
    "2s (FAT) | multigrain[:HZ] (Linux 6.13)"
)


def parse_granularity(spec: str | Granularity) -> Granularity:
    """Parse ``ns``, ``jiffy``, ``jiffy:100``, ``1s``, ``2s``, ``multigrain`` (and
    ``multigrain:1000``)."""
    if isinstance(spec, Granularity):
        return spec
    s = spec.strip().lower()
    if s in ("ns", "1ns", "nsec"):
        return Granularity("ns", 1, 1)
    if s in ("1s", "s", "sec", "ext3"):
        return Granularity("1s", NS_PER_S, NS_PER_S)
    if s in ("2s", "fat"):
        return Granularity("2s", 2 * NS_PER_S, 2 * NS_PER_S)
    m = _JIFFY.match(s)
    if m:
        hz = int(m.group(2) or 250)
        if hz <= 0 or hz > 100_000:
            raise GranularityError(f"granularity {spec!r}: HZ must be between 1 and 100000")
        tick = NS_PER_S // hz
        if m.group(1) == "multigrain":
            return Granularity(f"multigrain:{hz}" if m.group(2) else "multigrain", 1, tick, True)
        return Granularity(f"jiffy:{hz}" if m.group(2) else "jiffy", 1, tick)
    m = _HZ_GIVEN.match(s)
    if m:  # jiffy:-5, jiffy:abc: the kind is right, the HZ is not
        raise GranularityError(f"granularity {spec!r}: HZ must be a whole number between 1 "
                               f"and 100000 (e.g. {m.group(1)}:250, a 4 ms tick)")
    raise GranularityError(f"unknown granularity {spec!r}; expected {GRANULARITY_HELP}")


class Clock:
    """Simulated wall clock in integer nanoseconds. It never runs backwards."""

    __slots__ = ("now",)

    def __init__(self, now_ns: int = 1_600_000_000 * NS_PER_S):
        self.now = int(now_ns)

    def advance(self, ns: int) -> int:
        if ns > 0:
            self.now += int(ns)
        return self.now

    def advance_to(self, t_ns: int) -> int:
        if t_ns > self.now:
            self.now = int(t_ns)
        return self.now


def parse_time(spec: str) -> int:
    """Parse ``@SECONDS[.FRACTION]`` (as ``touch -d`` and ``--now`` take it) into ns."""
    s = spec.strip()
    if s.startswith("@"):
        s = s[1:]
    m = re.fullmatch(r"(-?)(\d+)(?:\.(\d{1,9})\d*)?", s)
    if not m:
        raise ValueError(f"cannot parse time {spec!r}; expected @SECONDS[.FRACTION]")
    sign = -1 if m.group(1) else 1
    sec = int(m.group(2))
    frac = (m.group(3) or "").ljust(9, "0")
    total = sec * NS_PER_S + int(frac)
    return sign * total


def format_ns(t_ns: int) -> str:
    """Seconds.nanoseconds, as ``stat -c %.9Y`` prints it."""
    sign = "-" if t_ns < 0 else ""
    t = abs(t_ns)
    return f"{sign}{t // NS_PER_S}.{t % NS_PER_S:09d}"
