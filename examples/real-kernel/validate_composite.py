#!/usr/bin/env python3
"""Check kbsim on a composite module whose member needs a new symbol (opt-in, a real make).

    python examples/real-kernel/validate_composite.py WORK --version 6.1 --copy DIR \
        [--member crypto/api.o --symbol get_ibs_caps]

Works on a copy of WORK/build-VERSION (``cp -a`` to DIR/build-VERSION; WORK's tree is not
changed). MEMBER is a member of a composite module (``crypto-y := api.o cipher.o ...``)
and SYMBOL an export of vmlinux that trimming left out (CONFIG_TRIM_UNUSED_KSYMS: no module
used it). A C file calling SYMBOL is compiled and linked into MEMBER with ``ld -r``, the
new MEMBER is put in place (its mtime now: newer than the module, its .cmd unchanged),
and kbsim predicts, then the real make runs: the module is relinked, its .usyms lists the
symbol, the autoksyms step adds it and recompiles its exporter, and so on to vmlinux.
Then the original MEMBER is put back (the symbol is no longer needed) and the tree left
settled. Each step compares every file whose mtime make changed with the files kbsim says
it writes (the autoksyms step's writes included); exit 1 on any difference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from validate_linux import make_env, predict, real_make, tree_mtimes  # noqa: E402


def step(label: str, build: str, src: str, jobs: int) -> bool:
    env = make_env(build)
    _, written, _, r = predict(build, src, jobs, env)  # the autoksyms step's writes too
    before = tree_mtimes(build)
    try:
        real_make(src, build, jobs, env)
        status = 0
    except subprocess.CalledProcessError as e:
        status = e.returncode
    changed = {f for f, m in tree_mtimes(build).items() if before.get(f) != m}
    ok = written == changed and (status != 0) == bool(r.modpost_errors)
    touched = [t.symbol for a in r.adjusts for t in a.touched]
    print(f"| {label} | {touched or 'none'} | {len(r.modpost_errors)} / "
          f"{'failed' if status else 'ok'} | {len(written)} / {len(changed)} / "
          f"{len(written & changed)} | {'OK' if ok else 'MISMATCH'} |", flush=True)
    for f in sorted(written - changed)[:15]:
        print(f"    kbsim only: {f}")
    for f in sorted(changed - written)[:15]:
        print(f"    make only:  {f}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work")
    ap.add_argument("--version", default="6.1")
    ap.add_argument("--copy", required=True)
    ap.add_argument("--member", default="crypto/api.o")
    ap.add_argument("--symbol", default="get_ibs_caps")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    src = os.path.abspath(os.path.join(a.work, f"linux-source-{a.version}"))
    orig = os.path.abspath(os.path.join(a.work, f"build-{a.version}"))
    build = os.path.abspath(os.path.join(a.copy, f"build-{a.version}"))
    if build == orig or build.startswith(orig + "/"):
        ap.error("--copy must not be inside the build directory")
    os.makedirs(os.path.join(a.copy, "tmp"), exist_ok=True)
    if os.path.exists(build):
        shutil.rmtree(build)
    subprocess.run(["cp", "-a", orig, build], check=True)
    member = os.path.join(build, a.member)
    with tempfile.TemporaryDirectory(dir=os.path.join(a.copy, "tmp")) as tmp:
        with open(os.path.join(tmp, "extra.c"), "w") as fh:
            fh.write(f"extern unsigned long {a.symbol}(void);\n"
                     f"unsigned long kbsim_extra(void) {{ return {a.symbol}(); }}\n")
        subprocess.run(["gcc", "-c", "-O2", "-fno-pic", "-mcmodel=kernel", "-mno-red-zone",
                        "-fno-asynchronous-unwind-tables", "-o", f"{tmp}/extra.o",
                        f"{tmp}/extra.c"], check=True)
        shutil.copy2(member, f"{tmp}/orig.o")
        subprocess.run(["ld", "-r", "-o", f"{tmp}/new.o", f"{tmp}/orig.o", f"{tmp}/extra.o"],
                       check=True)
        real_make(src, build, a.jobs)  # settle the copy
        print(f"| Linux {a.version}: step | symbols the autoksyms step changed | modpost "
              f"errors kbsim / make | files kbsim / make / agree | result |")
        print("|---|---|---|---|---|")
        ok = True
        shutil.copyfile(f"{tmp}/new.o", member)  # a new mtime: newer than the module
        ok &= step(f"{a.member} calls {a.symbol}", build, src, a.jobs)
        shutil.copyfile(f"{tmp}/orig.o", member)
        ok &= step(f"{a.member} as built", build, src, a.jobs)
        ok &= step("settled", build, src, a.jobs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
