"""What the kbuild layer builds: a plain description of a kernel tree and how to build it.

The tree layer turns model files (TOML) and captured trees into a BuildSpec; the kbuild
layer never reads files itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .naming import refuse_code

MS = 1_000_000
NS = 1_000_000_000


@dataclass
class ObjectSpec:
    path: str  # "arch/x86/lib/usercopy_64.o"
    source: str  # "arch/x86/lib/usercopy_64.c"
    headers: list[str] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)  # CONFIG_ names (without CONFIG_)
    exports: list[str] = field(default_factory=list)  # EXPORT_SYMBOL()s, in source order
    undefined: list[str] = field(default_factory=list)  # symbols it references
    compile_ns: int = 500 * MS
    kind: str = "y"  # "y" built-in, "lib" lib-y, "m" module member
    command: str | None = None  # the saved command line (captured trees); None: kbsim's


@dataclass
class DirSpec:
    path: str
    group: str  # init core drivers net libs virt
    objects: list[ObjectSpec] = field(default_factory=list)


@dataclass
class ModuleSpec:
    name: str  # "drivers/media/v4l2-core/videodev.ko"
    objects: list[str]  # member object paths (a single one may be the module object)


@dataclass
class Timing:
    jitter: float = 0.2  # compile durations vary by +/- this fraction, seeded per object
    touch_ns: int = 2 * MS  # one dirname+mkdir+touch in adjust_autoksyms.sh
    guard_touch_ns: int = 1 * MS  # one extra touch of the race guard loop
    make_startup_ns: int = 15 * MS  # a sub-make parsing its makefiles
    top_startup_ns: int = 150 * MS  # the top-level make (and each re-exec)
    adjust_startup_ns: int = 40 * MS  # adjust_autoksyms.sh up to its first touch
    archive_ns: int = 20 * MS  # ar of a built-in.o / lib.a
    link_ns: int = 2 * NS  # linking vmlinux
    modfile_ns: int = 5 * MS  # writing a .mod file
    modpost_ns: int = 1 * NS
    recipe_ns: int = 1 * MS  # any other recipe line (e.g. the ':' of an up-to-date object)


@dataclass
class BuildSpec:
    name: str
    era: str
    dirs: list[DirSpec]
    headers: dict[str, list[str]]  # header path -> CONFIG_ names it references
    modules: list[ModuleSpec] = field(default_factory=list)
    granularity: str = "1s"
    # how that granularity was decided (a capture: from which stamps, filesystem, kernel)
    granularity_evidence: str = ""
    jobs: int = 8
    seed: int = 0
    guard: bool | None = None  # None: the era decides
    naming: str | None = None  # None: the era's naming
    start_ns: int = 1_520_958_000 * NS  # 2018-03-13 16:20 UTC
    start_phase: bool = True  # add a seeded fraction of a second to the start
    timing: Timing = field(default_factory=Timing)
    whitelist: list[str] = field(default_factory=list)
    modversions: bool = False
    clock_skew_ns: int = 0  # the adjust step's touches are stamped this much off
    stat_cache: str = "per-make"  # or "shared" (what-if: see kbuild/replay.py)
    description: str = ""
    root: str = "/linux"  # where the tree sits in the simulated filesystem
    # A tree that is not built from clean: path -> (mtime_ns or None if absent, content or
    # None for an empty file). Written after the layout, so they win over its defaults.
    initial_files: dict[str, tuple[int | None, bytes | None]] | None = None
    now_ns: int | None = None  # when the next make starts (captured trees)
    # Captured trees: take each saved cmd_ line as the current command line (kbsim does not
    # evaluate the real makefiles that would produce it), so only a missing one counts.
    trust_saved_commands: bool = False
    # The tree's own file formats where they differ from the era profile's model release
    # (eras.FORMAT_FIELDS, e.g. {"cmd_prefix": "savedcmd_"} for a v6.3 tree of era e5);
    # captured trees fill it from what their files show.
    formats: dict[str, object] = field(default_factory=dict)
    # A captured tree's targets as kbuild's rules hold them (kbuild/treegraph.TreeGraph):
    # the replay then lays out the era's stages after the compiles (archives, modpost,
    # the vmlinux link, the modules' final link) instead of the model layout.
    tree: object | None = None
    # compile targets of the tree outside spec.dirs (.mod.o, boot objects, ...)
    tree_objects: list[ObjectSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        # the spec is what a model file or a capture says: data, never code (security.md)
        refuse_code(self.naming, f"model {self.name!r}")

    def objects(self):
        for d in self.dirs:
            yield from d.objects
