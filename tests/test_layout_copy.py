"""kbuild/layout.py lay_out: from the third time a (spec, era, naming) is laid out, the
tree is a copy of the kept one (SimFS.freeze / thaw) with this start's and this
granularity's mtimes; it must be the tree the writes give, node for node."""

from __future__ import annotations

import pytest

from kbsim.experiments.settings import resolve_naming
from kbsim.fs import DIR, NS_PER_S, Clock, SimFS
from kbsim.kbuild import layout
from kbsim.kbuild.eras import ERAS
from kbsim.tree.registry import load_spec


def _nodes(fs: SimFS) -> list[tuple]:
    """Every node under / as the filesystem's own calls show it: path, inode, kind,
    mtime, size and content (sorted by path)."""
    out = []
    stack = ["/"]
    while stack:
        d = stack.pop()
        st = fs.lstat(d)
        out.append((d, st.ino, st.kind, st.mtime, st.size, None))
        for name in fs.listdir(d):
            p = d.rstrip("/") + "/" + name
            st = fs.lstat(p)
            if st.kind == DIR:
                stack.append(p)
            else:
                out.append((p, st.ino, st.kind, st.mtime, st.size, fs.read(p)))
    return sorted(out)


def _written(spec, era, naming, t0, gran) -> SimFS:
    fs = SimFS(Clock(t0), gran)
    layout._write_tree(fs, spec, era, naming, {})  # the writes themselves, never a copy
    return fs


@pytest.mark.parametrize("model,era", [("lindroth-2018", "e1"), ("alias-stale", "e5")])
def test_a_copied_layout_is_the_written_one_at_each_start_and_granularity(model, era):
    spec, _ = load_spec(model)
    e, nm = ERAS[era], resolve_naming("era", era)
    t0 = spec.start_ns
    layout._LAID.clear()
    for _ in range(2):  # the first two are written (the second is kept)
        layout.lay_out(SimFS(Clock(t0), "ns"), spec, e, nm)
    assert layout._LAID[(id(spec), id(nm))][3]
    for gran in ("1s", "jiffy", "multigrain", "2s"):
        for start in (t0 + 123_456_789, t0 + NS_PER_S - 1, t0 + 7 * NS_PER_S):
            fs = SimFS(Clock(start), gran)
            layout.lay_out(fs, spec, e, nm)
            want = _written(spec, e, nm, start, gran)
            assert _nodes(fs) == _nodes(want), (gran, start)
            # (and each directory lists its entries in the same order)
            assert fs.freeze() == want.freeze()
            # inode numbers and namespace changes go on from the same place
            fs.write("/next", b"")
            want.write("/next", b"")
            assert fs.ino("/next") == want.ino("/next")


def test_a_layout_is_written_on_a_filesystem_that_holds_something():
    spec, _ = load_spec("alias-stale")
    e, nm = ERAS["e1"], resolve_naming("era", "e1")
    layout._LAID.clear()
    for _ in range(2):
        layout.lay_out(SimFS(Clock(spec.start_ns), "ns"), spec, e, nm)
    fs = SimFS(Clock(spec.start_ns), "ns")
    fs.mkdir("/linux")
    fs.write("/linux/Makefile", b"mine")
    fs.write("/other", b"x")
    layout.lay_out(fs, spec, e, nm)
    want = SimFS(Clock(spec.start_ns), "ns")
    want.mkdir("/linux")
    want.write("/linux/Makefile", b"mine")
    want.write("/other", b"x")
    layout._write_tree(want, spec, e, nm, {})
    assert _nodes(fs) == _nodes(want)


def test_thaw_refuses_a_filesystem_that_holds_something():
    a = SimFS(Clock(10), "ns")
    a.mkdir("/d")
    a.write("/d/f", b"1")
    tree = a.freeze()
    b = SimFS(Clock(10), "ns")
    b.write("/g", b"")
    with pytest.raises(ValueError):
        b.thaw(tree, [0] * len(tree.entries))
