"""Trees of today's kernels: v6.2+ file formats (savedcmd_, modules.order naming NAME.o) and
the e6 era (v6.5+: no ksym files, no recursion), captured and replayed.

The trees are built by tests/capture_trees.py with every fact set explicitly; expected
values come from that construction.
"""

from __future__ import annotations

import os

import pytest
from capture_trees import NS, T, e5_tree, e6_tree, put
from elfwriter import kernel_object

from kbsim.kbuild import replay
from kbsim.kbuild.eras import ERAS, with_formats
from kbsim.tree.capture import capture
from kbsim.tree.captured import CapturedTree
from kbsim.tree.detect import detect_granularity, era_of_release
from kbsim.tree.incremental import spec_from_capture


def _vmlinux(b, exported=("a_export",)):
    # a linked v6.5+ vmlinux carries __ksymtab_SYM for the exports modpost kept
    put(b / "vmlinux", kernel_object(list(exported), [], style="6.5"), T + 30 * NS)
    put(b / ".vmlinux.cmd", "savedcmd_vmlinux := scripts/link-vmlinux.sh ld\n", T + 30 * NS)


def test_e6_tree_era_formats_and_modules(tmp_path):
    b, _ = e6_tree(tmp_path)
    cap = capture(str(b))
    assert cap.era.era == "e6"
    ev = " ".join(cap.era.evidence)
    assert "6.12.118" in ev and ".vmlinux.export.c" in ev
    assert cap.kernel_release is not None and cap.kernel_release.text == "6.12.118\n"
    ct = CapturedTree(cap)
    assert ct.formats == {"cmd_prefix": "savedcmd_", "modorder_ext": ".o"}
    assert ct.modules == ["lib/m.ko"]
    assert ct.module_members("lib/m.ko") == ["lib/m.o"]
    # the __export_symbol_ entries of v6.5+ objects are their candidate exports
    assert cap.objects["lib/m.o"].undefined == ["a_export", "printk"]


def test_e6_settled_tree_replays_to_nothing(tmp_path):
    b, _ = e6_tree(tmp_path, module_needs=("a_export",))
    _vmlinux(b)
    r = replay(spec_from_capture(capture(str(b))), jobs=2)
    assert [c.target for c in r.compiles] == []
    assert r.make_status == 0 and r.modpost_errors == [] and r.exit_code == 0
    assert r.stale == []  # e6: no object can carry stale exports
    assert r.era.cmd_prefix == "savedcmd_"


def test_e6_perturbed_module_object_is_found_by_its_dot_o_name(tmp_path):
    """modules.order says lib/m.o: the module's object and source keep their names."""
    b, s = e6_tree(tmp_path, module_needs=("a_export",), header_mtime=T + 5 * NS)
    _vmlinux(b)
    r = replay(spec_from_capture(capture(str(b))), jobs=2)
    assert [c.target for c in r.compiles] == ["lib/m.o"]
    assert r.compiles[0].reasons == [f"due to: {s}/include/linux/x.h"]
    assert r.make_status == 0


def test_e6_modpost_reads_the_exports_of_vmlinux_o(tmp_path):
    """v6.5+ modpost takes every EXPORT_SYMBOL of vmlinux.o (its .export_symbol entries):
    a relinked vmlinux does not lose them."""
    b, _ = e6_tree(tmp_path, module_needs=("a_export",), header_mtime=T + 15 * NS)
    _vmlinux(b)
    put(b / "vmlinux.o", kernel_object([], ["a_export", "a_unused"], style="6.5"),
        T + 25 * NS)
    cap = capture(str(b))
    assert cap.objects["vmlinux.o"].markers == ["a_export", "a_unused"]
    r = replay(spec_from_capture(cap), jobs=2)
    assert sorted(c.target for c in r.compiles) == ["lib/a.o", "lib/m.o"]
    assert "  LD      vmlinux\n" in r.log()
    assert r.modpost_errors == [] and r.exit_code == 0


def test_savedcmd_tree_of_the_e5_era(tmp_path):
    """A v6.2-v6.4 tree: e5 (ksym files, recursion) with savedcmd_ lines."""
    b, _ = e5_tree(tmp_path, module_needs=("a_export",), auto_syms=("a_export",))
    for p in b.rglob(".*.cmd"):
        st = p.stat()
        p.write_text(p.read_text().replace("cmd_", "savedcmd_", 1))
        os.utime(p, ns=(st.st_mtime_ns, st.st_mtime_ns))
    cap = capture(str(b))
    assert cap.era.era == "e5" and cap.era.versions == "v6.2-v6.4"
    spec = spec_from_capture(cap)
    assert spec.formats["cmd_prefix"] == "savedcmd_"
    r = replay(spec, jobs=2)
    assert [c.target for c in r.compiles] == []


def test_with_formats_overrides_only_the_format_fields():
    e = with_formats(ERAS["e5"], {"cmd_prefix": "savedcmd_", "modorder_ext": ".o"})
    assert (e.cmd_prefix, e.modorder_ext, e.structure) == ("savedcmd_", ".o", "self")
    assert with_formats(ERAS["e5"], {}) is ERAS["e5"]
    from kbsim.errors import InputError
    with pytest.raises(InputError):
        with_formats(ERAS["e5"], {"structure": "none"})


@pytest.mark.parametrize("release,era", [
    ("4.14.23\n", "e1"), ("4.19.0", "e2"), ("5.4.0-1", "e3"), ("5.13.2", "e4"),
    ("5.15.0", "e4|e5"), ("6.1.192", "e5"), ("6.4.16", "e5"), ("6.5.0", "e6"),
    ("6.12.118", "e6"), ("4.4.0", None), ("garbage", None), ("", None),
])
def test_era_of_release(release, era):
    assert era_of_release(release) == era


