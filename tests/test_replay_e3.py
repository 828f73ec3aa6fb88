"""The whole next make of a captured v5.x tree (era e3, Linux 5.10; issue 17).

tests/capture_trees.py's e3_linked_tree is a tree built to the end in the shape a real
Linux 5.10.223 build leaves (checked against one: examples/real-kernel/validate_linux.py
--version 5.10). The expected lists follow the 5.10 makefiles by hand: the top-level
Makefile (descend, autoksyms_recursive, 'vmlinux: scripts/link-vmlinux.sh
autoksyms_recursive $(vmlinux-deps) FORCE', 'modules: vmlinux modules_check' then
Makefile.modpost), scripts/link-vmlinux.sh (.version, 'make obj=init', vmlinux.o,
vmlinux.symvers), scripts/Makefile.build ('$(obj)/%.mod: $(obj)/%.o FORCE'),
scripts/Makefile.modpost (modules-only.symvers: modules.order vmlinux.symvers; Module.symvers:
cat) and scripts/Makefile.modfinal.
"""

from __future__ import annotations

import os

from capture_trees import NS, T, e3_linked_tree, put
from elfwriter import kernel_object

from kbsim.kbuild import replay
from kbsim.kbuild.eras import release_formats
from kbsim.report.replay_report import header, replay_json
from kbsim.tree.capture import capture
from kbsim.tree.capture_format import write_capture
from kbsim.tree.incremental import load_capture_spec
from kbsim.tree.incremental import spec_from_capture
from kbsim.tree.linkgraph import objtool_exemptions


def _replay(b, **kw):
    return replay(spec_from_capture(capture(str(b))), jobs=1, granularity="ns", **kw)


def _made(r):
    """(stage, target) of every recipe that wrote something (filechk rows write nothing)."""
    return [(x["stage"], x["target"]) for x in r.rebuilds() if x["writes"]]


def test_settled_tree_rebuilds_nothing(tmp_path):
    b, _ = e3_linked_tree(tmp_path)
    r = _replay(b)
    assert r.era.name == "e3"
    # outputmakefile's ln -fsn $(srctree) source runs on every make of an O= build
    assert _made(r) == [("prepare", "source")]
    assert r.exit_code == 0


