"""The whole next make of a captured tree: every stage after the compiles (issue 17).

tests/capture_trees.py's e6_linked_tree is a tree built to the end, each file's mtime set
in the order the real build writes it; the expected lists follow the v6.12 makefiles
(scripts/Makefile.build, Makefile.vmlinux_o, Makefile.modpost, Makefile.vmlinux,
Makefile.modfinal, arch/x86/realmode/Makefile) by hand.
"""

from __future__ import annotations

import os

from capture_trees import NS, T, e6_linked_tree

from kbsim.kbuild import replay
from kbsim.kbuild.treegraph import dir_makefile
from kbsim.tree.capture import capture
from kbsim.tree.incremental import spec_from_capture


def _replay(b, **kw):
    # the tree's stamps are whole seconds (a "1s" tree); ns keeps x.h at 10.5 s apart
    return replay(spec_from_capture(capture(str(b))), jobs=1, granularity="ns", **kw)


def _made(r):
    """(stage, target) of every recipe that wrote something (filechk rows write nothing)."""
    return [(x["stage"], x["target"]) for x in r.rebuilds() if x["writes"]]


def test_settled_tree_rebuilds_nothing(tmp_path):
    b, _ = e6_linked_tree(tmp_path)
    r = _replay(b)
    # outputmakefile's ln -fsn $(srctree) source runs on every make of an O= build
    assert _made(r) == [("prepare", "source")]
    assert r.exit_code == 0
    # filechk targets: listed, regenerated on every make, written only if the text changes
    fc = [x for x in r.rebuilds() if not x["writes"]]
    assert [(x["stage"], x["target"]) for x in fc] == [
        ("prepare", "include/config/kernel.release")]
    assert fc[0]["reasons"][0].startswith("regenerated on every make (Makefile: filechk "
                                          "kernel.release")


