"""Plain files as prerequisites (headers, sources, config stamps), against GNU make 4.3.

Most prerequisites in a kbuild tree are files with no rule of their own, met for the first
time in a pass. kbsim settles a run of them at once (remake.py ``_settle_leaves``) and
falls back to update_file for every other kind. These cases put such runs next to each
kind that must not be taken so: a missing file, a repeated name, an order-only one, one a
pattern rule could make, a .DEFAULT or a match-anything rule, a phony, intermediate or
secondary file (or every file intermediate until stat'ed, under kbuild 6.1's bare
``.SECONDARY:``), a .LOW_RESOLUTION_TIME file, one with a rule without a recipe (present
and missing), one with prerequisites of its own, one in the future; under -k, -j, -q,
-n, -t and -B. Each recipe prints ``$?`` and ``$^`` (the 'changed' flags and the list).

Two differences from make 4.3 were found with these cases and fixed in process.py: -B
remakes the makefiles too on the first run (a .DEFAULT recipe for 'Makefile'), and a
fatal error with recipes still running says "Waiting for unfinished jobs....".
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

HDRS = [f"inc/h{i:02}.h" for i in range(12)]
TARGETS = [f"t{i}" for i in range(6)]
# Under -j the real make's recipes sleep a little, so that they are still running when
# make meets an error (its "Waiting for unfinished jobs....", as in kbsim's simulated
# time, never a race); kbsim takes sleep as a command that succeeds.
PRE = "<pre>"


def makefile(*extra: str, lists: dict[str, str] | None = None) -> list[str]:
    lists = lists or {}
    lines = ["all: " + " ".join(TARGETS)]
    for i, t in enumerate(TARGETS):
        # each target a different slice of the headers, so later targets meet some
        # already settled and some new
        deps = lists.get(t, " ".join(HDRS[i:i + 7]) + f" src/{t}.c")
        lines.append(f"{t}: {deps} ; @{PRE}echo MK $@ [$?] [$^]")
    return lines + list(extra)


CASES = {
    "plain": makefile(),
    "missing-mid-run": makefile(lists={"t2": "inc/h01.h inc/h02.h gone.h inc/h03.h"}),
    "repeated": makefile(lists={"t1": "inc/h01.h inc/h02.h inc/h01.h src/t1.c inc/h02.h"}),
    "order-only": makefile(lists={"t3": "inc/h00.h | inc/h05.h inc/h06.h gone.h"}),
    "pattern-could-make": makefile("%.h: %.h.in ; @echo GEN $@; cp $< $@"),
    "default-rule": makefile(".DEFAULT: ; @echo DEFAULT $@"),
    "match-anything": makefile("%:: %.in ; @echo ANY $@"),
    "phony-header": makefile(".PHONY: inc/h04.h"),
    "intermediate": makefile(".INTERMEDIATE: inc/h05.h"),
    "secondary": makefile(".SECONDARY: inc/h06.h"),
    "all-secondary": makefile(".SECONDARY:"),  # every file intermediate until stat'ed
    "low-resolution": makefile(".LOW_RESOLUTION_TIME: inc/h03.h inc/h07.h"),
    "rule-no-recipe": makefile("inc/h02.h:", "gone2.h:",
                               lists={"t4": "inc/h02.h gone2.h inc/h08.h"}),
    "own-prereqs": makefile("inc/h03.h: inc/h09.h"),
    "future": makefile(lists={"t0": "inc/h00.h future.h inc/h01.h"}),
}
FLAGS = {"plain": [], "k": ["-k"], "j3": ["-j3"], "q": ["-q"], "n": ["-n"], "t": ["-t"],
         "B": ["-B"]}


def setup(c: Case) -> None:
    for i, h in enumerate(HDRS):
        c.T(30 * (i % 5), h)  # 0 .. 120: older, equal and newer than the targets
    for i, t in enumerate(TARGETS):
        c.T(50 + 10 * i, f"src/{t}.c")
        if i != 5:
            c.T(60 + 10 * i, t)
    c.T(20, "inc/h03.h.in", "inc/h10.h.in")
    c.T(10, "inc/h07.h.in", "inc/h02.h.in")
    c.T(10**9, "future.h")


@needs_make
@pytest.mark.parametrize("flags", sorted(FLAGS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_plain_prerequisites(name, flags, tmp_path):
    c = Case(str(tmp_path))
    args = FLAGS[flags]
    pre = "sleep 0.2; " if "-j3" in args else ""
    c.mk(*(line.replace(PRE, pre) for line in CASES[name]))
    setup(c)
    c.run("-r", *args)
    c.run("-r", *args, "t2", "t4")
    bad = c.mismatches(any_order="-j3" in args)
    assert not bad, "\n".join(bad)
