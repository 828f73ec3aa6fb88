"""Layer 7: the typer application. Thin: it parses arguments and calls the layers above.

Nothing heavy is imported here: `kbsim --version` answers without typer, and the commands
(root.py, typer_app.py and the *_cmd.py modules) load the layers they run only when they run."""

from __future__ import annotations

import gc
import os
import sys

from .. import __version__
from ..errors import InputError


def __getattr__(name: str):
    if name == "app":  # the typer application, for those who embed it
        from .typer_app import command
        command()  # (every command registered on it)
        from .root import app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        print(f"kbsim {__version__}")
        sys.exit(0)
    pause = bool(args) and args[0] in ONE_REPLAY and gc.isenabled()
    if pause:
        owed = sys.modules.get("kbsim.make.gcpause")
        if owed is not None:  # (replays ran in this process: what they left, collected
            with owed.paused_gc(leaves_garbage=True):  # first when it is owed)
                pass
        gc.disable()
    try:
        _run(args)
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
    finally:
        if pause:  # (as make/gcpause.py paused_gc leaves it: the young moved to the old)
            gc.freeze()
            gc.unfreeze()
            gc.enable()


# the commands that run one replay, with the cyclic collector paused for the whole command
# (as make/gcpause.py pauses it, which is not imported here: `kbsim replay --help` loads
# no engine): the replay itself runs so already, and the imports, the building of the
# command and the result's validation make many containers and few cycles, for which the
# collector ran 0.01-0.03 s of a warm replay (2026-12-07)
ONE_REPLAY = frozenset(("replay", "explain", "trace", "graph", "timeline"))


def _run(args: list[str]) -> None:
    if args and args[0] == "replay":  # (a plain command line: without typer, quick.py)
        from .quick import replay_args, run_replay
        p = replay_args(args[1:])
        if p is not None:
            run_replay(p)
    from .typer_app import command
    # (the command named first: only its module is imported; see command())
    command(args[0] if args else None).main(args=args, prog_name="kbsim",
                                           standalone_mode=True)


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
    # the output is out; what finalizers of stopped workers' queues may say now (e.g. a
    # semaphore already removed) is not the user's business
    sys.unraisablehook = lambda unraisable: None
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
    # multiprocessing's resource tracker (started by spawned workers, e.g. Dask's) would
    # leave after us and linger unreaped: stop it and reap it now
    tracker = getattr(sys.modules.get("multiprocessing.resource_tracker"),
                      "_resource_tracker", None)
    stop = getattr(tracker, "_stop", None)
    if stop is not None:
        try:
            # first: a queue finalizer running from here on (in any thread) would start
            # a new tracker, with our stderr, to unregister a semaphore it never saw,
            # and that one prints a KeyError traceback
            tracker.ensure_running = lambda: None
            stop()
        except Exception:  # noqa: BLE001  (a private helper of another version)
            pass
    _reap_orphans()


def _reap_orphans(within_s: float = 1.0) -> None:
    """Reap what is left: the orphans a whatif adopted (runner.adopt_orphans), e.g. a
    Dask worker process whose nanny was stopped. Waits at most WITHIN_S for those
    still on their way out; a process with no children returns at once."""
    import time
    end = time.monotonic() + within_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no children at all
            return
        except OSError:  # pragma: no cover
            return
        if pid == 0:  # children left, none finished yet
            if time.monotonic() >= end:
                return
            time.sleep(0.01)
