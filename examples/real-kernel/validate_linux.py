#!/usr/bin/env python3
"""Check kbsim's prediction of the next make against a real Linux build (opt-in).

Not part of the default test run: it needs Debian's linux-source-VERSION and minutes.

    examples/real-kernel/build-linux.sh 6.12 WORK      # about 4-8 minutes on 2 cores
    python examples/real-kernel/validate_linux.py WORK --version 6.12 --seeds 1,2,3,4,5 \
        --keep KEEP                                    # and later, without a kernel:
    python examples/real-kernel/validate_linux.py WORK --recheck --keep KEEP

It works only inside WORK (the tree the build script made there, WORK/build-VERSION and
WORK/linux-source-VERSION):

(a) on the tree as built (settled by one real make first), kbsim predicts what the next
    make rebuilds, and a real `make` runs;
(b) for each seed: it touches a random sample of ksym (e1-e5 trees), config and header
    files, and sets some objects' mtimes equal to, or 1 ns older than, their newest
    prerequisite; kbsim (capture + replay, read-only) predicts; the real make runs.

Each time it compares every file of the build directory whose mtime the real make
changed (``lstat``; the ``.cmd`` files that accompany each target left out) with the files
kbsim says the next make writes (its compiles and the ``writes`` of its other steps:
archives, modpost's outputs, links, the boot image, files every make rewrites, and the
autoksyms step's ksym files and autoksyms.h), and the .o files among them. It prints one
table row per run and exits 1 on any disagreement.
"""

from __future__ import annotations

import argparse
import os
import posixpath
import random
import subprocess
import sys
import time

from kbsim.kbuild import replay
from kbsim.tree.capture import capture
from kbsim.tree.capture_format import write_capture
from kbsim.tree.captured import CapturedTree
from kbsim.tree.incremental import spec_from_capture


def make_env(build: str, **extra: str | None) -> dict[str, str]:
    """The build's environment (the one build-linux.sh used; a different
    KBUILD_BUILD_USER/HOST would rewrite include/generated/compile.h), with EXTRA set
    (None: unset). kbsim's capture is given the same one: the filechk targets' content
    follows it."""
    env = {**os.environ, "LC_ALL": "C", "KBUILD_BUILD_USER": "kbsim",
           "KBUILD_BUILD_HOST": "kbsim", "TMPDIR": os.path.join(os.path.dirname(build), "tmp")}
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def real_make(src: str, build: str, jobs: int, env: dict[str, str] | None = None) -> float:
    """make in ENV (default: the build's environment, make_env)."""
    t = time.time()
    subprocess.run(["make", "-C", src, f"O={build}", f"-j{jobs}"], check=True,
                   env=env or make_env(build), stdout=subprocess.DEVNULL)
    return time.time() - t


def tree_mtimes(build: str) -> dict[str, int]:
    """lstat mtime of every file and symlink of the build directory but the .cmd files."""
    out = {}
    for d, dirs, files in os.walk(build):
        for f in files + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            if f.startswith(".") and f.endswith(".cmd"):
                continue
            p = os.path.join(d, f)
            try:
                out[os.path.relpath(p, build)] = os.lstat(p).st_mtime_ns
            except FileNotFoundError:
                pass
    return out


CACHE_DIR = None  # --cache-dir: captures through the capture cache there


def predict(build: str, src: str, jobs: int, env: dict[str, str] | None = None):
    t = time.time()
    cap = capture(build, srctree=src, cache_dir=CACHE_DIR, environ=env or make_env(build))
    spec = spec_from_capture(cap)
    r = replay(spec, jobs=jobs)
    compiled, written = predicted_writes(r)
    return compiled, written, time.time() - t, r


def predicted_writes(r) -> tuple[set[str], set[str]]:
    """(the objects compiled, every file written) in replay R's next make: its compiles,
    the writes of its other steps, and the autoksyms step's (adjust_autoksyms.sh: the ksym
    files it touched, and include/generated/autoksyms.h, moved into place only when the
    symbol list changed)."""
    compiled = {posixpath.normpath(c.target) for c in r.compiles}
    written = compiled | {posixpath.normpath(w) for s in r.steps for w in s.writes}
    for a in r.adjusts:
        if a.changed:
            written.add("include/generated/autoksyms.h")
        written |= {posixpath.normpath(t.path) for t in a.touched}
    return compiled, written


