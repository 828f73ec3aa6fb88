"""Directory search (``VPATH``, ``vpath``, ``GPATH``), against the real GNU make 4.3.

vpath.c vpath_search looks for a missing file in the directories of every ``vpath``
pattern that matches its whole name, then in VPATH's; remake.c f_mtime gives the file
the name it found (rehash_file), and update_file_1 keeps that name when the file needs
no remaking (``$^``/``$<`` of its dependents show ``dir/name``) or drops it when the file
must be remade: it is then made under its own name in the current directory, unless
GPATH lists the directory (f_mtime's rename_file). implicit.c pattern_search accepts a
prerequisite a vpath search finds. kbsim refused ``vpath``/``VPATH``/``GPATH`` before.

Each case runs the real make and kbsim on the same tree and compares their output, exit
status and which of the watched files each one created, changed or removed; a case of
several steps lets the real make's results stand for the next step.
"""

from __future__ import annotations

import os

import pytest

from kbsim.fs import Clock, SimFS
from kbsim.make import simulate_make
from oracle import B, ENV, Case, needs_make, run_real, run_sim

CC = "\t@echo cc $< [$^] [$?] -o $@; touch $@"
LINK = "\t@echo link [$^] [$?] -o $@; touch $@"

# name: (makefile lines, {file: time}, steps, watched files). A step is a list of make
# arguments, or ("T", time, files...) to touch, or ("rm", files...).
CASES = {
    # a prerequisite found in a VPATH directory: its mtime counts, $< $^ $? name it there
    "prereq-found": (
        ["VPATH = src", "prog: foo.o", LINK, "foo.o: foo.c", CC],
        {"src/foo.c": 10},
        [[], [], ("T", 15, "foo.o", "prog"), ("T", 20, "src/foo.c"), ["-n"], ["-q"], [],
         []],
        ["foo.o", "prog", "src/foo.o"]),
    # a target found through VPATH: used in place while up to date, made locally under
    # its own name once it must be remade, and the local one found first afterwards
    "target-in-vpath": (
        ["VPATH = obj", "prog: foo.o", LINK, "foo.o: foo.c", CC],
        {"foo.c": 10, "obj/foo.o": 20, "prog": 30},
        [[], ("T", 40, "foo.c"), ["-n"], ["-q"], [], [], ("T", 45, "foo.o", "prog"),
         ("T", 50, "foo.c"), [], ("rm", "foo.o"), ["-n"]],
        ["foo.o", "obj/foo.o", "prog"]),
    # the same with an implicit rule: the search for it uses the target's own name
    "target-in-vpath-implicit": (
        ["VPATH = obj", "prog: foo.o", LINK, "%.o: %.c", CC],
        {"foo.c": 10, "obj/foo.o": 20, "prog": 30},
        [[], ("T", 40, "foo.c"), ["-n"], [], []],
        ["foo.o", "obj/foo.o", "prog"]),
    # GPATH lists the directory: the target is remade where it was found
    "gpath-keeps-name": (
        ["VPATH = obj", "GPATH = obj", "prog: foo.o", LINK, "foo.o: foo.c", CC],
        {"foo.c": 10, "obj/foo.o": 20, "prog": 30},
        [[], ("T", 40, "foo.c"), ["-n"], [], []],
        ["foo.o", "obj/foo.o", "prog"]),
    # a name with a directory part: GPATH is compared with the vpath directory alone
    "gpath-name-with-dir": (
        ["VPATH = obj", "GPATH = obj", "prog: sub/foo.o", LINK, "sub/foo.o: foo.c", CC],
        {"foo.c": 10, "obj/sub/foo.o": 5, "sub/keep": 10},
        [["-n"], [], []],
        ["sub/foo.o", "obj/sub/foo.o", "prog"]),
    # GPATH covers only the directories it lists (a trailing slash dropped)
    "gpath-other-dir": (
        ["VPATH = obj:obj2", "GPATH = obj2/", "prog: foo.o bar.o", LINK,
         "foo.o: foo.c", CC, "bar.o: bar.c", CC],
        {"foo.c": 10, "bar.c": 10, "obj/foo.o": 5, "obj2/bar.o": 5},
        [[], []],
        ["foo.o", "bar.o", "obj/foo.o", "obj2/bar.o", "prog"]),
    # a GPATH rename happens before the implicit rule search, which then works on the
    # found name (obj/foo.o needs obj/foo.c: no rule, so nothing is remade)
    "gpath-before-implicit": (
        ["VPATH = obj", "GPATH = obj", "prog: foo.o", LINK, "%.o: %.c", CC],
        {"foo.c": 10, "obj/foo.o": 5},
        [[], []],
        ["foo.o", "obj/foo.o", "prog"]),
    # the vpath directive: a pattern per directory list, matched against the whole name
    "directive": (
        ["vpath %.c src", "vpath %.h inc", "prog: a.o sub/b.o", LINK,
         "%.o: %.c x.h", CC],
        {"src/a.c": 10, "src/sub/b.c": 10, "inc/x.h": 10, "sub/keep": 10},
        [[], [], ("T", 15, "a.o", "sub/b.o", "prog"), ("T", 20, "inc/x.h"), []],
        ["a.o", "sub/b.o", "prog"]),
    # several lines for one pattern are searched in the order read; the first dir wins
    "directive-several": (
        ["vpath %.c d1", "vpath %.c d2 d3", "vpath %.c d1", "all: a.c b.c c.c",
         "\t@echo [$^]"],
        {"d1/a.c": 10, "d2/a.c": 10, "d2/b.c": 10, "d3/c.c": 10, "d3/b.c": 10},
        [[]], []),
    # 'vpath PATTERN' clears that pattern's lists, bare 'vpath' all of them; VPATH stays
    "directive-clear": (
        ["vpath %.c d1", "vpath %.h d1", "vpath %.c", "VPATH = d2",
         "all: a.c a.h", "\t@echo [$^]"],
        {"d1/a.c": 10, "d1/a.h": 10, "d2/a.c": 10},
        [[], ["VPATH="]], []),
    "directive-clear-all": (
        ["vpath %.c d1", "vpath %.h d1", "vpath", "all: a.c a.h", "\t@echo [$^]"],
        {"d1/a.c": 10, "d1/a.h": 10},
        [[], ["-k"]], []),
    # a pattern without '%' names one file; an escaped '%' is literal
    "directive-exact-name": (
        ["vpath a.c d1", "vpath b\\%.c d1", "all: a.c b%.c", "\t@echo [$^]"],
        {"d1/a.c": 10, "d1/b%.c": 10},
        [[]], []),
    # VPATH: blanks and colons separate, a trailing slash goes, '.' is left out
    "vpath-list-syntax": (
        ["VPATH = . d1/ : d2:d3", "all: a b c", "\t@echo [$^]"],
        {"d1/a": 10, "d2/b": 10, "d3/c": 10, "d2/a": 10},
        [[]], []),
    # the final value of VPATH counts (read once every makefile is read), recursively
    "vpath-final-value": (
        ["VPATH = nowhere", "all: a", "\t@echo [$^]", "VPATH = $(DIRS)", "DIRS = d1"],
        {"d1/a": 10},
        [[], ["DIRS=d2"], ["VPATH=d1 d2"]], []),
    # a name whose directory part ends in '/' ('sub//x.c'): make 4.3 looks for x.c in
    # src/sub/ (or src/sub/x.c in the file table) but then stats and returns
    # 'src/sub//.c' (its slash overwrites the first letter), so it finds nothing, or
    # that other file
    "double-slash-name": (
        ["VPATH = src", "all: sub//x.c sub//y.c sub//z.c", "\t@echo [$^]",
         "src/sub/z.c: ; @echo make $@"],
        {"src/sub/x.c": 10, "src/sub/y.c": 10, "src/sub/.c": 10, "sub/keep": 10},
        [[], ["-k"], ("rm", "src/sub/.c"), ["-k"]], []),
    # a name with a directory part is searched as DIR/name; an absolute name never
    "names-with-dirs": (
        ["VPATH = src", "all: sub/a ./b /nonexistent-kbsim/c", "\t@echo [$^]"],
        {"src/sub/a": 10, "src/b": 10},
        [[], ["-k"]], []),
    # not found anywhere: the usual "No rule to make target"
    "not-found": (
        ["VPATH = src", "prog: foo.o", LINK, "foo.o: foo.c bar.h", CC],
        {"src/foo.c": 10},
        [[], ["-k"], ("T", 10, "src/bar.h"), []],
        ["foo.o", "prog"]),
    # implicit rules: the prerequisite a search finds makes the rule apply; a shared
    # header found for the first object is found again (one entry) for the second
    "implicit": (
        ["VPATH = src inc", "prog: a.o b.o", LINK, "%.o: %.c common.h", CC],
        {"src/a.c": 10, "src/b.c": 10, "inc/common.h": 10},
        [[], [], ("T", 15, "a.o", "b.o", "prog"), ("T", 20, "inc/common.h"), ["-n"], [],
         ("T", 25, "a.o", "b.o", "prog"), ("T", 30, "src/b.c"), ["-q"], []],
        ["a.o", "b.o", "prog"]),
    # an implicit chain through an intermediate file whose source is found by vpath
    "implicit-chain": (
        ["VPATH = src", "all: a.o", "\t@echo [$^]", "%.o: %.c", CC,
         "%.c: %.y", "\t@echo yacc $< -o $@; touch $@"],
        {"src/a.y": 10},
        [[], []],
        ["a.o", "a.c", "src/a.c"]),
    # a target named by its vpath name goes by the found name in "up to date" messages
    "goal-found-by-vpath": (
        ["VPATH = src", "all: foo.c", "foo.h:"],
        {"src/foo.c": 10, "src/foo.h": 10},
        [["foo.c"], ["foo.h"], ["src/foo.c"]], []),
    # a prerequisite out of date with a rule of its own is remade locally; its
    # dependents then see the local name
    "prereq-remade-locally": (
        ["VPATH = gen", "prog: a.h", LINK, "a.h: a.in", "\t@echo gen $@ from $<; touch $@"],
        {"a.in": 20, "gen/a.h": 10, "prog": 30},
        [[], []],
        ["a.h", "gen/a.h", "prog"]),
    # the found name is in the file table: taken without a stat (rehash_file merges the
    # two entries; the rule of the found name is the one used)
    "found-name-is-a-target": (
        ["VPATH = src", "all: gen.c", "\t@echo [$^]", "src/gen.c:",
         "\t@echo making $@; touch $@"],
        {"src/keep": 10},
        [[], []],
        ["gen.c", "src/gen.c"]),
    # both names have a recipe: rehash_file keeps the found one's, and says so
    "two-recipes": (
        ["VPATH = src", "all: gen.c", "\t@echo [$^]", "gen.c: ; @echo local $@",
         "src/gen.c: dep", "\t@echo there $@", "dep:"],
        {"src/keep": 10},
        [[], ["-n"]], []),
    # the merged entries' target variables: the found name's win, the others join
    "merged-target-variables": (
        ["VPATH = src", "all: gen.c", "\t@echo [$^]", "gen.c: V = local", "gen.c: W = w",
         "src/gen.c: V = there", "src/gen.c: ; @echo $@ $(V) $(W)"],
        {"src/keep": 10},
        [[]], []),
    # a target whose vpath name is mentioned only as a prerequisite is not taken
    "target-not-taken-for-prereq-name": (
        ["VPATH = src", "all: gen.c x", "\t@echo [$^]", "gen.c: ; @echo making $@",
         "x: src/gen.c"],
        {"src/keep": 10},
        [[]], []),
    # -W and -o on the found name
    "what-if-and-old": (
        ["VPATH = src", "prog: foo.o", LINK, "foo.o: foo.c", CC],
        {"src/foo.c": 10, "foo.o": 20, "prog": 30},
        [["-W", "src/foo.c", "-n"], ["-W", "foo.c", "-n"], ["-o", "src/foo.c"],
         ("T", 40, "src/foo.c"), ["-o", "src/foo.c"], []],
        ["foo.o", "prog"]),
    # order-only prerequisites found by vpath: $|
    "order-only": (
        ["VPATH = d", "all: a | b", "\t@echo [$^] [$|]"],
        {"d/a": 10, "d/b": 10},
        [[]], []),
    # -t touches the local name of a target that must be remade
    "touch": (
        ["VPATH = obj", "prog: foo.o", LINK, "foo.o: foo.c", CC],
        {"foo.c": 40, "obj/foo.o": 20, "prog": 30},
        [["-t"], []],
        ["foo.o", "obj/foo.o", "prog"]),
    # a vpath file that is the target of a '::' rule
    "double-colon": (
        ["VPATH = d", "all: a", "\t@echo [$^]", "a:: b", "\t@echo one $@; touch $@",
         "a:: c", "\t@echo two $@"],
        {"d/a": 20, "b": 10, "c": 30},
        [[], []],
        ["a", "d/a"]),
    # a file in a directory already read is looked for in make's cached contents, and
    # stat'ed: one removed since is not found
    "stale-directory-cache": (
        ["VPATH = src", "all: clean use", "clean: ; @rm -f src/x.c", "use: x.c",
         "\t@echo [$^]"],
        {"src/x.c": 10},
        [[]], ["src/x.c"]),
    # a directory is looked at when the list is made (dir.c find_directory from
    # construct_vpath_list): one missing then never has files, even once a recipe made
    # it; one there then has its contents read at the first search (-r: the built-in
    # rules kbsim does not have would search both while the Makefile is remade)
    "directory-made-later": (
        ["VPATH = gen made", "all: mk use", "\t@echo all", "mk: src",
         "\t@mkdir -p gen; touch gen/x made/y", "use: y x", "\t@echo [$^]"],
        {"made/keep": 10, "all": 10, "mk": 10, "src": 20, "use": 10},
        [["-r"], ["-r"]], ["gen/x", "made/y"]),
    # a name in the file table that does not exist is still taken (no stat): then the
    # merged entry has no rule
    "mentioned-missing": (
        ["VPATH = src", "all: a x", "\t@echo [$^]", "x: src/a"],
        {"src/keep": 10},
        [[], ["-k"]], []),
    # GPATH alone searches nothing
    "gpath-without-vpath": (
        ["GPATH = src", "all: a", "\t@echo [$^]"],
        {"src/a": 10},
        [[]], []),
    # a pattern with a directory part
    "directive-dir-pattern": (
        ["vpath sub/%.c src", "all: sub/a.c a.c", "\t@echo [$^]"],
        {"src/sub/a.c": 10, "src/a.c": 10},
        [[], ["-k"]], []),
    # -B remakes everything: a target found through VPATH is made locally
    "always-make": (
        ["VPATH = obj", "prog: foo.o", LINK, "foo.o: foo.c", CC],
        {"foo.c": 10, "obj/foo.o": 20, "prog": 30},
        [["-B"]],
        ["foo.o", "obj/foo.o", "prog"]),
    # a phony target found in a vpath directory still runs, under its own name
    "phony-found": (
        ["VPATH = d", ".PHONY: clean", "all: clean", "\t@echo [$^]", "clean: ; @echo $@"],
        {"d/clean": 10},
        [[]], []),
    # a sub-make gets VPATH when it is exported
    "sub-make": (
        ["export VPATH = $(CURDIR)/src", "all: ; @$(MAKE) -f sub.mk"],
        {"src/a": 10},
        [[]], []),
    # makefiles: main.c takes their mtimes without a search first, so an included
    # makefile is never found through VPATH (nor renamed by GPATH) when remade ...
    "include-not-searched": (
        ["VPATH = mk", "GPATH = mk", "-include a.mk", "all: ; @echo X=$(X)",
         "a.mk: a.in ; @echo gen $@ from $<; echo 'X = 2' > $@"],
        {"mk/a.mk": 10, "a.in": 20},
        [[], []], ["a.mk", "mk/a.mk"]),
    "include-missing": (
        ["VPATH = mk", "include a.mk", "all: ; @echo X=$(X)"],
        {"mk/a.mk": 10},
        [[]], []),
    # ... but its prerequisites are
    "include-prereq-found": (
        ["VPATH = mk", "include a.mk", "all: ; @echo X=$(X)",
         "a.mk: a.in ; @echo gen $@ from $<; echo 'X = 2' > $@"],
        {"mk/a.in": 20},
        [[], []], ["a.mk", "mk/a.mk"]),
    # a '-lNAME' that a vpath search finds needs no library search
    "dash-l-found-by-vpath": (
        ["VPATH = lib", "prog: -lfoo", "\t@echo [$^]"],
        {"lib/-lfoo": 10},
        [[]], []),
    # the found name is also a prerequisite: one entry, listed once in $^
    "found-name-also-listed": (
        ["VPATH = d1 d2", "all: x d1/x y y", "\t@echo [$^] [$+]"],
        {"d1/x": 10, "d2/x": 10, "d2/y": 10},
        [[]], []),
    # also_make siblings of a pattern rule found in a vpath directory
    "pattern-siblings": (
        ["VPATH = obj", "all: a.o a.h", "\t@echo [$^]", "%.o %.h: %.c",
         "\t@echo P $@ [$^]; touch $*.o $*.h"],
        {"a.c": 20, "obj/a.o": 10, "obj/a.h": 30},
        [["-r"], ["-r"]], ["a.o", "a.h", "obj/a.o", "obj/a.h"]),
    # a static pattern rule's prerequisites are searched too
    "static-pattern": (
        ["VPATH = src", "objs = a.o b.o", "all: $(objs)", "\t@echo [$^]",
         "$(objs): %.o: %.c", "\t@echo S $@ [$<]; touch $@"],
        {"src/a.c": 10, "b.c": 10},
        [["-r"], ["-r"]], ["a.o", "b.o"]),
    # a failed recipe of a target found through VPATH: -k, and .DELETE_ON_ERROR
    # deletes the local name
    "failures": (
        [".DELETE_ON_ERROR:", "VPATH = obj", "all: a.o b.o", "\t@echo [$^]",
         "a.o: a.c ; @echo A; touch $@; exit 1", "b.o: b.c ; @echo B $@; touch $@"],
        {"a.c": 20, "b.c": 20, "obj/a.o": 10, "obj/b.o": 10},
        [["-r", "-k"], ["-r", "-k"], ["-r"]], ["a.o", "b.o", "obj/a.o", "obj/b.o"]),
    # -W/-o on a target found through VPATH, by either name
    "what-if-target": (
        ["VPATH = obj", "all: a.o", "\t@echo [$^]", "a.o: a.c ; @echo A $@; touch $@"],
        {"a.c": 5, "obj/a.o": 10},
        [["-r", "-W", "obj/a.o"], ["-r", "-W", "a.o", "-n"], ["-r", "-o", "a.c"]],
        ["a.o", "obj/a.o"]),
    # a goal found while the makefiles are remade keeps its entry (main.c holds it)
    "goal-found-while-remaking-makefiles": (
        ["VPATH = src", "-include a.mk", "a.mk: foo.c ; @echo gen $@ from $<",
         "foo.c: ; @echo never"],
        {"src/foo.c": 10, "a.mk": 20},
        [["foo.c"], ["-q", "foo.c"], ["src/foo.c"]], []),
}

