"""Teaching commands: explain (why / why not / counterfactual), trace, graph, timeline.

Expected values come from how each input is built (mtimes set here, the model's
granularity, GNU make's recorded vectors), never from the code under test.
"""

from __future__ import annotations

import copy
import io
import json
import os
import posixpath
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pytest

from kbsim.cli import main
from kbsim.fs import Clock, SimFS
from kbsim.report import graph as gr
from kbsim.report.buildrun import merged_events, run_dir, run_make, run_model
from kbsim.report.explain import explain_target, render_text
from kbsim.report.trace import PROMPT, narrate, step_through, why_lines
from kbsim.tree.model import load_model, to_spec

HERE = Path(__file__).resolve().parent
TINY = str(HERE / "data" / "tiny-2018.toml")
NS = 1_000_000_000
AT0 = 1_600_000_000 * NS  # the reference's @0


def at(sec: float) -> int:
    return AT0 + round(sec * NS)


def cli(capsys, *argv) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def tiny_spec():
    return to_spec(load_model(TINY))


@pytest.fixture(scope="module")
def tiny_run(tiny_spec):
    return run_model(tiny_spec)


def needed_exporters(spec) -> set[str]:
    need = {u for m in spec.modules for o in spec.objects() if o.path in m.objects
            for u in o.undefined}
    return {o.path for o in spec.objects() if set(o.exports) & need}


# ---------------------------------------------------------------- explain: kbuild
def rerun_dir_make(run, directory: str, change: tuple[str, int] | None) -> list[str]:
    """The test's own re-run of a pass-2 directory make on a copy of the final tree."""
    from kbsim.kbuild.commands import KbuildRuntime
    from kbsim.make import MakeOptions, Simulation
    r = run.replay
    fs2 = copy.deepcopy(run.fs)
    if change is not None:
        fs2.set_mtime("/linux/" + change[0], change[1])
    sim = Simulation(fs2)
    rt = KbuildRuntime(r.spec, r.era, r.naming, r.guard, r.seed, fs2, "/linux")
    rt.register(sim.shell)
    opts = MakeOptions(makefiles=["scripts/Makefile.build"], variables=[("obj", "=", directory)],
                       print_directory=False)
    sim.run(opts, "/linux", env={})
    return [c.target for c in rt.compiles]


def check_stale_explanation(run, stale, granularity_ns: int):
    r = run.replay
    target = stale.target
    ex = explain_target(run, posixpath.basename(target), check=True)
    assert ex.target == target and ex.verdict == "not rebuilt"
    assert ex.stale["missing"] == stale.missing
    obj_mtime = run.fs.mtime("/linux/" + target)
    # the ksym files fixdep listed for the missing symbols (the era's naming)
    ksyms = {r.naming.fixdep_ksym(s) for s in stale.missing}
    cf = ex.counterfactual
    assert cf.kind == "mtime"
    # the culprit is a ksym file of a missing symbol, possibly under another spelling
    ino = run.fs.ino("/linux/" + cf.prerequisite)
    assert ino in {run.fs.ino("/linux/" + k) for k in ksyms}
    assert ({cf.prerequisite} | set(cf.aliases)) & ksyms
    assert cf.target_mtime_ns == obj_mtime
    # the equal stamps: the ksym file and the object carry the same mtime
    assert run.fs.mtime("/linux/" + cf.prerequisite) == obj_mtime
    assert cf.prerequisite_mtime_ns == obj_mtime
    assert cf.needed_mtime_ns == obj_mtime + 1
    assert cf.smallest_storable_ns == obj_mtime + granularity_ns
    # aliases: every spelling of that file fixdep or the adjust script used is named
    spellings = set(cf.aliases) | {cf.prerequisite}
    for s in stale.missing:
        for p in (r.naming.fixdep_ksym(s), r.naming.adjust_ksym(s)):
            if run.fs.ino("/linux/" + p) == run.fs.ino("/linux/" + cf.prerequisite):
                assert p in spellings, (p, spellings)
    text = render_text(ex, run)
    assert target in text and cf.prerequisite in text and "EQUAL" in text
    # the counterfactual applied: pass 2's directory make on the final tree
    directory = posixpath.dirname(target)
    assert target not in rerun_dir_make(run, directory, None)
    assert target in rerun_dir_make(run, directory, (cf.prerequisite, cf.smallest_storable_ns))
    # a stamp 1 ns short of it is truncated back to the object's own second
    if granularity_ns > 1:
        assert target not in rerun_dir_make(run, directory,
                                            (cf.prerequisite, cf.smallest_storable_ns - 1))
    assert ex.check is not None and ex.check.confirmed
    return ex


