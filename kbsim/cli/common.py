"""Helpers shared by the CLI commands: clocks, filesystems, JSON, warnings."""

from __future__ import annotations

import json
import sys
import time

from ..errors import InputError
from ..fs import Clock, GranularityError, parse_granularity, parse_time, real_fs


def parse_now(now: str | None) -> int:
    if now is None:
        return time.time_ns()
    try:
        return parse_time(now)
    except ValueError as e:
        raise InputError(f"--now {now!r}: {e}") from None


def check_granularity(g: str):
    try:
        return parse_granularity(g)
    except GranularityError as e:
        raise InputError(str(e)) from None


def load_real(now: str | None, granularity: str):
    """A read-only mirror of the real filesystem with a simulated clock."""
    g = check_granularity(granularity)
    return real_fs(Clock(parse_now(now)), g)


def dump_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, sort_keys=False) + "\n")


def warn(msg: str) -> None:
    print(f"kbsim: warning: {msg}", file=sys.stderr)
