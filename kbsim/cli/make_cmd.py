"""`kbsim make`: what GNU make 4.3 would do in a directory, without running anything.

make's own arguments are parsed as make parses them (kbsim/make/options.py), so any
command line a user types for make works here; the few options of kbsim's own are taken
out first. Output goes out in the order make would write it (make flushes its stdout
before each message to stderr, so both streams can share one file), byte for byte: names
and text that are not UTF-8 travel as surrogate escapes and are written back as the bytes
they were (GNU make works on bytes).
"""

from __future__ import annotations

import base64
import os
import sys
from typing import Optional

import typer

from ..errors import InputError
from ..fs import GRANULARITY_HELP
from .common import dump_json, load_real, warn
from .typer_app import app

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

    def __call__(self, stream: str, text: str) -> None:
        f = sys.stdout if stream == "out" else sys.stderr
        if self.last is not f and self.last is not None:
            self.last.flush()
        self.last = f
        f.buffer.write(text.encode("utf-8", "surrogateescape"))

    def close(self) -> None:
        for f in (sys.stdout, sys.stderr):
            f.flush()


def file_changes(fs) -> list[dict]:
    """SimFS.changes() for JSON: content as UTF-8 text, or base64 when it is not."""
    out = []
    for c in fs.changes():
        e = {k: v for k, v in c.items() if k != "data"}
        if "data" in c:
            data = c["data"]
            if data is None:
                # a recipe kbsim does not model was assumed to write it (a warning
                # says so): the content is not known, and the change itself a guess
                e["content"] = None
                e["assumed"] = True
            else:
                try:
                    e["content"] = data.decode("utf-8")
                except UnicodeDecodeError:
                    e["content_base64"] = base64.b64encode(data).decode("ascii")
        out.append(e)
    return out


@app.command("make", help=_HELP, context_settings={
    "ignore_unknown_options": True, "allow_extra_args": True,
    "allow_interspersed_args": False})
def make_cmd(
    args: Optional[list[str]] = typer.Argument(
        None, metavar="TARGET|VAR=VALUE",
        help="make's options, goals and command-line variables, and kbsim's options."),
) -> None:
    # (the engine is imported here: `kbsim --help` does not load it)
    from ..make import MakeError, Simulation
    from ..make.options import USAGE_TEXT, UsageError, parse_make_args
    from ..make.reasons import to_model
    from ..make.sim import real_environment
    from ..report.make_explain import explain as explain_decision
    mine, make_args = split_kbsim_options(list(args or []))
    json_out = "json" in mine
    explain = "explain" in mine
    try:
        opts = parse_make_args(make_args)
    except UsageError as e:
        # main.c decode_switches: getopt's complaint, then print_usage (on stdout for
        # -h, status 0; on stderr after a bad option, status 2)
        if e.status == 0:
            sys.stdout.write(USAGE_TEXT)
            raise typer.Exit(0)
        sys.stderr.write(f"make: {e.message}\n{USAGE_TEXT}")
        raise typer.Exit(2)
    except MakeError as e:
        sys.stderr.write(e.make_text() + "\n")
        raise typer.Exit(2)
    try:
        recipe_ms = float(mine.get("recipe-ms", 1.0))
        if recipe_ms < 0:
            raise ValueError
    except ValueError:
        raise InputError(f"--recipe-ms {mine['recipe-ms']!r}: not a duration in ms") from None
    opts.recipe_ns = int(recipe_ms * 1_000_000)
    opts.debug_why = opts.debug_why or "why" in mine
    fs = load_real(mine.get("now"), mine.get("granularity", "ns"))
    cwd = os.getcwd()
    sink = None if json_out else OrderedOutput()
    sim = Simulation(fs, echo=sink, record=json_out or explain)
    env = real_environment() if "no-env" not in mine else {}
    try:
        status = sim.run(opts, cwd, env)
    except MakeError as e:
        status = 2
        sim.write("err", e.make_text() + "\n")
    decisions = ([to_model(d) for p in sim.processes for d in p.decisions]
                 if json_out or explain else [])
    warnings = list(sim.warnings) + list(fs.real_warnings)
    if json_out:
        dump_json({
            "exit_code": status,
            "remade": [{"target": d.target, "newer": d.newer, "reason": d.reason.kind,
                        "explanation": explain_decision(d), "process": d.process}
                       for d in decisions if d.remade and d.has_recipe],
            "decisions": [d.model_dump() for d in decisions],
            "warnings": warnings,
            "output": [["stdout" if s == "out" else "stderr", t] for s, t in sim.output],
            "stdout": sim.stdout(),
            "stderr": sim.stderr(),
            "files": file_changes(fs),
        })
    else:
        sink.close()
        if explain:
            sys.stdout.write("-- kbsim: why --\n")
            for d in decisions:
                mark = "remade" if d.remade else "kept  "
                sys.stdout.write(f"{mark} {explain_decision(d)}\n")
        for w in warnings:
            warn(w)
    raise typer.Exit(status)
