"""Text for captured trees: the capture summary, ``diagnose`` and ``aliases``."""

from __future__ import annotations

import textwrap

from .timefmt import clock, stamp


def _when(ns: int | None) -> str:
    return "absent" if ns is None else f"{clock(ns)} UTC ({stamp(ns)})"


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=92, initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def diagnosis_text(d, tree: str) -> str:
    """One diagnosis (kbsim.tree.diagnose.Diagnosis) as the evidence, then the reasoning."""
    out = [f"symbol {d.symbol}: {d.case}",
           f"  tree:         {tree} (era {d.era or 'unknown'}, {d.versions}; timestamps "
           f"{d.granularity})"]
    if d.needed_by:
        for i, n in enumerate(d.needed_by[:10]):
            out.append(f"  {'needed by:' if i == 0 else '':<13} {n.module} ({n.source})")
        if len(d.needed_by) > 10:
            out.append(f"  {'':<13} and {len(d.needed_by) - 10} more modules")
    else:
        out.append("  needed by:    no module")
    e6 = d.era == "e6"  # v6.5+: modpost writes the KSYMTAB entries (tree/diagnose.py)
    if e6:
        pass
    elif d.autoksyms is None:
        out.append("  autoksyms.h:  not captured")
    else:
        asks = {True: f"asks for it (#define __KSYM_{d.symbol} 1)",
                False: "does not ask for it", None: "content unknown"}[d.autoksyms_asks]
        out.append(f"  autoksyms.h:  {_when(d.autoksyms.mtime_ns)}: {asks}")
    if not d.exporters:
        out.append("  exporter:     none found")
    for i, e in enumerate(d.exporters):
        label = "exporter:" if i == 0 else ""
        out.append(f"  {label:<13} {e.object}: {_when(e.mtime_ns) if e.present else 'absent'}")
        out.append(f"  {'':<15}found by {'; '.join(e.found_by)}")
        if e6:
            img = e.comparison.get("image", "?")
            have = {True: f"has __ksymtab_{d.symbol}", False: f"lacks __ksymtab_{d.symbol}",
                    None: "not captured"}[e.compiled_exports_have_symbol]
            out.append(f"  {'':<15}KSYMTAB in {img}: {have}")
            for k in ("Module.symvers", e.comparison.get("ksymtab_file"),
                      e.comparison.get("ksymtab_object"), img):
                if k in e.comparison:
                    out.append(f"  {'':<17}{k}: {e.comparison[k]}")
            out.append(f"  {'':<15}-> {e.case}")
            continue
        have = {True: f"has ___ksymtab+{d.symbol}", False: f"lacks ___ksymtab+{d.symbol}",
                None: "not captured"}[e.compiled_exports_have_symbol]
        out.append(f"  {'':<15}compiled exports: {have}")
        if e.ksym_file is not None:
            kf = e.ksym_file
            state = _when(kf.mtime_ns) if kf.present else (
                "absent" if kf.present is False else "not captured")
            out.append(f"  {'':<15}ksym file {kf.path}: {state}")
            for sp in e.spellings:
                users = ", ".join(sp.used_by[:4]) + (f" and {len(sp.used_by) - 4} more"
                                                    if len(sp.used_by) > 4 else "")
                out.append(f"  {'':<17}named {sp.name}"
                           + (f" in the .cmd of {users}" if users else
                              " (the name the adjust script touches)"))
        if e.comparison:
            out.append(f"  {'':<15}object vs autoksyms.h: "
                       f"{e.comparison.get('object_vs_autoksyms')}; object vs ksym file: "
                       f"{e.comparison.get('object_vs_ksym_file')} -> {e.case}")
        for p in e.cmd_problems:
            out.append(f"  {'':<15}warning: {e.cmd_file}: {p}")
    if d.related:
        out.append(f"  also depends on that ksym file: {', '.join(d.related[:6])}"
                   + (f" and {len(d.related) - 6} more" if len(d.related) > 6 else ""))
    out.append("")
    out.append(f"case {d.case}: " + ", ".join(d.cases[1:]) if len(d.cases) > 1
               else f"case {d.case}")
    for para in d.explanation:
        out.append(_wrap(para, "  "))
    for n in d.notes:
        out.append(_wrap("note: " + n, "  "))
    return "\n".join(out) + "\n"


def aliases_text(rep, limit_targets: int = 5) -> str:
    out = []
    for s in rep.sets:
        state = _when(s.mtime_ns) if s.present else (
            "absent" if s.present is False else "not captured")
        out.append(f"{s.path} ({s.kind}, {state}): {len(s.spellings)} names, "
                   f"{s.distinct_make_files} make file{'s' if s.distinct_make_files != 1 else ''}")
        width = max(len(sp.name) for sp in s.spellings)
        for sp in s.spellings:
            ts = ", ".join(sp.targets[:limit_targets])
            more = f" and {len(sp.targets) - limit_targets} more" \
                if len(sp.targets) > limit_targets else ""
            out.append(f"  {sp.name:<{width}}  <- {ts}{more}" if ts else f"  {sp.name}")
    out.append(f"{len(rep.sets)} file(s) reached by more than one name "
               f"({rep.files} files from {rep.names} names in .cmd files)")
    return "\n".join(out) + "\n"


def capture_summary(cap, seconds: float | None, out: str | None, size: int | None) -> str:
    n_obj = sum(1 for o in cap.objects.values() if o.format is not None)
    parts = [f"captured {cap.build_dir}: {len(cap.cmd_files)} .cmd files, "
             f"{len(cap.mtimes)} files ({len(cap.names)} other spellings), "
             f"{n_obj} objects read ({cap.elf})",
             f"era {cap.era.era or 'unknown'} ({cap.era.versions}); timestamps "
             f"{cap.granularity.granularity}"]
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    line = "; ".join(parts)
    if out is not None:
        line += f" -> {out}" + (f" ({size / 1024:.0f} KB)" if size is not None else "")
    return line
