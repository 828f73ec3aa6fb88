"""How kbsim prints simulated times."""

from __future__ import annotations

import datetime as _dt

NS = 1_000_000_000


def stamp(ns: int | None) -> str:
    """seconds.nanoseconds, as `stat -c %.9Y` prints an mtime."""
    if ns is None:
        return "-"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    return f"{sign}{ns // NS}.{ns % NS:09d}"


def clock(ns: int | None) -> str:
    """UTC wall-clock time with nanoseconds, as `ls --full-time` would show it in UTC."""
    if ns is None:
        return "-"
    try:
        d = _dt.datetime.fromtimestamp(ns // NS, tz=_dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return stamp(ns)
    return d.strftime("%Y-%m-%d %H:%M:%S") + f".{ns % NS:09d}"


def delta(ns: int) -> str:
    """A signed duration in the most readable unit."""
    a = abs(ns)
    sign = "-" if ns < 0 else "+"
    if a >= NS:
        return f"{sign}{a / NS:.3f} s"
    if a >= 1_000_000:
        return f"{sign}{a / 1e6:.3f} ms"
    if a >= 1_000:
        return f"{sign}{a / 1e3:.3f} us"
    return f"{sign}{a} ns"
