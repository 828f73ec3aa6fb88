"""A model file's BuildSpec kept in the read cache directory (kbsim.plan.store).

Building the spec of a model (TOML parsed, validated by pydantic, the synthetic bulk
generated) costs more than a warm replay of a small tree, and importing pydantic alone
costs a good part of that. The spec is a pure function of the model file's bytes and of
kbsim's code, so it is kept in ``<cache dir>/specs-2/<digest of both>.bin`` and read
back, through the same allow-list unpickler as the read cache, building kbsim's spec
dataclasses only. A file that does not load is ignored (the spec is built again and the
file rewritten). Captures are not kept here (a capture's spec carries the capture
itself); a build directory's spec is kept in the same directory with what its capture
observed (tree/dircache.py), and its capture keeps what it read from each file
(tree/capcache.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..kbuild.spec import BuildSpec
from ..plan.store import code_fingerprint, load_data, save_data
from .registry import load_spec, resolve

SUBDIR = "specs-2"
_ALLOWED = {("kbsim.kbuild.spec", n) for n in
            ("BuildSpec", "DirSpec", "ObjectSpec", "ModuleSpec", "Timing")}


def load_spec_cached(arg: str, cache_dir: Path | None, warn=None,
                     idle=None) -> tuple[BuildSpec, Path]:
    """load_spec(ARG), from CACHE_DIR when a model file's spec is there (None: no cache).
    IDLE: work to do while a build directory's spec cache is checked (registry.load_spec)."""
    p = resolve(arg)
    if cache_dir is not None and p.is_dir():  # a build directory: its capture cache
        return load_spec(arg, cache_dir, warn, idle)
    if cache_dir is None or not p.name.endswith(".toml"):
        return load_spec(arg)
    try:
        data = p.read_bytes()
    except OSError:
        return load_spec(arg)  # (it says what is wrong)
    key = hashlib.blake2b(b"\0".join([code_fingerprint().encode(), str(p.resolve()).encode(),
                                      data]), digest_size=16).hexdigest()
    path = Path(cache_dir) / SUBDIR / f"{key}.bin"
    spec = load_data(path, _ALLOWED, warn)
    if isinstance(spec, BuildSpec):
        return spec, p
    spec, p = load_spec(arg)
    save_data(path, spec, warn)
    return spec, p
