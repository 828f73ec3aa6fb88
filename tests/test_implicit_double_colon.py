"""A pattern chain that ends in a '::' target, against GNU make 4.3.

implicit.c enters the prerequisites of an intermediate file of the chain with
enter_file, which for a name with '::' rules makes a new, empty '::' entry (file.c): its
update finds no rule ("No rule to make target 't', needed by 't.c'"). The searched
file's own prerequisites are looked up first, so they are the existing entries. Found
by the differential test (a '%.c: %' chain reaching a phony '::' target); kbsim looked
every name up.
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

RULES = {
    # t.o <- t.h <- t.c <- t: two intermediate files, the last one's prerequisite is t
    "chain-3": ['%.o: %.h ; @echo "P $@ [$<]"', '%.h: %.c ; @echo "C $@ [$<]"',
                '%.c: % ; @echo "Y $@ [$<]"'],
    # t.o <- t.c <- t
    "chain-2": ['%.o: %.c ; @echo "P $@ [$<]"', '%.c: % ; @echo "Y $@ [$<]"'],
    # t.o <- t directly: no intermediate, the existing '::' entries are used
    "direct": ['%.o: % ; @echo "P $@ [$<]"'],
}
DOUBLE = {
    "one": ['t:: ; @echo "R1 $@"'],
    "two-phony": ['t:: a ; @echo "R1 $@"', 't:: ; @echo "R2 $@"', ".PHONY: t"],
}


@needs_make
@pytest.mark.parametrize("flags", [[], ["-k"], ["-n"]], ids=["plain", "k", "n"])
@pytest.mark.parametrize("dc", sorted(DOUBLE))
@pytest.mark.parametrize("rules", sorted(RULES))
@pytest.mark.parametrize("exists", [False, True], ids=["t-missing", "t-exists"])
def test_chain_to_double_colon(rules, dc, flags, exists, tmp_path):
    c = Case(str(tmp_path))
    c.mk("all: t.o other", "other: ; @echo other", *DOUBLE[dc], *RULES[rules])
    c.T(0, "a")
    if exists:
        c.T(10, "t")
    c.run("-r", *flags)
    c.run("-r", *flags, "t.o", "t")
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
