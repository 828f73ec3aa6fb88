"""A captured tree's spec as a spec cache file gives it back: its capture unpickled late.

A replay of a captured tree or build directory reads none of the spec's ``capture`` (the
Capture it was built from: its .cmd entries, line table, scans of objects): the kbuild
layer runs from the spec's other fields (initial_files, objects, tree). Yet unpickling
the capture was ~0.03 s and ~85,000 objects of a warm replay of linux-6.1-tinyconfig
(2026-12-07). So the spec caches (packed() below: the capture file's and the
build directory's) keep the capture in a pickle of its own, decompressed when the file
is loaded (its frame's checksum checked then, as the spec's), and ``KeptSpec`` unpickles
it the first time something asks for ``spec.capture`` (diagnose, explain, a what-if copy
of the spec, patch_mtimes), with the .cmd texts that the spec's initial_files hold put
back into it (specparts.put_back_texts). What is asked for is the capture the spec was
built with, field for field (tests/test_plan_cache.py).
"""

from __future__ import annotations

import pickle
from dataclasses import fields

from ..make.gcpause import paused_gc
from ..plan.observe import digest_of, known_digests
from ..plan.store import compress
from .capspec import CapturedBuildSpec
from .specparts import cmd_file_key


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


def packed(spec) -> dict:
    """What a cache file keeps of SPEC (as built, before any replay changed it; the
    capture file's spec cache keeps it too, speccache.py): its pickle without its capture,
    compressed ("spec"), and its capture's ("capture": keptspec.py unpickles it only when
    asked for), without the .cmd texts its initial files also hold ("shared": their
    indexes), and the digests of the files it lays out ("digests", made known to the read
    cache's checks here as well)."""
    with paused_gc():
        # (a class of the spec that SPEC_ALLOWED lacks would make every later load one
        # warning and a rebuild: tests/test_dir_spec_cache.py loads the specs back)
        shared, data, cap = _pickled(spec)
    contents = _contents(spec)
    digests = [digest_of(b) for b in contents]
    known_digests(zip(contents, digests))
    return {"shared": shared, "digests": digests, "spec": compress(data),
            "capture": compress(cap), "cmds": len(spec.capture.cmd_files)}


def fields_ok(doc: dict) -> bool:
    """Are packed()'s fields, as a file gave them back (DOC), of the types it wrote, the
    indexes in "shared" those of .cmd entries ("cmds": how many the capture has)?"""
    blob, shared, digests = doc.get("spec"), doc.get("shared"), doc.get("digests")
    n = doc.get("cmds")
    return (isinstance(blob, bytes) and isinstance(doc.get("capture"), bytes)
            and type(n) is int and isinstance(shared, list)
            and all(type(i) is int and 0 <= i < n for i in shared)
            and isinstance(digests, list) and all(type(h) is str for h in digests))


def restored(spec, doc: dict, capture: bytes, path):
    """SPEC, unpickled from packed()'s "spec" (PATH's document DOC, fields_ok), made whole
    again: a keptspec.KeptSpec whose capture is CAPTURE (packed()'s "capture",
    decompressed), its .cmd texts put back when it is unpickled; and the contents the
    digests are of. Raises TypeError or ValueError when it is not what packed() wrote (a
    damaged file)."""
    if type(spec) is not CapturedBuildSpec or spec.__dict__.get("capture") is not None:
        raise TypeError("not a spec")
    contents = _contents(spec)
    if len(contents) != len(doc["digests"]):
        raise ValueError("digests")
    return kept(spec, capture, doc["shared"], doc["cmds"], path), contents


def _contents(spec) -> list[bytes]:
    """The contents of the files the replay lays out from SPEC, in order: their digests
    are kept beside the spec, so the read cache's checks of what a make read from them
    (plan/observe.py Digest) need not compute them again."""
    return [d for _, d in spec.initial_files.values() if d is not None]


def _pickled(spec) -> tuple[list[int], bytes, bytes]:
    """SPEC pickled without its capture, and its capture without the texts of the .cmd
    files that its initial_files hold as their UTF-8 bytes (half of a 6.1 tree's spec);
    the indexes of those. (Nothing of the one is an object of the other's: the two
    pickles give back the same graph.)"""
    cap = spec.capture
    cmds = cap.cmd_files
    files = spec.initial_files
    shared: list[int] = []
    for i, e in enumerate(cmds):
        t = e.text
        if t is None:
            continue
        f = files.get(cmd_file_key(cap, e))
        if f is not None and f[1] is not None and f[1] == t.encode("utf-8"):
            shared.append(i)
    texts = [cmds[i].__dict__["text"] for i in shared]
    # each object's header and CONFIG lists as one string object a name (the pickle then
    # holds each name once; equal strings, so nothing changes for the replay)
    names: dict[str, str] = {}
    one = names.setdefault
    for o in (*spec.objects(), *spec.tree_objects):
        o.headers = [one(h, h) for h in o.headers]
        o.configs = [one(c, c) for c in o.configs]
    private = cap.__pydantic_private__
    scans = private.get("_scans") if private else None
    try:
        for i in shared:  # (the model's own dict: no pydantic bookkeeping changes)
            cmds[i].__dict__["text"] = None
        if scans is not None:
            # the capture's own scans, which the spec was built from and which nothing
            # reads after (a CapturedTree of the capture would scan the texts again)
            private["_scans"] = None
        spec.capture = None
        return shared, pickle.dumps(spec, protocol=5), pickle.dumps(cap, protocol=5)
    finally:
        spec.capture = cap
        for i, t in zip(shared, texts):
            cmds[i].__dict__["text"] = t
        if scans is not None:
            private["_scans"] = scans