def test_a_newer_header_carries_through_every_stage(tmp_path):
    """x.h newer than lib/a.o (10 s) but not than lib/m.o (11 s): a.o is compiled, then
    the archives, vmlinux.a, vmlinux.o, modpost (vmlinux.o is newer), the vmlinux link
    with init/version-timestamp.o; m.mod.c keeps its text, so m.mod.o and m.ko stay."""
    b, _ = e6_linked_tree(tmp_path, header_mtime=T + 10 * NS + NS // 2)
    r = _replay(b)
    assert _made(r) == [
        ("prepare", "source"), ("compile", "lib/a.o"), ("link", "lib/built-in.a"),
        ("link", "built-in.a"), ("link", "vmlinux.a"), ("link", "vmlinux.o"),
        ("modpost", "Module.symvers"), ("vmlinux", "init/version-timestamp.o"),
        ("vmlinux", "vmlinux")]
    rows = {x["target"]: x for x in r.rebuilds()}
    assert rows["Module.symvers"]["reasons"] == ["due to: vmlinux.o"]
    assert rows["Module.symvers"]["writes"] == ["Module.symvers"]  # .mod.c: same text
    assert set(rows["vmlinux"]["writes"]) == {".version", "include/generated/utsversion.h",
                                              "vmlinux", "System.map"}
    assert rows["init/version-timestamp.o"]["reasons"] == [
        "due to: include/generated/utsversion.h"]
    assert r.exit_code == 0


def test_a_newer_module_source_relinks_the_module(tmp_path):
    b, s = e6_linked_tree(tmp_path)
    os.utime(s / "lib/m.c", ns=(T + 20 * NS,) * 2)
    r = _replay(b)
    assert _made(r) == [
        ("prepare", "source"), ("compile", "lib/m.o"), ("link", "lib/modules.order"),
        ("link", "modules.order"), ("modpost", "Module.symvers"), ("modfinal", "lib/m.ko")]
    ko = r.rebuilds()[-1]
    assert ko["reasons"] == ["due to: lib/m.o"]


def test_a_prerequisite_only_the_directory_makefile_declares(tmp_path):
    """rmpiggy.o includes rm/realmode.bin with .incbin: gcc -MMD does not record it,
    arch/x86/realmode/Makefile declares it. A newer realmode.elf makes realmode.bin in
    the sub-make that Makefile runs for it, then rmpiggy.o and on up to vmlinux."""
    b, _ = e6_linked_tree(tmp_path, blob_elf_mtime=T + 35 * NS)
    cap = capture(str(b))
    assert cap.makefile_prereqs == {
        "arch/x86/realmode/rmpiggy.o": ["arch/x86/realmode/rm/realmode.bin"]}
    r = replay(spec_from_capture(cap), jobs=1)
    made = _made(r)
    assert made[:5] == [
        ("prepare", "source"), ("link", "arch/x86/realmode/rm/realmode.bin"),
        ("compile", "arch/x86/realmode/rmpiggy.o"), ("link", "arch/x86/realmode/built-in.a"),
        ("link", "built-in.a")]
    assert ("vmlinux", "vmlinux") in made
    rows = {x["target"]: x for x in r.rebuilds()}
    assert rows["arch/x86/realmode/rmpiggy.o"]["reasons"] == [
        "due to: arch/x86/realmode/rm/realmode.bin"]
    # the sub-make arch/x86/realmode/Makefile runs for it
    cmds = [p.opts.variables for p in r.sim.processes]
    assert any(("obj", "=", "arch/x86/realmode/rm") in v for v in cmds)


def test_shipped_61_capture_settled(tmp_path):
    """The shipped Linux 6.1 capture (e5: the adjust step runs and changes nothing)."""
    from kbsim.tree.registry import load_spec
    spec, _ = load_spec("linux-6.1-tinyconfig")
    assert spec.tree is not None
    r = replay(spec, jobs=2)
    assert [c.target for c in r.compiles] == []
    assert [a.changed for a in r.adjusts] == [0]
    assert _made(r) == [("prepare", "source"), ("boot", "arch/x86_64/boot/bzImage")]
    assert r.exit_code == 0


WRAPPER = "arch/x86/include/generated/uapi/asm/termbits.h"
ASM_HEADERS_612 = "scripts/Makefile.asm-headers:$(obj)/%.h: $(srctree)/$(generic)/%.h"
ASM_GENERIC_61 = "scripts/Makefile.asm-generic:$(obj)/%.h:"


def test_an_asm_generic_wrapper_follows_its_generic_header(tmp_path):
    """v6.12's scripts/Makefile.asm-headers makes each wrapper from its asm-generic header
    (a plain rule, no .cmd file): a newer include/uapi/asm-generic/termbits.h rewrites
    the wrapper, then what includes it (seen on Linux 6.12: drivers/char/mem.o)."""
    b, s = e6_linked_tree(tmp_path, asm_wrapper=ASM_HEADERS_612)
    os.utime(s / "include/uapi/asm-generic/termbits.h", ns=(T + 20 * NS,) * 2)
    cap = capture(str(b))
    assert cap.makefile_prereqs[WRAPPER] == [f"{s}/include/uapi/asm-generic/termbits.h"]
    r = replay(spec_from_capture(cap), jobs=1, granularity="ns")
    made = _made(r)
    assert made[:3] == [("prepare", "source"), ("prepare", WRAPPER), ("compile", "lib/a.o")]
    rows = {x["target"]: x for x in r.rebuilds()}
    assert rows[WRAPPER]["reasons"] == [
        f"due to: {s}/include/uapi/asm-generic/termbits.h"]
    assert rows["lib/a.o"]["reasons"] == [
        f"due to: {WRAPPER} {s}/include/uapi/asm-generic/termbits.h"]


def test_an_asm_generic_wrapper_of_61_is_never_remade(tmp_path):
    """v6.1's scripts/Makefile.asm-generic rule has no prerequisite: the wrapper exists,
    so make never remakes it, however new the generic header."""
    b, s = e6_linked_tree(tmp_path, asm_wrapper=ASM_GENERIC_61)
    os.utime(s / "include/uapi/asm-generic/termbits.h", ns=(T + 20 * NS,) * 2)
    cap = capture(str(b))
    assert WRAPPER not in cap.makefile_prereqs
    r = _replay(b)
    assert [t for _, t in _made(r)][:3] == ["source", "lib/a.o", "lib/built-in.a"]
    rows = {x["target"]: x for x in r.rebuilds()}
    assert rows["lib/a.o"]["reasons"] == [f"due to: {s}/include/uapi/asm-generic/termbits.h"]


def test_a_relinked_composite_module_keeps_its_undefined_symbols(tmp_path):
    """e5 (v6.1): crypto/crypto.o is linked with ld -r from api.o and cipher.o; cipher.o
    uses crypto_alg_list, which api.o defines (ld -r resolves it), and dummy_sym from
    drivers/net/dummy.ko. A recompiled cipher.o relinks crypto.o, which still uses
    dummy_sym, so modpost's crypto.mod.c keeps its text ('depends: dummy') and is not
    rewritten (on Linux 6.1 seed 5 kbsim said crypto/crypto_hash.mod.c was rewritten;
    the real modpost left it)."""
    from capture_trees import e5_race_tree, put
    from elfwriter import kernel_object
    b, s = e5_race_tree(tmp_path)
    sym = "tcp_rate_check_app_limited"
    put(b / "drivers/net/dummy.o", kernel_object([], ["dummy_sym"], [sym]), T + 3 * NS)
    put(b / "crypto/cipher.o", kernel_object([], [], ["crypto_alg_list", "dummy_sym"]),
        T + 2 * NS)
    put(b / "crypto/crypto.o", kernel_object([], ["crypto_alg_list"], ["dummy_sym"]),
        T + 3 * NS)
    os.utime(s / "crypto/cipher.c", ns=(T + 20 * NS,) * 2)
    r = replay(spec_from_capture(capture(str(b))), jobs=1)
    made = [t for _, t in _made(r)]
    assert "crypto/cipher.o" in made and "crypto/crypto.o" in made
    symvers = next(x for x in r.rebuilds() if x["target"] == "Module.symvers")
    assert "crypto/crypto.mod.c" not in symvers["writes"]


LIB_MAKEFILE = """obj-y += a.o
hostprogs := gen_atable

$(obj)/a.o: $(obj)/atable.h

quiet_cmd_atable = GEN     $@
      cmd_atable = $< > $@

$(obj)/atable.h: $(obj)/gen_atable
\t$(call cmd,atable)
"""


def test_a_plain_rule_of_a_directory_makefile(tmp_path):
    """lib/Makefile's crc32table.h (v6.1, v6.12): a plain rule, '$(call cmd,crc32)', no
    .cmd file, made from the host program gen_crc32table; crc32.o depends on it. A newer
    host program remakes the table in lib's Makefile.build, then crc32.o (seen on Linux
    6.12 seed 6: lib/crc32table.h)."""
    from capture_trees import put
    b, s = e6_linked_tree(tmp_path)
    put(s / "lib/Makefile", LIB_MAKEFILE, T - 3600 * NS)
    put(b / "lib/atable.h", "", T + 5 * NS)
    put(b / "lib/gen_atable", "", T + 20 * NS)
    cap = capture(str(b))
    assert cap.makefile_prereqs["lib/atable.h"] == ["lib/gen_atable"]
    r = replay(spec_from_capture(cap), jobs=1)
    made = _made(r)
    # stage compile: made by lib's Makefile.build, where a.o asks for it (not prepare)
    assert made[1:3] == [("compile", "lib/atable.h"), ("compile", "lib/a.o")]
    rows = {x["target"]: x for x in r.rebuilds()}
    assert rows["lib/atable.h"]["reasons"] == ["due to: lib/gen_atable"]
    assert rows["lib/a.o"]["reasons"] == ["due to: lib/atable.h"]


def test_a_plain_rule_that_is_up_to_date(tmp_path):
    from capture_trees import put
    b, s = e6_linked_tree(tmp_path)
    put(s / "lib/Makefile", LIB_MAKEFILE, T - 3600 * NS)
    put(b / "lib/gen_atable", "", T + 4 * NS)
    put(b / "lib/atable.h", "", T + 5 * NS)
    assert _made(_replay(b)) == [("prepare", "source")]


def test_a_plain_rule_target_is_not_in_targets(tmp_path):
    """Makefile.build reads the .cmd files of $(targets), the if_changed targets; a plain
    rule's target has none and is not one (an -include of its missing .cmd file would be a
    makefile make tries to remake, which the plan tier refuses: obj=lib then ran on the
    reference engine in every replay of a 6.1 tree). The whole replay runs on the plan."""
    from capture_trees import put
    b, s = e6_linked_tree(tmp_path)
    put(s / "lib/Makefile", LIB_MAKEFILE, T - 3600 * NS)
    put(b / "lib/gen_atable", "", T + 4 * NS)
    put(b / "lib/atable.h", "", T + 5 * NS)
    spec = spec_from_capture(capture(str(b)))
    lib = dir_makefile(spec.tree, "lib")
    targets = next(ln for ln in lib.splitlines() if ln.startswith("targets := ")).split()
    assert "lib/a.o" in targets and "lib/atable.h" not in targets
    r = replay(spec, jobs=1, granularity="ns", engine="plan")
    assert _made(r) == [("prepare", "source")]


def test_a_composite_module_needs_what_its_members_need(tmp_path):
    """modpost reads a composite module's undefined symbols from NAME.o, which ld -r
    made of its members: their undefined symbols less those another member defines.
    crypto/cipher.o is newer than crypto/crypto.o (a build that stopped between the two)
    and now also uses crypto_missing, which nothing exports: the next make relinks
    crypto.o, its .usyms lists the symbol (so the autoksyms step asks for it) and modpost
    reports it for crypto.ko; crypto_alg_list, which api.o defines, is not reported."""
    from capture_trees import e5_race_tree, put
    from elfwriter import kernel_object
    b, _ = e5_race_tree(tmp_path)
    put(b / "crypto/cipher.o", kernel_object([], [], ["crypto_alg_list", "crypto_missing"]),
        T + 4 * NS)
    put(b / "crypto/.crypto.usyms.cmd", "cmd_crypto/crypto.usyms := nm crypto/crypto.o | "
        "sed -n 's/^  *U //p' > crypto/crypto.usyms\n", T + 3 * NS)
    cap = capture(str(b))
    assert cap.objects["crypto/cipher.o"].undefined == ["crypto_missing"]  # less api.o's
    r = replay(spec_from_capture(cap), jobs=1)
    rows = {x["target"]: x for x in r.rebuilds()}
    assert rows["crypto/crypto.o"]["reasons"] == ["due to: crypto/cipher.o"]
    assert rows["crypto/crypto.usyms"]["reasons"] == ["due to: crypto/crypto.o"]
    # the autoksyms step adds it and nothing else: the rewritten modules.order still
    # lists drivers/net/dummy.ko, whose needs stay (a subdirectory's modules.order is
    # made from its own rule, not from a file the capture did not read)
    assert [t.symbol for a in r.adjusts for t in a.touched] == ["crypto_missing"]
    errors = [e for e in r.modpost_errors if "crypto/crypto.ko" in e]
    assert errors == ['ERROR: modpost: "crypto_missing" [crypto/crypto.ko] undefined!']
