"""A sweep's results as a table a person reads, JSON or CSV a script reads, and a plain
statement of which settings change the failure rate.

Nothing here depends on wall-clock time or on the number of workers: two runs of the same
sweep print the same bytes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .rebuilders import RULES
from .runner import CellResult, SweepResult
from .stats import mcnemar_exact

ALPHA = 0.05


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def rate_ci(c: CellResult) -> str:
    lo, hi = c.ci95
    return f"{pct(c.rate)} [{100 * lo:.1f}-{100 * hi:.1f}]"


def _symbols(c: CellResult, top: int = 3) -> str:
    items = list(c.failed_symbols.items())
    if not items:
        return "-"
    s = ", ".join(f"{k} {v}" for k, v in items[:top])
    return s + (f", +{len(items) - top} more" if len(items) > top else "")


def _caught(c: CellResult) -> str:
    if not c.stale_objects:
        return "-"
    return "/".join(str(c.caught_by.get(r, 0)) for r in RULES) + f" of {c.stale_objects}"


# ---------------------------------------------------------------------------- comparisons
@dataclass
class Comparison:
    key: str
    where: dict[str, str]
    a: CellResult
    b: CellResult
    only_a: int  # trials failing with a's value only
    only_b: int
    p: float

    @property
    def va(self) -> str:
        return self.a.varied[self.key]

    @property
    def vb(self) -> str:
        return self.b.varied[self.key]


def comparisons(res: SweepResult) -> dict[str, list[Comparison]]:
    """For each varied setting: every other value against the first, at each combination
    of the other varied settings, on paired trials (same seeds)."""
    keys = res.sweep.settings.keys
    out: dict[str, list[Comparison]] = {}
    for key in keys:
        others = [k for k in keys if k != key]
        groups: dict[tuple, list[CellResult]] = {}
        for c in res.cells:
            groups.setdefault(tuple(c.varied[k] for k in others), []).append(c)
        found = []
        for gk, cells in groups.items():
            base = cells[0]
            for other in cells[1:]:
                oa = sum(1 for x, y in zip(base.outcomes, other.outcomes) if x and not y)
                ob = sum(1 for x, y in zip(base.outcomes, other.outcomes) if y and not x)
                found.append(Comparison(key, dict(zip(others, gk)), base, other, oa, ob,
                                        mcnemar_exact(oa, ob)))
        out[key] = found
    return out


def _where(c: Comparison) -> str:
    return ", ".join(f"{k}={v}" for k, v in c.where.items()) or "all else as set"


def _pval(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def conclusions(res: SweepResult) -> list[str]:
    """Plain sentences: which varied settings change the failure rate, which do not."""
    n = res.sweep.trials
    comps = comparisons(res)
    if not comps:
        return ["Nothing was varied: no comparison to make."]
    pairing = ("the same seeds in every cell" if res.partial else
               f"trial i uses seed {res.sweep.seed}+i in every cell")
    lines = [f"Which settings change the failure rate ({n} paired trials per cell: {pairing}"
             f"; exact McNemar test on the trials "
             f"whose outcome differs, p < {ALPHA}):"]
    for key, cs in comps.items():
        changed = [c for c in cs if c.p < ALPHA]
        if not cs:  # one value: no pair of cells differs in this setting
            vals = dict(res.sweep.settings.varied)[key]
            lines.append(f"- {key}: only one value ({', '.join(vals)}) was tried: nothing "
                         f"to compare (give two or more, e.g. --vary {key}=A,B).")
        elif changed:
            lines.append(f"- {key}: CHANGES the failure rate.")
        elif all(c.only_a == 0 and c.only_b == 0 for c in cs):
            lines.append(f"- {key}: does NOT change it: every paired trial has the same "
                         f"outcome whatever the value.")
        else:
            lines.append(f"- {key}: no detectable change at {n} trials (differences within "
                         f"chance).")
        for c in cs:
            tail = (f"{c.only_a} trials fail only with {c.va}, {c.only_b} only with {c.vb} "
                    f"({_pval(c.p)})" if c.only_a or c.only_b else "same outcome on every trial")
            lines.append(f"    {_where(c)}: {c.va} {rate_ci(c.a)} vs {c.vb} {rate_ci(c.b)}: "
                         f"{tail}")
    if any(c.make_rule_disagreements for c in res.cells):
        lines.append("Note: in some trials make's rule recomputed from the recorded stamps "
                     "disagrees with what the simulated make did; under stat_cache=shared "
                     "that is the stat cache at work (make decided on cached mtimes).")
    return lines


# ---------------------------------------------------------------------------- text
def seed_ranges(seeds: list[int]) -> str:
    """0..9 for a run of seeds; 0..3, 6, 8..9 for an interrupted sweep's."""
    out: list[list[int]] = []
    for s in sorted(seeds):
        if out and out[-1][1] == s - 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return ", ".join(f"{a}..{b}" if b > a else f"{a}" for a, b in out)


def header(res: SweepResult) -> list[str]:
    sw = res.sweep
    base = sw.base
    varied = sw.settings.keys
    fixed = ", ".join(f"{k}={v}" for k, v in base.items() if k not in varied)
    out = [f"kbsim whatif {sw.spec.name}: {len(res.cells)} cell(s) x {sw.trials} trial(s) "
           f"(seeds {seed_ranges(sw.seeds)}), {res.replays} replay(s)",
           f"fixed: {fixed}", engines_text(res)]
    if res.partial:
        out.insert(0, f"PARTIAL: interrupted after {res.finished} of {res.planned} trials; "
                      f"below, the {sw.trials} seed(s) that finished in every cell")
    return out


