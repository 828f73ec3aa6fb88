"""kbsim whatif: settings, the shared stat cache, rebuild rules, sweeps, and the acceptance
criteria of issue 5.

The lindroth-2018 acceptance tests replay the full ~1,840-object tree (several seconds per
replay), so CI runs them with few trials (KBSIM_WHATIF_TRIALS, default 6) and margins that
still fail when the behaviour is wrong: a guarded or nanosecond cell must have no failure
at all (one failure is a bug, whatever the trial count), the 1 s unguarded cell must fail
at least once. The full versions of the issue (200 trials per cell, rates within bands):

    KBSIM_WHATIF_TRIALS=200 pytest -q tests/test_whatif.py -k lindroth

They are marked ``slow``; ``pytest -m 'not slow'`` skips them.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from kbsim.experiments import RULES, Sweep, parse_settings, run_sweep
from kbsim.experiments.rebuilders import BuildFacts, RuleContext, judge, ninja_start_stamp
from kbsim.experiments.render import text_report, to_json
from kbsim.experiments.settings import resolve_naming
from kbsim.experiments.stats import mcnemar_exact, wilson
from kbsim.fs import NS_PER_S, Clock, SimFS, parse_granularity
from kbsim.kbuild.commands import InputStamp
from kbsim.tree.registry import load_spec

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NS = NS_PER_S
KVM = "arch/x86/kvm/kvm.ko"


def kbsim(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([HERE, e.get("PYTHONPATH", "")])  # the installed kbsim
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "kbsim", *args], capture_output=True,
                          text=True, env=e, cwd=HERE, timeout=600)


def sweep(model: str, vary: list[str], sets: list[str] = (), trials: int = 1, seed: int = 0,
          workers: int = 1, cache=None):
    spec, _ = load_spec(model)
    sw = Sweep(model, spec, parse_settings(list(vary), list(sets)), trials, seed)
    return run_sweep(sw, workers=workers, cache=cache)


def cell(res, **want):
    for c in res.cells:
        if all(c.varied[k] == v for k, v in want.items()):
            return c
    raise KeyError(want)


# ---------------------------------------------------------------------------- user namings
# (used through python:test_whatif:FUNC; tests/ is on sys.path)
def good_norm(sym: str) -> str:
    return "include/ksym/" + sym.lower().replace("_", "/").strip("/") + ".h"


def raising_norm(sym: str) -> str:
    raise ValueError("no such symbol table")


def nonstring_norm(sym: str):
    return 42


# ---------------------------------------------------------------------------- statistics
def test_wilson_closed_forms():
    z2 = 1.959963984540054 ** 2
    lo, hi = wilson(0, 200)
    assert lo == 0.0 and hi == pytest.approx(z2 / (200 + z2))  # k = 0: z^2/(n+z^2)
    lo, hi = wilson(200, 200)
    assert hi == 1.0 and lo == pytest.approx(200 / (200 + z2))
    lo, hi = wilson(50, 100)  # symmetric around 1/2
    assert lo + hi == pytest.approx(1.0)
    assert wilson(0, 0) == (0.0, 1.0)


def test_mcnemar_exact_small_cases():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(6, 0) == pytest.approx(2 / 2 ** 6)  # all 6 discordant one way
    assert mcnemar_exact(5, 0) == pytest.approx(2 / 32)
    assert mcnemar_exact(3, 3) == 1.0


# ---------------------------------------------------------------------------- rules
G1 = RuleContext(parse_granularity("1s"))
GNS = RuleContext(parse_granularity("ns"))
GMG = RuleContext(parse_granularity("multigrain"))
T = 1_520_958_000 * NS


def facts(start, end, mtime, inputs):
    return BuildFacts("o.o", start, end, mtime, inputs)


def st(mtime, ino=7, size=0, digest="e"):
    return InputStamp(mtime, size, ino, digest)


def test_rules_on_a_same_second_touch_of_a_new_ksym_file():
    """The 2018 case on 1 s mtimes: the compile starts at T+0.2, ends at T+0.9 (mtime T),
    the ksym file is created at T+0.95 (mtime T)."""
    b = facts(T + 200_000_000, T + 900_000_000, T, {"k.h": InputStamp(None), "o.c": st(T - NS)})
    now = {"k.h": st(T), "o.c": st(T - NS)}
    v = judge(b, now, G1)
    assert v["make"] is None  # equal is up to date
    assert v["ninja"] is None  # .ninja_lock written at T+0.2 is stamped T: not older
    assert "did not exist" in v["redo"]
    assert "appeared" in v["hash"]


def test_ninja_catches_when_the_compile_started_a_second_earlier():
    b = facts(T - 300_000_000, T + 400_000_000, T, {"k.h": InputStamp(None)})
    v = judge(b, {"k.h": st(T)}, G1)
    assert v["make"] is None and v["ninja"] and "recorded mtime" in v["ninja"]
    assert ninja_start_stamp(T - 300_000_000, G1.granularity) == T - NS


def test_ninja_start_stamp_is_fine_under_multigrain_and_coarse_on_jiffies():
    g = parse_granularity("jiffy:100")
    assert ninja_start_stamp(T + 15_000_000, g) == T + 10_000_000
    assert ninja_start_stamp(T + 15_000_001, GMG.granularity) == T + 15_000_001


def test_touching_an_existing_empty_ksym_file():
    """Incremental build: the file existed (empty) at the compile; it is touched later.
    make, ninja and redo see the new mtime; the content hash cannot (empty -> empty)."""
    b = facts(T, T + NS, T + NS, {"k.h": st(T - 60 * NS)})
    v = judge(b, {"k.h": st(T + 2 * NS)}, GNS)
    assert v["make"] and v["ninja"] and v["redo"]
    assert v["hash"] is None


def test_redo_sees_an_inode_change_with_an_equal_mtime():
    b = facts(T, T + NS, T + NS, {"k.h": st(T, ino=1)})
    v = judge(b, {"k.h": st(T, ino=2)}, GNS)
    assert v["redo"] and v["make"] is None and v["ninja"] is None and v["hash"] is None


def test_unchanged_inputs_are_clean_for_every_rule():
    b = facts(T, T + NS, T + NS, {"a.h": st(T - NS), "gone.h": InputStamp(None)})
    v = judge(b, {"a.h": st(T - NS)}, GNS)
    assert v == {r: None for r in RULES}


# ---------------------------------------------------------------------------- stat cache
def test_shared_stat_cache_reproduces_v14_across_processes():
    """Two sub-makes: the first stats d/x.h, then d/x.h is touched outside make, then the
    second sub-make judges t2 (d/x.h) and t3 (d///x.h). Real make (one cache per process)
    remakes both; with one shared cache t2 keeps the old cached mtime (V14's t3) and only
    the spelling first stat'ed after the change (t3, V14's t2) is remade."""
    from kbsim.experiments.statcache import SharedStatSimulation, SharedStatTable
    from kbsim.make import Simulation, parse_make_args

    def run(shared: bool) -> str:
        fs = SimFS(Clock(200 * NS), "ns")
        fs.mkdir("/w/d")
        files = {
            "/w/Makefile": "all: one gen two\none: ; @$(MAKE) -s -f sub.mk t1\n"
                           "gen: ; @touch d/x.h\ntwo: ; @$(MAKE) -s -f sub.mk t2 t3\n"
                           ".PHONY: all one gen two\n",
            "/w/sub.mk": "t1: d/x.h ; @echo R t1\nt2: d/x.h ; @echo R t2\n"
                         "t3: d///x.h ; @echo R t3\n",
        }
        for p, text in files.items():
            fs.write(p, text)
        fs.write("/w/d/x.h", "")
        fs.set_mtime("/w/d/x.h", 0)
        for t in ("t1", "t2", "t3"):
            fs.write(f"/w/{t}", "")
            fs.set_mtime(f"/w/{t}", 100 * NS)
        if shared:
            sim = SharedStatSimulation(fs)
            sim.shared = SharedStatTable(fs, refresh_on_touch=True)
        else:
            sim = Simulation(fs)
        assert sim.run(parse_make_args(["-s"]), "/w") == 0
        return sim.stdout()

    assert run(False) == "R t2\nR t3\n"
    assert run(True) == "R t3\n"


def test_alias_stale_acceptance():
    """Issue 5 (c), as far as it can hold: see docs/whatif.md. Expected values follow from
    how models/alias-stale.toml is built (build 1 exports clear_user; kvm.ko starts to use
    __clear_user in build 2; ns mtimes and the race guard)."""
    res = sweep("alias-stale", ["stat_cache=per-make,shared,shared-norestat",
                                "normalise=fixdep-collapse,e2-shipped,e1-tr,seed-patch,"
                                "e2-collapse"], [f"incremental={KVM}"], trials=2)
    for c in res.cells:
        sc, nm = c.settings["stat_cache"], c.settings["normalise"]
        alias = nm in ("fixdep-collapse", "e2-shipped")  # .cmd and script spell differently
        expect_stale = sc == "shared-norestat" or (sc == "shared" and alias)
        assert (c.failures == c.trials) is expect_stale, (sc, nm, c.outcomes)
        assert (c.failures == 0) is (not expect_stale), (sc, nm)
        if expect_stale:
            assert c.stale_targets == {"arch/x86/lib/usercopy_64.o": c.trials}
            assert c.failed_symbols == {"__clear_user": c.trials}
            # true stamps show it out of date; only the shared cache hid it from make
            assert c.caught_by["make"] == c.stale_objects
            # an existing empty timestamp file was touched: its content did not change
            assert c.caught_by["hash"] == 0
            assert c.make_rule_disagreements == c.trials
        else:
            assert c.make_rule_disagreements == 0
        if sc == "shared":
            assert c.cache_hits > 0
    # from clean (no incremental step) nothing is stat'ed before the adjust step touches:
    # the shared cache changes nothing
    res = sweep("alias-stale", ["stat_cache=per-make,shared,shared-norestat",
                                "normalise=fixdep-collapse,e1-tr"])
    assert all(c.failures == 0 and c.mean_stale == 0 for c in res.cells)


def test_e2_shipped_and_fixdep_collapse_spell_one_inode_two_ways():
    for name, prefix in (("e2-shipped", "include/ksym/"), ("fixdep-collapse",
                                                          "include/config/ksym/")):
        nm = resolve_naming(name, "e1")
        assert nm.fixdep_ksym("__clear_user") == prefix + "clear/user.h"
        assert nm.adjust_ksym("__clear_user") == prefix + "//clear/user.h"
        assert nm.adjust_ksym("clear_user") == prefix + "clear/user.h"


# ---------------------------------------------------------------------------- sweeps
def test_results_do_not_depend_on_the_number_of_workers():
    args = (["stat_cache=per-make,shared", "normalise=fixdep-collapse,seed-patch"],
            [f"incremental={KVM}", "compile_jitter=0.3", "granularity=jiffy:250"])
    a = to_json(sweep("alias-stale", *args, trials=3, workers=1))
    b = to_json(sweep("alias-stale", *args, trials=3, workers=2))
    assert a == b
    assert a["cells"][0]["outcomes"] == "..."


def test_a_freed_trial_is_the_same_trial_and_leaves_no_cycles(monkeypatch):
    """Workers run trial after trial in one process, each trial's simulation freed by
    reference counting (experiments/dismantle.py) rather than by a full collection: the
    same result as a trial left whole, and nothing left for the cyclic collector (a
    replay's graph left ~300,000 unreachable objects behind on lindroth-2018, whose
    collection cost a third of the trial). On both tiers: a reference process's file
    table is a cycle of its own (each prerequisite's 'parent' is its target)."""
    import gc
    from kbsim.experiments import runner
    from kbsim.experiments.trial import run_trial
    for model, extra in (("alias-stale", ["stat_cache=shared", f"incremental={KVM}"]),
                         (os.path.join(HERE, "data", "tiny-2018.toml"), [])):
        spec, _ = load_spec(model)
        sw = Sweep(model, spec, parse_settings(["jobs=1,2"], extra), 1, 0)
        for task, engine in itertools.product(sw.tasks(), (None, "faithful")):
            whole = run_trial(spec, dict(task.settings), task.seed, engine)
            gc.collect()
            was = gc.isenabled()
            gc.disable()
            try:
                freed = run_trial(spec, dict(task.settings), task.seed, engine, free=True)
                gc.set_debug(gc.DEBUG_SAVEALL)
                left = gc.collect()
            finally:
                gc.set_debug(0)
                gc.garbage.clear()
                if was:
                    gc.enable()
            assert replace(freed, cpu_s=0.0) == replace(whole, cpu_s=0.0)
            assert left < 100, (model, task, engine, left)

    # what dismantle misses is collected once the worker has grown by the limit
    spec, _ = load_spec(os.path.join(HERE, "data", "tiny-2018.toml"))
    task = Sweep("tiny", spec, parse_settings([], []), 1, 0).tasks()[0]
    monkeypatch.setattr("kbsim.experiments.trial.dismantle", lambda *a: None)
    # (as in a fresh worker: a baseline an earlier test left, taken when this process
    # held more, would hide the growth below)
    monkeypatch.setattr(runner, "_baseline", None)
    full = []
    collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: full.append(1) or collect(*a))
    runner._trial(spec, task)
    assert full  # the first call always collects
    monkeypatch.setattr(runner, "GROWTH_BLOCKS", 10**9)
    n = len(full)
    runner._trial(spec, task)
    assert len(full) == n  # grown by less than the limit: no collection
    monkeypatch.setattr(runner, "GROWTH_BLOCKS", 1_000)
    runner._trial(spec, task)
    assert len(full) == n + 1


def test_each_compile_records_the_inputs_its_cmd_file_lists(monkeypatch):
    """The input names a trial stamps for each compile (what the rebuild rules judge)
    are the names the .cmd file that compile wrote lists, in every trial of a worker
    that runs cells one after another: those names are kept for every trial of a cell
    (commands.py _input_names_of), while cells spell CONFIG and ksym files differently
    (normalise, era) and an incremental trial runs build 2 on build 1's runtime and
    model copy after editing it. Run in both orders, each trial's result is the same:
    nothing one cell kept leaks into another."""
    import posixpath
    from kbsim.experiments import trial
    from kbsim.kbuild.cmdfile import parse_cmd
    runs = []
    real = trial.replay
    monkeypatch.setattr(trial, "replay", lambda *a, **k: runs.append(real(*a, **k)) or runs[-1])
    spec, _ = load_spec("alias-stale")
    sw = Sweep("alias-stale", spec, parse_settings(
        ["era=e1,e2", "normalise=e2-collapse,seed-patch,era"], [f"incremental={KVM}"]), 2, 0)
    tasks = sw.tasks()
    results = {}
    for task in tasks + tasks[::-1]:
        res = trial.run_trial(spec, dict(task.settings), task.seed)
        results.setdefault(task, []).append(replace(res, cpu_s=0.0))
        rt, fs = runs[-1].runtime, runs[-1].fs
        last = {c.target: c for c in rt.compiles}  # both builds: build 2's come last
        assert any(c.pass_no > 1 for c in last.values())
        assert {len(c.inputs) for c in last.values()} != {1}
        for c in last.values():
            d, b = posixpath.split(c.target)
            cf = parse_cmd(fs.read(f"{d}/.{b}.cmd", rt.root).decode())
            listed = {cf.source, *(x.path for x in cf.deps + cf.ksymdeps)}
            listed.discard("./tools/objtool/objtool")
            assert set(c.inputs) == listed, (task, c.target)
    assert all(a == b for a, b in results.values())


def test_an_incremental_trial_lets_build_1s_make_processes_go_before_build_2(monkeypatch):
    """A worker's incremental trial (free=True) lets build 1's make processes go
    (dismantle.free_processes) before build 2 starts its own on the same filesystem: the
    two builds' processes alive at once made an incremental lindroth-2018 worker ~40 MB
    larger. The result is the freed trial's of the test above, the same as one left whole."""
    import gc
    from kbsim.experiments import trial
    from kbsim.make.process import MakeProcess
    from kbsim.plan.process import PlanProcess
    alive = []

    class Counting(trial.Engine):  # (build 2's engine: build 1's is made in replay())
        def install(self, sim):
            alive.append(sum(1 for o in gc.get_objects()
                             if isinstance(o, (MakeProcess, PlanProcess)) and vars(o)))
            super().install(sim)

    monkeypatch.setattr(trial, "Engine", Counting)
    spec, _ = load_spec("alias-stale")
    sw = Sweep("alias-stale", spec, parse_settings([], [f"incremental={KVM}"]), 1, 0)
    task = sw.tasks()[0]
    for engine in (None, "faithful"):
        for free in (False, True):
            trial.run_trial(spec, dict(task.settings), task.seed, engine, free=free)
            gc.collect()
    assert alive[0] > 0 and alive[2] > 0  # kept whole: build 1's are still there
    assert alive[1] == alive[3] == 0


def test_pool_workers_send_back_only_the_read_phases_they_learned(monkeypatch):
    """A pool worker starts (forked) with the sweep's process's read cache; what it sends
    back after a trial (runner._run_task) is what it added, not what it inherited:
    the inherited entries sent back made the sweep's process unpickle every plan once a
    worker (an incremental lindroth-2018 sweep's process grew from 136 to 338 MB)."""
    from kbsim.plan import engine
    monkeypatch.setenv("KBSIM_ENGINE", "auto")  # (the read cache is the plan tier's)
    monkeypatch.setattr(engine, "SHARED", engine.ReadCache())  # (empty: none of this suite's)
    got = []
    real = engine.ReadCache.merge
    monkeypatch.setattr(engine.ReadCache, "merge",
                        lambda self, entries: got.append(len(entries)) or real(self, entries))
    args = ("alias-stale", ["jobs=1,2"], [f"incremental={KVM}"], 1)
    sweep(*args, workers=2)
    assert sum(got) > 0 and len(engine.read_cache()) > 0  # the parent learned them
    got.clear()
    sweep(*args, seed=1, workers=2)  # new workers, forked with all of them
    assert got and sum(got) == 0


def test_results_do_not_depend_on_the_hash_seed():
    """Workers of a distributed executor are separate interpreters with their own
    PYTHONHASHSEED; set iteration order must not leak into results."""
    args = ["whatif", "alias-stale", "--vary", "stat_cache=per-make,shared", "--set",
            f"incremental={KVM}", "--set", "normalise=e2-shipped", "--trials", "2",
            "--workers", "1", "--json"]
    outs = [kbsim(*args, env={"PYTHONHASHSEED": s}) for s in ("1", "2")]
    assert [o.returncode for o in outs] == [0, 0], outs[0].stderr
    assert outs[0].stdout == outs[1].stdout


def test_rebuilder_cells_share_the_replay_and_differ_by_rule():
    res = sweep("alias-stale", ["rebuilder=make,ninja,redo,hash"],
                [f"incremental={KVM}", "stat_cache=shared", "normalise=fixdep-collapse"])
    assert res.replays == 1  # one replay, four rules judged on it
    rates = {c.settings["rebuilder"]: c.failures for c in res.cells}
    # make (as run, through the shared cache) misses; the other rules read true stamps:
    # ninja and redo see the touch, the empty file's digest does not change
    assert rates == {"make": 1, "ninja": 0, "redo": 0, "hash": 1}


def test_dask_executor_matches_the_process_pool():
    """A sweep on a Dask LocalCluster (trials sent in batches, the model scattered once
    to each worker) gives the process pool's results, cell for cell."""
    pytest.importorskip("dask.distributed")
    args = (["stat_cache=per-make,shared", "normalise=fixdep-collapse,seed-patch"],
            [f"incremental={KVM}", "compile_jitter=0.3"])
    spec, _ = load_spec("alias-stale")
    sw = Sweep("alias-stale", spec, parse_settings(*args), 5, 0)  # 20 trials: 8 batches
    on_dask = run_sweep(sw, workers=2, executor="dask")
    assert on_dask.replays == 20
    assert to_json(on_dask) == to_json(run_sweep(sw, workers=2))


def test_cache_avoids_replaying_shared_cells():
    cache: dict = {}
    a = sweep("alias-stale", ["stat_cache=per-make,shared"], trials=2, cache=cache)
    assert a.ran == 4
    b = sweep("alias-stale", ["stat_cache=shared,shared-norestat"], trials=2, cache=cache)
    assert b.ran == 2 and b.replays == 4
    # the era's own naming and guard, spelled out, are the same simulation
    c = sweep("alias-stale", ["normalise=era,e1-tr"], ["guard=on"], trials=2, cache=cache)
    assert c.ran == 0 and [x.outcomes for x in c.cells] == [[False, False]] * 2


def test_cli_text_json_csv(tmp_path):
    out = tmp_path / "cells.csv"
    r = kbsim("whatif", "alias-stale", "--vary", "stat_cache=per-make,shared", "--set",
              f"incremental={KVM}", "--set", "normalise=fixdep-collapse", "--trials", "2",
              "--workers", "1", "--csv", str(out))
    assert r.returncode == 0, r.stderr
    assert "failure rate [95% CI]" in r.stdout
    assert "Which settings change the failure rate" in r.stdout
    assert "__clear_user 2" in r.stdout
    rows = out.read_text().splitlines()
    assert len(rows) == 3 and rows[0].startswith("stat_cache,trials,failures,failure_rate")
    assert rows[2].startswith("shared,2,2,1.0,")
    r = kbsim("whatif", "alias-stale", "--vary", "stat_cache=per-make,shared", "--set",
              f"incremental={KVM}", "--set", "normalise=fixdep-collapse", "--trials", "2",
              "--workers", "1", "--json")
    d = json.loads(r.stdout)
    assert [c["failures"] for c in d["cells"]] == [0, 2]
    assert d["varied"] == {"stat_cache": ["per-make", "shared"]}
    assert d["settings"]["incremental"] == KVM and "stat_cache" not in d["settings"]


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("args,needle", [
    (["--vary", "colour=red"], "unknown setting 'colour'"),
    (["--vary", "granularity=ns,3s"], "unknown granularity '3s'"),
    (["--vary", "guard=maybe"], "setting guard: 'maybe' is not on, off or era"),
    (["--vary", "granularity="], "empty value for granularity"),
    (["--vary", "granularity=ns,"], "empty value for granularity"),
    (["--vary", ""], "--vary: empty"),
    (["--vary", "jobs"], "expected KEY=VALUE"),
    (["--vary", "jobs=0,2"], "setting jobs: 0 is out of range"),
    (["--vary", "jobs=2,x"], "setting jobs: 'x' is not an integer"),
    (["--vary", "jobs=2,2"], "value '2' listed twice"),
    (["--vary", "jobs=1", "--vary", "jobs=2"], "jobs is varied twice"),
    (["--vary", "jobs=1,2", "--set", "jobs=4"], "jobs is also given with --set"),
    (["--set", "stat_cache=global"], "unknown value 'global'"),
    (["--set", "era=e9"], "unknown value 'e9'"),
    (["--set", "incremental=nosuch.ko"], "'nosuch.ko' is not a module of model alias-stale"),
    (["--vary", "normalise=e9-magic"], "unknown normalisation 'e9-magic'"),
    (["--vary", "normalise=python:test_whatif:raising_norm"],
     "normalisation 'python:test_whatif:raising_norm' raised ValueError"),
    (["--vary", "normalise=python:test_whatif:nonstring_norm"],
     "normalisation 'python:test_whatif:nonstring_norm' returned 42"),
    (["--vary", "normalise=python:no_such_module_xyz:f"], "cannot load"),
    (["--trials", "0"], "--trials 0: must be at least 1"),
    (["--executor", "slurm"], "--executor 'slurm'"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle, capsys):
    from kbsim.cli import main
    extra = [] if "--trials" in args else ["--trials", "1", "--workers", "1"]
    with pytest.raises(SystemExit) as e:
        main(["whatif", "alias-stale", *args, *extra])
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kbsim: error: "), err
    assert needle in lines[0], lines[0]


def test_bad_input_in_a_fresh_process_has_no_traceback():
    r = kbsim("whatif", "alias-stale", "--vary", "normalise=python:test_whatif:raising_norm",
              "--trials", "1")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        "kbsim: error: normalisation 'python:test_whatif:raising_norm' raised ValueError for "
        "symbol '__clear_user': no such symbol table"]


def test_unknown_model_and_missing_optional_executor(capsys):
    from kbsim.cli import main
    with pytest.raises(SystemExit) as e:
        main(["whatif", "no-such-model", "--vary", "jobs=1,2"])
    assert e.value.code == 2 and "no such file, and no shipped model" in \
        capsys.readouterr().err
    for ex, mod in (("dask", "dask.distributed"), ("ray", "ray")):
        try:
            __import__(mod)
            continue  # installed: nothing to check here
        except ImportError:
            pass
        with pytest.raises(SystemExit) as e:
            main(["whatif", "alias-stale", "--vary", "jobs=1,2", "--trials", "1",
                  "--executor", ex])
        err = capsys.readouterr().err
        assert e.value.code == 2 and f"--executor {ex} needs the optional dependency" in err


def test_a_user_normalisation_that_fails_inside_a_worker_is_reported_cleanly():
    """A function that works on the probe symbols but fails on another one fails in the
    trial (in a worker process): still one line and exit 2."""
    r = kbsim("whatif", "alias-stale", "--vary", "normalise=python:test_whatif:picky_norm",
              "--trials", "2", "--workers", "2")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "picky_norm" in r.stderr and "__put_user_4" in r.stderr


def picky_norm(sym: str) -> str:
    if sym == "__put_user_4":
        raise KeyError(sym)
    return good_norm(sym)


def test_a_working_user_normalisation_runs():
    r = kbsim("whatif", "alias-stale", "--vary", "normalise=python:test_whatif:good_norm,"
              "s|//*|/|g", "--trials", "1", "--workers", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert [c["failures"] for c in json.loads(r.stdout)["cells"]] == [0, 0]


# ---------------------------------------------------------------------------- lindroth-2018
N = int(os.environ.get("KBSIM_WHATIF_TRIALS", "6"))
FULL = N >= 100
_LINDROTH: dict = {}  # (settings key, seed) -> TrialResult, shared by the tests below


@pytest.fixture(scope="module")
def granularity_guard():
    return sweep("lindroth-2018", ["granularity=ns,1s", "guard=on,off"], trials=N,
                 workers=2, cache=_LINDROTH)


@pytest.mark.slow
def test_lindroth_fails_only_at_1s_without_the_guard(granularity_guard):
    """Issue 5 acceptance (a)."""
    res = granularity_guard
    exports = {o.path: set(o.exports) for o in res.sweep.spec.objects()}
    for c in res.cells:
        if c.varied == {"granularity": "1s", "guard": "off"}:
            assert c.failures > 0, c.outcomes
            # every undefined symbol is an export of an object found stale in that cell
            stale_exports = set().union(*(exports[t] for t in c.stale_targets))
            assert set(c.failed_symbols) <= stale_exports, c.failed_symbols
            if FULL:  # measured 133/200 = 66.5% [59.7-72.7] (docs/whatif-lindroth-2018.md)
                assert 0.45 < c.rate < 0.85 and c.ci95[0] > 0.3
        else:
            assert c.failures == 0 and c.mean_stale == 0, (c.varied, c.outcomes)
        # make's rule recomputed from the recorded stamps = what the engine decided
        assert c.make_rule_disagreements == 0
    text = text_report(res)
    assert "granularity" in text and "guard" in text


@pytest.mark.slow
def test_lindroth_normalisation_alone_does_not_remove_failures(granularity_guard):
    """Issue 5 acceptance (b): the namings change strings, not timestamps, and make sees
    one inode per ksym file either way, so the paired outcomes are identical."""
    res = sweep("lindroth-2018", ["normalise=e1-tr,e2-collapse,seed-patch"],
                ["granularity=1s", "guard=off"], trials=N, workers=2, cache=_LINDROTH)
    outs = {c.varied["normalise"]: c.outcomes for c in res.cells}
    assert sum(outs["e1-tr"]) > 0
    assert outs["e1-tr"] == outs["e2-collapse"] == outs["seed-patch"]


@pytest.mark.slow
def test_lindroth_rules_that_catch_what_make_misses(granularity_guard):
    """Issue 5 acceptance (d). From clean, each ksym file is created by the adjust step
    after the object's compile, so redo (stamp differs: missing -> present) and the hash
    rule (absent -> present) catch every stale object; the hash rule only because the file
    appeared, not because touching changed it. ninja catches a stale object exactly when
    its .ninja_lock start stamp is in an earlier second than the touched ksym file; the
    records show why it does not when it does not."""
    c = next(x for x in granularity_guard.cells
             if x.varied == {"granularity": "1s", "guard": "off"})
    assert c.stale_objects > 0
    assert c.caught_by["make"] == 0
    assert c.caught_by["redo"] == c.stale_objects
    assert c.caught_by["hash"] == c.stale_objects
    rs = [granularity_guard.trials[k] for k in granularity_guard.trials
          if dict(k[0])["granularity"] == "1s" and dict(k[0])["guard"] == "off"]
    for r in rs:
        for s in r.stale:
            assert s.caught["hash"].endswith("appeared since the last build")
            start_sec = s.compile_start_ns // NS
            touch_sec = s.newest_input_mtime_ns // NS
            assert s.mtime_ns == touch_sec * NS  # make: equal stamps, not newer
            assert (s.caught["ninja"] is not None) == (start_sec < touch_sec), s
    if FULL:
        assert c.caught_by["ninja"] > 0
