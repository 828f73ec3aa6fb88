"""``kbsim.explain``: why a target was (or was not) rebuilt, as a structured record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

from ..errors import InputError

if TYPE_CHECKING:
    from ..report.explain import Explanation
    from .makeruns import MakeResult
    from .replays import ReplayResult


def __getattr__(name: str):
    if name == "Explanation":  # the report layer's pydantic model, re-exported
        from ..report.explain import Explanation
        return Explanation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def explain(result: Union["ReplayResult", "MakeResult"], target: str, *,
            check: bool = True) -> "Explanation":
    """Why TARGET was (or was not) rebuilt in RESULT (from :func:`kbsim.replay` or
    :func:`kbsim.make` with ``trace=True``): every decision make took about it
    (``decisions``, each with the prerequisites it saw), the verdict, the names that reach
    the same file (``aliases``), and the smallest change that would have rebuilt it
    (``counterfactual``); CHECK: apply that change in the simulation and say whether the
    target is then rebuilt (``check``).

    TARGET is a name as make knows it, relative to the tree; a unique file name such as
    ``usercopy_64.o`` is enough. In a make run whose goals do not reach TARGET, make is
    simulated again with TARGET as the goal (``why`` says so). Raises
    :class:`kbsim.InputError` for a target the build never names."""
    return explain_run(result, target, check=check)[0]


def explain_run(result, target: str, *, check: bool = True, stage=None):
    """explain(), and the traced run the explanation is about (the CLI renders both).
    STAGE(text), if given, is told what is being done (a progress display)."""
    from ..report.explain import explain_target
    from .makeruns import MakeResult
    from .replays import ReplayResult
    if not isinstance(result, (ReplayResult, MakeResult)):
        raise InputError(f"explain: expected the result of kbsim.replay or kbsim.make, "
                         f"not {type(result).__name__}")
    run = result.traced()
    if stage is not None:
        stage(f"explaining {target}" + (" (checking the counterfactual)" if check else ""))
    ex = explain_target(run, target, check=check)
    again = getattr(result, "_again", None)
    if (ex.verdict == "not considered" and isinstance(result, MakeResult)
            and again is not None):
        run = again([ex.target]).traced()
        if stage is not None:
            stage(f"explaining {ex.target}")
        ex = explain_target(run, ex.target, check=check)
        ex.why = (f"(simulated as `make {ex.target}`: the default goal does not reach "
                  f"it) " + ex.why)
    return ex, run
