"""The application as typer builds it: ``command()`` imports every command module (each
registers itself on ``root.app``), then gives the command list one-line summaries and
the options plain metavars.

A command module imports only what its options' help needs at the top; the layers a
command runs are imported inside it, so `kbsim --help` does not load the make engine."""

from __future__ import annotations

import inspect

import typer

from .root import app


def _one_line_summaries() -> None:
    """The command list shows each command's first paragraph, and typer keeps the line
    breaks of the docstring there: join them."""
    for info in app.registered_commands:
        if info.short_help is None and info.callback is not None:
            first = (inspect.getdoc(info.callback) or "").split("\n\n")[0]
            info.short_help = " ".join(first.split())


def _plain_help(group) -> None:
    """Help a person reads: no `<bool>` after a flag, no `<str>` or `<list[str]>` after a
    name that already says what it takes. typer 0.2x prints a type column, or the metavar
    when an option has one: give each option a plain metavar (a flag none)."""
    for cmd in list(getattr(group, "commands", {}).values()) + [group]:
        try:  # the params, with --help (click caches that option on the command)
            params = cmd.get_params(cmd.context_class(cmd))
        except Exception:  # pragma: no cover  (another click: the declared params)
            params = cmd.params
        for p in params:
            if getattr(p, "param_type_name", "") == "argument":
                if hasattr(p, "display_type_rich"):
                    p.display_type_rich = lambda ctx: None  # the metavar names it
                if hasattr(p, "_usage_display_name"):  # MODEL, not typer's {MODEL}
                    p._usage_display_name = _usage_name(p)
            elif getattr(p, "is_flag", False) or getattr(p, "is_bool_flag", False):
                p.metavar = ""  # a flag takes no value
            elif p.metavar is None:
                long = max((o for o in p.opts if o.startswith("--")), key=len, default="")
                p.metavar = long.lstrip("-").upper().replace("-", "_") or "VALUE"


def _usage_name(p):
    name = p.metavar or p.name.upper()
    text = (name if p.required else f"[{name}]") + ("..." if p.nargs != 1 else "")
    return lambda: text


# each command's name and the module that registers it (tests/test_cli_json.py checks
# this against what the modules register)
COMMANDS = {
    "capture": "capture_cmd", "diagnose": "capture_cmd", "aliases": "capture_cmd",
    "make": "make_cmd", "replay": "replay_cmd", "schema": "schema_cmd",
    "explain": "teach_cmd", "trace": "teach_cmd", "graph": "teach_cmd",
    "timeline": "teach_cmd", "whatif": "whatif_cmd",
}


def command(only: str | None = None):
    """The click command for the whole application, every subcommand registered; ONLY:
    a command's name (COMMANDS), when the command line runs that one: then only its
    module is imported and only it is built (typer builds each command from its
    function's signature: ~0.02 s for all eleven, with their modules' imports), and the
    command runs and says its help and errors as in the whole application."""
    import importlib
    mods = [COMMANDS[only]] if only in COMMANDS else sorted(set(COMMANDS.values()))
    for m in mods:
        importlib.import_module(f"{__package__}.{m}")
    # (in COMMANDS' order, whichever command of this process registered first)
    order = list(COMMANDS)
    app.registered_commands.sort(
        key=lambda i: order.index(i.name) if i.name in order else len(order))
    _one_line_summaries()
    group = typer.main.get_command(app)
    _plain_help(group)
    return group
