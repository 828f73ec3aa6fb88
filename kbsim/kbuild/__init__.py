"""Layer 3: kbuild's TRIM_UNUSED_KSYMS machinery, era by era, on top of the make engine.

``replay`` and ``ReplayResult`` load the make engine; they are imported on first use, so
that reading the era table or a BuildSpec (``kbsim --help``, model files) stays quick.
"""

import sys
import types

from .eras import ERAS, Era, get_era
from .naming import NAMINGS, Naming, get_naming
from .spec import BuildSpec, DirSpec, ModuleSpec, ObjectSpec, Timing

__all__ = ["ERAS", "Era", "get_era", "NAMINGS", "Naming", "get_naming", "ReplayResult",
           "replay", "BuildSpec", "DirSpec", "ModuleSpec", "ObjectSpec", "Timing"]


def __getattr__(name: str):
    if name in ("replay", "ReplayResult"):
        import importlib
        module = sys.modules.get(f"{__name__}.replay") or importlib.import_module(
            ".replay", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Package(types.ModuleType):
    """`kbsim.kbuild.replay` is both a submodule and the function it defines. Importing
    the submodule binds its name on this package to the module; the package's name
    `replay` has always meant the function (`from kbsim.kbuild import replay`), so keep
    it so whichever is imported first."""

    def __setattr__(self, name: str, value) -> None:
        if name == "replay" and isinstance(value, types.ModuleType):
            value = value.replay
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
