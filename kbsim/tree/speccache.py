"""A model file's BuildSpec kept in the read cache directory (kbsim.plan.store).

Building the spec of a model (TOML parsed, validated by pydantic, the synthetic bulk
generated) costs more than a warm replay of a small tree, and importing pydantic alone
costs a good part of that. The spec is a pure function of the model file's bytes and of
kbsim's code, so it is kept in ``<cache dir>/specs-2/<digest of both>.bin`` and read
back, through the same allow-list unpickler as the read cache, building kbsim's spec
dataclasses only. A file that does not load is ignored (the spec is built again and the
file rewritten).

A capture file's spec (``.json``, ``.json.gz``) is kept the same way, as a build
directory's spec is (keptspec.py: the capture's texts and scans left out of the pickle,
the digests of the files it lays out kept beside it): it too is a function of the file's
bytes and of kbsim's code only. Building it (the JSON parsed and validated, the next make's
``.cmd`` texts written out) took 0.37 s of a 1.07 s warm replay of linux-6.1-tinyconfig;
loading it back takes ~0.1 s, and keeping it ~0.1 s once (2026-12-07); the capture it
holds is unpickled only when something asks for it (keptspec.py). A build
directory's spec is kept with what its capture observed (tree/dircache.py), and its
capture keeps what it read from each file (tree/capcache.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..kbuild.spec import BuildSpec
from ..plan.observe import known_digests
from ..plan.store import (code_fingerprint, decompress, load_data, loads_frame, save_data,
                          save_document, written_here)
from .registry import load_spec, resolve

SUBDIR = "specs-2"
CAPTURE_FORMAT = "kbsim-capture-spec/2"
_ALLOWED = {("kbsim.kbuild.spec", n) for n in
            ("BuildSpec", "DirSpec", "ObjectSpec", "ModuleSpec", "Timing")}


def load_spec_cached(arg: str, cache_dir: Path | None, warn=None,
                     idle=None) -> tuple[BuildSpec, Path]:
    """load_spec(ARG), from CACHE_DIR when a model file's spec is there (None: no cache).
    IDLE: work to do while a build directory's spec cache is checked (registry.load_spec)."""
    p = resolve(arg)
    if cache_dir is not None and p.is_dir():  # a build directory: its capture cache
        return load_spec(arg, cache_dir, warn, idle)
    capture = p.name.endswith((".json", ".json.gz"))
    if cache_dir is None or not (capture or p.name.endswith(".toml")):
        return load_spec(arg)
    try:
        data = p.read_bytes()
    except OSError:
        return load_spec(arg)  # (it says what is wrong)
    key = hashlib.blake2b(b"\0".join([code_fingerprint().encode(), str(p.resolve()).encode(),
                                      data]), digest_size=16).hexdigest()
    path = Path(cache_dir) / SUBDIR / f"{key}.bin"
    if capture:
        spec = _capture_spec(arg, path, warn)
        spec.source_path = str(p)  # (as load_spec sets it: this run's name of the file)
        return spec, p
    spec = load_data(path, _ALLOWED, warn)
    if isinstance(spec, BuildSpec):
        return spec, p
    spec, p = load_spec(arg)
    save_data(path, spec, warn)
    return spec, p


def _capture_spec(arg: str, path: Path, warn):
    """The spec of the capture file ARG, from PATH when it loads; else built and kept
    there."""
    from .keptspec import packed  # (a capture's: not a model's imports)
    spec = _kept_capture_spec(path, _once(warn))
    if spec is not None:
        return spec
    spec, _ = load_spec(arg)
    save_document(path, CAPTURE_FORMAT, packed(spec), warn)  # (as built, before a replay)
    return spec


def _once(warn):
    """WARN, saying one line at most."""
    said = []

    def once(text: str) -> None:
        if not said and warn is not None:
            said.append(text)
            warn(text)
    return once


def _kept_capture_spec(path: Path, warn):
    """The capture's spec kept in PATH; None when there is none, or it does not load
    (said through WARN)."""
    from .keptspec import fields_ok, restored
    from .specparts import SPEC_ALLOWED
    doc = load_data(path, set(), warn)
    if doc is None or not written_here(doc, CAPTURE_FORMAT, path, warn):
        return None
    try:
        if not fields_ok(doc):
            raise TypeError("fields")
        capture = decompress(doc["capture"])  # (its checksum checked now; unpickled when used)
        spec = loads_frame(doc["spec"], SPEC_ALLOWED, path, warn)
        if spec is None:
            return None
        spec, contents = restored(spec, doc, capture, path)
    except Exception as e:  # noqa: BLE001 - any damage: not used, said once
        warn(f"{path} is damaged ({type(e).__name__}); not used (it is rewritten)")
        return None
    known_digests(zip(contents, doc["digests"]))
    return spec