_EXTRA_FILES = {"sub-make": {"sub.mk": "x: a\n\t@echo [$^]\n"},
                "include-not-searched": {"mk/a.mk": "X = 1\n"},
                "include-missing": {"mk/a.mk": "X = 1\n"}}


def _snapshot(root: str, watch: list[str]) -> dict[str, int | None]:
    out = {}
    for w in watch:
        try:
            out[w] = os.stat(os.path.join(root, w)).st_mtime_ns
        except FileNotFoundError:
            out[w] = None
    return out


def _effects(before: dict, after: dict) -> dict[str, str]:
    """What a run did to each watched file: created, changed, removed or nothing."""
    eff = {}
    for w, b in before.items():
        a = after[w]
        eff[w] = ("kept" if a == b else "created" if b is None else
                  "removed" if a is None else "changed")
    return eff


@needs_make
@pytest.mark.parametrize("name", sorted(CASES))
def test_vpath_against_make(name, tmp_path):
    lines, files, steps, watch = CASES[name]
    c = Case(str(tmp_path))
    c.mk(*lines)
    for f, text in _EXTRA_FILES.get(name, {}).items():
        c.write(f, text)
    for f, t in files.items():
        c.T(t, f)
    bad_files = []
    for step in steps:
        if isinstance(step, tuple):
            if step[0] == "T":
                c.T(step[1], *step[2:])
            else:
                c.rm(*step[1:])
            continue
        before = _snapshot(c.d, watch)
        sim, r = run_sim(c.d, list(step))
        sim_after = {}
        for w in watch:
            m = r.sim.fs.mtime(os.path.join(c.d, w))
            sim_after[w] = m
        real = run_real(c.d, list(step))
        real_after = _snapshot(c.d, watch)
        c.steps.append((list(step), real, sim))
        se, re_ = _effects(before, sim_after), _effects(before, real_after)
        if se != re_:
            bad_files.append(f"make {' '.join(step)}: files real={re_} sim={se}")
    bad = c.mismatches() + bad_files
    assert not bad, "\n".join(bad)


