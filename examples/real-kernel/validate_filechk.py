#!/usr/bin/env python3
"""Check kbsim's filechk verdicts against the real make, on a copy of a real build (opt-in).

    python examples/real-kernel/validate_filechk.py WORK --version 6.1 --copy DIR

WORK holds build-VERSION and linux-source-VERSION (examples/real-kernel/build-linux.sh).
The build directory is copied to DIR/build-VERSION (``cp -a``: mtimes kept) and every
make runs on the copy, so WORK's tree is not changed; the source tree is only read.
After one settling make, each scenario changes one input of the filechk generators (the
environment's KBUILD_BUILD_USER, a localversion file in the build directory,
$LOCALVERSION, KBUILD_BUILD_TIMESTAMP) or puts it back; kbsim predicts (capture given
the make's environment, then replay), the real make runs, and the script compares

- each filechk target: kbsim's verdict (unchanged / changes / unknown) against whether
  make changed the file's mtime (filechk moves the new text in only when it differs);
- every file whose mtime make changed with the files kbsim says it writes.

It prints one line per scenario and exits 1 on any disagreement.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from validate_linux import compare, make_env, predict, real_make, tree_mtimes  # noqa: E402


def scenarios(build: str):
    """(label, environment changes, what to do to the build directory first)."""
    lv = os.path.join(build, "localversion-kbsim")

    def add_lv():
        with open(lv, "w") as fh:
            fh.write("-kbsim\n")

    def rm_lv():
        os.remove(lv)

    return [
        ("same environment", {}, None),
        ("KBUILD_BUILD_USER=other", {"KBUILD_BUILD_USER": "other"}, None),
        ("KBUILD_BUILD_USER back", {}, None),
        ("KBUILD_BUILD_USER unset (whoami)", {"KBUILD_BUILD_USER": None}, None),
        ("localversion-kbsim file added", {}, add_lv),
        ("LOCALVERSION=-lv", {"LOCALVERSION": "-lv"}, None),
        ("localversion file removed, LOCALVERSION unset", {}, rm_lv),
        ("KBUILD_BUILD_TIMESTAMP set", {"KBUILD_BUILD_TIMESTAMP": "Thu Jan  1 00:00:00 UTC "
                                                                 "2026"}, None),
        ("KBUILD_BUILD_TIMESTAMP unset", {}, None),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work")
    ap.add_argument("--version", default="6.1")
    ap.add_argument("--copy", required=True, help="directory for the copy of the build "
                                                  "(its build-VERSION is replaced)")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    src = os.path.abspath(os.path.join(a.work, f"linux-source-{a.version}"))
    orig = os.path.abspath(os.path.join(a.work, f"build-{a.version}"))
    build = os.path.abspath(os.path.join(a.copy, f"build-{a.version}"))
    if build.startswith(orig + "/") or build == orig:
        ap.error("--copy must not be inside the build directory")
    os.makedirs(a.copy, exist_ok=True)
    os.makedirs(os.path.join(a.copy, "tmp"), exist_ok=True)
    if os.path.exists(build):
        shutil.rmtree(build)
    subprocess.run(["cp", "-a", orig, build], check=True)
    real_make(src, build, a.jobs)  # settle the copy in the build's environment
    ok_all = True
    print(f"| Linux {a.version}: scenario | filechk kbsim -> make | files kbsim / make / "
          f"agree | result |")
    print("|---|---|---|---|")
    for label, extra, prep in scenarios(build):
        if prep is not None:
            prep()
        env = make_env(build, **extra)
        compiled, written, _, r = predict(build, src, a.jobs, env)
        verdicts = {st.target: st.content for st in r.steps if st.kind == "filechk"}
        before = tree_mtimes(build)
        real_make(src, build, a.jobs, env)
        after = tree_mtimes(build)
        changed = {f for f, m in after.items() if before.get(f) != m}
        bad, shown = [], []
        for t, v in verdicts.items():
            moved = t in changed
            if v == "unknown":
                shown.append(f"{t.rsplit('/', 1)[-1]}: unknown -> {'UPD' if moved else 'kept'}")
                continue
            if v != "unchanged" or moved:
                shown.append(f"{t.rsplit('/', 1)[-1]}: {v} -> {'UPD' if moved else 'kept'}")
            if (v == "changes") != moved:
                bad.append(t)
        same, detail = compare(written, changed)
        ok = same and not bad
        ok_all &= ok
        print(f"| {label} | {'; '.join(shown) or f'{len(verdicts)} unchanged -> kept'} | "
              f"{len(written)} / {len(changed)} / {len(written & changed)} | "
              f"{'OK' if ok else 'MISMATCH'} |")
        if detail:
            print(detail)
        for t in bad:
            print(f"    filechk {t}: kbsim {verdicts[t]}, make "
                  f"{'wrote it' if t in changed else 'kept it'}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
