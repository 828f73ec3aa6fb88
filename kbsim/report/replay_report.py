"""Rendering a replay: kbuild-style text, pass by pass, and the JSON document."""

from __future__ import annotations

from ..kbuild.replay import ReplayResult
from .timefmt import clock

PASS1_TAIL = 12


def header(r: ReplayResult) -> str:
    g = "with the race guard" if r.guard else "no race guard"
    out = (f"kbsim replay: {r.spec.name}: era {r.era.describe()}, {r.granularity} mtimes, "
           f"make -j{r.jobs}, seed {r.seed}, {g}, naming {r.naming.name}\n")
    if r.granularity_note:  # how the granularity was decided, so the user can judge it
        out += f"  {r.granularity} mtimes {r.granularity_note}; --granularity overrides\n"
    for n in _tree_notes(r):  # what the captured tree's graph had to assume
        out += f"  note: {n}\n"
    return out


def _tree_notes(r: ReplayResult) -> list[str]:
    tree = getattr(r.spec, "tree", None)
    return list(tree.notes) if tree is not None else []


def _segments(r: ReplayResult):
    """(title, [(stream, text)]) for pass 1, each later pass, and modpost."""
    marks = [(0, "pass 1", ["make", f"-j{r.jobs}"])] + list(r.runtime.marks)
    out = r.output
    for i, (start, title, argv) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(out)
        yield title, argv, out[start:end]


def replay_text(r: ReplayResult, full: bool = False) -> str:
    lines = [header(r)]
    for title, argv, chunk in _segments(r):
        text = "".join(t for _, t in chunk).splitlines()
        if title == "pass 1":
            what = ("the next make on the captured tree" if _prebuilt(r) else "from clean")
            lines.append(f"== pass 1: {' '.join(argv)} ({what}) ==\n")
        elif title == "modpost":
            lines.append("== modpost ==\n")
        else:
            lines.append(f"== {title}: {' '.join(argv)} (exec'd by adjust_autoksyms.sh) ==\n")
        if title == "pass 1" and not full:
            cut = next((k for k, ln in enumerate(text) if "CHK " in ln), len(text))
            head, tail = text[:cut], text[cut:]
            if len(head) > PASS1_TAIL:
                lines.append(f"  [... {len(head) - PASS1_TAIL} earlier lines; --full shows "
                             f"them ...]\n")
                head = head[-PASS1_TAIL:]
            text = head + tail
        lines.extend(ln + "\n" for ln in text)
    stale = r.stale
    lines.append("== summary ==\n")
    per_pass = ", ".join(f"pass {p}: {n}" for p, n in _per_pass(r))
    compiled = f"{len(r.compiles)} ({per_pass})" if r.compiles else "none"
    lines.append(f"passes: {r.passes}; objects compiled: {compiled}; "
                 f"simulated time {(r.end_ns - r.start_ns) / 1e9:.1f} s\n")
    lines.append(engines_line(r.engines))
    if r.spec.tree is not None:  # a captured tree: the whole next make, stage by stage
        rows = r.rebuilds()
        by: dict[str, int] = {}
        for x in rows:
            if x["writes"]:
                by[x["stage"]] = by.get(x["stage"], 0) + 1
        files = {w for x in rows for w in x["writes"]}
        fc: dict[str, int] = {}
        for x in rows:
            if x.get("content"):
                fc[x["content"]] = fc.get(x["content"], 0) + 1
        fcs = ", ".join(f"{fc[k]} {k}" for k in ("unchanged", "changes", "unknown") if k in fc)
        lines.append("next make rebuilds: " + (", ".join(f"{n} {st}" for st, n in by.items())
                                                or "nothing")
                     + f"; {len(files)} files written (--json: rebuild); filechk targets "
                       f"regenerated: {fcs or 'none'}\n")
    if stale:
        lines.append(f"stale objects ({len(stale)}): compiled exports differ from the final "
                     f"autoksyms.h\n")
        for s in stale:
            what = []
            if s.missing:
                what.append("missing " + " ".join(s.missing))
            if s.extra:
                what.append("extra " + " ".join(s.extra))
            when = (f"compiled in pass {s.compiled_pass}" if s.compiled_pass is not None else
                    "not recompiled: built before the capture" if _prebuilt(r) else
                    "never compiled")
            lines.append(f"  {s.target} ({when}, mtime {clock(s.mtime_ns)}): "
                         f"{'; '.join(what)}\n")
    else:
        lines.append("stale objects: none\n")
    if r.modpost_errors:
        lines.append(f"modpost: {len(r.modpost_errors)} undefined symbol error(s); exit 1\n")
    elif r.make_status != 0:
        lines.append(f"make failed (status {r.make_status}); exit 2\n")
    else:
        lines.append("modpost: ok\n")
    if r.make_status != 0:  # why make stopped, whatever the output above was cut to
        lines += [f"  {ln}\n" for ln in r.make_errors]
    return "".join(lines)


