"""Differential testing: random makefiles and trees, GNU make 4.3 versus kbsim.

Each hypothesis example is a Makefile plus a file tree (names in a few directories, mtimes
from a small pool so equal and 1-ns-apart stamps are common) and a make command line. It
is written to a fresh temporary directory; kbsim runs first (on a read-only mirror of the
directory), then the real make. Both must agree on stdout, stderr, the exit status and
the final file tree (which files exist, with which ns mtimes). The only normalisation is
the oracle's "N s in the future" number.

The generated features: random DAGs of up to 40 files; missing files with and without an
empty rule (``x.h:``); alias spellings of one file (``d///x.h``, ``./d/x.h``,
``d/../d/x.h``, ``d//x.h``) used as prerequisites (and, rarely, as rule targets); ``.PHONY``
targets; a ``FORCE`` target (phony or not); order-only prerequisites; prerequisites split
over several rule lines; empty recipes (``t: p ;``), no recipes, ``@echo "R $@ [$?]"``
recipes, optionally followed by ``touch -d @SECONDS`` of the target or of another file
(always an explicit time, so the real run is deterministic), or by ``exit 1``; recipes
written after ``;`` or on tab lines; several goals; ``-n``, ``-q``, ``-W FILE``,
``-o FILE``, ``-k``, ``-B``; a global ``.SECONDARY:`` (what kbuild sets).

The number of examples comes from KBSIM_DIFF_EXAMPLES (default 300):
``KBSIM_DIFF_EXAMPLES=5000 pytest tests/test_differential.py``. Generation is
derandomized, so a CI run always tests the same examples.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle import B, Outcome, make_version, normalise, run_real, run_sim

_VERSION = make_version()
if not _VERSION.startswith("GNU Make 4.3"):
    pytest.skip(f"needs GNU Make 4.3 as `make` (found: {_VERSION or 'no make'})",
                allow_module_level=True)

EXAMPLES = int(os.environ.get("KBSIM_DIFF_EXAMPLES", "300"))
NS = 1_000_000_000
DIRS = ["", "d/", "e/", "d/s/"]
# the mtime pool: @B+{0,100,200} and those plus 1 ns
POOL = [(B + s) * NS + extra for s in (0, 100, 200) for extra in (0, 1)]
KINDS = ["none", "empty_rule", "norecipe", "empty_recipe", "recipe", "recipe_touch",
         "recipe_touch_other", "recipe_fail"]


def at(ns: int) -> str:
    """``touch -d`` argument for an ns time."""
    s, frac = divmod(ns, NS)
    return f"@{s}" if frac == 0 else f"@{s}.{frac:09d}"


def aliases(name: str) -> list[str]:
    """Spellings of NAME that reach the same file; the first is NAME itself."""
    head, _, base = name.rpartition("/")
    if not head:
        return [name, "./" + name, "d/../" + name, ".//" + name]
    first, _, rest = head.partition("/")
    out = [name, "./" + name, f"{head}///{base}", f"{head}//{base}",
           f"{first}/../{head}/{base}"]
    if rest:
        out.append(f"{first}//{rest}/{base}")
    return out


@dataclass
class Spec:
    makefile: str
    files: dict[str, int]  # relative name -> ns mtime (existing files)
    args: list[str]
    notes: list[str] = field(default_factory=list)


R = '@echo "R $@ [$?]"'


@st.composite
def specs(draw) -> Spec:
    n = draw(st.integers(1, 40))
    names = []
    for i in range(n):
        d = draw(st.sampled_from(DIRS))
        ext = draw(st.sampled_from(["", ".h", ".o"]))
        names.append(f"{d}f{i}{ext}")

    def spell(name: str) -> str:
        if draw(st.integers(0, 3)) == 0:
            return draw(st.sampled_from(aliases(name)))
        return name

    have_force = draw(st.booleans())
    force_phony = have_force and draw(st.booleans())
    phony_targets: list[str] = []
    rules: list[list[str]] = []  # each a group of lines (kept together)
    exists: dict[str, int] = {}
    for i, name in enumerate(names):
        if draw(st.integers(0, 2)) > 0:
            exists[name] = draw(st.sampled_from(POOL))
        kind = draw(st.sampled_from(KINDS))
        if kind == "none":
            continue
        tname = name
        if draw(st.integers(0, 9)) == 0:
            tname = draw(st.sampled_from(aliases(name)))  # a rule under an alias spelling
        deps: list[str] = []
        oo: list[str] = []
        if kind != "empty_rule" and i + 1 < n:
            for j in draw(st.lists(st.integers(i + 1, n - 1), max_size=4)):
                (oo if draw(st.integers(0, 5)) == 0 else deps).append(spell(names[j]))
        if have_force and kind != "empty_rule" and draw(st.integers(0, 3)) == 0:
            deps.append("FORCE")
        if draw(st.integers(0, 5)) == 0:
            phony_targets.append(tname)
        recipe: str | None
        if kind in ("empty_rule", "norecipe"):
            recipe = None
        elif kind == "empty_recipe":
            recipe = ""
        elif kind == "recipe":
            recipe = R
        elif kind == "recipe_touch":
            recipe = f"{R}; touch -d {at(draw(st.sampled_from(POOL)))} $@"
        elif kind == "recipe_touch_other":
            other = spell(draw(st.sampled_from(names)))
            recipe = f"{R}; touch -d {at(draw(st.sampled_from(POOL)))} {other}"
        else:
            recipe = f"{R}; exit 1"
        # prerequisites may be split over two rule lines (the recipe's rule puts its
        # prerequisites first, read.c record_files)
        split = draw(st.integers(0, len(deps))) if deps and draw(st.booleans()) else 0
        group = []
        rest = deps[split:]
        pre = " ".join(rest) + (" | " + " ".join(oo) if oo else "")
        line = f"{tname}: {pre}".rstrip()
        if recipe is None:
            group.append(line)
        elif recipe == "":
            group.append(f"{line} ;")
        elif draw(st.booleans()):
            group.append(f"{line} ; {recipe}")
        else:
            group.append(line)
            group.extend("\t" + part.strip() if k == 0 else "\t@" + part.strip()
                         for k, part in enumerate(recipe.split(";")))
        if split:
            extra = f"{tname}: {' '.join(deps[:split])}"
            if draw(st.booleans()):
                group.insert(0, extra)
            else:
                group.append(extra)
        rules.append(group)
    order = draw(st.permutations(range(len(rules)))) if rules else []
    lines: list[str] = []
    for k in order:
        lines.extend(rules[k])
    if have_force:
        lines.insert(draw(st.integers(0, len(lines))), "FORCE:")
        if force_phony:
            phony_targets.append("FORCE")
    if phony_targets:
        lines.append(".PHONY: " + " ".join(phony_targets))
    if draw(st.integers(0, 2)) == 0:
        lines.append(".SECONDARY:")
    if not lines:
        lines.append("all: ;")
    all_spellings = [a for nm in names for a in aliases(nm)] + (["FORCE"] if have_force else [])
    args: list[str] = []
    for flag in ("-n", "-q", "-k", "-B"):
        if draw(st.integers(0, 4)) == 0:
            args.append(flag)
    for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 3)) == 0 else 0):
        args += ["-W", draw(st.sampled_from(all_spellings))]
    if draw(st.integers(0, 9)) == 0:
        args += ["-o", draw(st.sampled_from(all_spellings))]
    goals = draw(st.lists(st.sampled_from(all_spellings), max_size=3))
    args += goals
    return Spec("\n".join(lines) + "\n", exists, args)


def write_tree(root: str, spec: Spec) -> None:
    for d in DIRS:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    with open(os.path.join(root, "Makefile"), "w") as fh:
        fh.write(spec.makefile)
    for name, ns in spec.files.items():
        p = os.path.join(root, name)
        open(p, "a").close()
        os.utime(p, ns=(ns, ns))


def real_tree(root: str) -> dict[str, int]:
    out = {}
    for dp, _dn, fn in os.walk(root):
        for f in fn:
            p = os.path.join(dp, f)
            rel = os.path.relpath(p, root)
            if rel != "Makefile":
                out[rel] = os.stat(p).st_mtime_ns
    return out


def sim_tree(fs, root: str) -> dict[str, int]:
    out = {}
    for p, st_ in fs.walk_files(root):
        rel = os.path.relpath(p, root)
        if rel != "Makefile":
            out[rel] = st_.mtime
    return out


def fmt_tree(tree: dict[str, int]) -> str:
    if not tree:
        return "  (no files)"
    return "\n".join(f"  {k:14} {at(v)}" for k, v in sorted(tree.items()))


def check(spec: Spec) -> None:
    root = tempfile.mkdtemp(prefix="kbsim-diff-")
    try:
        write_tree(root, spec)
        before = real_tree(root)
        sim, run = run_sim(root, spec.args)
        sim_after = sim_tree(run.sim.fs, root)
        real = run_real(root, spec.args)
        real_after = real_tree(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    same = ((real.rc, normalise(real.out), normalise(real.err), real_after)
            == (sim.rc, normalise(sim.out), normalise(sim.err), sim_after))
    if not same:
        raise AssertionError(report(spec, before, real, sim, real_after, sim_after))


def report(spec: Spec, before, real: Outcome, sim: Outcome, real_after, sim_after) -> str:
    parts = ["kbsim differs from GNU make 4.3",
             "--- Makefile", spec.makefile.rstrip("\n"),
             "--- tree before (name mtime)", fmt_tree(before),
             "--- args: make " + " ".join(spec.args)]
    for label, o in (("real make", real), ("kbsim", sim)):
        parts += [f"--- {label}: rc={o.rc}", "stdout:", o.out.rstrip("\n") or "(empty)",
                  "stderr:", o.err.rstrip("\n") or "(empty)"]
    if real_after != sim_after:
        parts += ["--- tree after, real make", fmt_tree(real_after),
                  "--- tree after, kbsim", fmt_tree(sim_after)]
    return "\n".join(parts)


@settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(specs())
def test_differential(spec: Spec) -> None:
    check(spec)
