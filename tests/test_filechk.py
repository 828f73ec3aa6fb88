"""filechk targets: whether the next make's generator writes a different text (issue 17).

Each make regenerates a filechk target and moves it into place only when ``cmp`` finds a
difference (scripts/Kbuild.include). The trees are tests/capture_trees.py's
e6_linked_tree(generated=True): the targets as a make run with
KBUILD_BUILD_USER/HOST=kbsim wrote them; lib/a.o includes compile.h and utsrelease.h.
The real-make check is examples/real-kernel/validate_filechk.py (Linux 6.1 and 6.12).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from capture_trees import BOUNDS_H, BOUNDS_S, NS, T, e6_linked_tree

from kbsim.kbuild import replay
from kbsim.tree.capture import capture
from kbsim.tree.filechk import offsets_text
from kbsim.tree.incremental import spec_from_capture

ENV = {"KBUILD_BUILD_USER": "kbsim", "KBUILD_BUILD_HOST": "kbsim"}


def _replay(b, env):
    return replay(spec_from_capture(capture(str(b), environ=env)), jobs=1, granularity="ns")


def _rows(r):
    return {x["target"]: x for x in r.rebuilds()}


def _made(r):
    return [(x["stage"], x["target"]) for x in r.rebuilds() if x["writes"]]


def test_same_environment_every_content_unchanged(tmp_path):
    b, _ = e6_linked_tree(tmp_path, generated=True)
    r = _replay(b, ENV)
    rows = _rows(r)
    fc = {t: x["content"] for t, x in rows.items() if x["content"]}
    assert fc == {"include/config/kernel.release": "unchanged",
                  "include/generated/uapi/linux/version.h": "unchanged",
                  "include/generated/utsrelease.h": "unchanged",
                  "include/generated/compile.h": "unchanged",
                  "include/generated/bounds.h": "unchanged",
                  "init/utsversion-tmp.h": "unchanged"}
    assert _made(r) == [("prepare", "source")]
    why = rows["include/generated/compile.h"]["reasons"][0]
    assert "content unchanged" in why and "'kbsim' (KBUILD_BUILD_USER)" in why


def test_another_build_user_rewrites_compile_h_and_its_dependents(tmp_path):
    """mkcompile_h: LINUX_COMPILE_BY is $KBUILD_BUILD_USER (else whoami): compile.h gets
    a new text, so lib/a.o, which includes it, is compiled and everything carries on."""
    b, _ = e6_linked_tree(tmp_path, generated=True)
    r = _replay(b, {**ENV, "KBUILD_BUILD_USER": "someone"})
    rows = _rows(r)
    ch = rows["include/generated/compile.h"]
    assert ch["content"] == "changes" and ch["writes"] == ["include/generated/compile.h"]
    assert "'#define LINUX_COMPILE_BY\\t\"kbsim\"'" in ch["reasons"][0]
    assert rows["include/generated/utsrelease.h"]["content"] == "unchanged"
    assert rows["lib/a.o"]["reasons"] == ["due to: include/generated/compile.h"]
    assert ("vmlinux", "vmlinux") in _made(r)
    # unset: whoami is the user (the capture records it)
    r2 = _replay(b, {"KBUILD_BUILD_HOST": "kbsim"})
    import pwd
    me = pwd.getpwuid(os.geteuid()).pw_name
    assert _rows(r2)["include/generated/compile.h"]["content"] == \
        ("unchanged" if me == "kbsim" else "changes")


def test_a_localversion_file_changes_the_release(tmp_path):
    """setlocalversion appends the build directory's localversion* files: kernel.release
    and utsrelease.h change, and what includes utsrelease.h is rebuilt."""
    b, _ = e6_linked_tree(tmp_path, generated=True)
    (b / "localversion-test").write_text("-lv\n")
    r = _replay(b, ENV)
    rows = _rows(r)
    kr = rows["include/config/kernel.release"]
    assert kr["content"] == "changes"
    assert "'6.12.118' becomes '6.12.118-lv'" in kr["reasons"][0]
    assert rows["include/generated/utsrelease.h"]["content"] == "changes"
    assert rows["include/generated/uapi/linux/version.h"]["content"] == "unchanged"
    assert rows["lib/a.o"]["reasons"] == ["due to: include/generated/utsrelease.h"]
    # $LOCALVERSION comes after the files
    r2 = _replay(b, {**ENV, "LOCALVERSION": "-env"})
    assert "'6.12.118' becomes '6.12.118-lv-env'" in \
        _rows(r2)["include/config/kernel.release"]["reasons"][0]


def test_a_git_source_tree_decides_the_release(tmp_path):
    """With LOCALVERSION unset, setlocalversion asks git (a '+' off a release tag): the
    capture does not read git, so the release and utsrelease.h are 'unknown' and left."""
    b, s = e6_linked_tree(tmp_path, generated=True)
    (s / ".git").mkdir()
    r = _replay(b, ENV)
    rows = _rows(r)
    for t in ("include/config/kernel.release", "include/generated/utsrelease.h"):
        assert rows[t]["content"] == "unknown" and rows[t]["writes"] == []
        assert "git state" in rows[t]["reasons"][0]
    # LOCALVERSION set (even empty) and no CONFIG_LOCALVERSION_AUTO: git is not asked
    r2 = _replay(b, {**ENV, "LOCALVERSION": ""})
    assert _rows(r2)["include/config/kernel.release"]["content"] == "unchanged"


def test_a_remade_offsets_source_decides_the_header(tmp_path):
    """bounds.h is 'filechk offsets' of kernel/bounds.s: when this make compiles bounds.s
    again (x.h is newer), its new text decides, which kbsim cannot know."""
    b, _ = e6_linked_tree(tmp_path, generated=True, header_mtime=T + 5 * NS)
    r = _replay(b, ENV)
    rows = _rows(r)
    assert rows["kernel/bounds.s"]["stage"] == "prepare"
    bh = rows["include/generated/bounds.h"]
    assert bh["content"] == "unknown" and bh["writes"] == []
    assert "kernel/bounds.s, which this make remade" in bh["reasons"][0]


def test_a_header_that_differs_from_its_source_is_written(tmp_path):
    b, _ = e6_linked_tree(tmp_path, generated=True)
    (b / "include/generated/bounds.h").write_text(BOUNDS_H.replace("20", "21"))
    os.utime(b / "include/generated/bounds.h", ns=(T + 3 * NS,) * 2)
    r = _replay(b, ENV)
    assert _rows(r)["include/generated/bounds.h"]["content"] == "changes"


@pytest.mark.skipif(shutil.which("sed") is None, reason="needs sed")
def test_offsets_text_is_what_sed_offsets_makes():
    """The oracle: the sed script of scripts/Makefile.lib (sed-offsets, v6.1 and v6.12)
    run on the same .s text."""
    script = ('s:^[[:space:]]*\\.ascii[[:space:]]*"\\(.*\\)".*:\\1:; /^->/{s:->#\\(.*\\):/* '
              '\\1 */:; s:^->\\([^ ]*\\) [\\$#]*\\([^ ]*\\) \\(.*\\):#define \\1 \\2 /* \\3 */:; '
              's:->::; p;}')
    sed = subprocess.run(["sed", "-ne", script], input=BOUNDS_S, capture_output=True,
                         text=True, check=True, env={"LC_ALL": "C"}).stdout
    head = ("#ifndef G\n#define G\n/*\n * DO NOT MODIFY.\n *\n * This file was generated by "
            "Kbuild\n */\n\n")
    assert offsets_text(BOUNDS_S, "G") == head + sed + "\n#endif\n"
    assert offsets_text(BOUNDS_S, "__LINUX_BOUNDS_H__") == BOUNDS_H


def test_version_h_before_v514_has_two_lines(tmp_path):
    """Before v5.14 filechk_version.h writes the code and KERNEL_VERSION() only (Linux
    5.10's Makefile has no LINUX_VERSION_MAJOR): that file is up to date, not 'changes'."""
    b, s = e6_linked_tree(tmp_path, generated=True)
    (s / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 118\n"
                                "EXTRAVERSION =\n")
    (b / "include/generated/uapi/linux/version.h").write_text(
        "#define LINUX_VERSION_CODE 396406\n#define KERNEL_VERSION(a,b,c) (((a) << 16) + "
        "((b) << 8) + ((c) > 255 ? 255 : (c)))\n")
    os.utime(b / "include/generated/uapi/linux/version.h", ns=(T + 3 * NS,) * 2)
    r = _replay(b, ENV)
    assert _rows(r)["include/generated/uapi/linux/version.h"]["content"] == "unchanged"
    assert _made(r) == [("prepare", "source")]


def test_compile_h_before_v61_is_left_to_mkcompile_h(tmp_path):
    """Before v6.1 compile.h also holds UTS_VERSION (2df8220cc511 moved it out), and
    mkcompile_h compares the other lines itself: kbsim says so and leaves the file."""
    b, _ = e6_linked_tree(tmp_path, generated=True)
    (b / "include/generated/compile.h").write_text(
        '#define UTS_MACHINE "x86_64"\n#define UTS_VERSION "#8 Mon Dec 7 10:50:13 UTC 2026"\n'
        '#define LINUX_COMPILE_BY "kbsim"\n')
    os.utime(b / "include/generated/compile.h", ns=(T + 3 * NS,) * 2)
    ch = _rows(_replay(b, ENV))["include/generated/compile.h"]
    assert ch["content"] == "unknown" and ch["writes"] == []
    assert "before v6.1" in ch["reasons"][0]
