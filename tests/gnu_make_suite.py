"""GNU make 4.3's own test suite, run against the real make and against `kbsim make`.

    python tests/gnu_make_suite.py [--suite DIR] [--only features/escape,...] [--keep DIR]

copies the suite (../shared/gnu-make-4.3-tests, see its README.md) into two temporary
directories, runs it there with the real make (the baseline on this machine) and with
kbsim behind a wrapper named `make` (tests/gnu_make_suite_wrapper.py: `kbsim make
--json`, output in make's order, the simulated run's file changes applied), and prints a
table per directory: the cases, how many pass with make, how many with kbsim, and the
class of each kbsim failure. tests/test_gnu_make_suite.py runs it in CI and fails on any
case the real make passes and kbsim fails that is not in KNOWN_DIFFERENCES (each one's
reason is in docs/make-semantics.md, "GNU make's test suite").

The copies are the suite unchanged but for a hook appended to their test_driver.pl: it
writes one line per case (test, number, passed, exit status as expected) to the file
named by $KBSIM_SUITE_LOG, so that every case can be classified.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DIRECTORIES = ("features", "functions", "options", "targets", "variables", "misc")

# The cases kbsim fails although the real make passes them, each with its reason: the
# key is "directory/test#case" (cases counted from 1, as the suite counts them). The
# reasons are explained in docs/make-semantics.md, "GNU make's test suite".
_PERL = "a recipe runs perl, which kbsim does not simulate (a warning names it)"
KNOWN_DIFFERENCES: dict[str, str] = {
    "features/exec#10": _PERL + ": a script with a '#!perl' line",
    "features/exec#11": _PERL + ": a script with a '#!perl' line, SHELL=/bin/sh",
    "features/exec#12": _PERL + ": a script with a '#!perl' line, SHELL=$SHELL",
    "features/exec#13": _PERL + ": perl -e run by the recipe",
    "features/exec#14": _PERL + ": perl -e run by the recipe, SHELL=/bin/sh",
    "features/exec#15": _PERL + ": perl -e run by the recipe, SHELL=$SHELL",
    "features/exec#16": _PERL + ": SHELL = perl",
    "targets/ONESHELL#5": _PERL + ": SHELL = perl under .ONESHELL",
    "features/parallelism#6": "a job's environment is worked out only when a command "
                              "reads it, and $(shell sleep 4) takes no simulated time",
}

_HOOK = r"""
# --- kbsim: one line per case for tests/gnu_make_suite.py -------------------------------
{
  no warnings 'redefine';
  my $kbsim_compare = \&compare_output;
  my $kbsim_run = \&run_make_with_options;
  my $kbsim_status = 1;
  my $kbsim_log = $ENV{KBSIM_SUITE_LOG};  # (test_driver.pl resets %ENV later)
  *run_make_with_options = sub {
    my @r = $kbsim_run->(@_);
    $kbsim_status = $test_passed ? 1 : 0;
    return wantarray ? @r : $r[0];
  };
  *compare_output = sub {
    my $r = $kbsim_compare->(@_);
    if ($kbsim_log && open(my $kbsim_fh, '>>', $kbsim_log)) {
      print $kbsim_fh join("\t", $testname, $tests_run, ($r ? 1 : 0), $kbsim_status,
                           ($_[1] // '')), "\n";
      close($kbsim_fh);
    }
    $kbsim_status = 1;
    return $r;
  };
}
1;
"""


def find_suite(explicit: str | None = None) -> str | None:
    """The suite's directory: EXPLICIT, $KBSIM_MAKE_SUITE, ../shared next to the
    project, or /work/shared."""
    for cand in (explicit, os.environ.get("KBSIM_MAKE_SUITE"),
                 os.path.join(ROOT, "..", "shared", "gnu-make-4.3-tests"),
                 "/work/shared/gnu-make-4.3-tests"):
        if cand and os.path.isfile(os.path.join(cand, "run_make_tests.pl")):
            return os.path.abspath(cand)
    return None


@dataclass
class Case:
    test: str  # "features/escape"
    number: int  # from 1
    passed: bool
    status_ok: bool
    log: str  # the output file the suite compared
    klass: str = ""  # why it failed (classify)


@dataclass
class Run:
    """One run of the suite: each test's cases as the suite counted them."""

    tests: dict[str, tuple[int, int] | None] = field(default_factory=dict)  # passed, run
    cases: dict[str, Case] = field(default_factory=dict)  # "test#n" -> Case
    output: str = ""
    workdir: str = ""


def _prepare(suite: str, top: str) -> str:
    tests = os.path.join(top, "tests")
    shutil.copytree(suite, tests, symlinks=True)
    for dp, dns, fns in os.walk(tests):  # (the shared copy is read-only)
        for n in [dp] + [os.path.join(dp, f) for f in fns]:
            os.chmod(n, os.stat(n).st_mode | 0o200)
    os.makedirs(os.path.join(top, "src"))
    open(os.path.join(top, "src", "gnumake.h"), "w").close()
    driver = os.path.join(tests, "test_driver.pl")
    with open(driver, "a") as fh:
        fh.write(_HOOK)
    return tests


def _wrapper(bindir: str) -> str:
    os.makedirs(bindir, exist_ok=True)
    path = os.path.join(bindir, "make")
    with open(path, "w") as fh:
        fh.write(f"#!/bin/sh\nexec '{sys.executable}' "
                 f"'{os.path.join(HERE, 'gnu_make_suite_wrapper.py')}' \"$@\"\n")
    os.chmod(path, 0o755)
    return path


_STATUS = re.compile(r"^(\w+/[\w.+-]+) \.+ ?")


def parse_output(text: str) -> dict[str, tuple[int, int] | None]:
    """Each test's (passed, run) from the suite's summary lines; None for N/A."""
    out: dict[str, tuple[int, int] | None] = {}
    cur = None
    for line in text.splitlines():
        m = _STATUS.match(line)
        if m:
            cur = m.group(1)
            line = line[m.end():]
        if cur is None:
            continue
        m = re.search(r"ok\s+\((\d+) passed\)", line)
        if m:
            out[cur] = (int(m.group(1)), int(m.group(1)))
            continue
        m = re.search(r"FAILED \((\d+)/(\d+) passed\)", line)
        if m:
            out[cur] = (int(m.group(1)), int(m.group(2)))
            continue
        if "N/A" in line:
            out[cur] = None
    return out


def _default_signals() -> None:
    """SIGINT and SIGQUIT as an interactive shell leaves them: a job started in the
    background ('cmd &') has them ignored, and functions/shell#8 ('kill -2 $$' in
    $(shell)) then sees a shell that does not die."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def run_suite(suite: str, make: str | None, top: str, only: list[str] | None = None,
              timeout: float = 1800) -> Run:
    """Run the suite in TOP with MAKE (a path), or with kbsim when MAKE is None."""
    tests = _prepare(suite, top)
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "GNUMAKEFLAGS", "MAKEFILES",
              "MAKE_RESTARTS", "KBSIM_SUITE_LOG"):
        env.pop(k, None)
    log = os.path.join(top, "cases.log")
    env["KBSIM_SUITE_LOG"] = log
    if make is None:
        bindir = os.path.join(top, "bin")
        make = _wrapper(bindir)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    args = ["perl", "./run_make_tests.pl", "-make_path", make]
    if only:
        args += list(only)
    p = subprocess.run(args, cwd=tests, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout,
                       preexec_fn=_default_signals)
    with open(os.path.join(top, "output.txt"), "wb") as fh:
        fh.write(p.stdout)
    return load_run(top)


def load_run(top: str) -> Run:
    """The results a run_suite in TOP left behind."""
    tests = os.path.join(top, "tests")
    log = os.path.join(top, "cases.log")
    run = Run(output=_read(os.path.join(top, "output.txt")), workdir=tests)
    run.tests = parse_output(run.output)
    if os.path.exists(log):
        with open(log, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 5:
                    continue
                c = Case(parts[0], int(parts[1]), parts[2] == "1", parts[3] == "1",
                         os.path.join(tests, parts[4]))
                run.cases[f"{c.test}#{c.number}"] = c
    for c in run.cases.values():
        if not c.passed:
            c.klass = classify(c)
    return run


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def classify(c: Case) -> str:
    """The class of a failed case, from what the suite left behind."""
    log = _read(c.log)
    base = _read(re.sub(r"\.log(\.\d+)?$", r".base\1", c.log))
    if "Traceback (most recent call last)" in log:
        return "crash"
    if "Test timed out" in log:
        return "timeout"
    if "outside the make subset" in log:
        return "outside the subset"
    if "kbsim: warning: assumed" in log:
        return "recipe not simulated"
    if not c.status_ok and not base:
        return "exit status"
    if base:
        if sorted(base.splitlines()) == sorted(log.splitlines()):
            return "output order"
        return "output" + (" and exit status" if not c.status_ok else "")
    return "files or other check"


def compare(base: Run, kb: Run) -> list[tuple[str, Case | None, str]]:
    """Cases the real make passes and kbsim does not: (key, kbsim's case or None when
    kbsim never ran it, class)."""
    out = []
    for key, c in base.cases.items():
        if not c.passed:
            continue
        k = kb.cases.get(key)
        if k is None:
            test = key.split("#")[0]
            why = "not run (.FEATURES)" if kb.tests.get(test, 0) is None else "not run"
            out.append((key, None, why))
        elif not k.passed:
            out.append((key, k, k.klass))
    return sorted(out, key=lambda t: (t[0].split("#")[0], int(t[0].split("#")[1])))


def table(base: Run, kb: Run) -> str:
    """The per-directory table (markdown)."""
    rows = []
    fails = compare(base, kb)
    by_dir: dict[str, Counter] = {d: Counter() for d in DIRECTORIES}
    for key, c in base.cases.items():
        d = key.split("/")[0]
        if d not in by_dir:
            continue
        by_dir[d]["cases"] += 1
        by_dir[d]["make"] += c.passed
        k = kb.cases.get(key)
        by_dir[d]["kbsim"] += bool(c.passed and k is not None and k.passed)
    klasses: dict[str, Counter] = {d: Counter() for d in DIRECTORIES}
    for key, _, why in fails:
        d = key.split("/")[0]
        if d in klasses:
            klasses[d][why] += 1
    rows.append("| directory | cases | pass with make | pass with kbsim | % of make's | "
                "kbsim's failures by class |")
    rows.append("|---|---|---|---|---|---|")
    total = Counter()
    for d in DIRECTORIES:
        c = by_dir[d]
        total.update(c)
        pct = 100.0 * c["kbsim"] / c["make"] if c["make"] else 0.0
        why = ", ".join(f"{k} {v}" for k, v in klasses[d].most_common()) or "-"
        rows.append(f"| {d} | {c['cases']} | {c['make']} | {c['kbsim']} | {pct:.1f} | {why} |")
    pct = 100.0 * total["kbsim"] / total["make"] if total["make"] else 0.0
    rows.append(f"| **all** | {total['cases']} | {total['make']} | {total['kbsim']} | "
                f"{pct:.1f} | {len(fails)} |")
    return "\n".join(rows)


def restrict(run: Run, tests) -> Run:
    """RUN with only the cases of TESTS ('dir/name')."""
    keep = set(tests)
    out = Run(tests={t: v for t, v in run.tests.items() if t in keep},
              cases={k: c for k, c in run.cases.items() if c.test in keep},
              output=run.output, workdir=run.workdir)
    return out


def run_both(suite: str, only: list[str] | None = None, keep: str | None = None,
             make: str | None = None, reuse_make: str | None = None) -> tuple[Run, Run]:
    """The suite with the real make and with kbsim, side by side (two processes);
    REUSE_MAKE: the directory of an earlier run with the real make, taken instead."""
    make = make or shutil.which("make")
    top = keep or tempfile.mkdtemp(prefix="kbsim-make-suite-")
    results: dict[str, Run] = {}
    errors: list[BaseException] = []

    def go(name: str, prog: str | None) -> None:
        try:
            if name == "make" and reuse_make:
                results[name] = load_run(reuse_make)
                return
            results[name] = run_suite(suite, prog, os.path.join(top, name), only)
        except BaseException as e:  # (reported by the caller)
            errors.append(e)

    threads = [threading.Thread(target=go, args=("make", make)),
               threading.Thread(target=go, args=("kbsim", None))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        if errors:
            raise errors[0]
        return results["make"], results["kbsim"]
    finally:
        if keep is None:
            shutil.rmtree(top, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", help="the suite's directory (default: ../shared/...)")
    ap.add_argument("--only", help="comma-separated tests, e.g. features/escape")
    ap.add_argument("--keep", help="run in this directory and keep it")
    ap.add_argument("--cases", action="store_true", help="list every failing case")
    ap.add_argument("--reuse-make", metavar="DIR",
                    help="take the real make's results from DIR (a --keep run's make/)")
    a = ap.parse_args(argv)
    suite = find_suite(a.suite)
    if suite is None:
        print("gnu_make_suite: GNU make's test suite not found (set KBSIM_MAKE_SUITE)",
              file=sys.stderr)
        return 2
    only = a.only.split(",") if a.only else None
    base, kb = run_both(suite, only, a.keep, reuse_make=a.reuse_make)
    if only:
        base = restrict(base, only)
    print(table(base, kb))
    fails = compare(base, kb)
    if a.cases or len(fails) < 80:
        print()
        for key, _, why in fails:
            known = KNOWN_DIFFERENCES.get(key)
            print(f"{key}: {why}" + (f" (known: {known})" if known else ""))
    unknown = [key for key, _, _ in fails if key not in KNOWN_DIFFERENCES]
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
