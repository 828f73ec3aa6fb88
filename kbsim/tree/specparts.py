"""What the two pickles of a kept captured-tree spec share (keptspec.packed writes them,
keptspec unpickles the second late): the classes they may hold, and the .cmd texts that
the spec's initial_files and its capture's .cmd entries both carry, kept once."""

from __future__ import annotations

# the classes of a spec of a captured tree (its capture's pydantic models and scans
# included): plan/store.py's loads refuse any other
SPEC_ALLOWED = {
    ("kbsim.tree.capspec", "CapturedBuildSpec"),
    ("kbsim.kbuild.spec", "DirSpec"), ("kbsim.kbuild.spec", "ObjectSpec"),
    ("kbsim.kbuild.spec", "ModuleSpec"), ("kbsim.kbuild.spec", "Timing"),
    ("kbsim.kbuild.treegraph", "TreeGraph"), ("kbsim.kbuild.treegraph", "TreeTarget"),
    ("kbsim.kbuild.treegraph", "FilechkVerdict"),
    ("kbsim.tree.cmdscan", "ScanResult"), ("kbsim.kbuild.cmdfile", "CmdFile"),
    ("kbsim.kbuild.cmdfile", "Dep"),
    *(("kbsim.tree.capture_format", n) for n in (
        "Capture", "TextFile", "FilechkFacts", "ObjtoolRules", "CmdScan", "CmdEntry",
        "ObjectEntry", "EraInfo", "GranularityInfo")),
}


def cmd_file_key(cap, e) -> str:
    """The initial_files key of CAP's .cmd entry E."""
    return e.path if e.path.startswith("/") else f"{cap.build_dir.rstrip('/')}/{e.path}"


def put_back_texts(spec, shared: list[int], cap) -> None:
    """The texts of CAP's .cmd entries SHARED (keptspec._pickled left them out) from
    SPEC's initial files. Raises IndexError, KeyError or TypeError when they are not
    there."""
    cmds = cap.cmd_files
    files = spec.initial_files
    for i in shared:
        e = cmds[i]
        e.__dict__["text"] = files[cmd_file_key(cap, e)][1].decode("utf-8")
