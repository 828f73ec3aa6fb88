"""Make sure kbsim's bytecode exists before a benchmark times it.

``pip install .`` compiles every module of the package (pip's default). An editable or
source checkout does not, and with PYTHONDONTWRITEBYTECODE set (as on our machines) every
run of ``kbsim`` then compiles each module it imports again: measured at 0.08-0.35 s of a
1.3-1.8 s ``kbsim replay BUILD_DIR``, which is not what a user pays. The benchmarks call
``ensure()`` first and say what it did.
"""

from __future__ import annotations

import compileall
import importlib.util
import os


def ensure() -> str:
    """Compile the kbsim package that ``python -m kbsim`` imports (writing its
    __pycache__ directories, as an install would); a line saying what was done."""
    spec = importlib.util.find_spec("kbsim")
    if spec is None or not spec.submodule_search_locations:
        return "bytecode: kbsim not found"
    pkg = list(spec.submodule_search_locations)[0]
    ok = compileall.compile_dir(pkg, quiet=1)
    if not ok:
        return f"bytecode: {pkg}: some modules did not compile (timings include compiling)"
    note = " (PYTHONDONTWRITEBYTECODE is set)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    return f"bytecode: {pkg} compiled, as pip install does{note}"
