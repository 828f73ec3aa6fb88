"""The simulated filesystem's remembered resolutions (SimFS._lookup) never answer with a
name's old state: after a file or a directory is removed, moved or replaced, and after
a missing name is created, lookups from every cwd and both lstat and stat agree with a
fresh filesystem built in the final state."""

from __future__ import annotations

import pytest

from kbsim.fs import Clock, SimFS
from kbsim.fs.simfs import FsError

NAMES = ["d/x", "d/y", "e/x", "e/y", "d/s/z", "e/s/z", "d", "e", "link", "link/x", "gone"]


def answers(fs: SimFS) -> list:
    out = []
    # (/w/d is missing after the directory moves away, until it is made again)
    for cwd in (None, "/w", "/w/d") if fs.isdir("/w/d") else (None, "/w"):
        for n in NAMES:
            p = n if cwd else "/w/" + n
            out.append((cwd, n, fs.exists(p, cwd), fs.lexists(p, cwd), fs.mtime(p, cwd),
                        fs.isdir(p, cwd)))
        out.append((cwd, fs.lexisting(NAMES if cwd else ["/w/" + n for n in NAMES], cwd)))
    return out


def fresh(build) -> SimFS:
    fs = SimFS(Clock(1_000))
    build(fs)
    return fs


def base(fs: SimFS) -> None:
    fs.mkdir("/w/d/s")
    fs.write("/w/d/x", b"1")
    fs.write("/w/d/s/z", b"2")
    fs.symlink("d", "/w/link")


def rebuilt(steps, k: int) -> SimFS:
    """A fresh filesystem in the state that base() and then the first K of STEPS leave."""
    def build(f):
        base(f)
        for s in steps[:k]:
            s(f)
    return fresh(build)


def test_every_change_is_seen_from_every_cwd():
    fs = fresh(base)
    answers(fs)  # remember everything, hits and misses
    steps = [
        lambda f: f.write("/w/d/y", b"3"),  # a missing name appears
        lambda f: f.remove("/w/d/x"),  # a file goes
        lambda f: f.rename("/w/d", "/w/e"),  # a directory moves: d/... all go
        lambda f: f.mkdir("/w/d"),  # and its old name comes back, empty
        lambda f: f.write("/w/d/x", b"4"),
        lambda f: f.rename("/w/e/y", "/w/d/x"),  # a file replaced by a rename
        lambda f: f.remove("/w/e", recursive=True),  # a tree goes
        lambda f: f.set_mtime("/w/d/x", 5_000),
    ]
    for k, step in enumerate(steps, 1):
        step(fs)
        assert answers(fs) == answers(rebuilt(steps, k)), f"after step {k}"


@pytest.mark.parametrize("cwd, path", [(None, "/w/d/n"), ("/w", "d/n"), ("/w/d", "n"),
                                       ("/w", "./d//n")])
@pytest.mark.parametrize("then", ["remove", "move away", "replaced by a rename"])
def test_a_written_file_is_forgotten_when_its_name_goes(cwd, path, then):
    """The name a write created a file by is remembered as it was written (the next stat
    of it finds the file without a walk): removing the file, moving it away or renaming
    another file over it must drop that, as for a name a lookup remembered."""
    fs = fresh(base)
    fs.write(path, b"new", cwd)
    if then == "remove":
        fs.remove("/w/d/n")
    elif then == "move away":
        fs.rename("/w/d/n", "/w/d/s/n")
    else:
        fs.write("/w/d/other", b"other")
        other = fs.ino("/w/d/other")
        fs.rename("/w/d/other", "/w/d/n")
    gone = then != "replaced by a rename"
    for follow in (fs.exists, fs.lexists):
        assert follow(path, cwd) is not gone
    assert (fs.mtime(path, cwd) is None) is gone
    assert fs.lexisting([path], cwd) == ([] if gone else [path])
    if not gone:
        assert fs.ino(path, cwd) == other
        assert fs.read(path, cwd) == b"other"


