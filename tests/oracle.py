"""The oracle: run the real GNU make and kbsim on the same directory and compare.

kbsim reads the directory through a read-only SimFS, so it runs first; the real make
runs after it (its recipes may change the tree for the next step).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass

import pytest

from kbsim.fs import Clock, real_fs
from kbsim.make import simulate_make

B = 1_600_000_000
MAKE = shutil.which("make")
ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": "/nonexistent"}


def make_version() -> str:
    if MAKE is None:
        return ""
    out = subprocess.run([MAKE, "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else ""


# for the tests that compare with the real make
needs_make = pytest.mark.skipif(not make_version().startswith("GNU Make 4.3"),
                                reason=f"needs GNU Make 4.3 (found: "
                                f"{make_version() or 'no make'})")


@dataclass
class Outcome:
    rc: int
    out: str
    err: str


HANG_STATUS = 124  # what timeout(1) reports, and kbsim for a make that never exits


def _text(b) -> str:
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")


def run_real(d: str, args: list[str], timeout: float = 60,
             no_print_directory: bool = True) -> Outcome:
    """Run the real make. A make killed by signal N (subprocess says -N) gets the status
    a shell reports, 128 + N; one still running after TIMEOUT seconds is killed and gets
    124 with the output it had printed. kbsim reports both cases the same way
    (kbsim/make/process.py SIGSEGV_STATUS, HANG_STATUS)."""
    try:
        # argv[0] "make", found on ENV's PATH, as a user types it: $(MAKE) is then "make"
        # in both (kbsim's $(MAKE) is its program name)
        pre = ["--no-print-directory"] if no_print_directory else []
        p = subprocess.run(["make", *pre, *args], cwd=d,
                           capture_output=True, text=True, env=ENV, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return Outcome(HANG_STATUS, _text(e.stdout), _text(e.stderr))
    rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return Outcome(rc, p.stdout, p.stderr)


def run_sim(d: str, args: list[str], granularity: str = "ns",
            no_print_directory: bool = True) -> tuple[Outcome, object]:
    fs = real_fs(Clock(time.time_ns()), granularity)
    pre = ["--no-print-directory"] if no_print_directory else []
    r = simulate_make(fs, [*pre, *args], os.path.abspath(d), env=dict(ENV))
    return Outcome(r.exit_code, r.stdout, r.stderr), r


_FUTURE = re.compile(r"modification time [-0-9.e+]+ s in the future")


def normalise(text: str) -> str:
    """What the comparison ignores: the "N s in the future" number."""
    return _FUTURE.sub("modification time N s in the future", text)


def compare(d: str, args: list[str], no_print_directory: bool = True
            ) -> tuple[Outcome, Outcome]:
    """(real, sim). The makes run with --no-print-directory unless NO_PRINT_DIRECTORY is
    False (the "Entering directory" lines name the scratch directory, the same for both)."""
    sim, _ = run_sim(d, args, no_print_directory=no_print_directory)
    real = run_real(d, args, no_print_directory=no_print_directory)
    return real, sim


class Case:
    """A scratch directory with the vectors script's helpers (T, mk, run)."""

    def __init__(self, root: str):
        self.d = root
        os.makedirs(root, exist_ok=True)
        self.steps: list[tuple[list[str], Outcome, Outcome]] = []

    def p(self, name: str) -> str:
        return os.path.join(self.d, name)

    def T(self, n, *files: str) -> None:
        for f in files:
            path = self.p(f)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if not os.path.exists(path):
                open(path, "a").close()
            if isinstance(n, str):
                ns = int(n)
            else:
                ns = (B + n) * 1_000_000_000
            os.utime(path, ns=(ns, ns))

    def touch_ns(self, ns: int, *files: str) -> None:
        for f in files:
            path = self.p(f)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if not os.path.exists(path):
                open(path, "a").close()
            os.utime(path, ns=(ns, ns))

    def mk(self, *lines: str) -> None:
        with open(self.p("Makefile"), "w") as fh:
            fh.write("\n".join(lines) + "\n")

    def write(self, name: str, text: str) -> None:
        path = self.p(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)

    def rm(self, *files: str) -> None:
        for f in files:
            try:
                os.remove(self.p(f))
            except FileNotFoundError:
                pass

    def run(self, *args: str, no_print_directory: bool = True) -> tuple[Outcome, Outcome]:
        real, sim = compare(self.d, list(args), no_print_directory)
        self.steps.append((list(args), real, sim))
        return real, sim

    def mismatches(self, any_order: bool = False) -> list[str]:
        """The steps where kbsim and the real make differ. ANY_ORDER: compare the lines
        of each stream as sorted (under -j the real make prints in the order its children
        happen to finish, kbsim in simulated time; docs/make-semantics.md)."""
        def seen(o: Outcome):
            out, err = normalise(o.out), normalise(o.err)
            if any_order:
                return o.rc, sorted(out.splitlines()), sorted(err.splitlines())
            return o.rc, out, err

        bad = []
        for args, real, sim in self.steps:
            if seen(real) != seen(sim):
                bad.append(f"make {' '.join(args)}\n  real rc={real.rc} out={real.out!r} "
                           f"err={real.err!r}\n  sim  rc={sim.rc} out={sim.out!r} err={sim.err!r}")
        return bad
