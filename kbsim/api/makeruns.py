"""``kbsim.make``: what GNU make 4.3 would print and do in a directory, without running
anything (the directory is only read). The result has the fields of ``kbsim make --json``.
"""

from __future__ import annotations

import base64
import os
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

from pydantic import Field, PrivateAttr

from ..errors import InputError
from .schema import Record

if TYPE_CHECKING:
    import networkx as nx


class Remade(Record):
    """A target whose recipe ran, with ``$?`` (``newer``) and the reason."""

    target: str
    newer: list[str]
    reason: str = Field(description="the reason's kind (kbsim.make.reasons)")
    explanation: str = Field(description="the decision in plain language")
    process: int


class MakeResult(Record):
    """What ``kbsim make --json`` reports: make's exit code, its output in order (stream,
    text) and by stream, the targets remade with ``$?`` and reasons, every decision,
    kbsim's warnings, and the files the run created, changed and removed."""

    exit_code: int
    remade: list[Remade]
    decisions: list[dict] = Field(description="every decision (kbsim.make.reasons "
                                              "DecisionModel as dicts), in order")
    warnings: list[str]
    output: list[tuple[str, str]] = Field(description="(\"stdout\"|\"stderr\", text) in "
                                                      "the order make wrote them")
    stdout: str
    stderr: str
    files: list[dict[str, Any]] = Field(description="what the run created, changed and "
                                                    "removed: path, type, mtime_ns, content "
                                                    "(UTF-8 text) or content_base64, assumed")

    _sim: Any = PrivateAttr(None)
    _run: Any = PrivateAttr(None)  # a BuildRun when traced
    _decisions: Any = PrivateAttr(None)  # the DecisionModels
    _again: Any = PrivateAttr(None)  # (goals) -> MakeResult: the same run, other goals

    def __repr__(self) -> str:
        names = ", ".join(r.target for r in self.remade[:5]) + \
            (f", +{len(self.remade) - 5}" if len(self.remade) > 5 else "")
        return (f"<kbsim.MakeResult exit {self.exit_code}: remade [{names}], "
                f"{len(self.files)} file change(s), {len(self.warnings)} warning(s)>")

    __str__ = __repr__

    def explain_lines(self) -> list[str]:
        """One line per decision: ``remade``/``kept  `` and why (``--explain``)."""
        from ..report.make_explain import explain as explain_decision
        return [f"{'remade' if d.remade else 'kept  '} {explain_decision(d)}"
                for d in self._decisions or []]

    def traced(self):
        if self._run is None:
            raise InputError("this make run was not traced: call kbsim.make(..., "
                             "trace=True) for its graph or an explanation")
        return self._run

    def graph(self, target: str | None = None) -> "nx.DiGraph":
        """The dependency graph of the run, as :meth:`ReplayResult.graph` (needs
        ``trace=True``)."""
        from .replays import graph_of
        return graph_of(self.traced(), target)


def file_changes(fs) -> list[dict]:
    """SimFS.changes() for JSON: content as UTF-8 text, or base64 when it is not."""
    out = []
    for c in fs.changes():
        e = {k: v for k, v in c.items() if k != "data"}
        if "data" in c:
            data = c["data"]
            if data is None:
                # a recipe kbsim does not model was assumed to write it (a warning
                # says so): the content is not known, and the change itself a guess
                e["content"] = None
                e["assumed"] = True
            else:
                try:
                    e["content"] = data.decode("utf-8")
                except UnicodeDecodeError:
                    e["content_base64"] = base64.b64encode(data).decode("ascii")
        out.append(e)
    return out