def test_explain_tiny_stale_object_equal_stamps_and_counterfactual(tiny_run, tiny_spec):
    r = tiny_run.replay
    assert {s.target for s in r.stale} == needed_exporters(tiny_spec)
    uc = next(s for s in r.stale if s.target.endswith("usercopy_64.o"))
    ex = check_stale_explanation(tiny_run, uc, NS)
    # fixdep listed ///clear/user.h (for __clear_user) and /clear/user.h (clear_user): one file
    g = ex.aliases[0]
    assert {"include/config/ksym///clear/user.h", "include/config/ksym/clear/user.h"} <= \
        set(g.spellings)
    assert g.file == "/linux/include/config/ksym/clear/user.h"
    # two decisions: pass 1 built it, pass 2 ran the FORCE recipe without compiling
    assert [d.pass_no for d in ex.decisions] == [1, 2]
    assert ex.decisions[0].rebuilt and not ex.decisions[1].rebuilt
    assert ex.decisions[1].make_remade and ex.decisions[1].newer == ["FORCE"]


def test_explain_tiny_counterfactual_as_a_shifted_touch(tiny_spec, tiny_run):
    """Replay again with the adjust script's touches stamped later by the counterfactual's
    delay: the object is rebuilt in pass 2 and nothing is stale."""
    ex = explain_target(tiny_run, "arch/x86/lib/usercopy_64.o")
    delay = ex.counterfactual.delay_ns
    assert delay is not None and 0 < delay <= NS
    spec = copy.deepcopy(tiny_spec)
    spec.clock_skew_ns = delay
    run2 = run_model(spec)
    r2 = run2.replay
    assert "arch/x86/lib/usercopy_64.o" in {c.target for c in r2.compiles if c.pass_no == 2}
    assert "arch/x86/lib/usercopy_64.o" not in {s.target for s in r2.stale}
    # putuser.o's ksym file was touched 1 ms earlier: shifted by the same delay it stays
    # in the object's second - the counterfactual is specific to the file it names
    assert "arch/x86/lib/putuser.o" in {s.target for s in r2.stale}
    spec.clock_skew_ns = delay - 1  # one ns less: the touch stays in the object's second
    r3 = run_model(spec).replay
    assert "arch/x86/lib/usercopy_64.o" in {s.target for s in r3.stale}


@pytest.mark.slow
def test_acceptance_lindroth_2018_failing_seed():
    from kbsim.tree.registry import load_spec
    spec, _ = load_spec("lindroth-2018")
    assert spec.granularity == "1s"
    for seed in (0, 1, 2, 3):
        run = run_model(spec, seed=seed)
        if run.replay.stale:
            break
    else:
        pytest.fail("lindroth-2018 did not fail on seeds 0-3")
    stale = run.replay.stale[0]
    ex = check_stale_explanation(run, stale, NS)
    assert run.replay.modpost_errors and ex.stale["modpost_errors"]
    if stale.target == "arch/x86/lib/usercopy_64.o":
        assert ex.counterfactual.prerequisite == "include/config/ksym///clear/user.h"
        assert "include/config/ksym/clear/user.h" in ex.counterfactual.aliases


def test_explain_rebuilt_on_ns_names_the_newer_ksym_file(tiny_spec):
    run = run_model(tiny_spec, granularity="ns")
    ex = explain_target(run, "arch/x86/lib/usercopy_64.o")
    assert ex.verdict == "rebuilt" and ex.counterfactual is None
    final = ex.decisions[-1]
    assert final.pass_no == 2 and final.rebuilt
    touch = next(t for t in run.replay.adjusts[0].touched if t.symbol == "clear_user")
    obj1 = next(c for c in run.replay.compiles if c.target.endswith("usercopy_64.o"))
    newer = [p for p in final.prereqs if p.comparison == "newer" and not p.phony]
    assert {p.name for p in newer} == {"include/config/ksym///clear/user.h",
                                       "include/config/ksym/clear/user.h"}
    assert all(p.mtime_ns == touch.mtime_ns for p in newer)
    assert final.target_mtime_ns == obj1.mtime_ns < touch.mtime_ns
    assert "is newer than" in ex.why