QUERIES = {
    "mtime": lambda fs, p, cwd: fs.mtime(p, cwd),
    "stat": lambda fs, p, cwd: fs.stat(p, cwd),
    "exists": lambda fs, p, cwd: fs.exists(p, cwd),
    "lexists": lambda fs, p, cwd: fs.lexists(p, cwd),
    "isdir": lambda fs, p, cwd: fs.isdir(p, cwd),
    "lexisting": lambda fs, p, cwd: fs.lexisting([p, p], cwd),
}


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_each_query_sees_a_change_first(query):
    """Each query, asked first after a change (before any other query could drop what
    was remembered), answers as a fresh filesystem: the methods that take a remembered
    resolution themselves (mtime, lexisting) check it is still good."""
    ask = QUERIES[query]

    def ask_all(f):
        return [(cwd, n, ask(f, n if cwd else "/w/" + n, cwd))
                for cwd in (None, "/w") for n in NAMES]
    fs = fresh(base)
    answers(fs)  # remember everything, hits and misses
    ask_all(fs)
    steps = [
        lambda f: f.rename("/w/d", "/w/e"),  # a directory moves: d/... all go
        lambda f: f.write("/w/e/y", b"3"),  # a missing name appears
        lambda f: f.mkdir("/w/d"),
        lambda f: f.symlink("e", "/w/gone"),
        lambda f: f.remove("/w/e/x"),  # a file goes
        lambda f: f.remove("/w/link"),  # a symlink goes
    ]
    for k, step in enumerate(steps, 1):
        step(fs)
        got = ask_all(fs)  # (first: nothing else asked since the change)
        assert got == ask_all(rebuilt(steps, k)), f"{query} after step {k}"
        answers(fs)


# ------------------------------------------------------------ against the real kernel
from hypothesis import given, settings, strategies as st  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402

_PARTS = ["a", "b", "f", "l", "m", ".", "..", ""]


@st.composite
def trees_and_paths(draw):
    """A small tree (directories, files, symlinks that may dangle, loop or point up)
    and names to look up in it, with '.', '..', '//' and trailing slashes."""
    entries = []
    for d in ("a", "a/b", "b", "a/b/a"):
        entries.append(("dir", d))
    for f in draw(st.lists(st.sampled_from(["f", "a/f", "a/b/f", "b/f", "a/m"]),
                           max_size=4, unique=True)):
        entries.append(("file", f))
    links = draw(st.lists(st.tuples(st.sampled_from(["l", "a/l", "a/b/l", "b/m"]),
                                    st.sampled_from(["a", "../a", "f", "a/b", "l", "..",
                                                     "/nowhere", "b/f", "."])),
                          max_size=3, unique_by=lambda t: t[0]))
    taken = {p for _, p in entries}
    entries += [("link", p, t) for p, t in links if p not in taken]
    paths = draw(st.lists(st.lists(st.sampled_from(_PARTS), min_size=1, max_size=5)
                          .map("/".join), min_size=1, max_size=12))
    return entries, paths


@settings(max_examples=150, deadline=None, derandomize=True)
@given(trees_and_paths())
def test_lookups_answer_as_the_real_filesystem(case):
    """stat and lstat of every name from two cwds, each asked twice (the second time
    from the remembered resolutions), as the real kernel answers them on the same tree."""
    entries, paths = case
    fs = SimFS(Clock(1_000))
    fs.mkdir("/w")
    with tempfile.TemporaryDirectory() as real:
        for kind, p, *t in entries:
            if kind == "dir":
                fs.mkdir("/w/" + p)
                os.makedirs(os.path.join(real, p), exist_ok=True)
            elif kind == "file":
                fs.write("/w/" + p, b"x")
                open(os.path.join(real, p), "wb").close()
            else:
                target = t[0] if not t[0].startswith("/") else t[0]
                fs.symlink(target, "/w/" + p)
                os.symlink(target, os.path.join(real, p))

        def real_kind(p, follow):
            try:
                st_ = os.stat(p) if follow else os.lstat(p)
            except OSError:
                return None
            import stat as S
            return "d" if S.S_ISDIR(st_.st_mode) else "l" if S.S_ISLNK(st_.st_mode) else "f"

        def sim_kind(p, cwd, follow):
            s = fs.stat(p, cwd) if follow else fs.lstat(p, cwd)
            return None if s is None else {"dir": "d", "link": "l", "file": "f"}.get(
                s.kind, s.kind)

        for _ in range(2):
            for cwd_rel in ("", "a/b"):
                for p in paths:
                    if not p:
                        continue
                    for follow in (True, False):
                        want = real_kind(os.path.join(real, cwd_rel, p), follow)
                        got = sim_kind(p, "/w/" + cwd_rel if cwd_rel else "/w", follow)
                        assert got == want, (p, cwd_rel, follow, entries)


