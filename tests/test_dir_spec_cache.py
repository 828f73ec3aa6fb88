"""The build directory's spec cache (kbsim/tree/dircache.py): a replay of a build
directory that takes its spec from the cache gives the result of a replay without any
cache, and the cache is used only while every answer its capture got is the same again
(a source header touched, a .cmd file rewritten behind a restored mtime, a file added, a
source makefile changed, another environment: each one builds the spec again). A damaged,
truncated or foreign file is one warning line and is rewritten; nothing is written
outside the cache directory.

Expected outputs come from `kbsim replay --no-cache` on the same tree (the capture and
spec built with no cache at all)."""

from __future__ import annotations

import dataclasses
import os
import pickle
import time

import pytest
from capture_trees import NS, T, e5_race_tree, e6_linked_tree, listing, put
from test_capture import run_cli

from kbsim.plan.store import compress, save_data
from kbsim.tree import capcache, dircache

pytestmark = pytest.mark.usefixtures("default_tier")  # (conftest.py)


@pytest.fixture
def settled(monkeypatch):
    """Every file of the tree counts as written long before the capture (the trees are
    written a moment before it, and their ctimes are now)."""
    monkeypatch.setattr(capcache, "_now", lambda: time.time_ns() + 3600 * NS)


@pytest.fixture
def captures(monkeypatch):
    """How many times a build directory was captured (the spec built again)."""
    import kbsim.tree.capture as cap_mod
    real = cap_mod.capture
    n = [0]

    def counted(*a, **k):
        n[0] += 1
        return real(*a, **k)
    monkeypatch.setattr(cap_mod, "capture", counted)
    return n


def _replay(b, *extra):
    r = run_cli(["replay", b, "--json", *extra])
    assert r.exit_code in (0, 1), r.output
    return r


def _check(b, cdir, captures, *, built: bool):
    """A replay with the cache equals one without; BUILT: whether it captured."""
    n0 = captures[0]
    warm = _replay(b, "--cache-dir", cdir)
    cold = _replay(b, "--no-cache")
    assert captures[0] - n0 == (2 if built else 1)  # (the --no-cache run captures)
    assert warm.stdout == cold.stdout
    assert warm.stderr == cold.stderr
    return warm


@pytest.mark.parametrize("tree", ["e6-linked", "e5-race"])
def test_spec_cache_equals_no_cache_through_changes(tmp_path, settled, captures, tree):
    make = e6_linked_tree if tree == "e6-linked" else e5_race_tree
    b, s = make(tmp_path / "t")
    cdir = tmp_path / "cache"
    before = listing(b, s)
    _check(b, cdir, captures, built=True)
    assert len(list((cdir / dircache.SUBDIR).iterdir())) == 1
    _check(b, cdir, captures, built=False)  # the spec from the cache

    # a source header touched (only its stat changes): built again
    hdr = next(p for p in (s / "include/linux/x.h", s / "include/linux/export.h")
               if p.exists())
    os.utime(hdr, ns=(T + 500 * NS, T + 500 * NS))
    _check(b, cdir, captures, built=True)
    _check(b, cdir, captures, built=False)

    # a .cmd file rewritten with a command of the same size, its mtime set back: only
    # its ctime says so
    cmdf = next(b.rglob(".vmlinux.cmd"))
    text = cmdf.read_text()
    m = cmdf.stat().st_mtime_ns
    put(cmdf, text.replace('"ld"', '"LD"'), m)
    assert len(cmdf.read_text()) == len(text)
    _check(b, cdir, captures, built=True)
    if cmdf.parent == b:  # (the top directory changed: kept the second time it is seen)
        _check(b, cdir, captures, built=True)
    _check(b, cdir, captures, built=False)

    # a source makefile the capture read (its objtool and prerequisite facts)
    mk = s / "Makefile"
    put(mk, mk.read_text() + "\n# changed\n", mk.stat().st_mtime_ns)
    _check(b, cdir, captures, built=True)
    _check(b, cdir, captures, built=False)

    # a file added to the build directory, then removed
    put(b / "new-file.txt", "x", T)
    _check(b, cdir, captures, built=True)
    (b / "new-file.txt").unlink()  # (the tree as the kept spec saw it again)
    _check(b, cdir, captures, built=False)
    assert sorted(listing(b, s)) == sorted(before)  # (nothing written there: same names)


def test_another_environment_builds_the_spec_again(tmp_path, settled, captures,
                                                    monkeypatch):
    """The filechk facts record KBUILD_BUILD_USER and friends: another value is another
    spec."""
    b, _ = e6_linked_tree(tmp_path / "t")
    cdir = tmp_path / "cache"
    monkeypatch.setenv("KBUILD_BUILD_USER", "one")
    _check(b, cdir, captures, built=True)
    _check(b, cdir, captures, built=False)
    monkeypatch.setenv("KBUILD_BUILD_USER", "two")
    _check(b, cdir, captures, built=True)


