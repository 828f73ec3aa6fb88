#!/usr/bin/env python3
"""Generate a kbuild-like tree for benchmarking ``make -q`` against kbsim.

The tree looks like an already-built Linux kernel tree, reduced to what make sees:

- ``--objects`` source files ``DIR/NAME.c`` spread over a few hundred directories, and
  one object ``DIR/NAME.o`` per source, newer than everything (the tree is up to date);
- ``--headers`` shared headers under ``include/`` (a fixed core every object includes,
  the rest chosen with a skew towards "popular" headers);
- ``--configs`` Kconfig symbols; ``include/config/SYMBOL`` exists for a fraction of
  them (``--config-exist-ratio``) and is missing for the rest;
- for every object a fixdep-style ``DIR/.NAME.o.cmd`` in the kernel's exact format
  (``cmd_``, ``source_``, ``deps_`` with 2-space header lines and 4-space
  ``$(wildcard include/config/...)`` lines, the ``OBJ: $(deps_OBJ)`` line and the
  empty ``$(deps_OBJ):`` rule);
- ``objlist.mk``: per directory ``obj-y := ...`` and ``objs += $(addprefix DIR/,$(obj-y))``;
- a top-level ``Makefile`` that includes the ``.cmd`` files the way kbuild does
  (``-include $(foreach f,$(existing),$(dir $(f)).$(notdir $(f)).cmd)``) and has a
  static pattern rule ``$(objs): %.o: %.c`` with a recipe.

Every mtime is set explicitly with ``os.utime(ns=...)``, so the same arguments and
``--seed`` give the same tree, byte for byte and stamp for stamp. ``bench-manifest.json``
records the counts (objects, headers, prerequisite entries) and the stamp epochs.

Usage: ``python bench/gen_kbuild_tree.py OUTDIR [--objects N] [--headers N]
[--deps-per-object N] [--configs-per-object N] [--seed S]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

S = 1_000_000_000
BASE_NS = 1_700_000_000 * S           # sources, headers, config files: BASE + [0, 1h)
MAKEFILE_NS = BASE_NS + 5400 * S      # Makefile, objlist.mk: BASE + 1.5h
OBJ_NS = BASE_NS + 7200 * S           # objects and .cmd files: BASE + 2h + [0, 10min)
TOUCH_NS = BASE_NS + 10800 * S        # what bench_make.py gives "touched" headers: BASE + 3h
DIR_NS = BASE_NS + 9000 * S           # directories

# Headers every object includes first (as -include / the first lines of a real .cmd).
CORE_HEADERS = [
    "include/linux/compiler-version.h", "include/linux/kconfig.h",
    "include/generated/autoconf.h", "include/linux/compiler_types.h",
    "include/linux/compiler_attributes.h", "include/linux/compiler-gcc.h",
    "include/linux/types.h", "include/uapi/linux/types.h",
    "include/asm-generic/types.h", "include/asm-generic/int-ll64.h",
    "include/uapi/asm-generic/int-ll64.h", "include/linux/stddef.h",
    "include/uapi/linux/stddef.h", "include/linux/kernel.h", "include/linux/stdarg.h",
    "include/linux/align.h", "include/linux/const.h", "include/vdso/const.h",
    "include/uapi/linux/const.h", "include/linux/limits.h",
]
HEADER_DIRS = [("include/linux", 1500), ("include/uapi/linux", 400), ("include/asm-generic", 250),
               ("include/net", 300), ("include/trace/events", 150), ("include/drm", 150),
               ("include/sound", 100), ("include/generated", 50), ("include/crypto", 100)]
HEADER_WORDS = ["mutex", "spinlock", "list", "rbtree", "slab", "gfp", "mm", "sched", "wait",
                "atomic", "bitops", "kref", "device", "module", "init", "irq", "dma", "pci",
                "usb", "netdevice", "skbuff", "fs", "dcache", "uaccess", "timer", "workqueue",
                "cpumask", "percpu", "rcu", "seqlock", "printk", "err", "string", "bug"]
TOPS = [("drivers", 0.45), ("fs", 0.10), ("net", 0.12), ("arch/x86", 0.06), ("sound", 0.07),
        ("kernel", 0.05), ("mm", 0.03), ("lib", 0.04), ("crypto", 0.04), ("security", 0.02),
        ("block", 0.02)]
SUBS = ["net", "gpu", "usb", "scsi", "media", "input", "i2c", "spi", "gpio", "mmc", "pci",
        "acpi", "iio", "hid", "power", "clk", "ata", "block", "char", "misc", "tty", "video",
        "core", "ipv4", "ipv6", "bluetooth", "wireless", "ext4", "xfs", "btrfs", "nfs", "soc",
        "codecs", "pcm", "sched", "time", "trace", "bpf", "mm", "crypto"]
CFG_WORDS = ["NET", "USB", "PCI", "ACPI", "DEBUG", "FS", "SND", "DRM", "HID", "I2C", "SPI",
             "GPIO", "MMC", "SCSI", "ATA", "CRYPTO", "KASAN", "SMP", "NUMA", "X86", "PM",
             "TRACE", "BPF", "IPV6", "VENDOR", "DMA", "IOMMU", "VIRTIO", "SERIAL", "INPUT"]

CC_FLAGS = (
    "-nostdinc -I./arch/x86/include -I./arch/x86/include/generated -I./include "
    "-I./arch/x86/include/uapi -I./arch/x86/include/generated/uapi -I./include/uapi "
    "-I./include/generated/uapi -include ./include/linux/compiler-version.h "
    "-include ./include/linux/kconfig.h -include ./include/linux/compiler_types.h "
    "-D__KERNEL__ -fmacro-prefix-map=./= -Wall -Wundef -Werror=strict-prototypes "
    "-Wno-trigraphs -fno-strict-aliasing -fno-common -fshort-wchar -fno-PIE "
    "-Werror=implicit-function-declaration -Werror=implicit-int -Werror=return-type "
    "-Wno-format-security -std=gnu11 -mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx "
    "-fcf-protection=none -m64 -falign-jumps=1 -falign-loops=1 -mno-80387 "
    "-mno-fp-ret-in-387 -mpreferred-stack-boundary=3 -mskip-rax-setup -mtune=generic "
    "-mno-red-zone -mcmodel=kernel -O2 -fno-allow-store-data-races "
    "-fstack-protector-strong -fno-omit-frame-pointer -g")

MAKEFILE = """\
# Generated by bench/gen_kbuild_tree.py: a reduced kbuild top-level Makefile.
# Run as 'make -rR -q' (kbuild sets MAKEFLAGS += -rR; kbsim always behaves so).

