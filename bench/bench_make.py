#!/usr/bin/env python3
"""Benchmark: real GNU make ``-q`` against kbsim ``make -q`` on a kbuild-like tree.

Generates a tree with bench/gen_kbuild_tree.py into a temporary directory (or uses
``--tree DIR``), then, in one run, measures wall time and peak RSS of each command,
``--repeat`` times per scenario, and prints medians and the kbsim/make ratio:

- ``fresh``: the tree as generated; everything is up to date, both must exit 0;
- ``touched``: a random 1% of the headers get an mtime newer than every object; both
  must exit 1 (with ``-q`` make stops at the first target that needs remaking);
- ``touched-k`` (opt-in): as ``touched`` with ``-q -k``, so the whole graph is walked.

The headers' stamps are restored afterwards, so a ``--tree`` is left as it was.

Each command runs as a direct child process; wall time is measured around it and peak
RSS and CPU time (user+sys) come from ``os.wait4`` (the child's own rusage). On a
shared machine the CPU column is the steadier number. Commands are templates: the
token ``{args}`` becomes the scenario's make flags (``-q`` or ``-q -k``) and ``{tree}``
inside any token becomes the tree's absolute path. For the CLI use e.g.
``--kbsim-cmd 'kbsim make {args} -C {tree}'`` (it takes no -r/-R: kbsim always
behaves as make -rR).

Usage: ``/tmp/venv/bin/python bench/bench_make.py [--tree DIR] [--repeat 3]
[--scenarios fresh,touched] [--objects N ...] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bytecode  # noqa: E402  (bench/bytecode.py, beside this script)
import gen_kbuild_tree  # noqa: E402

KBSIM_SNIPPET = """\
import os, sys, time
from kbsim.fs import Clock, real_fs
from kbsim.make import simulate_make
fs = real_fs(Clock(time.time_ns()), "ns")
r = simulate_make(fs, sys.argv[1:], os.getcwd(), env={})
sys.stdout.write(r.stdout)
sys.stderr.write(r.stderr)
sys.exit(r.exit_code)
"""
DEFAULT_MAKE_CMD = "make -rR {args} -C {tree}"
SCENARIO_ARGS = {"fresh": ["-q"], "touched": ["-q"], "touched-k": ["-q", "-k"]}
SCENARIO_EXPECT = {"fresh": 0, "touched": 1, "touched-k": 1}


def default_kbsim_cmd() -> list[str]:
    return [sys.executable, "-c", KBSIM_SNIPPET, "-rR", "{args}", "-C", "{tree}"]


def build_argv(template: list[str], tree: str, args: list[str]) -> list[str]:
    out: list[str] = []
    for tok in template:
        if tok == "{args}":
            out.extend(args)
        else:
            out.append(tok.replace("{tree}", tree))
    return out


def run_once(argv: list[str], cwd: str) -> dict:
    """Run ARGV as a direct child; wall seconds, peak RSS (KiB), exit code, output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4 already
        out.seek(0)
        err.seek(0)
        return {"wall": wall, "rss_kb": ru.ru_maxrss, "user": ru.ru_utime, "sys": ru.ru_stime,
                "exit": p.returncode, "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace")}


def headers_of(tree: str, manifest: dict | None) -> list[str]:
    if manifest and manifest.get("headers_list"):
        return list(manifest["headers_list"])
    out = []
    inc = os.path.join(tree, "include")
    for root, dirs, files in os.walk(inc):
        dirs[:] = sorted(d for d in dirs if os.path.join(root, d) != os.path.join(inc, "config"))
        for f in sorted(files):
            if f.endswith(".h"):
                out.append(os.path.relpath(os.path.join(root, f), tree))
    return out


def count_entries(tree: str, manifest: dict | None) -> dict:
    if manifest:
        return {k: manifest[k] for k in ("objects", "headers", "cmd_dep_lines",
                                         "wildcard_entries", "prereq_entries", "cmd_bytes")}
    # no manifest: count the deps_ lines of every .cmd file
    lines = wild = objs = nbytes = 0
    for root, _, files in os.walk(tree):
        for f in files:
            if f.startswith(".") and f.endswith(".o.cmd"):
                objs += 1
                with open(os.path.join(root, f)) as fh:
                    text = fh.read()
                nbytes += len(text)
                for ln in text.splitlines():
                    if ln.startswith("  ") and ln.endswith(" \\"):
                        lines += 1
                        wild += "$(wildcard" in ln
    return {"objects": objs, "headers": None, "cmd_dep_lines": lines, "wildcard_entries": wild,
            "prereq_entries": None, "cmd_bytes": nbytes}


