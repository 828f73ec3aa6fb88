"""Layer 7: the typer application. Thin: it parses arguments and calls the layers above."""

from __future__ import annotations

import inspect
import os
import sys

import typer

from .. import __version__
from ..errors import InputError

app = typer.Typer(
    name="kbsim",
    help="Simulate how GNU make 4.3 and Linux kbuild decide what to rebuild.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kbsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """kbsim: simulate GNU make and kbuild rebuild decisions on a simulated filesystem."""


from . import capture_cmd, make_cmd, replay_cmd, schema_cmd, teach_cmd, whatif_cmd  # noqa: E402,F401  (registers commands)


def _one_line_summaries() -> None:
    """The command list shows each command's first paragraph, and typer keeps the line
    breaks of the docstring there: join them."""
    for info in app.registered_commands:
        if info.short_help is None and info.callback is not None:
            first = (inspect.getdoc(info.callback) or "").split("\n\n")[0]
            info.short_help = " ".join(first.split())


_one_line_summaries()


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, prog_name="kbsim", standalone_mode=True)
    except InputError as e:
        print(f"kbsim: error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("kbsim: interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # an internal error: still one line unless asked
        if os.environ.get("KBSIM_DEBUG"):
            raise
        print(f"kbsim: internal error: {type(e).__name__}: {e} "
              f"(set KBSIM_DEBUG=1 for a traceback)", file=sys.stderr)
        sys.exit(3)


def run() -> None:
    """The console script: main(), then leave without tearing down the object graph.

    A replay keeps a few million small objects alive; freeing them one by one at
    interpreter exit costs about a second on lindroth-2018 and more on a real tree, for
    nothing. Output is flushed first; only the process entry points use this (tests call
    main())."""
    code = 0
    try:
        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # a closed pipe (kbsim ... | head): as Python would, quietly
        pass
    _stop_children()
    os._exit(code)


def _stop_children() -> None:
    """Worker processes left behind (a what-if sweep stopped by an error shuts its pool
    down without waiting): os._exit skips the atexit hook that would reap them, and an
    orphaned worker keeps our stdout open, so a caller reading it would wait for ever."""
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return
    children = mp.active_children()
    for p in children:
        p.terminate()
    for p in children:
        p.join(2)
