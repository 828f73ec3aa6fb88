"""kbsim diagnose and kbsim aliases, on trees whose timestamps the tests set, and on the
state a kbsim replay of the 2018 failure leaves behind."""

from __future__ import annotations

import json

import pytest
from capture_trees import NS, T, e1_tree, e5_tree
from test_capture import run_cli

from kbsim.tree.aliases import find_aliases
from kbsim.tree.capture import capture, capture_simfs
from kbsim.tree.captured import CapturedTree
from kbsim.tree.diagnose import diagnose


def _diag(tmp_path, sym="a_export", **kw):
    b, _ = e5_tree(tmp_path, **kw)
    return diagnose(CapturedTree(capture(str(b))), sym)


# obj at T+10 unless changed; each row sets what the case needs and nothing else
CASES = [
    ("ok", dict()),
    ("same-tick", dict(obj_exports=(), auto_mtime=T + 12 * NS, ksym_mtime=T + 10 * NS)),
    ("stale-not-rebuilt", dict(obj_exports=(), auto_mtime=T + 12 * NS,
                               ksym_mtime=T + 11 * NS)),
    ("ksym-file-not-touched", dict(obj_exports=(), auto_mtime=T + 12 * NS,
                                   ksym_mtime=T + 9 * NS)),
    ("ksym-file-missing", dict(obj_exports=(), auto_mtime=T + 12 * NS, ksym_mtime=None)),
    ("object-newer-than-autoksyms", dict(obj_exports=(), auto_mtime=T + 4 * NS)),
    ("not-in-autoksyms", dict(obj_exports=(), auto_syms=("printk",))),
    ("not-needed", dict(obj_exports=(), auto_syms=("printk",), module_needs=("printk",))),
]


@pytest.mark.parametrize("case,kw", CASES, ids=[c for c, _ in CASES])
def test_diagnose_cases(tmp_path, case, kw):
    d = _diag(tmp_path, **kw)
    assert d.case == case
    assert d.cases[0] == case
    assert d.problem == (case not in ("ok", "not-needed"))
    assert d.explanation, "every case is explained in prose"
    assert [e.object for e in d.exporters] == ["lib/a.o"]
    e = d.exporters[0]
    assert e.compiled_exports_have_symbol == ("a_export" in kw.get("obj_exports",
                                                                    ("a_export",)))
    assert e.mtime_ns == kw.get("obj_mtime", T + 10 * NS)
    ks = kw.get("ksym_mtime", T + 5 * NS)
    assert e.ksym_file.path == "include/ksym/a_export"
    assert (e.ksym_file.present, e.ksym_file.mtime_ns) == (ks is not None, ks)
    assert [s.name for s in e.spellings] == ["include/ksym/a_export"]
    assert "aliased-ksym-file" not in d.cases


def test_diagnose_no_exporter(tmp_path):
    d = _diag(tmp_path, "ghost", module_needs=("ghost",), auto_syms=("ghost",))
    assert d.case == "no-exporter" and d.exporters == []
    assert [n.module for n in d.needed_by] == ["lib/m.ko"]
    assert d.needed_by[0].source == "lib/m.usyms"


def test_diagnose_e1_same_second_and_aliases(tmp_path):
    """The seed message's tree: usercopy_64.o and include/config/ksym///clear/user.h in one
    second, two names for that file in the object's .cmd."""
    ct = CapturedTree(capture(str(e1_tree(tmp_path))))
    for sym, mod in (("clear_user", "drivers/media/v4l2-core/videodev.ko"),
                     ("__clear_user", "arch/x86/kvm/kvm.ko")):
        d = diagnose(ct, sym)
        assert d.cases == ["same-tick", "aliased-ksym-file"]
        assert [n.module for n in d.needed_by] == [mod]
        assert d.needed_by[0].source.endswith(".mod line 3")
        (e,) = d.exporters
        assert e.object == "arch/x86/lib/usercopy_64.o"
        assert e.compiled_exports_have_symbol is False
        assert e.mtime_ns == e.ksym_file.mtime_ns == T + 100 * NS
        assert [s.name for s in e.spellings] == ["include/config/ksym///clear/user.h",
                                                 "include/config/ksym/clear/user.h"]
        assert e.shared_with == sorted({"clear_user", "__clear_user"} - {sym})
    d = diagnose(ct, "__put_user_8")
    assert d.case == "ok" and d.exporters[0].object == "arch/x86/lib/putuser.o"
    ct2 = CapturedTree(capture(str(e1_tree(tmp_path / "later", same_tick=False))))
    assert diagnose(ct2, "clear_user").case == "stale-not-rebuilt"


