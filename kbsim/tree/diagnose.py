"""``kbsim diagnose TREE --symbol SYM``: why is SYM ``undefined!`` (or not)?

It automates the reasoning of the 2018 thread (../shared/seed/, reference section 6):

1. Which modules need SYM (their ``.usyms``/``.mod`` lists, what the adjust script reads),
   and does include/generated/autoksyms.h ask for it (``#define __KSYM_SYM 1``)?
2. Which object should export SYM: the objects whose ``__ksym_marker_SYM`` (v5.0+), whose
   ``.cmd`` ksym dependency (the era's name for SYM), or whose compiled exports name it.
3. For each: does its compiled code export SYM (``___ksymtab+SYM``)? Compare the mtimes of
   autoksyms.h, the object and the ksym timestamp file(s), under every name the ``.cmd``
   file uses for that file.

The cases (first matching wins; ``aliased-ksym-file`` and ``exports-unknown`` are added to
the list when they apply):

- ``ok``: autoksyms.h asks for SYM and the exporter's compiled exports contain it.
- ``not-needed``: no module needs SYM and autoksyms.h does not ask for it (trimmed).
- ``no-exporter``: SYM is needed but no object of the tree declares it as an export.
- ``not-in-autoksyms``: a module needs SYM but autoksyms.h does not ask for it: the adjust
  step has not run since that module's symbol list changed.
- ``object-newer-than-autoksyms``: the object is newer than autoksyms.h, so its compile
  read a file that asks for SYM, yet it does not export SYM: timestamps do not explain it
  (the EXPORT_SYMBOL may be compiled out under this configuration).
- ``ksym-file-missing``: autoksyms.h is newer than the object, and the ksym file does not
  exist: the adjust script never touched it, so make had nothing to compare.
- ``same-tick``: the object and its ksym file have equal mtimes (stamped in the same
  granularity tick); make rebuilds only when a prerequisite is strictly newer, so the
  object was never rebuilt (the 2018 failure, fixed by the race guard 825d48758308).
- ``ksym-file-not-touched``: the ksym file is older than the object although autoksyms.h
  is newer: the adjust script did not touch it after the object was compiled.
- ``stale-not-rebuilt``: the ksym file is newer than the object: the next make will
  rebuild it; the make that ran after the touch did not (it was not re-run, or it had
  stat()ed the file under this name before the touch).
- ``aliased-ksym-file``: several names in the ``.cmd`` file(s) resolve to the one ksym
  file (``include/config/ksym///clear/user.h`` and ``.../clear/user.h`` in e1): make keys
  its file table by name, the kernel folds the slashes.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..fs import format_ns
from .captured import CapturedTree

CASES = {
    "ok": "autoksyms.h asks for the symbol and the object's compiled exports contain it",
    "not-needed": "no module needs the symbol and autoksyms.h does not ask for it",
    "no-exporter": "a module needs the symbol but no object in the tree declares it as an "
                   "export",
    "not-in-autoksyms": "a module needs the symbol but autoksyms.h does not ask for it",
    "object-newer-than-autoksyms": "the object is newer than autoksyms.h yet lacks the "
                                   "export",
    "ksym-file-missing": "the ksym timestamp file does not exist",
    "same-tick": "the object and its ksym file were stamped in the same granularity tick "
                 "(equal mtimes)",
    "ksym-file-not-touched": "the ksym file is older than the object although autoksyms.h "
                             "is newer",
    "stale-not-rebuilt": "the object is older than its ksym file and autoksyms.h yet was "
                         "not rebuilt",
    "aliased-ksym-file": "several names resolve to one ksym file",
    "exports-unknown": "the object's compiled exports were not captured (no ELF data)",
    # v6.5+ (e6): modpost writes the KSYMTAB entries (.vmlinux.export.c, NAME.mod.c)
    "modpost-not-run": "modpost has not run since a module or vmlinux.o changed",
    "ksymtab-stale": "modpost's KSYMTAB file is newer than its object: the next make "
                     "compiles and links it",
    "ksymtab-same-tick": "modpost rewrote its KSYMTAB file in the tick in which its object "
                         "had been compiled (equal mtimes)",
    "ksymtab-missing": "the exporter declares the symbol but the linked image has no "
                       "KSYMTAB entry for it, and the timestamps do not say why",
}
PROBLEM_CASES = set(CASES) - {"ok", "not-needed", "aliased-ksym-file", "exports-unknown"}


class FileFact(BaseModel):
    name: str = Field(description="The name as written (or as the adjust script spells it)")
    path: str = Field(description="Canonical path")
    present: bool | None = Field(description="null if the capture has no record of it")
    mtime_ns: int | None = None


class Spelling(BaseModel):
    name: str
    used_by: list[str] = Field(default_factory=list, description="Targets whose .cmd file "
                                                                 "uses this name")


class ExporterFact(BaseModel):
    object: str
    present: bool
    mtime_ns: int | None = None
    found_by: list[str] = Field(default_factory=list)
    compiled_exports_have_symbol: bool | None = Field(
        None, description="null when the object's contents were not captured")
    marker: bool | None = None
    cmd_file: str | None = None
    cmd_problems: list[str] = Field(default_factory=list)
    ksym_file: FileFact | None = None
    spellings: list[Spelling] = Field(default_factory=list)
    shared_with: list[str] = Field(default_factory=list,
                                   description="Other symbols whose ksym file is this one")
    case: str = ""
    comparison: dict[str, str] = Field(default_factory=dict)


class NeedFact(BaseModel):
    module: str
    source: str


class Diagnosis(BaseModel):
    symbol: str
    case: str
    cases: list[str]
    summary: str
    explanation: list[str]
    era: str | None
    versions: str
    granularity: str
    autoksyms: FileFact | None
    autoksyms_asks: bool | None
    needed_by: list[NeedFact]
    exporters: list[ExporterFact]
    related: list[str] = Field(default_factory=list,
                               description="Objects depending on the same ksym file under "
                                           "another symbol (e2-e4 aliasing)")
    notes: list[str] = Field(default_factory=list)

    @property
    def problem(self) -> bool:
        return self.case in PROBLEM_CASES


def _fact(ct: CapturedTree, name: str) -> FileFact:
    key = ct.key(name)
    known = key in ct.cap.mtimes
    m = ct.cap.mtimes.get(key)
    return FileFact(name=name, path=key, present=(m is not None) if known else None,
                    mtime_ns=m)


def diagnose(ct: CapturedTree, symbol: str) -> Diagnosis:
    if ct.cap.era.era == "e6":
        return diagnose_e6(ct, symbol)
    cap = ct.cap
    nm = ct.naming
    notes: list[str] = []
    # 1. who needs it, does autoksyms.h ask for it
    needed: list[NeedFact] = []
    for ko in ct.modules:
        syms, src = ct.module_needs(ko)
        if syms is not None and symbol in syms:
            needed.append(NeedFact(module=ko, source=src))
    auto = ct.autoksyms
    asks = None if auto is None else symbol in auto
    auto_fact = _fact(ct, "include/generated/autoksyms.h") if cap.autoksyms else None
    if auto is None:
        notes.append("include/generated/autoksyms.h was not captured: whether it asks for "
                     "the symbol is unknown")

    # 2. the exporter(s)
    fix_name = nm.fixdep_ksym(symbol)
    adj_name = nm.adjust_ksym(symbol)
    ksym_key = ct.key(adj_name)
    found: dict[str, list[str]] = {}
    related: list[str] = []
    spell_users: dict[str, list[str]] = {}
    for t, r in sorted(ct.by_target.items()):
        ks = r.ksym_paths()
        if fix_name in ks:
            found.setdefault(t, []).append(f".cmd ksym dependency {fix_name}")
        for p in ks:
            if ct.key(p) == ksym_key:
                spell_users.setdefault(p, [])
                if t not in spell_users[p]:
                    spell_users[p].append(t)
                if fix_name not in ks and t not in related:
                    related.append(t)
    for k, o in sorted(cap.objects.items()):
        if symbol in (o.markers or []):
            found.setdefault(k, []).append(f"__ksym_marker_{symbol} in its ELF")
        if symbol in o.exports and k not in ("vmlinux", "vmlinux.o") \
                and not k.endswith(".ko"):
            found.setdefault(k, []).append(f"___ksymtab+{symbol} in its ELF")
    for t in list(found):
        if t.endswith(".ko") or t in ("vmlinux", "vmlinux.o"):  # links, not exporters
            del found[t]
    related = [t for t in related if t not in found]
    shared = sorted(s for s in ct.known_symbols
                    if s != symbol and ct.key(nm.adjust_ksym(s)) == ksym_key)
    ksym_fact = _fact(ct, adj_name)
    spellings = sorted(set(spell_users) | ({adj_name} if adj_name != ksym_key else set()))
    aliased = len(set(spell_users)) > 1

    exporters: list[ExporterFact] = []
    for t, how in found.items():
        o = cap.objects.get(t)
        has = None if o is None or o.format is None else symbol in o.exports
        marker = None if o is None or o.markers is None else symbol in o.markers
        r = ct.by_target.get(t)
        m = cap.mtimes.get(t)
        ef = ExporterFact(object=t, present=m is not None, mtime_ns=m, found_by=how,
                          compiled_exports_have_symbol=has, marker=marker,
                          cmd_file=r.name if r else None,
                          cmd_problems=ct.cmd_problems(r.name) if r else [],
                          ksym_file=ksym_fact,
                          spellings=[Spelling(name=s, used_by=spell_users.get(s, []))
                                     for s in spellings],
                          shared_with=shared)
        ef.case, ef.comparison = _judge(ef, auto_fact, asks)
        exporters.append(ef)

    # 3. the case
    cases: list[str] = []
    if not exporters:
        cases.append("no-exporter" if (needed or asks) else "not-needed")
    elif not needed and not asks:
        cases.append("not-needed")
    elif needed and asks is False:
        cases.append("not-in-autoksyms")
    else:
        order = ["object-newer-than-autoksyms", "ksym-file-missing", "same-tick",
                 "ksym-file-not-touched", "stale-not-rebuilt", "ok"]
        got = [e.case for e in exporters]
        cases.append(next((c for c in order if c in got), got[0]))
    if aliased:
        cases.append("aliased-ksym-file")
    if exporters and any(e.compiled_exports_have_symbol is None for e in exporters):
        cases.append("exports-unknown")
    d = Diagnosis(symbol=symbol, case=cases[0], cases=cases, summary="", explanation=[],
                  era=cap.era.era, versions=cap.era.versions,
                  granularity=cap.granularity.granularity, autoksyms=auto_fact,
                  autoksyms_asks=asks, needed_by=needed, exporters=exporters,
                  related=related, notes=notes)
    d.summary = f"{symbol}: {d.case}: {CASES[d.case]}"
    if not exporters and not needed and not asks:
        d.notes.append(f"no object in the capture declares {symbol} as an export")
    if "ok" in cases:
        vm = cap.objects.get("vmlinux")
        for e in exporters:
            if vm is not None and vm.format is not None and e.object in ct.builtin_objects \
                    and symbol not in vm.exports:
                d.notes.append(f"{e.object} exports {symbol}, but the captured vmlinux does "
                               f"not: vmlinux was not relinked since (vmlinux "
                               f"{format_ns(cap.mtimes.get('vmlinux') or 0)}, object "
                               f"{format_ns(e.mtime_ns or 0)})")
    d.explanation = explain(d, ct)
    return d


def _t(ns: int | None) -> str:
    return "absent" if ns is None else format_ns(ns)


def explain(d: Diagnosis, ct: CapturedTree) -> list[str]:
    """The reasoning, in prose, one paragraph per finding."""
    sym = d.symbol
    out: list[str] = []
    ta = _t(d.autoksyms.mtime_ns) if d.autoksyms else "unknown"
    e = next((x for x in d.exporters if x.case == d.case), d.exporters[0] if d.exporters
             else None)
    obj = e.object if e else "?"
    to = _t(e.mtime_ns) if e else "?"
    kf = e.ksym_file if e else None
    kname = kf.path if kf else "?"
    tk = _t(kf.mtime_ns) if kf else "?"
    mods = ", ".join(n.module for n in d.needed_by[:5]) + (
        f" and {len(d.needed_by) - 5} more" if len(d.needed_by) > 5 else "")
    c = d.case
    if c == "ok":
        out.append(f"autoksyms.h asks for {sym} and {obj} (mtime {to}) was compiled with the "
                   f"export: its code has ___ksymtab+{sym}. Nothing is stale here; if modpost "
                   f"reported {sym} undefined, that was an earlier state of the tree, or the "
                   f"link of vmlinux or of the exporting module.")
    elif c == "not-needed":
        out.append(f"No module needs {sym} and autoksyms.h does not ask for it, so it is "
                   f"trimmed: nothing to fix.")
    elif c == "no-exporter":
        out.append(f"{mods or 'autoksyms.h'} need{'s' if len(d.needed_by) == 1 else ''} {sym}, "
                   f"but no object in the tree declares it as an export (no .cmd file lists "
                   f"{ct.naming.fixdep_ksym(sym)}, no object carries a marker or ksymtab "
                   f"entry for it). TRIM_UNUSED_KSYMS is not the cause: nothing this "
                   f"configuration builds exports {sym}.")
    elif c == "not-in-autoksyms":
        src = d.needed_by[0].source if d.needed_by else "?"
        out.append(f"{mods} need{'s' if len(d.needed_by) == 1 else ''} {sym} (per {src}), but "
                   f"autoksyms.h (mtime {ta}) does not ask for it: the adjust step has not run "
                   f"since that list changed. The next build's adjust pass adds it, touches "
                   f"its ksym file and recompiles the exporter.")
    elif c == "object-newer-than-autoksyms":
        out.append(f"{obj} (mtime {to}) is newer than autoksyms.h (mtime {ta}), so its last "
                   f"compile read an autoksyms.h that asks for {sym} (#define __KSYM_{sym} 1); "
                   f"yet its code has no ___ksymtab+{sym}. Timestamps do not explain this: "
                   f"check that EXPORT_SYMBOL({sym}) is compiled under this configuration, "
                   f"and whether autoksyms.h was replaced after the compile (the adjust "
                   f"script's mv keeps the older mtime of autoksyms.h.tmpnew).")
    elif c == "ksym-file-missing":
        out.append(f"autoksyms.h (mtime {ta}) is not older than {obj} (mtime {to}), and the "
                   f"ksym file {kname} does not exist. The $(wildcard) in "
                   f"{(e.cmd_file if e else None) or 'the .cmd file'} "
                   f"then drops it, so make has no prerequisite to find newer: the adjust "
                   f"script creates the file only when {sym} enters or leaves autoksyms.h, "
                   f"so that touch never happened in this tree (or the file was removed).")
    elif c == "same-tick":
        out.append(f"{obj} and its ksym file {kname} have the same mtime, {to} "
                   f"({d.granularity} timestamps): they were stamped in the same tick. "
                   f"make remakes a target only when a prerequisite is strictly newer, so "
                   f"after the adjust script touched {kname} in the tick in which {obj} was "
                   f"written, the re-run make found nothing newer and kept the object "
                   f"compiled without the export; the next adjust pass saw no change, and "
                   f"modpost reports {sym} undefined. This is the 2018 failure; the race "
                   f"guard (825d48758308, v4.17, backported to 4.9.y/4.14.y) touches until "
                   f"the ksym file is newer than autoksyms.h.tmpnew. To repair the tree: "
                   f"touch {kname} (or delete {obj}) and run make again.")
    elif c == "ksym-file-not-touched":
        out.append(f"The ksym file {kname} (mtime {tk}) is older than {obj} (mtime {to}), "
                   f"while autoksyms.h (mtime {ta}) is newer than {obj}. Either {sym} was "
                   f"already in the previous autoksyms.h when {obj} was compiled (then the "
                   f"compile should have exported it), or the adjust script did not touch "
                   f"{kname} when {sym} appeared; the build log's touch lines (V=1) tell "
                   f"which.")
    elif c == "stale-not-rebuilt":
        out.append(f"{obj} (mtime {to}) is older than its ksym file {kname} (mtime {tk}) and "
                   f"than autoksyms.h (mtime {ta}), yet it was not rebuilt: the next make will "
                   f"recompile it (due to: {kname}). The make that ran after the touch did "
                   f"not, because it did not run (the build stopped before the recursion) or "
                   f"because it had already stat()ed that name before the touch (make caches "
                   f"each name's mtime for the life of the process).")
    if "aliased-ksym-file" in d.cases and e is not None:
        names = [s.name for s in e.spellings]
        out.append(f"{len(names)} names reach the ksym file {kname}: "
                   f"{', '.join(names)}. The kernel folds repeated '/', so they are one "
                   f"file; make keys its files by name, so each is a separate make file, "
                   f"stat()ed once per make process and cached. Here this only matters if "
                   f"one name was stat()ed before a touch made through another"
                   + (f"; other symbols sharing the file: {', '.join(e.shared_with[:5])}"
                      if e.shared_with else "") + ".")
    if "exports-unknown" in d.cases:
        out.append("The object's contents were not captured (pyelftools missing, or "
                   "--no-elf), so whether it exports the symbol is inferred from timestamps "
                   "only.")
    return out


def _judge(ef: ExporterFact, auto: FileFact | None, asks: bool | None
           ) -> tuple[str, dict[str, str]]:
    """The case for one exporter, with the comparisons that decided it."""
    cmp: dict[str, str] = {}
    om = ef.mtime_ns
    am = auto.mtime_ns if auto else None
    km = ef.ksym_file.mtime_ns if ef.ksym_file else None

    def rel(a: int | None, b: int | None) -> str:
        if a is None or b is None:
            return "unknown"
        return "older" if a < b else "equal" if a == b else "newer"

    cmp["object_vs_autoksyms"] = rel(om, am)
    cmp["object_vs_ksym_file"] = rel(om, km)
    if ef.compiled_exports_have_symbol and asks is not False:
        return "ok", cmp
    if asks is False and ef.compiled_exports_have_symbol is not True:
        return "not-needed", cmp
    if om is not None and am is not None and om > am:
        return ("object-newer-than-autoksyms" if ef.compiled_exports_have_symbol is False
                else "ok"), cmp
    if ef.ksym_file is None or ef.ksym_file.present is False or km is None:
        return "ksym-file-missing", cmp
    if om is None:
        return "stale-not-rebuilt", cmp
    if km == om:
        return "same-tick", cmp
    if km < om:
        return "ksym-file-not-touched", cmp
    return "stale-not-rebuilt", cmp


# ---------------------------------------------------------------- v6.5 and later (e6)
def diagnose_e6(ct: CapturedTree, symbol: str) -> Diagnosis:
    """v6.5+ (5e9e95cc9148, ddb5cdbafaaa): no autoksyms.h and no ksym files. Every
    EXPORT_SYMBOL leaves __export_symbol_SYM in its object; modpost marks the symbols some
    module uses and writes their KSYMTAB entries into .vmlinux.export.c (for vmlinux) or
    NAME.mod.c (for a module), each only when its text changes; make then compiles that
    file (.vmlinux.export.o, NAME.mod.o) and links it into vmlinux or NAME.ko. The export
    goes missing when modpost did not run after a module came to need it, or when the
    KSYMTAB file was rewritten and its object not recompiled (equal mtimes: two makes in
    one timestamp tick)."""
    cap = ct.cap
    needed = []
    for ko in ct.modules:
        syms, src = ct.module_needs(ko)
        if syms is not None and symbol in syms:
            needed.append(NeedFact(module=ko, source=src))
    exporters: list[ExporterFact] = []
    mods = {ko[:-3] + ".o": ko for ko in ct.modules}
    for k, o in sorted(cap.objects.items()):
        if symbol not in (o.markers or []) or k.endswith(".ko") or k == "vmlinux":
            continue
        if k != "vmlinux.o" and k not in mods:
            continue
        image = "vmlinux" if k == "vmlinux.o" else mods[k]
        base = "" if k == "vmlinux.o" else mods[k][:-3]
        ksym_c, ksym_o = ((".vmlinux.export.c", ".vmlinux.export.o") if k == "vmlinux.o"
                          else (base + ".mod.c", base + ".mod.o"))
        img = cap.objects.get(image)
        has = None if img is None or img.format is None else symbol in img.exports
        m = cap.mtimes.get
        ef = ExporterFact(object=k, present=m(k) is not None, mtime_ns=m(k),
                          found_by=[f"__export_symbol_{symbol} in its ELF"],
                          compiled_exports_have_symbol=has, marker=True)
        ef.comparison = {"image": image, "ksymtab_file": ksym_c, "ksymtab_object": ksym_o}
        sym_m, c_m, o_m, img_m = (m("Module.symvers"), m(ksym_c), m(ksym_o), m(image))
        inputs = [x for x in (m("modules.order"), m("vmlinux.o")) if x is not None]
        if has or not needed:
            ef.case = "ok" if has else "not-needed"
        elif sym_m is None or any(x > sym_m for x in inputs):
            ef.case = "modpost-not-run"
        elif c_m is not None and o_m is not None and c_m > o_m:
            ef.case = "ksymtab-stale"
        elif c_m is not None and c_m == o_m:
            ef.case = "ksymtab-same-tick"
        elif o_m is not None and img_m is not None and o_m > img_m:
            ef.case = "ksymtab-stale"
        else:
            ef.case = "ksymtab-missing"
        for key, val in (("Module.symvers", sym_m), (ksym_c, c_m), (ksym_o, o_m),
                         (image, img_m)):
            ef.comparison[key] = _t(val)
        exporters.append(ef)
    cases: list[str] = []
    if not exporters:
        cases.append("no-exporter" if needed else "not-needed")
    elif not needed:
        cases.append("not-needed")
    else:
        order = ["modpost-not-run", "ksymtab-same-tick", "ksymtab-stale", "ksymtab-missing",
                 "ok"]
        got = [e.case for e in exporters]
        cases.append(next((c for c in order if c in got), got[0]))
    if exporters and any(e.compiled_exports_have_symbol is None for e in exporters):
        cases.append("exports-unknown")
    d = Diagnosis(symbol=symbol, case=cases[0], cases=cases, summary="", explanation=[],
                  era=cap.era.era, versions=cap.era.versions,
                  granularity=cap.granularity.granularity, autoksyms=None,
                  autoksyms_asks=None, needed_by=needed, exporters=exporters,
                  notes=["v6.5+: no autoksyms.h and no ksym files; modpost decides which "
                         "exports to keep (5e9e95cc9148)"])
    d.summary = f"{symbol}: {d.case}: {CASES[d.case]}"
    d.explanation = _explain_e6(d)
    return d


def _explain_e6(d: Diagnosis) -> list[str]:
    sym = d.symbol
    e = next((x for x in d.exporters if x.case == d.case), d.exporters[0] if d.exporters
             else None)
    mods = ", ".join(n.module for n in d.needed_by[:5])
    c = d.case
    if e is not None:
        cm = e.comparison
        img, kc, ko = cm["image"], cm["ksymtab_file"], cm["ksymtab_object"]
    if c == "ok":
        return [f"{mods} need{'s' if len(d.needed_by) == 1 else ''} {sym}; modpost kept it, "
                f"and {img} has its KSYMTAB entry (__ksymtab_{sym}), from {kc}."]
    if c == "not-needed":
        return [f"No module needs {sym}, so modpost (TRIM_UNUSED_KSYMS) writes no KSYMTAB "
                f"entry for it: it is trimmed, nothing to fix."]
    if c == "no-exporter":
        return [f"{mods} need{'s' if len(d.needed_by) == 1 else ''} {sym}, but no object of "
                f"the tree declares it (no __export_symbol_{sym}); modpost reports it "
                f"undefined, and TRIM_UNUSED_KSYMS is not the cause."]
    head = (f"{mods} need{'s' if len(d.needed_by) == 1 else ''} {sym}, which {e.object} "
            f"declares, but {img} has no KSYMTAB entry for it. modpost writes that entry "
            f"into {kc} (only when the file's text changes), make compiles {ko} from it "
            f"and links it into {img}.")
    if c == "modpost-not-run":
        return [head + f" Module.symvers ({cm['Module.symvers']}) is older than modpost's "
                f"inputs (modules.order, vmlinux.o) or missing: modpost has not run since, so "
                f"{kc} does not list {sym} yet. The next make runs modpost."]
    if c == "ksymtab-stale":
        return [head + f" {kc} ({cm[kc]}) is newer than {ko} ({cm[ko]}) or {ko} newer than "
                f"{img} ({cm[img]}): the next make compiles and links it."]
    if c == "ksymtab-same-tick":
        return [head + f" {kc} and {ko} have the same mtime, {cm[kc]} ({d.granularity} "
                f"timestamps): modpost rewrote {kc} in the tick in which the previous make "
                f"had compiled {ko}, and make rebuilds only when a prerequisite is strictly "
                f"newer. The module loads with 'Unknown symbol {sym}'; modpost itself is "
                f"satisfied (it checks vmlinux.o, not {img}). To repair: touch {kc} (or "
                f"delete {ko}) and run make again."]
    return [head + " The timestamps do not explain it; check the configuration."]
