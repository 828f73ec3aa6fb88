"""`kbsim make` from the command line: output, --json, exit codes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

B = 1_600_000_000


def kbsim(*args, cwd=None):
    p = subprocess.run([sys.executable, "-m", "kbsim", *args], cwd=cwd, capture_output=True,
                       text=True, timeout=120, env={**os.environ, "LC_ALL": "C"})
    return p.returncode, p.stdout, p.stderr


def tree(tmp_path, makefile: str, mtimes: dict[str, int]):
    (tmp_path / "Makefile").write_text(makefile)
    for name, t in mtimes.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.touch()
        os.utime(p, ns=((B + t) * 10**9, (B + t) * 10**9))
    return tmp_path


def listing(root):
    out = {}
    for dp, dn, fn in os.walk(root):
        for n in fn + dn:
            p = os.path.join(dp, n)
            st = os.lstat(p)
            out[p] = (st.st_mtime_ns, st.st_size)
    return out


def test_prints_recipes_and_exits_like_make(tmp_path):
    d = tree(tmp_path, 't: p ; @echo "R $@ [$?]"\nu: t ; cc -o $@ t\n', {"p": 100, "t": 50})
    before = listing(d)
    rc, out, err = kbsim("make", "u", cwd=d)
    assert rc == 0
    assert out == "R t [p]\ncc -o u t\n"
    assert "assumed that the recipe line `cc -o u t`" in err
    assert listing(d) == before  # nothing written


def test_json_lists_remade_targets_with_dollar_question(tmp_path):
    d = tree(tmp_path, "all: a b\na: x y ; @:\nb: y ; @:\n.PHONY: all\n",
             {"x": 200, "y": 300, "a": 250, "b": 400})
    rc, out, err = kbsim("make", "--json", cwd=d)
    doc = json.loads(out)
    assert rc == 0 and doc["exit_code"] == 0
    # 'all' has no recipe, so it is decided (phony) but no recipe runs for it
    assert [(r["target"], r["newer"], r["reason"]) for r in doc["remade"]] == [
        ("a", ["y"], "prereq-newer")]
    al = [x for x in doc["decisions"] if x["target"] == "all"][0]
    assert al["remade"] and al["reason"]["kind"] == "phony" and not al["has_recipe"]
    b = [x for x in doc["decisions"] if x["target"] == "b"][0]
    assert not b["remade"] and b["reason"]["kind"] == "up-to-date"
    assert b["reason"]["newest_prerequisite"] == "y"


def test_equal_mtime_is_explained(tmp_path):
    d = tree(tmp_path, "t: p ; @:\n", {"p": 100, "t": 100})
    rc, out, _ = kbsim("make", "--explain", cwd=d)
    assert rc == 0
    assert "exactly the same mtime" in out and "strictly newer" in out


def test_question_mode_exit_codes(tmp_path):
    d = tree(tmp_path, "up: p ; @echo X\nstale: p ; @echo X\nerr: nosuch ; @echo X\n",
             {"p": 100, "up": 200, "stale": 0})
    assert kbsim("make", "-q", "up", cwd=d)[0] == 0
    assert kbsim("make", "-q", "stale", cwd=d)[0] == 1
    assert kbsim("make", "-q", "err", cwd=d)[0] == 2


@pytest.mark.parametrize("args,needle", [
    (["-C", "nonexistent"], "nonexistent: No such file or directory"),
    (["-f", "missing.mk"], "missing.mk: No such file or directory"),
    (["--granularity", "3s"], "unknown granularity"),
    (["--now", "yesterday"], "--now"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, needle):
    d = tree(tmp_path, "all: ; @:\n", {})
    rc, out, err = kbsim("make", *args, cwd=d)
    assert rc == 2
    assert needle in err
    assert "Traceback" not in err


def test_unsupported_syntax_names_file_line_and_construct(tmp_path):
    d = tree(tmp_path, "X := 1\nY := $(shell ls)\nall: ; @:\n", {})
    rc, out, err = kbsim("make", cwd=d)
    assert rc == 2
    assert "Makefile:2: the command 'ls' inside $(shell ...) is outside the make subset" in err


def test_circular_dependency_is_dropped_with_makes_message(tmp_path):
    d = tree(tmp_path, "a: b ; @echo A\nb: a ; @echo B\n", {})
    rc, out, err = kbsim("make", "a", cwd=d)
    assert "Circular b <- a dependency dropped." in err
    assert out == "B\nA\n" and rc == 0


def test_version_and_module_entry_point():
    rc, out, _ = kbsim("--version")
    assert rc == 0 and out.startswith("kbsim ")
