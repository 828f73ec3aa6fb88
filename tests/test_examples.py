"""Every lesson in examples/lessons runs standalone and passes its own checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

LESSONS = sorted((Path(__file__).resolve().parent.parent / "examples" / "lessons")
                 .glob("[0-9][0-9]_*.py"))


def test_there_are_six_lessons():
    assert [p.name[:2] for p in LESSONS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs(lesson, tmp_path):
    # run from an unrelated directory: a lesson must not depend on the working directory
    proc = subprocess.run([sys.executable, str(lesson)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert f"Lesson {int(lesson.name[:2])} done" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # wrote nothing
