"""`kbsim make`: what GNU make 4.3 would do in a directory, without running anything.

make's own arguments are parsed as make parses them (kbsim/make/options.py), so any
command line a user types for make works here; the few options of kbsim's own are taken
out first. Output goes out in the order make would write it (make flushes its stdout
before each message to stderr, so both streams can share one file), byte for byte: names
and text that are not UTF-8 travel as surrogate escapes and are written back as the bytes
they were (GNU make works on bytes).
"""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from ..errors import InputError
from ..fs import GRANULARITY_HELP
from .common import dump_json, warn
from .root import app

# kbsim's own options: name -> takes a value
_KBSIM_OPTIONS = {"--granularity": True, "-g": True, "--now": True, "--recipe-ms": True,
                  "--explain": False, "--why": False, "--json": False, "--env": False,
                  "--no-env": False}

_HELP = f"""Simulate `make` in a real directory. The directory is only read, never written.

Prints what GNU make 4.3 would print (the recipe lines in order, its messages) and exits
with make's exit code. Recipes are simulated as effects on an in-memory copy of the tree
(touch, echo, printf, cat, cp, mv, rm, mkdir, ln, shell loops, sub-makes); a command
kbsim does not model (a compiler, perl) is assumed to write its target, and a warning
says so.

\b
make's options, read as GNU make 4.3 reads them (see `make --help`):
  -B -C DIR -e -E STRING -f FILE -i -I DIR -j [N] -k -l [N] -L -n -o FILE -O[TYPE]
  -q -r -R -s -S -t -v -w -W FILE --trace --debug=why --no-print-directory
  --no-silent --warn-undefined-variables, the long forms, TARGET and VAR=VALUE.

\b
kbsim's options:
  --json            one JSON object on stdout: exit_code, output (the stdout and
                    stderr chunks in order), stdout, stderr, remade (with $? and
                    structured reasons), decisions, warnings, and files: what the
                    simulated run created, changed and removed (path, type, mtime_ns,
                    content as text, or content_base64 when not UTF-8; assumed: a
                    guess), for a caller to apply. Bytes that are not UTF-8 appear
                    in text as the escapes \\udc80-\\udcff (surrogateescape).
  --explain         after make's output, why each target was or was not remade
  --why             print GNU make 4.4's 'update target due to' lines
  -g, --granularity G
                    timestamp granularity of new stamps: {GRANULARITY_HELP}
  --now @SECONDS    start the simulated clock here (default: the current time)
  --recipe-ms MS    simulated duration of each recipe line (default 1)
  --no-env          do not import the environment as make variables
"""


def split_kbsim_options(argv: list[str]) -> tuple[dict, list[str]]:
    """kbsim's options (before a '--') and make's arguments, in their order."""
    mine: dict = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            rest.extend(argv[i - 1:])
            break
        name, eq, val = a.partition("=")
        if name in _KBSIM_OPTIONS:
            if _KBSIM_OPTIONS[name]:
                if not eq:
                    if i >= len(argv):
                        raise InputError(f"option {name} requires an argument")
                    val = argv[i]
                    i += 1
                mine[name.lstrip("-")] = val
            elif eq:
                raise InputError(f"option {name} takes no argument")
            else:
                mine[name.lstrip("-")] = True
            continue
        rest.append(a)
    if "g" in mine:
        mine["granularity"] = mine.pop("g")
    return mine, rest


class OrderedOutput:
    """The simulation's output as make writes it: each chunk's bytes on its stream, the
    other stream flushed first (main.c and output.c fflush stdout before a message to
    stderr, so the two keep their order in one file)."""

    def __init__(self) -> None:
        self.last = None
        self.write_error = False  # stdout failed (a full disk, /dev/full)

    def __call__(self, stream: str, text: str) -> None:
        f = sys.stdout if stream == "out" else sys.stderr
        if self.last is not f and self.last is not None:
            self._flush(self.last)
        self.last = f
        if f is sys.stdout and self.write_error:
            return
        try:
            f.buffer.write(text.encode("utf-8", "surrogateescape"))
        except OSError:
            self._failed(f)

    def _flush(self, f) -> None:
        try:
            f.flush()
        except OSError:
            self._failed(f)

    def _failed(self, f) -> None:
        if f is not sys.stdout:
            raise
        # what could not be written is dropped (stdout now goes nowhere, so Python's
        # own flush at exit succeeds); close() reports it as make does
        self.write_error = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)

    def close(self, status: int) -> int:
        """Flush both streams; output.c close_stdout: a failed stdout is an error
        ("write error: stdout") and make's status becomes 1 (MAKE_TROUBLE)."""
        self._flush(sys.stdout)
        sys.stderr.flush()
        if self.write_error:
            sys.stderr.write("make: write error: stdout\n")
            sys.stderr.flush()
            return 1
        return status


@app.command("make", help=_HELP, context_settings={
    "ignore_unknown_options": True, "allow_extra_args": True,
    "allow_interspersed_args": False})
def make_cmd(
    args: Optional[list[str]] = typer.Argument(
        None, metavar="TARGET|VAR=VALUE",
        help="make's options, goals and command-line variables, and kbsim's options."),
) -> None:
    # (the engine is imported here: `kbsim --help` does not load it)
    from ..api.makeruns import make
    mine, make_args = split_kbsim_options(list(args or []))
    json_out = "json" in mine
    explain = "explain" in mine
    sink = None if json_out else OrderedOutput()
    res = make(os.getcwd(), options=make_args, granularity=mine.get("granularity", "ns"),
               now=mine.get("now"), recipe_ms=mine.get("recipe-ms", 1.0),
               env=None if "no-env" not in mine else {}, record=json_out or explain,
               echo=sink, why="why" in mine)
    if json_out:
        dump_json(res.to_json())
    else:
        # (a failed stdout makes the status 1, as output.c close_stdout does)
        status = sink.close(res.exit_code)
        if explain:
            sys.stdout.write("-- kbsim: why --\n")
            for line in res.explain_lines():
                sys.stdout.write(line + "\n")
        for w in res.warnings:
            warn(w)
    raise typer.Exit(res.exit_code if json_out else status)