def make(directory: str | os.PathLike = ".", targets: Iterable[str] = (),
         options: Iterable[str] = (), *, granularity: str = "ns", now: str | int | None = None,
         recipe_ms: float = 1.0, env: dict[str, str] | None = None, record: bool = True,
         trace: bool = False, why: bool = False,
         echo: Callable[[str, str], None] | None = None) -> MakeResult:
    """Simulate ``make OPTIONS TARGETS`` in DIRECTORY (only read, never written).

    OPTIONS: make's own command-line options, read as GNU make 4.3 reads them (``-n``,
    ``-j4``, ``-f FILE``, ``-C DIR``, ``VAR=VALUE``, ...); TARGETS: goals. GRANULARITY:
    the timestamp granularity of new stamps; NOW: the simulated start, ``@SECONDS`` or
    ns since the epoch (default: the current time); RECIPE_MS: the simulated duration of
    each recipe line; ENV: the environment make imports (None: this process's, as make
    would; ``{}``: none); RECORD: keep every decision (``remade``, ``decisions``);
    TRACE: also record every event, for ``.graph()`` and :func:`kbsim.explain`; WHY:
    print GNU make 4.4's 'update target due to' lines (``--debug=why``); ECHO:
    called with (``"out"``|``"err"``, text) as make writes.

    A bad option is make's own answer (its usage on stderr, ``exit_code`` 2), as make
    would give it; bad kbsim input (a missing directory, a bad granularity or time)
    raises :class:`kbsim.InputError`."""
    from ..fs import Clock, GranularityError, parse_granularity, parse_time, real_fs
    from ..make import MakeError, Simulation
    from ..make.makeflags import options_from_environment
    from ..make.options import USAGE_TEXT, UsageError
    from ..make.sim import real_environment
    d = os.fspath(directory)
    if not os.path.isdir(d):
        raise InputError(f"{d}: not a directory")
    if isinstance(targets, str) or isinstance(options, str):
        raise InputError("targets and options are lists of words, not one string")
    argv = list(options) + list(targets)
    given_env = real_environment() if env is None else dict(env)
    environ = dict(given_env)
    try:
        # main.c: GNUMAKEFLAGS and MAKEFLAGS from the environment, then the command line
        opts, level = options_from_environment(argv, environ)
    except UsageError as e:
        # main.c decode_switches: getopt's complaint, then print_usage (on stdout for
        # -h, status 0; on stderr after a bad option, status 2)
        out = (("out", USAGE_TEXT) if e.status == 0 else
               ("err", f"make: {e.message}\n{USAGE_TEXT}"))
        return _early(out, e.status or 0, echo)
    except MakeError as e:
        return _early(("err", e.make_text() + "\n"), 2, echo)
    try:
        recipe_ns = int(float(recipe_ms) * 1_000_000)
        if recipe_ns < 0:
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"--recipe-ms {recipe_ms!r}: not a duration in ms") from None
    try:
        gran = parse_granularity(granularity)
    except GranularityError as e:
        raise InputError(str(e)) from None
    if now is None:
        start = time.time_ns()
    elif isinstance(now, int) and not isinstance(now, bool):
        start = now
    else:
        try:
            start = parse_time(str(now))
        except ValueError as e:
            raise InputError(f"--now {now!r}: {e}") from None
    fs = real_fs(Clock(start), gran)
    opts.recipe_ns = recipe_ns
    opts.debug_why = opts.debug_why or why
    sim = Simulation(fs, echo=echo, record=record or trace, trace=trace)
    if trace:
        from ..report.buildrun import _decide_hook
        _decide_hook(sim)
    if "GNUMAKEFLAGS" in environ:
        environ["GNUMAKEFLAGS"] = ""  # main.c: cleared once decoded
    cwd = os.path.abspath(d)
    try:
        status = sim.run(opts, cwd, environ, level)
    except MakeError as e:
        status = 2
        sim.write("err", e.make_text() + "\n")
    res = _result(sim, fs, status)
    if trace:
        from ..report.buildrun import BuildRun
        res._run = BuildRun("dir", d, fs, sim, cwd, status, start_ns=start,
                            make_stdout=sim.stdout(), make_stderr=sim.stderr())
        keep = list(options)

        def again(goals: list[str]) -> MakeResult:
            return make(directory, goals, keep, granularity=granularity, now=start,
                        recipe_ms=recipe_ms, env=given_env, trace=True, why=why)
        if not opts.goals:  # the makefile's default goal: explain() may name another
            res._again = again
    return res


def make_in_dir(directory: str, *, goals: list[str] | None = None,
                makefiles: list[str] | None = None, now_ns: int | None = None,
                granularity: str | None = None, jobs: int | None = None,
                env: dict[str, str] | None = None, watch=None) -> MakeResult:
    """make traced in DIRECTORY for the teaching commands (explain, graph, trace): a
    directory without a makefile, or a makefile make cannot read, is bad input here."""
    from ..report.buildrun import run_dir
    run = run_dir(directory, goals=goals, makefiles=makefiles, now_ns=now_ns,
                  granularity=granularity or "ns", jobs=jobs or 1, env=env, watch=watch)
    res = _result(run.sim, run.fs, run.exit_code)
    res._run = run

    def again(goals: list[str]) -> MakeResult:
        return make_in_dir(directory, goals=goals, makefiles=makefiles, now_ns=now_ns,
                           granularity=granularity, jobs=jobs, env=env, watch=watch)
    if not goals:  # the makefile's default goal: explain() may name another
        res._again = again
    return res


def _early(chunk: tuple[str, str], status: int, echo) -> MakeResult:
    """make stopped while reading its command line: only its own message."""
    stream, text = chunk
    if echo is not None:
        echo(stream, text)
    return MakeResult(exit_code=status, remade=[], decisions=[], warnings=[],
                      output=[("stdout" if stream == "out" else "stderr", text)],
                      stdout=text if stream == "out" else "",
                      stderr=text if stream == "err" else "", files=[])


def _result(sim, fs, status: int) -> MakeResult:
    from ..make.reasons import to_model
    from ..report.make_explain import explain as explain_decision
    decisions = [to_model(d) for p in sim.processes for d in p.decisions] if sim.record \
        else []
    res = MakeResult(
        exit_code=status,
        remade=[Remade(target=d.target, newer=d.newer, reason=d.reason.kind,
                       explanation=explain_decision(d), process=d.process)
                for d in decisions if d.remade and d.has_recipe],
        decisions=[d.model_dump() for d in decisions],
        warnings=list(sim.warnings) + list(fs.real_warnings),
        output=[("stdout" if s == "out" else "stderr", t) for s, t in sim.output],
        stdout=sim.stdout(), stderr=sim.stderr(), files=file_changes(fs))
    res._sim = sim
    res._decisions = decisions
    return res