def _sim(files: dict[str, str], args: list[str]):
    fs = SimFS(clock=Clock(B * 1_000_000_000))
    fs.mkdir("/w")
    for name, text in files.items():
        fs.mkdir(os.path.dirname("/w/" + name))
        fs.write("/w/" + name, text)
    return simulate_make(fs, args, "/w", env=dict(ENV))


@needs_make
@pytest.mark.parametrize("files,mk", [
    ({}, "prog: -lfoo\n\t@echo link $^\n"),
    ({"libfoo.a": ""}, "prog: -lfoo\n\t@echo link $^\n"),
    ({"d/libfoo.so": "", "libfoo.a": ""}, "vpath %.so d\nprog: -lfoo\n\t@echo link $^\n"),
    ({"d/libfoo.a": "", "e/libfoo.so": ""}, "vpath %.a d\nvpath %.so e\n"
                                             "prog: -lfoo -lc\n\t@echo link $^\n"),
    ({"mtest_bar.a": ""}, ".LIBPATTERNS = mtest_bar.a mtest_%.a\n"
                          "prog: -lbar\n\t@echo link $^\n"),
])
def test_library_search(tmp_path, files, mk):
    """remake.c library_search (-lNAME, .LIBPATTERNS): the current directory, vpath,
    /lib, /usr/lib and /usr/local/lib, pattern by pattern, like the real make."""
    c = Case(str(tmp_path))
    c.mk(mk)
    for name in files:
        c.T(0, name)
    c.run("-r")
    assert not c.mismatches()


def test_no_vpath_no_search():
    """Without any vpath list nothing is searched: a missing file stays missing."""
    r = _sim({"Makefile": "all: a\n\t@echo [$^]\n", "d/a": ""}, [])
    assert r.exit_code == 2
    assert "No rule to make target 'a', needed by 'all'" in r.stderr


@needs_make
def test_merge_into_file_being_updated_is_not_modelled(tmp_path):
    """A search below an update of the very entry it finds (d/f1.h: f1.h, f1.h found as
    d/f1.h): rehash_file merges f1.h into d/f1.h and make walks d/f1.h's prerequisites
    from two frames; the inner one drops the dep the outer one is on and make reads
    freed memory (SIGSEGV). kbsim says it does not model that (found by the
    differential test, which discards such cases)."""
    c = Case(str(tmp_path))
    c.mk(".SECONDARY:", "vpath f% d", "all: d/f1.h", "d/f1.h: f1.h")
    c.T(10, "d/keep")
    sim, r = run_sim(c.d, ["-r"])
    assert any("merges 'f1.h' into 'd/f1.h'" in w and "(not modelled" in w
               for w in r.sim.warnings)
    assert run_real(c.d, ["-r"]).rc == 139
