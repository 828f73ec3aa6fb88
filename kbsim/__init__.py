"""kbsim: simulate how GNU make 4.3 and Linux kbuild decide what to rebuild.

The Python API (docs/python-api.md)::

    import kbsim
    model = kbsim.load("lindroth-2018")           # a model, capture or build directory
    r = kbsim.replay(model, granularity="1s", seed=0)
    r.exit_code, r.stale, r.modpost_errors        # the fields of `kbsim replay --json`
    G = r.graph()                                 # networkx.DiGraph with file states
    kbsim.explain(r, "arch/x86/lib/usercopy_64.o")
    sweep = kbsim.whatif(model, vary={"granularity": ["ns", "1s"]}, trials=20)
    sweep.to_records()                            # one dict per trial (pandas-ready)
    kbsim.make("path/to/dir", targets=["all"], options=["-n"])

Errors a caller can cause raise :class:`kbsim.InputError` with the CLI's one-line
message. Nothing heavy is imported until a function is used.
"""

from __future__ import annotations

import sys
import types

from .errors import InputError

__version__ = "0.1.0"

_API = ("load", "replay", "whatif", "explain", "make", "Model", "ReplayResult",
        "WhatifResult", "MakeResult", "Explanation", "Interrupted")
__all__ = ["InputError", "__version__", *_API]

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: ~5 ms)
if TYPE_CHECKING:
    from .api import (Explanation, Interrupted, MakeResult, Model, ReplayResult,
                      WhatifResult, explain, load, make, replay, whatif)


def __getattr__(name: str):
    """The API's names, imported on first use (PEP 562)."""
    if name in _API:
        from . import api
        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``kbsim.make`` is the API function, while the make engine is the subpackage of the
    same name: importing a subpackage sets it as an attribute of its parent, which would
    hide the function. The engine stays importable (``from kbsim.make import ...``)."""

    def __setattr__(self, name: str, value) -> None:
        if name == "make" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