# ---------------------------------------------------------------- explain: plain make
V14 = ("all: t1 gen t2 t3 t4 t5\n"
       "t1: d/x.h\n\t@echo \"R $@ [$?]\"\n"
       "gen: ; touch d/x.h\n"
       "t2: d///x.h\n\t@echo \"R $@ [$?]\"\n"
       "t3: d/x.h\n\t@echo \"R $@ [$?]\"\n"
       "t4: ./d/x.h\n\t@echo \"R $@ [$?]\"\n"
       "t5: d/../d/x.h\n\t@echo \"R $@ [$?]\"\n"
       ".PHONY: all gen\n")


def v14_dir(tmp_path) -> Path:
    d = tmp_path / "v14"
    (d / "d").mkdir(parents=True)
    (d / "Makefile").write_text(V14)
    (d / "d" / "x.h").write_text("")
    os.utime(d / "d" / "x.h", ns=(at(0), at(0)))
    for i in range(1, 6):
        (d / f"t{i}").write_text("")
        os.utime(d / f"t{i}", ns=(at(100), at(100)))
    return d


def test_explain_dir_stat_cache_alias_v14(tmp_path):
    d = v14_dir(tmp_path)
    run = run_dir(str(d), now_ns=at(200))
    assert run.make_stdout.endswith("touch d/x.h\nR t2 [d///x.h]\nR t5 [d/../d/x.h]\n")
    ex = explain_target(run, "t3", check=True)
    assert ex.verdict == "not rebuilt"
    cf = ex.counterfactual
    assert cf.kind == "cache" and cf.prerequisite == "d/x.h"
    assert cf.prerequisite_mtime_ns == at(0)  # what make cached before gen ran
    assert {"d///x.h", "d/../d/x.h"} <= set(cf.aliases)
    assert ex.check.rebuilt_without_change  # a fresh make would rebuild t3
    ex2 = explain_target(run, "t2")
    assert ex2.verdict == "rebuilt" and "'d///x.h'" in ex2.why
    # the real tree was only read
    assert (d / "d" / "x.h").stat().st_mtime_ns == at(0)


@pytest.mark.parametrize("gran,p_off,needed_storable", [
    ("ns", 0, 1),             # V02: equal; 1 ns more is storable
    ("1s", 0, NS),            # equal on a 1 s filesystem: the next second
    ("2s", 0, 2 * NS),        # FAT: the next even second
    ("ns", -5 * NS, 1),       # older by 5 s: still target + 1 ns
])
def test_counterfactual_smallest_storable_stamp(gran, p_off, needed_storable):
    fs = SimFS(Clock(at(1000)), gran)
    fs.mkdir("/w")
    fs.write("/w/Makefile", "t: p\n\t@echo R\n")
    fs.write("/w/p", "")
    fs.write("/w/t", "")
    fs.set_mtime("/w/t", at(100))
    fs.set_mtime("/w/p", at(100) + p_off)
    run = run_make(fs, "/w")
    ex = explain_target(run, "t", check=True)
    cf = ex.counterfactual
    assert ex.verdict == "not rebuilt" and cf.kind == "mtime" and cf.prerequisite == "p"
    assert cf.needed_mtime_ns == at(100) + 1
    assert cf.smallest_storable_ns == at(100) + needed_storable
    assert ex.check.confirmed


def test_explain_strictly_newer_by_one_ns_is_rebuilt():
    fs = SimFS(Clock(at(1000)))
    fs.mkdir("/w")
    fs.write("/w/Makefile", "t: p\n\t@echo R\n")
    for n, m in (("p", at(100) + 1), ("t", at(100))):
        fs.write("/w/" + n, "")
        fs.set_mtime("/w/" + n, m)
    ex = explain_target(run_make(fs, "/w"), "t")
    assert ex.verdict == "rebuilt" and "by 1 ns" in ex.why


def test_unknown_target_suggests_closest_names_and_exits_2(capsys):
    code, out, err = cli(capsys, "explain", TINY, "usercopy64.o")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kbsim: error: unknown target")
    assert "arch/x86/lib/usercopy_64.o" in lines[0] and "Traceback" not in err


