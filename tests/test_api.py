"""The Python API (`import kbsim`, docs/python-api.md): each function against the CLI
command built on it and against the layers below it.

The CLI runs as a separate process (`python -m kbsim`), so an agreement test compares two
runs, not one object with itself; expected values otherwise come from the lower layers
(kbsim.kbuild.replay, kbsim.report.graph) or from how the tiny model is built.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import kbsim

HERE = Path(__file__).resolve().parent
TINY = str(HERE / "data" / "tiny-2018.toml")  # the 2018 failure in miniature
ROOT = HERE.parent


def cli(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "kbsim", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def tiny():
    return kbsim.load(TINY)


@pytest.fixture(scope="module")
def failed(tiny):
    """seed 0, 1 s mtimes, no guard: modpost fails (the model's own settings)."""
    return kbsim.replay(tiny, seed=0)


# ---------------------------------------------------------------- load
def test_load_a_model_file_and_a_shipped_name():
    m = kbsim.load(TINY)
    assert (m.name, m.kind, m.path) == ("tiny-2018", "model", Path(TINY))
    assert m.settings["granularity"] == "1s" and m.settings["era"] == "e1"
    shipped = kbsim.load("alias-stale")
    assert shipped.kind == "model" and shipped.path.name == "alias-stale.toml"
    assert kbsim.load(m) is m


def test_bad_input_is_input_error_with_the_cli_message(tmp_path):
    with pytest.raises(kbsim.InputError) as e:
        kbsim.load(str(tmp_path / "nope.toml"))
    p = cli("replay", str(tmp_path / "nope.toml"))
    assert p.returncode == 2
    assert p.stderr.strip() == f"kbsim: error: {e.value}"
    for kw, cli_args in (({"era": "e9"}, ["--era", "e9"]),
                         ({"granularity": "3x"}, ["-g", "3x"]),
                         ({"engine": "fast"}, ["--engine", "fast"])):
        with pytest.raises(kbsim.InputError) as e:
            kbsim.replay(TINY, **kw)
        p = cli("replay", TINY, *cli_args)
        assert p.returncode == 2 and p.stderr.strip() == f"kbsim: error: {e.value}", kw
    with pytest.raises(kbsim.InputError, match="expected a model file"):
        kbsim.replay(3)  # type: ignore[arg-type]
    assert issubclass(kbsim.InputError, Exception)
    from kbsim.errors import InputError
    assert kbsim.InputError is InputError  # what the CLI catches


def test_a_model_file_may_not_name_code_but_a_caller_may(tmp_path):
    text = Path(TINY).read_text().replace('[build]\n', '[build]\nnormalise = '
                                          '"python:posixpath:normpath"\n', 1)
    bad = tmp_path / "code.toml"
    bad.write_text(text)
    with pytest.raises(kbsim.InputError, match="names Python code"):
        kbsim.load(str(bad))
    # the caller's own request: posixpath.normpath folds the '///' of e1's ksym paths
    r = kbsim.replay(TINY, normalise="python:posixpath:normpath", era="e5")
    assert r.naming == "python:posixpath:normpath"


# ---------------------------------------------------------------- replay
def test_replay_and_replay_json_agree(tiny, failed):
    p = cli("replay", TINY, "--seed", "0", "--json", "--no-cache")
    assert p.returncode == failed.exit_code == 1
    assert json.loads(p.stdout) == failed.to_json()
    other = kbsim.replay(tiny, seed=3, granularity="ns", guard=True, jobs=1)
    p = cli("replay", TINY, "--seed", "3", "-g", "ns", "--guard", "-j", "1", "--json")
    assert json.loads(p.stdout) == other.to_json()
    assert p.returncode == other.exit_code == 0


def test_replay_fields_are_the_kbuild_layer_s(tiny, failed):
    from kbsim.kbuild import replay as kbuild_replay
    raw = kbuild_replay(tiny.spec, seed=0)
    assert [(c.target, c.pass_no, c.mtime_ns) for c in failed.compiles] == \
        [(c.target, c.pass_no, c.mtime_ns) for c in raw.compiles]
    assert [(s.target, s.missing) for s in failed.stale] == \
        [(s.target, s.missing) for s in raw.stale]
    assert failed.modpost_errors == raw.modpost_errors and failed.failed
    assert failed.passes[0].pass_no == 1 and failed.to_json()["passes"][0]["pass"] == 1
    # a model's next make: the compiles of every pass, in the order they started
    assert failed.rebuild == [
        kbsim.api.Rebuild(target=c.target, stage="compile", pass_no=c.pass_no,
                          reasons=c.reasons, writes=[c.target])
        for c in sorted(raw.compiles, key=lambda c: c.start_ns)]
    assert {r.pass_no for r in failed.rebuild} == {c.pass_no for c in raw.compiles}
    assert failed.engines.plan + failed.engines.faithful == len(raw.sim.processes)
    assert "== summary ==" in failed.text() and failed.log() == raw.log()


def test_results_show_their_gist_not_every_compile(failed, sweep):
    """A notebook prints a result: one line, not the thousands of records it holds."""
    text = repr(failed)
    assert "\n" not in text and "exit 1" in text and "tiny-2018" in text
    assert all(s.target in text for s in failed.stale)  # (three of them: all shown)
    assert "guard=off: 2/2" in repr(sweep) and "\n" not in repr(sweep)


def test_result_has_every_field_of_the_report_in_its_order(tiny, failed):
    """The report layer writes --json's dict (replay_report.replay_json); the API's model
    is strict (a key it does not know is an error) and must keep every key in order."""
    from kbsim.kbuild import replay as kbuild_replay
    from kbsim.report.replay_report import replay_json
    doc = replay_json(kbuild_replay(tiny.spec, seed=0))
    assert list(failed.to_json()) == list(doc)
    assert failed.to_json() == json.loads(json.dumps(doc))
    with pytest.raises(ValueError, match="extra"):
        kbsim.ReplayResult.model_validate({**doc, "new_field": 1})


# ---------------------------------------------------------------- graph
def test_graph_is_the_graph_kbsim_graph_exports(failed, tmp_path):
    G = failed.graph()
    assert isinstance(G, nx.DiGraph)
    out = tmp_path / "g.json"
    p = cli("graph", TINY, "--seed", "0", "--format", "json", "-o", str(out))
    assert p.returncode == 0, p.stderr
    from kbsim.report.graph import from_json
    H = from_json(out.read_text())
    assert set(G.nodes) == set(H.nodes) and set(G.edges) == set(H.edges)
    assert {n: G.nodes[n]["state"] for n in G} == {n: H.nodes[n]["state"] for n in H}


def test_graph_nodes_states_edges_and_aliases(failed):
    G = failed.graph()
    stale = {s.target for s in failed.stale}
    assert stale and all(G.nodes[t]["state"] == "stale" for t in stale)
    for t in stale:  # the object as compiled: its mtime, its inode
        c = [c for c in failed.compiles if c.target == t][-1]
        assert G.nodes[t]["mtime_ns"] == c.mtime_ns and isinstance(G.nodes[t]["inode"], int)
    assert {a["relation"] for _, _, a in G.edges(data=True)} >= {"prerequisite", "alias"}
    # e1 names a ksym file include/config/ksym///clear/user.h in the .cmd files and
    # include/config/ksym/clear/user.h in the adjust script: one inode node links both
    alias = [n for n, a in G.nodes(data=True) if a.get("kind") == "inode"]
    assert alias
    for n in alias:
        names = [u for u, _ in G.in_edges(n)]
        assert len(names) >= 2 and len({G.nodes[u]["inode"] for u in names}) == 1
    H = failed.graph("usercopy_64.o")
    assert "arch/x86/lib/usercopy_64.o" in H and H.number_of_nodes() < G.number_of_nodes()
    with pytest.raises(kbsim.InputError):
        failed.graph("no-such-object.o")


def test_trace_now_or_later_gives_the_same_graph(tiny, failed):
    traced = kbsim.replay(tiny, seed=0, trace=True)
    assert traced.to_json() == failed.to_json()
    a, b = traced.graph(), failed.graph()
    assert nx.utils.graphs_equal(a, b)


# ---------------------------------------------------------------- explain
def test_explain_and_explain_json_agree(failed):
    ex = kbsim.explain(failed, "usercopy_64.o")
    assert isinstance(ex, kbsim.Explanation)
    assert ex.target == "arch/x86/lib/usercopy_64.o" and ex.verdict == "not rebuilt"
    assert ex.counterfactual is not None and ex.check is not None and ex.check.confirmed
    p = cli("explain", TINY, "usercopy_64.o", "--seed", "0", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == ex.model_dump(mode="json")
    with pytest.raises(kbsim.InputError):
        kbsim.explain(failed, "no-such-object.o")
    with pytest.raises(kbsim.InputError):
        kbsim.explain({"not": "a result"}, "x")  # type: ignore[arg-type]


# ---------------------------------------------------------------- whatif
@pytest.fixture(scope="module")
def sweep(tiny):
    return kbsim.whatif(tiny, vary={"granularity": ["ns", "1s"], "guard": [True, False]},
                        trials=2, workers=1)


def test_whatif_cells_rates_and_records(sweep):
    assert [c.settings for c in sweep.cells] == [
        {"granularity": g, "guard": v} for g in ("ns", "1s") for v in ("on", "off")]
    for c in sweep.cells:
        assert len(c.records) == c.trials == 2
        assert c.outcomes == "".join("F" if t.failed else "." for t in c.records)
        assert c.failures == sum(t.failed for t in c.records)
        assert c.ci95[0] <= c.failure_rate <= c.ci95[1]
    # the model's race: only 1 s stamps without the guard fail (tests/data/tiny-2018.toml)
    assert sweep.cell(granularity="1s", guard=False).failures == 2
    assert sweep.cell(granularity="ns", guard=False).failures == 0
    recs = sweep.to_records()
    assert len(recs) == 8 and all(isinstance(r, dict) for r in recs)
    assert {k for r in recs for k in r} >= {"granularity", "guard", "seed", "failed",
                                           "n_stale", "rebuilt", "adjust_passes"}
    cells = sweep.to_records(per="cell")
    assert [(r["granularity"], r["guard"], r["failures"]) for r in cells] == \
        [(c.settings["granularity"], c.settings["guard"], c.failures) for c in sweep.cells]


def test_whatif_trial_records_are_replays(tiny, sweep):
    """A trial record is the replay of that cell and seed."""
    rec = sweep.cell(granularity="1s", guard=False).records[1]
    r = kbsim.replay(tiny, seed=rec.seed, granularity="1s", guard=False)
    assert rec.failed == r.failed and rec.stale == [s.target for s in r.stale]
    assert rec.exit_code == r.exit_code


def test_whatif_records_take_pandas(sweep):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(sweep.to_records())
    assert df.groupby(["granularity", "guard"])["failed"].mean().loc[("1s", "off")] == 1.0


def test_whatif_and_whatif_json_agree(sweep):
    p = cli("whatif", TINY, "--vary", "granularity=ns,1s", "--vary", "guard=on,off",
            "--trials", "2", "--workers", "1", "--json", "--no-progress")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == sweep.to_json()


def test_whatif_bad_settings_are_input_errors(tiny):
    with pytest.raises(kbsim.InputError, match="unknown setting"):
        kbsim.whatif(tiny, vary={"colour": ["red"]}, trials=1, workers=1)
    with pytest.raises(kbsim.InputError, match="--trials 0"):
        kbsim.whatif(tiny, vary={"guard": [True]}, trials=0)
    with pytest.raises(kbsim.InputError, match="one value"):
        kbsim.whatif(tiny, set={"guard": [True, False]}, trials=1)


# ---------------------------------------------------------------- make
@pytest.fixture()
def mkdir(tmp_path):
    d = tmp_path / "proj"
    d.mkdir()
    (d / "Makefile").write_text("all: a\na: b c\n\tcp b a\nb:\n\techo hi > b\nc: ;\n")
    (d / "c").write_text("")
    os.utime(d / "c", ns=(1_000_000_000_000_000_000,) * 2)
    return d


def test_make_and_make_json_agree(mkdir):
    res = kbsim.make(str(mkdir), targets=["all"], options=["-j2"], now="@1500000000",
                     env={})
    p = cli("make", "--json", "--now", "@1500000000", "--no-env", "-j2", "all",
            cwd=str(mkdir))
    assert p.returncode == res.exit_code == 0
    assert json.loads(p.stdout) == res.to_json()
    assert [r.target for r in res.remade] == ["b", "a"]
    # a does not exist: every prerequisite is in $? (GNU make 4.3)
    assert res.remade[1].newer == ["b", "c"] and res.stdout == "echo hi > b\ncp b a\n"
    assert {f["path"] for f in res.files} == {str(mkdir / "a"), str(mkdir / "b")}
    assert not (mkdir / "a").exists()  # only read


def test_make_bad_option_is_make_s_own_answer(mkdir):
    res = kbsim.make(str(mkdir), options=["-Z"])
    p = cli("make", "-Z", cwd=str(mkdir))
    assert res.exit_code == p.returncode == 2
    assert res.stderr == p.stderr and res.stderr.startswith("make: invalid option -- 'Z'")
    with pytest.raises(kbsim.InputError, match="not a directory"):
        kbsim.make(str(mkdir / "nope"))
    with pytest.raises(kbsim.InputError, match="lists of words"):
        kbsim.make(str(mkdir), targets="all")  # type: ignore[arg-type]


def test_make_traced_graph_and_explain(mkdir):
    res = kbsim.make(str(mkdir), now="@1500000000", env={}, trace=True)
    G = res.graph()
    assert G.nodes["a"]["state"] == "rebuilt" and G.edges["b", "a"]["relation"] == \
        "prerequisite"
    ex = kbsim.explain(res, "a", check=False)
    assert ex.verdict == "rebuilt"
    with pytest.raises(kbsim.InputError, match="trace=True"):
        kbsim.make(str(mkdir), env={}).graph()


# ---------------------------------------------------------------- the package
def test_kbsim_make_is_the_function_beside_the_engine_package():
    from kbsim.make import Simulation  # the make engine, a subpackage named make
    assert callable(kbsim.make) and kbsim.make.__module__ == "kbsim.api.makeruns"
    assert Simulation.__module__.startswith("kbsim.make")
    assert sys.modules["kbsim.make"].Simulation is Simulation


def test_import_kbsim_loads_nothing_heavy(tmp_path):
    """`import kbsim` and `kbsim --help` stay quick: which modules they load is a fact
    (timings are in docs/python-api.md)."""
    probe = ("import sys\nimport kbsim\nkbsim.__all__\n"
             "heavy = [m for m in ('pydantic', 'networkx', 'kbsim.make', 'kbsim.api.replays',"
             " 'typer') if m in sys.modules]\nprint('LOADED', *heavy)\n")
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       cwd=tmp_path, timeout=60)
    assert p.stdout.split() == ["LOADED"], p.stdout + p.stderr
    probe = ("import sys\nfrom kbsim.cli import main\nsys.argv = ['kbsim', '--help']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "heavy = [m for m in ('pydantic', 'networkx', 'kbsim.api.replays', "
             "'kbsim.api.sweeps', 'kbsim.api.makeruns') if m in sys.modules]\n"
             "print('LOADED', *heavy, file=sys.stderr)\n")
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       cwd=tmp_path, timeout=60)
    line = next(ln for ln in p.stderr.splitlines() if ln.startswith("LOADED"))
    assert line.split() == ["LOADED"], line


def test_the_typer_app_handed_to_embedders_has_every_command(tmp_path):
    """`from kbsim.cli import app` (docs: embedding the CLI) gives the application with
    every command on it, in a fresh interpreter where no command module was imported."""
    probe = ("from kbsim.cli import app\n"
             "print(*sorted(c.name or c.callback.__name__ for c in app.registered_commands))\n")
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       cwd=tmp_path, timeout=60)
    assert p.returncode == 0, p.stderr
    assert set(p.stdout.split()) >= {"replay", "whatif", "capture", "explain", "make",
                                     "schema"}, p.stdout


def test_public_names_are_documented():
    doc = (ROOT / "docs" / "python-api.md").read_text()
    for name in kbsim.__all__:
        if name != "__version__":
            assert f"`kbsim.{name}" in doc, name
        assert getattr(kbsim, name) is not None
    for fn in (kbsim.load, kbsim.replay, kbsim.whatif, kbsim.explain, kbsim.make):
        assert fn.__doc__ and fn.__annotations__.get("return"), fn
