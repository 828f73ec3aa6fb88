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
    # expand.c recursively_expand_for_file: the recursion mark is on each variable, so
    # the error names the target variable's line, not its global namesake's (found by
    # the rule generator)
    "append-references-itself": ("f1.o: V += $(V)y\nV = g\nf1.o: ; @echo [$(V)]\n", []),
    "pattern-references-itself": ("d/%: V = $(V)y\nV = g\nd/x: ; @echo [$(V)]\n",
                                  ["d/x"]),
    # the pattern variables that match one file are defined into one set in pattern
    # order; a '+=' to a simple one expands in that set's context
    "pattern-set-appends": ("d/%: V := x\n%.o: V += x\n%.o: V += $(V)y\nV = g\n"
                            "d/s/f.o: ; @echo [$(V)]\n", ["d/s/f.o"]),
    "append-to-global": ("V = g\nf1.o: V += y $(W)\nW = w\nf1.o: ; @echo [$(V)]\n", []),
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
