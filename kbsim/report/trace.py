"""The build as a narrated sequence of steps, and GNU make 4.4's ``--debug=why`` lines.

``kbsim`` format: one line per step of :meth:`BuildRun.merged_events` - each make process
starting, reading a makefile, every stat (what its cache will hold), every ``$(wildcard)``
lstat, every decision in plain language, every recipe line, each compile finishing with
its stamped mtime, each touch of the adjust loop, the exec of the next pass, re-execs,
exits and modpost - prefixed by the simulated time since the build started and indented by
make level.

``make-why`` format: what GNU make 4.4 prints with ``--debug=why`` (semantics reference
section 8, 4.4 ``job.c``): before each recipe that starts, ``FILE:LINE: update target 'T'
due to: REASON`` with REASON ``target is .PHONY``, ``target does not exist``, the expanded
``$?``, or ``unknown reasons``.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, TextIO

from ..make.filedb import NONEXISTENT
from ..make.reasons import to_model
from .buildrun import BuildRun, XEvent
from .make_explain import explain as explain_decision
from .timefmt import clock

KINDS = ("start", "read", "stat", "lstat", "readdir", "decide", "run", "reexec", "exit",
         "compiled", "adjust-start", "touch", "adjust-end", "modpost")


def _rel(run: BuildRun, ns: int) -> str:
    d = ns - run.start_ns
    sign = "-" if d < 0 else "+"
    d = abs(d)
    return f"{sign}{d // 1_000_000_000:>3}.{d % 1_000_000_000:09d}"


def _who(run: BuildRun, e: XEvent) -> str:
    if e.pid == 0:
        return "kbuild"
    return ("make" if e.level == 0 else f"make[{e.level}]") + f" #{e.pid}"


def describe(run: BuildRun, e: XEvent) -> str:
    """One event in words (without the time prefix)."""
    k, d = e.kind, e.data
    if k == "start":
        p = run.proc(e.pid)
        cmd = run.command_of(p) if p is not None else "make"
        s = f"starts in {d.get('cwd')}: {cmd}"
        if p is not None and run.replay is not None:
            s += f"  [pass {run.pass_of(p)}]"
        if d.get("restarts"):
            s += f" (restart {d['restarts']})"
        return s
    if k == "read":
        return f"reads makefile {d.get('file')}"
    if k == "stat":
        m = d.get("mtime")
        return f"stat {d.get('file')}: " + ("missing" if m is None else clock(m))
    if k == "lstat":
        return (f"$(wildcard {d.get('file')}): "
                + ("found" if d.get("exists") else "not there") + " (lstat)")
    if k == "readdir":
        return f"reads directory {d.get('dir')} (kept in this process's dir cache)"
    if k == "decide":
        dc = d["decision"]
        verdict = "REMAKE" if dc.remade else "keep  "
        return f"decides {verdict} {explain_decision(to_model(dc))}"
    if k == "run":
        s = f"runs recipe of {d.get('target')}: {d.get('line')}"
        verdict = _kbuild_verdict(run, e)
        return s + (f"  -> {verdict}" if verdict else "")
    if k == "reexec":
        return "re-executes itself: a makefile it read was remade (fresh caches)"
    if k == "exit":
        return f"exits with status {d.get('status')}"
    if k == "compiled":
        c = d["record"]
        ex = " ".join(c.exports) or "none"
        return (f"{c.tool} {c.target} finished (started {_rel(run, c.start_ns).strip()}): "
                f"mtime {clock(c.mtime_ns)}, exports {ex}")
    if k == "adjust-start":
        a = d["record"]
        return f"adjust_autoksyms.sh starts (pass {a.pass_no}): CHK include/generated/autoksyms.h"
    if k == "touch":
        t = d["record"]
        extra = f", {t.touches} touches (race guard)" if t.touches > 1 else ""
        return (f"adjust_autoksyms.sh touches {t.path} (for {t.symbol}): "
                f"mtime {clock(t.mtime_ns)}{extra}")
    if k == "adjust-end":
        a = d["record"]
        s = f"adjust_autoksyms.sh: before={a.before}, after={a.after}, changed={a.changed}"
        if a.reexec:
            s += (f"; mv .tmpnew autoksyms.h; exec {' '.join(a.reexec)} "
                  f"(pass {a.pass_no + 1})")
        else:
            s += "; nothing changed, the loop ends"
        return s
    if k == "modpost":
        m = d["record"]
        if not m.errors:
            return f"modpost: {m.modules} modules, no undefined symbols"
        return (f"modpost: {m.modules} modules, {len(m.errors)} undefined: "
                + "; ".join(m.errors[:4]) + (" ..." if len(m.errors) > 4 else ""))
    return f"{k} {d}"


def _kbuild_verdict(run: BuildRun, e: XEvent) -> str | None:
    """For a kbuild compile line: did if_changed compile, or find nothing to do?"""
    r = run.replay
    line = e.data.get("line") or ""
    if r is None or not line.split()[:1] or not line.split()[0].startswith(("kbsim-cc",
                                                                              "kbsim-as")):
        return None
    target = e.data.get("target")
    window = 2 * run.spec.timing.recipe_ns + 1_000_000
    for c in run.compiles_of(target):
        if e.time_ns <= c.start_ns <= e.time_ns + window:
            return f"kbuild compiles it ({'; '.join(c.reasons)})"
    return "kbuild's if_changed: nothing newer, same command line: not compiled"


def pass_of_event(run: BuildRun, e: XEvent) -> int | None:
    """The adjust pass an event belongs to (kbuild replays; None for a plain make run).
    modpost runs after the last pass and counts as part of it."""
    if run.replay is None:
        return None
    if e.pid:
        p = run.proc(e.pid)
        return run.pass_of(p) if p is not None else None
    for rec in (e.data.get("adjust"), e.data.get("record")):
        n = getattr(rec, "pass_no", None)
        if n is not None:
            return n
    return run.replay.passes  # modpost


def narrate(run: BuildRun, only: Iterable[str] | None = None,
            grep: str | None = None, pass_no: int | None = None) -> Iterator[str]:
    """The kbsim narration, one line per event (of the kinds in ONLY, containing GREP,
    of adjust pass PASS_NO: each when given)."""
    kinds = set(only) if only else None
    yield (f"# kbsim trace: {run.label} ({run.kind}); times are simulated, since "
           f"{clock(run.start_ns)}\n")
    for e in run.merged_events():
        if kinds is not None and e.kind not in kinds:
            continue
        if pass_no is not None and pass_of_event(run, e) != pass_no:
            continue
        text = describe(run, e)
        if grep and grep not in text:
            continue
        ind = "  " * e.level if e.pid else ""
        yield f"{_rel(run, e.time_ns)}  {ind}{_who(run, e)}: {text}\n"


def why_reason(run: BuildRun, proc, d) -> str | None:
    """GNU make 4.4's REASON for a decision whose recipe starts, or None if none starts."""
    f = proc.files.lookup(d.target)
    if not d.remade or f is None or f.cmds is None or f.cmds.is_empty():
        return None
    if f.phony:
        return "target is .PHONY"
    if d.this_mtime == NONEXISTENT:
        return "target does not exist"
    newer = list(dict.fromkeys(d.newer))
    if newer:
        return " ".join(newer)
    return "unknown reasons"


