#!/usr/bin/env python3
"""Check kbsim's prediction of the next make against a real Linux 6.1 build (opt-in).

Not part of the default test run: it needs Debian's linux-source-6.1 and a few minutes.

    examples/real-kernel/build-linux-6.1.sh WORK          # about 4-8 minutes on 2 cores
    python examples/real-kernel/validate_linux_61.py WORK [--samples 12] [--seed 1]

It works only inside WORK (the tree the build script made there):

(a) on the tree as built, kbsim predicts that the next make recompiles no object, and a
    real `make` recompiles none;
(b) it touches a random sample of ksym, header and config files, and sets some objects'
    mtimes equal to, or 1 ns older than, their newest prerequisite; kbsim (capture +
    replay, read-only) predicts which objects the next make recompiles; the real `make`
    runs; the objects whose mtimes changed must be exactly the predicted ones.

It prints the counts and exits 1 on any disagreement.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time

from kbsim.kbuild import replay
from kbsim.tree.capture import capture
from kbsim.tree.captured import CapturedTree
from kbsim.tree.incremental import spec_from_capture


def real_make(src: str, build: str, jobs: int) -> float:
    t = time.time()
    env = {**os.environ, "LC_ALL": "C", "KBUILD_BUILD_USER": "kbsim",
           "KBUILD_BUILD_HOST": "kbsim", "TMPDIR": os.path.join(os.path.dirname(build), "tmp")}
    subprocess.run(["make", "-C", src, f"O={build}", f"-j{jobs}"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return time.time() - t


def object_mtimes(build: str, objects: list[str]) -> dict[str, int | None]:
    out = {}
    for o in objects:
        try:
            out[o] = os.stat(os.path.join(build, o)).st_mtime_ns
        except FileNotFoundError:
            out[o] = None
    return out


def predict(build: str, src: str, jobs: int):
    t = time.time()
    cap = capture(build, srctree=src)
    spec = spec_from_capture(cap)
    r = replay(spec, jobs=jobs)
    compiled = {c.target for c in r.compiles}
    return compiled, [o.path for o in spec.objects()], time.time() - t, cap


def compare(name: str, predicted: set[str], changed: set[str]) -> bool:
    both = predicted & changed
    only_k = sorted(predicted - changed)
    only_m = sorted(changed - predicted)
    print(f"{name}: kbsim predicted {len(predicted)}, real make recompiled {len(changed)}, "
          f"agree on {len(both)}; kbsim only {len(only_k)}, make only {len(only_m)}")
    for o in only_k[:10]:
        print(f"    kbsim only: {o}")
    for o in only_m[:10]:
        print(f"    make only:  {o}")
    return not only_k and not only_m


def predict_then_make(name: str, build: str, src: str, jobs: int) -> bool:
    """kbsim's prediction (read-only), then the real make; True when they agree."""
    predicted, objects, t_k, _ = predict(build, src, jobs)
    before = object_mtimes(build, objects)
    t_m = real_make(src, build, jobs)
    after = object_mtimes(build, objects)
    changed = {o for o in objects if before[o] != after[o]}
    ok = compare(name, predicted, changed)
    print(f"    kbsim capture+replay {t_k:.1f} s, real make {t_m:.1f} s")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work", help="the work directory build-linux-6.1.sh built")
    ap.add_argument("--samples", type=int, default=12, help="files of each kind to touch")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    src = os.path.join(os.path.abspath(a.work), "linux-source-6.1")
    build = os.path.join(os.path.abspath(a.work), "build-6.1")
    if not os.path.isfile(os.path.join(build, "vmlinux")):
        print(f"{build}: no built tree; run examples/real-kernel/build-linux-6.1.sh first",
              file=sys.stderr)
        return 2
    ok = True

    # (a) the tree as built
    ok &= predict_then_make("(a) as built", build, src, a.jobs)

    # (b) perturbed
    rng = random.Random(a.seed)
    cap = capture(build, srctree=src)
    ct = CapturedTree(cap)
    objects = [o.path for o in spec_from_capture(cap).objects()]
    ksyms = sorted(k for k, m in cap.mtimes.items() if m and "/ksym/" in "/" + k)
    configs = sorted(k for k, m in cap.mtimes.items()
                     if m and k.startswith("include/config/") and k != "include/config/auto.conf")
    headers = sorted(k for k, m in cap.mtimes.items()
                     if m and k.endswith(".h") and k.startswith(src + "/include/"))
    now = time.time_ns()
    touched = []
    for group in (ksyms, configs, headers):
        for k in rng.sample(group, min(a.samples, len(group))):
            path = k if k.startswith("/") else os.path.join(build, k)
            os.utime(path, ns=(now, now))
            touched.append(k)
    # objects set equal to, or 1 ns older than, their newest prerequisite
    edits = []
    for t in rng.sample(objects, min(a.samples * 2, len(objects))):
        r = ct.by_target.get(t)
        if r is None:
            continue
        deps = [p for p, wild in r.deps if not wild]
        stamps = []
        for p in deps:
            full = p if p.startswith("/") else os.path.join(build, p)
            try:
                stamps.append(os.stat(full).st_mtime_ns)
            except FileNotFoundError:
                pass
        if not stamps:
            continue
        newest = max(stamps)
        delta = rng.choice([0, -1])
        os.utime(os.path.join(build, t), ns=(newest + delta, newest + delta))
        edits.append((t, delta))
    print(f"(b) touched {len(touched)} files ({len(ksyms)} ksym, {len(configs)} config, "
          f"{len(headers)} header candidates); set {len(edits)} object mtimes "
          f"({sum(1 for _, d in edits if d == 0)} equal, "
          f"{sum(1 for _, d in edits if d == -1)} 1 ns older than their newest prerequisite)")
    ok &= predict_then_make("(b) perturbed", build, src, a.jobs)
    print("OK: kbsim's predictions match the real make" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
