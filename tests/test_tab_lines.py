"""Lines that begin with a tab outside a rule, against GNU make 4.3.

read.c eval takes a tab line as a recipe line only while a rule is pending (an
``include`` ends it); otherwise the line is read as an ordinary one, and if it is neither
a directive nor an assignment, make stops: "recipe commences before first target". kbsim
said "missing separator", or read a rule (found by the differential test, a recipe line
after an ``include``).
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

CASES = {
    "after-include": ["all: ; @echo all", "-include nothing.mk", "\t@echo x"],
    "first-line": ["\techo hi", "all: ; @echo all"],
    "assignment": ["\tX = 1", "all: ; @echo all $(X)"],
    "simple-assignment": ["all: ; @echo all $(X)", "-include nothing.mk", "\tX := 3"],
    "empty-expansion": ["\t$(empty)", "all: ; @echo all"],
    "rule-line": ["\tfoo: bar", "all: ; @echo all"],
    "blank": ["\t", "all: ; @echo all"],
    "comment": ["\t# c", "all: ; @echo all"],
    "in-conditional": ["ifeq (a,a)", "\tY := 2", "endif", "all: ; @echo all $(Y)"],
    "recipe-across-endif": ["all:", "ifeq (a,a)", "\t@echo one", "endif", "\t@echo two"],
}


@needs_make
@pytest.mark.parametrize("name", sorted(CASES))
def test_tab_line_outside_a_rule(name, tmp_path):
    c = Case(str(tmp_path))
    c.mk(*CASES[name])
    c.run("-r")
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