class Touch:
    """Give a random FRACTION of the headers a stamp newer than every object; undo on exit."""

    def __init__(self, tree: str, headers: list[str], fraction: float, seed: int, ns: int):
        rng = random.Random(seed)
        k = max(1, round(len(headers) * fraction))
        self.paths = [os.path.join(tree, h) for h in rng.sample(headers, k)]
        self.ns = ns
        self.saved: list[tuple[str, int, int]] = []

    def __enter__(self):
        for p in self.paths:
            st = os.stat(p)
            self.saved.append((p, st.st_atime_ns, st.st_mtime_ns))
            os.utime(p, ns=(self.ns, self.ns))
        return self

    def __exit__(self, *exc):
        for p, a, m in self.saved:
            os.utime(p, ns=(a, m))
        self.saved = []


def describe_versions(tools: dict, tree: str) -> str:
    """make's version, where this python imports kbsim from, and the repo's git state."""
    def out(argv: list[str], cwd: str | None = None) -> str:
        try:
            return subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                                  timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"
    parts = []
    if "make" in tools:
        parts.append(out([tools["make"][0], "--version"]).split("\n")[0])
    parts.append("kbsim from " + out([sys.executable, "-c",
                                      "import kbsim, os; print(os.path.dirname(kbsim.__file__))"],
                                     tree))  # the cwd the kbsim runs get
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    head = out(["git", "rev-parse", "--short", "HEAD"], repo)
    dirty = out(["git", "status", "--porcelain", "--", "kbsim"], repo)
    parts.append(f"repo {head}{' (kbsim/ has uncommitted changes)' if dirty else ''}")
    return "; ".join(parts)


