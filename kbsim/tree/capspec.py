"""The BuildSpec of a captured tree, apart from captured.py which builds it.

A spec kept in a cache file (speccache.py, dircache.py) is unpickled as this class, and
its capture only when something asks for it (keptspec.py): importing captured.py for the
class would import the capture format's pydantic models (capture_format.py), ~0.045 s of
a warm replay of linux-6.1-tinyconfig that reads no capture (2026-12-07)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..kbuild.spec import BuildSpec

if TYPE_CHECKING:
    from .capture_format import Capture


@dataclass
class CapturedBuildSpec(BuildSpec):
    """A BuildSpec made from a capture, carrying the capture itself; its
    ``initial_files`` (the captured files, incremental.spec_from_capture) make
    ``kbuild.replay`` start from the captured state instead of from clean."""

    capture: Capture | None = None
    source_path: str | None = None
    notes: list[str] = field(default_factory=list)
