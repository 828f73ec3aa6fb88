"""A captured tree's spec as a spec cache file gives it back: its capture unpickled late.

A replay of a captured tree or build directory reads none of the spec's ``capture`` (the
Capture it was built from: its .cmd entries, line table, scans of objects): the kbuild
layer runs from the spec's other fields (initial_files, objects, tree). Yet unpickling
the capture was ~0.03 s and ~85,000 objects of a warm replay of linux-6.1-tinyconfig
(2026-12-07). So the spec caches (dircache.packed: the capture capture-spec and the
build directory's) keep the capture in a pickle of its own, decompressed when the file
is loaded (its frame's checksum checked then, as the spec's), and ``KeptSpec`` unpickles
it the first time something asks for ``spec.capture`` (diagnose, explain, a what-if copy
of the spec, patch_mtimes), with the .cmd texts that the spec's initial_files hold put
back into it (specparts.put_back_texts). What is asked for is the capture the spec was
built with, field for field (tests/test_plan_cache.py).
"""

from __future__ import annotations

from dataclasses import fields

from .captured import CapturedBuildSpec


class KeptSpec(CapturedBuildSpec):
    """A CapturedBuildSpec whose capture is unpickled on first use (see the module
    docstring). ``_kept`` in its ``__dict__``: (the capture's pickle, the indexes of the
    .cmd entries whose texts initial_files holds, the file it came from) until then."""

    @property  # type: ignore[override]
    def capture(self):
        d = self.__dict__
        kept = d.get("_kept")
        if kept is not None:
            d["capture"] = _unpickled(self, *kept)  # (raises when it does not load)
            del d["_kept"]
        return d.get("capture")

    @capture.setter
    def capture(self, value) -> None:
        self.__dict__.pop("_kept", None)
        self.__dict__["capture"] = value

    def __eq__(self, other) -> bool:
        """Field by field, as two CapturedBuildSpecs compare (whichever one was kept)."""
        if not isinstance(other, CapturedBuildSpec):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(self))

    __hash__ = None  # type: ignore[assignment]  (as the dataclass has it)


def kept(spec: CapturedBuildSpec, raw: bytes, shared: list[int], cmds: int,
         path) -> KeptSpec:
    """SPEC (unpickled without its capture) as a KeptSpec whose capture is RAW (its
    pickle), with CMDS .cmd entries, those at the indexes SHARED without their texts."""
    spec.__class__ = KeptSpec
    spec.__dict__["_kept"] = (raw, shared, cmds, str(path))
    return spec  # type: ignore[return-value]


def _unpickled(spec: KeptSpec, raw: bytes, shared: list[int], cmds: int, path: str):
    from ..plan.store import loads_data
    from .capture_format import Capture
    from .specparts import SPEC_ALLOWED, put_back_texts
    cap = loads_data(raw, SPEC_ALLOWED, path)
    # (the file's checksum held and kbsim's own code wrote it: only a file made on purpose
    # fails here, after the replay, which does not read the capture)
    if not isinstance(cap, Capture) or len(cap.cmd_files) != cmds:
        raise ValueError(f"{path} is damaged (its capture); delete it")
    try:
        put_back_texts(spec, shared, cap)
    except (LookupError, TypeError, AttributeError, UnicodeError):
        raise ValueError(f"{path} is damaged (its .cmd texts); delete it") from None
    return cap