TRICKY = NAMES + ["", "/", "d/", "d/.", "d/..", "d/s/", "d/x/", "d/x/y", "gone/x", "./d/x",
                  "d/./x", "d//x", "link/s/z", "link/../d/x", "d/s/../x", "..", ".", "x/"]


def test_lexisting_on_names_met_first_is_lexists():
    # (lexisting finds a name not remembered yet through its directory part itself)
    for cwd in (None, "/w", "/w/d", "/"):
        names = TRICKY if cwd else ["/w/" + n for n in TRICKY] + TRICKY
        want = [p for p in names if fresh(base).lexists(p, cwd)]
        fs = fresh(base)
        assert fs.lexisting(names, cwd) == want, cwd
        assert fs.lexisting(names, cwd) == want, cwd  # (now from what it remembered)
        assert [p for p in names if fs.lexists(p, cwd)] == want, cwd


# (each new name made once: a second write would find the file)
WRITES = ["n1", "d/n2", "link/n3", "link/s/n4", "d/s/../n5", "d/./n6", "d//n7", "./d/n8",
          "gone/n9", "d/x/n10", "link/../n11", "d/s/z/n12", "d/x", "link/x", "link/./n13",
          "link//s/n14"]


@pytest.mark.parametrize("cwd", [None, "/w", "/w/d"])
def test_writes_create_what_the_kernel_creates(cwd, tmp_path):
    """Creating a file (a new name's directory found from what was remembered, or walked)
    succeeds or fails as open(O_CREAT) on the same tree does, and lands on the same name."""
    real = tmp_path / "w"
    (real / "d" / "s").mkdir(parents=True)
    (real / "d" / "x").write_bytes(b"1")
    (real / "d" / "s" / "z").write_bytes(b"2")
    os.symlink("d", real / "link")
    for remembered in (False, True):
        fs = fresh(base)
        if remembered:
            answers(fs)
        for p in WRITES:
            sim_p = p if cwd else "/w/" + p
            real_dir = real if cwd in (None, "/w") else real / "d"
            try:
                with open(real_dir / p, "ab"):
                    pass
                want = None
            except OSError as e:
                want = e.errno
            try:
                fs.write(sim_p, b"", cwd)
                got = None
            except OSError as e:
                got = e.errno
            assert got == want, (p, cwd, remembered)
        made = sorted(str(q.relative_to(real)) for q in real.rglob("*")
                      if q.is_file() and not q.is_symlink())
        assert sorted(p[3:] for p, _ in fs.walk_files("/w")) == made, (cwd, remembered)
        for q in real.rglob("*"):  # (the next round starts from the base tree again)
            if q.is_file() and not q.is_symlink() and q.name.startswith("n"):
                q.unlink()


@pytest.mark.parametrize("remembered", [False, True])
def test_mkdir_p_over_what_is_there(remembered):
    """mkdir -p: directories that are there (through a symlink too) change nothing, a
    file in the way is an error, a missing one is made where the symlink points."""
    fs = fresh(base)
    if remembered:
        answers(fs)
    before = sorted((p, s.mtime) for p, s in fs.walk_files("/w"))
    d_mtime = fs.stat("/w/d").mtime
    for p in ("/w/d/x", "/w/d/x/y", "/w/d/s/z", "/w/link/x"):
        with pytest.raises(OSError):
            fs.mkdir(p)
    for p in ("/w/d", "/w/link", "/w/link/s", "/w/d/s/..", "/w/./d/"):
        fs.mkdir(p)
    assert fs.stat("/w/d").mtime == d_mtime
    fs.mkdir("/w/link/q/r")
    assert fs.isdir("/w/d/q/r") and not fs.lexists("/w/q")
    assert sorted((p, s.mtime) for p, s in fs.walk_files("/w")) == before


