"""Layer 2: a model of GNU make 4.3's rebuild decisions. Knows nothing of kbuild."""

from .errors import MakeError, UnsupportedSyntax
from .options import MakeOptions, parse_make_args
from .sim import MakeRun, Simulation, simulate_make

__all__ = ["MakeError", "UnsupportedSyntax", "MakeOptions", "parse_make_args", "MakeRun",
           "Simulation", "simulate_make"]
