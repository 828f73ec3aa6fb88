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
