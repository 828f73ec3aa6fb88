"""Small kbuild build trees on disk, for the capture tests.

Every fact a test checks (mtimes, which object exports what, which names a .cmd file
uses) is set here explicitly, so expected values come from the construction, never from
the code under test. .cmd files are written by kbsim.kbuild.cmdfile.write_cmd (the era
writers the kbuild tests compare with real files); objects by tests/elfwriter.py.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from elfwriter import kernel_object

from kbsim.kbuild.cmdfile import write_cmd
from kbsim.kbuild.eras import ERAS
from kbsim.kbuild.naming import NAMINGS

NS = 1_000_000_000
T = 1_700_000_000 * NS  # whole seconds: a "1s" tree unless a test says otherwise


def put(path: Path, data: bytes | str = b"", mtime_ns: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def listing(*tops: Path) -> dict[str, tuple]:
    """Every entry under TOPS with lstat facts that a write would change."""
    out = {}
    for top in tops:
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                st = os.lstat(p)
                out[p] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            st = os.lstat(dirpath)
            out[dirpath] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    return out


def e5_tree(base: Path, *, obj_exports=("a_export",), obj_mtime=T + 10 * NS,
            ksym_mtime: int | None = T + 5 * NS, auto_mtime=T + 4 * NS,
            auto_syms=("a_export", "printk"), module_needs=("a_export", "printk"),
            offset_ns: int = 0) -> tuple[Path, Path]:
    """A 6.1-style O= build (era e5): build dir B with a ``source`` symlink to S.

    lib/a.o (obj-y, in lib/built-in.a) declares EXPORT_SYMBOL(a_export) and
    EXPORT_SYMBOL(a_unused); lib/m.ko (module, lib/m.o) needs MODULE_NEEDS."""
    b, s = base / "build", base / "src"
    off = offset_ns
    put(s / "Makefile", "VERSION = 6\n", T - 3600 * NS)
    put(s / "lib/a.c", "", T - 3600 * NS)
    put(s / "lib/m.c", "", T - 3600 * NS)
    put(s / "include/linux/x.h", "", T - 3600 * NS)
    put(s / "include/linux/y.h", "", T - 3600 * NS)
    b.mkdir(parents=True)
    os.symlink(str(s), b / "source")
    e5, nm = ERAS["e5"], NAMINGS["e5-raw"]
    a_cmd = write_cmd(e5, nm, "lib/a.o", f"gcc -c -o lib/a.o {s}/lib/a.c", f"{s}/lib/a.c",
                      [(f"{s}/include/linux/x.h", ["FOO"]), (f"{s}/include/linux/y.h", [])],
                      ["BAR"], ["a_export", "a_unused"])
    put(b / "lib/.a.o.cmd", a_cmd, obj_mtime + off)
    put(b / "lib/a.o", kernel_object(list(obj_exports), ["a_export", "a_unused"]),
        obj_mtime + off)
    m_cmd = write_cmd(e5, nm, "lib/m.o", f"gcc -c -o lib/m.o {s}/lib/m.c", f"{s}/lib/m.c",
                      [(f"{s}/include/linux/x.h", ["FOO"])], [], [])
    put(b / "lib/.m.o.cmd", m_cmd, T + 2 * NS + off)
    put(b / "lib/m.o", kernel_object([], [], list(module_needs)), T + 2 * NS + off)
    put(b / "lib/.m.ko.cmd", "cmd_lib/m.ko := ld -r -o lib/m.ko lib/m.o lib/m.mod.o\n",
        T + 20 * NS + off)
    put(b / "lib/m.ko", kernel_object([], [], list(module_needs) + ["__this_module"]),
        T + 20 * NS + off)
    put(b / "lib/m.mod", "lib/m.o\n", T + 2 * NS + off)
    put(b / "lib/m.usyms", "".join(f"{x}\n" for x in module_needs), T + 2 * NS + off)
    put(b / "lib/.built-in.a.cmd",
        'cmd_lib/built-in.a := rm -f lib/built-in.a;  printf "lib/%s " a.o | xargs ar '
        'cDPrST lib/built-in.a\n', T + 21 * NS + off)
    put(b / "lib/built-in.a", "!<thin>\n", T + 21 * NS + off)
    put(b / "modules.order", "lib/m.ko\n", T + 3 * NS + off)
    put(b / "include/config/FOO", "", T - 60 * NS + off)
    put(b / "include/config/auto.conf",
        "CONFIG_TRIM_UNUSED_KSYMS=y\nCONFIG_MODULES=y\nCONFIG_FOO=y\n", T - 60 * NS + off)
    put(b / "include/generated/autoksyms.h",
        "/*\n * Automatically generated file; DO NOT EDIT.\n */\n\n"
        + "".join(f"#define __KSYM_{x} 1\n" for x in auto_syms), auto_mtime + off)
    if ksym_mtime is not None:
        put(b / "include/ksym/a_export", "", ksym_mtime + off)
    put(b / "include/ksym/printk", "", T + 4 * NS + off)
    return b, s


def source_makefile(release: str) -> str:
    """The head of a source tree's Makefile for RELEASE (6.12.118): what filechk
    kernel.release and version.h read (tree/filechk.py)."""
    v = (release.split(".") + ["", ""])[:3]
    return (f"VERSION = {v[0]}\nPATCHLEVEL = {v[1]}\nSUBLEVEL = {v[2]}\n"
            "EXTRAVERSION =\n\ndefine filechk_version.h\n"
            "\techo \\#define LINUX_VERSION_MAJOR $(VERSION)\nendef\n")


def e6_tree(base: Path, *, obj_mtime=T + 10 * NS, header_mtime=T - 3600 * NS,
            module_needs=("a_export", "printk"), release="6.12.118",
            cmd_prefix="savedcmd_", modorder_ext=".o", trim=True) -> tuple[Path, Path]:
    """A 6.12-style O= build (era e6): savedcmd_ lines, modules.order naming lib/m.o, a
    one-per-line lib/m.mod and no .usyms, no autoksyms.h, no include/ksym; lib/a.o
    (obj-y) carries __export_symbol_ markers for a_export and a_unused, lib/m.o (a
    module) needs MODULE_NEEDS. The vmlinux link left .vmlinux.export.c behind."""
    b, s = base / "build", base / "src"
    put(s / "Makefile", source_makefile(release), T - 3600 * NS)
    put(s / "lib/a.c", "", T - 3600 * NS)
    put(s / "lib/m.c", "", T - 3600 * NS)
    put(s / "include/linux/x.h", "", header_mtime)
    b.mkdir(parents=True)
    os.symlink(str(s), b / "source")
    e6, nm = ERAS["e6"], NAMINGS["e5-raw"]

    def cmd(target: str, src: str) -> str:
        text = write_cmd(e6, nm, target, f"gcc -c -o {target} {s}/{src}", f"{s}/{src}",
                         [(f"{s}/include/linux/x.h", ["FOO"])], ["BAR"], [])
        return text.replace("savedcmd_", cmd_prefix, 1)

    put(b / "lib/.a.o.cmd", cmd("lib/a.o", "lib/a.c"), obj_mtime)
    put(b / "lib/a.o", kernel_object([], ["a_export", "a_unused"], style="6.5"), obj_mtime)
    put(b / "lib/.m.o.cmd", cmd("lib/m.o", "lib/m.c"), T + 2 * NS)
    put(b / "lib/m.o", kernel_object([], [], list(module_needs), style="6.5"), T + 2 * NS)
    put(b / "lib/.m.ko.cmd", f"{cmd_prefix}lib/m.ko := ld -r -o lib/m.ko lib/m.o "
                             f"lib/m.mod.o .module-common.o\n", T + 20 * NS)
    put(b / "lib/m.ko", kernel_object([], [], list(module_needs) + ["__this_module"],
                                      style="6.5"), T + 20 * NS)
    put(b / "lib/m.mod", "lib/m.o\n", T + 2 * NS)
    put(b / "lib/.built-in.a.cmd",
        f'{cmd_prefix}lib/built-in.a := rm -f lib/built-in.a;  printf "lib/%s " a.o | '
        f'xargs ar cDPrST lib/built-in.a\n', T + 21 * NS)
    put(b / "lib/built-in.a", "!<thin>\n", T + 21 * NS)
    put(b / "modules.order", f"lib/m{modorder_ext}\n", T + 3 * NS)
    put(b / ".vmlinux.export.c", "#include <linux/export-internal.h>\n", T + 22 * NS)
    put(b / "include/config/FOO", "", T - 60 * NS)
    put(b / "include/config/BAR", "", T - 60 * NS)
    put(b / "include/config/kernel.release", f"{release}\n", T - 60 * NS)
    put(b / "include/config/auto.conf",
        ("CONFIG_TRIM_UNUSED_KSYMS=y\n" if trim else "")
        + "CONFIG_MODULES=y\nCONFIG_FOO=y\nCONFIG_BAR=y\n", T - 60 * NS)
    return b, s


E1_CMD_USERCOPY = "arch/x86/lib/.usercopy_64.o.cmd"


def e1_tree(base: Path, *, same_tick: bool = True) -> Path:
    """A 4.14-style in-tree build (era e1) with the 2018 failure: usercopy_64.o stamped in
    the same second as include/config/ksym/clear/user.h, which its .cmd file names twice
    (///clear/user.h for __clear_user, /clear/user.h for clear_user)."""
    b = base / "linux"
    e1, nm = ERAS["e1"], NAMINGS["e1-tr"]
    put(b / "Kbuild", "", T - 3600 * NS)
    put(b / "scripts/Makefile.build", "", T - 3600 * NS)
    put(b / "include/linux/export.h", "", T - 3600 * NS)
    put(b / "arch/x86/lib/usercopy_64.c", "", T - 3600 * NS)
    put(b / "arch/x86/lib/putuser.S", "", T - 3600 * NS)
    u = write_cmd(e1, nm, "arch/x86/lib/usercopy_64.o",
                  "gcc -c -o arch/x86/lib/usercopy_64.o arch/x86/lib/usercopy_64.c",
                  "arch/x86/lib/usercopy_64.c",
                  [("include/linux/export.h", ["MODULES", "TRIM_UNUSED_KSYMS"])], [],
                  ["__clear_user", "clear_user", "memcpy_flushcache"])
    obj_t = T + 100 * NS
    put(b / E1_CMD_USERCOPY, u, obj_t)
    put(b / "arch/x86/lib/usercopy_64.o",
        kernel_object(["memcpy_flushcache"], style="4.x"), obj_t)
    p = write_cmd(e1, nm, "arch/x86/lib/putuser.o",
                  "gcc -D__ASSEMBLY__ -c -o arch/x86/lib/putuser.o arch/x86/lib/putuser.S",
                  "arch/x86/lib/putuser.S", [("include/linux/export.h", ["MODULES"])], [],
                  ["__put_user_8"])
    put(b / "arch/x86/lib/.putuser.o.cmd", p, T + 101 * NS)
    put(b / "arch/x86/lib/putuser.o", kernel_object(["__put_user_8"], style="4.x"),
        T + 101 * NS)
    put(b / "arch/x86/lib/.lib.a.cmd",
        "cmd_arch/x86/lib/lib.a := rm -f arch/x86/lib/lib.a; ar rcsTPD arch/x86/lib/lib.a "
        "arch/x86/lib/putuser.o arch/x86/lib/usercopy_64.o\n", T + 102 * NS)
    put(b / "arch/x86/lib/lib.a", "!<thin>\n", T + 102 * NS)
    ksym_t = obj_t if same_tick else obj_t + NS
    put(b / "include/config/ksym/clear/user.h", "", ksym_t)
    put(b / "include/config/ksym/put/user/8.h", "", T + 99 * NS)
    put(b / "include/config/modules.h", "", T - 60 * NS)
    put(b / "include/config/auto.conf", "CONFIG_TRIM_UNUSED_KSYMS=y\nCONFIG_MODULES=y\n",
        T - 60 * NS)
    put(b / "include/generated/autoksyms.h",
        "#define __KSYM___clear_user 1\n#define __KSYM___put_user_8 1\n"
        "#define __KSYM_clear_user 1\n", obj_t)
    put(b / ".tmp_versions/videodev.mod",
        "drivers/media/v4l2-core/videodev.ko\ndrivers/media/v4l2-core/videodev.o\n"
        "clear_user __put_user_8\n", T + 50 * NS)
    put(b / ".tmp_versions/kvm.mod",
        "arch/x86/kvm/kvm.ko\narch/x86/kvm/kvm.o\n__clear_user\n", T + 51 * NS)
    put(b / "modules.order", "drivers/media/v4l2-core/videodev.ko\narch/x86/kvm/kvm.ko\n",
        T + 52 * NS)
    return b


COMPILE_H = ('#define UTS_MACHINE\t\t"x86_64"\n#define LINUX_COMPILE_BY\t"kbsim"\n'
             '#define LINUX_COMPILE_HOST\t"kbsim"\n#define LINUX_COMPILER\t\t"gcc (Debian '
             '12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40"\n')
BOUNDS_S = ('\t.file\t"bounds.c"\n#APP\n# 19 "kernel/bounds.c" 1\n\t\n'
            '.ascii "->NR_PAGEFLAGS $20 __NR_PAGEFLAGS"\t#\n# 0 "" 2\n\t\n.ascii "->"\n'
            '\t.ascii "->#comment line"\n.ascii "->MAX_NR_ZONES $3 __MAX_NR_ZONES"\t#\n')
# what sed-offsets (scripts/Makefile.lib) makes of BOUNDS_S, checked against the real sed
# in tests/test_filechk.py
BOUNDS_H = ("#ifndef __LINUX_BOUNDS_H__\n#define __LINUX_BOUNDS_H__\n/*\n * DO NOT MODIFY.\n"
            " *\n * This file was generated by Kbuild\n */\n\n"
            "#define NR_PAGEFLAGS 20 /* __NR_PAGEFLAGS */\n\n/* comment line */\n"
            "#define MAX_NR_ZONES 3 /* __MAX_NR_ZONES */\n\n#endif\n")


def e6_linked_tree(base: Path, *, header_mtime=T - 3600 * NS, blob_elf_mtime=T + 30 * NS,
                   realmode=True, asm_wrapper: str | None = None,
                   generated: bool = False) -> tuple[Path, Path]:
    """A 6.12-style tree built to the end, in the order the real build writes it (each
    file's mtime says when): lib/a.o (obj-y) and lib/m.o (module m) compiled; the
    archives lib/built-in.a, built-in.a, lib/modules.order, modules.order; vmlinux.a,
    vmlinux.o; modpost's Module.symvers, lib/m.mod.c and .vmlinux.export.c; vmlinux (with
    .vmlinux.export.o, init/version-timestamp.o, System.map, .version); lib/m.mod.o and
    lib/m.ko. With REALMODE, arch/x86/realmode/rmpiggy.o (obj-y) includes
    rm/realmode.bin by .incbin, a prerequisite only arch/x86/realmode/Makefile declares;
    rm/realmode.bin is made from rm/realmode.elf (mtime BLOB_ELF_MTIME) by its own
    sub-make. ASM_WRAPPER (the text of the source tree's scripts/Makefile.asm-headers,
    v6.12, or Makefile.asm-generic, v6.1, rule line): lib/a.o also includes the generated
    wrapper arch/x86/include/generated/uapi/asm/termbits.h ('#include
    <asm-generic/termbits.h>', written at 5 s) of include/uapi/asm-generic/termbits.h.
    GENERATED: the filechk targets as a make with KBUILD_BUILD_USER/HOST=kbsim wrote them
    (at 3 s): compile.h, utsrelease.h, version.h, init/utsversion-tmp.h and bounds.h from
    kernel/bounds.s (compiled in prepare from kernel/bounds.c, which includes x.h);
    lib/a.o includes compile.h and utsrelease.h."""
    b, s = base / "build", base / "src"
    sec = lambda n: T + n * NS  # noqa: E731
    put(s / "Makefile", source_makefile("6.12.118"), T - 3600 * NS)
    for f in ("lib/a.c", "lib/m.c", "init/version-timestamp.c", "scripts/link-vmlinux.sh",
              "scripts/module-common.c", "arch/x86/realmode/rmpiggy.S"):
        put(s / f, "", T - 3600 * NS)
    put(s / "include/linux/x.h", "", header_mtime)
    put(s / "arch/x86/realmode/Makefile",
        "obj-y += rmpiggy.o\n\n$(obj)/rmpiggy.o: $(obj)/rm/realmode.bin\n\n"
        "$(obj)/rm/realmode.bin: FORCE\n\t$(Q)$(MAKE) $(build)=$(obj)/rm $@\n", T - 3600 * NS)
    b.mkdir(parents=True)
    os.symlink(str(s), b / "source")
    e6, nm = ERAS["e6"], NAMINGS["e5-raw"]

    def compile_(target: str, src: str, at: int, headers=None) -> None:
        hs = headers if headers is not None else [(f"{s}/include/linux/x.h", ["FOO"])]
        put(b / posixpath.dirname(target) / f".{posixpath.basename(target)}.cmd",
            write_cmd(e6, nm, target, f"gcc -c -o {target} {src}", src, hs, [], []), at)

    def saved(target: str, command: str, at: int) -> None:
        put(b / posixpath.dirname(target) / f".{posixpath.basename(target)}.cmd",
            f"savedcmd_{target} := {command}\n", at)

    a_headers = None
    if asm_wrapper is not None:
        name, rule = asm_wrapper.split(":", 1)
        put(s / name, f"# the rule of the wrappers\n{rule.lstrip()}\n\t$(call cmd,wrap)\n",
            T - 3600 * NS)
        put(s / "include/uapi/asm-generic/termbits.h", "", T - 3600 * NS)
        wrapper = "arch/x86/include/generated/uapi/asm/termbits.h"
        put(b / wrapper, "#include <asm-generic/termbits.h>\n", sec(5))
        a_headers = [(f"{s}/include/linux/x.h", ["FOO"]), (wrapper, []),
                     (f"{s}/include/uapi/asm-generic/termbits.h", [])]  # gcc -MMD: both
    if generated:
        put(b / "include/generated/compile.h", COMPILE_H, sec(3))
        put(b / "include/generated/utsrelease.h", '#define UTS_RELEASE "6.12.118"\n', sec(3))
        put(b / "include/generated/uapi/linux/version.h",
            "#define LINUX_VERSION_CODE 396406\n#define KERNEL_VERSION(a,b,c) (((a) << 16) + "
            "((b) << 8) + ((c) > 255 ? 255 : (c)))\n#define LINUX_VERSION_MAJOR 6\n"
            "#define LINUX_VERSION_PATCHLEVEL 12\n#define LINUX_VERSION_SUBLEVEL 118\n", sec(3))
        put(b / "init/utsversion-tmp.h", '#define UTS_VERSION "# "\n', sec(3))
        put(s / "kernel/bounds.c", "", T - 3600 * NS)
        compile_("kernel/bounds.s", f"{s}/kernel/bounds.c", sec(2))
        put(b / "kernel/bounds.s", BOUNDS_S, sec(2))
        put(b / "include/generated/bounds.h", BOUNDS_H, sec(3))
        a_headers = (a_headers or [(f"{s}/include/linux/x.h", ["FOO"])]) + [
            ("include/generated/compile.h", []), ("include/generated/utsrelease.h", [])]
    compile_("lib/a.o", f"{s}/lib/a.c", sec(10), headers=a_headers)
    put(b / "lib/a.o", kernel_object([], ["a_export"], style="6.5"), sec(10))
    compile_("lib/m.o", f"{s}/lib/m.c", sec(11))
    put(b / "lib/m.o", kernel_object([], [], ["a_export"], style="6.5"), sec(11))
    saved("lib/m.mod", "printf '%s\\n' m.o | awk '!x[$$0]++ { print(\"lib/\"$$0) }' > "
          "lib/m.mod", sec(11))
    put(b / "lib/m.mod", "lib/m.o\n", sec(11))
    members = ["a.o"]
    if realmode:
        put(b / "arch/x86/realmode/rm/realmode.elf", "", blob_elf_mtime)
        saved("arch/x86/realmode/rm/realmode.bin", "objcopy -O binary "
              "arch/x86/realmode/rm/realmode.elf arch/x86/realmode/rm/realmode.bin", sec(31))
        put(b / "arch/x86/realmode/rm/realmode.bin", "", sec(31))
        compile_("arch/x86/realmode/rmpiggy.o", f"{s}/arch/x86/realmode/rmpiggy.S", sec(32),
                 headers=[])
        put(b / "arch/x86/realmode/rmpiggy.o", "", sec(32))
        saved("arch/x86/realmode/built-in.a", 'rm -f arch/x86/realmode/built-in.a;  printf '
              '"arch/x86/realmode/%s " rmpiggy.o | xargs ar cDPrST '
              'arch/x86/realmode/built-in.a', sec(33))
        put(b / "arch/x86/realmode/built-in.a", "!<thin>\n", sec(33))
    saved("lib/built-in.a", 'rm -f lib/built-in.a;  printf "lib/%s " a.o | xargs ar cDPrST '
          'lib/built-in.a', sec(40))
    put(b / "lib/built-in.a", "!<thin>\n", sec(40))
    tops = ["lib/built-in.a"] + (["arch/x86/realmode/built-in.a"] if realmode else [])
    saved("built-in.a", 'rm -f built-in.a;  printf "./%s " ' + " ".join(tops)
          + " | xargs ar cDPrST built-in.a", sec(41))
    put(b / "built-in.a", "!<thin>\n", sec(41))
    saved("lib/modules.order", "{   echo lib/m.o; :; } > lib/modules.order", sec(41))
    put(b / "lib/modules.order", "lib/m.o\n", sec(41))
    saved("modules.order", "{   cat lib/modules.order; :; } > modules.order", sec(42))
    put(b / "modules.order", "lib/m.o\n", sec(42))
    saved("vmlinux.a", "rm -f vmlinux.a; ar cDPrST vmlinux.a ./built-in.a", sec(43))
    put(b / "vmlinux.a", "!<thin>\n", sec(43))
    saved("vmlinux.o", "ld -r -o vmlinux.o --whole-archive vmlinux.a --no-whole-archive",
          sec(44))
    put(b / "vmlinux.o", kernel_object([], ["a_export"], style="6.5"), sec(44))
    put(b / "scripts/mod/modpost", "", T - 100 * NS)
    saved("Module.symvers", "scripts/mod/modpost -M -E -o Module.symvers -T modules.order "
          "-t vmlinux.o", sec(45))
    put(b / "Module.symvers", "", sec(45))
    put(b / "lib/m.mod.c", "", sec(45))
    put(b / ".vmlinux.export.c", "", sec(45))
    compile_(".vmlinux.export.o", ".vmlinux.export.c", sec(46), headers=[])
    put(b / ".vmlinux.export.o", "", sec(46))
    put(b / "include/generated/utsversion.h", "", sec(46))
    compile_("init/version-timestamp.o", f"{s}/init/version-timestamp.c", sec(47),
             headers=[("include/generated/utsversion.h", [])])
    put(b / "init/version-timestamp.o", "", sec(47))
    put(b / ".vmlinux.cmd", f"savedcmd_vmlinux := {s}/scripts/link-vmlinux.sh \"ld\"\n\n"
        f"source_vmlinux := {s}/scripts/link-vmlinux.sh\n\ndeps_vmlinux := \\\n\n"
        "vmlinux: $(deps_vmlinux)\n\n$(deps_vmlinux):\n", sec(48))
    put(b / "vmlinux", kernel_object(["a_export"], [], style="6.5"), sec(48))
    put(b / "System.map", "", sec(48))
    put(b / ".version", "1\n", sec(48))
    compile_("lib/m.mod.o", "lib/m.mod.c", sec(49), headers=[])
    put(b / "lib/m.mod.o", "", sec(49))
    compile_(".module-common.o", f"{s}/scripts/module-common.c", sec(49))
    put(b / ".module-common.o", "", sec(49))
    saved("lib/m.ko", "ld -r -o lib/m.ko lib/m.o lib/m.mod.o .module-common.o", sec(50))
    put(b / "lib/m.ko", kernel_object([], [], ["a_export", "__this_module"], style="6.5"),
        sec(50))
    put(b / "include/config/FOO", "", T - 60 * NS)
    put(b / "include/config/kernel.release", "6.12.118\n", T - 60 * NS)
    put(b / "include/config/auto.conf", "CONFIG_TRIM_UNUSED_KSYMS=y\nCONFIG_MODULES=y\n"
        "CONFIG_FOO=y\n" + ("CONFIG_X86_64=y\nCONFIG_CC_VERSION_TEXT=gcc (Debian 12.2.0-14) "
                            "12.2.0\nCONFIG_LOCALVERSION=\n" if generated else ""), T - 60 * NS)
    return b, s


def e5_race_tree(base: Path) -> tuple[Path, Path]:
    """A 6.1-style tree (era e5, 1 s timestamps) left by a build that hit the 1-second race:
    net/ipv4/tcp_rate.o declares EXPORT_SYMBOL(tcp_rate_check_app_limited) and was compiled
    before autoksyms.h asked for it; the adjust script then touched
    include/ksym/tcp_rate_check_app_limited in the same second as the object was written,
    so the re-run make did not recompile it, and modpost failed for drivers/net/dummy.ko,
    which needs the symbol (make deleted Module.symvers: .DELETE_ON_ERROR). crypto/crypto.o
    is a composite module (api.o, cipher.o). Every mtime is a whole second."""
    b, s = base / "build", base / "src"
    sec = lambda n: T + n * NS  # noqa: E731
    sym = "tcp_rate_check_app_limited"
    put(s / "Makefile", source_makefile("6.1.192"), T - 3600 * NS)
    for f in ("net/ipv4/tcp_rate.c", "drivers/net/dummy.c", "crypto/api.c", "crypto/cipher.c",
              "init/version-timestamp.c", "scripts/link-vmlinux.sh"):
        put(s / f, "", T - 3600 * NS)
    put(s / "include/linux/export.h", "", T - 3600 * NS)
    b.mkdir(parents=True)
    os.symlink(str(s), b / "source")
    e5, nm = ERAS["e5"], NAMINGS["e5-raw"]

    def compile_(target: str, src: str, at: int, ksyms=(), headers=None) -> None:
        hs = headers if headers is not None else [
            (f"{s}/include/linux/export.h", ["MODULES", "TRIM_UNUSED_KSYMS"])]
        put(b / posixpath.dirname(target) / f".{posixpath.basename(target)}.cmd",
            write_cmd(e5, nm, target, f"gcc -c -o {target} {src}", src, hs, [], list(ksyms)),
            at)

    def saved(target: str, command: str, at: int) -> None:
        put(b / posixpath.dirname(target) / f".{posixpath.basename(target)}.cmd",
            f"cmd_{target} := {command}\n", at)

    def archive(d: str, members: list[str], at: int) -> None:
        pre = "" if d == "." else d + "/"
        saved(f"{pre}built-in.a", f'rm -f {pre}built-in.a;  printf "{d}/%s " '
              + " ".join(members) + f" | xargs ar cDPrST {pre}built-in.a", at)
        put(b / f"{pre}built-in.a", "!<thin>\n", at)

    def order(d: str, lines: list[str], at: int) -> None:
        pre = "" if d == "." else d + "/"
        saved(f"{pre}modules.order", "{ " + " ".join(lines) + " :; } > "
              f"{pre}modules.order", at)

    # pass 1 (autoksyms.h empty): everything compiled without exports
    put(b / "include/generated/autoksyms.h", "", sec(0))
    compile_("crypto/api.o", f"{s}/crypto/api.c", sec(2), ksyms=["crypto_alg_list"])
    put(b / "crypto/api.o", kernel_object([], ["crypto_alg_list"]), sec(2))
    compile_("crypto/cipher.o", f"{s}/crypto/cipher.c", sec(2))
    put(b / "crypto/cipher.o", kernel_object([], [], ["crypto_alg_list"]), sec(2))
    saved("crypto/crypto.mod", "printf '%s\\n' api.o cipher.o | awk '!x[$$0]++ "
          "{ print(\"crypto/\"$$0) }' > crypto/crypto.mod", sec(2))
    put(b / "crypto/crypto.mod", "crypto/api.o\ncrypto/cipher.o\n", sec(2))
    put(b / "crypto/crypto.usyms", "", sec(3))
    saved("crypto/crypto.o", "ld -r -o crypto/crypto.o @crypto/crypto.mod", sec(3))
    put(b / "crypto/crypto.o", kernel_object([], ["crypto_alg_list"]), sec(3))
    compile_("drivers/net/dummy.o", f"{s}/drivers/net/dummy.c", sec(3))
    put(b / "drivers/net/dummy.o", kernel_object([], [], [sym]), sec(3))
    saved("drivers/net/dummy.mod", "printf '%s\\n' dummy.o | awk '!x[$$0]++ "
          "{ print(\"drivers/net/\"$$0) }' > drivers/net/dummy.mod", sec(3))
    put(b / "drivers/net/dummy.mod", "drivers/net/dummy.o\n", sec(3))
    put(b / "drivers/net/dummy.usyms", f"{sym}\n", sec(3))
    archive("crypto", [], sec(4))
    order("crypto", ["echo crypto/crypto.ko;"], sec(4))
    put(b / "crypto/modules.order", "crypto/crypto.ko\n", sec(4))
    archive("drivers/net", [], sec(4))
    order("drivers/net", ["echo drivers/net/dummy.ko;"], sec(4))
    put(b / "drivers/net/modules.order", "drivers/net/dummy.ko\n", sec(4))
    archive("drivers", ["net/built-in.a"], sec(4))
    order("drivers", ["cat drivers/net/modules.order;"], sec(4))
    put(b / "drivers/modules.order", "drivers/net/dummy.ko\n", sec(4))
    # the last object of pass 1, written in second 5 ...
    compile_("net/ipv4/tcp_rate.o", f"{s}/net/ipv4/tcp_rate.c", sec(5), ksyms=[sym])
    put(b / "net/ipv4/tcp_rate.o", kernel_object([], [sym]), sec(5))
    archive("net/ipv4", ["tcp_rate.o"], sec(5))
    order("net/ipv4", [], sec(5))
    put(b / "net/ipv4/modules.order", "", sec(5))
    archive("net", ["ipv4/built-in.a"], sec(5))
    order("net", ["cat net/ipv4/modules.order;"], sec(5))
    put(b / "net/modules.order", "", sec(5))
    archive(".", ["crypto/built-in.a", "net/built-in.a", "drivers/built-in.a"], sec(5))
    order(".", ["cat crypto/modules.order;", "cat net/modules.order;",
                "cat drivers/modules.order;"], sec(5))
    put(b / "modules.order", "crypto/crypto.ko\ndrivers/net/dummy.ko\n", sec(5))
    # ... and the adjust script's touch in that same second (1 s timestamps)
    put(b / f"include/ksym/{sym}", "", sec(5))
    put(b / "include/generated/autoksyms.h",
        "/*\n * Automatically generated file; DO NOT EDIT.\n */\n\n"
        f"#define __KSYM_{sym} 1\n", sec(5))
    # pass 2: nothing recompiled (tcp_rate.o and its ksym file have equal mtimes)
    # modpost wrote the .mod.c files, then failed: make deleted Module.symvers
    put(b / "crypto/crypto.mod.c", "", sec(9))
    put(b / "drivers/net/dummy.mod.c", "", sec(9))
    saved("vmlinux.a", "rm -f vmlinux.a; ar cDPrST vmlinux.a ./built-in.a", sec(7))
    put(b / "vmlinux.a", "!<thin>\n", sec(7))
    saved("vmlinux.o", "ld -r -o vmlinux.o --whole-archive vmlinux.a --no-whole-archive",
          sec(8))
    put(b / "vmlinux.o", kernel_object([], [sym]), sec(8))
    put(b / "scripts/mod/modpost", "", T - 100 * NS)
    put(b / ".vmlinux.cmd", f"cmd_vmlinux := {s}/scripts/link-vmlinux.sh \"ld\"\n", sec(1))
    put(b / "include/config/MODULES", "", T - 60 * NS)
    put(b / "include/config/TRIM_UNUSED_KSYMS", "", T - 60 * NS)
    put(b / "include/config/kernel.release", "6.1.192\n", T - 60 * NS)
    put(b / "include/config/auto.conf", "CONFIG_TRIM_UNUSED_KSYMS=y\nCONFIG_MODULES=y\n",
        T - 60 * NS)
    return b, s


def e3_linked_tree(base: Path, *, header_mtime=T - 3600 * NS,
                   objtool_mtime: int | None = None,
                   composite: bool = False) -> tuple[Path, Path]:
    """A 5.10-style O= tree (era e3: ksymdeps_ blocks of include/ksym/*.h names and
    include/config/*.h CONFIG deps; .cmd lines, files and their mtime order as a real
    Linux 5.10.223 build writes them), built to the end. Build directories init, arch/x86
    and lib; arch/x86/kernel's $(head-y) object head64.o is compiled but in no archive;
    lib/a.o (obj-y) exports a_export, which module m (lib/m.o) uses. Then, in the order
    link-vmlinux.sh writes them: .version, compile.h, vmlinux.o, vmlinux.symvers,
    modules.builtin.modinfo, modules.builtin, vmlinux, System.map; Makefile.modpost's
    modules-only.symvers (modpost, with lib/m.mod.c) and Module.symvers (cat);
    Makefile.modfinal's lib/m.mod.o and lib/m.ko. With OBJTOOL_MTIME: CONFIG_STACK_VALIDATION
    and tools/objtool/objtool (that mtime), and arch/x86/kernel/Makefile exempts head64.o
    from objtool (OBJECT_FILES_NON_STANDARD_head64.o := y). COMPOSITE: module m is linked
    from lib/m1.o (needs a_export) and lib/m2.o (m-y := m1.o m2.o, 5.10's cmd_link_multi-m
    'ld -r'), and lib/a.c also has EXPORT_SYMBOL(b_export), trimmed (a marker, a
    ksymdeps_ entry, not compiled in)."""
    b, s = base / "build", base / "src"
    sec = lambda n: T + n * NS  # noqa: E731
    put(s / "Makefile", source_makefile("5.10.223"), T - 3600 * NS)
    if objtool_mtime is not None:
        put(s / "arch/x86/kernel/Makefile", "extra-y += head64.o\n"
            "OBJECT_FILES_NON_STANDARD_head64.o\t:= y\nobj-y += setup.o\n", T - 3600 * NS)
    for f in ("lib/a.c", "lib/m.c", "init/version.c", "arch/x86/kernel/head64.c",
              "arch/x86/kernel/setup.c", "arch/x86/kernel/vmlinux.lds.S",
              "scripts/link-vmlinux.sh"):
        put(s / f, "", T - 3600 * NS)
    put(s / "include/linux/x.h", "", header_mtime)
    b.mkdir(parents=True)
    os.symlink(str(s), b / "source")
    if objtool_mtime is not None:
        put(b / "tools/objtool/objtool", "", objtool_mtime)
    e3, nm = ERAS["e3"], NAMINGS["e2-collapse"]

    def compile_(target: str, src: str, at: int, headers=None, ksyms=()) -> None:
        hs = headers if headers is not None else [(f"{s}/include/linux/x.h", ["FOO"])]
        put(b / posixpath.dirname(target) / f".{posixpath.basename(target)}.cmd",
            write_cmd(e3, nm, target, f"gcc -D__KERNEL__ -c -o {target} {src}", src, hs, [],
                      list(ksyms)), at)

    def saved(target: str, command: str, at: int) -> None:
        put(b / posixpath.dirname(target) / f".{posixpath.basename(target)}.cmd",
            f"cmd_{target} := {command}\n", at)

    def archive(d: str, members: list[str], at: int) -> None:  # 5.10 cmd_ar_builtin
        saved(f"{d}/built-in.a", f"rm -f {d}/built-in.a; ar cDPrST {d}/built-in.a "
              + " ".join(members), at)
        put(b / f"{d}/built-in.a", "!<thin>\n", at)

    def order(d: str, lines: list[str], text: str, at: int) -> None:  # cmd_modules_order
        saved(f"{d}/modules.order", "{ " + " ".join(lines) + " :; } | awk '!x[$$0]++' - > "
              f"{d}/modules.order", at)
        put(b / f"{d}/modules.order", text, at)

    put(b / "include/generated/autoksyms.h", "/*\n * Automatically generated file; DO NOT "
        "EDIT.\n */\n\n#define __KSYM_a_export 1\n", sec(1))
    put(b / "include/ksym/a/export.h", "", sec(1))
    put(b / "include/generated/compile.h", "/* version 1 */\n", sec(1))
    compile_("arch/x86/kernel/head64.o", f"{s}/arch/x86/kernel/head64.c", sec(2))
    put(b / "arch/x86/kernel/head64.o", kernel_object([]), sec(2))
    compile_("arch/x86/kernel/setup.o", f"{s}/arch/x86/kernel/setup.c", sec(2))
    put(b / "arch/x86/kernel/setup.o", kernel_object([]), sec(2))
    compile_("arch/x86/kernel/vmlinux.lds", f"{s}/arch/x86/kernel/vmlinux.lds.S", sec(2),
             headers=[])
    put(b / "arch/x86/kernel/vmlinux.lds", "", sec(2))
    archive("arch/x86/kernel", ["arch/x86/kernel/setup.o"], sec(3))
    order("arch/x86/kernel", [], "", sec(3))
    archive("arch/x86", ["arch/x86/kernel/built-in.a"], sec(3))
    order("arch/x86", ["cat arch/x86/kernel/modules.order;"], "", sec(3))
    compile_("init/version.o", f"{s}/init/version.c", sec(4),
             headers=[("include/generated/compile.h", [])])
    put(b / "init/version.o", kernel_object([]), sec(4))
    archive("init", ["init/version.o"], sec(5))
    order("init", [], "", sec(5))
    trimmed = ["b_export"] if composite else []
    compile_("lib/a.o", f"{s}/lib/a.c", sec(10), ksyms=["a_export"] + trimmed)
    put(b / "lib/a.o", kernel_object(["a_export"], ["a_export"] + trimmed), sec(10))
    if composite:
        for m, und in (("m1", ["a_export"]), ("m2", [])):
            put(s / f"lib/{m}.c", "", T - 3600 * NS)
            compile_(f"lib/{m}.o", f"{s}/lib/{m}.c", sec(11))
            put(b / f"lib/{m}.o", kernel_object([], [], und), sec(11))
        saved("lib/m.o", "ld -m elf_x86_64   -r -o lib/m.o lib/m1.o lib/m2.o", sec(11))
        objs = "lib/m1.o lib/m2.o"
    else:
        compile_("lib/m.o", f"{s}/lib/m.c", sec(11))
        objs = "lib/m.o"
    put(b / "lib/m.o", kernel_object([], [], ["a_export"]), sec(11))
    # 5.10 Makefile.build: $(obj)/%.mod: $(obj)/%.o FORCE (objects, then undefined symbols)
    saved("lib/m.mod", f"{{ echo  {objs}; nm lib/m.o | awk '$$1 == \"U\" {{ printf(\"%s%s\", "
          "x++ ? \" \" : \"\", $$2) }'; echo; } > lib/m.mod", sec(11))
    put(b / "lib/m.mod", f"{objs}\na_export\n", sec(11))
    archive("lib", ["lib/a.o"], sec(12))
    order("lib", ["echo lib/m.ko;"], "lib/m.ko\n", sec(12))
    saved("modules.order", "awk '!x[$$0]++' init/modules.order arch/x86/modules.order "
          "lib/modules.order > modules.order", sec(13))
    put(b / "modules.order", "lib/m.ko\n", sec(13))
    # link-vmlinux.sh
    put(b / ".version", "1\n", sec(20))
    put(b / "vmlinux.o", kernel_object(["a_export"], ["a_export"]), sec(21))
    for f in ("vmlinux.symvers", "modules.builtin.modinfo", "modules.builtin"):
        put(b / f, "", sec(22))
    put(b / ".vmlinux.cmd", f"cmd_vmlinux := sh {s}/scripts/link-vmlinux.sh \"ld\" "
        "\"-m elf_x86_64\" \"--build-id=sha1\";  true\n", sec(23))
    put(b / "vmlinux", kernel_object(["a_export"], ["a_export"]), sec(23))
    put(b / "System.map", "", sec(23))
    # make modules: Makefile.modpost, then Makefile.modfinal
    put(b / "scripts/mod/modpost", "", T - 100 * NS)
    saved("modules-only.symvers", "sed 's/ko$$/o/' modules.order | scripts/mod/modpost   -E "
          " -o modules-only.symvers -i vmlinux.symvers   -T -", sec(24))
    put(b / "modules-only.symvers", "", sec(24))
    put(b / "lib/m.mod.c", "", sec(24))
    saved("Module.symvers", "cat vmlinux.symvers modules-only.symvers > Module.symvers",
          sec(25))
    put(b / "Module.symvers", "", sec(25))
    compile_("lib/m.mod.o", "lib/m.mod.c", sec(26), headers=[])
    put(b / "lib/m.mod.o", kernel_object([]), sec(26))
    put(b / "scripts/module.lds", "", T - 100 * NS)
    saved("lib/m.ko", "ld -r -m elf_x86_64 -T scripts/module.lds -o lib/m.ko lib/m.o "
          "lib/m.mod.o;  true", sec(27))
    put(b / "lib/m.ko", kernel_object([], [], ["a_export", "__this_module"]), sec(27))
    put(b / "include/config/foo.h", "", T - 60 * NS)
    put(b / "include/config/kernel.release", "5.10.223\n", T - 60 * NS)
    put(b / "include/config/auto.conf", "CONFIG_TRIM_UNUSED_KSYMS=y\nCONFIG_MODULES=y\n"
        "CONFIG_FOO=y\n" + ("CONFIG_STACK_VALIDATION=y\nCONFIG_64BIT=y\n"
                             if objtool_mtime is not None else ""), T - 60 * NS)
    return b, s
