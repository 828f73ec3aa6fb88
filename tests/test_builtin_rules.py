"""GNU make 4.3's built-in rules and variables (default.c), suffix rules
(rule.c convert_to_pattern) and -r/-R, against the real make: the same output, status
and files, run by run (recipes that would compile are only printed: -n)."""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

pytestmark = needs_make

CASES = [
    # built-in compile and link rules: %.o from %.c, % from %.c (a single-suffix rule)
    ("hello: hello.o\n", {"hello.c": 0}, [["-n"], ["-n", "hello.o"], ["-r", "-n"],
                                          ["-R", "-n"], ["-q"]]),
    ("", {"t.c": 0}, [["-n", "t"], ["-r", "-n", "t"], ["-n", "t.o"]]),
    # 't:' with t.o present: linked by '%: %.o' unless -r (make -q says 1, or 0)
    ("t:\n", {"t.o": 0}, [["-q"], ["-r", "-q"], ["-n"]]),
    # built-in variables, and -R
    ("all: ; @echo '[$(CC)] [$(RM)] [$(origin CC)] [$(ARFLAGS)] [$(SUFFIXES)]'\n", {},
     [[], ["-R"], ["-r"], ["CC=clang"]]),
    # a makefile's suffix rules, with and without the built-in suffixes
    (".SUFFIXES: .x .y\n.x.y: ; @echo 'x->y $< $@ [$*]'\n", {"a.x": 0}, [["a.y"], ["-r", "a.y"]]),
    (".SUFFIXES:\n.SUFFIXES: .q .w\n.q.w: ; @echo '$< -> $@'\n", {"f.q": 0},
     [["f.w"], ["-n", "f.o"]]),
    # a suffix rule with prerequisites: a warning, the prerequisites ignored
    (".SUFFIXES: .in .out\n.in.out: dep ; @echo '$< $@'\n", {"z.in": 0}, [["z.out"]]),
    # $* for an explicit rule: the name less a .SUFFIXES suffix
    ("foo.o bar.c baz: ; @echo '[$*]'\n", {}, [["foo.o"], ["bar.c"], ["baz"],
                                              ["-r", "foo.o"]]),
    # a cancelled built-in pattern rule; a pattern rule without recipe is a cancellation
    ("%.o: %.c\nall: t.o\n", {"t.c": 0}, [["-n"]]),
    ("%.x: %.y\n", {"t.y": 0}, [["t.x"]]),
    # the default goal skips names that are suffix rules
    (".c.o: ; @echo C\nfirst: ; @echo first\n", {}, [[]]),
]


@pytest.mark.parametrize("mk,files,runs", CASES, ids=[str(i) for i in range(len(CASES))])
def test_builtin_rules_like_make(tmp_path, mk, files, runs):
    c = Case(str(tmp_path))
    c.mk(mk)
    for name, t in files.items():
        c.T(t, name)
    for args in runs:
        c.run(*args)
    assert not c.mismatches()