def test_racily_clean_tree_is_not_kept(tmp_path, captures):
    """Files written less than RACY_NS before the capture began could change again in the
    same timestamp tick without changing their stat: no spec is kept."""
    b, _ = e6_linked_tree(tmp_path / "t")  # just written: every ctime is now
    cdir = tmp_path / "cache"
    _check(b, cdir, captures, built=True)
    _check(b, cdir, captures, built=True)
    assert not (cdir / dircache.SUBDIR).exists()


def test_a_top_directory_changing_from_run_to_run_keeps_no_spec(tmp_path, settled,
                                                                 captures):
    """A spec kept while the tree changes from run to run would never be used. When the
    kept spec differs in more than a make with nothing to do writes (below), and the
    top directory's listing is not the kept spec's, the spec is kept only once the run
    before found the same difference; a foreign file found meanwhile is said once and
    rewritten."""
    b, _ = e6_linked_tree(tmp_path / "t")
    cdir = tmp_path / "cache"
    _check(b, cdir, captures, built=True)  # (nothing kept yet: kept)
    (f,) = (cdir / dircache.SUBDIR).iterdir()
    stamp = f.stat().st_mtime_ns
    for n in range(3):  # a new file at the top between two runs
        put(b / f"gen-{n}", f"# generated {n}\n", T + n * NS)
        _check(b, cdir, captures, built=True)
        assert f.stat().st_mtime_ns == stamp  # not rewritten
    _check(b, cdir, captures, built=True)  # the same difference twice: kept now
    assert f.stat().st_mtime_ns != stamp
    _check(b, cdir, captures, built=False)
    # a file of another kbsim while the top directory changes: said once, rewritten
    save_data(f, dict(_doc(f), code="another kbsim"))
    put(b / "gen-x", "# generated again\n", T + 9 * NS)
    for said in (1, 0):
        r = run_cli(["replay", b, "--json", "--cache-dir", cdir])
        assert len([ln for ln in r.stderr.splitlines() if str(f) in ln]) == said
        put(b / f"gen-{said}{said}", "x", T + 10 * NS)
    assert _doc(f)["code"] != "another kbsim"


def _rewrite(path, mtime_ns):
    """PATH written again with the same bytes (a new ctime) and the mtime MTIME_NS."""
    put(path, path.read_bytes(), mtime_ns)


def _spec_is_fresh(b, cdir):
    """The spec the cache gives equals the one a capture without any cache builds, field
    by field (the capture's own scans aside: the cache does not keep them)."""
    from pathlib import Path

    from kbsim.tree.capture import capture
    from kbsim.tree.incremental import spec_from_capture
    kept = dircache.build_dir_spec(Path(b), cdir)
    fresh = spec_from_capture(capture(str(b), layout="inline"))
    fresh.capture.__pydantic_private__["_scans"] = None
    for f in dataclasses.fields(fresh):
        assert getattr(kept, f.name) == getattr(fresh, f.name), f.name


UNREAD = {"e6-linked": "System.map", "e5-race": "drivers/net/dummy.mod.c",
          "e3-linked": "scripts/module.lds"}


@pytest.mark.parametrize("tree", ["e6-linked", "e5-race", "e3-linked"])
def test_a_make_rewriting_files_the_capture_does_not_read_is_patched(
        tmp_path, settled, captures, tree):
    """Every make, even one with nothing to do, writes the build directory's Makefile and
    .missing-syscalls.d again (the same bytes, later mtimes). The capture reads neither
    (nor System.map, a module's .mod.c, ...): the kept spec is given their new mtimes
    instead of capturing again, and the replay is the one without a cache. The new
    mtimes are the tree's latest, so the next make's start moves with them."""
    from capture_trees import e3_linked_tree
    make = {"e6-linked": e6_linked_tree, "e5-race": e5_race_tree,
            "e3-linked": e3_linked_tree}[tree]
    got = make(tmp_path / "t")
    b = got[0] if isinstance(got, tuple) else got
    cdir = tmp_path / "cache"
    put(b / "Makefile", "# generated by make\n", T)
    put(b / ".missing-syscalls.d", "", T)
    first = _check(b, cdir, captures, built=True)
    (f,) = (cdir / dircache.SUBDIR).iterdir()
    stamp = f.stat().st_mtime_ns
    late = T + 1000 * NS
    for n in range(2):
        time.sleep(0.02)  # (past the kernel's coarse clock tick: the ctimes move)
        _rewrite(b / "Makefile", late + n * NS)
        _rewrite(b / ".missing-syscalls.d", late + n * NS + 1)
        _rewrite(b / UNREAD[tree], late + n * NS + 2)
        warm = _check(b, cdir, captures, built=False)
        assert warm.stdout != first.stdout  # (the mtimes matter to the replay)
        _spec_is_fresh(b, cdir)
        assert f.stat().st_mtime_ns == stamp  # (the kept spec is patched as it is read)


