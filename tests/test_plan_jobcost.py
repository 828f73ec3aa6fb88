"""The plan tier's shortcuts for per-target and per-job cost, each against what it stands for.

- jobs.py ``_plain_line`` is ``_PLAIN_LINE.match`` (the recipe line the shell would run as
  one command of plain words) without the regular expression's per-word backtracking;
- remake.py keeps a settled run's ``parent`` assignment due (``_bulk_parent``) instead of
  setting the link of each of its prerequisites for each target: every link must come out
  as the reference's after the run, including one a later target wrote directly;
- recipe.py ``run_words`` gives a line and its words without splitting it (the filters
  run on the names themselves) when ``one_word_each`` says the names are words: both must
  be what ``run`` and ``str.split`` give; jobs.py ``_words_after`` is the split of the line
  without its prefix characters.
"""

from __future__ import annotations

import os
import random

import pytest

from kbsim.fs import Clock
from kbsim.fs.simfs import real_fs
from kbsim.make.sim import simulate_make
from kbsim.plan import Engine, ReadCache
from kbsim.make.expand import Expander
from kbsim.plan.jobs import _PLAIN_LINE, _plain_line, _words_after
from kbsim.plan.recipe import _PURE, one_word_each, run, run_words, words_program


@pytest.mark.parametrize("line", [
    "", " ", "a", "a ", " a", "a  b", "kbsim-cc a/b.o a/b.c -- x.h -- a/b.c x.h",
    "echo $x", "a\tb", "a;b", "é", "a=b", "a'b", "a\nb", "a\x00b", "@+-%:,./_",
])
def test_plain_line_is_the_regular_expression(line):
    assert _plain_line(line) == bool(_PLAIN_LINE.match(line))


def test_plain_line_is_the_regular_expression_on_random_lines():
    alpha = "ab Z9./-_:,+%@\t$'\"\n;|&()*?[]<>=#~\\\x00é\x80"
    rng = random.Random(14)
    for _ in range(20_000):
        line = "".join(rng.choice(alpha) for _ in range(rng.randint(0, 9)))
        assert _plain_line(line) == bool(_PLAIN_LINE.match(line)), repr(line)


@pytest.mark.parametrize("names, ok", [
    ([], True), (["a"], True), (["a", "b/c.h", "FORCE"], True), ([""], False),
    (["a", ""], False), (["a b"], False), (["a\tb"], False), (["a\n"], False),
    (["a\x1f"], False), (["a\x0b"], False), (["é"], False), (["a\xa0b"], False),
    (["a", "b "], False), ([" a"], False),
])
def test_one_word_each(names, ok):
    assert one_word_each(names) == ok
    if ok:
        assert " ".join(names).split() == names


def test_run_words_is_run_and_split_on_random_programs():
    """Programs of constants, automatic variables and filters over word lists, random
    (blanks at the joins or not, empty values and lists, patterns with '%' or a
    backslash, which run_words leaves to run): the line and words are run's and its
    split, whenever run_words gives them."""
    exp = Expander.__new__(Expander)  # (the filters use no state of it)
    rng = random.Random(18)
    texts = ["", " ", "\t", "@kbsim-cc ", " -- ", "x", "-D", "a b", " c ", "--", "q\t"]
    names = ["a.h", "FORCE", "b/c.h", "x", "FORCE", "d.c", "a.h"]
    pats = ["FORCE", "FORCE a.h", "%.h", "a\\.h", "", "x d.c"]
    given = 0
    for _ in range(20_000):
        lists = {k: [rng.choice(names) for _ in range(rng.randint(0, 4))] for k in "^+?|"}
        auto = {k: " ".join(v) for k, v in lists.items()}
        auto.update({"@": rng.choice(["o.o", "", "a b"]), "<": rng.choice(["s.c", ""])})
        prog = []
        for _ in range(rng.randint(1, 6)):
            kind = rng.random()
            if kind < 0.4:
                prog.append(rng.choice(texts))
            elif kind < 0.6:
                prog.append(("a", rng.choice("@<^?|")))
            else:
                fn = _PURE[rng.choice(["filter", "filter-out", "sort"])]
                prog.append(("f", fn, (rng.choice(pats), (("a", rng.choice("^+?|<")),))))
        prog = tuple(prog)
        ops = words_program(prog)
        if ops is None:
            continue
        got = run_words(ops, auto, lists)
        given += 1
        line = run(prog, auto, exp)
        assert got == (line, line.split()), (prog, auto)
    assert given > 5_000  # (the shapes it takes are most of these)


@pytest.mark.parametrize("line", ["@kbsim-cc a b", "@ kbsim-cc a", "@-+kbsim a", "@\tx y",
                                  "-@ - x", "x y", "@@", "@ @x", "@x\ny", "@\x0bx y"])
def test_words_after_the_prefix(line):
    i = 0
    while i < len(line) and line[i] in "@+- \t":  # (start_job_command's loop)
        i += 1
    assert _words_after(line, i, line.split()) == line[i:].split()