def test_explain_cli_text_and_json(capsys):
    code, out, err = cli(capsys, "explain", TINY, "usercopy_64.o")
    assert code == 0, err
    assert "Verdict: NOT REBUILT" in out and "EQUAL" in out
    assert "include/config/ksym///clear/user.h" in out
    assert "2018-03-13 16:20:01.000000000" in out  # the next second (start @1520958000)
    assert "counterfactual confirmed" in out
    code, out, err = cli(capsys, "explain", TINY, "arch/x86/lib/usercopy_64.o", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["target"] == "arch/x86/lib/usercopy_64.o" and doc["verdict"] == "not rebuilt"
    assert doc["counterfactual"]["smallest_storable_ns"] == 1_520_958_001 * NS
    assert doc["check"]["confirmed"] is True


def test_explain_bad_source_is_one_line(capsys, tmp_path):
    code, out, err = cli(capsys, "explain", str(tmp_path / "nope.toml"), "x")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    code, out, err = cli(capsys, "explain", str(tmp_path / "empty"), "x")
    assert code == 2 and "no GNUmakefile, makefile or Makefile" in err


# ---------------------------------------------------------------- trace
def test_trace_narrates_every_kind_of_step(tiny_run):
    text = "".join(narrate(tiny_run))
    for needle in ("starts in /linux", "reads makefile Makefile", "stat ", "$(wildcard ",
                   "decides REMAKE", "decides keep", "runs recipe of", "finished",
                   "adjust_autoksyms.sh touches include/config/ksym/clear/user.h",
                   "exec make -f Makefile vmlinux (pass 2)", "exits with status",
                   "modpost:", "not compiled"):
        assert needle in text, needle
    # the adjust step comes after pass 1's compiles and before pass 2's make starts
    i_touch = text.index("touches include/config/ksym/clear/user.h")
    i_pass2 = text.index("[pass 2]")
    i_cc = text.index("CC arch/x86/lib/usercopy_64.o finished")
    assert i_cc < i_touch < i_pass2


def test_trace_decisions_sit_where_make_took_them():
    """A kbuild replay places decisions after the fact; check that placement against the
    exact order the decision hook records for plain make runs (serial and -j)."""
    cases = []
    fs = SimFS(Clock(at(1000)))
    fs.mkdir("/w/d")
    fs.write("/w/Makefile", V14)
    fs.write("/w/d/x.h", "")
    fs.set_mtime("/w/d/x.h", at(0))
    for i in range(1, 6):
        fs.write(f"/w/t{i}", "")
        fs.set_mtime(f"/w/t{i}", at(100))
    cases.append((fs, []))
    fs = SimFS(Clock(at(1000)))
    fs.mkdir("/w")
    fs.write("/w/Makefile", "all: a b\na: a1 a2\n\ttouch a\na1: ; sleep 0.01; touch a1\n"
                            "a2: ; touch a2\nb: b1\n\ttouch b\nb1: a1\n\ttouch b1\n")
    cases.append((fs, ["-j2"]))
    for fs, args in cases:
        # (-r, as kbuild runs make: the built-in rules' implicit search reads
        # directories, events a replay does not have)
        run = run_make(fs, "/w", args=["-r", *args])
        exact = [(e.kind, e.pid, e.data["decision"].target if e.kind == "decide"
                  else e.data.get("file") or e.data.get("target"))
                 for e in merged_events(run)]
        run.sim.events = [e for e in run.sim.events if e.kind != "decide"]
        run._merged = None
        guessed = [(e.kind, e.pid, e.data["decision"].target if e.kind == "decide"
                    else e.data.get("file") or e.data.get("target"))
                   for e in merged_events(run)]
        assert guessed == exact


def test_trace_make_why_matches_gnu_make_44_wording(tmp_path):
    d = v14_dir(tmp_path)
    run = run_dir(str(d), now_ns=at(200))
    # 4.4 --debug=why for V14: gen is phony; t2 and t5 due to their alias of d/x.h
    assert list(why_lines(run)) == [
        "Makefile:4: update target 'gen' due to: target is .PHONY\n",
        "Makefile:6: update target 't2' due to: d///x.h\n",
        "Makefile:12: update target 't5' due to: d/../d/x.h\n"]
    fs = SimFS(Clock(at(1000)))
    fs.mkdir("/w")
    fs.write("/w/Makefile", "t: p q\n\t@echo R\nq:\n\t@touch q\n")
    fs.write("/w/p", "")
    fs.set_mtime("/w/p", at(5))
    assert list(why_lines(run_make(fs, "/w"))) == [
        "Makefile:4: update target 'q' due to: target does not exist\n",
        "Makefile:2: update target 't' due to: target does not exist\n"]


def test_trace_cli_make_why_for_a_model(capsys):
    code, out, err = cli(capsys, "trace", TINY, "--format", "make-why")
    assert code == 0
    lines = out.splitlines()
    assert "scripts/Makefile.build:" in lines[5] or any(
        "update target 'arch/x86/lib/usercopy_64.o' due to: target does not exist" in ln
        for ln in lines)
    # pass 2: FORCE (.PHONY) is all of $? for the stale object
    assert any(ln.endswith("update target 'arch/x86/lib/usercopy_64.o' due to: FORCE")
               for ln in lines)
    assert all(" update target '" in ln for ln in lines)


def test_trace_bad_format_and_kind(capsys):
    assert cli(capsys, "trace", TINY, "--format", "xml")[0] == 2
    code, out, err = cli(capsys, "trace", TINY, "--only", "touch,bogus")
    assert code == 2 and "bogus" in err


def test_step_through_waits_between_steps():
    answers = iter(["\n", "\n", "q\n"])
    out = io.StringIO()
    prompts = []
    n = step_through(["# header\n", "a\n", "b\n", "c\n", "d\n"], out, lambda: next(answers),
                     prompts.append)
    assert out.getvalue() == "# header\na\nb\nc\n" and n == 4 and len(prompts) == 3
    out = io.StringIO()
    n = step_through(["a\n", "b\n", "c\n"], out, lambda: None, lambda p: None)  # EOF
    assert out.getvalue() == "a\nb\nc\n"


def test_trace_step_fed_on_stdin():
    proc = subprocess.run([sys.executable, "-m", "kbsim", "trace", TINY, "--step", "--only",
                           "touch,adjust-end"], input="\n\nq\n", capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    events = [ln for ln in proc.stdout.splitlines() if not ln.startswith("#")]
    assert len(events) == 3  # two Enters, then q after the third step
    assert proc.stderr.count(PROMPT.strip()) == 3


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_trace_step_on_a_terminal():
    import pty
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "kbsim", "trace", TINY, "--step", "--only",
                          "touch"], stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    buf = b""

    def read_until(needle: bytes, timeout: float = 60.0) -> bytes:
        nonlocal buf
        end = time.time() + timeout
        while needle not in buf and time.time() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    buf += os.read(master, 4096)
                except OSError:
                    break
        assert needle in buf, buf[-500:]
        got, buf = buf[:buf.index(needle) + len(needle)], buf[buf.index(needle) + len(needle):]
        return got

    try:
        first = read_until(b"q: quit --")
        assert first.count(b"touches") == 1
        r, _, _ = select.select([master], [], [], 0.7)  # it waits: no further output
        assert not r
        os.write(master, b"\n")
        second = read_until(b"q: quit --")
        assert second.count(b"touches") == 1
        os.write(master, b"q\n")
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)