def engines_text(res: SweepResult) -> str:
    """Which tier ran the make processes (kbsim.plan), per cell when the cells differ."""
    def one(e: dict) -> str:
        return f"{e.get('plan', 0)} on the plan, {e.get('faithful', 0)} on the reference"
    per = [one(c.engines) for c in res.cells]
    if len(set(per)) <= 1:
        return f"make processes per cell: {per[0] if per else 'none'}"
    return "make processes: " + "; ".join(
        f"{', '.join(f'{k}={v}' for k, v in c.varied.items())}: {p}"
        for c, p in zip(res.cells, per))


def table_text(res: SweepResult, width: int | None = None) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    keys = res.sweep.settings.keys
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for k in keys:
        t.add_column(k)
    t.add_column("failed", justify="right")
    t.add_column("failure rate [95% CI]", justify="right")
    t.add_column("stale", justify="right")
    t.add_column("rebuilt", justify="right")
    t.add_column("adjust", justify="right")
    t.add_column("failing symbols (trials)")
    t.add_column("stale caught by " + "/".join(RULES))
    for c in res.cells:
        t.add_row(*[c.varied[k] for k in keys], f"{c.failures}/{c.trials}", rate_ci(c),
                  f"{c.mean_stale:.2f}", f"{c.mean_rebuilt:.1f}",
                  f"{c.mean_adjust_passes:.2f}", _symbols(c), _caught(c))
    buf = io.StringIO()
    Console(file=buf, width=width or 160, color_system=None, force_terminal=False,
            legacy_windows=False).print(t)
    return "\n".join(ln.rstrip() for ln in buf.getvalue().splitlines()) + "\n"


LEGEND = ("stale = objects whose compiled exports differ from the final autoksyms.h (mean "
          "per trial); rebuilt = objects compiled in passes >= 2 (mean); adjust = adjust-step "
          "runs (mean); failing symbols = symbols modpost reported undefined, with the number "
          "of trials. With rebuilder=R the row is R's one-step counterfactual at the last "
          "decision point. 'stale caught by' counts the stale objects of make's run that each "
          "rule would have rebuilt at the decision point of the next pass.")


def text_report(res: SweepResult, width: int | None = None) -> str:
    parts = header(res) + [""]
    out = "\n".join(parts) + table_text(res, width)
    import textwrap
    out += "\n" + textwrap.fill(LEGEND, width=min(width or 100, 100)) + "\n\n"
    for c in res.cells:
        if c.errors:
            where = ", ".join(f"{k}={v}" for k, v in c.varied.items()) or "the only cell"
            out += (f"Warning: {where}: {c.errors} of {c.trials} trials ended with make "
                    f"failing before or besides modpost (exit 2); they are not counted as "
                    f"modpost failures.\n")
    out += "\n".join(conclusions(res)) + "\n"
    return out


# ---------------------------------------------------------------------------- json/csv
def _r(x: float) -> float:
    return round(x, 6)


def to_json(res: SweepResult) -> dict:
    # `kbsim whatif --json` prints this as the Python API's WhatifResult, whose models
    # (kbsim/api/sweeps.py) are strict: a key added here is added there too
    sw = res.sweep
    comps = comparisons(res)
    return {
        "model": sw.spec.name,
        "trials": sw.trials,
        "seed": sw.seed,
        "settings": {k: v for k, v in sw.base.items() if k not in sw.settings.keys},
        "varied": {k: vals for k, vals in sw.settings.varied},
        "replays": res.replays,
        # an interrupted sweep: the trials planned and finished; the cells hold the
        # seeds finished in every cell ("trials" of them)
        "partial": ({"planned": res.planned, "finished": res.finished,
                     "seeds": sw.seeds} if res.partial else None),
        "cells": [{
            "settings": c.varied,
            "trials": c.trials,
            "failures": c.failures,
            "failure_rate": _r(c.rate),
            "ci95": [_r(c.ci95[0]), _r(c.ci95[1])],
            "mean_stale": _r(c.mean_stale),
            "mean_rebuilt": _r(c.mean_rebuilt),
            "mean_adjust_passes": _r(c.mean_adjust_passes),
            "failed_symbols": c.failed_symbols,
            "stale_objects": c.stale_targets,
            "stale_caught_by": {**c.caught_by, "of": c.stale_objects},
            "errors": c.errors,
            "make_rule_disagreements": c.make_rule_disagreements,
            "stat_cache_hits": c.cache_hits,
            "engines": {"plan": c.engines.get("plan", 0),
                        "faithful": c.engines.get("faithful", 0)},
            "outcomes": "".join("F" if x else "." for x in c.outcomes),
        } for c in res.cells],
        "comparisons": [{
            "setting": c.key, "where": c.where, "a": c.va, "b": c.vb,
            "fail_only_a": c.only_a, "fail_only_b": c.only_b, "p": _r(c.p),
        } for cs in comps.values() for c in cs],
        "conclusions": conclusions(res),
    }


def csv_text(res: SweepResult) -> str:
    keys = res.sweep.settings.keys
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(keys + ["trials", "failures", "failure_rate", "ci95_low", "ci95_high",
                       "mean_stale", "mean_rebuilt", "mean_adjust_passes", "failed_symbols",
                       "stale_objects"] + [f"caught_by_{r}" for r in RULES] + ["partial"])
    for c in res.cells:
        w.writerow([c.varied[k] for k in keys] + [
            c.trials, c.failures, _r(c.rate), _r(c.ci95[0]), _r(c.ci95[1]),
            _r(c.mean_stale), _r(c.mean_rebuilt), _r(c.mean_adjust_passes),
            ";".join(f"{k}:{v}" for k, v in c.failed_symbols.items()), c.stale_objects,
        ] + [c.caught_by.get(r, 0) for r in RULES]
            + [f"{res.finished}/{res.planned}" if res.partial else ""])
    return buf.getvalue()
