"""Target-specific and pattern-specific variables, against GNU make 4.3.

read.c record_target_var keeps a variable set per target and per pattern; when a recipe
starts, variable.c initialize_file_variables chains the target's set, the matching
pattern variables (a longer pattern wins), then the same for its 'parent' (target
variables are inherited by prerequisites) and the global set; '+=' appends to what is
found further up (variable_append); a command-line setting replaces the value unless the
target variable is an 'override'; job.c target_environment exports a target variable
when its global namesake is exported or it says 'export'. kbsim refused 't: V = x'
lines before (kbsim/make/targetvars.py).
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

BUILD = """CFLAGS = -O2
X := gx
export E = ge
all: prog
prog: CFLAGS += -g
prog: a.o b.o ; @echo "link [$(CFLAGS)] [$(X)] [$(origin CFLAGS)] [$(flavor CFLAGS)]"
a.o: X = ax
b.o: CFLAGS := b $(CFLAGS)
%.o: CFLAGS += -fpic
%.o: Y = y$(X)
a.%: Y = longer
%.o: ; @echo "$@ [$(CFLAGS)] [$(X)] [$(Y)] [$(value CFLAGS)]"
q: V ?= qv
q: ; @echo "[$(V)] [$(CFLAGS)]"
q: override CFLAGS = ov
r: X = a;b
r: ; @echo "[$(X)]"
"""

ENV = """export E = ge
F = gf
export G = gg
sub: E = te
sub: export F = tf
sub: G += tg
sub: ; @$(MAKE) -f sub.mk
"""

RUNS = {
    "inherit-append-pattern": (BUILD, []),
    "command-line-replaces": (BUILD, ["CFLAGS=cmd"]),
    "conditional-and-override": (BUILD, ["q"]),
    "override-beats-command-line": (BUILD, ["q", "CFLAGS=cmd"]),
    "semicolon-in-value": (BUILD, ["r"]),
    "environment-overrides": (BUILD, ["-e", "q"]),
    "sub-make-environment": (ENV, []),
    "sub-make-environment-command-line": (ENV, ["E=c"]),
}


@needs_make
@pytest.mark.parametrize("name", sorted(RUNS))
def test_target_variables(name, tmp_path):
    text, args = RUNS[name]
    c = Case(str(tmp_path))
    c.write("Makefile", text)
    c.write("sub.mk", 'all: ; @echo "E=[$(E)] F=[$(F)] G=[$(G)] [$(origin E)]"\n')
    c.run("-r", *args)
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