def fmt_mb(kb: float) -> str:
    return f"{kb / 1024:.0f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", help="use this tree instead of generating one")
    ap.add_argument("--keep", action="store_true", help="keep the generated tree")
    ap.add_argument("--workdir", help="generate the tree under this directory (default: TMPDIR)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed runs of the make command per scenario first (page cache)")
    ap.add_argument("--scenarios", default="fresh,touched",
                    help="comma list of fresh, touched, touched-k (default fresh,touched)")
    ap.add_argument("--touch-fraction", type=float, default=0.01)
    ap.add_argument("--make-cmd", default=DEFAULT_MAKE_CMD,
                    help=f"real make command template (default: {DEFAULT_MAKE_CMD!r})")
    ap.add_argument("--kbsim-cmd", default=None,
                    help="kbsim command template (default: this python -c <simulate_make "
                         "snippet> -rR {args} -C {tree}); e.g. 'kbsim make {args} -C {tree}'")
    ap.add_argument("--only", choices=["make", "kbsim"], help="run one tool only")
    ap.add_argument("--json", help="write all measurements to this file")
    g = ap.add_argument_group("tree generation (without --tree)")
    g.add_argument("--objects", type=int, default=20000)
    g.add_argument("--headers", type=int, default=3000)
    g.add_argument("--deps-per-object", type=int, default=100)
    g.add_argument("--configs-per-object", type=int, default=5)
    g.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    print(bytecode.ensure(), flush=True)

    scenarios = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    for s in scenarios:
        if s not in SCENARIO_ARGS:
            ap.error(f"unknown scenario {s!r}")
    tools = {"make": shlex.split(a.make_cmd),
             "kbsim": shlex.split(a.kbsim_cmd) if a.kbsim_cmd else default_kbsim_cmd()}
    if a.only:
        tools = {a.only: tools[a.only]}

    tmp = None
    if a.tree:
        tree = os.path.abspath(a.tree)
    else:
        tmp = tempfile.mkdtemp(prefix="kbsim-bench-", dir=a.workdir)
        tree = os.path.join(tmp, "tree")
        t0 = time.perf_counter()
        gen_kbuild_tree.generate(tree, a.objects, a.headers, a.deps_per_object,
                                 a.configs_per_object, a.seed)
        print(f"tree generated in {time.perf_counter() - t0:.1f}s: {tree}")
    manifest = None
    mpath = os.path.join(tree, "bench-manifest.json")
    if os.path.exists(mpath):
        with open(mpath) as fh:
            manifest = json.load(fh)
    counts = count_entries(tree, manifest)
    print(f"tree: {tree}")
    print(f"  objects {counts['objects']}, headers {counts['headers']}, "
          f".cmd deps_ lines {counts['cmd_dep_lines']} "
          f"(of which $(wildcard include/config/...) {counts['wildcard_entries']}), "
          f"prerequisite entries {counts['prereq_entries']}, "
          f".cmd bytes {counts['cmd_bytes'] / 1e6:.1f} MB")
    for name, tpl in tools.items():
        print(f"  {name}: {' '.join(shlex.quote(t) for t in build_argv(tpl, tree, ['-q']))[:200]}")
    print(f"  {describe_versions(tools, tree)}")

    results: dict = {"tree": tree, "counts": counts, "scenarios": {}}
    touch_ns = (manifest or {}).get("stamps_ns", {}).get("touch", gen_kbuild_tree.TOUCH_NS)
    ok = True
    try:
        for sc in scenarios:
            args = SCENARIO_ARGS[sc]
            ctx = (Touch(tree, headers_of(tree, manifest), a.touch_fraction, a.seed, touch_ns)
                   if sc.startswith("touched") else None)
            if ctx is not None:
                ctx.__enter__()
            try:
                if ctx is not None:
                    print(f"[{sc}] touched {len(ctx.paths)} headers newer than every object")
                for _ in range(a.warmup):
                    if "make" in tools:
                        run_once(build_argv(tools["make"], tree, args), tree)
                runs: dict[str, list[dict]] = {t: [] for t in tools}
                for rep in range(a.repeat):
                    for t, tpl in tools.items():
                        r = run_once(build_argv(tpl, tree, args), tree)
                        runs[t].append(r)
                        print(f"[{sc}] {t:5s} run {rep + 1}/{a.repeat}: exit {r['exit']}, "
                              f"{r['wall']:.2f}s wall ({r['user']:.2f} user, {r['sys']:.2f} sys), "
                              f"{fmt_mb(r['rss_kb'])} MB peak RSS", flush=True)
            finally:
                if ctx is not None:
                    ctx.__exit__(None, None, None)
            results["scenarios"][sc] = runs
    finally:
        if tmp is not None and not a.keep:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"kept tree: {tree}")

    print()
    hdr = (f"{'scenario':10s} {'tool':6s} {'exit':>6s} {'wall med s':>10s} {'min':>7s} "
           f"{'max':>7s} {'CPU med s':>10s} {'RSS med MB':>10s}")
    print(hdr)
    print("-" * len(hdr))
    summary: dict = {}
    for sc, runs in results["scenarios"].items():
        med = {}
        for t, rs in runs.items():
            walls = [r["wall"] for r in rs]
            rss = [r["rss_kb"] for r in rs]
            cpu = [r["user"] + r["sys"] for r in rs]
            exits = sorted({r["exit"] for r in rs})
            med[t] = (statistics.median(walls), statistics.median(rss), exits,
                      statistics.median(cpu))
            print(f"{sc:10s} {t:6s} {','.join(map(str, exits)):>6s} {med[t][0]:10.2f} "
                  f"{min(walls):7.2f} {max(walls):7.2f} {med[t][3]:10.2f} "
                  f"{fmt_mb(med[t][1]):>10s}")
        want = SCENARIO_EXPECT[sc]
        exits_all = {t: m[2] for t, m in med.items()}
        agree = len({tuple(e) for e in exits_all.values()}) == 1
        expected = all(e == [want] for e in exits_all.values())
        line = f"{sc:10s} "
        if "make" in med and "kbsim" in med:
            wr = med["kbsim"][0] / med["make"][0] if med["make"][0] else float("inf")
            mr = med["kbsim"][1] / med["make"][1] if med["make"][1] else float("inf")
            cr = med["kbsim"][3] / med["make"][3] if med["make"][3] else float("inf")
            line += f"ratio kbsim/make: wall {wr:.2f}x, CPU {cr:.2f}x, RSS {mr:.2f}x; "
            summary[sc] = {"wall_ratio": wr, "cpu_ratio": cr, "rss_ratio": mr}
        line += (f"exit codes {'agree' if agree else 'DISAGREE'} "
                 f"({', '.join(f'{t}={e}' for t, e in exits_all.items())}; expected {want})")
        print(line)
        if not (agree and expected):
            ok = False
            for t, rs in runs.items():
                r = rs[-1]
                print(f"  {t} stdout: {r['stdout'][:500]!r}")
                print(f"  {t} stderr: {r['stderr'][:500]!r}")
        summary.setdefault(sc, {}).update(
            {t: {"wall_median_s": m[0], "cpu_median_s": m[3], "rss_median_kb": m[1],
                 "exits": m[2]}
             for t, m in med.items()})
    results["summary"] = summary
    if a.json:
        for runs in results["scenarios"].values():
            for rs in runs.values():
                for r in rs:
                    r["stdout"] = r["stdout"][:2000]
                    r["stderr"] = r["stderr"][:2000]
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
