"""How a ksym or CONFIG symbol becomes a dependency path, era by era (pluggable).

Evidence (../shared/reference/kbuild-ksym-history.md section 1b):
- e1 (v4.7-v4.16): fixdep's ``print_config`` lowercases and turns every '_' into '/', with
  no collapsing: ``__clear_user`` -> ``include/config/ksym///clear/user.h``;
  adjust_autoksyms.sh builds the same string with ``tr "A-Z_" "a-z/"``.
- e2-e4 (v4.17 fbfa9be9904e): ``print_dep(..., "include/ksym")`` suppresses consecutive
  '/' (``prev_c`` starts as '/', so leading ones go too): ``include/ksym/clear/user.h``.
- e5 ("kbuild: redo fake deps at include/ksym/*.h"): ``include/ksym/<symbol as is>``.
- CONFIG deps: ``include/config/foo/bar.h`` until v5.13 (0e0345b77ac4), then
  ``include/config/FOO_BAR``.
- ``seed-patch``: the change proposed in the 2018 thread, collapsing '/' runs in both
  fixdep and the adjust script (``sed -e 's|//*|/|g' -e 's|^/||'``).

A Naming has two functions: the path fixdep writes into ``.cmd`` files and the path the
adjust script touches. Both name the same inode whatever they do with '/', because the
kernel folds repeated slashes; they only matter to make, which keys files by name.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Callable

from ..errors import InputError

PathFn = Callable[[str], str]


def _tr(sym: str) -> str:
    return sym.lower().replace("_", "/")


def _collapse(p: str) -> str:
    return re.sub(r"/+", "/", p).lstrip("/")


@dataclass(frozen=True)
class Naming:
    name: str
    fixdep_ksym: PathFn  # path written into .cmd files for an exported symbol
    adjust_ksym: PathFn  # path adjust_autoksyms.sh touches for that symbol
    config: PathFn  # path written for a CONFIG_ option (without the CONFIG_ prefix)
    description: str = ""


def _e1_ksym(sym: str) -> str:
    return f"include/config/ksym/{_tr(sym)}.h"


def _e1_config(opt: str) -> str:
    return f"include/config/{_tr(opt)}.h"


def _e2_ksym(sym: str) -> str:
    return f"include/ksym/{_collapse(_tr(sym))}.h"


def _e2_config(opt: str) -> str:
    return f"include/config/{_collapse(_tr(opt))}.h"


def _e4_config(opt: str) -> str:
    return f"include/config/{opt}"


def _e5_ksym(sym: str) -> str:
    return f"include/ksym/{sym}"


def _seed_ksym(sym: str) -> str:
    return f"include/config/ksym/{_collapse(_tr(sym))}.h"


NAMINGS: dict[str, Naming] = {
    "e1-tr": Naming("e1-tr", _e1_ksym, _e1_ksym, _e1_config,
                    "v4.7-v4.16: tr A-Z_ a-z/, repeated '/' kept (include/config/ksym///x.h)"),
    "e2-collapse": Naming("e2-collapse", _e2_ksym, _e2_ksym, _e2_config,
                          "v4.17-v5.12: include/ksym/, repeated and leading '/' collapsed"),
    "e4-collapse": Naming("e4-collapse", _e2_ksym, _e2_ksym, _e4_config,
                          "v5.13-v5.15: as e2 for ksyms, CONFIG deps as include/config/FOO"),
    "e5-raw": Naming("e5-raw", _e5_ksym, _e5_ksym, _e4_config,
                     "v5.16-v6.4: include/ksym/<symbol as is>"),
    "seed-patch": Naming("seed-patch", _seed_ksym, _seed_ksym, _e2_config,
                         "the 2018 thread's patch: '/' runs collapsed in fixdep and the "
                         "adjust script (include/config/ksym/clear/user.h for both symbols)"),
}


def _sed_naming(expr: str, base: Naming) -> Naming:
    """A sed-style 's|RE|REPL|FLAGS' applied to base's paths (both producers)."""
    if len(expr) < 4 or expr[0] != "s":
        raise InputError(f"normalisation {expr!r}: expected a sed expression like s|//*|/|g")
    d = expr[1]
    parts = expr[2:].split(d)
    if len(parts) != 3:
        raise InputError(f"normalisation {expr!r}: expected s{d}RE{d}REPL{d}FLAGS")
    pat, repl, flags = parts
    if set(flags) - set("g"):
        raise InputError(f"normalisation {expr!r}: only the 'g' flag is supported")
    try:
        rx = re.compile(pat)
    except re.error as e:
        raise InputError(f"normalisation {expr!r}: bad regular expression: {e}") from None
    repl_py = re.sub(r"\\(\d)", r"\\\1", repl).replace("&", r"\g<0>")
    count = 0 if "g" in flags else 1

    def apply(fn: PathFn) -> PathFn:
        return lambda s: rx.sub(repl_py, fn(s), count=count)

    return Naming(expr, apply(base.fixdep_ksym), apply(base.adjust_ksym), base.config,
                  f"sed {expr} on {base.name}")


def _python_naming(spec: str) -> Naming:
    """python:MODULE:FUNCTION - FUNCTION(symbol) returns the dependency path."""
    try:
        _, mod, fn = spec.split(":", 2)
    except ValueError:
        raise InputError(f"normalisation {spec!r}: expected python:MODULE:FUNCTION") from None
    try:
        f = getattr(importlib.import_module(mod), fn)
    except Exception as e:  # import errors are the user's to fix
        raise InputError(f"normalisation {spec!r}: cannot load: {e}") from None

    def checked(sym: str) -> str:
        try:
            p = f(sym)
        except Exception as e:
            raise InputError(f"normalisation {spec!r} raised {type(e).__name__} for symbol "
                             f"{sym!r}: {e}") from None
        if not isinstance(p, str) or not p or "\0" in p:
            raise InputError(f"normalisation {spec!r} returned {p!r} for symbol {sym!r}; "
                             f"it must return a non-empty path string")
        return p

    return Naming(spec, checked, checked, _e2_config, f"user function {mod}.{fn}")


def names_code(spec: str | None) -> bool:
    """Whether SPEC names Python code to import and call (``python:MOD:FUNC``)."""
    return spec is not None and spec.startswith("python:")


def refuse_code(spec: str | None, where: str) -> None:
    """A model file or a capture is data: it may name a built-in naming or a sed expression
    (run by _sed_naming, never by a shell), never code. docs/security.md."""
    if names_code(spec):
        raise InputError(f"{where}: normalise {spec!r} names Python code, which a model file "
                         f"may not run; pass --normalise {spec} on the command line to run "
                         f"your own function")


def get_naming(spec: str | None, default: str, *, allow_code: bool = False) -> Naming:
    """A naming by name, a sed expression (applied to the default), or ``python:MOD:FUNC``
    when ALLOW_CODE says the caller (the command line, a Python program) asked for it."""
    if spec is None:
        return NAMINGS[default]
    if spec in NAMINGS:
        return NAMINGS[spec]
    if names_code(spec):
        if not allow_code:
            refuse_code(spec, "this input")
        return _python_naming(spec)
    if spec.startswith("s") and len(spec) > 3 and not spec[1].isalnum():
        return _sed_naming(spec, NAMINGS[default])
    raise InputError(f"unknown normalisation {spec!r}; expected one of "
                     f"{', '.join(NAMINGS)}, python:MODULE:FUNCTION, or a sed expression "
                     f"such as 's|//*|/|g'")
