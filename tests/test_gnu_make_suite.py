"""GNU make 4.3's own test suite, with the real make and with kbsim (tests/gnu_make_suite.py).

A case the real make passes and kbsim fails must be in KNOWN_DIFFERENCES (each with its
reason; docs/make-semantics.md, "GNU make's test suite"). By default a few test files
run (about a minute); ``KBSIM_GNU_SUITE=1`` runs the whole suite (about 7 minutes on two
cores: both makes side by side), and then every known difference must still fail, so
that the list stays the list of what kbsim gets wrong.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import gnu_make_suite as gms

# quick files that cover what the suite taught kbsim: escapes, $(shell), intermediate
# files in make's hash order, backslash-newlines in recipes, SHELL, -O, archives
QUICK = ["features/escape", "functions/shell", "targets/SECONDARY", "misc/bs-nl",
         "variables/SHELL", "features/output-sync", "features/archives",
         "features/grouped_targets", "variables/EXTRA_PREREQS", "options/dash-l"]
FULL = os.environ.get("KBSIM_GNU_SUITE") == "1"


def _make_is_43() -> bool:
    make = shutil.which("make")
    if make is None:
        return False
    p = subprocess.run([make, "--version"], capture_output=True, text=True)
    return p.stdout.startswith("GNU Make 4.3")


SUITE = gms.find_suite()
pytestmark = [
    pytest.mark.skipif(SUITE is None, reason="GNU make's test suite not found "
                                             "(../shared/gnu-make-4.3-tests)"),
    pytest.mark.skipif(shutil.which("perl") is None, reason="the suite needs perl"),
    pytest.mark.skipif(not _make_is_43(), reason="the baseline needs GNU Make 4.3"),
]


def test_gnu_make_suite_fails_only_known_differences():
    only = None if FULL else QUICK
    base, kb = gms.run_both(SUITE, only)
    if only:
        base = gms.restrict(base, only)
    assert base.cases, "the real make ran no case"
    fails = gms.compare(base, kb)
    unknown = [f"{key}: {why}" for key, _, why in fails if key not in gms.KNOWN_DIFFERENCES]
    assert not unknown, "kbsim fails cases the real make passes:\n" + "\n".join(unknown) \
        + "\n\n" + gms.table(base, kb)
    if FULL:
        failing = {key for key, _, _ in fails}
        stale = sorted(set(gms.KNOWN_DIFFERENCES) - failing)
        assert not stale, f"known differences that now pass (take them off the list): {stale}"
