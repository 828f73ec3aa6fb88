"""Signs of life and no floods on a terminal (issue 15, item 6).

A real terminal: each command runs on a pseudo-terminal (os.openpty), as a person would
run it, and the test reads what the terminal received and answers the questions asked."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kbsim.cli.teach_cmd import FLOOD_LINES

HERE = Path(__file__).resolve().parent
TINY = str(HERE / "data" / "tiny-2018.toml")

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pty")


def _big_makefile(d: Path, n: int = 1200) -> Path:
    """A directory whose make run narrates several lines per target: n targets, all
    missing, each with a recipe -> well over FLOOD_LINES lines of trace."""
    d.mkdir(parents=True, exist_ok=True)
    names = " ".join(f"t{i}" for i in range(n))
    (d / "Makefile").write_text(f"all: {names}\n%:\n\t@:\n")
    return d


def _on_terminal(argv, cwd, answer: bytes | None = None, stdin_tty: bool = True,
                 env: dict | None = None, limit_s: float = 120) -> tuple[int, str]:
    """Run ARGV with stdout and stderr (and stdin, unless told) on a pty; when the
    terminal shows a question ending in '] ', type ANSWER. Returns (status, screen)."""
    master, slave = os.openpty()
    p = subprocess.Popen(argv, cwd=cwd, stdout=slave, stderr=slave,
                         stdin=slave if stdin_tty else subprocess.DEVNULL,
                         env=dict(os.environ, COLUMNS="120", **(env or {})),
                         start_new_session=True)
    os.close(slave)
    screen = b""
    answered = answer is None
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            screen += chunk
            if not answered and screen.rstrip(b"\r\n").endswith(b"] "):
                os.write(master, answer)
                answered = True
        elif p.poll() is not None:
            break
    os.close(master)
    status = p.wait(timeout=30)
    return status, screen.decode("utf-8", "replace")


def _trace_lines(screen: str) -> int:
    return sum(1 for ln in screen.splitlines() if ": " in ln and ln.lstrip().startswith("+"))


def test_trace_asks_before_flooding_a_terminal_and_quits(tmp_path):
    d = _big_makefile(tmp_path / "big")
    code, screen = _on_terminal([sys.executable, "-m", "kbsim", "trace", str(d)],
                                tmp_path, answer=b"q\n")
    assert code == 0
    assert f"more than {FLOOD_LINES:,} lines" in screen and "--only" in screen
    assert _trace_lines(screen) == 0  # nothing flooded before or after the question


def test_trace_prints_all_when_asked(tmp_path):
    d = _big_makefile(tmp_path / "big")
    code, screen = _on_terminal([sys.executable, "-m", "kbsim", "trace", str(d)],
                                tmp_path, answer=b"a\n")
    assert code == 0 and _trace_lines(screen) > FLOOD_LINES


def test_trace_pages_by_default(tmp_path):
    d = _big_makefile(tmp_path / "big")
    code, screen = _on_terminal([sys.executable, "-m", "kbsim", "trace", str(d)],
                                tmp_path, answer=b"\n", env={"PAGER": "cat"})
    assert code == 0 and _trace_lines(screen) > FLOOD_LINES  # through the pager


def test_trace_with_a_filter_or_into_a_pipe_does_not_ask(tmp_path):
    d = _big_makefile(tmp_path / "big")
    code, screen = _on_terminal([sys.executable, "-m", "kbsim", "trace", str(d), "--grep",
                                 "t17"], tmp_path)
    assert code == 0 and "more than" not in screen and 0 < _trace_lines(screen)
    p = subprocess.run([sys.executable, "-m", "kbsim", "trace", str(d)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.count("\n") > FLOOD_LINES and p.stderr == ""


def test_trace_to_a_terminal_with_nobody_to_ask_stops_with_a_hint(tmp_path):
    d = _big_makefile(tmp_path / "big")
    code, screen = _on_terminal([sys.executable, "-m", "kbsim", "trace", str(d)],
                                tmp_path, stdin_tty=False)
    assert code == 2 and "kbsim: error: the trace is longer than" in screen
    assert "--all" in screen and _trace_lines(screen) == 0


def test_trace_pass_filter_keeps_one_pass(capsys):
    from kbsim.cli import main
    with pytest.raises(SystemExit):
        main(["trace", TINY, "--pass", "2", "--only", "start"])
    out = capsys.readouterr().out.splitlines()[1:]
    assert out and all(ln.endswith("[pass 2]") for ln in out)
    with pytest.raises(SystemExit):
        main(["trace", TINY, "--only", "start"])
    everything = capsys.readouterr().out.splitlines()[1:]
    assert len(everything) > len(out)


@pytest.mark.parametrize("command", [["explain", TINY, "usercopy_64.o", "--no-check"],
                                     ["graph", TINY]])
def test_a_progress_line_on_a_terminal_only(tmp_path, command):
    code, screen = _on_terminal([sys.executable, "-m", "kbsim", *command], tmp_path)
    assert code == 0, screen
    name = command[0]
    assert f"kbsim {name}: " in screen and "make processes" in screen
    p = subprocess.run([sys.executable, "-m", "kbsim", *command], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "make processes" not in p.stderr
