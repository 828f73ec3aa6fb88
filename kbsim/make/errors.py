"""Errors of the make model. Each carries the text GNU make would print, where it has one."""

from __future__ import annotations


class MakeError(Exception):
    """A fatal make error: GNU make prints ``make: *** MESSAGE.  Stop.`` and exits 2."""

    def __init__(self, message: str, floc: tuple[str, int] | None = None, status: int = 2):
        super().__init__(message)
        self.message = message
        self.floc = floc
        self.status = status

    def make_text(self, prog: str = "make") -> str:
        if self.floc:
            return f"{self.floc[0]}:{self.floc[1]}: *** {self.message}.  Stop."
        return f"{prog}: *** {self.message}.  Stop."


class UnsupportedSyntax(MakeError):
    """A construct outside kbsim's documented make subset (never silently misread)."""

    def __init__(self, construct: str, floc: tuple[str, int] | None = None):
        where = f"{floc[0]}:{floc[1]}: " if floc else ""
        super().__init__(f"{where}{construct} is outside the make subset kbsim models "
                         f"(see docs/make-subset.md)", None)
        self.construct = construct
        self.where = floc


class FatalInRecipe(MakeError):
    """``$(error ...)`` during recipe expansion."""
