"""Finding a model: a path, or the name of a model shipped in kbsim.models."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..kbuild.spec import BuildSpec

SUFFIXES = (".toml", ".json.gz", ".json")


def shipped_models() -> dict[str, object]:
    """name -> resource of every model shipped with kbsim."""
    out = {}
    try:
        root = _models_root()
    except ModuleNotFoundError:
        # A source checkout on sys.path ahead of the install (python -m kbsim from the
        # repository): models/ sits beside the package there, as pyproject maps it.
        root = Path(__file__).resolve().parents[2] / "models"
        if not root.is_dir():
            return out
    for entry in root.iterdir():
        for suf in SUFFIXES:
            if entry.name.endswith(suf) and not entry.name.startswith("_"):
                out[entry.name[: -len(suf)]] = entry
    return dict(sorted(out.items()))


def _models_root():
    """importlib.resources.files("kbsim.models"): for a package that is a directory of
    files, the directory, as its loader's resource reader gives it (importlib.readers
    FileReader: the Path of the directory of the loader's __init__.py), without importing
    importlib.resources (and with it tempfile, zipfile, ...: ~0.01 s of a replay's
    imports, 2026-12-08); else importlib.resources' answer."""
    import importlib
    from importlib.machinery import SourceFileLoader, SourcelessFileLoader
    models = importlib.import_module("kbsim.models")
    loader = getattr(getattr(models, "__spec__", None), "loader", None)
    if loader.__class__ in (SourceFileLoader, SourcelessFileLoader):
        return Path(loader.path).parent
    from importlib import resources
    return resources.files("kbsim.models")


def resolve(arg: str) -> Path:
    """The model file ARG names (a path first, then a shipped model name)."""
    p = Path(arg)
    if p.exists():
        return p
    models = shipped_models()
    if arg in models:
        return Path(str(models[arg]))
    raise InputError(f"{arg}: no such file, and no shipped model of that name "
                     f"(shipped: {', '.join(models) or 'none'})")


def load_spec(arg: str, cache_dir: Path | None = None, warn=None,
              idle=None) -> tuple[BuildSpec, Path]:
    """A BuildSpec from a model file, a captured tree file, or a shipped model name.
    CACHE_DIR: a build directory's capture keeps what it read there (tree/capcache.py;
    the caller checked it is not inside the tree), WARN says a problem with it; IDLE:
    work to do while the build directory's spec cache is checked (tree/dircache.py)."""
    p = resolve(arg)
    if p.is_dir():
        # a real build directory: capture it in memory (read-only), start from its state
        if cache_dir is not None:  # the spec kept while the capture's inputs hold
            from .dircache import build_dir_spec
            spec = build_dir_spec(p, cache_dir, warn, idle)
        else:
            from ..make.gcpause import paused_gc
            from .capture import capture
            from .incremental import spec_from_capture
            with paused_gc():  # large object graphs, all kept (make/gcpause.py)
                spec = spec_from_capture(capture(str(p), layout="inline"))  # texts as read
        spec.source_path = str(p)
        return spec, p
    name = p.name
    if name.endswith(".toml"):
        from .model import load_model, to_spec
        return to_spec(load_model(p)), p
    if name.endswith(".json") or name.endswith(".json.gz"):
        from .incremental import load_capture_spec
        return load_capture_spec(p), p
    raise InputError(f"{p}: unknown model format (expected .toml, .json or .json.gz)")
