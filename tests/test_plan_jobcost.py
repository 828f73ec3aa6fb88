"""The plan tier's shortcuts for per-target and per-job cost, each against what it stands for.

- jobs.py ``_plain_line`` is ``_PLAIN_LINE.match`` (the recipe line the shell would run as
  one command of plain words) without the regular expression's per-word backtracking;
- remake.py keeps a settled run's ``parent`` assignment due (``_bulk_parent``) instead of
  setting the link of each of its prerequisites for each target: every link must come out
  as the reference's after the run, including one a later target wrote directly.
"""

from __future__ import annotations

import os
import random

import pytest

from kbsim.fs import Clock
from kbsim.fs.simfs import real_fs
from kbsim.make.sim import simulate_make
from kbsim.plan import Engine, ReadCache
from kbsim.plan.jobs import _PLAIN_LINE, _plain_line


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
