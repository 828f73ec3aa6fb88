"""A model file or a capture is data: nothing in it may make kbsim import or run code.

The hostile model names ``python:os:system`` as its normalisation and exports a symbol whose
name is a shell command creating a file. Before the fix, ``kbsim replay`` ran that command
once per symbol (docs/security.md). Each test checks the file does not appear.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kbsim.errors import InputError
from kbsim.kbuild.spec import BuildSpec
from kbsim.tree.model import load_model

HERE = os.path.dirname(os.path.abspath(__file__))


def kbsim(*args: str, cwd: str) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([HERE, e.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "kbsim", *args], capture_output=True,
                          text=True, env=e, cwd=cwd, timeout=600)


def hostile(tmp_path, normalise: str) -> tuple[str, str]:
    """A model whose normaliser would create MARKER; returns (model path, marker path)."""
    marker = tmp_path / "PWNED"
    model = tmp_path / "evil.toml"
    model.write_text(f'''name = "evil"
[build]
era = "e1"
granularity = "1s"
normalise = "{normalise}"
[[directories]]
path = "lib"
objects = [{{name = "a.o", exports = ["touch {marker}"]}}]
''', encoding="utf-8")
    return str(model), str(marker)


@pytest.mark.parametrize("argv", [
    ["replay"],
    ["replay", "--json"],
    ["explain", "lib/a.o"],
    ["trace"],
    ["graph", "--format", "json"],
    ["whatif", "--vary", "granularity=ns,1s", "--trials", "1"],
    ["whatif", "--vary", "guard=on,off", "--trials", "1", "--workers", "2"],
])
def test_hostile_model_runs_nothing(tmp_path, argv):
    model, marker = hostile(tmp_path, "python:os:system")
    cmd = [argv[0], model, *argv[1:]]
    r = kbsim(*cmd, cwd=str(tmp_path))
    assert not os.path.exists(marker), f"{cmd} ran the model's code"
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "names Python code" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_hostile_model_refused_on_load(tmp_path):
    model, marker = hostile(tmp_path, "python:os:system")
    with pytest.raises(InputError, match="names Python code"):
        load_model(model)
    assert not os.path.exists(marker)


def test_spec_refuses_code_whatever_built_it():
    # the internal spec is what a model or capture says; it never names code, so a path
    # that skips the model validator (a capture, a future format) is closed too
    with pytest.raises(InputError, match="names Python code"):
        BuildSpec(name="x", era="e1", dirs=[], headers={}, naming="python:os:system")


def test_sed_normalisation_in_a_model_is_allowed(tmp_path):
    model, _ = hostile(tmp_path, "s|//*|/|g")
    r = kbsim("replay", model, "--json", cwd=str(tmp_path))
    assert r.returncode in (0, 1), r.stderr
    assert json.loads(r.stdout)["naming"].startswith("s|")


def collapse_norm(sym: str) -> str:  # used as python:test_security:collapse_norm
    return "include/config/ksym/" + sym.lower().replace("_", "/").strip("/") + ".h"


def test_command_line_may_ask_for_code(tmp_path):
    """The user's own function, asked for on the command line, still runs."""
    model, _ = hostile(tmp_path, "e1-tr")
    r = kbsim("replay", model, "--normalise", "python:test_security:collapse_norm", "--json",
              cwd=str(tmp_path))
    assert r.returncode in (0, 1), r.stderr
    assert json.loads(r.stdout)["naming"] == "python:test_security:collapse_norm"