DIRS = [f"d{i:02}" for i in range(24)]
OBJS = [f"o{i:02}.o" for i in range(12)]
MAKEFILE = "\n".join([
    "dirs := " + " ".join(DIRS),
    "objs := " + " ".join(OBJS),
    "all: vmlinux late",
    "vmlinux: $(objs) ;",  # (no recipe: nothing reads a link before late)
    # every object after the same long list of directories: a settled run from the
    # second object on
    "$(objs): $(dirs) ;",
    ".PHONY: all late $(dirs)",
    "$(dirs): ; @echo DIR $@",
    # after the run: a direct link of one of its entries, then one that reads it
    "late: d03 gone.h ; @echo never",
]) + "\n"


def _parents(root: str, engine: str) -> tuple[dict, str, int]:
    fs = real_fs(Clock(2_000_000_000_000_000_000), "ns")
    eng = Engine(engine, ReadCache())
    r = simulate_make(fs, ["--no-print-directory", "-k", "-r"], os.path.abspath(root),
                      setup=eng.install)
    assert eng.tally()["plan"] == (1 if engine == "plan" else 0)
    proc = r.sim.processes[0]
    links = {f.name: (f.parent.name if f.parent is not None else None) for f in proc.files}
    return links, r.stderr, r.exit_code


def test_parent_links_after_a_settled_run_are_the_references(tmp_path):
    (tmp_path / "Makefile").write_text(MAKEFILE)
    for o in OBJS:
        (tmp_path / o).write_text("")
    ref, ref_err, ref_status = _parents(str(tmp_path), "faithful")
    plan, plan_err, plan_status = _parents(str(tmp_path), "plan")
    assert ref_err == plan_err and ref_status == plan_status == 2
    assert "needed by 'late'" in plan_err
    assert plan == ref
    # (what the case is about: the run's entries end with the last object's link but
    # d03, which 'late' took after the run)
    assert ref["d03"] == "late" and ref["d04"] == OBJS[-1]


RECIPES = "\n".join([
    "PHONY := all FORCE",
    "simple := s1 s2",
    "rec = <$(simple)> $(filter-out $(PHONY),$^)",
    "deep = [$(rec)|$(addprefix p/,$(notdir $?))]",
    "self = $(self)",
    "priv_used = $(priv)",
    "private priv := hidden",
    "nested = $(patsubst %.h,%.H,$(filter %.h,$+)) $(words $^) $(sort b a $|)",
    "consts = $(subst a,b,aaa) $(strip  x   y ) $(firstword $(simple)) $(lastword q r)",
    "fn = $(dir $<)",
    "why = $(filter-out $(PHONY),$?) -- $(filter-out $(PHONY),$^)",
    "read := $(shell exit 2)",
    "all: t1 t2 t3 t4 t5 t6 t7 t8 t9 t11 t12 t13 t10",
    # pure: the plan's programs (recipe.py)
    "t1: a.h b.h a.h | c.h FORCE ; @echo '1 $@ $< $(why) $(rec) $(deep) $(nested) $(consts)"
    " $(fn) [$*] [$%]' $$HOME '$$@'",
    # each left to the Expander: $(@D), a substitution reference, an undefined or a
    # private variable, impure functions, a variable that refers to itself (last: fatal)
    "t2: a.h ; @echo '2 $(@D) $(@F)'",
    "t3: a.h ; @echo '3 $(simple:s%=S%)'",
    "t4: a.h ; @echo '4 $(undefined)'",
    "t5: a.h ; @echo '5 [$(priv_used)]'",
    "t6: b.h ; @echo '6 $(wildcard *.h)'",
    "t7: b.h ; @echo '7 $(if $?,new,old) $(foreach w,$^,<$w>)'",
    "t8: c.h ; @echo '8 $(info said $@)'",
    "t9: a.h ; @echo '9 $(word 1,$^) $(call rec,x)'",
    # .SHELLSTATUS: set by reading, then by a recipe's $(shell), read again by the same
    # line as before
    "t11: a.h ; @echo 'S [$(.SHELLSTATUS)]'",
    "t12: a.h ; @echo 'T $(shell exit 5)'",
    "t13: a.h ; @echo 'S [$(.SHELLSTATUS)]'",
    "t10: ; @echo '10 $(self)'",
    "FORCE:",
    ".PHONY: all FORCE",
]) + "\n"


