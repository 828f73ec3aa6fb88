"""`kbsim explain BUILD_DIR TARGET` on a real-shaped tree that hit the 1-second race
(issue 17): tcp_rate.o and include/ksym/tcp_rate_check_app_limited stamped in the same
second, modpost failing for drivers/net/dummy.ko.

The tree is tests/capture_trees.py's e5_race_tree (every mtime set there); its capture is
committed as tests/data/race-6.1.json.gz so the case stays tested from a file too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from capture_trees import e5_race_tree
from test_capture import run_cli as _run_cli

from kbsim.kbuild import replay
from kbsim.tree.capture import capture
from kbsim.tree.capture_format import load_capture
from kbsim.tree.captured import CapturedTree
from kbsim.tree.diagnose import diagnose
from kbsim.tree.incremental import spec_from_capture

DATA = Path(__file__).resolve().parent / "data" / "race-6.1.json.gz"
SYM = "tcp_rate_check_app_limited"
MODPOST = f'ERROR: modpost: "{SYM}" [drivers/net/dummy.ko] undefined!'


@pytest.fixture
def run_cli():
    return _run_cli


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    b, _ = e5_race_tree(tmp_path_factory.mktemp("race"))
    return b


def test_the_race_tree_replays_to_the_modpost_failure(tree):
    r = replay(spec_from_capture(capture(str(tree))), jobs=2)
    assert r.modpost_errors == [MODPOST] and r.exit_code == 1
    assert [a.changed for a in r.adjusts] == [0]
    # modpost writes nothing once an error occurred (modpost.c write_buf): no
    # Module.symvers, so .DELETE_ON_ERROR has nothing to delete (a real 6.1 make that
    # failed so left Module.symvers as it was)
    assert [(x["stage"], x["target"]) for x in r.rebuilds() if x["writes"]] == [
        ("prepare", "source")]
    assert not any("Deleting file" in e for e in r.make_errors)


def test_diagnose_says_same_tick(tree):
    d = diagnose(CapturedTree(capture(str(tree))), SYM)
    assert d.case == "same-tick"
    assert d.exporters[0].object == "net/ipv4/tcp_rate.o"


def test_explain_build_dir_object(tree, run_cli):
    res = run_cli(["explain", str(tree), "net/ipv4/tcp_rate.o", "--json"])
    assert res.exit_code == 0, res.output
    ex = json.loads(res.output)
    assert ex["verdict"] == "not rebuilt"
    assert ex["run"]["captured"] is True
    d = ex["decisions"][-1]
    # the sub-make that considered it, with its own command line
    assert d["command"] == "make[3] -f scripts/Makefile.build obj=net/ipv4"
    assert ex["counterfactual"]["prerequisite"] == f"include/ksym/{SYM}"
    assert ex["counterfactual"]["target_mtime_ns"] == \
        ex["counterfactual"]["prerequisite_mtime_ns"]  # equal: the same second
    assert ex["counterfactual"]["smallest_storable_ns"] == \
        ex["counterfactual"]["target_mtime_ns"] + 1_000_000_000
    assert ex["check"]["confirmed"] is True
    assert ex["check"]["rebuilt_with_change"] and not ex["check"]["rebuilt_without_change"]
    text = run_cli(["explain", str(tree), "net/ipv4/tcp_rate.o", "--no-check"]).output
    head = text.splitlines()[0]
    assert "captured tree" in head and "seed" not in head and "guard" not in head
    assert "EQUAL" in text


def test_explain_link_target_and_module(tree, run_cli):
    ex = json.loads(run_cli(["explain", str(tree), "crypto/crypto.o", "--json",
                             "--no-check"]).output)
    assert ex["verdict"] == "not rebuilt"
    assert [d for d in ex["decisions"] if d["has_recipe"]][-1]["command"] == "make[2] -f scripts/Makefile.build obj=crypto"
    names = [p["name"] for p in
             [d for d in ex["decisions"] if d["has_recipe"]][-1]["prereqs"]]
    assert names[:3] == ["crypto/crypto.mod", "crypto/api.o", "crypto/cipher.o"]
    ko = json.loads(run_cli(["explain", str(tree), "drivers/net/dummy.ko", "--json"]).output)
    assert ko["verdict"] == "not considered"
    assert "scripts/Makefile.modfinal" in ko["why"] and MODPOST in ko["why"]


def test_the_committed_capture_reproduces_it(run_cli):
    cap = load_capture(DATA)
    r = replay(spec_from_capture(cap), jobs=2)
    assert r.modpost_errors == [MODPOST]
    ex = json.loads(run_cli(["explain", str(DATA), "net/ipv4/tcp_rate.o", "--json"]).output)
    assert ex["verdict"] == "not rebuilt" and ex["check"]["confirmed"] is True
