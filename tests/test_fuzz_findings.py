"""Findings beside issue 15's fuzzer (tests/test_fuzz_disagreements.py holds its list):
each against the real GNU make 4.3, and the plan tier against the reference."""

from __future__ import annotations

import os

import test_plan_differential as pd
from oracle import Case, needs_make


@needs_make
def test_wildcard_quotes_with_a_backslash(tmp_path):
    """make calls glob(3) without GLOB_NOESCAPE: '\\#' is '#' in a pattern and in a name
    with nothing to match (kbsim matched the backslash literally)."""
    c = Case(str(tmp_path))
    c.T(-10, "a#.c", "c\\#.c", "c#.c", "d\\x", "e*", "ef", "sub/b#.c", "sub/.h#")
    c.mk("X := $(wildcard *\\#.c)",
         "all: $(wildcard [c]\\#.c) *\\#.c",
         "\t@echo '[$(X)] [$^] [$(wildcard c\\#.c)] [$(wildcard d\\x)] [$(wildcard d\\\\x)]'",
         "\t@echo '[$(wildcard e\\*)] [$(wildcard e*)] [$(wildcard sub/*\\#.c)]'",
         "\t@echo '[$(wildcard sub\\/*#.c)] [$(wildcard sub/\\.*\\#)] [$(wildcard ./sub/b\\#.c)]'")
    c.run("-rR")
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


def test_the_plan_globs_a_quoted_pattern_as_the_reference(tmp_path):
    (tmp_path / "Makefile").write_text("all:\n\techo $(wildcard *\\#.c c\\#.c)\n")
    for name in ("Makefile", "a#.c", "c#.c"):
        (tmp_path / name).touch()
        os.utime(tmp_path / name, ns=(pd.NOW_NS - 10**9, pd.NOW_NS - 10**9))
    ref, _ = pd.run(str(tmp_path), ["-rR"], "faithful", None)
    plan, eng = pd.run(str(tmp_path), ["-rR"], "auto", None)
    assert eng.counts["plan"] == 1 and plan == ref and ref[1].endswith("a#.c c#.c c#.c\n")
