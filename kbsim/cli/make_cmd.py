"""`kbsim make`: what GNU make 4.3 would do in a directory, without running anything."""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from ..fs import GRANULARITY_HELP
from .typer_app import app
from .common import check_decodable, dump_json, load_real, warn


@app.command("make", context_settings={"allow_interspersed_args": True})
def make_cmd(
    args: Optional[list[str]] = typer.Argument(
        None, metavar="TARGET|VAR=VALUE", help="Goals and command-line variables."),
    directory: list[str] = typer.Option([], "-C", "--directory", metavar="DIR",
                                        help="Change to DIR before reading makefiles."),
    makefile: list[str] = typer.Option([], "-f", "--file", metavar="FILE",
                                       help="Read FILE as the makefile."),
    just_print: bool = typer.Option(False, "-n", "--just-print", "--dry-run",
                                    help="Print the recipes that would run (+/$(MAKE) lines "
                                         "still run)."),
    question: bool = typer.Option(False, "-q", "--question",
                                  help="Run nothing; exit 0 if up to date, 1 if not, 2 on "
                                       "error."),
    what_if: list[str] = typer.Option([], "-W", "--what-if", metavar="FILE",
                                      help="Pretend FILE is infinitely new."),
    old_file: list[str] = typer.Option([], "-o", "--old-file", metavar="FILE",
                                       help="Pretend FILE is very old; never remake it."),
    always_make: bool = typer.Option(False, "-B", "--always-make",
                                     help="Remake every target that has a recipe."),
    keep_going: bool = typer.Option(False, "-k", "--keep-going",
                                    help="Keep going after errors."),
    touch: bool = typer.Option(False, "-t", "--touch", help="Touch targets instead."),
    silent: bool = typer.Option(False, "-s", "--silent", help="Do not echo recipes."),
    ignore_errors: bool = typer.Option(False, "-i", "--ignore-errors",
                                       help="Ignore errors from recipes."),
    env_overrides: bool = typer.Option(False, "-e", "--environment-overrides",
                                       help="Environment variables override makefiles."),
    print_directory: bool = typer.Option(False, "-w", "--print-directory",
                                         help="Print the current directory."),
    include_dir: list[str] = typer.Option([], "-I", "--include-dir", metavar="DIR",
                                          help="Accepted (passed down in MAKEFLAGS); "
                                               "included makefiles are not searched in "
                                               "DIR."),
    trace: bool = typer.Option(False, "--trace", help="Print why each target is remade "
                                                       "and its recipe (GNU make 4.3)."),
    jobs: int = typer.Option(1, "-j", "--jobs", min=1, help="Job slots (the jobserver)."),
    no_builtin_rules: bool = typer.Option(False, "-r", "--no-builtin-rules",
                                          help="Accepted: kbsim never has built-in rules."),
    no_builtin_vars: bool = typer.Option(False, "-R", "--no-builtin-variables",
                                         help="Accepted: kbsim never has built-in "
                                              "variables."),
    no_print_directory: bool = typer.Option(False, "--no-print-directory",
                                            help="As make's option."),
    granularity: str = typer.Option("ns", "--granularity", "-g",
                                    help=f"Timestamp granularity of new stamps: "
                                         f"{GRANULARITY_HELP}."),
    now: Optional[str] = typer.Option(None, "--now", metavar="@SECONDS",
                                      help="Start the simulated clock here (default: the "
                                           "current time, as a real make run would)."),
    recipe_ms: float = typer.Option(1.0, "--recipe-ms", min=0.0,
                                    help="Simulated duration of each recipe line, in ms."),
    explain: bool = typer.Option(False, "--explain",
                                 help="After make's output, say why each target was or was "
                                      "not remade."),
    why: bool = typer.Option(False, "--why",
                             help="Print GNU make 4.4's 'update target due to' lines."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    use_env: bool = typer.Option(True, "--env/--no-env",
                                 help="Import the environment as make variables, as make "
                                      "does."),
) -> None:
    """Simulate `make` in a real directory. The directory is only read, never written.

    Prints what GNU make 4.3 would print (the recipe lines in order, its messages) and
    exits with make's exit code. Recipes are simulated as effects on an in-memory copy of
    the tree: touch, echo, cp, rm, mkdir, sub-makes; any other command is assumed to write
    its target (a warning says so).
    """
    from ..make import MakeError, MakeOptions, Simulation
    from ..make.options import _ASSIGN
    from ..make.reasons import to_model
    from ..make.sim import real_environment
    from ..report.make_explain import explain as explain_decision
    goals, variables = [], []
    for a in args or []:
        m = _ASSIGN.match(a)
        if m:
            variables.append((m.group(1), m.group(2), m.group(3)))
        else:
            goals.append(a)
    opts = MakeOptions(directories=list(directory), makefiles=list(makefile), goals=goals,
                       variables=variables, just_print=just_print, question=question,
                       touch=touch, always_make=always_make, keep_going=keep_going,
                       silent=silent, what_if=list(what_if), old_files=list(old_file),
                       ignore_errors=ignore_errors, environment_overrides=env_overrides,
                       no_builtin_rules=no_builtin_rules or no_builtin_vars,
                       no_builtin_variables=no_builtin_vars, include_dirs=list(include_dir),
                       jobs=jobs, trace=trace,
                       print_directory=(False if no_print_directory else
                                        True if print_directory else None),
                       debug_why=why, recipe_ns=int(recipe_ms * 1_000_000))
    fs = load_real(now, granularity)
    cwd = os.getcwd()
    echo = None
    if not json_out:
        def echo(stream: str, text: str) -> None:
            (sys.stdout if stream == "out" else sys.stderr).write(text)
    sim = Simulation(fs, echo=echo, record=json_out or explain)
    env = real_environment() if use_env else {}
    try:
        status = sim.run(opts, cwd, env)
    except MakeError as e:
        status = 2
        sim.write("err", e.make_text() + "\n")
    target_dir = cwd
    for d in directory:
        target_dir = os.path.join(target_dir, d)
    check_decodable(fs, target_dir)
    decisions = ([to_model(d) for p in sim.processes for d in p.decisions]
                 if json_out or explain else [])
    warnings = list(sim.warnings) + list(fs.real_warnings)
    if json_out:
        dump_json({
            "exit_code": status,
            "remade": [{"target": d.target, "newer": d.newer, "reason": d.reason.kind,
                        "explanation": explain_decision(d), "process": d.process}
                       for d in decisions if d.remade and d.has_recipe],
            "decisions": [d.model_dump() for d in decisions],
            "warnings": warnings,
            "stdout": sim.stdout(),
            "stderr": sim.stderr(),
        })
    else:
        if explain:
            sys.stdout.write("-- kbsim: why --\n")
            for d in decisions:
                mark = "remade" if d.remade else "kept  "
                sys.stdout.write(f"{mark} {explain_decision(d)}\n")
        for w in warnings:
            warn(w)
    raise typer.Exit(status)
