#!/usr/bin/env python3
"""Snapshot kbsim's observable output for a determinism check before/after a change.

Writes one JSON file with: replay_json and the full log of lindroth-2018 for seeds 0..3
(and a -j1 / 1s-granularity variant), the replay of linux-6.1-tinyconfig, and optionally
the replay of a real build dir (--build-dir) and `make -q -k` decisions on a tree
(--tree). Compare two snapshots with ``cmp`` or ``diff``.

Usage: /tmp/venv/bin/python bench/determinism_snapshot.py OUT.json [--build-dir D] [--tree T]
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def replay_doc(spec, **kw):
    from kbsim.kbuild import replay
    from kbsim.report.replay_report import replay_json, replay_text
    r = replay(spec, **kw)
    return {"json": replay_json(r), "text": replay_text(r, full=True), "log": r.log()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--build-dir")
    ap.add_argument("--tree")
    ap.add_argument("--seeds", type=int, default=4)
    a = ap.parse_args()
    from kbsim.tree.registry import load_spec
    doc = {}
    spec = load_spec("lindroth-2018")[0]
    for s in range(a.seeds):
        doc[f"lindroth-{s}"] = replay_doc(spec, seed=s)
    doc["lindroth-j1-1s"] = replay_doc(spec, seed=7, jobs=1, granularity="1s")
    doc["lindroth-noguard"] = replay_doc(spec, seed=1, guard=False)
    here = os.path.dirname(os.path.abspath(__file__))
    tiny = os.path.join(here, "..", "models", "linux-6.1-tinyconfig.json.gz")
    doc["tiny"] = replay_doc(load_spec(tiny)[0])
    if a.build_dir:
        doc["build-dir"] = replay_doc(load_spec(a.build_dir)[0])
    if a.tree:
        from kbsim.fs import Clock, real_fs
        from kbsim.make import simulate_make
        from kbsim.make.reasons import to_model
        fs = real_fs(Clock(10**19), "ns")
        r = simulate_make(fs, ["-q", "-k", "-C", a.tree], "/", env={})
        doc["tree"] = {"exit": r.exit_code, "stdout": r.stdout, "stderr": r.stderr,
                       "decisions": [to_model(d).model_dump() for d in r.decisions]}
    with open(a.out, "w") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
