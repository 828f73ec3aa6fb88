"""The walk over an also_make sibling's prerequisites after a failure, against GNU make 4.3.

remake.c update_file_1 walks its own prerequisites, then those of each also_make sibling
(the other targets of a multi-target pattern rule). A failure, or a -q answer, without
-k ends the walk of one list, not the walk over the lists: each sibling's list is still
entered, its circular entries dropped (with the message) and one prerequisite checked.
kbsim stopped at once, so ``t.h``'s sibling ``t.o: a b`` never said "No rule to make
target 'a'" (found by 12,000 examples of the differential test).
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

MAKEFILE = ["all: t.h", "t.o: a b", "%.o %.h: % ; @echo P $@", "t: ; @echo T"]


@needs_make
@pytest.mark.parametrize("args", [["-q"], ["-q", "-k"], ["-k"], []])
@pytest.mark.parametrize("t_exists", [False, True])
def test_sibling_prerequisites_after_a_failure(args, t_exists, tmp_path):
    c = Case(str(tmp_path))
    c.mk(*MAKEFILE)
    if t_exists:
        c.T(0, "t")
    c.run("-r", *args)
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
