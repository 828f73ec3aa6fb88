"""The make engine's work grows with a makefile as GNU make's does (issue 15.4).

Timings are for bench/bench_growth.py; here the work itself is counted. One prerequisite
line of N targets with a match-anything rule: the bulk path of update_file_1 (which
takes runs of settled prerequisites at once) used to copy the rest of the list and hand
it to _settled_prefix before each of the N prerequisites: N^2 / 2 elements. Copies must
stay O(N)."""

from __future__ import annotations

import io
import contextlib

import pytest

from kbsim.cli import main
from kbsim.make.process import MakeProcess


def _offered(monkeypatch, tmp_path, n: int) -> int:
    (tmp_path / "Makefile").write_text(
        "all: " + " ".join(f"t{i}" for i in range(n)) + "\n%:\n\ttouch $@\n")
    seen = [0]
    prefix = MakeProcess._settled_prefix

    def count_prefix(self, deps, considered, parent):  # DEPS: a copy of a run
        seen[0] += len(deps)
        return prefix(self, deps, considered, parent)

    monkeypatch.setattr(MakeProcess, "_settled_prefix", count_prefix)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # (make writes bytes too)
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as e:
        main(["make", "-n", "-C", str(tmp_path)])
    out.flush()
    assert e.value.code == 0 and out.buffer.getvalue().count(b"touch t") == n
    return seen[0]


def test_a_long_prerequisite_line_is_walked_in_linear_work(monkeypatch, tmp_path):
    n = 4000
    assert _offered(monkeypatch, tmp_path, n) <= 4 * n
