"""Layer 3: kbuild's TRIM_UNUSED_KSYMS machinery, era by era, on top of the make engine."""

from .eras import ERAS, Era, get_era
from .naming import NAMINGS, Naming, get_naming
from .replay import ReplayResult, replay
from .spec import BuildSpec, DirSpec, ModuleSpec, ObjectSpec, Timing

__all__ = ["ERAS", "Era", "get_era", "NAMINGS", "Naming", "get_naming", "ReplayResult",
           "replay", "BuildSpec", "DirSpec", "ModuleSpec", "ObjectSpec", "Timing"]
