"""Tree models: hand-written scenario files (TOML) validated by pydantic.

A model names its directories in build order, their objects (source, headers, CONFIG
references, exported symbols, compile time), the modules (member objects, the symbols they
need), and how to build: era, filesystem granularity, -j, seed. A ``[synthetic]`` table adds
a seeded bulk of ordinary directories, objects and modules for realistic timing, so a model
stays short while the tree is kernel-sized. ``kbsim schema`` prints the JSON Schema.
"""

from __future__ import annotations

import posixpath
import random
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InputError
from ..fs import parse_granularity, parse_time
from ..kbuild.eras import ERAS
from ..kbuild.naming import names_code
from ..kbuild.spec import MS, BuildSpec, DirSpec, ModuleSpec, ObjectSpec, Timing
from .groups import infer_group

FORMAT = "kbsim-model/1"
Group = Literal["init", "core", "drivers", "net", "libs", "virt"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BuildModel(_M):
    era: str = Field("e1", description="Era profile: " + ", ".join(ERAS))
    granularity: str = Field("1s", description="Filesystem timestamps: ns, jiffy[:HZ], 1s, 2s, "
                                               "multigrain[:HZ]")
    jobs: int = Field(8, ge=1, description="make -j")
    seed: int = Field(0, description="Default seed (compile-time jitter, start phase)")
    guard: bool | None = Field(None, description="Force the adjust script's race guard on "
                                                 "or off (default: as the era had it)")
    normalise: str | None = Field(None, description="Dependency naming: a built-in name or a "
                                                   "sed expression (default: the era's); "
                                                   "never python:MOD:FUNC (security.md)")
    start: str = Field("@1520958000", description="Build start, @SECONDS (UTC)")
    start_phase: bool = Field(True, description="Add a seeded fraction of a second to the "
                                                "start (the phase against 1 s boundaries)")
    modversions: bool = Field(False, description="CONFIG_MODVERSIONS (adds module_layout)")
    whitelist: list[str] = Field(default_factory=list,
                                 description="CONFIG_UNUSED_KSYMS_WHITELIST (v5.7+)")
    clock_skew_ms: float = Field(0, description="Offset of the clock stamping the adjust "
                                                "step's touches (NFS)")
    stat_cache: Literal["per-make", "shared"] = Field(
        "per-make", description="per-make: each make process caches stats (real make); "
                                "shared: a what-if (see docs)")

    @field_validator("era")
    @classmethod
    def _era(cls, v: str) -> str:
        if v not in ERAS:
            raise ValueError(f"unknown era {v!r}; expected one of {', '.join(ERAS)}")
        return v

    @field_validator("normalise")
    @classmethod
    def _normalise(cls, v: str | None) -> str | None:
        if names_code(v):
            raise ValueError(f"{v!r} names Python code, which a model file may not run; pass "
                             f"--normalise {v} on the command line to run your own function")
        return v

    @field_validator("granularity")
    @classmethod
    def _gran(cls, v: str) -> str:
        parse_granularity(v)
        return v

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        parse_time(v)
        return v


class TimingModel(_M):
    jitter: float = Field(0.2, ge=0, lt=1, description="Compile times vary by +/- this "
                                                       "fraction (seeded per object and pass)")
    touch_ms: float = Field(1.0, ge=0, description="One dirname+mkdir+touch in the adjust "
                                                   "script")
    guard_touch_ms: float = Field(0.5, ge=0, description="One more touch of the race guard")
    make_startup_ms: float = Field(15, ge=0, description="A directory sub-make reading its "
                                                        "makefiles")
    top_startup_ms: float = Field(150, ge=0, description="The top-level make (and re-execs)")
    adjust_startup_ms: float = Field(40, ge=0, description="The adjust script before its "
                                                          "first touch")
    archive_ms: float = Field(20, ge=0, description="ar of built-in/lib.a, module link")
    link_ms: float = Field(2000, ge=0, description="Linking vmlinux")
    modfile_ms: float = Field(5, ge=0, description="Writing a module's .mod file")
    modpost_ms: float = Field(1000, ge=0, description="modpost")
    recipe_ms: float = Field(1, ge=0, description="Any other recipe line (':' included)")


def tree_relative(v: str) -> str:
    """A path a model names inside the tree: relative, and never above the tree's top (a
    model is data from anywhere; `directory = "../../etc"` would name a place outside the
    simulated tree, which no real kbuild tree has)."""
    if v.startswith("/"):
        raise ValueError(f"{v!r} is an absolute path; a model names paths relative to the "
                         f"tree's top")
    if ".." in v.split("/"):
        raise ValueError(f"{v!r} reaches outside the tree ('..'); a model names paths "
                         f"inside it")
    if not v.strip("/."):
        raise ValueError(f"{v!r} is empty; name a path inside the tree")
    return v


class HeaderModel(_M):
    path: str = Field(description="Header path relative to the tree")
    configs: list[str] = Field(default_factory=list, description="CONFIG_ names it uses")

    _path = field_validator("path")(tree_relative)


class ObjectModel(_M):
    name: str = Field(description="Object file name in its directory, e.g. usercopy_64.o")
    source: str | None = Field(None, description="Source file name (default NAME.c)")
    headers: list[str] = Field(default_factory=list)
    configs: list[str] = Field(default_factory=list, description="CONFIG_ names the source "
                                                                 "uses")
    exports: list[str] = Field(default_factory=list, description="EXPORT_SYMBOL()s in "
                                                                 "source order")
    undefined: list[str] = Field(default_factory=list, description="Symbols it references")
    compile_ms: float | None = Field(None, ge=0)
    kind: Literal["y", "lib", "m"] | None = Field(None, description="obj-y, lib-y or a "
                                                                     "module part")

    _paths = field_validator("name", "source")(lambda v: v if v is None else tree_relative(v))


class DirectoryModel(_M):
    path: str = Field(description="Directory path, e.g. arch/x86/lib")
    group: Group | None = Field(None, description="Top-level build group (inferred from "
                                                  "the path when absent)")
    kind: Literal["y", "lib"] = Field("y", description="Default kind of its objects")
    compile_ms: float = Field(500, ge=0, description="Default compile time")
    headers: list[str] = Field(default_factory=list, description="Headers every object here "
                                                                 "includes")
    objects: list[ObjectModel | str] = Field(default_factory=list,
                                             description="Its objects (a string: a name alone)")

    _path = field_validator("path")(tree_relative)

    @field_validator("objects")
    @classmethod
    def _objects(cls, v: list) -> list:
        for o in v:
            if isinstance(o, str):
                tree_relative(o)
        return v


class ModuleModel(_M):
    name: str = Field(description="Module path, e.g. drivers/media/v4l2-core/videodev.ko")
    objects: list[str] = Field(default_factory=list, description="Member object paths "
                                                                 "(default: NAME.o alone)")
    needs: list[str] = Field(default_factory=list, description="Symbols it needs from "
                                                               "vmlinux or other modules")
    exports: list[str] = Field(default_factory=list, description="Symbols it exports")
    compile_ms: float | None = Field(None, ge=0)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return tree_relative(v)

    @field_validator("objects")
    @classmethod
    def _objects(cls, v: list[str]) -> list[str]:
        for o in v:
            tree_relative(o)
        return v


class SyntheticModel(_M):
    seed: int = Field(1, description="Seed of the generator (independent of build.seed)")
    directories: int = Field(0, ge=0, description="How many directories")
    objects: int = Field(0, ge=0, description="How many objects, spread over them")
    headers: int = Field(0, ge=0, description="How many shared headers")
    headers_per_object: tuple[int, int] = Field((5, 30), description="Headers per object "
                                                                     "(min, max)")
    configs: int = Field(0, ge=0, description="How many CONFIG options")
    configs_per_object: tuple[int, int] = Field((0, 3), description="CONFIG refs per "
                                                                    "object (min, max)")
    exported_symbols: int = Field(0, ge=0, description="Exports spread over the objects")
    modules: int = Field(0, ge=0, description="How many modules")
    needs_per_module: tuple[int, int] = Field((2, 12), description="Symbols each module "
                                                                   "needs (min, max)")
    compile_ms: tuple[float, float] = Field((150.0, 1500.0), description="Compile time "
                                                                         "range")
    groups: dict[str, float] = Field(default_factory=lambda: {
        "core": 0.3, "drivers": 0.5, "net": 0.15, "libs": 0.05},
        description="Share of directories per build group")


class TreeModel(_M):
    format: Literal["kbsim-model/1"] = Field(FORMAT, description="Format version")
    name: str = Field(description="Model name (shown in reports)")
    description: str = Field("", description="One line about what it models")
    build: BuildModel = Field(default_factory=BuildModel, description="How to build: [build]")
    timing: TimingModel = Field(default_factory=TimingModel,
                                description="Durations of the simulated steps: [timing]")
    headers: list[HeaderModel] = Field(default_factory=list,
                                       description="Headers and their CONFIG references")
    directories: list[DirectoryModel] = Field(default_factory=list,
                                              description="Directories in build order")
    modules: list[ModuleModel] = Field(default_factory=list, description="Loadable modules")
    synthetic: SyntheticModel | None = Field(None, description="A seeded bulk of ordinary "
                                                               "tree: [synthetic]")


def _user_loc(loc: tuple) -> str:
    """Where in the file, as the user wrote it: pydantic puts the branch of a union it
    tried into the location (``objects.0.ObjectModel.name``, ``objects.0.str``); those are
    our class and type names, not the file's keys, so they are left out."""
    keys = [x for x in loc if not (isinstance(x, str) and _INTERNAL_LOC.match(x))]
    return ".".join(str(x) for x in keys)


_INTERNAL_LOC = re.compile(r"^([A-Z]\w*Model|str|int|float|bool|list\[.*|dict\[.*|tuple\[.*"
                           r"|function-\w+\[.*|literal\[.*|none)$")


def _pretty_error(e: ValidationError, where: str) -> str:
    errs = e.errors()
    locs = [_user_loc(x["loc"]) for x in errs]
    # a union's other branch fails at the same place, one level up: not another mistake
    real = [i for i, a in enumerate(locs)
            if not any(b != a and b.startswith(a + ".") for b in locs)]
    first = errs[real[0]]
    more = f" (and {len(real) - 1} more)" if len(real) > 1 else ""
    # a validator's own words, without pydantic's "Value error, " in front
    msg = str(first["ctx"]["error"]) if first["type"] == "value_error" else first["msg"]
    return f"{where}: {locs[real[0]]}: {msg}{more}"


def load_model(path: str | Path) -> TreeModel:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: no such model file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{p}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{p}: not valid TOML: {e}") from None
    try:
        return TreeModel.model_validate(data)
    except ValidationError as e:
        raise InputError(_pretty_error(e, str(p))) from None


# ---------------------------------------------------------------------- synthetic bulk
_STEMS = ["alloc", "free", "init", "exit", "register", "unregister", "get", "put", "read",
          "write", "lock", "unlock", "probe", "remove", "create", "destroy", "open", "close",
          "start", "stop", "reset", "enable", "disable", "map", "unmap", "copy", "clear",
          "set", "find", "add", "del", "queue", "wake", "wait", "sync", "flush", "dump"]
_NOUNS = ["page", "buffer", "device", "driver", "irq", "dma", "skb", "inode", "dentry", "bio",
          "request", "queue", "timer", "work", "node", "table", "entry", "ops", "pci", "usb",
          "netdev", "sock", "file", "mutex", "spin", "rcu", "list", "rb", "hash", "crypto"]
_PREFIX = ["", "", "", "", "", "", "_", "__", "__", "___"]


def _symbol(rng: random.Random, used: set[str]) -> str:
    while True:
        s = (rng.choice(_PREFIX) + rng.choice(_NOUNS) + "_" + rng.choice(_STEMS)
             + rng.choice(["", "", "_" + rng.choice(_NOUNS), str(rng.randrange(64))]))
        if s not in used:
            used.add(s)
            return s


_DIRS = {"core": ["kernel", "mm", "fs", "ipc", "security", "crypto", "block", "arch/x86/kernel",
                  "arch/x86/mm", "kernel/sched", "kernel/time", "fs/ext4", "fs/proc"],
         "drivers": ["drivers/base", "drivers/pci", "drivers/usb/core", "drivers/net/ethernet",
                     "drivers/gpu/drm", "drivers/scsi", "drivers/ata", "drivers/tty",
                     "drivers/char", "drivers/input", "drivers/media", "drivers/hid",
                     "drivers/block", "drivers/md", "drivers/acpi", "sound/core"],
         "net": ["net/core", "net/ipv4", "net/ipv6", "net/netfilter", "net/sched",
                 "net/unix", "net/packet"],
         "libs": ["lib", "lib/crypto", "lib/zlib_inflate"],
         "init": ["init"], "virt": ["virt/lib"]}


def expand_synthetic(m: TreeModel) -> tuple[list[DirectoryModel], list[HeaderModel],
                                             list[ModuleModel]]:
    """The seeded bulk a [synthetic] table asks for (deterministic for a given model)."""
    s = m.synthetic
    if s is None:
        return [], [], []
    rng = random.Random(f"synthetic:{s.seed}")
    used = {x for d in m.directories for o in d.objects if not isinstance(o, str)
            for x in o.exports}
    headers = [HeaderModel(path=f"include/linux/h{i:04d}.h",
                           configs=[f"SYN_{rng.randrange(max(1, s.configs))}"
                                    for _ in range(rng.randint(0, 2))] if s.configs else [])
               for i in range(s.headers)]
    groups = list(s.groups.items())
    total = sum(w for _, w in groups) or 1
    dirs: list[DirectoryModel] = []
    counts: dict[str, int] = {}
    for i in range(s.directories):
        r = rng.random() * total
        for g, w in groups:
            r -= w
            if r <= 0:
                break
        base = rng.choice(_DIRS.get(g, ["kernel"]))
        counts[base] = counts.get(base, 0) + 1
        dirs.append(DirectoryModel(path=f"{base}/syn{counts[base]:02d}", group=g,
                                   kind="lib" if g == "libs" and rng.random() < 0.5 else "y"))
    objs_per_dir = [0] * len(dirs)
    for k in range(s.objects):
        objs_per_dir[rng.randrange(len(dirs)) if dirs else 0] += 1
    all_objs: list[ObjectModel] = []
    header_paths = [h.path for h in headers]  # (the population of every sample below)
    for d, n in zip(dirs, objs_per_dir):
        for j in range(n):
            hs = rng.sample(header_paths,
                            min(len(headers), rng.randint(*s.headers_per_object)))
            cs = [f"SYN_{rng.randrange(s.configs)}" for _ in
                  range(rng.randint(*s.configs_per_object))] if s.configs else []
            o = ObjectModel(name=f"f{j:03d}.o", headers=sorted(hs), configs=cs,
                            compile_ms=round(rng.uniform(*s.compile_ms), 1))
            d.objects.append(o)
            all_objs.append(o)
    exported: list[str] = []
    for _ in range(s.exported_symbols):
        if not all_objs:
            break
        sym = _symbol(rng, used)
        rng.choice(all_objs).exports.append(sym)
        exported.append(sym)
    modules: list[ModuleModel] = []
    mod_dirs = [d for d in dirs if d.group in ("drivers", "net", "core")] or dirs
    for i in range(s.modules):
        d = rng.choice(mod_dirs)
        needs = rng.sample(exported, min(len(exported), rng.randint(*s.needs_per_module)))
        name = f"{d.path}/mod{i:03d}.ko"
        modules.append(ModuleModel(name=name, needs=needs,
                                   compile_ms=round(rng.uniform(*s.compile_ms), 1)))
    return dirs, headers, modules


# ---------------------------------------------------------------------- to a BuildSpec
def to_spec(m: TreeModel) -> BuildSpec:
    syn_dirs, syn_headers, syn_modules = expand_synthetic(m)
    headers: dict[str, list[str]] = {}
    for h in list(m.headers) + syn_headers:
        headers[h.path] = list(h.configs)
    b = m.build
    seen: dict[str, str] = {}
    dirs: list[DirSpec] = []
    # explicit directories keep their place; synthetic ones come first within each group
    explicit_paths = {d.path for d in m.directories}
    for d in syn_dirs + list(m.directories):
        if d.path in explicit_paths and d in syn_dirs:
            continue
        group = d.group or infer_group(d.path)
        ds = DirSpec(d.path.rstrip("/"), group)
        for o in d.objects:
            om = ObjectModel(name=o) if isinstance(o, str) else o
            path = f"{ds.path}/{om.name}"
            if not om.name.endswith(".o"):
                raise InputError(f"model {m.name}: object {path!r} must end in .o")
            if path in seen:
                raise InputError(f"model {m.name}: duplicate object {path!r}")
            seen[path] = ds.path
            src = om.source or om.name[:-2] + ".c"
            hs = list(dict.fromkeys(list(d.headers) + list(om.headers)))
            for h in hs:
                headers.setdefault(h, [])
            ds.objects.append(ObjectSpec(
                path, f"{ds.path}/{src}", hs, list(om.configs), list(om.exports),
                list(om.undefined), int((om.compile_ms if om.compile_ms is not None
                                         else d.compile_ms) * MS), om.kind or d.kind))
        dirs.append(ds)
    by_path = {ds.path: ds for ds in dirs}
    modules: list[ModuleSpec] = []
    mod_names: set[str] = set()
    for mm in list(m.modules) + syn_modules:
        if not mm.name.endswith(".ko"):
            raise InputError(f"model {m.name}: module {mm.name!r} must end in .ko")
        if mm.name in mod_names:
            raise InputError(f"model {m.name}: duplicate module {mm.name!r}")
        mod_names.add(mm.name)
        mdir = posixpath.dirname(mm.name)
        mobj = mm.name[:-3] + ".o"
        members = list(mm.objects) or [mobj]
        ds = by_path.get(mdir)
        if ds is None:
            ds = DirSpec(mdir, infer_group(mdir))
            dirs.append(ds)
            by_path[mdir] = ds
        for k, p in enumerate(members):
            if posixpath.dirname(p) != mdir:
                raise InputError(f"model {m.name}: module {mm.name} member {p!r} is not in "
                                 f"{mdir}/ (kbsim models one directory per module)")
            if p in seen and seen[p] != "module":
                raise InputError(f"model {m.name}: object {p!r} is both built in and part "
                                 f"of module {mm.name}")
            if p not in seen:
                seen[p] = "module"
                ds.objects.append(ObjectSpec(
                    p, p[:-2] + ".c", [], [], list(mm.exports) if k == 0 else [],
                    list(mm.needs) if k == 0 else [],
                    int((mm.compile_ms if mm.compile_ms is not None else 500) * MS), "m"))
            else:
                for o in ds.objects:
                    if o.path == p and k == 0:
                        o.undefined = list(dict.fromkeys(o.undefined + mm.needs))
                        o.exports = list(dict.fromkeys(o.exports + mm.exports))
        modules.append(ModuleSpec(mm.name, members))
    t = m.timing
    timing = Timing(jitter=t.jitter, touch_ns=int(t.touch_ms * MS),
                    guard_touch_ns=int(t.guard_touch_ms * MS),
                    make_startup_ns=int(t.make_startup_ms * MS),
                    top_startup_ns=int(t.top_startup_ms * MS),
                    adjust_startup_ns=int(t.adjust_startup_ms * MS),
                    archive_ns=int(t.archive_ms * MS), link_ns=int(t.link_ms * MS),
                    modfile_ns=int(t.modfile_ms * MS), modpost_ns=int(t.modpost_ms * MS),
                    recipe_ns=int(t.recipe_ms * MS))
    return BuildSpec(name=m.name, era=b.era, dirs=dirs, headers=headers, modules=modules,
                     granularity=b.granularity, jobs=b.jobs, seed=b.seed, guard=b.guard,
                     naming=b.normalise, start_ns=parse_time(b.start),
                     start_phase=b.start_phase, timing=timing, whitelist=list(b.whitelist),
                     modversions=b.modversions, clock_skew_ns=int(b.clock_skew_ms * MS),
                     stat_cache=b.stat_cache, description=m.description)


def model_format_doc() -> str:
    """docs/model-format.md, generated from these models (tests keep the file in sync)."""
    def table(m) -> list[str]:
        out = ["| field | type | default | meaning |", "|---|---|---|---|"]
        for name, f in m.model_fields.items():
            ann = f.annotation
            t = getattr(ann, "__name__", None) or str(ann).replace("typing.", "")
            t = t.replace("kbsim.tree.model.", "")
            if f.default_factory is not None:
                d = f.default_factory()
                d = "see below" if isinstance(d, BaseModel) else repr(d)
            elif f.is_required():
                d = "required"
            else:
                d = repr(f.default)
            out.append(f"| `{name}` | `{t}` | `{d}` | {f.description or ''} |")
        return out

    doc = ["# Tree model format (`kbsim-model/1`)", "",
           "A model is a TOML file describing a kernel tree and how it is built. "
           "`kbsim replay MODEL` builds it from clean through the simulated make; "
           "`kbsim schema model` prints the JSON Schema. This page is generated from the "
           "pydantic models in `kbsim/tree/model.py` (`model_format_doc()`).", "",
           "Unknown keys are errors: the message names the file and the field. Objects are "
           "named by their file name inside their directory, modules by their path "
           "(`dir/name.ko`); a module's members sit in its directory. Directories are "
           "listed in build order; the era decides the order of the top-level groups "
           "(4.x: init core drivers net libs virt; 6.1: libs before drivers).", ""]
    for title, m in (("Top level", TreeModel), ("[build]", BuildModel),
                     ("[timing] (milliseconds)", TimingModel), ("[[headers]]", HeaderModel),
                     ("[[directories]]", DirectoryModel),
                     ("Entries of a directory's objects = [...]", ObjectModel),
                     ("[[modules]]", ModuleModel), ("[synthetic]", SyntheticModel)):
        doc += [f"## {title}", ""] + table(m) + [""]
    doc += ["## The synthetic bulk", "",
            "A seeded generator adds ordinary directories (before the explicit ones of the "
            "same group), objects with random headers and CONFIG references, exported "
            "symbols spread over them, and modules needing random subsets of those exports. "
            "The same seed always gives the same tree. `lindroth-2018` uses it to reach the "
            "size of the 2018 configuration (about 1,840 objects and 1,880 needed symbols) "
            "while its explicit part follows the report.", ""]
    return "\n".join(doc)
