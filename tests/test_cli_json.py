"""`--json` text: the CLI writes an API record (kbsim.api.schema.Record) through
pydantic's serializer (cli/common.py dump_record), which must give json.dumps's bytes
exactly, whatever the strings hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kbsim.api.replays import Rebuild, Stale
from kbsim.api.schema import Record
from kbsim.cli.common import dump_record

HERE = Path(__file__).resolve().parent
TINY = str(HERE / "data" / "tiny-2018.toml")
ROOT = HERE.parent


def _json_dumps_text(rec) -> str:
    return json.dumps(rec.to_json(), indent=2, sort_keys=False) + "\n"


@pytest.mark.parametrize("text", [
    "arch/x86/kernel/cpu.o",  # plain printable ASCII
    "caf\u00e9.o", "\u2028", "\U0001f600",  # non-ASCII: json.dumps escapes it
    "del\x7f.o",  # DEL: json.dumps escapes it, pydantic does not
    "".join(map(chr, range(32))) + "\"\\/",  # control characters, quote, backslash
    "lone\ud800surrogate",  # pydantic refuses it; json.dumps escapes it
])
def test_dump_record_writes_json_dumps_bytes(capsys, text):
    recs = [Rebuild(target=text, stage="compile", pass_no=2, reasons=[text, ""], writes=[],
                    content=None),
            Stale(target="x.o", missing=[text], extra=[], compiled_pass=None,
                  mtime_ns=10**20)]
    for rec in recs:
        dump_record(rec)
        assert capsys.readouterr().out == _json_dumps_text(rec)


def test_a_record_with_json_of_its_own_is_written_as_it_says(capsys):
    class Own(Record):
        name: str

        def to_json(self) -> dict:
            return {"own": self.name.upper()}

    dump_record(Own(name="a"))
    assert capsys.readouterr().out == '{\n  "own": "A"\n}\n'


def test_replay_json_is_json_dumps_text():
    import kbsim
    res = kbsim.replay(TINY, seed=0, no_cache=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-m", "kbsim", "replay", TINY, "--seed", "0",
                        "--json", "--no-cache"], capture_output=True, text=True,
                       timeout=600, env=env)
    assert p.returncode == res.exit_code == 1
    assert p.stdout == _json_dumps_text(res)


# ---------------------------------------------------------------- one command's module
_HELP_ALONE_AND_WHOLE = r'''
import contextlib, io, sys
from kbsim.cli.typer_app import command
name = sys.argv[1]

def run(group, args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            group.main(args=args, prog_name="kbsim", standalone_mode=True)
        except SystemExit as e:
            code = e.code
    return out.getvalue(), code

asks = ([name, "--help"], [name, "--no-such-option"])
alone = [run(command(name), a) for a in asks]
mods = sorted(m for m in sys.modules if m.startswith("kbsim.cli.") and m.endswith("_cmd"))
whole = [run(command(), a) for a in asks]
print(repr((alone == whole, mods, alone[0][1], alone[1][1], list(command().commands))))
'''


def test_commands_are_the_ones_their_modules_register():
    """typer_app.COMMANDS (which module a command line's first word imports) is what the
    command modules register, in the order of the whole application's help."""
    from kbsim.cli.root import app
    from kbsim.cli.typer_app import COMMANDS, command
    group = command()
    assert {i.name: i.callback.__module__ for i in app.registered_commands} == \
        {n: f"kbsim.cli.{m}" for n, m in COMMANDS.items()}
    assert list(group.commands) == list(COMMANDS)


@pytest.mark.parametrize("name", ["replay", "whatif", "graph", "diagnose"])
def test_a_command_built_alone_says_what_the_whole_app_says(name):
    """`kbsim NAME ...` imports NAME's module only, and its help and its errors are the
    whole application's; the whole application built after it lists the commands in
    their own order."""
    import ast

    from kbsim.cli.typer_app import COMMANDS
    env = dict(os.environ, COLUMNS="100",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-c", _HELP_ALONE_AND_WHOLE, name],
                       capture_output=True, text=True, timeout=600, env=env)
    same, mods, help_code, bad_code, names = ast.literal_eval(
        p.stdout.strip().splitlines()[-1])
    assert same and help_code == 0 and bad_code == 2
    assert mods == [f"kbsim.cli.{COMMANDS[name]}"]
    assert names == list(COMMANDS)


def test_a_replay_command_runs_with_the_collector_paused(monkeypatch):
    """`kbsim replay` (one replay) runs with the cyclic collector paused from the start
    (cli.ONE_REPLAY), and leaves it as it found it; another command does not pause it."""
    import gc

    import kbsim.api.replayrun as replayrun
    from kbsim.cli import main
    seen = []

    def fake(*a, **k):
        seen.append(gc.isenabled())
        raise KeyboardInterrupt  # (no replay: the state seen is what counts)
    monkeypatch.setattr(replayrun, "run_raw", fake)
    assert gc.isenabled()
    with pytest.raises(SystemExit):
        main(["replay", "lindroth-2018", "--json"])
    assert seen == [False] and gc.isenabled()
    with pytest.raises(SystemExit):
        main(["schema", "--help"])
    assert gc.isenabled()


def test_a_replay_command_collects_first_what_earlier_replays_left(monkeypatch):
    """A process that runs replay after replay through main() (the tests, an embedder):
    the garbage the earlier ones left is collected first once it is owed
    (make/gcpause.py), although the command then runs with the collector paused."""
    import gc

    import kbsim.api.replayrun as replayrun
    from kbsim.cli import main
    from kbsim.make import gcpause

    def fake(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(replayrun, "run_raw", fake)
    collected = []
    real = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: collected.append(a) or real(*a))
    monkeypatch.setattr(gcpause, "_pending", gcpause.PENDING_LIMIT + 1)
    with pytest.raises(SystemExit):
        main(["replay", "lindroth-2018", "--json"])
    assert collected and gcpause._pending < gcpause.PENDING_LIMIT
    collected.clear()
    with pytest.raises(SystemExit):
        main(["replay", "lindroth-2018", "--json"])
    assert collected == []  # (none owed now)


def test_replay_records_hold_no_floats():
    """dump_record's bytes are json.dumps's for strings and ints, not for every float:
    pydantic writes 1e-7 where json.dumps writes 1e-07. No replay record has a float
    field today; one added later must make dump_record compare it too (or write such a
    record json.dumps's way)."""
    from kbsim.api.replays import ReplayResult

    def numbers(schema):
        if isinstance(schema, dict):
            if schema.get("type") == "number":
                yield schema
            for v in schema.values():
                yield from numbers(v)
        elif isinstance(schema, list):
            for v in schema:
                yield from numbers(v)
    assert list(numbers(ReplayResult.model_json_schema())) == []
    json_text = json.dumps({"x": 1e-7})
    assert '"x": 1e-07' in json_text  # (the difference the test guards against)
