"""Teaching commands: `kbsim explain`, `kbsim trace`, `kbsim graph`, `kbsim timeline`.

Each takes a model (a shipped name such as lindroth-2018, a .toml model, or a captured
tree), replayed with tracing, or a real directory, in which `make` is simulated read-only.
Nothing is written except the output file the user names with -o.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from ..fs import GRANULARITY_HELP
from .common import dump_json, parse_now
from .engine_opts import CacheDirOpt, EngineOpt, NoCacheOpt, check_engine
from .progress import Activity
from .root import app

_SOURCE_HELP = ("A model file (.toml), a captured tree, the name of a shipped model such as "
                "lindroth-2018, a kernel build directory (captured read-only, its next make "
                "replayed), or another directory (make is simulated in it, read-only).")


def _open(source: str, *, seed, era, granularity, jobs, guard, normalise, makefile=None,
          goal=None, now=None, allow_dir=True, activity: Activity | None = None,
          engine=None, cache_dir=None, no_cache=False):
    """The API's traced result for SOURCE: a replay of a model, or make in a directory."""
    from ..api.makeruns import make_in_dir
    from ..api.replays import run_replay
    from ..make.sim import real_environment
    from ..tree.capture import is_build_dir
    # a kbuild build directory (without -f/--goal) is captured, read-only, and its next
    # make replayed, as `kbsim replay BUILD_DIR` does; any other directory: make in it
    is_dir = Path(source).is_dir() and not (is_build_dir(source) and not goal
                                            and not makefile)
    check_engine(engine)
    if is_dir and not allow_dir:
        raise InputError(f"{source}: is a directory; this command needs a model or a "
                         f"captured tree")
    if activity is not None:
        activity.stage(f"simulating make in {source}" if is_dir else
                       f"replaying {source} with tracing")
    watch = activity.watch if activity is not None else None
    if is_dir:
        return make_in_dir(source, goals=list(goal or []), makefiles=list(makefile or []),
                           now_ns=parse_now(now), granularity=granularity, jobs=jobs,
                           env=real_environment(), watch=watch)
    return run_replay(source, seed=seed, era=era, granularity=granularity, jobs=jobs,
                      guard=guard, normalise=normalise, engine=engine, trace=True,
                      cache_dir=cache_dir, no_cache=no_cache, watch=watch)