def test_era_from_the_release_when_the_files_show_none(tmp_path):
    """TRIM off: no ksym dependencies anywhere, so the release decides."""
    b, _ = e6_tree(tmp_path, trim=False)
    cap = capture(str(b))
    assert cap.era.era == "e6"
    assert any("kernel.release says 6.12.118" in e for e in cap.era.evidence)


def test_granularity_evidence_names_the_filesystem_and_the_host():
    fine = [T + i * 1_234_567 + (i * 7919) % 1000 for i in range(40)]
    g = detect_granularity(fine, "ext4", "6.18.44")
    assert g.granularity == "ns"
    assert g.evidence.endswith("ext4 on Linux 6.18.44: multigrain timestamps apply there "
                               "(Linux 6.13+)")
    g = detect_granularity(fine, "ext4", "6.1.0")
    assert "no multigrain (before Linux 6.13)" in g.evidence
    assert detect_granularity(fine).evidence == detect_granularity(fine, None, None).evidence


def test_capture_records_filesystem_and_host_kernel(tmp_path):
    b, _ = e6_tree(tmp_path)
    cap = capture(str(b))
    assert cap.granularity.host_kernel == os.uname().release
    assert cap.granularity.filesystem  # whatever holds tmp_path, read from mountinfo


def test_a_failed_make_says_why_in_the_summary_and_the_json(tmp_path):
    """make's *** lines reach the summary however the pass output is cut, and --json's
    warnings."""
    from kbsim.report.replay_report import replay_json, replay_text
    b, s = e6_tree(tmp_path, module_needs=("a_export",))
    _vmlinux(b)
    for i in range(30):  # enough objects that the pass-1 output is cut
        put(b / f"lib/.z{i}.o.cmd", f"savedcmd_lib/z{i}.o := gcc -c -o lib/z{i}.o "
            f"{s}/lib/z{i}.c\n\nsource_lib/z{i}.o := {s}/lib/z{i}.c\n\ndeps_lib/z{i}.o := "
            f"\\\n\nlib/z{i}.o: $(deps_lib/z{i}.o)\n\n$(deps_lib/z{i}.o):\n", T + NS)
        put(b / f"lib/z{i}.o", "", T + NS)
        put(s / f"lib/z{i}.c", "", T + 50 * NS)  # newer than its object: recompiled
    put(b / "lib/.built-in.a.cmd",
        'savedcmd_lib/built-in.a := rm -f lib/built-in.a;  printf "lib/%s " a.o '
        + " ".join(f"z{i}.o" for i in range(30)) + " | xargs ar cDPrST lib/built-in.a\n",
        T + 21 * NS)
    os.unlink(s / "lib/m.c")  # the module object: made after the 30 compiles
    r = replay(spec_from_capture(capture(str(b))), jobs=1)
    assert r.make_status == 2
    why = f"make[1]: *** No rule to make target '{s}/lib/m.c', needed by 'lib/m.o'.  Stop."
    assert why in r.make_errors
    text = replay_text(r)
    assert "earlier lines; --full shows them" in text
    summary = text[text.index("== summary =="):]
    assert f"  {why}\n" in summary
    assert why in replay_json(r)["warnings"]


def test_the_heading_says_how_the_granularity_was_decided(tmp_path):
    from kbsim.report.replay_report import header, replay_json
    b, _ = e6_tree(tmp_path, module_needs=("a_export",))
    _vmlinux(b)
    spec = spec_from_capture(capture(str(b)))
    assert spec.granularity == "1s"  # every stamp of the tree is a whole second
    h = header(replay(spec, jobs=1)).splitlines()[1]
    assert h.startswith("  1s mtimes from the capture's ")
    assert "mtimes are whole seconds" in h and h.endswith("; --granularity overrides")
    r = replay(spec, jobs=1, granularity="ns")
    assert header(r).splitlines()[1].startswith("  ns mtimes as asked (the tree suggested 1s: ")
    assert replay_json(r)["granularity_evidence"].startswith("as asked")


def test_diagnose_e6_kept_trimmed_and_the_same_tick_ksymtab(tmp_path):
    """v6.5+: modpost's KSYMTAB files decide; an export.c rewritten in the tick of its
    object's last compile is the e6 way to lose an export."""
    from capture_trees import e6_linked_tree

    from kbsim.tree.captured import CapturedTree
    from kbsim.tree.diagnose import diagnose
    b, _ = e6_linked_tree(tmp_path / "ok", realmode=False)
    ct = CapturedTree(capture(str(b)))
    d = diagnose(ct, "a_export")
    assert d.case == "ok" and d.exporters[0].object == "vmlinux.o"
    assert [n.module for n in d.needed_by] == ["lib/m.ko"]
    b2, _ = e6_linked_tree(tmp_path / "tick", realmode=False)
    put(b2 / "vmlinux", kernel_object([], [], style="6.5"), T + 48 * NS)  # no KSYMTAB
    os.utime(b2 / ".vmlinux.export.c", ns=(T + 46 * NS,) * 2)  # == .vmlinux.export.o
    d2 = diagnose(CapturedTree(capture(str(b2))), "a_export")
    assert d2.case == "ksymtab-same-tick"
    assert "Unknown symbol a_export" in d2.explanation[0]
    os.utime(b2 / "Module.symvers", ns=(T + 40 * NS,) * 2)  # older than modules.order
    assert diagnose(CapturedTree(capture(str(b2))), "a_export").case == "modpost-not-run"
