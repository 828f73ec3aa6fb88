"""`kbsim capture`, `kbsim diagnose`, `kbsim aliases`: real build trees, read-only."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from ..report.capture_report import aliases_text, capture_summary, diagnosis_text
from .root import app
from .common import dump_json, warn
from .engine_opts import CacheDirOpt, NoCacheOpt

MAX_WARNINGS = 10


def _inside(path: str, top: str | None) -> bool:
    if not top:
        return False
    top = os.path.realpath(top).rstrip("/")
    return path == top or path.startswith(top + "/")


def _output_path(out: str | None, build_dir: str, srctree: str | None) -> str | None:
    """Where the capture goes (None: stdout). Never inside the build or source tree."""
    if out == "-":
        return None
    if out is None:
        base = os.path.basename(os.path.realpath(build_dir).rstrip("/")) or "capture"
        out = f"{base}.json.gz"
    p = Path(out)
    if p.is_dir():
        raise InputError(f"{out}: is a directory; give a file name such as tree.json.gz")
    parent = os.path.realpath(p.parent if str(p.parent) else ".")
    if not os.path.isdir(parent):
        raise InputError(f"{out}: directory {p.parent} does not exist")
    full = os.path.join(parent, p.name)
    for top, what in ((build_dir, "build"), (srctree, "source")):
        if _inside(full, top):
            raise InputError(f"{out}: inside the {what} tree {top}; kbsim never writes "
                             f"there (use -o with a path outside it)")
    return full


class _Progress:
    """Progress on stderr: a rich bar on a terminal, a line per finished stage otherwise."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.rich = None
        self.tasks: dict[str, int] = {}
        self.done_stages: set[str] = set()
        if not quiet and self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
            self.rich = Progress(TextColumn("kbsim capture: {task.description}"),
                                 BarColumn(), MofNCompleteColumn(),
                                 console=Console(stderr=True), transient=True)
            self.rich.start()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self.quiet:
            return
        if self.rich is not None:
            tid = self.tasks.get(stage)
            if tid is None:
                tid = self.tasks[stage] = self.rich.add_task(stage, total=total)
            self.rich.update(tid, completed=done, total=total)
            return
        if total is not None and done >= total and stage not in self.done_stages:
            self.done_stages.add(stage)
            print(f"kbsim: capture: {stage}: {total}", file=sys.stderr)

    def stop(self) -> None:
        if self.rich is not None:
            self.rich.stop()
            self.rich = None


def _report_warnings(cap, quiet: bool) -> None:
    if quiet:
        return
    for w in cap.warnings[:MAX_WARNINGS]:
        warn(w)
    if len(cap.warnings) > MAX_WARNINGS:
        warn(f"{len(cap.warnings) - MAX_WARNINGS} more warning(s) in the capture's "
             f"\"warnings\" list")
    if cap.partial:
        warn("partial capture: some files could not be read in full (see above); the rest "
             "was captured")


def _do_capture(build_dir: str, srctree: str | None, elf: bool | None, layout: str,
                quiet: bool, cache_dir: Optional[Path] = None, no_cache: bool = False):
    """capture(BUILD_DIR), with the capture cache of --cache-dir/--no-cache (the read
    cache's directory and rules, api/readcache.py: never inside the build directory)."""
    from ..api.readcache import ReadCacheFile
    from ..tree.capture import capture
    rc = ReadCacheFile(build_dir, cache_dir, no_cache, None, reads=build_dir)
    prog = _Progress(quiet)
    try:
        return capture(build_dir, srctree=srctree, elf=elf, layout=layout, progress=prog,
                       cache_dir=rc.dir, warn=rc.warn)
    finally:
        prog.stop()


def load_tree(arg: str, srctree: str | None = None, quiet: bool = False,
              cache_dir: Optional[Path] = None, no_cache: bool = False):
    """A CapturedTree from a build directory (captured now, in memory) or a capture file
    (a path or the name of a shipped capture)."""
    from ..tree.capture_format import load_capture
    from ..tree.captured import CapturedTree
    from ..tree.registry import resolve
    if os.path.isdir(arg):
        cap = _do_capture(arg, srctree, None, "inline", True, cache_dir, no_cache)
        _report_warnings(cap, quiet)
        return CapturedTree(cap)
    p = resolve(arg)
    if not (p.name.endswith(".json") or p.name.endswith(".json.gz")):
        raise InputError(f"{p}: not a capture (expected a build directory or a .json/.json.gz "
                         f"file written by kbsim capture)")
    return CapturedTree(load_capture(p))


