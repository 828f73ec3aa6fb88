"""The plan tier against the reference: the same replay, field by field.

Each case replays a model three times: on the reference engine (``engine="faithful"``),
on the plan from a cold read cache, and on the plan again from the cache the cold run
filled (every make process then starts from a cached read phase). ``engine="plan"``
fails on any process the plan would hand to the reference, so these runs exercise the
plan alone. Compared: everything ``ReplayResult`` carries (the printed output in order,
every compile with its times, mtimes, exports and reasons, the adjust steps and their
touches, stale objects, modpost errors, exit status, warnings, the end time) and the
final simulated filesystem (every file's name, mtime and content).

CI runs the grid below (48 paired runs on a reduced lindroth-2018, plus the shipped
models at full size, every era, and bench/gen_kbuild_tree.py's kbuild-like tree with 400
objects); ``KBSIM_PLAN_SEEDS=N`` widens the seed range for thousands, and
``KBSIM_PLAN_BIG_OBJECTS=20000`` runs the generated tree at the benchmark's size.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib

import pytest

from kbsim.kbuild.replay import replay
from kbsim.plan import ReadCache
from kbsim.tree.model import TreeModel, to_spec
from kbsim.tree.registry import load_spec, resolve

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = int(os.environ.get("KBSIM_PLAN_SEEDS", "2"))


def fs_state(fs) -> list[tuple]:
    return [(p, st.mtime, st.size, fs.read(p)) for p, st in fs.walk_files("/")]


def observed(r) -> dict:
    """What a replay shows, as plain data (records as dicts)."""
    asdict = dataclasses.asdict
    return {
        "output": list(r.output),
        "compiles": [asdict(c) for c in r.compiles],
        "adjusts": [asdict(a) for a in r.adjusts],
        "stale": [asdict(s) for s in r.stale],
        "modpost_errors": list(r.modpost_errors),
        "modpost_ran": r.modpost_ran,
        "make_status": r.make_status,
        "exit_code": r.exit_code,
        "warnings": list(r.warnings),
        "start_ns": r.start_ns,
        "end_ns": r.end_ns,
        "pass_commands": list(r.pass_commands),
        "fs": fs_state(r.fs),
    }


def first_difference(a: dict, b: dict) -> str:
    for k in a:
        if a[k] != b[k]:
            if isinstance(a[k], list):
                for i, (x, y) in enumerate(zip(a[k], b[k])):
                    if x != y:
                        return f"{k}[{i}]: reference {x!r} / plan {y!r}"
                return f"{k}: {len(a[k])} items on the reference, {len(b[k])} on the plan"
            return f"{k}: reference {a[k]!r} / plan {b[k]!r}"
    return ""


def assert_identical(spec, **kw) -> None:
    ref = observed(replay(spec, engine="faithful", **kw))
    cache = ReadCache()
    for what in ("cold", "warm"):
        r = replay(spec, engine="plan", read_cache=cache, **kw)
        assert r.engines.get("faithful", 0) == 0
        got = observed(r)
        assert got == ref, f"{what} plan differs: {first_difference(ref, got)}"
    assert cache.hits > 0


def small_lindroth():
    """lindroth-2018 with a tenth of its synthetic bulk: the same mechanisms, fast."""
    data = tomllib.loads(resolve("lindroth-2018").read_text())
    syn = data["synthetic"]
    for k in ("directories", "objects", "headers", "configs", "exported_symbols", "modules"):
        syn[k] = max(1, syn[k] // 10)
    return to_spec(TreeModel.model_validate(data))


SMALL = small_lindroth()
GRID = [(seed, gran, guard, jobs, norm)
        for seed in range(SEEDS) for gran in ("1s", "ns", "jiffy") for guard in (True, False)
        for jobs in (1, 8) for norm in ("e1-tr", "seed-patch")]


@pytest.mark.parametrize("seed,gran,guard,jobs,norm", GRID)
def test_small_lindroth_grid(seed, gran, guard, jobs, norm):
    assert_identical(SMALL, seed=seed, granularity=gran, guard=guard, jobs=jobs, naming=norm)


@pytest.mark.parametrize("era", ["e2", "e3", "e4", "e5", "e6"])
def test_small_lindroth_eras(era):
    assert_identical(SMALL, era=era, seed=1)


@pytest.mark.parametrize("model,kw", [
    ("lindroth-2018", {}),  # seed 0: the documented modpost failure
    ("lindroth-2018", {"seed": 1, "granularity": "multigrain"}),
    ("alias-stale", {}),
    ("linux-6.1-tinyconfig", {}),
    (os.path.join(HERE, "data", "tiny-2018.toml"), {}),
])
def test_shipped_models(model, kw):
    spec, _ = load_spec(model)
    assert_identical(spec, **kw)


def test_trace_and_decisions_identical():
    """With tracing on (explain, trace, graph): the same events and decisions too."""
    spec, _ = load_spec("alias-stale")

    def traced(engine, cache=None):
        r = replay(spec, engine=engine, read_cache=cache, trace=True)
        return ([(e.time_ns, e.pid, e.level, e.kind, e.data) for e in r.sim.events],
                [(d.target, d.remade, d.kind, d.prereq, d.prereq_mtime, d.via, d.newer,
                  d.newest, d.missing, d.pid, d.time_ns) for p in r.sim.processes
                 for d in p.decisions],
                [(f.name, [d.name for d in f.deps], f.phony, f.last_mtime)
                 for p in r.sim.processes for f in p.files])

    ref = traced("faithful")
    cache = ReadCache()
    assert traced("plan", cache) == ref
    assert traced("plan", cache) == ref


def test_plan_refuses_what_it_does_not_run(tmp_path):
    """--engine plan names the process and the feature; auto hands it to the reference."""
    from kbsim.errors import InputError
    from kbsim.fs import Clock, SimFS
    from kbsim.make.options import parse_make_args
    from kbsim.make.sim import Simulation
    from kbsim.plan import Engine

    def run(engine):
        fs = SimFS(Clock(10**18))
        fs.mkdir("/t")
        fs.write("/t/Makefile", "all:: a\n\t@echo one\nall:: b\n\t@echo two\na b:\n\t@:\n")
        sim = Simulation(fs)
        eng = Engine(engine, ReadCache())
        eng.install(sim)
        return sim.run(parse_make_args([]), "/t", env={}), sim.stdout(), eng

    with pytest.raises(InputError, match="double-colon rule of 'all'"):
        run("plan")
    status, out, eng = run("auto")
    assert (status, out) == (0, "one\ntwo\n")
    assert eng.counts == {"faithful": 1}


@pytest.mark.parametrize("makefile, why", [
    ("all: a\n\t@:\na::\n\t@:\n", "the double-colon rule of 'a'"),
    ("all: a\n\t@:\na b &:\n\t@:\n", "the grouped targets of 'a'"),
    ("all: a\n\t@:\n.LOW_RESOLUTION_TIME: a\na:\n\t@:\n", ".LOW_RESOLUTION_TIME"),
    ("all: lib.a(m.o)\n\t@:\n", "the archive member 'lib.a(m.o)'"),
    ("all: -lfoo\n\t@:\n", "the library search for '-lfoo'"),
    ("all: x) y-lz\n\t@:\nx) y-lz:\n\t@:\n", None),  # (')' and '-l' elsewhere)
])
def test_plan_refuses_entries_of_each_kind(makefile, why):
    """freeze's file-table refusals (plan/freeze.py _refusal), each named with the
    first entry that has it; names that only hold ')' or '-l' elsewhere are run."""
    from kbsim.errors import InputError
    from kbsim.fs import Clock, SimFS
    from kbsim.make.options import parse_make_args
    from kbsim.make.sim import Simulation
    from kbsim.plan import Engine
    fs = SimFS(Clock(10**18))
    fs.mkdir("/t")
    fs.write("/t/Makefile", makefile)
    sim = Simulation(fs)
    Engine("plan", ReadCache()).install(sim)
    if why is None:
        assert sim.run(parse_make_args(["-r"]), "/t", env={}) == 0
        return
    with pytest.raises(InputError, match=re.escape(f"({why})")):
        sim.run(parse_make_args(["-r"]), "/t", env={})


# ---------------------------------------------------------------------------- kbuild-like
BIG = int(os.environ.get("KBSIM_PLAN_BIG_OBJECTS", "400"))


@pytest.fixture(scope="module")
def generated_tree(tmp_path_factory):
    """bench/gen_kbuild_tree.py's tree (an up-to-date kbuild-like build: .cmd files with
    their header and config deps, a static pattern rule); KBSIM_PLAN_BIG_OBJECTS=20000
    for the benchmark's size."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "gen_kbuild_tree", os.path.join(os.path.dirname(HERE), "bench", "gen_kbuild_tree.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    out = tmp_path_factory.mktemp("gen") / "tree"
    headers = max(120, BIG // 7)
    gen.generate(str(out), objects=BIG, headers=headers, deps_per_object=min(100, headers),
                 dirs=max(5, BIG // 60), configs=max(100, BIG // 7), quiet=True)
    return str(out)


@pytest.mark.parametrize("args,touch", [([], False), (["-k"], True), (["-j4"], True)])
def test_generated_kbuild_tree(generated_tree, args, touch):
    """make on the up-to-date tree, and after some headers change, on both tiers (the
    plan does not run -q: freeze.py)."""
    from kbsim.fs import Clock
    from kbsim.fs.simfs import real_fs
    from kbsim.make.sim import simulate_make
    from kbsim.plan import Engine

    def run(engine, cache):
        fs = real_fs(Clock(1_800_000_000 * 10**9), "ns")
        if touch:  # a few headers newer than the objects
            names = sorted(p for p, _ in fs.walk_files(generated_tree + "/include"))
            for p in names[::13]:
                fs.touch(p)
        eng = Engine(engine, cache)
        r = simulate_make(fs, ["-r", "--no-print-directory", *args], generated_tree,
                          env={}, setup=eng.install)
        return ((r.exit_code, r.stdout, r.stderr,
                 [(d.target, d.remade, d.kind, d.prereq, d.newer) for d in r.decisions],
                 sorted((p, st.mtime) for p, st in r.sim.fs.walk_files(generated_tree))),
                eng.counts)

    ref, _ = run("faithful", None)
    cache = ReadCache()
    for _ in ("cold", "warm"):
        got, counts = run("plan", cache)
        assert counts == {"plan": 1}
        assert got == ref


def test_freeze_shares_equal_long_prerequisite_rows():
    """freeze._interned: equal rows of 16 or more entries become one tuple object (the
    kernel remembers a settled run by it), shorter ones stay as given, all in order."""
    from kbsim.plan.freeze import _interned
    rows = [tuple(range(20)), (1, 2), tuple(range(20)), (), (1, 2), tuple(range(16)),
            tuple(range(16)), tuple(range(15)), tuple(range(15))]
    out = _interned(iter(rows))
    assert out == tuple(rows)
    assert out[0] is out[2] and out[5] is out[6]
    assert all(o is r for o, r in zip(out, rows) if len(r) < 16)