def check_output(path: str, suffixes: tuple[str, ...] | None = None) -> Path:
    """Refuse an output path that cannot be written, before any work is done."""
    p = Path(path)
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(f"{path}: the output must end in {' or '.join(suffixes)}")
    if p.is_dir():
        raise InputError(f"{path}: is a directory; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"cannot write {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise InputError(f"cannot write {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise InputError(f"cannot write {path}: permission denied")
    return p


def _write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror or e}") from None


# ---------------------------------------------------------------- explain
@app.command("explain")
def explain_cmd(
    source: str = typer.Argument(..., metavar="MODEL|TREE|DIR", help=_SOURCE_HELP),
    target: str = typer.Argument(..., metavar="TARGET",
                                 help="The target to explain, as make names it (relative to "
                                      "the tree; a unique file name such as usercopy_64.o "
                                      "is enough)."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", help="Replay seed (models)."),
    era: Optional[str] = typer.Option(None, "--era", help="Era profile (models)."),
    granularity: Optional[str] = typer.Option(None, "--granularity", "-g",
                                              help=GRANULARITY_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="make -j"),
    guard: Optional[bool] = typer.Option(None, "--guard/--no-guard",
                                         help="Force the adjust script's race guard."),
    normalise: Optional[str] = typer.Option(None, "--normalise",
                                            help="Dependency naming (models)."),
    makefile: list[str] = typer.Option([], "-f", "--file", metavar="FILE",
                                       help="Makefile to read (directories)."),
    goal: list[str] = typer.Option([], "--goal", metavar="GOAL",
                                   help="make goal (directories; default: the makefile's)."),
    now: Optional[str] = typer.Option(None, "--now", metavar="@SECONDS",
                                      help="Simulated start time (directories)."),
    check: bool = typer.Option(True, "--check/--no-check",
                               help="Apply the counterfactual in the simulation and report "
                                    "whether the target is then rebuilt."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    engine: Optional[str] = EngineOpt,
    cache_dir: Optional[Path] = CacheDirOpt,
    no_cache: bool = NoCacheOpt,
) -> None:
    """Why TARGET was (or was not) rebuilt: each decision make took about it, the
    prerequisite that decided, both mtimes and the comparison, the names that reach the
    same file, and the smallest change that would have made make rebuild it."""
    from ..api.explanations import explain_run
    from ..report.explain import render_text
    with Activity("explain") as act:
        res = _open(source, seed=seed, era=era, granularity=granularity, jobs=jobs,
                    guard=guard, normalise=normalise, makefile=makefile, goal=goal, now=now,
                    activity=act, engine=engine, cache_dir=cache_dir, no_cache=no_cache)
        ex, run = explain_run(res, target, check=check, stage=act.stage)
    if json_out:
        dump_json(ex.model_dump())
    else:
        sys.stdout.write(render_text(ex, run))


# ---------------------------------------------------------------- trace
@app.command("trace")
def trace_cmd(
    source: str = typer.Argument(..., metavar="MODEL|DIR", help=_SOURCE_HELP),
    fmt: str = typer.Option("kbsim", "--format", metavar="kbsim|make-why",
                            help="kbsim: every step narrated; make-why: GNU make 4.4's "
                                 "'update target due to' lines."),
    step: bool = typer.Option(False, "--step",
                              help="Wait for Enter after each step (c: run to the end, "
                                   "q: quit)."),
    only: Optional[str] = typer.Option(None, "--only", metavar="KIND,...",
                                       help="Only these kinds of steps: start, read, stat, "
                                            "lstat, readdir, decide, run, reexec, exit, "
                                            "compiled, adjust-start, touch, adjust-end, "
                                            "modpost."),
    grep: Optional[str] = typer.Option(None, "--grep", metavar="TEXT",
                                       help="Only steps whose line contains TEXT."),
    pass_no: Optional[int] = typer.Option(None, "--pass", metavar="N", min=1,
                                          help="Only steps of adjust pass N (models)."),
    everything: bool = typer.Option(False, "--all",
                                    help="Print a long trace to the terminal without "
                                         "asking first."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", help="Replay seed (models)."),
    era: Optional[str] = typer.Option(None, "--era", help="Era profile (models)."),
    granularity: Optional[str] = typer.Option(None, "--granularity", "-g",
                                              help=GRANULARITY_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="make -j"),
    guard: Optional[bool] = typer.Option(None, "--guard/--no-guard",
                                         help="Force the adjust script's race guard."),
    makefile: list[str] = typer.Option([], "-f", "--file", metavar="FILE",
                                       help="Makefile to read (directories)."),
    goal: list[str] = typer.Option([], "--goal", metavar="GOAL", help="make goal "
                                                                      "(directories)."),
    now: Optional[str] = typer.Option(None, "--now", metavar="@SECONDS",
                                      help="Simulated start time (directories)."),
    engine: Optional[str] = EngineOpt,
    cache_dir: Optional[Path] = CacheDirOpt,
    no_cache: bool = NoCacheOpt,
) -> None:
    """The build as a narrated sequence: each make process, stat, decision, recipe, each
    touch of the adjust loop, each exec and re-exec."""
    from ..report.trace import KINDS, narrate, step_through, why_lines
    if fmt not in ("kbsim", "make-why"):
        raise InputError(f"unknown format {fmt!r}; expected kbsim or make-why")
    kinds = None
    if only:
        kinds = [k.strip() for k in only.split(",") if k.strip()]
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise InputError(f"--only: unknown kind {bad[0]!r}; expected some of "
                             f"{', '.join(KINDS)}")
    with Activity("trace") as act:
        run = _open(source, seed=seed, era=era, granularity=granularity, jobs=jobs,
                    guard=guard, normalise=None, makefile=makefile, goal=goal, now=now,
                    activity=act, engine=engine, cache_dir=cache_dir,
                    no_cache=no_cache).traced()
    lines = (why_lines(run, grep) if fmt == "make-why" else
             narrate(run, kinds, grep, pass_no))
    out = sys.stdout
    if not (step or everything or kinds or grep or pass_no) and _terminal(out):
        lines = _before_flooding(lines)
    try:
        if step:
            def ask():
                ln = sys.stdin.readline()
                return None if ln == "" else ln

            def prompt(text):
                sys.stderr.write(text)
                sys.stderr.flush()
            step_through(lines, out, ask, prompt)
        else:
            for ln in lines:
                out.write(ln)
        out.flush()
    except BrokenPipeError:  # `kbsim trace ... | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        raise typer.Exit(0)


FLOOD_LINES = 2000  # more than this to a terminal, unfiltered: ask first


def _terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _before_flooding(lines):
    """A trace with no filter, to a terminal: when it runs past FLOOD_LINES (a replay of
    lindroth-2018 narrates ~300,000 steps, 31 MB), ask whether to page it, print it all,
    or stop, and say how to narrow it. Without a terminal to ask on, stop and say so."""
    head = list(itertools.islice(lines, FLOOD_LINES + 1))
    if len(head) <= FLOOD_LINES:
        return head
    hint = ("narrow it with --only KIND,..., --grep TEXT or --pass N, or pipe it "
            "(kbsim trace ... | less)")
    if not _terminal(sys.stdin):
        raise InputError(f"the trace is longer than {FLOOD_LINES:,} lines; {hint}, or "
                         f"give --all")
    sys.stderr.write(f"kbsim trace: more than {FLOOD_LINES:,} lines; {hint}.\n"
                     f"[p]age it, print [a]ll, or [q]uit? [p] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    rest = itertools.chain(head, lines)
    if answer in ("a", "all"):
        return rest
    if answer in ("q", "quit") or answer not in ("", "p", "page"):
        raise typer.Exit(0)
    import pydoc
    pydoc.pager("".join(rest))
    return []


# ---------------------------------------------------------------- graph
GRAPH_FORMATS = ("dot", "graphml", "json", "mermaid")


@app.command("graph")
def graph_cmd(
    source: str = typer.Argument(..., metavar="MODEL|TREE|DIR", help=_SOURCE_HELP),
    target: Optional[str] = typer.Argument(None, metavar="TARGET",
                                           help="Limit the graph to TARGET's ancestors and "
                                                "descendants."),
    fmt: str = typer.Option("dot", "--format", metavar="dot|graphml|json|mermaid",
                            help="Output format."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="FILE",
                                         help="Write to FILE instead of stdout."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", help="Replay seed (models)."),
    era: Optional[str] = typer.Option(None, "--era", help="Era profile (models)."),
    granularity: Optional[str] = typer.Option(None, "--granularity", "-g",
                                              help=GRANULARITY_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="make -j"),
    guard: Optional[bool] = typer.Option(None, "--guard/--no-guard",
                                         help="Force the adjust script's race guard."),
    makefile: list[str] = typer.Option([], "-f", "--file", metavar="FILE",
                                       help="Makefile to read (directories)."),
    goal: list[str] = typer.Option([], "--goal", metavar="GOAL", help="make goal "
                                                                      "(directories)."),
    now: Optional[str] = typer.Option(None, "--now", metavar="@SECONDS",
                                      help="Simulated start time (directories)."),
) -> None:
    """The dependency graph, each file coloured by its state (up to date, rebuilt, stale,
    missing), names of one file linked to a shared inode node."""
    from ..report import graph as gr
    if fmt not in GRAPH_FORMATS:
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(GRAPH_FORMATS)}")
    if output is not None:
        check_output(output)
    with Activity("graph") as act:
        res = _open(source, seed=seed, era=era, granularity=granularity, jobs=jobs,
                    guard=guard, normalise=None, makefile=makefile, goal=goal, now=now,
                    activity=act)
        act.stage("building the graph")
        G = res.graph(target)
        act.stage(f"writing {fmt}")
        text = gr.FORMATS[fmt](G)
    if fmt == "mermaid" and G.number_of_nodes() > 400:
        print(f"kbsim: warning: {G.number_of_nodes()} nodes; Mermaid renders poorly beyond "
              f"a few hundred (give a TARGET)", file=sys.stderr)
    if output is None:
        sys.stdout.write(text)
    else:
        _write_text(output, text)
        print(f"kbsim: wrote {output} ({G.number_of_nodes()} nodes, "
              f"{G.number_of_edges()} edges, {fmt})", file=sys.stderr)


# ---------------------------------------------------------------- timeline
@app.command("timeline")
def timeline_cmd(
    source: str = typer.Argument(..., metavar="MODEL|TREE", help="A model file (.toml), a "
                                 "captured tree, or the name of a shipped model."),
    output: str = typer.Option(..., "-o", "--output", metavar="FILE.png|FILE.svg",
                               help="Where to write the plot."),
    symbol: Optional[str] = typer.Option(None, "--symbol", metavar="SYM",
                                         help="The exported symbol to follow (default: the "
                                              "missing exports of the first stale object)."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", help="Replay seed."),
    era: Optional[str] = typer.Option(None, "--era", help="Era profile."),
    granularity: Optional[str] = typer.Option(None, "--granularity", "-g",
                                              help=GRANULARITY_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="make -j"),
    guard: Optional[bool] = typer.Option(None, "--guard/--no-guard",
                                         help="Force the adjust script's race guard."),
    normalise: Optional[str] = typer.Option(None, "--normalise", help="Dependency naming."),
) -> None:
    """Plot the mtimes of the files that decide one symbol's export over simulated time,
    with the filesystem's granularity ticks (needs the 'plot' extra: matplotlib)."""
    from ..report.timeline import plot_timeline, require_matplotlib
    require_matplotlib()
    check_output(output, (".png", ".svg"))
    with Activity("timeline") as act:
        run = _open(source, seed=seed, era=era, granularity=granularity, jobs=jobs,
                    guard=guard, normalise=normalise, allow_dir=False,
                    activity=act).traced()
        act.stage(f"plotting {output}")
        td = plot_timeline(run, output, symbol)
    print(f"kbsim: wrote {output} (symbols {', '.join(td.symbols)}; "
          f"{len(td.lanes)} files)", file=sys.stderr)
