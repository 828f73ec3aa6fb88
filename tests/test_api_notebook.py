"""The example notebook runs from top to bottom (so it cannot rot): a what-if sweep
through the Python API, a table, a matplotlib plot, and the graph around a stale object.

CI runs it with two trials per cell on two granularities (KBSIM_NOTEBOOK_*); the outputs
are checked for what the cells must show, not for rates (two trials say little)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "whatif-granularity-guard.ipynb"


def test_example_notebook_executes(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("KBSIM_NOTEBOOK_TRIALS", os.environ.get("KBSIM_NOTEBOOK_TRIALS", "2"))
    monkeypatch.setenv("KBSIM_NOTEBOOK_GRANULARITIES",
                       os.environ.get("KBSIM_NOTEBOOK_GRANULARITIES", "ns,1s"))
    monkeypatch.setenv("KBSIM_NOTEBOOK_WORKERS", "2")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # the kernel imports this checkout's kbsim, as the test process does
    root = str(NOTEBOOK.parents[1])
    monkeypatch.setenv("PYTHONPATH", root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on an error
    code = [c for c in nb.cells if c.cell_type == "code"]
    text = ["".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                    + str(o.get("data", {}).get("text/markdown", "")) for o in c.outputs)
            for c in code]
    images = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in code]
    assert "lindroth-2018" in text[0]
    assert "replays in" in text[1] and "granularity" in text[1]  # the sweep, its conclusions
    assert "granularity" in text[2] and "guard" in text[2]  # the table
    assert images[3] == 1  # rate against granularity
    assert "seed" in text[4] and "stale" in text[4]  # the failing build (1 s, no guard)
    assert images[5] == 1 and "drawn" in text[5]  # the neighbourhood
