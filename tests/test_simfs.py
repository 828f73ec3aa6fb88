"""The simulated filesystem's remembered resolutions (SimFS._lookup) never answer with a
name's old state: after a file or a directory is removed, moved or replaced, and after
a missing name is created, lookups from every cwd and both lstat and stat agree with a
fresh filesystem built in the final state."""

from __future__ import annotations

from kbsim.fs import Clock, SimFS

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

        def replayed(f, k=k):
            base(f)
            for s in steps[:k]:
                s(f)
        want = fresh(replayed)
        assert answers(fs) == answers(want), f"after step {k}"
