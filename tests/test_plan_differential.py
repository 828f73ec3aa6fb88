"""The plan tier against the reference on random makefiles (test_differential's examples).

Each example (a Makefile, a tree with mtimes from a small pool so equal and 1-ns-apart
stamps are common, a command line) runs through ``simulate_make`` three times on the same
read-only mirror of the tree at the same simulated time: on the reference engine, on the
plan with a cold read cache, and on the plan again with the cache warm. The three must
agree on stdout, stderr, the exit status, the warnings, the final tree (names and ns
mtimes) and every recorded decision. The plan hands a process it does not implement to
the reference (``engine="auto"``), so an example that uses such a feature compares the
reference with itself. The generator draws many such features (vpath, '::' rules, grouped
pattern targets, -n, -q...): the command-line switches are taken off and, in three
examples out of four, the lines of the commonest ones, and the test checks that a fair
share of the examples (about one in six) really ran on the plan.

No real make runs here, so this is cheap: ``KBSIM_PLAN_DIFF_EXAMPLES`` (default 400) sets
the number of examples; thousands take minutes.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import zlib
import tempfile

import pytest
from hypothesis import HealthCheck, Phase, given, settings

import test_differential as diff
from kbsim.fs import Clock
from kbsim.fs.simfs import real_fs
from kbsim.make.sim import simulate_make
from kbsim.plan import Engine, ReadCache
from kbsim.plan import remake as plan_remake
from oracle import ENV, run_real

EXAMPLES = int(os.environ.get("KBSIM_PLAN_DIFF_EXAMPLES", "400"))
NOW_NS = (diff.B + 300) * 1_000_000_000  # after every stamp of the pool
TALLY = {"examples": 0, "plan": 0}
# switches the plan hands to the reference (freeze.py): taken off the command line, so
# that most examples exercise the plan (a makefile's MAKEFLAGS += ... still can set them)
_NOT_PLANNED = {"-n", "-q", "-B", "-t"}
_WITH_FILE = {"-W", "-o"}


_NOT_PLANNED_LINE = re.compile(r"(vpath|VPATH|GPATH)\b|\.DEFAULT:|\.LOW_RESOLUTION_TIME:"
                               r"|\S+: V [+:?]?= |\.SECONDEXPANSION:|(\S+: )?\.EXTRA_PREREQS "
                               r"|[^\t].* &: |\S+: \$\$")


def planned_makefile(text: str) -> str:
    """The Makefile without the lines of features the plan hands to the reference
    (vpath, .DEFAULT, .LOW_RESOLUTION_TIME, target and pattern variables,
    .SECONDEXPANSION, .EXTRA_PREREQS, grouped targets); a quarter
    of the examples keep them, so both ways are compared."""
    return "".join(ln for ln in text.splitlines(keepends=True)
                   if not _NOT_PLANNED_LINE.match(ln))


def planned_args(args: list[str]) -> list[str]:
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in _WITH_FILE:
            skip = True
        elif a not in _NOT_PLANNED:
            out.append(a)
    return out


def run(root: str, args: list[str], engine: str, cache: ReadCache | None) -> tuple:
    fs = real_fs(Clock(NOW_NS), "ns")
    eng = Engine(engine, cache if cache is not None else ReadCache())
    r = simulate_make(fs, ["--no-print-directory", *args], os.path.abspath(root),
                      env=dict(ENV), setup=eng.install)
    decisions = [(d.target, d.remade, d.kind, d.prereq, d.prereq_mtime, d.via, d.newer,
                  d.newest, d.missing, d.pid, d.time_ns) for d in r.decisions]
    return ((r.exit_code, r.stdout, r.stderr, list(r.sim.warnings),
             diff.sim_tree(r.sim.fs, os.path.abspath(root)), decisions), eng)


@pytest.fixture(autouse=True, scope="module")
def _short_settled_runs():
    """Random DAGs seldom give a target 16 prerequisites: let the kernel remember a
    settled run from two on, so these examples go through that path too."""
    saved = plan_remake.MEMO_MIN
    plan_remake.MEMO_MIN = 2
    yield
    plan_remake.MEMO_MIN = saved


@settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(diff.specs())
def test_plan_matches_reference(spec) -> None:
    root = tempfile.mkdtemp(prefix="kbsim-plan-")
    if zlib.crc32(spec.makefile.encode()) % 4:  # (the same three quarters every run)
        spec = dataclasses.replace(spec, makefile=planned_makefile(spec.makefile))
    args = planned_args(spec.args)
    try:
        diff.write_tree(root, spec)
        ref, _ = run(root, args, "faithful", None)
        cache = ReadCache()
        cold, eng = run(root, args, "auto", cache)
        warm, _ = run(root, args, "auto", cache)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    TALLY["examples"] += 1
    TALLY["plan"] += eng.counts["plan"] > 0
    assert cold == ref, diff.report(spec, {}, _outcome(ref), _outcome(cold), ref[4], cold[4])
    assert warm == ref, diff.report(spec, {}, _outcome(ref), _outcome(warm), ref[4], warm[4])


def _outcome(t):
    return diff.Outcome(t[0], t[1], t[2])


def test_most_examples_ran_on_the_plan():
    """(runs after the examples: pytest keeps the file's order)"""
    if TALLY["examples"] < 50:
        pytest.skip("too few examples ran to judge")
    assert TALLY["plan"] >= TALLY["examples"] // 8, TALLY  # (400 examples: 69 on the plan)


def test_missing_included_makefile_runs_on_the_plan(tmp_path):
    """kbuild -includes the .cmd file of every existing target, and some have none (a 6.1
    tree's lib/crc32table.h). Reading marks such a makefile NONEXISTENT without a stat
    (read.c eval_makefile), so a recipe that creates it later does not count: the real
    make stops with 'No rule to make target'. The plan runs that process (it refused it
    once: 'an entry has a timestamp after reading') and must agree with the reference and
    with make."""
    (tmp_path / "Makefile").write_text(
        "all: obj.o .obj.o.cmd\n\t@echo all done\n"
        "-include .obj.o.cmd .other.cmd\n"
        "obj.o: FORCE\n\t@touch .obj.o.cmd $@; echo built $@\n"
        ".PHONY: FORCE\n")
    os.utime(tmp_path / "Makefile", ns=(NOW_NS - 10**9,) * 2)  # (before the simulated now)
    cache = ReadCache()  # (kbuild's -rR, -r here: no pattern remakes the Makefile)
    ref, _ = run(str(tmp_path), ["-r"], "faithful", None)
    for what in ("cold", "warm"):
        got, eng = run(str(tmp_path), ["-r"], "plan", cache)
        assert eng.counts == {"plan": 1}, what
        assert got == ref, what
    real = run_real(str(tmp_path), ["-r"])  # (last: it writes the tree)
    assert (ref[0], ref[1], ref[2]) == (real.rc, real.out, real.err)
    assert "No rule to make target '.obj.o.cmd'" in ref[2]


@pytest.mark.parametrize("flags", ["plain", "k", "j3"])
def test_plain_prerequisite_cases_on_the_plan(flags, tmp_path):
    """test_plain_prereqs's cases (runs of plain files next to each kind that must not be
    settled with them: missing, repeated, order-only, pattern-made, phony, intermediate,
    one in the future, ...) on the plan, cold and warm, against the reference: the
    plan's _settle_leaves takes its own stat and future check."""
    import test_plain_prereqs as pp
    from oracle import Case
    args = pp.FLAGS[flags]
    for name, lines in sorted(pp.CASES.items()):
        root = str(tmp_path / name)
        c = Case(root)
        c.mk(*(line.replace(pp.PRE, "") for line in lines))
        pp.setup(c)
        os.utime(c.p("Makefile"), ns=(NOW_NS - 10**9,) * 2)  # (not itself in the future)
        for cmd in (["-r", *args], ["-r", *args, "t2", "t4"]):
            ref, _ = run(root, cmd, "faithful", None)
            cache = ReadCache()
            for what in ("cold", "warm"):
                got, eng = run(root, cmd, "auto", cache)
                # (.DEFAULT, .LOW_RESOLUTION_TIME and a pattern that could remake the
                # Makefile are the reference's: freeze refuses them)
                assert eng.counts["plan"] == 1 or name in (
                    "default-rule", "low-resolution", "match-anything"), (name, eng.refusals)
                assert got == ref, (name, cmd, what)
