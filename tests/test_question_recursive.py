"""Under -q, a recursive recipe line (``$(MAKE)`` or ``+``) that exits 1, against GNU
make 4.3.

job.c reap_children: a child of a recursive line that exits with status 1 while -q is on
is a sub-make answering "something to do" (MAKE_TROUBLE): no "*** [...] Error 1"
message, the target's status is 'question', and without -k make dies with status 1, not
2. Any other failure stays an error. kbsim printed "Error 1" and exited 2 (found by the
differential test, a ``sub: ; $(MAKE) ...`` rule under ``-q``).
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

MAKEFILE = [
    "all: a b c",
    "a: ; +@exit 1",
    "b: ; $(MAKE) -f Makefile x",
    "c: ; @echo C",
    "x: y ; @echo X",
    "y: ; @echo Y",
    "p: a ; @echo P",
    "q: ; +@exit 3",
    "r: ; -+@exit 1",
    "sub: ; $(MAKE) -f Makefile x",
]

ARGS = {
    "sub-make": ["-q", "sub"],
    "sub-make-k": ["-q", "-k", "sub"],
    "sub-make-i": ["-q", "-i", "sub"],
    "all": ["-q", "all"],
    "all-k": ["-q", "-k", "all"],
    "plus-then-goal": ["-q", "a", "c"],
    "plus-then-goal-k": ["-q", "-k", "a", "c"],
    "as-prerequisite-k": ["-q", "-k", "p", "c"],
    "parallel-k": ["-q", "-k", "-j2", "p", "c", "b"],
    "ignored": ["-q", "-i", "p", "c"],
    "dash-ignored": ["-q", "r", "c"],
    "status-3": ["-q", "q", "c"],
    "status-3-k": ["-q", "-k", "q", "c"],
    "without-q": ["-k", "a", "c"],
}


@needs_make
@pytest.mark.parametrize("name", sorted(ARGS))
def test_recursive_line_under_question(name, tmp_path):
    c = Case(str(tmp_path))
    c.mk(*MAKEFILE)
    c.run("-r", *ARGS[name])
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


@needs_make
def test_sub_make_with_failed_include_under_question(tmp_path):
    """The differential case: both makes fail to remake an included makefile under -k,
    go on to their goals, and the sub-make's answer 1 ends the top-level make with 1."""
    c = Case(str(tmp_path))
    c.mk("include g0.mk", *MAKEFILE)
    c.run("-r", "-q", "-k", "sub")
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
