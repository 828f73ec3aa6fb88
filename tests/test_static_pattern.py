"""Static pattern rules (kbuild's ``$(obj-y): %.o: %.c``), against GNU make 4.3.

A target that does not match the target pattern draws a warning and is still entered
(read.c record_files), with the recipe, no prerequisites and the whole name as its stem
(patsubst of a word that does not match). kbsim skipped it (found by the differential
test: a later ``t::`` rule then stops make with "has both : and :: entries"). A target
named twice in one rule with a recipe draws "given more than once in the same rule"
instead of the overriding-recipe warnings (found the same way).
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

CASES = {
    "match-and-not": ["all: x.c y.o", 'x.c y.o: %.o: %.h ; @echo "S $@ [$*] [$^]"', "y.h:"],
    "then-double-colon": ["all: x.c", 'x.c: %.o: %.h ; @echo "S $@"', 'x.c:: ; @echo D'],
    "no-recipe": ["all: x.c", "x.c: %.o: %.h", 'x.c: ; @echo "R $@ [$*]"'],
    "order-only": ["all: a.o b.x", 'a.o b.x: %.o: %.h | %.d ; @echo "S $@ [$^] [$|]"',
                   "a.h: ;", "a.d: ;"],
    "phony-non-matching": [".PHONY: b.x", "all: b.x", 'b.x: %.o: %.h ; @echo "S $@ [$*]"'],
    # read.c record_files: a target named twice in one rule with a recipe is a warning
    # ("given more than once in the same rule"), not an overriding recipe
    "twice-in-a-rule": ["all: a ./a b c", "a ./a: ; @echo A $@", "b b:: ; @echo B",
                        "c c: d ; @echo C [$^]", "d: ;"],
    "twice-in-a-static-rule": ["all: x.o", 'x.o ./x.o: %.o: %.h ; @echo "S $@ [$^]"',
                               "x.h: ;"],
    # the name in "has both : and :: entries" is the entered one, without './'
    "double-colon-after-dot-slash": ["all: f2", "f2: %.h: %.c", "./f2:: ; @echo D"],
}


@needs_make
@pytest.mark.parametrize("flags", [[], ["-n"], ["-k"]], ids=["plain", "n", "k"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_static_pattern_rule(name, flags, tmp_path):
    c = Case(str(tmp_path))
    c.mk(*CASES[name])
    c.run("-r", *flags)
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
