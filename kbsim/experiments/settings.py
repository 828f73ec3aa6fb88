"""The settings a what-if can vary: names, accepted values, validation, and how each one
is applied to a trial.

A setting value is kept as a canonical string (``guard=on``, ``granularity=jiffy:250``,
``touch_cost=0.4``) so that cells print, hash, pickle and compare simply; ``apply`` turns
the strings into BuildSpec fields and ``replay()`` arguments inside the worker.

``--vary KEY=V1,V2,...`` and ``--set KEY=V`` are parsed here. A comma inside a value (a
sed expression such as ``s,//*,/,g``) is written ``\\,``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..errors import InputError
from ..fs import GRANULARITY_HELP, GranularityError, parse_granularity
from ..kbuild.eras import ERAS
from ..kbuild.naming import NAMINGS, Naming, get_naming
from ..kbuild.spec import BuildSpec

MS = 1_000_000

# ---------------------------------------------------------------------------- namings
# Two spellings kbuild's naming table does not have, because they only matter when make's
# per-name stat cache outlives the adjust step (stat_cache=shared, docs/whatif.md):
# the producer (fixdep) and the consumer (adjust_autoksyms.sh) spell one file differently.


def _tr(sym: str) -> str:  # tr "A-Z_" "a-z/"
    return sym.lower().replace("_", "/")


def _collapse(p: str) -> str:  # fixdep print_dep's prev_c suppression (v4.17 fbfa9be9904e)
    return re.sub(r"/+", "/", p).lstrip("/")


EXTRA_NAMINGS: dict[str, Naming] = {
    # kbuild-ksym-history.md 1b: from v4.17 fixdep collapses '/' runs, while
    # adjust_autoksyms.sh still touches `include/ksym/<tr path>.h`, i.e.
    # include/ksym///clear/user.h. One inode, two make names.
    "e2-shipped": Naming(
        "e2-shipped",
        lambda s: f"include/ksym/{_collapse(_tr(s))}.h",
        lambda s: f"include/ksym/{_tr(s)}.h",
        lambda o: f"include/config/{_collapse(_tr(o))}.h",
        "v4.17-v5.12 as shipped: fixdep writes include/ksym/clear/user.h, "
        "adjust_autoksyms.sh touches include/ksym///clear/user.h"),
    # The fixdep half of the 2018 thread's patch alone: the .cmd files say
    # include/config/ksym/clear/user.h, the unpatched script touches
    # include/config/ksym///clear/user.h (the alias pair, v4.14 paths).
    "fixdep-collapse": Naming(
        "fixdep-collapse",
        lambda s: f"include/config/ksym/{_collapse(_tr(s))}.h",
        lambda s: f"include/config/ksym/{_tr(s)}.h",
        lambda o: f"include/config/{_collapse(_tr(o))}.h",
        "the seed patch applied to fixdep only: .cmd has include/config/ksym/clear/user.h, "
        "the script touches include/config/ksym///clear/user.h"),
}

PROBE_SYMBOLS = ("__clear_user", "clear_user")


def resolve_naming(spec: str | None, era: str) -> Naming:
    """A naming by name (kbuild's or EXTRA_NAMINGS), python:MOD:FUNC, or a sed expression,
    checked on two probe symbols so that a broken user function fails before any trial."""
    default = ERAS[era].naming
    if spec == "era":
        spec = None
    if spec in EXTRA_NAMINGS:
        return EXTRA_NAMINGS[spec]  # type: ignore[index]
    # a sweep's values come from the command line (--vary/--set) or from the model, and a
    # BuildSpec never names code (spec.py), so a python: value here is the user's own
    nm = get_naming(spec, default, allow_code=True)
    for sym in PROBE_SYMBOLS:
        for fn in (nm.fixdep_ksym, nm.adjust_ksym):
            try:
                p = fn(sym)
            except InputError:
                raise
            except Exception as e:  # a sed replacement can still go wrong at run time
                raise InputError(f"normalisation {spec!r} failed for symbol {sym!r}: "
                                 f"{type(e).__name__}: {e}") from None
            if not isinstance(p, str) or not p:
                raise InputError(f"normalisation {spec!r} returned {p!r} for symbol {sym!r}; "
                                 f"it must return a non-empty path string")
    return nm


# ---------------------------------------------------------------------------- parsers
def _bool(key: str, v: str) -> str:
    s = v.strip().lower()
    if s in ("on", "yes", "true", "1"):
        return "on"
    if s in ("off", "no", "false", "0"):
        return "off"
    if s in ("era", "default"):
        return "era"
    raise InputError(f"setting {key}: {v!r} is not on, off or era")


def _num(key: str, v: str, lo: float, hi: float, integer: bool = False,
         lo_open: bool = False, hi_open: bool = False) -> str:
    try:
        x = int(v) if integer else float(v)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise InputError(f"setting {key}: {v!r} is not {kind}") from None
    if x != x or (x < lo or (lo_open and x == lo)) or (x > hi or (hi_open and x == hi)):
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        raise InputError(f"setting {key}: {v} is out of range {lb}{lo:g}, {hi:g}{rb}")
    return str(x) if integer else format(x, ".10g")


def _choice(key: str, v: str, choices: tuple[str, ...]) -> str:
    s = v.strip()
    if s not in choices:
        raise InputError(f"setting {key}: unknown value {v!r}; expected one of "
                         f"{', '.join(choices)}")
    return s


def _granularity(key: str, v: str) -> str:
    try:
        return parse_granularity(v).name
    except GranularityError as e:
        raise InputError(f"setting {key}: {e}") from None


def _era(key: str, v: str) -> str:
    return _choice(key, v, tuple(ERAS))


STAT_CACHES = ("per-make", "shared", "shared-norestat")
REBUILDERS = ("make", "ninja", "redo", "hash")


@dataclass(frozen=True)
class SettingDef:
    key: str
    values: str  # what the help says is accepted
    help: str
    parse: Callable[[str, str], str]


SETTINGS: dict[str, SettingDef] = {d.key: d for d in [
    SettingDef("normalise", "e1-tr, e2-collapse, e4-collapse, e5-raw, seed-patch, "
               "e2-shipped, fixdep-collapse, python:MOD:FUNC, or a sed expression",
               "ksym dependency naming in fixdep and the adjust script",
               lambda k, v: v),  # checked against the era in check_against_spec()
    SettingDef("era", ", ".join(ERAS), "kbuild era profile", _era),
    SettingDef("guard", "on, off, era", "adjust_autoksyms.sh race guard (825d48758308)",
               _bool),
    SettingDef("jobs", "integer >= 1", "make -j",
               lambda k, v: _num(k, v, 1, 4096, integer=True)),
    SettingDef("compile_jitter", "0 <= x < 1", "compile times vary by +/- this fraction",
               lambda k, v: _num(k, v, 0, 1, hi_open=True)),
    SettingDef("touch_cost", "milliseconds >= 0", "one dirname+mkdir+touch in the adjust "
               "loop (guard re-touches keep the model's own cost)",
               lambda k, v: _num(k, v, 0, 60_000)),
    SettingDef("granularity", GRANULARITY_HELP, "filesystem timestamp granularity",
               _granularity),
    SettingDef("clock_skew", "milliseconds (may be negative)", "offset of the clock that "
               "stamps the adjust step's touches (NFS)",
               lambda k, v: _num(k, v, -3_600_000, 3_600_000)),
    SettingDef("stat_cache", ", ".join(STAT_CACHES), "make's per-name stat cache: per "
               "process, or shared across the adjust step (docs/whatif.md)",
               lambda k, v: _choice(k, v, STAT_CACHES)),
    SettingDef("rebuilder", ", ".join(REBUILDERS), "the out-of-date rule judged at the "
               "decision after each adjust step (docs/whatif.md)",
               lambda k, v: _choice(k, v, REBUILDERS)),
    SettingDef("incremental", "off, or MODULE[+MODULE...]", "build first without these "
               "modules using their symbols, then let them use them and make again; the "
               "second build is measured", lambda k, v: v.strip() or "off"),
]}

ALIASES = {"normalize": "normalise", "naming": "normalise", "j": "jobs",
           "jitter": "compile_jitter", "skew": "clock_skew", "rule": "rebuilder"}


def canonical_key(settings: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """What identifies a simulation: every setting but ``rebuilder`` (judged on the same
    replay), with ``era`` defaults resolved, so ``normalise=era`` and the era's own naming
    share one replay."""
    s = {k: v for k, v in settings.items() if k != "rebuilder"}
    era = ERAS.get(s.get("era", ""))
    if era is not None:
        if s.get("normalise") == "era":
            s["normalise"] = era.naming
        if s.get("guard") == "era":
            s["guard"] = "on" if era.guard else "off"
    return tuple(sorted(s.items()))


def settings_help() -> str:
    return "; ".join(f"{d.key} ({d.values})" for d in SETTINGS.values())


def _key(raw: str, where: str) -> str:
    k = raw.strip().lower().replace("-", "_")
    k = ALIASES.get(k, k)
    if k not in SETTINGS:
        raise InputError(f"{where}: unknown setting {raw.strip()!r}; known settings: "
                         f"{', '.join(SETTINGS)}")
    return k


def _split_values(text: str) -> list[str]:
    out, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] == ",":
            cur.append(",")
            i += 2
            continue
        if c == ",":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def parse_assignment(text: str, opt: str, many: bool) -> tuple[str, list[str]]:
    """KEY=V (--set) or KEY=V1,V2,... (--vary) -> (key, [canonical values])."""
    where = f"{opt} {text!r}"
    if not text or not text.strip():
        raise InputError(f"{opt}: empty; expected KEY=VALUE{',...' if many else ''}")
    if "=" not in text:
        raise InputError(f"{where}: expected KEY=VALUE{',...' if many else ''}")
    raw_key, _, rest = text.partition("=")
    key = _key(raw_key, where)
    values = _split_values(rest) if many else [rest]
    if not rest.strip() or any(not v.strip() for v in values):
        raise InputError(f"{where}: empty value for {key}")
    d = SETTINGS[key]
    canon = [d.parse(key, v.strip()) for v in values]
    dup = {v for v in canon if canon.count(v) > 1}
    if dup:
        raise InputError(f"{where}: value {sorted(dup)[0]!r} listed twice")
    return key, canon


@dataclass
class SweepSettings:
    fixed: dict[str, str]
    varied: list[tuple[str, list[str]]]

    @property
    def keys(self) -> list[str]:
        return [k for k, _ in self.varied]


def parse_settings(vary: list[str], sets: list[str]) -> SweepSettings:
    fixed: dict[str, str] = {}
    for s in sets or []:
        k, (v,) = parse_assignment(s, "--set", many=False)
        if k in fixed:
            raise InputError(f"--set {s!r}: {k} is already set to {fixed[k]!r}")
        fixed[k] = v
    varied: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for s in vary or []:
        k, vals = parse_assignment(s, "--vary", many=True)
        if k in seen:
            raise InputError(f"--vary {s!r}: {k} is varied twice; list its values once")
        if k in fixed:
            raise InputError(f"--vary {s!r}: {k} is also given with --set")
        seen.add(k)
        varied.append((k, vals))
    return SweepSettings(fixed, varied)


# ---------------------------------------------------------------------------- defaults
def spec_defaults(spec: BuildSpec) -> dict[str, str]:
    """Every setting's value as the model has it (what a cell uses unless told)."""
    t = spec.timing
    return {
        "normalise": spec.naming or "era",  # "era": the era's own naming
        "era": spec.era,
        "guard": "era" if spec.guard is None else ("on" if spec.guard else "off"),
        "jobs": str(spec.jobs),
        "compile_jitter": format(t.jitter, ".10g"),
        "touch_cost": format(t.touch_ns / MS, ".10g"),
        "granularity": parse_granularity(spec.granularity).name,
        "clock_skew": format(spec.clock_skew_ns / MS, ".10g"),
        "stat_cache": spec.stat_cache,
        "rebuilder": "make",
        "incremental": "off",
    }


def check_against_spec(spec: BuildSpec, fixed: dict[str, str],
                       varied: list[tuple[str, list[str]]]) -> None:
    """Checks that need the model: module names, and each naming under each era used."""
    mods = {m.name for m in spec.modules}
    eras = ([fixed["era"]] if "era" in fixed else
            next((vals for k, vals in varied if k == "era"), [spec.era]))

    def values(key: str) -> list[str]:
        if key in fixed:
            return [fixed[key]]
        return next((vals for k, vals in varied if k == key), [])

    for inc in values("incremental"):
        if inc != "off":
            for m in inc.split("+"):
                if m not in mods:
                    raise InputError(f"setting incremental: {m!r} is not a module of model "
                                     f"{spec.name} (modules: {', '.join(sorted(mods)[:8])}"
                                     f"{', ...' if len(mods) > 8 else ''})")
    for nm in values("normalise"):
        for era in eras:
            resolve_naming(nm, era)


__all__ = ["SETTINGS", "EXTRA_NAMINGS", "STAT_CACHES", "REBUILDERS", "SweepSettings",
           "parse_settings", "parse_assignment", "spec_defaults", "check_against_spec",
           "resolve_naming", "settings_help", "NAMINGS"]