def compare(predicted: set[str], changed: set[str]) -> tuple[bool, str]:
    only_k = sorted(predicted - changed)
    only_m = sorted(changed - predicted)
    lines = [f"    kbsim only: {o}" for o in only_k[:10]]
    lines += [f"    make only:  {o}" for o in only_m[:10]]
    return not only_k and not only_m, "\n".join(lines)


def predict_then_make(label: str, build: str, src: str, jobs: int, what: str,
                      keep: str | None = None) -> dict:
    """kbsim's prediction (read-only), then the real make; the counts of one row. KEEP: a
    directory for the capture kbsim read and the files the real make changed."""
    compiled, written, t_k, r = predict(build, src, jobs)
    if keep:
        os.makedirs(keep, exist_ok=True)
        slug = label.replace(" ", "-")
        write_capture(r.spec.capture, os.path.join(keep, f"{slug}.json.gz"))
    before = tree_mtimes(build)
    t_m = real_make(src, build, jobs)
    after = tree_mtimes(build)
    changed = {f for f, m in after.items() if before.get(f) != m}
    if keep:
        with open(os.path.join(keep, f"{slug}.changed"), "w") as fh:
            fh.write("".join(f"{f}\n" for f in sorted(changed)))
    objs = {f for f in changed if f.endswith(".o")}
    ok_o, detail_o = compare({o for o in written if o.endswith(".o")}, objs)
    ok, detail = compare(written, changed)
    row = {"run": label, "what": what, "kbsim": len(written), "make": len(changed),
           "agree": len(written & changed), "ok": ok and ok_o, "kbsim_s": t_k,
           "make_s": t_m, "era": r.era.name, "exit": r.exit_code,
           "objects": (len([o for o in written if o.endswith(".o")]), len(objs))}
    print(f"{label}: {what}: files kbsim {len(written)}, make {len(changed)}, agree "
          f"{row['agree']}; .o kbsim {row['objects'][0]}, make {row['objects'][1]} -> "
          f"{'OK' if row['ok'] else 'MISMATCH'} (kbsim capture+replay {t_k:.1f} s, make "
          f"{t_m:.1f} s; era {r.era.name}, kbsim exit {r.exit_code})")
    for d in (detail, detail_o if not ok_o else ""):
        if d:
            print(d)
    return row


def perturb(build: str, src: str, rng: random.Random, samples: int) -> str:
    """Touch ksym, config and header files; set objects equal to / 1 ns older than their
    newest prerequisite. Returns what was done, in words."""
    cap = capture(build, srctree=src)
    ct = CapturedTree(cap)
    objects = [o.path for o in spec_from_capture(cap).objects()]
    ksyms = sorted(k for k, m in cap.mtimes.items() if m and "/ksym/" in "/" + k)
    configs = sorted(k for k, m in cap.mtimes.items()
                     if m and k.startswith("include/config/")
                     and k not in ("include/config/auto.conf", "include/config/kernel.release"))
    headers = sorted(k for k, m in cap.mtimes.items()
                     if m and k.endswith(".h") and k.startswith(src + "/include/"))
    now = time.time_ns()
    touched = []
    for group in (ksyms, configs, headers):
        for k in rng.sample(group, min(samples, len(group))):
            path = k if k.startswith("/") else os.path.join(build, k)
            os.utime(path, ns=(now, now))
            touched.append(k)
    edits = []
    for t in rng.sample(objects, min(samples * 2, len(objects))):
        r = ct.by_target.get(t)
        if r is None:
            continue
        stamps = []
        for p, wild in r.deps:
            if wild:
                continue
            full = p if p.startswith("/") else os.path.join(build, p)
            try:
                stamps.append(os.stat(full).st_mtime_ns)
            except FileNotFoundError:
                pass
        if not stamps:
            continue
        delta = rng.choice([0, -1])
        os.utime(os.path.join(build, t), ns=(max(stamps) + delta,) * 2)
        edits.append(delta)
    return (f"{len(touched)} files touched ({min(samples, len(ksyms))} ksym, "
            f"{min(samples, len(configs))} config, {min(samples, len(headers))} header); "
            f"{len(edits)} objects set equal to ({edits.count(0)}) or 1 ns older than "
            f"({edits.count(-1)}) their newest prerequisite")


