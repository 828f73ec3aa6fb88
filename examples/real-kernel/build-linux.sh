#!/usr/bin/env bash
# Build a small Linux tree with CONFIG_TRIM_UNUSED_KSYMS=y and a dozen modules,
# out of tree (O=), from Debian's linux-source-VERSION tarball.
#
# Usage: build-linux.sh VERSION [WORKDIR]
#   VERSION is the Debian package's version: 5.10 (bullseye), 6.1 (bookworm) or 6.12
#   (bookworm-security). For a package of another release, point TARBALL at its
#   tarball (e.g. dpkg-deb -x of bullseye's linux-source-5.10 .deb).
#   WORKDIR defaults to a fresh mktemp -d directory.
#   Source:  WORKDIR/linux-source-VERSION   (unpacked once, skipped if present)
#   Build:   WORKDIR/build-VERSION          (make O=...)
#   Temp:    WORKDIR/tmp                    (TMPDIR for the compiler and scripts)
#
# Needs (Debian): linux-source-VERSION bc bison flex libelf-dev libssl-dev cpio kmod
# plus gcc/make. Nothing is written outside WORKDIR.
#
# The tree is meant as real-world input for kbsim. 5.10 (the v5.0..v5.12 era, e3):
# ksymdeps_ blocks of include/ksym/*.h, include/config/*.h CONFIG deps, NAME.mod with
# the objects and the undefined symbols on two lines, vmlinux linked by the top-level
# Makefile (link-vmlinux.sh writes vmlinux.o and vmlinux.symvers), modules-only.symvers.
# 6.1 (the v5.19..v6.4 era, e5):
# .cmd files with deps_ and ksymdeps_ blocks, include/generated/autoksyms.h,
# include/ksym/*, *.mod, *.usyms and modules.order, produced by the
# scripts/adjust_autoksyms.sh recursion. 6.12 (v6.5+, e6): savedcmd_ .cmd files,
# no ksym files and no recursion: modpost writes .vmlinux.export.c and the
# modules' needs go to .tmp_vmlinux.*/vmlinux.o through scripts/gen-*.
set -euo pipefail

VERSION=${1:?usage: build-linux.sh VERSION [WORKDIR] (VERSION: 5.10, 6.1 or 6.12)}
TARBALL=${TARBALL:-/usr/src/linux-source-$VERSION.tar.xz}
WORK=${2:-$(mktemp -d "${TMPDIR:-/tmp}/kbsim-linux-$VERSION.XXXXXX")}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
SRC=$WORK/linux-source-$VERSION
BUILD=$WORK/build-$VERSION
JOBS=${JOBS:-$(nproc)}

# Keep compiler / script temporaries inside the work dir too.
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR" "$BUILD"
# Reproducible, quiet-ish kbuild; no host-specific identity in the build.
export KBUILD_BUILD_USER=kbsim KBUILD_BUILD_HOST=kbsim
export LC_ALL=C

start=$(date +%s.%N)
elapsed() { awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}'; }

if [ ! -f "$SRC/Makefile" ]; then
    [ -r "$TARBALL" ] || { echo "missing $TARBALL (apt-get install linux-source-$VERSION)" >&2; exit 1; }
    echo ">>> unpacking $TARBALL into $WORK"
    tar -xJf "$TARBALL" -C "$WORK"
    echo ">>> unpacked after $(elapsed)s"
else
    echo ">>> source already at $SRC, not unpacking"
fi

MAKE=(make -C "$SRC" O="$BUILD")
CFG=("$SRC/scripts/config" --file "$BUILD/.config")

if [ ! -f "$BUILD/.config" ]; then
    echo ">>> make tinyconfig"
    "${MAKE[@]}" tinyconfig

    # Core options. TRIM_UNUSED_KSYMS (kernel/module/Kconfig): in 6.1
    #   bool "Trim unused exported kernel symbols" if EXPERT
    #   depends on !COMPILE_TEST
    # in 6.12 a plain bool (5e9e95cc9148 made it cheap); EXPERT stays harmless.
    # In 5.10 (init/Kconfig) it "depends on !UNUSED_SYMBOLS", and
    # UNUSED_SYMBOLS defaults to y there; the option went away in 5.13
    # (Christoph Hellwig's "module: remove EXPORT_UNUSED_SYMBOL*"), where -d
    # only adds a line that olddefconfig drops.
    "${CFG[@]}" \
        -e 64BIT \
        -e MODULES \
        -e MODULE_UNLOAD \
        -e EXPERT \
        -d COMPILE_TEST \
        -e TRIM_UNUSED_KSYMS \
        -d UNUSED_SYMBOLS \
        -e RUNTIME_TESTING_MENU

    # Modules (=m). Exporters in lib/ (crc*, libcrc32c) and users of
    # vmlinux exports from lib/ (hexdump, kstrtox, uuid, string helpers)
    # and arch/x86/lib/ (get_user/put_user/clear_user/copy_*_user from
    # getuser.S, putuser.S, clear_page_64.S, copy_user_64.S, usercopy_64.c).
    # TEST_STATIC_KEYS builds test_static_key_base.ko, which exports
    # symbols used by test_static_keys.ko (module -> module export).
    # LIBCRC32C selects CRYPTO/CRYPTO_CRC32C, whose modules export to it.
    "${CFG[@]}" \
        -m CRC_CCITT \
        -m CRC_ITU_T \
        -m CRC16 \
        -m CRC4 \
        -m CRC7 \
        -m CRC8 \
        -m CRC64 \
        -m LIBCRC32C \
        -m TEST_LKM \
        -m TEST_USER_COPY \
        -m TEST_STATIC_KEYS \
        -m TEST_BITOPS \
        -m TEST_HEXDUMP \
        -m TEST_KSTRTOX \
        -m TEST_UUID \
        -m TEST_STRING_HELPERS

    echo ">>> make olddefconfig"
    "${MAKE[@]}" olddefconfig
else
    echo ">>> $BUILD/.config exists, keeping it"
fi

# Fail loudly if the options did not survive olddefconfig.
for opt in CONFIG_64BIT=y CONFIG_MODULES=y CONFIG_MODULE_UNLOAD=y \
           CONFIG_EXPERT=y CONFIG_TRIM_UNUSED_KSYMS=y CONFIG_TEST_STATIC_KEYS=m; do
    grep -qx "$opt" "$BUILD/.config" || { echo "config lost: $opt" >&2; exit 1; }
done

echo ">>> make -j$JOBS (vmlinux + modules)"
"${MAKE[@]}" -j"$JOBS"

echo ">>> done: build tree $BUILD"
echo ">>> modules built:"
sed 's/^/    /' "$BUILD/modules.order"
echo ">>> elapsed: $(elapsed)s"
