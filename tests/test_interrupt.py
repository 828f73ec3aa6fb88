"""Ctrl-C during `kbsim whatif` (issue 15, item 3) and its progress lines (item 6).

The real thing: a kbsim process runs a sweep far longer than the test waits, gets SIGINT
(to its whole process group, as a terminal sends it, or to itself alone, as `kill -INT`
does) once some trials have finished, and must then say how many finished, print the
table of the seeds that finished in every cell (marked partial), exit 130, and leave no
worker or trial process behind, running or unreaped."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kbsim.experiments import Sweep, parse_settings, run_sweep
from kbsim.experiments.render import csv_text, text_report, to_json
from kbsim.experiments.runner import (SweepInterrupted, Task, batches, partial_result)
from kbsim.tree.registry import load_spec

HERE = Path(__file__).resolve().parent
TINY = str(HERE / "data" / "tiny-2018.toml")
PLANNED = 600  # 2 cells x 300 trials: minutes of work; the tests stop it after seconds

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals")


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(d))
    return out


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None  # gone (exited and reaped)


def _start(*extra: str, tmp_path: Path) -> subprocess.Popen:
    env = dict(os.environ, KBSIM_HEARTBEAT_S="0.2")
    return subprocess.Popen(
        [sys.executable, "-m", "kbsim", "whatif", TINY, "--vary", "granularity=1s,ns",
         "--trials", str(PLANNED // 2), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        start_new_session=True)  # its own process group, as a shell job has


def _wait_for_trials(p: subprocess.Popen, at_least: int, limit_s: float = 240) -> str:
    """Read the heartbeat lines (stderr is a pipe, not a terminal) until AT_LEAST trials
    are done; return what was read."""
    seen = ""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        line = p.stderr.readline()
        if not line:
            break
        seen += line
        if "trials done" in line:
            done = int(line.split("trials done")[0].split(":")[-1].split(" of ")[0])
            if done >= at_least:
                return seen
    p.kill()
    pytest.fail(f"no heartbeat with {at_least} trials done:\n{seen}")


def _interrupt(p: subprocess.Popen, whole_group: bool) -> tuple[list[int], str, str]:
    workers = _children(p.pid)
    trials = [g for w in workers for g in _children(w)]
    if whole_group:
        os.killpg(p.pid, signal.SIGINT)  # Ctrl-C at a terminal
    else:
        os.kill(p.pid, signal.SIGINT)  # kill -INT PID
    out, err = p.communicate(timeout=120)
    return workers + trials, out, err


def _assert_all_gone(pids: list[int]) -> None:
    time.sleep(0.3)
    left = {pid: _state(pid) for pid in pids if _state(pid) is not None}
    assert not left, f"processes left behind (pid: state): {left}"


def _interrupt_line(err: str) -> tuple[int, int]:
    line = next(ln for ln in err.splitlines() if ln.startswith("kbsim: interrupted: "))
    finished, planned = line.split("interrupted: ")[1].split(" trials finished")[0].split(
        " of ")
    return int(finished), int(planned)


# ---------------------------------------------------------------- the process pool
def test_ctrl_c_at_a_terminal_stops_every_worker_and_prints_the_partial_table(tmp_path):
    p = _start("--workers", "2", tmp_path=tmp_path)
    before = _wait_for_trials(p, 8)
    pids, out, err = _interrupt(p, whole_group=True)
    assert p.returncode == 130, err
    assert "Traceback" not in before + err and "KeyboardInterrupt" not in err
    finished, planned = _interrupt_line(err)
    assert planned == PLANNED and 8 <= finished < PLANNED
    assert out.startswith("PARTIAL: interrupted after ")
    head = out.splitlines()[1]
    n = int(head.split(" x ")[1].split(" trial")[0])  # seeds finished in every cell
    assert 1 <= n <= finished // 2
    assert "granularity" in out and "failure rate [95% CI]" in out
    assert "Which settings change the failure rate" in out
    assert pids and len(_children_of_any(pids)) == 0
    _assert_all_gone(pids)


def _children_of_any(pids: list[int]) -> list[int]:
    return [c for p in pids for c in _children(p)]


def test_sigint_to_kbsim_alone_stops_its_workers_json_and_csv_marked_partial(tmp_path):
    table = tmp_path / "cells.csv"
    p = _start("--workers", "2", "--json", "--csv", str(table), tmp_path=tmp_path)
    _wait_for_trials(p, 8)
    pids, out, err = _interrupt(p, whole_group=False)
    assert p.returncode == 130, err
    finished, planned = _interrupt_line(err)
    doc = json.loads(out)
    assert doc["partial"]["planned"] == planned == PLANNED
    assert doc["partial"]["finished"] == finished
    seeds = doc["partial"]["seeds"]
    assert len(seeds) == doc["trials"] >= 1 and all(0 <= s < PLANNED // 2 for s in seeds)
    assert [c["trials"] for c in doc["cells"]] == [len(seeds)] * 2
    rows = list(csv.DictReader(table.open()))
    assert [r["partial"] for r in rows] == [f"{finished}/{planned}"] * 2
    _assert_all_gone(pids)


# ---------------------------------------------------------------- dask
def test_ctrl_c_on_the_dask_executor(tmp_path):
    pytest.importorskip("dask.distributed")
    p = _start("--workers", "2", "--executor", "dask", tmp_path=tmp_path)
    _wait_for_trials(p, 16)  # a batch reports when it is whole
    pids, out, err = _interrupt(p, whole_group=True)
    assert p.returncode == 130, err
    finished, planned = _interrupt_line(err)
    assert planned == PLANNED and finished >= 16
    assert out.startswith("PARTIAL: ") and "Traceback" not in err
    _assert_all_gone(pids)


# ---------------------------------------------------------------- in-process
@pytest.fixture(scope="module")
def small():
    spec, _ = load_spec(TINY)
    sw = Sweep(TINY, spec, parse_settings(["granularity=1s,ns"], []), 3, 0)
    return sw, run_sweep(sw, workers=1)


def test_partial_keeps_the_seeds_finished_in_every_cell(small):
    sw, full = small
    trials = dict(full.trials)
    gone = next(k for k in trials if k[1] == 1)  # seed 1 of one cell did not finish
    del trials[gone]
    part = partial_result(sw, trials, planned=6, finished=5)
    assert part.sweep.seeds == [0, 2] and part.partial
    for c_full, c_part in zip(full.cells, part.cells):
        assert c_part.outcomes == [c_full.outcomes[0], c_full.outcomes[2]]
    text = text_report(part)
    assert text.startswith("PARTIAL: interrupted after 5 of 6 trials")
    assert "(seeds 0, 2)" in text
    assert to_json(part)["partial"] == {"planned": 6, "finished": 5, "seeds": [0, 2]}
    assert to_json(full)["partial"] is None
    assert [r[-1] for r in csv.reader(csv_text(part).splitlines())][1:] == ["5/6"] * 2
    assert partial_result(sw, {k: v for k, v in trials.items() if k[1] != 0 or k == gone},
                          planned=6, finished=1) is not None  # seed 2 is still whole
    assert partial_result(sw, {}, planned=6, finished=0) is None


def test_a_second_ctrl_c_while_the_table_is_written_stops_without_it(small, capsys,
                                                                     monkeypatch):
    import typer

    from kbsim.cli import whatif_cmd
    sw, full = small
    part = partial_result(sw, dict(full.trials), planned=6, finished=6)

    def second_ctrl_c(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(whatif_cmd, "_write", second_ctrl_c)
    with pytest.raises(typer.Exit) as e:
        whatif_cmd._interrupted(SweepInterrupted(part, 6, 6), False, None)
    assert e.value.exit_code == 130
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines()[-1] == "kbsim: interrupted"


def test_tasks_go_seed_by_seed_and_dask_batches_keep_their_order(small):
    sw, _ = small
    tasks = sw.tasks()
    assert [t.seed for t in tasks] == [0, 0, 1, 1, 2, 2]
    many = [Task((("k", str(i % 3)),), i // 3) for i in range(1000)]
    for workers in (1, 2, 7):
        bs = batches(many, workers)
        assert [t for b in bs for t in b] == many
        assert len(bs) >= workers * 4 and max(len(b) for b in bs) <= 16
        assert max(len(b) for b in bs) - min(len(b) for b in bs) <= 1
    assert batches(many[:3], 2) == [[many[0]], [many[1]], [many[2]]]
    assert batches([], 2) == []


def test_heartbeat_when_stderr_is_not_a_terminal(tmp_path):
    # (a period of 0: a line at every finished trial; a tiny model's 6 trials can all
    # end within a short period, which then prints none)
    env = dict(os.environ, KBSIM_HEARTBEAT_S="0")
    args = [sys.executable, "-m", "kbsim", "whatif", TINY, "--vary", "granularity=1s,ns",
            "--trials", "3", "--workers", "1"]
    r = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    beats = [ln for ln in r.stderr.splitlines() if "trials done" in ln]
    assert beats and all(ln.startswith("kbsim: whatif tiny-2018: ") and " of 6 trials "
                         "done, " in ln for ln in beats)
    r = subprocess.run(args + ["--no-progress"], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=300)
    assert r.returncode == 0 and "trials done" not in r.stderr
