"""`kbsim replay` without typer (cli/quick.py): the command lines it takes, it reads as
typer reads them, and it writes what the typer command writes; any other is typer's."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from kbsim.cli import main
from kbsim.cli.quick import DEFAULTS, OPTIONS, replay_args

HERE = Path(__file__).resolve().parent
TINY = str(HERE / "data" / "tiny-2018.toml")


def _typer_replay():
    from kbsim.cli.typer_app import command
    return command("replay").commands["replay"]


def test_the_options_are_replay_cmds():
    """OPTIONS and DEFAULTS: every option of the typer command, with what it takes."""
    cmd = _typer_replay()
    seen: dict = {}
    kinds = {str: "text", Path: "path", int: "number"}
    for p in cmd.params:
        assert p.nargs == 1 and not p.multiple and p.envvar is None, p.name
        if p.param_type_name == "argument":
            assert p.name == "model" and p.required
            continue
        if p.name == "help":
            continue
        assert DEFAULTS[p.name] == p.default, p.name
        if p.is_flag:
            seen.update({o: (p.name, True) for o in p.opts})
            seen.update({o: (p.name, False) for o in p.secondary_opts})
            continue
        kind = kinds[p.type_descriptor.annotation]
        if kind == "number" and p.min == 1 and p.max is None:
            kind = "count"
        else:
            assert getattr(p, "min", None) is None and getattr(p, "max", None) is None
        seen.update({o: (p.name, kind) for o in p.opts})
    assert seen == OPTIONS
    assert set(DEFAULTS) == {p.name for p in cmd.params} - {"model", "help"}


class _Called(Exception):
    pass


def _typer_parse(monkeypatch, args: list[str]) -> dict:
    """What the typer command passes to run_replay for ARGS."""
    import kbsim.api.replays as replays

    def fake(model, **kw):
        raise _Called({"model": model, **kw})
    monkeypatch.setattr(replays, "run_replay", fake)
    with pytest.raises(_Called) as e:
        _typer_replay().main(args=args, prog_name="kbsim replay", standalone_mode=False)
    return e.value.args[0]


PLAIN = [
    ["M", "--json"],
    ["--json", "M", "-g", "1s", "--seed=3", "-j", "4", "--no-guard", "--engine", "plan",
     "--cache-dir", "/tmp/x/", "--no-cache", "--era", "e6", "--normalise", "e5-raw",
     "--full"],
    ["--guard", "M", "--seed", "0", "--jobs=12", "--granularity=jiffy:250"],
    ["M", "--cache-dir=rel/dir", "--era=e1-guard"],
]


@pytest.mark.parametrize("args", PLAIN)
def test_a_plain_command_line_reads_as_typer_reads_it(monkeypatch, args):
    quick = replay_args(args)
    assert quick is not None
    typer_says = _typer_parse(monkeypatch, args)
    assert {k: v for k, v in quick.items() if k not in ("full", "json_out")} == typer_says
    assert quick["json_out"] == ("--json" in args) and quick["full"] == ("--full" in args)


@pytest.mark.parametrize("args", [
    [], ["--json"], ["M", "N"], ["M", "--help"], ["--", "M"], ["M", "-"],
    ["M", "--json", "--json"], ["M", "--guard", "--no-guard"], ["M", "--json=yes"],
    ["M", "--era"], ["M", "--era", ""], ["M", "--era", "-e6"], [""],
    ["M", "--seed", "-1"], ["M", "--seed", "007"], ["M", "--seed", "+3"],
    ["M", "--seed", "1_000"], ["M", "--seed", "\u0663"], ["M", "-j", "0"],
    ["M", "-j4"], ["M", "-j=4"], ["M", "--jobs", "x"], ["M", "--cache-dir", ""],
    ["M", "--no-such-option"], ["M", "--jso"], ["M\udcff"],
])
def test_any_other_command_line_is_typers(args):
    assert replay_args(args) is None


def test_shell_completion_is_typers(monkeypatch):
    monkeypatch.setenv("_KBSIM_COMPLETE", "bash_complete")
    assert replay_args(["M", "--json"]) is None


def _run(args: list[str]) -> tuple[str, str, object]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        with pytest.raises(SystemExit) as e:
            main(args)
    return out.getvalue(), err.getvalue(), e.value.code


@pytest.mark.parametrize("args", [
    [TINY, "--json", "--seed", "0", "--no-cache"],
    [TINY, "--seed", "1", "--no-cache", "--full", "-g", "1s"],
    [TINY, "--json", "--no-cache", "--era", "e1", "--guard", "-j", "1"],
    ["alias-stale", "--json", "--no-cache"],
    ["alias-stale", "--no-cache"],
    ["no-such-model", "--json", "--no-cache"],
    [TINY, "--json", "--no-cache", "--granularity", "3x"],
    [TINY, "--json", "--no-cache", "--engine", "nope"],
])
def test_it_writes_what_the_typer_command_writes(monkeypatch, args):
    """Output, warnings and errors, and the exit code, byte for byte."""
    import kbsim.cli.quick as quick
    assert replay_args(args) is not None
    said = _run(["replay", *args])
    monkeypatch.setattr(quick, "replay_args", lambda args: None)  # (typer's, then)
    assert said == _run(["replay", *args])


def test_a_large_record_is_written_as_a_small_one_is(capsys):
    """dump_fields' two writers (pydantic_core's for a large document, json.dumps's for a
    small one) and dump_record write the same bytes, whatever the strings hold."""
    import kbsim
    from kbsim.cli.common import dump_fields, dump_record
    from kbsim.report.replay_report import replay_json
    res = kbsim.replay(TINY, seed=0, no_cache=True)
    doc = replay_json(res._raw)
    odd = ["caf\u00e9.o", "del\x7f.o", "lone\ud800surrogate",
           "".join(map(chr, range(32))) + "\"\\/"]
    doc["warnings"] = doc["warnings"] + odd
    outs = []
    for large in (True, False):
        for d in (doc, {**doc, "warnings": doc["warnings"][:-len(odd)]}):
            dump_fields(d, large)
            outs.append(capsys.readouterr().out)
    assert outs[0] == outs[2] and outs[1] == outs[3] and outs[0] != outs[1]
    dump_record(res)
    assert capsys.readouterr().out == outs[1]