@app.command("capture")
def capture_cmd(
    build_dir: str = typer.Argument(..., metavar="BUILD_DIR",
                                    help="A kbuild build directory (the O= directory, or the "
                                         "source tree of an in-tree build)."),
    srctree: Optional[str] = typer.Option(None, "--srctree", metavar="DIR",
                                          help="The source tree (default: the build dir's "
                                               "'source' symlink, read but not walked)."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="FILE",
                                         help="Where to write (gzip if it ends in .gz). "
                                              "Default: ./BASENAME.json.gz in the current "
                                              "directory; '-' for JSON on stdout. Never "
                                              "inside the build or source tree."),
    elf: Optional[bool] = typer.Option(None, "--elf/--no-elf",
                                       help="Read compiled exports and undefined symbols "
                                            "from objects with pyelftools (default: if "
                                            "installed)."),
    layout: str = typer.Option("table", "--layout",
                               help="How .cmd texts are stored: table (shared lines, "
                                    "compact) or inline (one string per file)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress, no summary."),
    cache_dir: Optional[Path] = CacheDirOpt,
    no_cache: bool = NoCacheOpt,
) -> None:
    """Capture a kbuild build tree read-only into a kbsim-capture JSON file (its format:
    docs/capture-format.md, `kbsim schema capture`)."""
    out = _output_path(output, build_dir, srctree)
    t0 = time.perf_counter()
    cap = _do_capture(build_dir, srctree, elf, layout, quiet, cache_dir, no_cache)
    if cap.srctree and out is not None and _inside(out, cap.srctree):
        raise InputError(f"{output}: inside the source tree {cap.srctree}; kbsim never writes "
                         f"there (use -o with a path outside it)")
    secs = time.perf_counter() - t0
    _report_warnings(cap, quiet)
    if out is None:
        from ..tree.capture_format import dump_capture
        sys.stdout.write(dump_capture(cap, pretty=True))
        size = None
    else:
        from ..tree.capture_format import write_capture
        size = write_capture(cap, out)
    if not quiet:
        # without -o the file goes to a default place: say which
        where = None if out is None else (output if output is not None else out)
        print("kbsim: " + capture_summary(cap, secs, where, size), file=sys.stderr)


@app.command("diagnose")
def diagnose_cmd(
    tree: str = typer.Argument(..., metavar="BUILD_DIR|CAPTURE",
                               help="A build directory (captured now, in memory) or a "
                                    "capture file."),
    symbols: list[str] = typer.Option(..., "--symbol", "-s", metavar="SYM",
                                      help="The symbol modpost reports undefined "
                                           "(repeatable)."),
    srctree: Optional[str] = typer.Option(None, "--srctree", metavar="DIR"),
    json_out: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No warnings on stderr."),
    cache_dir: Optional[Path] = CacheDirOpt,
    no_cache: bool = NoCacheOpt,
) -> None:
    """Why is SYM undefined (or not)? Exits 1 when a symbol shows a problem."""
    from ..tree.diagnose import diagnose
    ct = load_tree(tree, srctree, quiet, cache_dir, no_cache)
    ds = [diagnose(ct, s.strip()) for s in symbols if s.strip()]
    if not ds:
        raise InputError("--symbol: give a symbol name")
    if json_out:
        dump_json({"tree": tree, "build_dir": ct.cap.build_dir, "era": ct.cap.era.era,
                   "granularity": ct.cap.granularity.granularity,
                   "capture_partial": ct.cap.partial,
                   "diagnoses": [d.model_dump(mode="json") for d in ds]})
    else:
        sys.stdout.write("\n".join(diagnosis_text(d, tree) for d in ds))
        if ct.cap.partial:
            sys.stdout.write("(from a partial capture: some .cmd files or objects could not "
                             "be read; see the warnings)\n")
    raise typer.Exit(1 if any(d.problem for d in ds) else 0)


@app.command("aliases")
def aliases_cmd(
    tree: str = typer.Argument(..., metavar="BUILD_DIR|CAPTURE",
                               help="A build directory (captured now, in memory) or a "
                                    "capture file."),
    srctree: Optional[str] = typer.Option(None, "--srctree", metavar="DIR"),
    kind: Optional[str] = typer.Option(None, "--kind",
                                       help="Only files of this kind: ksym, config, header, "
                                            "source, target, other."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No warnings on stderr."),
    cache_dir: Optional[Path] = CacheDirOpt,
    no_cache: bool = NoCacheOpt,
) -> None:
    """Files that .cmd files name in more than one way, with the targets using each name."""
    from ..tree.aliases import find_aliases
    kinds = ("ksym", "config", "header", "source", "target", "other")
    if kind is not None and kind not in kinds:
        raise InputError(f"--kind {kind!r}: expected one of {', '.join(kinds)}")
    ct = load_tree(tree, srctree, quiet, cache_dir, no_cache)
    rep = find_aliases(ct)
    if kind is not None:
        rep.sets = [s for s in rep.sets if s.kind == kind]
    if json_out:
        dump_json(rep.model_dump(mode="json"))
    else:
        sys.stdout.write(aliases_text(rep))
