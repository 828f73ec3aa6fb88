"""The captured-tree format ``kbsim-capture/6``: pydantic models, reading, writing, and the
bridges to replay (:func:`to_spec`, :func:`initial_files`, :func:`load_capture_spec`).

A capture is one JSON document (gzip-compressed when the file name ends in ``.gz``)
written by ``kbsim capture BUILD_DIR``: the raw text of every ``.cmd`` file, the mtime
(``st_mtime_ns``) of every file those name, present or absent, the kbuild state files
(autoksyms.h, auto.conf, modules.order, ``.mod``, ``.usyms``), the exports compiled into
the objects that matter and the modules' undefined symbols, plus what kbsim inferred: the
era and the timestamp granularity. ``kbsim schema capture`` prints the JSON Schema;
docs/capture-format.md is generated from these models (:func:`capture_format_doc`).

Paths: a file inside the build directory is keyed by its path relative to the build
directory (``include/ksym/__put_user_8``); any other file by its absolute path (sources of
an ``O=`` build, as the ``.cmd`` files name them). ``mtimes`` is keyed by the canonical path
(the kernel's path resolution: repeated '/', '.', '..', symlinks); ``names`` maps every
spelling a ``.cmd`` file uses that differs from its canonical key.

Versioning: ``format`` is ``kbsim-capture/N``. A reader accepts N up to its own version and
refuses newer ones with a message naming the file; fields are only ever added with a new N.
Version 2 added each ``.cmd`` file's scanned structure (``cmd_files[].scan``, written and
read by scanstore.py), so loading need not scan ~28 MB of ``.cmd`` text again; version-1
files are still read, their texts scanned as before. Version 3 added the kernel release
(``kernel_release``: include/config/kernel.release) and, for the granularity, the
filesystem of the build directory and the release of the kernel the capture ran on.
Version 4 added the prerequisites the source tree's directory makefiles declare for the
captured targets (``makefile_prereqs``); from version 4 ``mtimes`` also holds every
regular file of the build directory. Version 5 added what decides the content of the
filechk targets (``filechk``: their texts, the source Makefile's version, the localversion
files, whether the source tree is a git work tree, the capture's environment). Version 6
added the objtool exemptions of the source tree's directory makefiles (``objtool_exempt``:
their ``OBJECT_FILES_NON_STANDARD`` lines), which decide which objects of a v5.x tree
depend on tools/objtool/objtool; a capture before 6 has them read from the source tree at
replay time, where it still is.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError,
                      field_validator)

from ..errors import InputError
from ..fs import parse_granularity
from ..kbuild.eras import ERAS

FORMAT_NAME = "kbsim-capture"
FORMAT_VERSION = 6
FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"
READABLE = frozenset(f"{FORMAT_NAME}/{n}" for n in range(1, FORMAT_VERSION + 1))


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextFile(_M):
    """A small text file of the build tree, captured whole."""

    path: str = Field(description="Path relative to the build directory")
    mtime_ns: int | None = Field(None, description="st_mtime_ns; null if it could not be "
                                                   "read")
    text: str | None = Field(None, description="The content (UTF-8; undecodable bytes "
                                               "replaced, and said so in error)")
    error: str | None = Field(None, description="Why the text is missing or incomplete")


class FilechkFacts(_M):
    """Format 5: what decides the text of the filechk targets (scripts/Kbuild.include
    ``filechk``: each make regenerates them and writes only a changed text), read-only from
    the build directory, the source tree it points to and the capture's environment;
    kbsim/tree/filechk.py turns them into a verdict per target."""

    texts: dict[str, str] = Field(default_factory=dict, description="Filechk target "
                                  "(relative to the build directory) -> its current text")
    offsets: dict[str, str] = Field(default_factory=dict, description="Filechk target of "
                                    "'filechk offsets' -> the text that rule makes of its "
                                    "current .s file")
    version: dict[str, str] = Field(default_factory=dict, description="VERSION, PATCHLEVEL, "
                                    "SUBLEVEL, EXTRAVERSION of the source tree's Makefile")
    localversion: dict[str, str] = Field(default_factory=dict, description="localversion* "
                                         "files of the build directory (relative) and of "
                                         "the source tree (absolute) -> their text")
    git: bool | None = Field(None, description="The source tree is the top of a git work "
                                               "tree (has .git); null if not known")
    scmversion: str | None = Field(None, description="The source tree's .scmversion (read "
                                                     "by setlocalversion up to v6.2)")
    package_h: bool = Field(False, description="The source Makefile has a filechk_package.h "
                                               "rule (Debian)")
    version_h_major: bool = Field(False, description="The source Makefile's filechk_version.h "
                                                     "writes LINUX_VERSION_MAJOR (v5.14+) "
                                                     "besides the version code")
    mtimes: dict[str, int | None] = Field(default_factory=dict, description="Source-tree "
                                          "inputs of a generator -> st_mtime_ns "
                                          "(kernel/time/timeconst.bc)")
    env: dict[str, str | None] = Field(default_factory=dict, description="The capture's "
                                       "environment: KBUILD_BUILD_USER, KBUILD_BUILD_HOST, "
                                       "LOCALVERSION, ... (null: unset), and 'whoami' and "
                                       "'uname -n' (the user and host names)")


class ObjtoolRules(_M):
    """Format 6: one directory makefile's ``OBJECT_FILES_NON_STANDARD`` lines (up to v5.18
    scripts/Makefile.build gives each kernel object the prerequisite tools/objtool/objtool
    unless they exempt it; linkgraph.objtool_exemptions reads them)."""

    whole: bool = Field(False, description="OBJECT_FILES_NON_STANDARD := y: objtool skips "
                                           "every object of the directory")
    objects: dict[str, bool] = Field(default_factory=dict, description="Object name as the "
                                     "line writes it ($(BITS) kept) -> y (true: skipped) or "
                                     "n (false: checked), from OBJECT_FILES_NON_STANDARD_"
                                     "NAME := y|n; wins over whole")


class CmdScan(_M):
    """Where the parts of one table-layout ``.cmd`` entry are (format 2), as kbsim's
    scanner read them, counted in pieces: the elements of its ``lines`` (the writer splits
    runs so that each part starts and ends on a piece boundary). Written only for files
    the scanner read in fixdep's strict layout, and only when it reads back identically;
    other entries (and inline-layout ones) are scanned from their text."""

    target: str | None = Field(None, description="The target; null: the entry's subst")
    command: int | None = Field(None, description="Piece (one line) of the cmd_ or savedcmd_ "
                                                  "assignment that counts (the last): the "
                                                  "command is its value after ' := ', "
                                                  "stripped, with $$ and $(pound) unescaped; "
                                                  "null: no command")
    source: int | None = Field(None, description="Piece (one line) of the source_ "
                                                 "assignment: the source is its value, "
                                                 "stripped")
    deps: tuple[int, int] | None = Field(
        None, description="[first, n]: the deps_ list is the words of pieces first.."
                          "first+n-1 (its continuation lines, after the assignment line "
                          "through the first line without a final backslash), each line "
                          "without that backslash; the words inside $(wildcard ...) are "
                          "wildcard names")
    ksymdeps: tuple[int, int] | None = Field(None, description="The ksymdeps_ list, as deps")
    extra: list[int] | None = Field(None, description="Pieces (one line each) of "
                                                      "'T: $(wildcard X)' rules: each X is "
                                                      "an extra prerequisite")
    problems: list[str] | None = Field(None, description="The scanner's problems with the "
                                                         "file (signs it was cut short)")


class CmdEntry(_M):
    """One ``.cmd`` file."""

    path: str = Field(description="The .cmd file, relative to the build directory")
    mtime_ns: int | None = Field(None, description="Its st_mtime_ns")
    text: str | None = Field(None, description="Raw text (inline layout)")
    lines: list[int | tuple[int, int]] | None = Field(
        None, description="Table layout: the text is '\\n'.join of these lines of "
                          "line_table; an integer i is line_table[i], a pair [i, n] is "
                          "line_table[i:i+n]")
    subst: str | None = Field(None, description="Table layout: every U+0000 character in "
                                                "the joined lines stands for this string "
                                                "(the file's target)")
    problems: list[str] = Field(default_factory=list,
                                description="Why the file could not be read, or was read "
                                            "only in part (truncated, corrupt)")
    scan: CmdScan | None = Field(None, description="Format 2, table layout: its scanned "
                                                   "structure; null: scan the text")


class ObjectEntry(_M):
    """What an object file contains (ELF via pyelftools, or a kbsim simulated object)."""

    format: Literal["elf", "kbsim-object"] | None = Field(None, description="null when it "
                                                                            "could not be read")
    exports: list[str] = Field(default_factory=list, description="Exports compiled in "
                                                                 "(___ksymtab+SYM sections, "
                                                                 "__ksymtab_SYM symbols)")
    markers: list[str] | None = Field(None, description="__ksym_marker_SYM symbols (v5.0+: "
                                                        "every EXPORT_SYMBOL, compiled in "
                                                        "or not)")
    undefined: list[str] | None = Field(None, description="Undefined global symbols (nm "
                                                          "'U'), captured for modules and "
                                                          "(format 5) the members of "
                                                          "composite modules, less those "
                                                          "another member defines")
    error: str | None = Field(None, description="Why it could not be read")


class EraInfo(_M):
    era: str | None = Field(None, description="kbsim era profile (e1..e6), null if unknown")

    @field_validator("era")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None and v not in ERAS:
            raise ValueError(f"unknown era {v!r}; expected one of {', '.join(ERAS)} or null")
        return v
    versions: str = Field("unknown", description="Kernel versions that write this format")
    evidence: list[str] = Field(default_factory=list)
    hints: dict[str, int] = Field(default_factory=dict, description=".cmd files showing "
                                                                     "each format feature")
    per_era: dict[str, int] = Field(default_factory=dict, description=".cmd files whose "
                                                                       "ksym lines match "
                                                                       "each era")


class GranularityInfo(_M):
    granularity: str = Field(description="A kbsim granularity name (ns, jiffy[:HZ], 1s, 2s, "
                                         "multigrain[:HZ])")

    @field_validator("granularity")
    @classmethod
    def _known(cls, v: str) -> str:
        parse_granularity(v)  # GranularityError is a ValueError: a validation error
        return v
    evidence: str = ""
    files: int = Field(0, description="Build-produced files judged")
    whole_seconds: int = Field(0, description="Of those, mtimes with a zero ns field")
    tick_ns: int | None = None
    on_tick: float | None = Field(None, description="Share of distinct mtimes on the tick "
                                                    "lattice")
    equal_mtime_files: int = Field(0, description="Files sharing their exact mtime with "
                                                  "another")
    filesystem: str | None = Field(None, description="Format 3: the type of the filesystem "
                                                     "holding the build directory, from "
                                                     "/proc/self/mountinfo (null: unknown)")
    host_kernel: str | None = Field(None, description="Format 3: the release of the kernel "
                                                      "the capture ran on (uname -r); it "
                                                      "stamps the mtimes, and multigrain "
                                                      "stamps come with Linux 6.13")


class Capture(_M):
    """A captured kbuild build tree (``kbsim-capture/6``)."""

    format: str = Field(FORMAT, description="kbsim-capture/6 as written by this version "
                                            "(kbsim-capture/1 to /5 are read too)")
    # not part of the format: the capture's own parse of each usable .cmd file, kept when
    # the capture is used in the same process, so CapturedTree does not parse them again
    _scans: dict | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:  # the fields only, not the cache above
        if not isinstance(other, Capture):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  (as BaseModel: mutable, unhashable)
    kbsim_version: str = ""
    build_dir: str = Field(description="Absolute path of the build directory when captured")
    srctree: str | None = Field(None, description="Absolute path of the source tree (O= "
                                                  "builds), null if unknown")
    era: EraInfo = Field(default_factory=EraInfo)
    granularity: GranularityInfo
    elf: Literal["pyelftools", "off", "unavailable", "kbsim"] = Field(
        "off", description="How object contents were read")
    line_table: list[str] = Field(default_factory=list, description="Distinct .cmd lines "
                                                                     "(table layout)")
    cmd_files: list[CmdEntry] = Field(default_factory=list)
    mtimes: dict[str, int | None] = Field(
        default_factory=dict, description="Canonical path -> st_mtime_ns, null if absent; "
                                          "every file a .cmd file names, plus the ksym "
                                          "timestamp files and the captured state files "
                                          "(format 4: and every regular file of the build "
                                          "directory)")
    names: dict[str, str] = Field(default_factory=dict,
                                  description="Spelling used in a .cmd file -> canonical "
                                              "path, where the two differ")
    file_notes: dict[str, str] = Field(default_factory=dict,
                                       description="Canonical path -> note (a directory, "
                                                   "not a regular file, stat error)")
    makefile_prereqs: dict[str, list[str]] = Field(
        default_factory=dict, description="Format 4: target -> prerequisites its "
                                          "directory's makefile in the source tree declares "
                                          "($(obj)/A: $(obj)/B lines), for captured targets")
    objtool_exempt: dict[str, ObjtoolRules] | None = Field(
        None, description="Format 6: directory of captured targets ('.': the top) -> the "
                          "OBJECT_FILES_NON_STANDARD lines of its makefile in the source tree "
                          "(Kbuild, else Makefile), for the directories whose makefile has "
                          "any; null: not recorded (before format 6, or no source tree)")
    symlinks: dict[str, str] = Field(default_factory=dict,
                                     description="Symlinks met in the build directory -> "
                                                 "their target (never followed)")
    filechk: FilechkFacts | None = Field(None, description="Format 5: what decides the "
                                         "filechk targets' content")
    autoksyms: TextFile | None = Field(None, description="include/generated/autoksyms.h")
    kernel_release: TextFile | None = Field(None, description="Format 3: "
                                                              "include/config/kernel.release "
                                                              "(the version, e.g. 6.12.118)")
    auto_conf: TextFile | None = Field(None, description="include/config/auto.conf")
    modules_order: TextFile | None = None
    mod_files: list[TextFile] = Field(default_factory=list, description="*.mod files "
                                                                        "(.tmp_versions/ "
                                                                        "before v5.3)")
    usyms_files: list[TextFile] = Field(default_factory=list, description="*.usyms files "
                                                                          "(v5.19+)")
    objects: dict[str, ObjectEntry] = Field(
        default_factory=dict, description="Object path -> contents: every object with "
                                          "candidate exports, every module (.ko and its .o), "
                                          "and vmlinux")
    warnings: list[str] = Field(default_factory=list, description="Problems met (files "
                                                                  "not readable, corrupt or "
                                                                  "truncated .cmd files, ...)")
    notes: list[str] = Field(default_factory=list, description="Other remarks on the capture")
    partial: bool = Field(False, description="Some input could not be read in full "
                                             "(see warnings)")


# ---------------------------------------------------------------------- text layouts
def encode_lines(texts: list[str], substs: list[str | None] | None = None
                 ) -> tuple[list[str], list[list[int | tuple[int, int]]], list[str | None]]:
    """The table layout: distinct lines once, each text as runs of line indices. Where a
    text has a target (SUBSTS) and no NUL character, the target is replaced by NUL first,
    so the lines fixdep writes around it (deps_T, T: $(deps_T), ...) are shared."""
    table: dict[str, int] = {}
    out = []
    used: list[str | None] = []
    for k, t in enumerate(texts):
        sub = substs[k] if substs else None
        if sub and "\0" not in t and sub in t:
            t = t.replace(sub, "\0")
        else:
            sub = None
        used.append(sub)
        idx = [table.setdefault(ln, len(table)) for ln in t.split("\n")]
        runs: list[int | tuple[int, int]] = []  # tuples, as a loaded capture has them
        i = 0
        while i < len(idx):
            j = i
            while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
                j += 1
            runs.append(idx[i] if j == i else (idx[i], j - i + 1))
            i = j + 1
        out.append(runs)
    return list(table), out, used


def run_lines(table: list[str], run: int | tuple[int, int]) -> list[str]:
    """The lines of line_table one element of a table-layout entry's ``lines`` stands
    for (IndexError when it reaches outside the table)."""
    if type(run) is int:
        return [table[run]]
    i, n = run
    if i < 0 or n < 0 or i + n > len(table):
        raise IndexError(run)
    return table[i:i + n]


class RunTexts(dict):
    """run of a table-layout entry -> its lines joined, made on first use: the same runs
    recur from file to file, so each is joined once (pass one to :func:`cmd_text`)."""

    def __init__(self, table: list[str]):
        super().__init__()
        self.table = table

    def __missing__(self, run: int | tuple[int, int]) -> str:
        text = self[run] = "\n".join(run_lines(self.table, run))
        return text


def cmd_text(cap: Capture, entry: CmdEntry, runs: RunTexts | None = None) -> str | None:
    """The raw text of a .cmd entry, whichever layout it is stored in. RUNS: a cache of
    joined runs shared by the calls for one capture."""
    if entry.text is not None:
        return entry.text
    if entry.lines is None:
        return None
    if runs is None:
        runs = RunTexts(cap.line_table)
    try:
        try:
            parts = list(map(runs.__getitem__, entry.lines))
        except TypeError:  # runs set as lists after validation (which makes them tuples)
            parts = [runs[r if type(r) is int else tuple(r)] for r in entry.lines]
        text = "\n".join(parts)
    except (IndexError, TypeError, ValueError):
        raise InputError(f"capture: {entry.path}: line index out of range (damaged "
                         f"capture)") from None
    return text.replace("\0", entry.subst) if entry.subst else text


# ---------------------------------------------------------------------- reading, writing
def dump_capture(cap: Capture, pretty: bool = False) -> str:
    data = cap.model_dump(mode="json", exclude_none=True)
    if pretty:
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"


def write_capture(cap: Capture, path: str | os.PathLike) -> int:
    """Write to PATH (gzip if it ends in .gz, deterministic header); returns the size.
    The file is written next to PATH first and renamed into place."""
    p = Path(path)
    gz = p.name.endswith(".gz")
    text = dump_capture(cap, pretty=not gz)
    data = text.encode("utf-8")
    if gz:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0,
                           compresslevel=9) as g:
            g.write(data)
        data = buf.getvalue()
    tmp = p.with_name(f".{p.name}.kbsim-tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, p)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise InputError(f"{p}: cannot write: {e.strerror or e}") from None
    return len(data)


def _pretty_error(e: ValidationError, where: str, fmt: str) -> str:
    first = e.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
    return f"{where}: not a valid {fmt} file: {loc}: {first['msg']}{more}"


def parse_capture(data: bytes, where: str) -> Capture:
    """A Capture from the bytes of a file (gzip or plain JSON)."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise InputError(f"{where}: damaged gzip data: {e}") from None
    try:  # the fast path: pydantic's JSON parser, then the version check
        cap = Capture.model_validate_json(data)
        if cap.format in READABLE:
            return cap
    except ValidationError:
        pass  # read it again below for a precise message
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{where}: not a kbsim capture (not UTF-8 JSON)") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{where}: not a kbsim capture (invalid JSON: {e.msg} at line "
                         f"{e.lineno} column {e.colno})") from None
    fmt = raw.get("format") if isinstance(raw, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith(FORMAT_NAME + "/"):
        hint = " (a tree model? those are TOML)" if isinstance(raw, dict) and "build" in raw \
            else ""
        raise InputError(f"{where}: not a kbsim capture: no \"format\": \"{FORMAT}\" "
                         f"field{hint}")
    ver = fmt[len(FORMAT_NAME) + 1:]
    if not ver.isdigit():
        raise InputError(f"{where}: unknown capture format {fmt!r}")
    if int(ver) > FORMAT_VERSION:
        raise InputError(f"{where}: written by a newer kbsim (format {fmt}); this kbsim "
                         f"reads {FORMAT} and older: upgrade kbsim or recapture the tree")
    try:
        return Capture.model_validate(raw)
    except ValidationError as e:
        raise InputError(_pretty_error(e, where, fmt)) from None


def load_capture(path: str | os.PathLike) -> Capture:
    """(a) The parsed capture model of a .json or .json.gz file."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a directory, not a capture file") from None
    except OSError as e:
        raise InputError(f"{p}: cannot read: {e.strerror or e}") from None
    return parse_capture(data, str(p))


# ---------------------------------------------------------------------- documentation
def capture_format_doc() -> str:
    """docs/capture-format.md, generated from these models (a test keeps it in sync)."""
    def table(m) -> list[str]:
        out = ["| field | type | meaning |", "|---|---|---|"]
        for name, f in m.model_fields.items():
            t = str(f.annotation).replace("typing.", "").replace("kbsim.tree.capture_format.",
                                                                 "")
            t = t.replace("<class '", "").replace("'>", "").replace("|", "\\|")
            out.append(f"| `{name}` | `{t}` | {(f.description or '').replace('|', '/')} |")
        return out

    doc = [f"# Captured tree format (`{FORMAT}`)", "",
           "`kbsim capture BUILD_DIR -o tree.json.gz` writes one JSON document (gzip when the "
           "name ends in `.gz`) describing a real kbuild build tree at one instant; `kbsim "
           "replay`, `kbsim diagnose` and `kbsim aliases` read it. `kbsim "
           "schema capture` prints its JSON Schema. This page is generated from the pydantic "
           "models in `kbsim/tree/capture_format.py` (`capture_format_doc()`).", "",
           "Paths: files inside the build directory are keyed relative to it; other files "
           "(the sources of an `O=` build, system headers) by absolute path. `mtimes` is "
           "keyed by canonical path (repeated '/', '.', '..' and symlinks resolved as the "
           "kernel does); `names` maps each spelling found in a `.cmd` file to its "
           "canonical path when the two differ. A `null` mtime means the file was absent.",
           "",
           "Versioning: a reader accepts `kbsim-capture/N` up to its own N and refuses newer "
           "files with a one-line message naming the file (exit 2). Fields are only added "
           "together with a new N.", "",
           "Text layouts: a `.cmd` entry carries either `text` (inline layout, `kbsim capture "
           "--layout inline`) or `lines` (the default table layout: the distinct lines of "
           "all `.cmd` files are stored once in `line_table`, and each file is a list of "
           "indices, an integer `i` for `line_table[i]` and a pair `[i, n]` for the run "
           "`line_table[i:i+n]`; the text is the lines joined with `\\n`, with every NUL "
           "character replaced by the entry's `subst` (its target), byte for byte). "
           "The table layout is about 10x smaller compressed, because kernel `.cmd` files "
           "repeat the same header lines.", "",
           "Stored scans (version 2, table layout): each `.cmd` entry the scanner read in "
           "fixdep's strict layout carries `scan`: where its `cmd_` and `source_` "
           "assignments, its `deps_` and `ksymdeps_` lists and its `T: $(wildcard X)` rules "
           "are, counted in pieces, the elements of its `lines`. The writer splits runs so "
           "that every part starts and ends on a piece boundary, and stores a scan only if "
           "it reads back exactly as the scanner's result. A reader rebuilds the parsed "
           "file from those pieces, parsing each distinct run of dependency lines once, "
           "instead of scanning ~28 MB of text for a 6.1 tree; entries without a scan "
           "(inline-layout entries, and every entry of a version-1 file) are scanned from "
           "their text.", ""]
    for title, m in (("Top level", Capture), ("era", EraInfo),
                     ("granularity", GranularityInfo), ("cmd_files[]", CmdEntry),
                     ("cmd_files[].scan", CmdScan),
                     ("objects{}", ObjectEntry), ("filechk", FilechkFacts),
                     ("objtool_exempt{}", ObjtoolRules), ("Text files", TextFile)):
        doc += [f"## {title}", ""] + table(m) + [""]
    return "\n".join(doc)


def rel_or_abs(build_dir: str, path: str) -> str:
    """Canonical key for an absolute path: relative if inside BUILD_DIR."""
    b = build_dir.rstrip("/")
    if path == b:
        return "."
    if path.startswith(b + "/"):
        return path[len(b) + 1:]
    return path


def module_ko(name: str) -> str:
    """A modules.order entry as the module's .ko: NAME.ko up to v6.1, NAME.o from v6.2
    (kbuild/eras.py modorder_ext)."""
    return name[:-2] + ".ko" if name.endswith(".o") else name


def lexical_key(name: str) -> str:
    """The kernel's resolution of a name as text only (no symlinks): repeated '/' folded,
    '.' dropped, '..' removing the previous component; relative stays relative."""
    absolute = name.startswith("/")
    out: list[str] = []
    for comp in name.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not absolute:
                out.append("..")
            continue
        out.append(comp)
    s = "/".join(out)
    return ("/" + s) if absolute else (s or ".")


__all__ = ["FORMAT", "FORMAT_VERSION", "READABLE", "Capture", "CmdEntry", "CmdScan",
           "ObjectEntry", "ObjtoolRules", "TextFile",
           "EraInfo", "GranularityInfo",
           "load_capture", "parse_capture", "write_capture", "dump_capture",
           "cmd_text", "RunTexts", "run_lines",
           "encode_lines", "capture_format_doc", "lexical_key", "module_ko", "rel_or_abs"]
