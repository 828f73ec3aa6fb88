"""The typer application object (`app`) and its root options. Each command module registers its
command on ``app`` when it is imported (typer_app.command() imports them all); this
module imports none of them, so the imports run one way: typer_app -> *_cmd -> root."""

from __future__ import annotations

import typer

from .. import __version__

app = typer.Typer(
    name="kbsim",
    help="Simulate how GNU make 4.3 and Linux kbuild decide what to rebuild.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kbsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """kbsim: simulate GNU make and kbuild rebuild decisions on a simulated filesystem."""
