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


def dump_record(rec) -> None:
    """dump_json(REC.to_json()) for an API result record (kbsim.api.schema.Record), the
    same bytes written sooner: pydantic's own serializer writes the indented text (0.01 s
    for lindroth-2018's 2.7 MB, where the dict and json.dumps took 0.14 s: json's C
    encoder does not indent before Python 3.13). Its text is json.dumps's exactly when it
    is printable ASCII (json.dumps escapes the rest, ensure_ascii, and DEL; both escape
    control characters alike), so any other text is written json.dumps's way."""
    from ..api.schema import Record
    text = None
    if type(rec).to_json is Record.to_json:  # (a record that says its JSON otherwise: its own)
        try:
            text = rec.model_dump_json(indent=2, by_alias=True)
        except ValueError:  # (e.g. a lone surrogate, which json.dumps escapes)
            text = None
    _write_json(text, rec.to_json)


def dump_fields(doc: dict, large: bool) -> None:
    """dump_record(R) for the record R whose fields DOC holds, in their order, as the JSON
    types they are written as (str, int, bool, None, list or tuple, dict): the same bytes,
    without pydantic's models, which the CLI's quick path does not import (cli/quick.py;
    tests/test_cli_quick.py compares the two). LARGE: DOC is large, and written by the
    serializer model_dump_json runs (pydantic_core's: importing it costs ~0.035 s, what
    json.dumps takes for ~4,000 replay records); else by json.dumps."""
    text = None
    if large:
        from pydantic_core import to_json
        try:
            text = to_json(doc, indent=2).decode()
        except ValueError:
            text = None
    _write_json(text, lambda: doc)


def _write_json(text: str | None, doc) -> None:
    """TEXT (a serializer's indented JSON, or None) when it is json.dumps's text of DOC()
    (see dump_record), else json.dumps's text."""
    if text is not None and not (text.isascii() and "\x7f" not in text):
        text = None
    if text is None:
        text = json.dumps(doc(), indent=2, sort_keys=False)
    sys.stdout.write(text + "\n")


def warn(msg: str) -> None:
    print(f"kbsim: warning: {msg}", file=sys.stderr)
