"""The committed capture of a real Linux 6.1 build (models/linux-6.1-tinyconfig.json.gz),
checked against facts recorded independently when the tree was built: the files and
`stat` lines in models/fixtures/linux-6.1/ (README.md) and its build log.

The integration tests at the end capture the real tree itself, when it exists
(examples/real-kernel/build-linux.sh 6.1; opt-in: pytest -m integration)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from kbsim.tree.capture_format import FORMAT, cmd_text, load_capture
from kbsim.tree.captured import to_spec
from kbsim.tree.captured import CapturedTree
from kbsim.tree.diagnose import diagnose
from kbsim.tree.registry import resolve

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "models" / "fixtures" / "linux-6.1"
BUILD = "/work/kernel/build-6.1"


@pytest.fixture(scope="module")
def cap():
    return load_capture(resolve("linux-6.1-tinyconfig"))


def _readme_stats() -> dict[str, int]:
    """'path size seconds.nanoseconds' lines of the fixture README (its stat records)."""
    out = {}
    for m in re.finditer(r"(?m)^`?([\w./-]+) (\d+) (\d+)\.(\d{9})`?", (FIX / "README.md")
                         .read_text()):
        out[m.group(1)] = int(m.group(3)) * 10 ** 9 + int(m.group(4))
    for m in re.finditer(r"\| `([\w./-]+) (\d+) (\d+)\.(\d{9})` \|", (FIX / "README.md")
                         .read_text()):
        out[m.group(1)] = int(m.group(3)) * 10 ** 9 + int(m.group(4))
    return out


def test_committed_capture_is_small_and_current(cap):
    p = resolve("linux-6.1-tinyconfig")
    assert p.stat().st_size < 300 * 1024
    assert cap.format == FORMAT
    assert cap.build_dir == BUILD
    assert len(cap.cmd_files) == 1382  # README: 1383 .cmd files, one is auto.conf.cmd
    assert not cap.partial


def test_cmd_texts_equal_the_fixture_files(cap):
    by_path = {e.path: e for e in cap.cmd_files}
    checked = 0
    for f in FIX.rglob(".*.cmd"):
        rel = f.relative_to(FIX).as_posix()
        assert cmd_text(cap, by_path[rel]) == f.read_text(), rel
        checked += 1
    assert checked >= 9


def test_stored_scans_equal_the_scans_of_the_texts(cap):
    """Format 2 stores each .cmd file's scan; it must read back as the scanner reads the
    text (the one file the make reader parses has none: it is scanned), and its grouping
    of dependencies (made from the shared runs) must be the scanned file's."""
    from kbsim.tree.cmdscan import scan_cmd
    fields = ("target", "source", "command", "prefix", "deps", "ksymdeps", "other",
              "extra_prereqs", "problems", "parser")
    stored = CapturedTree(cap).scans
    assert sum(e.scan is not None for e in cap.cmd_files) >= 1381
    for e in cap.cmd_files:
        r = scan_cmd(cmd_text(cap, e), e.path)
        got = stored[e.path]
        assert [getattr(got, f) for f in fields] == [getattr(r, f) for f in fields], e.path
        assert got.structure() == r.structure() and got.ksym_paths() == r.ksym_paths()


def test_state_files_equal_the_fixtures(cap):
    assert cap.autoksyms.text == (FIX / "include/generated/autoksyms.h").read_text()
    assert cap.modules_order.text == (FIX / "modules.order").read_text()
    # auto.conf is truncated in the fixture: its first 40 lines
    assert cap.auto_conf.text.startswith((FIX / "include/config/auto.conf").read_text())
    usyms = {t.path: t.text for t in cap.usyms_files}
    mods = {t.path: t.text for t in cap.mod_files}
    for rel in ("lib/test_static_keys.usyms", "lib/test_user_copy.usyms",
                "lib/test_static_key_base.usyms"):
        assert usyms[rel] == (FIX / rel).read_text()
    for rel in ("lib/test_static_keys.mod", "crypto/crypto_hash.mod"):
        assert mods[rel] == (FIX / rel).read_text()


def test_mtimes_equal_the_recorded_stat_lines(cap):
    stats = _readme_stats()
    assert len(stats) >= 25
    cmd_m = {e.path: e.mtime_ns for e in cap.cmd_files}
    text_m = {t.path: t.mtime_ns for t in [cap.autoksyms, cap.auto_conf, cap.modules_order,
                                            *cap.mod_files, *cap.usyms_files]}
    for path, ns in stats.items():
        got = cmd_m.get(path, text_m.get(path, cap.mtimes.get(path)))
        assert got == ns, path


def test_era_granularity_and_exports(cap):
    # .usyms files (v5.19+), cmd_ lines (savedcmd_ from v6.2): the README's 6.1.192
    assert cap.era.era == "e5" and cap.era.versions == "v5.19-v6.1"
    # README: nanosecond fields, most stamps from a coarse HZ=250 clock, many equal mtimes
    assert cap.granularity.granularity == "multigrain"
    assert cap.granularity.tick_ns == 4_000_000
    assert cap.granularity.equal_mtime_files > 500
    wanted = set(l[15:-2] for l in (FIX / "include/generated/autoksyms.h").read_text()
                 .splitlines() if l.startswith("#define __KSYM_"))
    put = cap.objects["arch/x86/lib/putuser.o"]
    assert len(put.markers) == 8  # README: ksymdeps_ lists all 8 candidates
    assert set(put.exports) == {m for m in put.markers if m in wanted}
    assert set(cap.objects["lib/test_static_key_base.o"].exports) <= wanted


def test_diagnose_real_tree(cap):
    ct = CapturedTree(cap)
    d = diagnose(ct, "__put_user_8")
    assert d.case == "ok" and d.exporters[0].object == "arch/x86/lib/putuser.o"
    assert [n.module for n in d.needed_by] == ["lib/test_user_copy.ko"]
    assert diagnose(ct, "__put_user_nocheck_8").case == "not-needed"


@pytest.mark.slow
def test_replay_from_clean_matches_the_real_first_build(cap):
    """README build log: 'KSYMS symbols: before=0, after=104, changed=104', then pass 2
    recompiled 33 objects, then changed=0."""
    from kbsim.kbuild.replay import replay
    r = replay(to_spec(cap), jobs=2)
    a = r.adjusts
    assert (a[0].before, a[0].after, a[0].changed) == (0, 104, 104)
    assert a[-1].changed == 0
    assert sum(1 for c in r.compiles if c.pass_no == 2) == 33
    assert r.exit_code == 0


# ---------------------------------------------------------------------- the real tree
needs_tree = pytest.mark.skipif(not os.path.isdir(BUILD), reason=f"{BUILD} not built")


@pytest.mark.integration
@needs_tree
def test_capture_real_tree_read_only_and_fast(tmp_path):
    from capture_trees import listing

    from kbsim.kbuild.cmdfile import parse_cmd
    from kbsim.tree.capture import capture
    from kbsim.tree.cmdscan import scan_cmd
    before = listing(Path(BUILD))
    t = time.perf_counter()
    c = capture(BUILD)
    secs = time.perf_counter() - t
    assert listing(Path(BUILD)) == before
    assert secs < 15
    assert len(c.cmd_files) == 1382 and not c.partial
    for e in c.cmd_files:
        text = cmd_text(c, e)
        assert scan_cmd(text, e.path).cmd == parse_cmd(text, e.path), e.path
