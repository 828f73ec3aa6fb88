"""Findings beside issue 15's fuzzer (tests/test_fuzz_disagreements.py holds its list):
each against the real GNU make 4.3, and the plan tier against the reference."""

from __future__ import annotations

import os

import pytest

import test_plan_differential as pd
from oracle import Case, needs_make

CASES = {
    # read.c record_files after snap_deps, located where eval puts a rule: the recipe's
    # first line (reading_file is cmds->fileinfo; the rule's location has no offset)
    "eval-of-a-rule-on-a-later-recipe-line": ["all:", "\techo $@", "\techo 2",
                                              "\t$(eval x:)"],
    # ... while a target-specific variable may still be defined
    "eval-of-a-target-variable-in-a-recipe": ["all:", "\t$(eval x: A=1)", "\techo $@"],
    # expand.c: after '$(a$(b)' nothing of the text is expanded or kept
    "unmatched-reference-ends-the-text": ["X := 1", "all: ; @echo [$(a$(b) $(X)]"],
    "first-bracket-in-a-recipe": ["x := v", "x:=w := s", "all: ; @echo '[$(a(b))] "
                                  "[$(x:=w)] [$(a(b)$(x))] [$(x:v=a:b)]'"],
    "quoted-colon-then-rule": ["a\\:b c: d", "\techo '$@'", "d:", "\techo d"],
    # main.c .DEFAULT_GOAL: looked up whole, else parsed (one name only)
    "default-goal-of-two-names": [".DEFAULT_GOAL := a b", "a b:", "\techo $@"],
    "default-goal-quoted": [".DEFAULT_GOAL := a\\ b", "a\\ b:", "\techo '$@'"],
}


@needs_make
@pytest.mark.parametrize("name", sorted(CASES))
def test_like_make(name, tmp_path):
    c = Case(str(tmp_path))
    c.mk(*CASES[name])
    c.run("-rR", "-n")
    c.run("-rR")
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("makefile,status", [
    ("a\\ b:\n\techo '$@'\n", 0),
    (".DEFAULT_GOAL := a\\ b\na\\ b:\n\techo '$@'\n", 0),
    (".DEFAULT_GOAL := a b\na b:\n\techo $@\n", 2)])  # (as GNU make 4.3 exits)
def test_the_plan_agrees_on_the_default_goal(tmp_path, makefile, status):
    """The plan takes .DEFAULT_GOAL as one plain name: a value main.c parses goes to the
    reference (freeze.py), so both engines give the same result."""
    (tmp_path / "Makefile").write_text(makefile)
    os.utime(tmp_path / "Makefile", ns=(pd.NOW_NS - 10**9, pd.NOW_NS - 10**9))
    ref, _ = pd.run(str(tmp_path), ["-rR"], "faithful", None)
    plan, _ = pd.run(str(tmp_path), ["-rR"], "auto", None)
    assert plan == ref and ref[0] == status


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
