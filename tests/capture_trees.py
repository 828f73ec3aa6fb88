"""Small kbuild build trees on disk, for the capture tests.

Every fact a test checks (mtimes, which object exports what, which names a .cmd file
uses) is set here explicitly, so expected values come from the construction, never from
the code under test. .cmd files are written by kbsim.kbuild.cmdfile.write_cmd (the era
writers the kbuild tests compare with real files); objects by tests/elfwriter.py.
"""

from __future__ import annotations

import os
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


def e6_tree(base: Path, *, obj_mtime=T + 10 * NS, header_mtime=T - 3600 * NS,
            module_needs=("a_export", "printk"), release="6.12.118",
            cmd_prefix="savedcmd_", modorder_ext=".o", trim=True) -> tuple[Path, Path]:
    """A 6.12-style O= build (era e6): savedcmd_ lines, modules.order naming lib/m.o, a
    one-per-line lib/m.mod and no .usyms, no autoksyms.h, no include/ksym; lib/a.o
    (obj-y) carries __export_symbol_ markers for a_export and a_unused, lib/m.o (a
    module) needs MODULE_NEEDS. The vmlinux link left .vmlinux.export.c behind."""
    b, s = base / "build", base / "src"
    put(s / "Makefile", "VERSION = 6\n", T - 3600 * NS)
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
