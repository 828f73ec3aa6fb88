"""The verified GNU make 4.3 vectors (gnu-make-semantics.md), real make versus kbsim.

Each vector sets up a scratch directory, runs kbsim (read-only, on a SimFS mirroring the
directory) and then the real make, step by step, and requires identical stdout, stderr
and exit status (only the "N s in the future" number is normalised).
"""

from __future__ import annotations

import pytest

from oracle import Case, make_version
from vectors import VECTORS

_VERSION = make_version()
if not _VERSION.startswith("GNU Make 4.3"):
    pytest.skip(f"needs GNU Make 4.3 as `make` (found: {_VERSION or 'no make'})",
                allow_module_level=True)


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_vector(name, tmp_path):
    c = Case(str(tmp_path / name))
    VECTORS[name](c)
    assert c.steps, f"{name} ran no make step"
    bad = c.mismatches()
    assert not bad, f"{name}: kbsim differs from GNU make 4.3:\n" + "\n".join(bad)
