"""Pattern rules with several targets (``%.x %.y: %.c``), against the real GNU make 4.3.

implicit.c pattern_search gives the file it searched for the rule's recipe and stem, and
enters the rule's other targets as its ``also_make`` siblings marked only ``is_target``
(and precious if their pattern is): a sibling that make reaches on its own searches the
pattern rules itself, so ``$*`` and its own siblings are its own. When the recipe has
run, notice_finished_file gives every sibling the recipe's status. Until 2026-11 kbsim
gave the siblings the recipe and no stem (an empty ``$*``), and a sibling never learnt
that the recipe failed.
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make


PAT2 = "%.x %.y: %.c ; @echo PAT $* $@ [$?]; touch $*.x $*.y"
PAT3 = "%.a %.b %.c: %.in ; @echo PAT3 $* $@; touch $*.a $*.b $*.c"
FAIL2 = "%.x %.y: %.c ; @echo PAT $* $@; exit 1"

CASES = {
    # the recipe runs once, for the first one reached; the other is then up to date
    "both-goals": (["all: foo.y foo.x", PAT2], ["foo.c"], {}),
    "reverse": (["all: foo.x foo.y", PAT2], ["foo.c"], {}),
    # a sibling reached through another target, with a stem of its own
    "sibling-first": (["all: user foo.x", "user: foo.y ; @echo USER $^", PAT2], ["foo.c"],
                      {}),
    # one sibling exists and is newer than the source: only the other is missing
    "one-missing": (["all: foo.y foo.x", PAT2], ["foo.c", "foo.y"], {"foo.y": 100}),
    "in-subdir": (["all: d/foo.y d/foo.x", "%.x %.y: %.c ; @echo PAT $* $@"], ["d/foo.c"],
                  {}),
    "three": (["all: foo.c foo.a foo.b", PAT3], ["foo.in"], {}),
    # the recipe fails: the sibling gets the failure (with -k the rest goes on)
    "fail": (["all: foo.y t foo.x", "t: foo.x ; @echo T", FAIL2], ["foo.c"], {}),
    "fail-k": (["all: foo.y t foo.x u", "t: foo.x ; @echo T", "u: foo.y ; @echo U", FAIL2],
               ["foo.c"], {}),
    "precious": ([".PRECIOUS: %.y", "all: foo.x foo.y", PAT2], ["foo.c"], {}),
}


@needs_make
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("args", [[], ["-k"], ["-j3"], ["-n"]], ids=["", "k", "j3", "n"])
def test_pattern_rule_with_several_targets(name, args, tmp_path):
    lines, files, times = CASES[name]
    c = Case(str(tmp_path))
    c.mk(*lines)
    for f in files:
        c.T(times.get(f, 0), f)
    c.run("-r", *args)
    c.run("-r", *args)  # and again, on what the first run left
    bad = c.mismatches(any_order="-j3" in args)
    assert not bad, "\n".join(bad)
