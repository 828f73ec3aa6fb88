"""The committed capture of a real Linux 6.12 build (models/linux-6.12-tinyconfig.json.gz):
Debian's linux-source-6.12 (6.12.118) built by examples/real-kernel/build-linux.sh 6.12
(tinyconfig + MODULES + TRIM_UNUSED_KSYMS + 16 tristates as modules), settled by a second
make. Facts checked here were recorded from the build independently: `find -name
'.*.cmd' | wc -l` gave 1475, the build script printed modules.order (22 modules, first
crypto/crypto.o), and a no-op make on the settled tree changed the mtimes of exactly
source, Makefile, .missing-syscalls.d and arch/x86_64/boot/bzImage (lstat; .cmd files
aside)."""

from __future__ import annotations

import json

import pytest
from test_capture import run_cli

from kbsim.kbuild import replay
from kbsim.tree.capture_format import FORMAT, load_capture
from kbsim.tree.captured import CapturedTree
from kbsim.tree.diagnose import diagnose
from kbsim.tree.incremental import spec_from_capture
from kbsim.tree.registry import resolve


@pytest.fixture(scope="module")
def cap():
    return load_capture(resolve("linux-6.12-tinyconfig"))


def test_committed_capture_is_small_and_current(cap):
    assert resolve("linux-6.12-tinyconfig").stat().st_size < 300 * 1024
    assert cap.format == FORMAT and not cap.partial
    assert cap.build_dir == "/work/kernels/build-6.12"
    assert len(cap.cmd_files) == 1475


def test_era_formats_and_modules(cap):
    assert cap.era.era == "e6" and cap.kernel_release.text.strip() == "6.12.118"
    ct = CapturedTree(cap)
    assert ct.formats == {"cmd_prefix": "savedcmd_", "modorder_ext": ".o"}
    assert len(ct.modules) == 22 and ct.modules[0] == "crypto/crypto.ko"
    assert ct.module_members("crypto/crypto.ko")[:3] == [
        "crypto/api.o", "crypto/cipher.o", "crypto/compress.o"]


def test_settled_replay_is_what_a_no_op_make_does(cap):
    r = replay(spec_from_capture(cap), jobs=2)
    assert r.exit_code == 0 and r.compiles == []
    writes = sorted(w for x in r.rebuilds() for w in x["writes"])
    assert writes == [".missing-syscalls.d", "Makefile", "arch/x86_64/boot/bzImage",
                      "source"]


def test_diagnose_on_612(cap):
    ct = CapturedTree(cap)
    assert diagnose(ct, "crc8").case == "not-needed"
    d = diagnose(ct, "crypto_create_tfm_node")
    assert d.case == "ok" and d.exporters[0].object == "crypto/crypto.o"


def test_aliases_and_explain_on_612(tmp_path):
    res = run_cli(["aliases", "linux-6.12-tinyconfig"])
    assert res.exit_code == 0
    assert "arch/x86/boot/compressed/../bitops.h" in res.output
    ex = json.loads(run_cli(["explain", "linux-6.12-tinyconfig", "lib/built-in.a", "--json",
                             "--no-check"]).output)
    assert ex["verdict"] == "not rebuilt"
    assert [d for d in ex["decisions"] if d["has_recipe"]][-1]["command"] == "make[2] -f scripts/Makefile.build obj=lib"
