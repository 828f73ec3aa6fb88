"""-O/--output-sync against the real make: where the 'Entering directory' lines of a
sub-make go (GNU make's features/output-sync#1 found kbsim leaving them out under
-Orecurse)."""

from __future__ import annotations

import pytest

from oracle import Case, make_version

needs_make = pytest.mark.skipif(not make_version().startswith("GNU Make 4.3"),
                                reason="needs GNU Make 4.3")


def _tree(c: Case) -> None:
    c.write("Makefile", "all: make-foo\nmake-foo: ; $(MAKE) -C foo\n")
    c.write("foo/Makefile", "all: foo\nfoo: ; @echo foo: start; echo foo: end\n")


@needs_make
@pytest.mark.parametrize("sync", ["-Orecurse", "-Otarget", "-Oline", "-Onone"])
def test_sub_make_prints_its_directory_under_output_sync(tmp_path, sync):
    """job.c start_job_command calls output_start before every command: under
    -Orecurse the sub-make's 'Entering directory' line goes to its stdout (the parent
    collects it with the job's output); under -Oline/-Otarget each dump of the
    sub-make's own output is wrapped in Entering/Leaving lines instead."""
    c = Case(str(tmp_path))
    _tree(c)
    real, sim = c.run("-j2", sync, no_print_directory=False)
    assert "make[1]: Entering directory" in real.out
    assert not c.mismatches()
