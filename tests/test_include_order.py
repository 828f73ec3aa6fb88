"""The order in which make remakes its makefiles, against GNU make 4.3.

read.c eval_makefile puts each makefile at the front of read_files as it starts reading
it, and main.c updates them in that list's order: the last one read first, so an
included file comes before the makefile that includes it, and ``include a.mk b.mk`` is
remade as b.mk, then a.mk; the first missing one without a rule that make reports is the
last one read. Found by the differential test once it drew included makefiles; kbsim
remade them in reading order.
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

MK = "; @echo make $@; touch -d @1600000300 $@"
CASES = {
    "two-then-dontcare": ["all: ; @echo all", "include a.mk b.mk", "-include c.mk",
                          f"a.mk: {MK}", f"c.mk: {MK}", f"b.mk: {MK}"],
    "nested": ["all: ; @echo all", "include a.mk", "include b.mk",
               f"a.mk: {MK}", f"b.mk: {MK}", f"n.mk: {MK}"],
    "missing-no-rule": ["all: ; @echo all", "include a.mk b.mk", "-include c.mk"],
    "missing-some-rules": ["all: ; @echo all", "include a.mk b.mk c.mk", f"b.mk: {MK}"],
    "makefile-too": ["all: ; @echo all", "include a.mk", f"a.mk: {MK}",
                     "Makefile: ; @echo make $@"],
    "failing": ["all: ; @echo all", "include a.mk b.mk", "a.mk: ; @echo make $@; exit 1",
                f"b.mk: {MK}"],
}


@needs_make
@pytest.mark.parametrize("flags", [[], ["-k"], ["-n"]], ids=["plain", "k", "n"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_makefiles_remade_last_read_first(name, flags, tmp_path):
    c = Case(str(tmp_path))
    c.mk(*CASES[name])
    if name == "nested":
        c.write("a.mk", "include n.mk\n")
        c.T(0, "a.mk")
    c.run("-r", *flags)
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