def engines_line(engines: dict[str, int]) -> str:
    """Which tier ran the make processes (kbsim.plan): never hidden."""
    plan, ref = engines.get("plan", 0), engines.get("faithful", 0)
    if not plan:
        return f"make processes: {ref} on the reference engine\n"
    return (f"make processes: {plan} on the plan, {ref} on the reference engine\n")


def _prebuilt(r: ReplayResult) -> bool:
    """A captured tree: the replay is the next make on a built tree, not a build from
    clean."""
    return r.spec.initial_files is not None


def _per_pass(r: ReplayResult):
    counts: dict[int, int] = {}
    for c in r.compiles:
        counts[c.pass_no] = counts.get(c.pass_no, 0) + 1
    return sorted(counts.items())


def replay_json(r: ReplayResult) -> dict:
    # `kbsim replay --json` prints this as the Python API's ReplayResult, whose models
    # (kbsim/api/replays.py) are strict: a key added here is added there too
    passes = []
    for p in range(1, r.passes + 1):
        adj = [a for a in r.adjusts if a.pass_no == p]
        passes.append({
            "pass": p,
            "command": (["make", f"-j{r.jobs}"] if p == 1 else
                        next((a.reexec for a in r.adjusts if a.pass_no == p - 1 and a.reexec),
                             None)),
            "compiled": [{"target": c.target, "tool": c.tool, "reasons": c.reasons,
                          "start_ns": c.start_ns, "end_ns": c.end_ns, "mtime_ns": c.mtime_ns,
                          "exports": c.exports, "autoksyms_mtime_ns": c.saw_autoksyms_ns}
                         for c in r.compiles if c.pass_no == p],
            "adjust": [{"start_ns": a.start_ns, "end_ns": a.end_ns,
                        "tmpnew_mtime_ns": a.tmpnew_mtime_ns, "before": a.before,
                        "after": a.after, "changed": a.changed, "reexec": a.reexec,
                        "touched": [{"symbol": t.symbol, "path": t.path, "time_ns": t.time_ns,
                                     "mtime_ns": t.mtime_ns, "touches": t.touches}
                                    for t in a.touched]} for a in adj],
        })
    return {
        "model": r.spec.name,
        "era": r.era.name,
        "granularity": r.granularity,
        "granularity_evidence": r.granularity_note,
        "jobs": r.jobs,
        "seed": r.seed,
        "guard": r.guard,
        "naming": r.naming.name,
        "start_ns": r.start_ns,
        "end_ns": r.end_ns,
        "passes": passes,
        # what the (next) make rebuilds and why, in kbuild's V=2 wording, in the order
        # the recipes started: compiles, and for a captured tree every later step
        "rebuild": r.rebuilds(),
        "stale": [{"target": s.target, "missing": s.missing, "extra": s.extra,
                   "compiled_pass": s.compiled_pass, "mtime_ns": s.mtime_ns}
                  for s in r.stale],
        "modpost_errors": r.modpost_errors,
        "make_status": r.make_status,
        "exit_code": r.exit_code,
        "warnings": r.warnings + (r.make_errors if r.make_status != 0 else []),
        "notes": _tree_notes(r),
        "engines": {"plan": r.engines.get("plan", 0),
                    "faithful": r.engines.get("faithful", 0)},
    }
