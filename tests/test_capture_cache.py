"""The capture cache (kbsim/tree/capcache.py): a capture that reuses what an earlier
capture read from unchanged files is identical, field by field, to a cold capture of the
same tree, after files are touched, rewritten behind a restored mtime, added and removed.

Expected values come from the trees' construction (tests/capture_trees.py) and from a
capture without any cache; hit and miss counts from the number of files each step
changed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from capture_trees import NS, T, e5_race_tree, e6_linked_tree, listing, put
from elfwriter import kernel_object

from kbsim.kbuild.cmdfile import write_cmd
from kbsim.kbuild.eras import ERAS
from kbsim.kbuild.naming import NAMINGS
from kbsim.tree import capcache
from kbsim.tree.capture import capture
from kbsim.tree.capture_format import dump_capture
from kbsim.tree.detect import era_hints

pytestmark = pytest.mark.usefixtures("default_tier")  # (conftest.py)


def _fields(cap) -> tuple:
    scans = {k: (r.name, r.target, r.source, r.command, r.prefix, r.deps, r.ksymdeps,
                 r.other, r.extra_prereqs, r.problems, r.parser, _structure(r),
                 r.ksym_paths(), r.names(), era_hints(r))
             for k, r in cap._scans.items()}
    return dump_capture(cap, pretty=True), scans


def _structure(r) -> tuple:
    src_cfg, headers, ksyms = r.structure()  # (the cache keeps it too)
    return list(src_cfg), [(h, tuple(c)) for h, c in headers], list(ksyms)


def _trees(base: Path):
    return {"e6-linked": e6_linked_tree(base / "e6", asm_wrapper=None),
            "e5-race": e5_race_tree(base / "e5")}


@pytest.fixture
def settled(monkeypatch):
    """Every file of the tree counts as written long before the capture (the trees are
    written a moment before it, and their ctimes are now)."""
    monkeypatch.setattr(capcache, "_now", lambda: time.time_ns() + 3600 * NS)


def _cached(b, cdir, **kw):
    stats: dict = {}
    cap = capture(str(b), layout="inline", cache_dir=cdir, stats=stats, **kw)
    return cap, stats


def _cold(b, **kw):
    return capture(str(b), layout="inline", **kw)


def _n_cmd(b: Path) -> int:
    return sum(1 for _, _, fs in os.walk(b) for f in fs
               if f.startswith(".") and f.endswith(".cmd"))


@pytest.mark.parametrize("name", ["e6-linked", "e5-race"])
def test_warm_capture_equals_cold_through_changes(tmp_path, settled, name):
    b, s = _trees(tmp_path / "t")[name]
    cdir = tmp_path / "cache"
    cold = _cold(b)
    first, st1 = _cached(b, cdir)
    assert _fields(first) == _fields(cold)
    reads = st1["misses"]
    assert st1["hits"] == 0 and reads >= _n_cmd(b)  # every .cmd file and object read
    warm, st2 = _cached(b, cdir)
    assert st2 == {"hits": reads, "misses": 0}
    assert _fields(warm) == _fields(cold)

    # a source header touched: no file the cache keeps changed; the new mtime is seen
    hdr = next(p for p in (s / "include/linux/x.h", s / "include/linux/export.h")
               if p.exists())
    os.utime(hdr, ns=(T + 500 * NS, T + 500 * NS))
    warm, st = _cached(b, cdir)
    assert st == {"hits": reads, "misses": 0}
    assert _fields(warm) == _fields(_cold(b))

    # a .cmd file rewritten with another command of the same size, its mtime set back
    # (touch -d): only its ctime says it changed
    cmdf = next(b.rglob(".vmlinux.cmd"))
    before = cmdf.read_text()
    m = cmdf.stat().st_mtime_ns
    after = before.replace('"ld"', '"LD"')
    assert len(after) == len(before) and after != before
    put(cmdf, after, m)
    warm, st = _cached(b, cdir)
    assert st == {"hits": reads - 1, "misses": 1}
    assert warm._scans[".vmlinux.cmd"].command.endswith('"LD"')
    assert _fields(warm) == _fields(_cold(b))

    # an object's exports changed behind a restored mtime
    obj = b / "vmlinux.o"
    m = obj.stat().st_mtime_ns
    style = {"style": "6.5"} if name == "e6-linked" else {}
    put(obj, kernel_object([], ["new_marker"], **style), m)
    warm, st = _cached(b, cdir)
    assert st["misses"] == 1
    assert warm.objects["vmlinux.o"].markers == ["new_marker"]
    assert _fields(warm) == _fields(_cold(b))

    # a new .cmd file (and its object), then a .cmd file and an object removed
    e = ERAS["e6" if name == "e6-linked" else "e5"]
    put(b / "lib/.extra.o.cmd", write_cmd(e, NAMINGS["e5-raw"], "lib/extra.o",
                                          f"gcc -c -o lib/extra.o {s}/lib/extra.c",
                                          f"{s}/lib/extra.c", [], [], []), T + 60 * NS)
    put(b / "lib/extra.o", "", T + 60 * NS)
    warm, st = _cached(b, cdir)
    assert st["misses"] == 1 and "lib/extra.o" in warm._scans[
        "lib/.extra.o.cmd"].target
    assert _fields(warm) == _fields(_cold(b))
    (b / "lib/.extra.o.cmd").unlink()
    obj.unlink()
    warm, st = _cached(b, cdir)
    assert st["misses"] == 0 and "lib/.extra.o.cmd" not in warm._scans
    assert "vmlinux.o" not in warm.objects
    assert _fields(warm) == _fields(_cold(b))
    # the file no longer keeps the removed files: the next run reads nothing either
    warm, st = _cached(b, cdir)
    assert st == {"hits": st["hits"], "misses": 0}
    assert _fields(warm) == _fields(_cold(b))


def test_racily_clean_files_are_read_again(tmp_path):
    """Files changed less than RACY_NS before the capture began are not kept: they could
    change again within the same timestamp tick without changing their stat."""
    b, _ = e6_linked_tree(tmp_path / "t")
    cdir = tmp_path / "cache"
    _, st1 = _cached(b, cdir)  # the tree was just written: every ctime is now
    _, st2 = _cached(b, cdir)
    assert st2 == {"hits": 0, "misses": st1["misses"]}


def test_entry_used_only_with_its_exact_signature(tmp_path):
    c = capcache.CaptureCache(tmp_path, "/b", None, "m", now_ns=100 * NS)
    sig = (10 * NS, 5, 7, 10 * NS)
    from kbsim.tree.cmdscan import scan_cmd
    r = scan_cmd("cmd_x.o := cc\n", ".x.o.cmd")
    c.put_scan(".x.o.cmd", sig, r)
    c.put_scan(".racy.cmd", (10 * NS, 5, 7, 99 * NS), r)  # ctime 1 s before the start
    c.save()
    d = capcache.CaptureCache(tmp_path, "/b", None, "m").load()
    assert ".racy.cmd" not in d.old_cmd
    assert d.scan(".x.o.cmd", sig, 5).command == "cc"
    for other in [(11 * NS, 5, 7, 10 * NS), (10 * NS, 6, 7, 10 * NS),
                  (10 * NS, 5, 8, 10 * NS), (10 * NS, 5, 7, 12 * NS), None]:
        assert d.scan(".x.o.cmd", other, 5) is None
    assert d.scan(".x.o.cmd", sig, 4) is None  # fewer bytes read than the stat said
    # another build directory or mode: another file
    assert not capcache.CaptureCache(tmp_path, "/b", None, "m2").load().old_cmd


@pytest.mark.parametrize("damage", [b"", b"not zlib", None])
def test_damaged_cache_file_is_one_warning_and_ignored(tmp_path, settled, damage):
    b, _ = e5_race_tree(tmp_path / "t")
    cdir = tmp_path / "cache"
    _cached(b, cdir)
    (f,) = (cdir / capcache.SUBDIR).iterdir()
    if damage is None:  # a valid file of another format: a foreign document
        from kbsim.plan.store import save_data
        save_data(f, {"format": capcache.FORMAT, "code": "x", "cmd": {}, "obj": {}})
    else:
        f.write_bytes(damage)
    said: list[str] = []
    warm, st = _cached(b, cdir, warn=said.append)
    assert len(said) == 1 and said[0].startswith("capture cache ") and str(f) in said[0]
    assert st["hits"] == 0
    assert _fields(warm) == _fields(_cold(b))
    warm, st = _cached(b, cdir)  # rewritten
    assert st["misses"] == 0


def test_replay_of_a_build_dir_warm_equals_no_cache_and_writes_nothing_there(
        tmp_path, settled):
    from test_capture import run_cli
    b, s = e6_linked_tree(tmp_path / "t")
    cdir = tmp_path / "cache"
    before = listing(b, s)
    cold = run_cli(["replay", b, "--json", "--no-cache"])
    assert cold.exit_code in (0, 1), cold.output
    for _ in range(2):
        warm = run_cli(["replay", b, "--json", "--cache-dir", cdir])
        assert warm.stdout == cold.stdout
    assert any((cdir / capcache.SUBDIR).iterdir())
    assert listing(b, s) == before
    # a cache directory inside the build directory is refused (exit 2), nothing written
    r = run_cli(["replay", b, "--json", "--cache-dir", b / "cache"])
    assert r.exit_code == 2 and "inside" in r.stderr
    assert listing(b, s) == before


_KSYM_NAMES = ["include/ksym/a", "ksym/b", "x/ksym", "ksym", "include/generated/autoksyms.h",
               "include/ksymx/c", "include/config/ksym/d.h", "a//ksym//e", "ksyms/f"]


@pytest.mark.parametrize("era", list(ERAS))
def test_scan_views_equal_the_make_readers(era):
    """ScanResult's derived views (structure, ksym_paths, names; the capture and the
    cache use them, with C-speed shortcuts for names without a "ksym" component) equal
    those of the CmdFile the make engine's reader builds, for every era's writer output
    with ksym-like names in every position, and for the real 6.1 files."""
    from kbsim.kbuild.cmdfile import parse_cmd
    from kbsim.kbuild.naming import get_naming
    from kbsim.tree.cmdscan import scan_cmd
    e = ERAS[era]
    texts = []
    for k in range(len(_KSYM_NAMES)):
        hs = [(_KSYM_NAMES[k], ["FOO"]), ("include/a.h", ["BAR"]),
              (_KSYM_NAMES[-1 - k], [])]
        texts.append(write_cmd(e, get_naming(None, e.naming), "d/x.o", "cc", "d/x.c", hs,
                               ["BAZ"], ["__clear_user", "sym"] if k % 2 else []))
        texts.append(f"cmd_d/x.o := cc\n\ndeps_d/x.o := \\\n  {_KSYM_NAMES[k]} \\\n"
                     f"  $(wildcard {_KSYM_NAMES[k]}) \\\n  $(wildcard {_KSYM_NAMES[-1 - k]}) "
                     f"\\\n\nd/x.o: $(deps_d/x.o)\n\n$(deps_d/x.o):\n")
    fix = Path(__file__).resolve().parents[1] / "models" / "fixtures" / "linux-6.1"
    if era == "e5":
        texts += [p.read_text() for p in sorted(fix.rglob("*.cmd"))]
    for text in texts:
        r, cf = scan_cmd(text, "x"), parse_cmd(text, "x")
        src_cfg, headers, ksyms = r.structure()
        assert (list(src_cfg), [(h, list(c)) for h, c in headers], list(ksyms)) == \
            cf.structure()
        assert scan_cmd(text, "x").ksym_paths() == cf.ksym_deps() == r.ksym_paths()
        assert r.names() == list(dict.fromkeys(
            [n for n in (cf.target, cf.source) if n] + [d.path for d in cf.deps]
            + [d.path for d in cf.ksymdeps] + r.extra_prereqs))


def test_capture_diagnose_aliases_use_the_cache(tmp_path, settled):
    """kbsim capture, diagnose and aliases on a build directory keep and reuse the
    capture cache (--cache-dir), with the outputs of --no-cache; a cache directory inside
    the build directory is refused."""
    from test_capture import run_cli
    b, s = e5_race_tree(tmp_path / "t")
    cdir = tmp_path / "cache"
    before = listing(b, s)
    runs = {"capture": ["capture", b, "-o", "-", "-q"],
            "diagnose": ["diagnose", b, "-s", "tcp_rate_check_app_limited", "--json"],
            "aliases": ["aliases", b, "--json"]}
    for name, argv in runs.items():
        cold = run_cli(argv + ["--no-cache"])
        assert cold.exit_code in (0, 1), cold.output
        assert not cdir.exists()
        for _ in range(2):
            warm = run_cli(argv + ["--cache-dir", cdir])
            assert (warm.exit_code, warm.stdout) == (cold.exit_code, cold.stdout), name
        (f,) = (cdir / capcache.SUBDIR).iterdir()
        stats: dict = {}
        capture(str(b), cache_dir=cdir, stats=stats)
        assert stats["misses"] == 0 and stats["hits"] > 0
        r = run_cli(argv + ["--cache-dir", b / "c"])
        assert r.exit_code == 2 and "inside" in r.stderr, name
        import shutil
        shutil.rmtree(cdir)
    assert listing(b, s) == before