def recheck(keep: str, jobs: int) -> int:
    """Replay the captures a --keep run saved and compare with the files the real make
    changed then (no kernel build or make needed: a later kbsim on the same evidence)."""
    from kbsim.tree.capture_format import load_capture
    ok = True
    print("| run | files kbsim / make / agree | result |")
    print("|---|---|---|")
    for name in sorted(os.listdir(keep)):
        if not name.endswith(".json.gz"):
            continue
        slug = name[:-len(".json.gz")]
        if not os.path.exists(os.path.join(keep, slug + ".changed")):
            continue  # its real make has not finished
        r = replay(spec_from_capture(load_capture(os.path.join(keep, name))), jobs=jobs)
        _, written = predicted_writes(r)
        with open(os.path.join(keep, slug + ".changed")) as fh:
            changed = set(fh.read().split())
        same = written == changed
        ok &= same
        print(f"| {slug} | {len(written)} / {len(changed)} / {len(written & changed)} | "
              f"{'equal' if same else 'differ'} |")
        _, detail = compare(written, changed)
        if detail:
            print(detail)
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work", help="the work directory build-linux.sh built")
    ap.add_argument("--version", default="6.1", help="kernel version (5.10, 6.1, 6.12): "
                                                     "the tree is WORK/build-VERSION")
    ap.add_argument("--samples", type=int, default=12, help="files of each kind to touch")
    ap.add_argument("--seeds", default="1", help="comma-separated perturbation seeds")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--keep", help="keep each run's capture and the files the real make "
                                   "changed in this directory (outside WORK's trees)")
    ap.add_argument("--cache-dir", help="capture through the capture cache kept in this "
                    "directory (kbsim/tree/capcache.py; outside WORK): every capture after the "
                    "first reuses what it read from the files that did not change")
    ap.add_argument("--recheck", action="store_true",
                    help="only replay the captures in --keep DIR and compare them with "
                         "what the real make changed when they were kept")
    a = ap.parse_args()
    if a.recheck:
        if not a.keep:
            ap.error("--recheck needs --keep DIR")
        return recheck(a.keep, a.jobs)
    work = os.path.abspath(a.work)
    src = os.path.join(work, f"linux-source-{a.version}")
    build = os.path.join(work, f"build-{a.version}")
    if not os.path.isfile(os.path.join(build, "vmlinux")):
        print(f"{build}: no built tree; run examples/real-kernel/build-linux.sh "
              f"{a.version} {a.work} first", file=sys.stderr)
        return 2
    seeds = [int(x) for x in a.seeds.split(",") if x.strip()]
    if a.cache_dir:
        global CACHE_DIR
        CACHE_DIR = os.path.abspath(a.cache_dir)
        if CACHE_DIR == work or CACHE_DIR.startswith(work.rstrip("/") + "/"):
            ap.error("--cache-dir must be outside WORK")
    real_make(src, build, a.jobs)  # settle: whatever an earlier run left is made first
    rows = [predict_then_make("settled", build, src, a.jobs, "as built, settled", a.keep)]
    for seed in seeds:
        what = perturb(build, src, random.Random(seed), a.samples)
        rows.append(predict_then_make(f"seed {seed}", build, src, a.jobs, what, a.keep))
    print()
    print(f"| Linux {a.version} run | files kbsim / make / agree | .o kbsim / make | "
          f"result |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['kbsim']} / {r['make']} / {r['agree']} | "
              f"{r['objects'][0]} / {r['objects'][1]} | "
              f"{'equal' if r['ok'] else 'differ'} |")
    ok = all(r["ok"] for r in rows)
    print("OK: kbsim's predictions match the real make" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