def test_aliases_e1(tmp_path):
    rep = find_aliases(CapturedTree(capture(str(e1_tree(tmp_path)))))
    (s,) = [x for x in rep.sets if x.kind == "ksym"]
    assert s.path == "include/config/ksym/clear/user.h"
    assert s.present and s.mtime_ns == T + 100 * NS
    assert [(x.name, x.targets) for x in s.spellings] == [
        ("include/config/ksym///clear/user.h", ["arch/x86/lib/usercopy_64.o"]),
        ("include/config/ksym/clear/user.h", ["arch/x86/lib/usercopy_64.o"])]
    assert s.distinct_make_files == 2


def test_aliases_dot_and_dotdot(tmp_path):
    """'./x', 'd/../x' and 'x' are one file; make sees './x' and 'x' as one name."""
    from capture_trees import put
    from kbsim.kbuild.cmdfile import write_cmd
    from kbsim.kbuild.eras import ERAS
    from kbsim.kbuild.naming import NAMINGS
    b = tmp_path / "b"
    put(b / "include/linux/h.h", "")
    (b / "d").mkdir()
    for t, h in (("d/a.o", "./include/linux/h.h"), ("d/b.o", "d/../include/linux/h.h"),
                 ("d/c.o", "include/linux/h.h"), ("d/e.o", "include//linux/h.h")):
        put(b / f"d/.{t[2:]}.cmd", write_cmd(ERAS["e5"], NAMINGS["e5-raw"], t, "cc", "d/x.c",
                                              [(h, [])], [], []))
    rep = find_aliases(CapturedTree(capture(str(b))))
    (s,) = [x for x in rep.sets if x.path == "include/linux/h.h"]
    assert {x.name: x.targets for x in s.spellings} == {
        "./include/linux/h.h": ["d/a.o"], "d/../include/linux/h.h": ["d/b.o"],
        "include/linux/h.h": ["d/c.o"], "include//linux/h.h": ["d/e.o"]}
    assert s.distinct_make_files == 3  # ./include/linux/h.h is make's include/linux/h.h


def test_cli_diagnose_and_aliases(tmp_path):
    b = e1_tree(tmp_path)
    r = run_cli(["diagnose", b, "--symbol", "clear_user"])
    assert r.exit_code == 1  # a problem found
    assert "symbol clear_user: same-tick" in r.stdout
    assert "include/config/ksym///clear/user.h" in r.stdout
    r = run_cli(["diagnose", b, "--symbol", "__put_user_8", "--json"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["era"] == "e1" and data["diagnoses"][0]["case"] == "ok"
    r = run_cli(["aliases", b, "--json", "--kind", "ksym"])
    assert r.exit_code == 0
    assert [s["path"] for s in json.loads(r.stdout)["sets"]] == [
        "include/config/ksym/clear/user.h"]
    r = run_cli(["aliases", b])
    assert "include/config/ksym///clear/user.h" in r.stdout
    assert run_cli(["aliases", b, "--kind", "nope"]).exit_code == 2


# ---------------------------------------------------------------------- replayed state
@pytest.fixture(scope="module")
def lindroth_seed0():
    """kbsim's replay of the 2018 model with a failing seed (the model's own comments and
    test_kbuild_replay: seed 0 leaves usercopy_64.o stale and modpost fails)."""
    from kbsim.kbuild.replay import replay
    from kbsim.tree.registry import load_spec
    spec, _ = load_spec("lindroth-2018")
    return replay(spec, seed=0)


@pytest.mark.slow
def test_diagnose_replayed_failure(lindroth_seed0):
    r = lindroth_seed0
    stale = {s.target: s for s in r.stale}
    assert "arch/x86/lib/usercopy_64.o" in stale  # the replay's own verdict
    cap = capture_simfs(r.fs, "/linux")
    assert cap.era.era == "e1" and cap.granularity.granularity == "1s"
    assert cap.elf == "kbsim"
    ct = CapturedTree(cap)
    obj = "/linux/arch/x86/lib/usercopy_64.o"
    for line in r.modpost_errors:
        sym = line.split('"')[1]
        d = diagnose(ct, sym)
        (e,) = d.exporters
        assert e.object == "arch/x86/lib/usercopy_64.o"
        assert sym in stale[e.object].missing
        ksym = r.fs.mtime("/linux/" + r.naming.adjust_ksym(sym))
        expect = "same-tick" if ksym == r.fs.mtime(obj) else "stale-not-rebuilt"
        assert d.case == expect
        assert e.mtime_ns == r.fs.mtime(obj)
        assert "aliased-ksym-file" in d.cases
    ok = next(s for s in ("__put_user_8", "__put_user_1") if s not in " ".join(
        r.modpost_errors))
    assert diagnose(ct, ok).case == "ok"
