"""A sign of life on stderr while a teaching command works (issue 15, item 6).

`explain`, `graph` and `timeline` replay the whole model with tracing before they can
say anything: seconds of CPU, more on a loaded machine. On a terminal, a one-line rich
status shows the stage, what the simulated build has done so far (make processes run,
objects compiled, the adjust pass) and the elapsed time; it is erased when the command
prints. Elsewhere (a pipe, a log) nothing is shown."""

from __future__ import annotations

import sys
import time


class Activity:
    """``with Activity("explain") as act:`` ... ``act.stage("checking")``. Pass
    ``act.watch`` as the replay's setup hook to show the build's own progress."""

    def __init__(self, command: str, enabled: bool | None = None):
        self.command = command
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.what = "starting"
        self.sim = None
        self.runtime = None
        self.t0 = time.monotonic()
        self.live = None

    # ------------------------------------------------------------------ hooks
    def watch(self, sim, runtime=None):
        """The replay's setup hook: keep the simulation (and kbuild's runtime) to read
        their counters. Returns None: the simulation is not replaced."""
        self.sim, self.runtime = sim, runtime
        return None

    def stage(self, what: str) -> None:
        self.what = what

    # ------------------------------------------------------------------ display
    def line(self) -> str:
        parts = [f"kbsim {self.command}: {self.what}"]
        sim, rt = self.sim, self.runtime
        if sim is not None:
            parts.append(f"{len(sim.processes):,} make processes")
        if rt is not None:
            compiles = rt.compiles
            parts.append(f"{len(compiles):,} compiles")
            if rt.adjusts:
                parts.append(f"adjust pass {len(rt.adjusts)}")
        parts.append(f"{time.monotonic() - self.t0:.0f} s")
        return ", ".join(parts)

    def __rich__(self):
        from rich.text import Text
        return Text(self.line())

    def __enter__(self) -> "Activity":
        if self.enabled:
            from rich.console import Console
            from rich.live import Live
            self.live = Live(self, console=Console(stderr=True), transient=True,
                             refresh_per_second=4)
            self.live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
