"""Bytes as GNU make reads them (issue 15): file names and makefile text that are not
UTF-8 are read, carried and printed back byte for byte, by `kbsim make` and its --json,
next to the real make on the same directory."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest

from oracle import ENV, needs_make

pytestmark = needs_make


def _make(d, *args) -> tuple[int, bytes, bytes]:
    p = subprocess.run(["make", "--no-print-directory", *args], cwd=d, capture_output=True,
                       env=ENV, timeout=60)
    return p.returncode, p.stdout, p.stderr


def _kbsim(d, *args) -> tuple[int, bytes, bytes]:
    p = subprocess.run([sys.executable, "-m", "kbsim", "make", "--no-print-directory", *args],
                       cwd=d, capture_output=True, env=ENV, timeout=120)
    return p.returncode, p.stdout, p.stderr


def _same(d, *args) -> tuple[int, bytes, bytes]:
    real = _make(d, *args)
    sim = _kbsim(d, *args)
    assert sim == real
    return real


def test_a_name_that_is_not_utf8_elsewhere_in_the_directory(tmp_path):
    (tmp_path / "Makefile").write_bytes(b"all: ; @echo done\n")
    (tmp_path / os.fsdecode(b"bad\xffname")).write_bytes(b"x")
    assert _same(tmp_path) == (0, b"done\n", b"")


def test_a_latin1_comment_and_target(tmp_path):
    (tmp_path / "Makefile").write_bytes(
        b"# caf\xe9: a comment in Latin-1\n"
        b"all: caf\xe9 ; @echo 'all [$^]'\n"
        b"caf\xe9: ; @echo 'making $@'\n")
    rc, out, _ = _same(tmp_path)
    assert rc == 0 and out == b"making caf\xe9\nall [caf\xe9]\n"


def test_wildcard_and_prerequisites_with_such_names(tmp_path):
    (tmp_path / os.fsdecode(b"a\xe9.c")).write_bytes(b"")
    (tmp_path / "b.c").write_bytes(b"")
    (tmp_path / "Makefile").write_bytes(
        b"SRC := $(wildcard *.c)\n"
        b"all: $(SRC:.c=.o) ; @echo '$^'\n"
        b"%.o: %.c ; @echo 'cc $< -> $@'\n")
    rc, out, _ = _same(tmp_path)
    assert rc == 0 and b"cc a\xe9.c -> a\xe9.o\n" in out


def test_an_error_naming_such_a_file(tmp_path):
    (tmp_path / "Makefile").write_bytes(b"all: nos\xfcch ; @:\n")
    rc, _, err = _same(tmp_path)
    assert rc == 2 and b"nos\xfcch" in err


def test_json_carries_the_bytes(tmp_path):
    (tmp_path / "Makefile").write_bytes(b"t\xe9: ; @echo '$@' > out\xe9\n")
    p = subprocess.run([sys.executable, "-m", "kbsim", "make", "--json"], cwd=tmp_path,
                       capture_output=True, env=ENV, timeout=120)
    doc = json.loads(p.stdout)  # valid JSON (surrogate escapes as \\udcXX)
    assert doc["exit_code"] == 0
    files = {f["path"].encode("utf-8", "surrogateescape"): f for f in doc["files"]}
    out = files[os.fsencode(str(tmp_path)) + b"/out\xe9"]
    assert out["change"] == "created"
    # (content that is not UTF-8 comes as base64)
    assert base64.b64decode(out["content_base64"]) == b"t\xe9\n" and "content" not in out
    assert not os.path.exists(os.fsdecode(os.fsencode(str(tmp_path)) + b"/out\xe9"))
