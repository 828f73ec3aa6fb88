"""What `pip install .` ships: every package of the source tree.

pyproject.toml lists the packages by hand (models/ is mapped into kbsim.models), so a new
subpackage that is not added there works in a checkout and an editable install but is
missing from a wheel: `import kbsim.plan` failed after `pip install .` until it was listed.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _listed() -> set[str]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return set(tomllib.load(fh)["tool"]["setuptools"]["packages"])


def test_every_subpackage_is_listed_in_pyproject():
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "kbsim").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    missing = sorted(found - _listed())
    assert not missing, f"packages missing from pyproject.toml's list: {missing}"


def test_listed_packages_exist():
    for name in _listed() - {"kbsim.models"}:
        assert (ROOT / Path(*name.split(".")) / "__init__.py").is_file(), name
    assert (ROOT / "models").is_dir()
