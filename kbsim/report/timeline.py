"""A timeline plot of the files that decide one symbol's export (matplotlib, optional).

For a kbuild replay and a symbol (by default the missing exports of the first stale
object), the relevant files are the object that exports it, its ksym dependency file (all
spellings that reach it) and include/generated/autoksyms.h. The left panel runs along
simulated wall-clock time: compile bars, each write or touch (a dot) and the mtime the
filesystem stored for it (a diamond, joined to its write: the stamp is cut down to the
filesystem's granularity), the adjust script's run, and the granularity ticks as vertical
lines. When the object and its ksym file land in the same second their diamonds sit on
the same tick. The right panel shows what the make process of the next pass compared: the
mtimes it stat'ed, and its verdict.

matplotlib is an optional extra: ``pip install 'kbsim[plot]'``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from ..errors import InputError
from .buildrun import BuildRun
from .timefmt import clock

NS = 1_000_000_000
WIDTH_IN, HEIGHT_IN, DPI = 12.0, 6.0, 100  # a 1200 x 600 PNG


class MissingExtra(InputError):
    pass


def require_matplotlib():
    try:
        import matplotlib
        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt  # noqa: F401
    except ImportError:
        raise MissingExtra("the timeline needs matplotlib, an optional extra: "
                           "pip install 'kbsim[plot]'") from None
    return plt


@dataclass
class Lane:
    label: str
    kind: str  # object, ksym, autoksyms
    bars: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, text)
    writes: list[tuple[int, int, str]] = field(default_factory=list)  # (time, mtime, text)
    seen: list[tuple[int, int | None, str]] = field(default_factory=list)  # make's stats


@dataclass
class TimelineData:
    symbols: list[str]
    why: str
    lanes: list[Lane]
    adjusts: list[tuple[int, int, int]]  # (start, end, pass)
    step_ns: int
    granularity: str
    window: tuple[int, int]
    decision: dict | None = None  # the later pass's comparison


def _default_symbols(run: BuildRun) -> tuple[list[str], str]:
    r = run.replay
    for s in r.stale:
        syms = list(s.missing) + list(s.extra)
        if syms:
            return syms, f"the exports {s.target} lacks (stale)"
    # no stale object: the touched symbol whose exporter was written last in pass 1
    exporter = {}
    for o in run.spec.objects():
        for sym in o.exports:
            exporter.setdefault(sym, o.path)
    best = None
    for a in r.adjusts[:1]:
        for t in a.touched:
            obj = exporter.get(t.symbol)
            if obj is None:
                continue
            ends = [c.mtime_ns for c in r.compiles if c.target == obj and c.pass_no == 1]
            if ends and (best is None or max(ends) > best[0]):
                best = (max(ends), t.symbol)
    if best is None:
        raise InputError("no stale object and no touched symbol with an exporter in this "
                         "run; pass --symbol SYM")
    return [best[1]], "no object is stale; the touched symbol whose exporter was written last"


def timeline_data(run: BuildRun, symbol: str | None = None) -> TimelineData:
    r = run.replay
    if r is None:
        raise InputError("kbsim timeline needs a model or a captured tree (a kbuild replay)")
    if symbol:
        syms = [symbol]
        why = f"--symbol {symbol}"
    else:
        syms, why = _default_symbols(run)
    objs: list[str] = []
    for o in run.spec.objects():
        if any(s in o.exports for s in syms) and o.path not in objs:
            objs.append(o.path)
    if not objs:
        known = sorted({s for o in run.spec.objects() for s in o.exports})
        import difflib
        close = difflib.get_close_matches(symbol or "", known, n=5, cutoff=0.6)
        raise InputError(f"no object exports {', '.join(syms)}"
                         + (f"; closest: {', '.join(close)}" if close else ""))
    lanes: list[Lane] = []
    for obj in objs:
        ln = Lane(obj, "object")
        for c in r.compiles:
            if c.target == obj:
                ln.bars.append((c.start_ns, c.end_ns, f"{c.tool} pass {c.pass_no}"))
                ln.writes.append((c.end_ns, c.mtime_ns, f"pass {c.pass_no}"))
        lanes.append(ln)
    # ksym files: every spelling fixdep wrote or the adjust script touched, by inode
    by_ino: dict[int | None, list[str]] = {}
    for s in syms:
        for p in (r.naming.fixdep_ksym(s), r.naming.adjust_ksym(s)):
            ino = run.inode(p)
            lst = by_ino.setdefault(ino if ino is not None else hash(p), [])
            if p not in lst:
                lst.append(p)
    ksym_lanes = []
    for ino, spellings in by_ino.items():
        ln = Lane("\n= ".join(spellings), "ksym")
        for a in r.adjusts:
            for t in a.touched:
                if t.path in spellings or (run.inode(t.path) == ino):
                    extra = f", {t.touches} touches" if t.touches > 1 else ""
                    ln.writes.append((t.time_ns, t.mtime_ns, f"touch ({t.symbol}{extra})"))
        lanes.append(ln)
        ksym_lanes.append((ln, spellings))
    auto = Lane("include/generated/autoksyms.h", "autoksyms")
    startup = run.spec.timing.adjust_startup_ns
    for a in r.adjusts:
        if a.reexec:
            auto.writes.append((a.end_ns, a.tmpnew_mtime_ns,
                                f"mv .tmpnew (written {clock(a.start_ns + startup)[11:23]})"))
    lanes.append(auto)
    # the later pass's decision about the first object, and what its make saw
    decision = None
    for obj_lane in lanes[:len(objs)]:
        pairs = run.decisions_for(obj_lane.label)
        later = [(p, d) for p, d in pairs if (run.pass_of(p) or 1) >= 2]
        if not later:
            continue
        p, d = later[-1]
        compiled = any(c.target == obj_lane.label and c.start_ns >= d.time_ns
                       and c.pass_no == run.pass_of(p) for c in r.compiles)
        st = run.stats_seen(p.pid)
        marks = []
        for ln in lanes:
            names = [ln.label] if ln.kind == "object" else (
                next(s for l2, s in ksym_lanes if l2 is ln) if ln.kind == "ksym" else [])
            for n in names:
                if n in st:
                    prior = [x for x in st[n] if x[0] <= d.time_ns]
                    t, m = prior[-1] if prior else st[n][0]
                    ln.seen.append((t, m, n))
                    marks.append((ln.label, n, m))
        decision = {"process": p.pid, "command": run.command_of(p), "pass": run.pass_of(p),
                    "time_ns": d.time_ns, "target": obj_lane.label, "rebuilt": compiled,
                    "seen": marks}
        break
    g = run.fs.gran
    step = max(g.tick_ns, g.store_ns)
    pts = []
    for ln in lanes:
        for b in ln.bars:
            if b[2].endswith("pass 1") or len(r.adjusts) == 0:
                pts += [b[0], b[1]]
        for w in ln.writes:
            if w[0] <= (r.adjusts[0].end_ns if r.adjusts else w[0]):
                pts += [w[0], w[1]]
    for a in r.adjusts[:1]:
        pts += [a.start_ns, a.end_ns]
    if not pts:
        pts = [run.start_ns, run.fs.clock.now]
    lo, hi = min(pts), max(pts)
    pad = max((hi - lo) // 10, 200_000_000)
    lo, hi = lo - pad, hi + pad
    if step >= 100_000_000:
        lo = (lo // step) * step
        hi = -(-hi // step) * step
    adj = [(a.start_ns, a.end_ns, a.pass_no) for a in r.adjusts]
    return TimelineData(syms, why, lanes, adj, step, run.granularity_text, (lo, hi), decision)


def _fmt_time(base_ns: int):
    def f(x, _pos=None):
        ns = base_ns + int(round(x * NS))
        d = _dt.datetime.fromtimestamp(ns // NS, tz=_dt.timezone.utc)
        frac = (ns % NS) / NS
        return d.strftime("%H:%M:%S") + (f"{frac:.2f}"[1:] if frac > 1e-6 else "")
    return f


def plot_timeline(run: BuildRun, path: str, symbol: str | None = None) -> TimelineData:
    plt = require_matplotlib()
    from matplotlib.ticker import FuncFormatter
    td = timeline_data(run, symbol)
    lo, hi = td.window
    base = (lo // NS) * NS
    X = lambda ns: (ns - base) / NS  # noqa: E731
    fig = plt.figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    gs = fig.add_gridspec(1, 2, width_ratios=[3.2, 1], wspace=0.08, left=0.27, right=0.98,
                          top=0.86, bottom=0.14)
    ax = fig.add_subplot(gs[0])
    ax2 = fig.add_subplot(gs[1], sharey=ax)
    n = len(td.lanes)
    ys = {id(ln): n - 1 - i for i, ln in enumerate(td.lanes)}
    colors = {"object": "#2b8cbe", "ksym": "#d95f0e", "autoksyms": "#636363"}
    # granularity ticks
    step = td.step_ns
    ticks = []
    if step > 1 and (hi - lo) // step <= 400:
        t = -(-lo // step) * step
        while t <= hi:
            ticks.append(t)
            t += step
    for k, t in enumerate(ticks):
        ax.axvline(X(t), color="#9e9e9e", lw=1.0, zorder=0,
                   label=(f"granularity tick ({td.granularity})" if k == 0 else None))
    for s, e, p in td.adjusts:
        if e >= lo and s <= hi:
            ax.axvspan(X(s), X(e), color="#fee391", alpha=0.6, zorder=0,
                       label=f"adjust_autoksyms.sh (pass {p})")
    stamp_of: dict[int, list[int]] = {}
    for ln in td.lanes:
        y = ys[id(ln)]
        c = colors[ln.kind]
        for s, e, txt in ln.bars:
            if e < lo or s > hi:
                continue
            ax.barh(y, X(e) - X(s), left=X(s), height=0.28, color="#a6bddb",
                    edgecolor="#2b8cbe", zorder=2)
            ax.text(X(s), y + 0.2, txt, fontsize=7, color="#2b8cbe")
        k = 0
        for t, m, txt in ln.writes:
            if t < lo or t > hi:
                continue
            ax.annotate("", xy=(X(m), y), xytext=(X(t), y),
                        arrowprops=dict(arrowstyle="->", color=c, lw=1.0), zorder=3)
            ax.plot([X(t)], [y], "o", color=c, ms=5, zorder=4)
            ax.plot([X(m)], [y], "D", color=c, ms=8, mec="black", zorder=5)
            ax.text(X(t), y - 0.27 - 0.15 * (k % 2), txt, fontsize=7, color=c, ha="center")
            k += 1
            if ln.kind != "autoksyms":
                stamp_of.setdefault(m, []).append(y)
    # stamps shared by an object and its ksym file: one tick, two diamonds
    obj_stamps = {m for ln in td.lanes if ln.kind == "object" for _, m, _ in ln.writes}
    ksym_stamps = {m for ln in td.lanes if ln.kind == "ksym" for _, m, _ in ln.writes}
    for m in sorted(obj_stamps & ksym_stamps):
        if lo <= m <= hi:
            yy = stamp_of[m]
            ax.plot([X(m), X(m)], [min(yy), max(yy)], color="#e31a1c", lw=2.2, ls="--",
                    zorder=4, label=f"equal mtimes {clock(m)[11:19]}")
    ax.set_xlim(X(lo), X(hi))
    ax.set_yticks([ys[id(ln)] for ln in td.lanes])
    ax.set_yticklabels([ln.label for ln in td.lanes], fontsize=8)
    ax.set_ylim(-0.8, n - 0.4)
    ax.xaxis.set_major_formatter(FuncFormatter(_fmt_time(base)))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel("simulated wall-clock time, UTC (o = written, <> = mtime stored)",
                  fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.005, 0.005),
               fontsize=7, framealpha=0.9)
    ax.set_title("pass 1: compiles, the adjust script's touches, and the stored stamps",
                 fontsize=9)
    # right: what the next pass's make compared
    dec = td.decision
    if dec is not None and dec["seen"]:
        vals = [m for _, _, m in dec["seen"] if m is not None]
        vlo, vhi = min(vals), max(vals)
        span = max(vhi - vlo, step if step > 1 else 1_000_000)
        vlo2, vhi2 = vlo - span, vhi + span
        if step > 1:
            t = -(-vlo2 // step) * step
            k = 0
            while t <= vhi2 and k < 50:
                ax2.axvline(X(t), color="#9e9e9e", lw=1.0, zorder=0)
                t += step
                k += 1
        for ln in td.lanes:
            for t, m, name in ln.seen:
                if m is None:
                    continue
                ax2.plot([X(m)], [ys[id(ln)]], "D", color=colors[ln.kind], ms=8,
                         mec="black", zorder=5)
        ax2.set_xlim(X(vlo2), X(vhi2))
        if step > 1:
            from matplotlib.ticker import MultipleLocator
            ax2.xaxis.set_major_locator(MultipleLocator(max(step / NS, 1e-9)))
        ax2.xaxis.set_major_formatter(FuncFormatter(_fmt_time(base)))
        ax2.tick_params(axis="x", labelsize=7, rotation=20)
        obj_m = next((m for lab, _, m in dec["seen"] if lab == dec["target"]), None)
        other = [m for lab, _, m in dec["seen"] if lab != dec["target"] and m is not None]
        if obj_m is not None and other:
            km = max(other)
            rel = "=" if km == obj_m else (">" if km > obj_m else "<")
            note = {"=": "ksym mtime = object mtime:\nnot newer (make needs >)",
                    ">": "ksym mtime > object mtime:\nnewer, so it is remade",
                    "<": "ksym mtime < object mtime:\nolder"}[rel]
            ax2.text(0.5, 0.04, note, ha="center", va="bottom", fontsize=8,
                     transform=ax2.transAxes,
                     bbox=dict(boxstyle="round", fc="white", ec="#999999"))
        verdict = "rebuilt" if dec["rebuilt"] else "NOT rebuilt"
        ax2.set_title(f"pass {dec['pass']}: mtimes make stat'ed\n"
                      f"({clock(dec['time_ns'])[11:19]}): {verdict}", fontsize=9,
                      color="#e31a1c" if not dec["rebuilt"] else "#238b45")
        ax2.set_xlabel("mtime as stat'ed", fontsize=8)
    else:
        ax2.text(0.5, 0.5, "no later pass\nconsidered it", ha="center", va="center",
                 transform=ax2.transAxes, fontsize=9)
        ax2.set_xticks([])
    plt.setp(ax2.get_yticklabels(), visible=False)
    r = run.replay
    fig.suptitle(f"kbsim timeline: {run.label}, seed {r.seed}, era {r.era.name}, "
                 f"{td.granularity}, {'race guard' if r.guard else 'no race guard'} - "
                 f"symbol{'s' if len(td.symbols) > 1 else ''} {', '.join(td.symbols)} "
                 f"({td.why})", fontsize=10)
    try:
        fig.savefig(path, dpi=DPI)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        plt.close(fig)
    return td


__all__ = ["timeline_data", "plot_timeline", "require_matplotlib", "MissingExtra",
           "WIDTH_IN", "HEIGHT_IN", "DPI"]