# ---------------------------------------------------------------- graph
def test_graph_states_and_aliases(tiny_run, tiny_spec):
    G = gr.build_graph(tiny_run)
    stale = {n for n, a in G.nodes(data=True) if a["state"] == "stale"}
    assert stale == needed_exporters(tiny_spec)
    assert G.nodes["FORCE"]["state"] == "phony"
    assert G.nodes["kernel/b.o"]["state"] == "up-to-date"
    inode = "inode:/linux/include/config/ksym/clear/user.h"
    assert G.nodes[inode]["kind"] == "inode"
    assert set(G.predecessors(inode)) == {"include/config/ksym///clear/user.h",
                                          "include/config/ksym/clear/user.h"}
    assert G.has_edge("include/config/ksym///clear/user.h", "arch/x86/lib/usercopy_64.o")
    assert ".PHONY" not in G
    run_ns = run_model(tiny_spec, granularity="ns")
    G2 = gr.build_graph(run_ns)
    rebuilt = {n for n, a in G2.nodes(data=True) if a["state"] == "rebuilt"}
    assert needed_exporters(tiny_spec) <= rebuilt and "kernel/b.o" not in rebuilt


def test_graph_limited_to_a_target(tiny_run):
    G = gr.limit_to(gr.build_graph(tiny_run), "arch/x86/lib/usercopy_64.o")
    t = "arch/x86/lib/usercopy_64.o"
    assert {"arch/x86/lib/usercopy_64.c", "include/linux/x.h", "include/config/bar.h",
            "include/config/ksym///clear/user.h", "arch/x86/lib/lib.a", "vmlinux"} <= set(G)
    assert "kernel/a.o" not in G and "arch/x86/lib/putuser.o" not in G
    assert "inode:/linux/include/config/ksym/clear/user.h" in G
    assert G.nodes[t]["state"] == "stale"


