"""The example notebook runs from top to bottom (so it cannot rot): a what-if sweep
through the Python API, a table, a matplotlib plot, and the graph around a stale object.

CI runs it on tests/data/tiny-2018.toml, the lindroth-2018 failure in five objects (a
second of CPU for the whole sweep; lindroth-2018 itself takes minutes), with two trials
per cell. KBSIM_NOTEBOOK_MODEL, _TRIALS and _GRANULARITIES, when set, replace those
(`KBSIM_NOTEBOOK_MODEL=lindroth-2018 pytest tests/test_api_notebook.py`: the notebook as
a reader runs it).

The kernel is this test's own Python (a kernelspec written to a temporary directory, so
neither the `python` on PATH nor a user's kernels matter), and Jupyter, IPython and
matplotlib keep their files in temporary directories too, not in ~."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import kbsim

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE.parent / "examples" / "whatif-granularity-guard.ipynb"
TINY = HERE / "data" / "tiny-2018.toml"
KERNEL = "kbsim-notebook-test"


def _kernel_env(tmp: Path, monkeypatch) -> None:
    """A kernelspec for sys.executable, and every directory Jupyter, IPython and
    matplotlib would write to, under TMP."""
    spec = tmp / "jupyter-path" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "kbsim test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp / "jupyter-path"))
    for var, sub in (("JUPYTER_CONFIG_DIR", "jupyter-config"),
                     ("JUPYTER_DATA_DIR", "jupyter-data"),
                     ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),  # connection files
                     ("IPYTHONDIR", "ipython"),  # profile_default/, history.sqlite
                     ("MPLCONFIGDIR", "matplotlib")):  # font cache
        (tmp / sub).mkdir()
        monkeypatch.setenv(var, str(tmp / sub))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # the kernel imports the kbsim this test imported (a checkout or an installed wheel)
    top = str(Path(kbsim.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (top, os.environ.get("PYTHONPATH")) if p))


def test_example_notebook_executes(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"

    own = "KBSIM_NOTEBOOK_MODEL" not in os.environ  # CI's run: the tiny model
    monkeypatch.setenv("KBSIM_NOTEBOOK_MODEL", os.environ.get("KBSIM_NOTEBOOK_MODEL", str(TINY)))
    monkeypatch.setenv("KBSIM_NOTEBOOK_TRIALS", os.environ.get("KBSIM_NOTEBOOK_TRIALS", "2"))
    monkeypatch.setenv("KBSIM_NOTEBOOK_WORKERS", "2")  # the process pool, as by default
    _kernel_env(tmp_path, monkeypatch)
    work = tmp_path / "cwd"
    work.mkdir()

    client = nbclient.NotebookClient(nb, timeout=900, startup_timeout=180,
                                     kernel_name=KERNEL,
                                     resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on an error

    code = [c for c in nb.cells if c.cell_type == "code"]
    text = ["".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                    + str(o.get("data", {}).get("text/markdown", "")) for o in c.outputs)
            for c in code]
    images = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in code]
    name = kbsim.load(os.environ["KBSIM_NOTEBOOK_MODEL"]).name
    assert name in text[0]
    assert "replays in" in text[1] and "granularity" in text[1]  # the sweep, its conclusions
    assert "granularity" in text[2] and "guard" in text[2]  # the table
    assert images[3] == 1  # rate against granularity
    assert "seed" in text[4] and "exit code" in text[4]  # the failing build (1 s, no guard)
    assert images[5] == 1 and "drawn" in text[5]  # the neighbourhood
    assert not list(work.iterdir()), "the notebook wrote into its working directory"
    if own:
        # tiny-2018 is built to fail on 1 s stamps without the guard, at every seed: its
        # arch/x86/lib objects share a stamp with the ksym files touched after them
        grains = os.environ.get("KBSIM_NOTEBOOK_GRANULARITIES", "ns,jiffy,1s,2s").split(",")
        trials = int(os.environ["KBSIM_NOTEBOOK_TRIALS"])
        assert f"{len(grains) * 2 * trials} replays in" in text[1]
        assert "exit code 1" in text[4]
        assert "stale: arch/x86/lib/usercopy_64.o, missing" in text[4]
        assert "clear_user" in text[4]


def test_notebook_table_without_pandas(monkeypatch):
    """pandas is optional: without it the table cell makes a Markdown table (CI has pandas,
    so the notebook run above takes the DataFrame branch)."""
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("IPython")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c.source for c in nb.cells
                if c.cell_type == "code" and "to_records(per=\"cell\")" in c.source)
    sweep = kbsim.whatif(str(TINY), vary={"granularity": ["ns", "1s"], "guard": [True, False]},
                         trials=2, workers=1)
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` raises ImportError
    scope = {"sweep": sweep}
    exec(compile(cell, "table-cell", "exec"), scope)
    table = scope["table"].data.splitlines()
    assert table[0].startswith("| granularity | guard | failed |")
    # tests/data/tiny-2018.toml fails on 1 s stamps without the guard, at every seed
    assert table[2:] == ["| ns | on | 0/2 | 0% | 0%-66% | 0.00 |",
                         "| ns | off | 0/2 | 0% | 0%-66% | 0.00 |",
                         "| 1s | on | 0/2 | 0% | 0%-66% | 0.00 |",
                         "| 1s | off | 2/2 | 100% | 34%-100% | 3.00 |"]
