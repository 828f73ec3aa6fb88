"""What a what-if trial records and judges outside the make engine: the input stamps of
each compile (kbuild/commands.py KbuildRuntime.stamps) and the rebuild rules' verdicts
on many outputs at one decision point (experiments/rebuilders.py DecisionPoint)."""

from __future__ import annotations

import hashlib
import random

import pytest

from kbsim.experiments.rebuilders import (RULES, BuildFacts, DecisionPoint, Rebuilder,
                                          RuleContext, judge)
from kbsim.experiments.settings import resolve_naming
from kbsim.fs import NS_PER_S, Clock, SimFS, parse_granularity
from kbsim.kbuild.commands import InputStamp, KbuildRuntime
from kbsim.kbuild.eras import ERAS
from kbsim.tree.registry import load_spec

NS = NS_PER_S
T = 1_520_958_000 * NS


class Ctx:
    cwd = "/linux"


def runtime(fs: SimFS) -> KbuildRuntime:
    spec, _ = load_spec("alias-stale")
    return KbuildRuntime(spec, ERAS["e1"], resolve_naming("era", "e1"), False, 0, fs,
                         "/linux")


def tree_with_two_headers() -> tuple[SimFS, KbuildRuntime]:
    """/linux with two empty headers, a.h and k.h, at T, and a runtime on it."""
    fs = SimFS(Clock(T), "ns")
    fs.mkdir("/linux")
    fs.write("/linux/a.h", b"")
    fs.write("/linux/k.h", b"")
    return fs, runtime(fs)