def _graph_file(capsys, tmp_path, fmt) -> Path:
    out = tmp_path / f"g.{fmt}"
    code, _, err = cli(capsys, "graph", TINY, "arch/x86/lib/usercopy_64.o", "--format", fmt,
                       "-o", str(out))
    assert code == 0, err
    assert out.exists()
    return out


def test_graph_exports_load_back(capsys, tmp_path, tiny_run):
    G = gr.limit_to(gr.build_graph(tiny_run), "arch/x86/lib/usercopy_64.o")
    g1 = nx.read_graphml(_graph_file(capsys, tmp_path, "graphml"))
    assert set(g1.nodes) == set(G.nodes) and g1.number_of_edges() == G.number_of_edges()
    assert g1.nodes["arch/x86/lib/usercopy_64.o"]["state"] == "stale"
    assert g1.nodes["arch/x86/lib/usercopy_64.o"]["mtime_ns"] == 1_520_958_000 * NS
    g2 = gr.from_json(_graph_file(capsys, tmp_path, "json").read_text())
    assert set(g2.nodes) == set(G.nodes) and set(g2.edges) == set(G.edges)
    data = json.loads((tmp_path / "g.json").read_text())
    assert nx.node_link_graph({k: v for k, v in data.items() if k != "legend"},
                              edges="edges").number_of_nodes() == G.number_of_nodes()
    mm = _graph_file(capsys, tmp_path, "mermaid").read_text().splitlines()
    assert mm[0] == "flowchart LR"
    assert sum(1 for ln in mm if ":::" in ln) == G.number_of_nodes()
    assert sum(1 for ln in mm if "-->" in ln or "-. same inode .-" in ln
               or "-.->" in ln) == G.number_of_edges()
    dot = _graph_file(capsys, tmp_path, "dot").read_text()
    assert dot.startswith("digraph kbsim {") and '"arch/x86/lib/usercopy_64.o"' in dot
    try:
        import pydot  # noqa: F401
    except ImportError:
        pass
    else:
        g3 = nx.nx_pydot.read_dot(str(tmp_path / "g.dot"))
        assert "arch/x86/lib/usercopy_64.o" in {n.strip('"') for n in g3.nodes}


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_graph_dot_renders_with_graphviz(capsys, tmp_path):
    src = _graph_file(capsys, tmp_path, "dot")
    out = tmp_path / "g.svg"
    proc = subprocess.run(["dot", "-Tsvg", str(src), "-o", str(out)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "Warning" not in proc.stderr, proc.stderr
    svg = out.read_text()
    assert "<svg" in svg and "usercopy_64.o" in svg
    proc = subprocess.run(["dot", "-Tjson", str(src)], capture_output=True, text=True,
                          timeout=60)
    doc = json.loads(proc.stdout)
    names = {o.get("name") for o in doc.get("objects", [])}
    assert "arch/x86/lib/usercopy_64.o" in names


def test_graph_stdout_and_bad_output_paths(capsys, tmp_path):
    code, out, err = cli(capsys, "graph", TINY, "usercopy_64.o")
    assert code == 0 and out.startswith("digraph kbsim {")
    for bad in (str(tmp_path / "no" / "such" / "dir" / "g.dot"), str(tmp_path)):
        code, out, err = cli(capsys, "graph", TINY, "-o", bad)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, out, err = cli(capsys, "graph", TINY, "--format", "png")
    assert code == 2 and "unknown format" in err
    code, out, err = cli(capsys, "graph", TINY, "usercopy64.o")
    assert code == 2 and "arch/x86/lib/usercopy_64.o" in err
    assert list(tmp_path.iterdir()) == []


def test_graph_unwritable_file(capsys, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):  # root ignores the mode
            target = "/proc/kbsim-cannot-write-here.dot"
        else:
            target = str(ro / "g.dot")
        code, out, err = cli(capsys, "graph", TINY, "-o", target)
        assert code == 2 and "cannot write" in err and "Traceback" not in err
        assert not Path(target).exists()
    finally:
        ro.chmod(0o700)


def test_graph_of_a_directory(tmp_path):
    d = v14_dir(tmp_path)
    # V14 with recipes that update their targets: t2 and t5 are rebuilt; t1, t3 and t4 were
    # judged against the stale cached mtime (or before gen ran) and are now out of date
    (d / "Makefile").write_text(V14.replace('@echo "R $@ [$?]"', "touch $@"))
    os.utime(d / "Makefile", ns=(at(0), at(0)))
    G = gr.build_graph(run_dir(str(d), now_ns=at(200)))
    assert {n: G.nodes[n]["state"] for n in ("t1", "t2", "t3", "t4", "t5")} == {
        "t1": "stale", "t2": "rebuilt", "t3": "stale", "t4": "stale", "t5": "rebuilt"}
    assert G.nodes["gen"]["state"] == "phony"
    inode = next(n for n, a in G.nodes(data=True) if a.get("kind") == "inode")
    assert set(G.predecessors(inode)) == {"d/x.h", "d///x.h", "d/../d/x.h"}


# ---------------------------------------------------------------- timeline
def test_timeline_png(capsys, tmp_path):
    mpimg = pytest.importorskip("matplotlib.image")
    out = tmp_path / "t.png"
    code, _, err = cli(capsys, "timeline", TINY, "--symbol", "clear_user", "-o", str(out))
    assert code == 0, err
    img = mpimg.imread(str(out))
    assert img.shape[:2] == (600, 1200)  # 12 x 6 inches at 100 dpi
    rgb = img[..., :3]
    assert float(rgb.std()) > 0.05  # not blank
    colours = {tuple(px) for px in (rgb[::7, ::7].reshape(-1, 3) * 255).astype(int).tolist()}
    assert len(colours) > 20


def test_timeline_data_puts_equal_stamps_on_one_tick(tiny_run):
    pytest.importorskip("matplotlib")
    from kbsim.report.timeline import timeline_data
    td = timeline_data(tiny_run, "clear_user")
    obj = next(ln for ln in td.lanes if ln.kind == "object")
    ksym = next(ln for ln in td.lanes if ln.kind == "ksym")
    assert obj.label == "arch/x86/lib/usercopy_64.o"
    assert "include/config/ksym/clear/user.h" in ksym.label
    assert td.step_ns == NS
    assert obj.writes[0][1] == ksym.writes[0][1] == 1_520_958_000 * NS
    assert td.decision["rebuilt"] is False and td.decision["pass"] == 2


def test_timeline_svg_and_bad_input(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "t.svg"
    code, _, err = cli(capsys, "timeline", TINY, "-o", str(out))
    assert code == 0, err
    assert "<svg" in out.read_text()[:2000]
    for argv, needle in (
            (["-o", str(tmp_path / "t.jpg")], "must end in .png or .svg"),
            (["-o", str(tmp_path / "nodir" / "t.png")], "does not exist"),
            (["-o", str(tmp_path / "x.png"), "--symbol", "clear_usr"], "clear_user")):
        code, _, err = cli(capsys, "timeline", TINY, *argv)
        assert code == 2 and needle in err and "Traceback" not in err, err
    d = v14_dir(tmp_path)
    code, _, err = cli(capsys, "timeline", str(d), "-o", str(tmp_path / "y.png"))
    assert code == 2 and "model" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.svg", "v14"]


def test_timeline_without_matplotlib(capsys, tmp_path, monkeypatch):
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "t.png"
    code, _, err = cli(capsys, "timeline", TINY, "-o", str(out))
    assert code == 2 and "pip install 'kbsim[plot]'" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
