"""`make` for GNU make's test suite, played by kbsim (tests/gnu_make_suite.py).

Runs ``kbsim make --json ARGS...``, writes the simulation's output to stdout and stderr
in the order make would have written it, applies the files the simulated run created,
changed and removed (the JSON's ``files``: kbsim itself never writes into the tree it
reads), and exits with make's status. The suite's tests then look at the output and at
those files as they would after a real make.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys


def apply(files: list[dict]) -> None:
    """Replay kbsim's file changes on the real filesystem, in the order listed:
    removals first, then entries parents first; mtimes last (a write stamps its
    directory, and a file written after being stamped would lose its stamp)."""
    stamps = []
    for f in files:
        if f.get("assumed"):
            continue  # (a guess of kbsim's, which its warning names: not applied)
        path, change, kind = f["path"], f["change"], f["type"]
        if change == "removed" or (change == "created" and os.path.lexists(path)
                                   and not os.path.isdir(path) and kind == "directory"):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)
            if change == "removed":
                continue
        if kind == "directory":
            os.makedirs(path, exist_ok=True)
        elif kind == "symlink":
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(f["target"], path)
            continue
        else:
            if "content_base64" in f:
                data = base64.b64decode(f["content_base64"])
            elif f.get("content") is not None:
                data = f["content"].encode("utf-8", "surrogateescape")
            elif change == "created":
                data = b""
            else:
                data = None  # only re-stamped
            if data is not None:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                with open(path, "wb") as fh:
                    fh.write(data)
        stamps.append((path, f["mtime_ns"]))
    for path, ns in reversed(stamps):
        try:
            os.utime(path, ns=(ns, ns), follow_symlinks=False)
        except OSError:
            pass


def main(argv: list[str]) -> int:
    kbsim = os.environ.get("KBSIM_SUITE_KBSIM")
    cmd = kbsim.split() if kbsim else [sys.executable, "-m", "kbsim"]
    p = subprocess.run([*cmd, "make", "--json", *argv], stdout=subprocess.PIPE)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        # (kbsim refused the command line itself: its own message went to stderr)
        sys.stdout.buffer.write(p.stdout)
        return p.returncode
    out, err = sys.stdout.buffer, sys.stderr.buffer
    last = None
    write_error = False
    for stream, text in doc.get("output", []):
        f = out if stream == "stdout" else err
        try:
            if last is not None and last is not f and not (last is out and write_error):
                last.flush()
            if not (f is out and write_error):
                f.write(text.encode("utf-8", "surrogateescape"))
        except OSError:
            if last is not out and f is not out:
                raise
            write_error = True  # (stdout is full: what is left of it is dropped)
        last = f
    try:
        if not write_error:
            out.flush()
    except OSError:
        write_error = True
    if write_error:
        # (nothing more goes to the failed stdout, and Python's own flush at exit
        # must not fail again)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    err.flush()
    for w in doc.get("warnings", []):
        err.write(f"kbsim: warning: {w}\n".encode("utf-8", "surrogateescape"))
    if write_error:
        # output.c close_stdout, as `kbsim make` itself does without --json
        err.write(b"make: write error: stdout\n")
    err.flush()
    apply(doc.get("files", []))
    return 1 if write_error else int(doc["exit_code"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
