"""Many targets sharing one long prerequisite list, against the real GNU make 4.3.

kbuild's top-level Makefile up to v5.x has ``$(sort $(vmlinux-deps)): $(vmlinux-dirs) ;``:
every built-in object depends on every directory. update_file_1 walks that list once per
target per pass of update_goal_chain, and kbsim takes a run of prerequisites it has
already settled in this pass from the target before (remake.py ``_settled_prefix``).
These cases check that the output, the exit status and the "needed by" names stay those
of the real make: directories finishing under ``-j``, a failing directory with and
without ``-k``, a missing prerequisite in the shared list, order-only and circular ones.
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make


N = 24
DIRS = [f"d{i:02}" for i in range(N)]
OBJS = [f"{d}/built-in.a" for d in DIRS]


HDRS = [f"h{i:02}.h" for i in range(20)]


def kbuild_like(shared: str, *, fail: str | None = None, extra: tuple[str, ...] = (),
                recipe: str = "") -> list[str]:
    lines = [
        "dirs := " + " ".join(DIRS),
        "objs := " + " ".join(OBJS),
        "hdrs := " + " ".join(HDRS),
        "all: vmlinux",
        "vmlinux: $(objs) ; @echo LD $@ [$(words $?)]",
        f"$(sort $(objs)): {shared} ;{recipe}",
        ".PHONY: all $(dirs)",
        f"$(filter-out {fail},$(dirs)): ; @echo DIR $@",
    ]
    if fail:
        lines.append(f"{fail}: ; @echo DIR $@; exit 1")
    return lines + list(extra)


CASES = {
    "all-to-all": (kbuild_like("$(dirs)"), []),
    "all-to-all-j4": (kbuild_like("$(dirs)"), ["-j4"]),
    "failing-dir": (kbuild_like("$(dirs)", fail="d05"), []),
    "failing-dir-k": (kbuild_like("$(dirs)", fail="d05"), ["-k"]),
    "failing-dir-k-j3": (kbuild_like("$(dirs)", fail="d17"), ["-k", "-j3"]),
    "missing-in-list": (kbuild_like("$(wordlist 1,12,$(dirs)) gone.h $(wordlist 13,99,$(dirs))"),
                        ["-k"]),
    "order-only": (kbuild_like("| $(dirs)"), ["-j2"]),
    "circular": (kbuild_like("$(dirs)", extra=("d03: d07/built-in.a",)), []),
    "question": (kbuild_like("$(dirs)"), ["-q"]),
    # files with mtimes in the shared list: which are newer ($?) than each target
    "headers": (kbuild_like("$(hdrs)", recipe=" @echo CC $@ [$?]"), []),
    "headers-and-dirs": (kbuild_like("$(hdrs) $(dirs) gone.h", recipe=" @echo CC $@ [$?]"),
                         ["-k"]),
    "dry-run-j2": (kbuild_like("$(dirs)"), ["-n", "-j2"]),
}


@needs_make
@pytest.mark.parametrize("name", sorted(CASES))
def test_shared_prerequisite_list(name, tmp_path):
    lines, args = CASES[name]
    c = Case(str(tmp_path))
    c.mk(*lines)
    for i, o in enumerate(OBJS):
        if i % 5 != 3:  # a few missing, the rest at three times
            c.T(i % 3 * 100, o)
    for i, h in enumerate(HDRS):
        c.T(40 * (i % 6), h)  # 0 .. 200: older, equal and newer than the objects
    c.T(150, "vmlinux")
    c.run("-r", *args)
    c.run("-r", *args, "vmlinux")
    bad = c.mismatches(any_order=any(a.startswith("-j") for a in args))
    assert not bad, "\n".join(bad)


@needs_make
@pytest.mark.parametrize("args", [["-k"], ["-k", "-j2"], []])
def test_sibling_failing_after_its_run_was_taken(args, tmp_path):
    """foo.y is up to date when T0 and T0b walk the shared list, then foo.x, made by the
    same two-target pattern rule, fails: make gives foo.y that failure too
    (notice_finished_file's also_make), so T1, walked later in the same pass, has a failed
    prerequisite and is not remade. A run remembered from T0b must not hide that."""
    hs = " ".join(HDRS[:16])
    c = Case(str(tmp_path))
    c.mk("all: T0 T0b foo.x T1",
         f"T0 T0b T1: {hs} foo.y ; @echo MK $@",
         "%.x %.y: %.c ; @echo PAT $*; exit 1")
    c.T(0, *HDRS[:16], "foo.c")
    c.T(100, "foo.y")
    c.run("-r", *args)
    bad = c.mismatches(any_order="-j2" in args)
    assert not bad, "\n".join(bad)