def test_what_the_patch_does_not_cover_is_captured_again(tmp_path, settled, captures):
    """Beside the Makefile a make writes again: a file the capture reads, rewritten with
    its bytes and a later mtime (its stat and open answers change); a .cmd file changed
    behind a restored mtime and size (only its signature's ctime says so); a ksym file
    touched (its mtime is evidence of the granularity); the target of a tools/ .cmd file
    touched (the capture does not resolve tools/ names, and the granularity takes its
    mtime). Each is captured again, and gives the replay without a cache."""
    b, s = e5_race_tree(tmp_path / "t")
    put(b / "Makefile", "# generated by make\n", T)
    put(b / "tools/objtool/.fixdep.cmd", "cmd_fixdep := gcc -o fixdep fixdep.o\n", T)
    put(b / "fixdep", "", T)
    cdir = tmp_path / "cache"
    _check(b, cdir, captures, built=True)
    _check(b, cdir, captures, built=False)

    def change(n):
        time.sleep(0.02)  # (past the kernel's coarse clock tick: the ctimes move)
        _rewrite(b / "Makefile", T + (100 + n) * NS)
    cmdf = b / "lib" / ".a.o.cmd" if (b / "lib/.a.o.cmd").exists() else next(
        b.rglob(".*.o.cmd"))
    cases = [
        lambda: _rewrite(b / "include/config/auto.conf", T + 200 * NS),
        lambda: put(cmdf, cmdf.read_text().replace("gcc", "GCC"), cmdf.stat().st_mtime_ns),
        lambda: _rewrite(b / "include/ksym/tcp_rate_check_app_limited", T + 300 * NS),
        lambda: _rewrite(b / "fixdep", T + 400 * NS),
    ]
    for n, case in enumerate(cases):
        change(n)
        case()
        _check(b, cdir, captures, built=True)  # (a difference not seen before: not kept)
        _check(b, cdir, captures, built=True)  # (the same difference again: kept)
        _check(b, cdir, captures, built=False)


def test_a_touched_ksym_file_nothing_names_is_captured_again(tmp_path, settled, captures):
    """include/ksym/printk (no .cmd file names it: the capture asks nothing of it but
    its directory's listing) touched beside the Makefile a make writes again: its mtime
    is evidence of the tree's granularity (capture.py), which the patch does not decide
    again, so the tree is captured again."""
    from capture_trees import e5_tree
    b, _ = e5_tree(tmp_path / "t")
    put(b / "Makefile", "# generated by make\n", T)
    cdir = tmp_path / "cache"
    _check(b, cdir, captures, built=True)
    _check(b, cdir, captures, built=False)
    time.sleep(0.02)  # (past the kernel's coarse clock tick: the ctimes move)
    _rewrite(b / "Makefile", T + 100 * NS)
    _rewrite(b / "include/ksym/printk", T + 100 * NS + 1)
    _check(b, cdir, captures, built=True)


def _doc(f):
    from kbsim.plan.store import load_data
    return load_data(f, set())


@pytest.mark.parametrize("damage", ["empty", "garbage", "truncated", "foreign", "old-code",
                                    "bad-log", "bad-args", "log-not-list", "refused-class",
                                    "bad-spec", "bad-shared", "bad-capture",
                                    "no-capture"])