@pytest.mark.parametrize("args", [[], ["-k"], ["--warn-undefined-variables", "-k"]])
def test_recipe_programs_expand_as_the_expander(tmp_path, args):
    (tmp_path / "Makefile").write_text(RECIPES)
    for i, h in enumerate(["a.h", "b.h", "c.h"]):
        (tmp_path / h).write_text("")
        os.utime(tmp_path / h, ns=(1_000_000_000 * (i + 2),) * 2)
    for t in [f"t{i}" for i in range(1, 14) if i != 10]:  # (t10 is missing: it runs)
        (tmp_path / t).write_text("")
        os.utime(tmp_path / t, ns=(1_500_000_000,) * 2)
    out = {}
    for engine in ("faithful", "plan"):
        fs = real_fs(Clock(2_000_000_000_000_000_000), "ns")
        eng = Engine(engine, ReadCache())
        r = simulate_make(fs, ["--no-print-directory", "-r", *args], str(tmp_path),
                          setup=eng.install)
        out[engine] = (r.stdout, r.stderr, r.exit_code)
    assert out["plan"] == out["faithful"]
    stdout = out["plan"][0]
    # (what the lines are about: each kind of part was expanded)
    assert stdout.startswith("1 t1 a.h a.h b.h -- a.h b.h <s1 s2> a.h b.h [<s1 s2> a.h b.h|")
    assert " bbb x y s1 r ./ [] [] $@\n2 . t2\n3 S1 S2\n4 \n5 []\n6 a.h b.h c.h\n" in stdout
    assert "\nS [2]\nT \nS [5]\n" in stdout
    assert "Recursive variable 'self' references itself" in out["plan"][1]


def test_recipe_programs_which_lines():
    from kbsim.make.expand import Expander, Variable
    from kbsim.plan.recipe import program, run

    class Proc:  # (what an Expander asks of its process here)
        variables = {"PHONY": Variable("PHONY", "__build FORCE", False),
                     "why": Variable("why", "$(filter-out $(PHONY),$?) -- "
                                            "$(filter-out $(PHONY),$^)", True),
                     "x": Variable("x", "$(shell echo)", True)}
    exp = Expander(Proc())
    prog = program(exp, Proc.variables, "@kbsim-cc $@ $< $(why)")
    assert isinstance(prog, tuple)
    auto = {"@": "a.o", "<": "a.c", "^": "a.c h.h FORCE", "+": "", "?": "h.h FORCE",
            "|": "", "*": "a", "%": ""}
    exp.auto = auto
    assert run(prog, auto, exp) == exp.expand("@kbsim-cc $@ $< $(why)") == \
        "@kbsim-cc a.o a.c h.h -- a.c h.h"
    assert program(exp, Proc.variables, "echo $(x)") is None
    assert program(exp, Proc.variables, "echo $(PHONY) done") == "echo __build FORCE done"


def _faithful_and_auto(root) -> dict:
    """make -r in ROOT on each engine: its output, status and the engine's tally."""
    out = {}
    for engine in ("faithful", "auto"):
        fs = real_fs(Clock(2_000_000_000_000_000_000), "ns")
        eng = Engine(engine, ReadCache())
        r = simulate_make(fs, ["--no-print-directory", "-r"], str(root), setup=eng.install)
        out[engine] = (r.stdout, r.stderr, r.exit_code, eng.tally())
    return out


def test_a_recipes_shell_status_stays_in_its_process(tmp_path):
    # (two sub-makes read the same inputs and run from one plan: the first one's
    # $(shell) in a recipe set .SHELLSTATUS in the plan's table, and the second printed it)
    (tmp_path / "Makefile").write_text("all: one two\none two: ; @$(MAKE) -s -f sub.mk\n"
                                       ".PHONY: all one two\n")
    (tmp_path / "sub.mk").write_text("read := $(shell exit 2)\n"
                                     "t: ; @echo \"[$(.SHELLSTATUS)]$(shell exit 7)\"\n"
                                     ".PHONY: t\n")
    out = _faithful_and_auto(tmp_path)
    assert out["faithful"][:3] == ("[2]\n[2]\n", "", 0)
    assert out["auto"][:3] == out["faithful"][:3]
    assert out["auto"][3] == {"plan": 3, "faithful": 0}


def test_prerequisite_names_kept_only_while_they_are_the_plans(tmp_path):
    # (set_file_variables keeps an entry's prerequisites' names in its plan for the next
    # jobs: two sub-makes from one plan, where the implicit search gives foo.o other
    # prerequisites each time, must each see their own $^)
    (tmp_path / "Makefile").write_text(
        "all: one two\none: ; @$(MAKE) -s -f sub.mk\n"
        "two: one ; @rm foo.c; touch foo.S; $(MAKE) -s -f sub.mk\n.PHONY: all one two\n")
    (tmp_path / "sub.mk").write_text("foo.o: foo.h\n%.o: %.c ; @echo C $^ $?\n"
                                     "%.o: %.S ; @echo S $^ $?\n")
    for f in ("foo.c", "foo.h"):
        (tmp_path / f).write_text("")
    out = _faithful_and_auto(tmp_path)
    assert out["faithful"][:3] == ("C foo.c foo.h foo.c foo.h\nS foo.S foo.h foo.S foo.h\n",
                                   "", 0)
    assert out["auto"][:3] == out["faithful"][:3]
    assert out["auto"][3] == {"plan": 3, "faithful": 0}
