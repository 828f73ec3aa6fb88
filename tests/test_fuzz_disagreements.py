"""The disagreements with `make -rR` that fuzzing found (issue 15), each against the real
make: output, status and files, run by run."""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

pytestmark = needs_make

CASES = {
    # expand.c: '$(a$(b)' names the variable 'a$(b' (the rest of the text is dropped)
    "unmatched-nested-reference": ("all: $(a$(b)\n\t@echo x\n", [[]]),
    # ... and '$(a(b))' is the variable 'a(b' followed by ')': a missing separator
    "reference-then-bracket": ("all: ; @:\n$(a(b))\n", [[]]),
    # a '+' line runs under -n (and fails)
    "plus-under-n": ("all:\n\t+@false\n\t@echo not\n", [["-n"]]),
    # rule.c new_pattern_rule: the second identical pattern rule replaces the first
    "identical-pattern-rules": ("%.o: %.c\n%.o: %.c\n\t@echo cc $<\nall: t.o\n"
                                "t.c:\n\t@echo make $@\n", [["-n"], []]),
    # split_prereqs: after the first '|' a further '|' is a file name
    "two-bars": ("x: | y | y\n\t@echo x\ny:\n\t@echo y\n", [[]]),
    "wildcard-hash": ("all: ; @echo [$(wildcard *#.c)]\n", [[]]),
    # read.c record_files: no rule once the makefiles are read
    "eval-rule-in-recipe": ("all:\n\t@echo $(eval x: y)hi\n", [[]]),
    "multiple-target-patterns": ("prog: main.o util.o%.o: %.c\n\t@echo $@\n", [[]]),
    "escaped-blank-target": ("a\\ b: ; @echo '[$@]'\n", [["a b"], []]),
    "escaped-colon-target": ("a\\:b: ; @echo '[$@]'\n", [[]]),
    # read.c readline: text after a NUL is lost and the next line joins on
    "nul-in-recipe": ("all:\n\t@echo one\0two\n\t@echo three\n", [[]]),
    # 'missing endif' at the line after the last
    "missing-endif": ("ifeq (a,a)\nx = 1\n\n", [[]]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_like_make(tmp_path, name):
    mk, runs = CASES[name]
    c = Case(str(tmp_path))
    with open(c.p("Makefile"), "w", newline="") as fh:
        fh.write(mk)
    for args in runs:
        c.run("-rR", *args)
    assert not c.mismatches()


@needs_make
def test_an_include_loop_crashes_as_make_does(tmp_path):
    """read.c eval_makefile has no guard: make 4.3 recurses until SIGSEGV (no output,
    status 139); kbsim stops there with that status and a warning saying why."""
    c = Case(str(tmp_path))
    c.mk("include Makefile", "all: ; @echo hi")
    real, sim = c.run("-rR")
    assert real.rc == sim.rc == 139 and real.out == sim.out == ""
    assert real.err == "" and sim.err == ""
    assert any("includes 'Makefile' within itself" in w for w in sim_warnings(tmp_path))


def sim_warnings(d) -> list[str]:
    from oracle import run_sim
    _, r = run_sim(str(d), ["-rR"])
    return list(r.sim.warnings)