PHONY := all
all:

objs :=
include objlist.mk

all: $(objs)

# scripts/Makefile.build: read the .cmd files of the targets that exist
existing := $(wildcard $(sort $(objs)))
-include $(foreach f,$(existing),$(dir $(f)).$(notdir $(f)).cmd)

$(objs): %.o: %.c
\t@echo '  CC      $@'; touch $@

PHONY += FORCE
FORCE:

.PHONY: $(PHONY)
.SECONDARY:
"""


def _set(path: str, ns: int) -> None:
    os.utime(path, ns=(ns, ns))


def _write(path: str, data: str, ns: int) -> int:
    b = data.encode()
    with open(path, "wb") as fh:
        fh.write(b)
    _set(path, ns)
    return len(b)


def make_dirs(rng: random.Random, n: int) -> list[str]:
    dirs: list[str] = []
    seen: set[str] = set()
    tops = [t for t, _ in TOPS]
    weights = [w for _, w in TOPS]
    k = 0
    while len(dirs) < n:
        top = rng.choices(tops, weights)[0]
        sub = rng.choice(SUBS)
        depth = rng.random()
        if depth < 0.3:
            d = f"{top}/{sub}"
        elif depth < 0.85:
            d = f"{top}/{sub}/{rng.choice(SUBS)}{k % 97}"
        else:
            d = f"{top}/{sub}/{rng.choice(SUBS)}{k % 97}/{rng.choice(SUBS)}"
        k += 1
        if d not in seen:
            seen.add(d)
            dirs.append(d)
    return dirs


def make_headers(n: int) -> list[str]:
    headers = list(CORE_HEADERS[:n])
    seen = set(headers)
    total = sum(c for _, c in HEADER_DIRS)
    for d, c in HEADER_DIRS:
        share = max(1, round(c * (n - len(CORE_HEADERS)) / total))
        for i in range(share):
            h = f"{d}/{HEADER_WORDS[i % len(HEADER_WORDS)]}{i}.h"
            if h not in seen and len(headers) < n:
                seen.add(h)
                headers.append(h)
    i = 0
    while len(headers) < n:
        h = f"include/linux/extra{i}.h"
        i += 1
        if h not in seen:
            seen.add(h)
            headers.append(h)
    return headers


def make_configs(n: int) -> list[str]:
    out = []
    nw = len(CFG_WORDS)
    for i in range(n):
        a = CFG_WORDS[i % nw]
        b = CFG_WORDS[(i // nw) % nw]
        out.append(f"{a}_{b}_{i}")
    return out


def cmd_file_text(obj: str, src: str, deps: list[str], cfg_after: dict[int, list[str]]) -> str:
    """scripts/basic/fixdep.c output for one object."""
    d, _, base = obj.rpartition("/")
    stem = base[:-2]
    modname = stem.replace("-", "_")
    lines = [
        f"cmd_{obj} := gcc -Wp,-MMD,{d}/.{base}.d {CC_FLAGS} "
        f"-DKBUILD_MODFILE='\"{d}/{stem}\"' -DKBUILD_BASENAME='\"{modname}\"' "
        f"-DKBUILD_MODNAME='\"{modname}\"' -D__KBUILD_MODNAME=kmod_{modname} "
        f"-c -o {obj} {src}",
        "",
        f"source_{obj} := {src}",
        "",
        f"deps_{obj} := \\",
    ]
    for sym in cfg_after.get(-1, ()):  # config symbols the source itself mentions
        lines.append(f"    $(wildcard include/config/{sym}) \\")
    for i, h in enumerate(deps):
        lines.append(f"  {h} \\")
        for sym in cfg_after.get(i, ()):
            lines.append(f"    $(wildcard include/config/{sym}) \\")
    lines += ["", f"{obj}: $(deps_{obj})", "", f"$(deps_{obj}):", ""]
    return "\n".join(lines)


def generate(out: str, objects: int = 20000, headers: int = 3000, deps_per_object: int = 100,
             configs_per_object: int = 5, seed: int = 1, dirs: int = 300, configs: int = 3000,
             config_exist_ratio: float = 0.6, quiet: bool = False) -> dict:
    t0 = time.time()
    rng = random.Random(seed)
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    if os.listdir(out):
        raise SystemExit(f"{out}: not empty (refusing to mix trees)")
    if deps_per_object > headers:
        raise SystemExit("--deps-per-object cannot exceed --headers")

    dir_list = make_dirs(rng, dirs)
    hdrs = make_headers(headers)
    cfgs = make_configs(configs)
    cfg_exists = [rng.random() < config_exist_ratio for _ in cfgs]

    all_dirs = set()
    for p in hdrs + ["include/config/x"] + [d + "/x" for d in dir_list]:
        d = p.rpartition("/")[0]
        while d:
            all_dirs.add(d)
            d = d.rpartition("/")[0]
    for d in sorted(all_dirs):
        os.makedirs(os.path.join(out, d), exist_ok=True)

    # headers and config files
    for h in hdrs:
        _write(os.path.join(out, h), f"/* {h} */\n", BASE_NS + rng.randrange(3600 * S))
    n_cfg_files = 0
    for sym, ex in zip(cfgs, cfg_exists):
        if ex:
            _write(os.path.join(out, "include/config", sym), "", BASE_NS + rng.randrange(3600 * S))
            n_cfg_files += 1

    # objects per directory (kbuild order: directory by directory)
    per_dir: dict[str, list[str]] = {d: [] for d in dir_list}
    for i in range(objects):
        d = rng.choice(dir_list)
        per_dir[d].append(f"{rng.choice(HEADER_WORDS)}_{i}")

    ncore = min(len(CORE_HEADERS), deps_per_object, len(hdrs))
    core = hdrs[:ncore]
    rest = hdrs[ncore:]
    popular = rest[:max(1, len(rest) // 10)]
    n_rest = deps_per_object - ncore

    objs: list[str] = []
    hdr_entries = 0
    wildcard_entries = 0
    existing_cfg_entries = 0
    cmd_bytes = 0
    objlist = ["# Generated by bench/gen_kbuild_tree.py", ""]
    for d in dir_list:
        names = per_dir[d]
        if not names:
            continue
        objlist.append(f"obj-y := {' '.join(n + '.o' for n in names)}")
        objlist.append(f"objs += $(addprefix {d}/,$(obj-y))")
        for stem in names:
            src = f"{d}/{stem}.c"
            obj = f"{d}/{stem}.o"
            objs.append(obj)
            _write(os.path.join(out, src), f"/* {src} */\n", BASE_NS + rng.randrange(3600 * S))
            # 'popular' headers are picked about as often as the long tail together
            k_pop = min(len(popular), n_rest // 2)
            chosen = rng.sample(popular, k_pop)
            chosen_set = set(chosen)
            while len(chosen) < n_rest:
                h = rest[rng.randrange(len(rest))]
                if h not in chosen_set:
                    chosen_set.add(h)
                    chosen.append(h)
            rng.shuffle(chosen)
            deps = core + chosen
            cfg_after: dict[int, list[str]] = {}
            for ci in rng.sample(range(len(cfgs)), min(configs_per_object, len(cfgs))):
                pos = rng.randrange(-1, len(deps))
                cfg_after.setdefault(pos, []).append(cfgs[ci])
                wildcard_entries += 1
                existing_cfg_entries += cfg_exists[ci]
            hdr_entries += len(deps)
            ons = OBJ_NS + rng.randrange(600 * S)
            _write(os.path.join(out, obj), "", ons)
            dd, _, base = obj.rpartition("/")
            cmd_bytes += _write(os.path.join(out, dd, f".{base}.cmd"),
                                cmd_file_text(obj, src, deps, cfg_after), ons)
    objlist.append("")
    _write(os.path.join(out, "objlist.mk"), "\n".join(objlist), MAKEFILE_NS)
    _write(os.path.join(out, "Makefile"), MAKEFILE, MAKEFILE_NS)

    manifest = {
        "generator": "bench/gen_kbuild_tree.py",
        "args": {"objects": objects, "headers": headers, "deps_per_object": deps_per_object,
                 "configs_per_object": configs_per_object, "seed": seed, "dirs": dirs,
                 "configs": configs, "config_exist_ratio": config_exist_ratio},
        "objects": len(objs),
        "source_dirs": sum(1 for d in dir_list if per_dir[d]),
        "headers": len(hdrs),
        "config_symbols": len(cfgs),
        "config_files_existing": n_cfg_files,
        "header_entries": hdr_entries,
        "wildcard_entries": wildcard_entries,
        "wildcard_entries_existing": existing_cfg_entries,
        # lines in the deps_ lists of all .cmd files
        "cmd_dep_lines": hdr_entries + wildcard_entries,
        # prerequisites make records: headers + existing config files (.cmd) + %.c (rule)
        "prereq_entries": hdr_entries + existing_cfg_entries + len(objs),
        "cmd_bytes": cmd_bytes,
        "stamps_ns": {"base": BASE_NS, "makefile": MAKEFILE_NS, "objects": OBJ_NS,
                      "touch": TOUCH_NS, "dirs": DIR_NS},
        "headers_list": hdrs,
    }
    with open(os.path.join(out, "bench-manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    _set(os.path.join(out, "bench-manifest.json"), MAKEFILE_NS)
    # directories last, deepest first, so creating entries does not move their stamps
    for d in sorted(all_dirs, key=lambda p: -p.count("/")):
        _set(os.path.join(out, d), DIR_NS)
    _set(out, DIR_NS)
    if not quiet:
        print(f"generated {len(objs)} objects in {manifest['source_dirs']} dirs, "
              f"{len(hdrs)} headers, {n_cfg_files}/{len(cfgs)} config files, "
              f"{manifest['cmd_dep_lines']} .cmd dep lines, "
              f"{manifest['prereq_entries']} prerequisite entries, "
              f"{cmd_bytes / 1e6:.1f} MB of .cmd in {time.time() - t0:.1f}s -> {out}",
              file=sys.stderr)
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="output directory (created; must be empty)")
    ap.add_argument("--objects", type=int, default=20000)
    ap.add_argument("--headers", type=int, default=3000)
    ap.add_argument("--deps-per-object", type=int, default=100)
    ap.add_argument("--configs-per-object", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dirs", type=int, default=300, help="source directories (default 300)")
    ap.add_argument("--configs", type=int, default=3000, help="Kconfig symbols (default 3000)")
    ap.add_argument("--config-exist-ratio", type=float, default=0.6,
                    help="fraction of include/config/SYMBOL files that exist (default 0.6)")
    a = ap.parse_args(argv)
    generate(a.out, a.objects, a.headers, a.deps_per_object, a.configs_per_object, a.seed,
             a.dirs, a.configs, a.config_exist_ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