def why_lines(run: BuildRun, grep: str | None = None) -> Iterator[str]:
    """``FILE:LINE: update target 'T' due to: REASON`` for every recipe that starts."""
    for e in run.merged_events():
        if e.kind != "decide":
            continue
        d = e.data["decision"]
        proc = run.proc(e.pid)
        why = why_reason(run, proc, d)
        if why is None:
            continue
        cm = proc.files.lookup(d.target).cmds
        where = f"{cm.filename}:{cm.lineno}" if cm.filename else "<builtin>"
        line = f"{where}: update target '{d.target}' due to: {why}\n"
        if grep and grep not in line:
            continue
        yield line


PROMPT = "-- Enter: next step, c: run to the end, q: quit -- "


def step_through(lines: Iterable[str], out: TextIO, ask: Callable[[], str | None],
                 prompt: Callable[[str], None]) -> int:
    """Print LINES one at a time, waiting for Enter between them.

    ASK returns the next input line, or None at end of input (then the rest is printed
    without pausing). Returns the number of lines printed.
    """
    n = 0
    stepping = True
    for ln in lines:
        out.write(ln)
        out.flush()
        n += 1
        if not stepping or ln.startswith("#"):
            continue
        prompt(PROMPT)
        ans = ask()
        if ans is None:
            stepping = False
            continue
        ans = ans.strip().lower()
        if ans in ("q", "quit"):
            break
        if ans in ("c", "continue"):
            stepping = False
    return n


__all__ = ["narrate", "pass_of_event", "why_lines", "why_reason", "describe", "step_through", "KINDS",
           "PROMPT"]
