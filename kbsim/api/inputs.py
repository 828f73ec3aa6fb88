"""What the API runs on: a model file, a captured tree, a shipped model's name, or a real
kernel build directory (read-only), loaded once and replayed as often as wanted."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from ..errors import InputError

Kind = Literal["model", "capture", "build-dir"]


class Model:
    """A loaded kbuild tree. ``name``: the model's name; ``source``: what was asked for;
    ``path``: the file or directory read; ``kind``: ``"model"`` (a .toml scenario),
    ``"capture"`` (a captured tree) or ``"build-dir"`` (a real build directory, captured
    in memory); ``settings``: every what-if setting as the model has it; ``spec``: the
    kbuild layer's BuildSpec (for those who go below the API)."""

    __slots__ = ("name", "source", "path", "kind", "spec")

    def __init__(self, source: str, path: Path, kind: Kind, spec) -> None:
        self.source = source
        self.path = path
        self.kind = kind
        self.spec = spec
        self.name: str = spec.name

    @property
    def settings(self) -> dict[str, str]:
        """The settings ``whatif`` can vary or fix, with this model's values."""
        from ..experiments.settings import spec_defaults
        return spec_defaults(self.spec)

    @property
    def description(self) -> str:
        return self.spec.description

    def __repr__(self) -> str:
        return f"<kbsim.Model {self.name!r}: {self.kind} {str(self.path)!r}>"


def kind_of(path: Path) -> Kind:
    if path.is_dir():
        return "build-dir"
    return "model" if path.name.endswith(".toml") else "capture"


def resolve(source: str | os.PathLike) -> Path:
    """The file or directory SOURCE names (a path first, then a shipped model's name)."""
    from ..tree.registry import resolve as resolve_path
    _check(source)
    return resolve_path(os.fspath(source))


def _check(source) -> None:
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(f"{source!r}: expected a model file, a captured tree, a build "
                         f"directory or a shipped model's name")


def load(source: str | os.PathLike | Model, _load_spec=None) -> Model:
    """Load a model file (.toml), a captured tree (.json, .json.gz), the name of a model
    shipped with kbsim (``"lindroth-2018"``, ``"linux-6.1-tinyconfig"``,
    ``"alias-stale"``), or a kernel build directory (captured in memory, read-only).

    Raises :class:`kbsim.InputError` with the CLI's one-line message for a missing file,
    an unknown name or a malformed model. A model file never names code: a
    ``python:MOD:FUNC`` normalisation in it is refused (docs/security.md)."""
    if isinstance(source, Model):
        return source
    _check(source)
    if _load_spec is None:  # (the runs pass their read cache's: api/readcache.py)
        from ..tree.registry import load_spec as _load_spec
    spec, path = _load_spec(os.fspath(source))
    return Model(os.fspath(source), path, kind_of(path), spec)


def shipped() -> list[str]:
    """The names of the models shipped with kbsim."""
    from ..tree.registry import shipped_models
    return list(shipped_models())
