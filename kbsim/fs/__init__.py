"""Layer 1: the simulated filesystem and clock. Knows nothing of make."""

from .clock import (NS_PER_S, Clock, Granularity, GranularityError, GRANULARITY_HELP,
                    format_ns, parse_granularity, parse_time)
from .simfs import DIR, FILE, LINK, FsError, SimFS, Stat, real_fs

__all__ = ["NS_PER_S", "Clock", "Granularity", "GranularityError", "GRANULARITY_HELP",
           "format_ns", "parse_granularity", "parse_time", "DIR", "FILE", "LINK", "FsError",
           "SimFS", "Stat", "real_fs"]
