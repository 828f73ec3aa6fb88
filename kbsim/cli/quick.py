"""`kbsim replay` run without typer, for the plain command lines scripts run.

Building the typer command and parsing a command line with it cost ~0.05 s, and typer
0.2x converts each option's value through pydantic, whose import and the result models'
cost ~0.1 s more: a third of what a warm replay of linux-6.1-tinyconfig spent around its
simulation (2026-12-07). So a command line of the plain form is parsed here: MODEL once,
each option at most once, as ``--name VALUE``, ``--name=VALUE``, ``-x VALUE`` or a flag,
every value one that typer takes as it is (a whole number written plainly, a text that
does not start with '-'). Any other (--help, an unknown or repeated option, a value
typer would convert or refuse, a shell completion request) is typer's, which says its
help and its errors as always. The replay runs as replay_cmd runs it (api/replayrun.py),
its ``--json`` written as dump_record writes the ReplayResult (common.dump_fields), and
what typer does with an interrupt, an end of input or a closed pipe is done here alike.
tests/test_cli_quick.py checks OPTIONS against replay_cmd's and the output against
typer's.
"""

from __future__ import annotations

import errno
import os
import sys

# replay_cmd's options: name -> (parameter, what it takes: "text", "path", "count" (a whole
# number of at least 1), "number" (a whole number), or the value a flag gives)
OPTIONS: dict[str, tuple[str, object]] = {
    "--era": ("era", "text"),
    "--granularity": ("granularity", "text"), "-g": ("granularity", "text"),
    "--jobs": ("jobs", "count"), "-j": ("jobs", "count"),
    "--seed": ("seed", "number"), "-s": ("seed", "number"),
    "--guard": ("guard", True), "--no-guard": ("guard", False),
    "--normalise": ("normalise", "text"),
    "--full": ("full", True),
    "--json": ("json_out", True),
    "--engine": ("engine", "text"),
    "--cache-dir": ("cache_dir", "path"),
    "--no-cache": ("no_cache", True),
}
DEFAULTS = {"era": None, "granularity": None, "jobs": None, "seed": None, "guard": None,
            "normalise": None, "full": False, "json_out": False, "engine": None,
            "cache_dir": None, "no_cache": False}


def replay_args(args: list[str]) -> dict | None:
    """replay_cmd's parameters from ARGS (the words after ``replay``), as typer gives them;
    None when the command line is not of the plain form (see the module docstring)."""
    if "_KBSIM_COMPLETE" in os.environ:  # (click's shell completion of `kbsim`)
        return None
    got: dict = {}
    model = None
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if not _plain(word):
            return None
        if not word.startswith("-"):
            if model is not None:
                return None
            model = word
            continue
        name, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        opt = OPTIONS.get(name)
        if opt is None or opt[0] in got:
            return None
        param, takes = opt
        if not isinstance(takes, str):  # a flag
            if eq:
                return None
            got[param] = takes
            continue
        if not eq:
            if i == len(args):
                return None
            value = args[i]
            i += 1
        if not _plain(value) or value.startswith("-"):
            return None
        if takes == "path":
            from pathlib import Path
            got[param] = Path(value)
        elif takes in ("count", "number"):
            if not (value.isascii() and value.isdigit() and len(value) <= 18
                    and (value == "0" or value[0] != "0")):
                return None
            n = int(value)
            if takes == "count" and n < 1:
                return None
            got[param] = n
        else:
            got[param] = value
    if model is None:
        return None
    return {"model": model, **DEFAULTS, **got}


def _plain(word: str) -> bool:
    """A word typer takes as it is: not empty, and text (no undecodable bytes)."""
    if not word:
        return False
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def run_replay(p: dict) -> None:
    """replay_cmd(**P) as typer runs it (its _main: exit codes, interrupts, a closed
    pipe)."""
    try:
        code = _replay(**p)
    except EOFError:
        print(file=sys.stderr)
        print("Aborted!", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as e:  # (a closed pipe: cli.run's flush then says nothing of it)
        if e.errno != errno.EPIPE:
            raise
        sys.exit(1)
    sys.exit(code)


def _replay(model, era, granularity, jobs, seed, guard, normalise, full, json_out, engine,
            cache_dir, no_cache) -> int:
    from ..api.replayrun import run_raw
    raw, _, _ = run_raw(model, era=era, granularity=granularity, jobs=jobs, seed=seed,
                        guard=guard, normalise=normalise, engine=engine,
                        cache_dir=cache_dir, no_cache=no_cache)
    if json_out:
        from ..report.replay_report import replay_json
        from .common import dump_fields
        doc = replay_json(raw)
        dump_fields(doc, large=len(doc["rebuild"]) >= 1000)  # (each also a compile or step)
    else:
        from ..report.replay_report import replay_text
        sys.stdout.write(replay_text(raw, full=full))
    return raw.exit_code

