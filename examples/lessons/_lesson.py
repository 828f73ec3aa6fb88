"""Helpers shared by the lessons: a small simulated tree, a tiny kernel model, printing.

Each lesson is a standalone script (``python examples/lessons/01_strictly_newer.py``); it
prints what it teaches and checks it with ``assert``, so CI runs them as tests
(tests/test_examples.py). Expected values come from GNU make's behaviour as recorded in
the semantics reference (test vectors V01-V33), not from kbsim.
"""

from __future__ import annotations

import textwrap

from kbsim.fs import NS_PER_S, Clock, SimFS
from kbsim.kbuild import BuildSpec, DirSpec, ModuleSpec, ObjectSpec, Timing

MS = 1_000_000
BASE = 1_600_000_000 * NS_PER_S  # the reference's "@0"


def at(seconds: float) -> int:
    """The reference's @N notation: 1600000000 + N seconds, in ns."""
    return BASE + round(seconds * NS_PER_S)


def tree(files: dict[str, tuple[str, float]], granularity: str = "ns",
         now: float = 1000) -> SimFS:
    """A simulated directory /w with FILES: {path: (content, @mtime)}."""
    fs = SimFS(Clock(at(now)), granularity)
    fs.mkdir("/w")
    for path, (text, mtime) in files.items():
        full = "/w/" + path
        fs.mkdir(full.rsplit("/", 1)[0])
        fs.write(full, text)
        fs.set_mtime(full, at(mtime))
    return fs


def title(text: str) -> None:
    print()
    print(text)
    print("=" * len(text))


def say(text: str) -> None:
    print(textwrap.fill(textwrap.dedent(text).strip(), width=88))


def show(text: str, indent: str = "    ") -> None:
    for ln in text.rstrip("\n").splitlines():
        print(indent + ln)


def tiny_kernel(era: str = "e1", granularity: str = "1s") -> BuildSpec:
    """Five objects and one module; everything compiles in a few tens of ms.

    On a 1 s filesystem the whole build, the adjust script included, fits in one second:
    the 2018 failure in miniature.
    """
    c = 10 * MS
    dirs = [
        DirSpec("kernel", "core", [
            ObjectSpec("kernel/a.o", "kernel/a.c", ["include/linux/x.h"], ["FOO"],
                       ["foo", "unused_export"], [], c),
            ObjectSpec("kernel/b.o", "kernel/b.c", ["include/linux/x.h"], [], [], [], c)]),
        DirSpec("arch/x86/lib", "libs", [
            ObjectSpec("arch/x86/lib/usercopy_64.o", "arch/x86/lib/usercopy_64.c",
                       ["include/linux/x.h"], [], ["__clear_user", "clear_user"], [], c,
                       "lib"),
            ObjectSpec("arch/x86/lib/putuser.o", "arch/x86/lib/putuser.S", [], [],
                       ["__put_user_1", "__put_user_8"], [], c, "lib")]),
        DirSpec("drivers/media", "drivers", [
            ObjectSpec("drivers/media/videodev.o", "drivers/media/videodev.c", [], [], [],
                       ["clear_user", "__put_user_8", "foo"], c, "m")]),
    ]
    t = Timing(jitter=0.0, touch_ns=1 * MS, make_startup_ns=1 * MS, top_startup_ns=5 * MS,
               adjust_startup_ns=1 * MS, archive_ns=1 * MS, link_ns=10 * MS,
               modpost_ns=10 * MS)
    return BuildSpec("tiny-kernel", era, dirs, {"include/linux/x.h": ["BAR"]},
                     [ModuleSpec("drivers/media/videodev.ko", ["drivers/media/videodev.o"])],
                     granularity=granularity, jobs=2, start_ns=1_520_958_000 * NS_PER_S,
                     start_phase=False, timing=t)