def test_a_newer_header_relinks_vmlinux_and_reruns_modpost(tmp_path):
    """x.h newer than lib/a.o and arch/x86/kernel's objects, not than lib/m.o: those are
    compiled and archived; vmlinux is relinked (head64.o, a $(head-y) object in no
    archive, is one of its prerequisites too); link-vmlinux.sh bumps .version, so
    compile.h changes and its 'make obj=init' recompiles init/version.o; modpost runs
    again because vmlinux.symvers is newer; m.mod.c keeps its text, so m.mod.o and m.ko
    stay."""
    b, _ = e3_linked_tree(tmp_path, header_mtime=T + 10 * NS + NS // 2)
    r = _replay(b)
    made = _made(r)
    assert set(made) == {
        ("prepare", "source"), ("compile", "arch/x86/kernel/head64.o"),
        ("compile", "arch/x86/kernel/setup.o"), ("link", "arch/x86/kernel/built-in.a"),
        ("link", "arch/x86/built-in.a"), ("compile", "lib/a.o"), ("link", "lib/built-in.a"),
        ("compile", "init/version.o"), ("link", "init/built-in.a"), ("vmlinux", "vmlinux"),
        ("modpost", "modules-only.symvers"), ("modpost", "Module.symvers")}
    order = [t for _, t in made]
    # the descent, then the link (which runs 'make obj=init' before its LD), then modpost
    assert order.index("lib/built-in.a") < order.index("init/version.o") \
        < order.index("vmlinux") < order.index("modules-only.symvers") \
        < order.index("Module.symvers")
    rows = {x["target"]: x for x in r.rebuilds()}
    assert rows["vmlinux"]["reasons"] == [
        "due to: arch/x86/kernel/head64.o arch/x86/built-in.a lib/built-in.a"]
    assert set(rows["vmlinux"]["writes"]) == {
        ".version", "include/generated/compile.h", "vmlinux.o", "vmlinux.symvers",
        "modules.builtin.modinfo", "modules.builtin", "vmlinux", "System.map"}
    assert rows["init/version.o"]["reasons"] == ["due to: include/generated/compile.h"]
    assert rows["modules-only.symvers"]["reasons"] == ["due to: vmlinux.symvers"]
    assert rows["modules-only.symvers"]["writes"] == ["modules-only.symvers"]  # same .mod.c
    assert rows["Module.symvers"]["reasons"] == [
        "due to: vmlinux.symvers modules-only.symvers"]
    assert r.exit_code == 0


def test_a_newer_module_source_reruns_mod_order_modpost_and_the_module_link(tmp_path):
    """Before v5.19 NAME.mod depends on NAME.o, so it is rewritten after the compile;
    the modules.order files list a newer module, so they are rewritten, and
    modules-only.symvers depends on modules.order; vmlinux's prerequisites are older."""
    b, s = e3_linked_tree(tmp_path)
    os.utime(s / "lib/m.c", ns=(T + 30 * NS,) * 2)
    r = _replay(b)
    assert _made(r) == [
        ("prepare", "source"), ("compile", "lib/m.o"), ("link", "lib/m.mod"),
        ("link", "lib/modules.order"), ("link", "modules.order"),
        ("modpost", "modules-only.symvers"), ("modpost", "Module.symvers"),
        ("modfinal", "lib/m.ko")]
    rows = {x["target"]: x for x in r.rebuilds()}
    assert rows["lib/m.mod"]["reasons"] == ["due to: lib/m.o"]
    assert rows["modules-only.symvers"]["reasons"] == ["due to: modules.order"]
    assert rows["lib/m.ko"]["reasons"] == ["due to: lib/m.o"]


def test_objects_depend_on_objtool_unless_their_makefile_exempts_them(tmp_path):
    """5.10 Makefile.build: '$(obj)/%.o: $(src)/%.c ... $$(objtool_dep) FORCE', a
    prerequisite no .cmd file names. objtool newer (3.5 s) than arch/x86/kernel's objects
    (2 s): setup.o is rebuilt; head64.o, which arch/x86/kernel/Makefile exempts
    (OBJECT_FILES_NON_STANDARD_head64.o := y), is not; init/version.o (4 s) is newer."""
    b, _ = e3_linked_tree(tmp_path, objtool_mtime=T + 3 * NS + NS // 2)
    r = _replay(b)
    rows = {x["target"]: x for x in r.rebuilds() if x["writes"]}
    assert rows["arch/x86/kernel/setup.o"]["reasons"] == ["due to: tools/objtool/objtool"]
    assert "arch/x86/kernel/head64.o" not in rows
    assert "lib/a.o" not in rows
    assert rows["vmlinux"]["reasons"] == ["due to: arch/x86/built-in.a"]


def test_the_adjust_step_reruns_autoksyms_recursive_in_5_10_223(tmp_path):
    """autoksyms.h lacks a_export, which lib/m.mod asks for: adjust_autoksyms.sh touches
    include/ksym/a/export.h and, in a 5.10 release with the 53632ba87d9f backport
    (5.10.128+), re-runs 'make -f Makefile autoksyms_recursive' (before: 'make vmlinux')."""
    b, _ = e3_linked_tree(tmp_path)
    auto = b / "include/generated/autoksyms.h"
    st = os.stat(auto)
    auto.write_text("/*\n * Automatically generated file; DO NOT EDIT.\n */\n\n")
    os.utime(auto, ns=(st.st_mtime_ns, st.st_mtime_ns))
    r = _replay(b)
    assert [a.changed for a in r.adjusts] == [1, 0]
    assert r.adjusts[0].reexec[-1] == "autoksyms_recursive"
    assert ("compile", "lib/a.o") in _made(r)  # its ksymdeps_ file is newer now


def test_release_formats_inside_e3_and_e4():
    # 2d3b1b8f0da7 (v5.5), 93c95e526a4e / 88694cff4952 (v5.7), 4475dff55c54 (v5.13)
    assert release_formats("5.4.0") == {"any_prereq_missing": True, "modpost_prefix": False,
                                        "initial_autoksyms": "empty", "modpost_cap": None}
    f = release_formats("5.10.223")
    assert (f["any_prereq_missing"], f["modpost_prefix"], f["initial_autoksyms"],
            f["modpost_cap"], f["reexec"]) == (False, True, "gen", None, "autoksyms_recursive")
    assert "reexec" not in release_formats("5.10.127")  # the backport is in 5.10.128
    assert release_formats("5.15.0")["modpost_cap"] == 10
    assert release_formats("6.1.192") == {} and release_formats("4.19.0") == {}


def test_a_saved_capture_keeps_the_objtool_exemptions_without_its_source_tree(tmp_path):
    """The exemptions live in the source tree's arch/x86/kernel/Makefile: the capture
    records them (format 6), so a saved capture replayed where that tree is gone (another
    machine) rebuilds what the build directory's replay does: setup.o, not head64.o."""
    import json
    b, s = e3_linked_tree(tmp_path, objtool_mtime=T + 3 * NS + NS // 2)
    here = _replay(b)
    p = tmp_path / "tree.json"
    write_capture(capture(str(b)), p)
    os.rename(s, tmp_path / "src-elsewhere")
    there = replay(load_capture_spec(p), jobs=1, granularity="ns")
    assert there.rebuilds() == here.rebuilds()
    made = dict((t, st) for st, t in _made(there))
    assert made["arch/x86/kernel/setup.o"] == "compile"
    assert "arch/x86/kernel/head64.o" not in made
    assert replay_json(there)["notes"] == []
    # a format-5 capture has no exemptions: read from the source tree if it is there,
    # else every object is taken as checked, and the replay says so
    doc = json.loads(p.read_text())
    doc["format"] = "kbsim-capture/5"
    del doc["objtool_exempt"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    r = replay(load_capture_spec(old), jobs=1, granularity="ns")
    assert ("compile", "arch/x86/kernel/head64.o") in _made(r)
    note, = replay_json(r)["notes"]
    assert "not in this capture (written before kbsim-capture/6)" in note
    assert f"no makefile of the source tree {s} can be read: every kernel object is taken " \
        "as checked by objtool" in note
    assert note in header(r)
    os.rename(tmp_path / "src-elsewhere", s)
    r = replay(load_capture_spec(old), jobs=1, granularity="ns")
    assert r.rebuilds() == here.rebuilds()
    assert replay_json(r)["notes"] == [f"objtool exemptions (OBJECT_FILES_NON_STANDARD): not "
                                       f"in this capture (written before kbsim-capture/6); "
                                       f"read from the source tree {s} now"]


def test_objtool_exemptions_keep_bits_for_the_replay():
    text = ("OBJECT_FILES_NON_STANDARD := y\nOBJECT_FILES_NON_STANDARD_vdso$(BITS).o := n\n"
            "OBJECT_FILES_NON_STANDARD_x.o \\\n\t:= y  # why\n")
    assert objtool_exemptions(text, None) == (True, {"vdso$(BITS).o": False, "x.o": True})
    assert objtool_exemptions(text, "32") == (True, {"vdso32.o": False, "x.o": True})


def test_a_composite_member_that_needs_a_trimmed_export_reaches_the_autoksyms_step(tmp_path):
    """Up to v5.18 a module's undefined symbols reach the autoksyms step through its
    NAME.mod, remade ('$(obj)/%.mod: $(obj)/%.o FORCE', nm) after the module is relinked.
    A member of composite module m newer than m.o needs b_export, which trimming left out
    of lib/a.o: m.o is relinked, m.mod lists b_export, adjust_autoksyms.sh touches its
    ksym file and re-runs autoksyms_recursive, lib/a.o is recompiled (real Linux 5.10,
    examples/real-kernel/validate_composite.py --version 5.10: crypto/api.o calling
    get_ibs_caps relinked crypto.o and crypto.mod, touched include/ksym/get/ibs/caps.h,
    recompiled arch/x86/events/amd/ibs.o)."""
    b, _ = e3_linked_tree(tmp_path, composite=True)
    put(b / "lib/m2.o", kernel_object([], [], ["b_export"]), T + 30 * NS)
    r = _replay(b)
    made = _made(r)
    assert ("link", "lib/m.o") in made and ("link", "lib/m.mod") in made
    assert [(a.changed, [t.path for t in a.touched]) for a in r.adjusts][0] == \
        (1, ["include/ksym/b/export.h"])
    assert ("compile", "lib/a.o") in made