def test_damaged_file_is_one_warning_and_rebuilt(tmp_path, settled, captures, damage):
    b, s = e5_race_tree(tmp_path / "t")
    cdir = tmp_path / "cache"
    before = listing(b, s)
    _check(b, cdir, captures, built=True)
    (f,) = (cdir / dircache.SUBDIR).iterdir()
    doc = _doc(f)
    if damage == "empty":
        f.write_bytes(b"")
    elif damage == "garbage":
        f.write_bytes(b"not zstd at all")
    elif damage == "truncated":
        f.write_bytes(f.read_bytes()[:1000])
    elif damage == "foreign":
        save_data(f, ["a", "list"])
    elif damage == "old-code":
        save_data(f, dict(doc, code="another kbsim"))
    elif damage == "bad-log":
        save_data(f, dict(doc, log=[("rm -rf", ("/",), None)]))
    elif damage == "bad-args":  # (an int would be a file descriptor to os.scandir)
        save_data(f, dict(doc, log=[("scandir", (0,), ())] + doc["log"]))
    elif damage == "log-not-list":
        save_data(f, dict(doc, log={"scandir": 1}))
    elif damage == "refused-class":  # a pickle that would run a command when loaded
        evil = pickle.dumps(os.system)
        save_data(f, dict(doc, spec=compress(evil)))
    elif damage == "bad-spec":
        save_data(f, dict(doc, spec=b"\x28\xb5\x2f\xfd broken"))
    elif damage == "bad-shared":  # an index past the .cmd files
        save_data(f, dict(doc, shared=[10 ** 6]))
    elif damage == "bad-capture":  # (its capture's frame is checked when it is loaded)
        save_data(f, dict(doc, capture=doc["capture"][:-8] + b"\0" * 8))
    elif damage == "no-capture":  # (a file of kbsim-build-dir-spec/1's fields)
        save_data(f, {k: v for k, v in doc.items() if k not in ("capture", "cmds")})
    n0 = captures[0]
    warm = _replay(b, "--cache-dir", cdir)
    cold = _replay(b, "--no-cache")
    assert captures[0] - n0 == 2  # built again
    lines = [ln for ln in warm.stderr.splitlines() if ln not in cold.stderr.splitlines()]
    assert len(lines) == 1 and str(f) in lines[0] and "Traceback" not in warm.stderr
    assert warm.stdout == cold.stdout
    _check(b, cdir, captures, built=False)  # rewritten
    assert listing(b, s) == before


@pytest.mark.parametrize("tree", ["e6-linked", "e5-race", "e3-linked"])
def test_a_spec_from_the_cache_is_the_spec_built(tmp_path, settled, captures, tree):
    """Field by field (the capture's own scans aside: the cache does not keep them); the
    reader's allow-list takes every class of the spec (else the second call would warn
    and capture again)."""
    from pathlib import Path

    from capture_trees import e3_linked_tree
    make = {"e6-linked": e6_linked_tree, "e5-race": e5_race_tree,
            "e3-linked": e3_linked_tree}[tree]
    b, _ = make(tmp_path / "t")
    cdir = tmp_path / "cache"
    said: list[str] = []
    built = dircache.build_dir_spec(Path(b), cdir, said.append)
    kept = dircache.build_dir_spec(Path(b), cdir, said.append)
    assert captures[0] == 1 and said == []
    assert kept is not built
    assert kept.capture.__pydantic_private__ == {"_scans": None}
    built.capture.__pydantic_private__["_scans"] = None
    for f in dataclasses.fields(built):
        assert getattr(kept, f.name) == getattr(built, f.name), f.name
    assert kept == built
    assert kept.capture.cmd_files and all(
        k.text == c.text and k.model_fields_set == c.model_fields_set
        for k, c in zip(kept.capture.cmd_files, built.capture.cmd_files))


def test_still_same_sees_each_kind_of_change(tmp_path):
    """The check itself, on a small real directory: a listing, a stat, an open and a
    realpath answer each change."""
    from kbsim.tree.capture import RealTree
    d = tmp_path / "d"
    put(d / "a.txt", "a", T)
    put(d / "sub/b.txt", "b", T)
    rec = dircache.RecordingTree(RealTree())
    rec.scandir(str(d))
    rec.stat(str(d / "sub/b.txt"))
    rec.realpath(str(d / "sub/b.txt"))
    with rec.open(str(d / "a.txt")) as fh:
        fh.read()
    with pytest.raises(OSError):
        rec.open(str(d / "missing"))
    log = list(rec.log)
    assert rec.usable and dircache.still_same(log, RealTree())
    put(d / "sub/b.txt", "b", T + NS)  # stat
    assert not dircache.still_same(log, RealTree())
    put(d / "sub/b.txt", "b", T)
    assert dircache.still_same(log, RealTree())
    put(d / "missing", "now here", T)  # the open that failed
    assert not dircache.still_same(log, RealTree())
    (d / "missing").unlink()
    time.sleep(0.05)  # (past the kernel's coarse clock tick, so the ctime moves)
    put(d / "a.txt", "A", T)  # same size and mtime: the ctime (and the listing) differ
    assert not dircache.still_same(log, RealTree())
    rec = dircache.RecordingTree(RealTree())
    rec.realpath(str(d / "sub/b.txt"))
    log = list(rec.log)
    (d / "sub").rename(d / "real")
    (d / "sub").symlink_to("real")
    assert not dircache.still_same(log, RealTree())