def _state(fs: SimFS) -> tuple:
    """Every node as it is (inode, kind, mtime, size, content, target, flags), in
    directory order, the counters a change moves, and the names whose resolution is
    remembered."""
    out = []

    def walk(n, path):
        out.append((path, n.ino, n.kind, n.mtime, n.size, n.data, n.target, n.queried,
                    n.real, n.origin))
        for k, c in (n.children or {}).items():
            walk(c, path + "/" + k)
    walk(fs.root, "")
    remembered = [{cwd: sorted(c) for cwd, c in by_cwd.items()} for by_cwd in fs._cache]
    return out, fs.generation, fs.removals, fs._ino, fs.mg_floor, remembered


def _one_by_one(fs: SimFS, items) -> None:
    """What put_files stands for: the general calls, each directory made once until a
    name is removed (kbuild/treegraph.py lay_out_tree, as it was)."""
    made: set[str] = set()
    for p, data, mtime in items:
        if mtime is None:
            if fs.remove(p):
                made.clear()
            continue
        d = p.rpartition("/")[0] if "/" in p else ""
        if d not in made:
            fs.mkdir(d)
            made.add(d)
        fs.write(p, data)
        fs.set_mtime(p, mtime)


@pytest.mark.parametrize("gran", ["ns", "1s", "multigrain"])
def test_put_files_leaves_what_the_general_calls_leave(gran):
    """SimFS.put_files (a tree's layout in bulk) leaves every node, inode number, mtime
    (the directories' too) and counter as mkdir/write/set_mtime/remove one by one do,
    over new names, names written again, a symlink in the way, a dangling symlink, a
    name removed (a symlink to a directory: a directory made in its place), absent directories, text, '//', '.'
    and '..' in a path, and the remembered resolutions answer alike."""
    items = [("/t/a/x", b"1", 5_123), ("/t/a/y", b"22", 7_000_000_001),
             ("/t/b/c/z", b"", 3), ("/t/a/x", b"333", 9), ("/t/l/q", b"4", 11),
             ("/t/dl", b"5", 12), ("/t/a//w", b"6", 13), ("/t/a/./v", b"7", 14),
             ("/t/b/../a/u", b"8", 15), ("/t/gone/x", None, None), ("/t/a/y", None, None),
             ("/t/a/y", b"9", 16), ("/t/s", "caf\u00e9", 17), ("/t/a", None, None),
             ("/t/a/k", b"10", 18), ("/nope/at/all", None, None), ("/t/b/c/z/q", None, None),
             ("/t/l", None, None), ("/t/l/p", b"11", 19)]

    def prepared() -> SimFS:
        fs = SimFS(Clock(1_000_000_005), gran)
        fs.mkdir("/t/real")
        fs.symlink("real", "/t/l")
        fs.symlink("missing", "/t/dl")
        fs.stat("/t")  # (a queried directory: multigrain stamps it finely)
        return fs
    a, b = prepared(), prepared()
    ok = [it for it in items if it[0] != "/t/a" or it[2] is not None]
    with pytest.raises(FsError):
        _one_by_one(a, items)
    with pytest.raises(FsError):
        b.put_files(items)  # (removing a directory: as remove says)
    a, b = prepared(), prepared()
    _one_by_one(a, ok)
    b.put_files(ok)
    assert _state(b) == _state(a)
    names = sorted({p for p, _, _ in ok} | {"/t/real/q", "/t/missing", "/t/a/w"})
    for fs in (a, b):  # (the same answers, remembered or walked)
        fs.stat_count = 0
    assert [(a.mtime(p), a.lexists(p), a.isdir(p)) for p in names] == \
        [(b.mtime(p), b.lexists(p), b.isdir(p)) for p in names]


def test_remove_of_a_name_in_no_directory():
    """remove() of a name whose directory does not resolve (a file or nothing on the
    way, a dangling symlink) is False and changes nothing, as it was."""
    fs = SimFS(Clock(1_000))
    fs.write("/f", b"1")
    fs.symlink("nowhere", "/dl")
    before = (fs.generation, fs.removals, fs.root.mtime)
    for p in ("/no/x", "/f/x", "/dl/x", "/no/deeper/x/", "no/x", "/", "x"):
        assert fs.remove(p) is False
    assert (fs.generation, fs.removals, fs.root.mtime) == before
    assert fs.remove("/f") is True


