"""kbsim's Python API: the functions and result types that ``import kbsim`` exposes.

Every name here is imported on first use, so ``import kbsim`` and ``kbsim --help`` stay
quick: the simulator, pydantic's result models and networkx load only when a function
runs. The command-line interface (kbsim.cli) calls these same functions.

- inputs.py: :func:`load` and :class:`Model` (a model, a captured tree, a build directory);
- replays.py: :func:`replay` and :class:`ReplayResult` (``--json``'s fields, the graph);
- sweeps.py: :func:`whatif` and :class:`WhatifResult` (cells, intervals, trial records);
- explanations.py: :func:`explain`;
- makeruns.py: :func:`make` and :class:`MakeResult` (``kbsim make --json``);
- readcache.py: the plan tier's read cache on disk (``cache_dir``/``no_cache``);
- schema.py: what the result models share.

See docs/python-api.md.
"""

from __future__ import annotations

import importlib

from ..errors import InputError

_LAZY = {
    "load": "inputs", "Model": "inputs",
    "replay": "replays", "ReplayResult": "replays", "Pass": "replays",
    "Compile": "replays", "Adjust": "replays", "Touch": "replays", "Rebuild": "replays",
    "Stale": "replays",
    "whatif": "sweeps", "WhatifResult": "sweeps", "Cell": "sweeps", "Trial": "sweeps",
    "Comparison": "sweeps", "Interrupted": "sweeps",
    "explain": "explanations", "Explanation": "explanations",
    "make": "makeruns", "MakeResult": "makeruns", "Remade": "makeruns",
    "Engines": "schema",
}
__all__ = ["InputError", *_LAZY]

TYPE_CHECKING = False  # (typing.TYPE_CHECKING without importing typing: ~5 ms)
if TYPE_CHECKING:  # what a type checker and an editor see; at run time: __getattr__
    from .explanations import Explanation, explain
    from .inputs import Model, load
    from .makeruns import MakeResult, Remade, make
    from .replays import Adjust, Compile, Pass, Rebuild, ReplayResult, Stale, Touch, replay
    from .schema import Engines
    from .sweeps import Cell, Comparison, Interrupted, Trial, WhatifResult, whatif


def __getattr__(name: str):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{mod}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