def blake(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


# ---------------------------------------------------------------------------- stamps
def test_stamps_read_each_input_as_lstat_and_its_content():
    fs = SimFS(Clock(T), "ns")
    fs.mkdir("/linux")
    fs.write("/linux/a.h", b"one")
    fs.write("/linux/b.h", b"two")  # same length, other content
    fs.write("/linux/big.h", b"x" * 5000)  # longer than the digest memo keeps
    fs.write("/linux/t.h", b"target")
    fs.symlink("t.h", "/linux/l.h")
    fs.set_mtime("/linux/a.h", T - 5 * NS)
    rt = runtime(fs)
    got = rt.stamps(Ctx(), ["a.h", "b.h", "gone.h", "big.h", "l.h"])
    assert list(got) == ["a.h", "b.h", "gone.h", "big.h", "l.h"]
    assert got["a.h"] == InputStamp(T - 5 * NS, 3, fs.ino("/linux/a.h"), blake(b"one"))
    assert got["b.h"].digest == blake(b"two") and got["b.h"].mtime_ns == T
    assert got["gone.h"] == InputStamp(None)
    assert got["big.h"].digest == blake(b"x" * 5000) and got["big.h"].size == 5000
    # lstat's mtime, size and inode (the link's own); read follows it to the content
    link = fs.lstat("/linux/l.h")
    assert got["l.h"] == InputStamp(link.mtime, link.size, link.ino, blake(b"target"))
    # a directory and a dangling symlink: lstat's fields, no content
    fs.mkdir("/linux/d")
    fs.symlink("nowhere.h", "/linux/dangling.h")
    more = rt.stamps(Ctx(), ["d", "dangling.h"])
    for n in ("d", "dangling.h"):
        st = fs.lstat(f"/linux/{n}")
        assert more[n] == InputStamp(st.mtime, st.size, st.ino, blake(b"")), n
    # one name at a time gives the same
    assert {n: rt.stamps(Ctx(), [n])[n] for n in got} == got


def test_stamps_are_kept_until_the_adjust_step_and_new_ones_read_the_change():
    fs, rt = tree_with_two_headers()
    first = rt.stamps(Ctx(), ["a.h", "k.h", "new.h"])
    fs.clock.advance(NS)
    fs.touch("/linux/k.h")
    fs.write("/linux/new.h", b"n")
    # kept: in a replay only the adjust step writes inputs
    assert rt.stamps(Ctx(), ["k.h", "new.h"]) == {"k.h": first["k.h"], "new.h": first["new.h"]}
    rt.forget_stamps()
    again = rt.stamps(Ctx(), ["a.h", "k.h", "new.h"])
    assert again["k.h"].mtime_ns == T + NS and again["new.h"].digest == blake(b"n")
    # an unchanged file's stamp is the very object it had (DecisionPoint relies on it)
    assert again["a.h"] is first["a.h"]


def test_stamps_of_equal_length_contents_differ_after_the_memo_saw_one():
    fs = SimFS(Clock(T), "ns")
    fs.mkdir("/linux")
    rt = runtime(fs)
    for text in (b"aaaa", b"bbbb", b"aaaa"):
        fs.write("/linux/x.h", text)
        rt.forget_stamps()
        assert rt.stamps(Ctx(), ["x.h"])["x.h"].digest == blake(text)


# ---------------------------------------------------------------------------- judging
class Odd(Rebuilder):
    """A rule DecisionPoint does not know: it must be asked itself."""

    name = "odd"

    def dirty(self, b, now, ctx):
        return f"{len(b.inputs)} inputs" if len(b.inputs) % 2 else None


def _random_point(rng: random.Random):
    """A decision point and outputs built so that ties, absent names, equal but distinct
    stamps and shared stamp objects all occur."""
    names = [f"n{i}.h" for i in range(12)]
    pool = [InputStamp(None)] + [InputStamp(T + rng.choice([-2, -1, 0, 0, 1, 2]) * NS,
                                            rng.choice([0, 1]), rng.choice([5, 6]),
                                            rng.choice(["d0", "d1"]))
                                 for _ in range(14)]
    now = {n: rng.choice(pool) for n in names if rng.random() < 0.9}
    outs = []
    for k in range(40):
        chosen = rng.sample(names, rng.randint(0, len(names)))
        inputs = {}
        for n in chosen:
            r = rng.random()
            if r < 0.4 and n in now:
                inputs[n] = now[n]  # the same object
            elif r < 0.6 and n in now:
                st = now[n]  # an equal stamp, another object
                inputs[n] = InputStamp(st.mtime_ns, st.size, st.ino, st.digest)
            else:
                inputs[n] = rng.choice(pool)
        outs.append(BuildFacts(f"o{k}.o", T + rng.choice([-1, 0, 1]) * NS // 2,
                               T + NS, T + rng.choice([-2, -1, 0, 1, 2]) * NS, inputs))
    return now, outs


def _kind(why: str | None) -> str | None:
    """Which of a rule's reasons WHY is: its first word that is not an input's name."""
    if why is None:
        return None
    words = why.split()
    return words[1] if words[0].endswith(".h") else words[0]


@pytest.mark.parametrize("gran", ["1s", "ns", "multigrain", "jiffy"])
def test_decision_point_gives_each_rules_own_verdict(gran, monkeypatch):
    monkeypatch.setitem(RULES, "odd", Odd())
    ctx = RuleContext(parse_granularity(gran))
    rng = random.Random(gran)
    seen = set()
    for _ in range(60):
        now, outs = _random_point(rng)
        point = DecisionPoint(now, ctx)
        for b in outs:
            want = {n: RULES[n].dirty(b, now, ctx) for n in RULES}  # each rule alone
            assert point.verdicts(b) == want
            seen.update((n, _kind(why)) for n, why in want.items())
    # the cases were met: each rule clean and dirty, each with its different reasons
    for n in RULES:
        assert (n, None) in seen
    assert {w for n, w in seen if n == "ninja"} >= {None, "output", "recorded"}
    assert {w for n, w in seen if n == "make"} >= {None, "is"}
    assert {w for n, w in seen if n == "hash"} >= {None, "appeared", "vanished", "content"}
    assert {w for n, w in seen if n == "redo"} >= {None, "did", "stamp"}


def test_decision_point_asks_only_the_rules_named():
    ctx = RuleContext(parse_granularity("ns"))
    b = BuildFacts("o.o", T, T + NS, T, {"k.h": InputStamp(T + NS, 0, 1, "e")})
    now = {"k.h": InputStamp(T + 2 * NS, 0, 1, "e")}
    got = DecisionPoint(now, ctx, ["hash", "make"]).verdicts(b)
    assert list(got) == ["hash", "make"]
    assert got == judge(b, now, ctx, ["hash", "make"])
    assert got["hash"] is None and "k.h is newer than o.o" in got["make"]


def test_decision_point_on_mtimes_at_and_before_the_epoch():
    """A file stamped 0 (reproducible builds set SOURCE_DATE_EPOCH=0) or before 1970 is
    an input like any other."""
    ctx = RuleContext(parse_granularity("ns"))
    for t_in, t_out in ((0, -NS), (-3 * NS, -4 * NS), (NS, 0)):
        b = BuildFacts("o.o", t_out, t_out, t_out, {"a.h": InputStamp(None),
                                                     "z.h": InputStamp(t_in - 1, 0, 2, "e"),
                                                     "gone.h": InputStamp(t_in, 0, 3, "e")})
        now = {"a.h": InputStamp(t_in, 0, 1, "e"), "z.h": InputStamp(t_in, 0, 2, "f")}
        want = {n: RULES[n].dirty(b, now, ctx) for n in RULES}
        assert DecisionPoint(now, ctx).verdicts(b) == want
        assert want["ninja"] is not None and "a.h" in want["ninja"]


def test_a_compiles_input_stamps_keep_what_they_were_after_the_adjust_step():
    """A compile's InputStamps view reads its interval's table, which must not change
    once the interval ended: the adjust step starts a new one."""
    fs, rt = tree_with_two_headers()
    v = rt.input_stamps(Ctx(), ["k.h", "a.h", "new.h"])
    was = {"k.h": InputStamp(T, 0, fs.ino("/linux/k.h"), blake(b"")),
           "a.h": InputStamp(T, 0, fs.ino("/linux/a.h"), blake(b"")),
           "new.h": InputStamp(None)}
    assert dict(v.items()) == was and list(v) == ["k.h", "a.h", "new.h"] and len(v) == 3
    rt.stamps(Ctx(), ["b.h"])  # another compile's name, in the same table
    fs.clock.advance(NS)
    rt.forget_stamps()  # (the adjust step)
    fs.touch("/linux/k.h")
    fs.write("/linux/new.h", b"x")
    now = rt.stamps(Ctx(), ["k.h", "a.h", "new.h", "b.h"])
    assert now["k.h"].mtime_ns == T + NS and now["new.h"].size == 1
    assert dict(v.items()) == was and v.values() == list(was.values())
    assert v["k.h"] == was["k.h"] and "b.h" not in v
    with pytest.raises(KeyError):
        v["b.h"]  # in the table, but not one of the compile's names