def test_lmissing_is_what_lexisting_leaves_out():
    """lmissing answers [p for p in names if not lexists(p)], for names met first (its
    own way through lexisting) and remembered (the way without a list), duplicates kept."""
    for cwd in (None, "/w", "/w/d", "/"):
        names = TRICKY if cwd else ["/w/" + n for n in TRICKY] + TRICKY
        names = names + names[:5]
        want = [p for p in names if not fresh(base).lexists(p, cwd)]
        fs = fresh(base)
        assert fs.lmissing(names, cwd) == want, cwd
        assert fs.lmissing(names, cwd) == want, cwd
        there = fs.lexisting(names, cwd)
        assert fs.lmissing(there, cwd) == [], cwd  # (every one remembered now)


@pytest.mark.parametrize("cwd, path", [(None, "/w/d/x/"), ("/w", "d/x/"), ("/w/d", "x/")])
def test_a_file_replaced_by_a_write_of_name_slash_is_forgotten(cwd, path):
    """A write of NAME/ where NAME is a file makes a new file in its place (as it did
    before the names a write reaches were remembered): the names that reached the old
    one must reach the new one, from every cwd and both stat and lstat."""
    fs = fresh(base)
    answers(fs)  # remember every name, /w/d/x among them
    old = fs.ino("/w/d/x")
    fs.write(path, b"new", cwd)
    new = fs._resolve("/w/d/x", None, True).ino
    assert new != old
    for c, p in ((None, "/w/d/x"), ("/w", "d/x"), ("/w/d", "x"), ("/w", "./d//x")):
        assert fs.ino(p, c) == new and fs.lstat(p, c).ino == new, (c, p)
        assert fs.read(p, c) == b"new" and fs.lexisting([p], c) == [p]


def _remembered_answers_hold(fs: SimFS) -> list:
    """The remembered resolutions (SimFS._lookup's cache) that a walk now would not
    give (a cwd that names a file is left out: a file's removal keeps it, as before)."""
    bad = []
    if fs._cwd_gen == fs.removals:
        for cwd, n in fs._cwd_cache.items():
            if n.kind == "d" and fs._resolve_or_none(cwd, None, True) is not n:
                bad.append(("cwd", cwd))
    if fs._cache_gen == fs.removals:
        for follow in (False, True):
            for cwd, cache in fs._cache[follow].items():
                for p, n in cache.items():
                    if fs._resolve_or_none(p, cwd, follow) is not n:
                        bad.append((follow, cwd, p))
    return bad


def test_remembered_resolutions_stay_right_on_random_changes():
    """Random writes, mkdirs, symlinks, removes, renames, touches and queries, with '.',
    '..', '//' and trailing slashes, from several cwds: after each one, every resolution
    the filesystem remembers is the one a walk gives."""
    import random
    parts = ["a", "b", "f", "l", ".", "..", ""]
    cwds = [None, "/w", "/w/a", "/w/a/b", "/w/l", "/w/zz"]
    for seed in range(60):
        rng = random.Random(seed)

        def name():
            p = "/".join(rng.choice(parts) for _ in range(rng.randrange(1, 4)))
            p = "/w/" + p if rng.random() < 0.5 else p
            return p + "/" if rng.random() < 0.15 else p
        fs = SimFS(Clock(1_000))
        fs.mkdir("/w")
        for i in range(120):
            cwd, p, r = rng.choice(cwds), name(), rng.random()
            try:
                if r < 0.2:
                    fs.write(p, b"x", cwd)
                elif r < 0.27:
                    fs.mkdir(p, cwd, rng.random() < 0.7)
                elif r < 0.33:
                    fs.symlink(rng.choice(["a", "../a", "f", ".", "..", "nowhere"]), p, cwd)
                elif r < 0.38:
                    fs.remove(p, cwd, rng.random() < 0.5)
                elif r < 0.43:
                    fs.rename(p, name(), cwd)
                elif r < 0.48:
                    fs.touch(p, cwd)
                else:
                    (fs.mtime, fs.lexists, fs.isdir, fs.read)[i % 4](p, cwd)
                    fs.lmissing([p, name()], cwd)
            except OSError:
                pass
            except RecursionError:  # (a write through a dangling symlink loop: known)
                pass
            assert _remembered_answers_hold(fs) == [], (seed, i)
