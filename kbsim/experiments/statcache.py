"""stat_cache what-ifs: make's per-name stat cache outliving the adjust step.

GNU make stats a file-table entry once (``remake.c f_mtime`` behind the ``file_mtime``
macro) and stats it again only after that entry's own recipe ran
(``notice_finished_file``). The table is keyed by the name string (``file.c
lookup_file``), so ``d///x.h`` and ``d/x.h`` are two entries (reference V14). Real kbuild
never lets that cache see an adjust step: ``adjust_autoksyms.sh`` ends with ``exec make``,
and each descent is a new ``$(MAKE)`` process with an empty table.

The what-if (docs/whatif.md gives the full definition):

- ``per-make``: what make does. Nothing here is installed.
- ``shared``: every make process of one build consults and fills ONE table keyed by
  (cwd, name), as if the whole build, adjust step included, were one make process that
  re-reads its makefiles (the ``.cmd`` files, so new ``$(wildcard)`` deps appear) but
  keeps its stat cache. A name's first stat in a process returns the table's value if any
  process stat'ed it before; a second stat of a name in the same process is make's re-stat
  after that entry's recipe ran, so it reads the disk and refreshes the table. The adjust
  step's touches are recipes of targets named as the script spells them, so exactly that
  spelling is re-stat'ed after each touch; other spellings of the same inode keep what
  they had.
- ``shared-norestat``: the same table, but the touches happen behind make's back (a
  script that is not a make recipe), so no name is refreshed by them.

``$(wildcard)``, reading makefiles and the kbuild commands' own file accesses are not
cached by make and are not cached here.
"""

from __future__ import annotations

from ..make.sim import Simulation


class SharedStatTable:
    """The one (cwd, name) -> mtime table of a build under stat_cache=shared."""

    def __init__(self, fs, refresh_on_touch: bool):
        self.fs = fs
        self.refresh_on_touch = refresh_on_touch
        self.table: dict[tuple[str | None, str], int | None] = {}
        self.hits = 0  # stats answered from the table
        self.refreshes = 0  # adjust-step touches re-stat'ed by name

    def on_touch(self, ctx, path: str) -> None:
        """KbuildRuntime.on_touch: make re-stats the target it just ran the touch for."""
        if self.refresh_on_touch:
            self.table[(ctx.cwd, path)] = self.fs.mtime(path, ctx.cwd)
            self.refreshes += 1


class _ProcessView:
    """What one make process sees as its filesystem: everything is passed through except
    ``mtime`` (the stat behind make's file_mtime), which goes through the shared table."""

    def __init__(self, fs, shared: SharedStatTable):
        self._fs = fs
        self._shared = shared
        self._seen: set[tuple[str | None, str]] = set()

    def __getattr__(self, name):
        v = getattr(self._fs, name)
        if callable(v):  # bound methods are stable; plain attributes (ints) are not
            self.__dict__[name] = v
        return v

    def mtime(self, path: str, cwd: str | None = None) -> int | None:
        key = (cwd, path)
        table = self._shared.table
        if key in self._seen or key not in table:
            # first stat anywhere, or this process re-stats after the entry's recipe ran
            self._seen.add(key)
            m = self._fs.mtime(path, cwd)
            table[key] = m
            return m
        self._seen.add(key)
        self._shared.hits += 1
        return table[key]


class SharedStatSimulation(Simulation):
    """A Simulation whose make processes each get a _ProcessView over one shared table."""

    shared: SharedStatTable | None = None

    @property  # type: ignore[override]
    def fs(self):
        if self.shared is None:
            return self._real_fs
        return _ProcessView(self._real_fs, self.shared)

    @fs.setter
    def fs(self, value) -> None:
        self._real_fs = value


def install(sim: Simulation, rt, mode: str) -> Simulation:
    """Replace SIM (as built by kbuild.replay) by one that shares make's stat cache."""
    if mode == "per-make":
        return sim
    new = SharedStatSimulation(sim._real_fs if isinstance(sim, SharedStatSimulation)
                               else sim.fs, record=sim.record, trace=sim.tracing,
                               echo=sim.echo)
    new.shared = SharedStatTable(new._real_fs, refresh_on_touch=(mode == "shared"))
    rt.register(new.shell)
    rt.on_touch = new.shared.on_touch
    return new
