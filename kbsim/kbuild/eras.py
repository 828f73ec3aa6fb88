"""Era profiles of kbuild's CONFIG_TRIM_UNUSED_KSYMS machinery (E1-E6).

Each field names the commit it comes from (../shared/reference/kbuild-ksym-history.md).
Where an era spans changes, the profile picks one representative release (``model``) and
says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import InputError

# Build order of the top-level directory groups.
# 4.x Makefile: vmlinux-dirs := init core drivers net libs virt (arch/x86/lib in libs).
# 6.1 Kbuild: lib/ and arch/x86/lib/ ($(ARCH_LIB)) are descended before drivers/.
ORDER_V4 = ("init", "core", "drivers", "net", "libs", "virt")
ORDER_V6 = ("init", "core", "libs", "drivers", "net", "virt")


@dataclass(frozen=True)
class Era:
    name: str
    versions: str
    model: str  # the release whose details the profile follows
    naming: str  # default dependency naming (naming.NAMINGS)
    guard: bool  # 825d48758308: touch until the dep file is -nt autoksyms.h.tmpnew
    recursion: bool  # False from v6.5 (5e9e95cc9148)
    ksym_in_deps: bool  # e1/e2: ksym lines at the end of deps_ (CPP pass + fixdep -e)
    ksymdeps_block: bool  # e3-e5: gen_ksymdeps.sh appends a ksymdeps_ block (bbda5ec671d3)
    secondary: bool  # global .SECONDARY: in Kbuild.include (8e9b61b293d9, v5.0)
    any_prereq_missing: bool  # e1-e4 if_changed also fires on missing prerequisites
    structure: str  # "prereq" (v4.7-4.16), "recursive-vmlinux" (4.17-5.18), "self" (5.19+)
    # "tmp_versions" (.tmp_versions/*.mod line 3), "mod2" (5.3), "usyms" (5.19: .mod lists
    # the objects one per line, .usyms the undefined symbols), "lines" (v6.5: no .usyms,
    # 5e9e95cc9148 removed gen_autoksyms.sh, their only reader)
    mod_format: str
    initial_autoksyms: str  # "empty" or "gen" (88694cff4952, v5.7: G.sh output)
    modpost_prefix: bool  # "ERROR: modpost: " from v5.7 (93c95e526a4e)
    modpost_cap: int | None  # MAX_UNRESOLVED_REPORTS 10 (v5.13, 4475dff55c54)
    modpost_in_order: bool  # v5.19 "traverse modules in order"; before: reversed lists
    dir_order: tuple[str, ...]
    # the saved command line's variable: savedcmd_T from v6.2 (92215e7a801d "kbuild: rename
    # cmd_$@ to savedcmd_$@ in *.cmd files"), cmd_T before
    cmd_prefix: str = "cmd_"
    objtool_dep: bool = False  # 6.1 .cmd files end with 'T: $(wildcard ./tools/objtool/objtool)'
    # modules.order lists NAME.ko up to v6.1 (6.1 src Makefile.build cmd_modules_order:
    # patsubst %.o,%.ko) and NAME.o from v6.2 (6.12 src cmd_gen_order echoes the .o)
    modorder_ext: str = ".ko"
    # the goal adjust_autoksyms.sh re-runs make with, when a release differs from its
    # era's (None: the era's own, reexec_goal)
    reexec: str | None = None

    @property
    def reexec_goal(self) -> str:
        if self.reexec:
            return self.reexec
        return "autoksyms_recursive" if self.structure == "self" else "vmlinux"

    def describe(self) -> str:
        return f"{self.name} ({self.versions}, modelled on {self.model})"


ERAS: dict[str, Era] = {
    "e1": Era("e1", "v4.7-v4.16", "v4.14", "e1-tr", guard=False, recursion=True,
              ksym_in_deps=True, ksymdeps_block=False, secondary=False,
              any_prereq_missing=True, structure="prereq", mod_format="tmp_versions",
              initial_autoksyms="empty", modpost_prefix=False, modpost_cap=None,
              modpost_in_order=False, dir_order=ORDER_V4),
    "e1-guard": Era("e1-guard", "v4.9.y/v4.14.y after the May 2018 stable backport",
                    "v4.14.44", "e1-tr", guard=True, recursion=True, ksym_in_deps=True,
                    ksymdeps_block=False, secondary=False, any_prereq_missing=True,
                    structure="prereq", mod_format="tmp_versions",
                    initial_autoksyms="empty", modpost_prefix=False, modpost_cap=None,
                    modpost_in_order=False, dir_order=ORDER_V4),
    "e2": Era("e2", "v4.17-v4.20", "v4.19", "e2-collapse", guard=True, recursion=True,
              ksym_in_deps=True, ksymdeps_block=False, secondary=False,
              any_prereq_missing=True, structure="recursive-vmlinux",
              mod_format="tmp_versions", initial_autoksyms="empty", modpost_prefix=False,
              modpost_cap=None, modpost_in_order=False, dir_order=ORDER_V4),
    "e3": Era("e3", "v5.0-v5.12", "v5.4", "e2-collapse", guard=True, recursion=True,
              ksym_in_deps=False, ksymdeps_block=True, secondary=True,
              any_prereq_missing=True, structure="recursive-vmlinux", mod_format="mod2",
              initial_autoksyms="empty", modpost_prefix=False, modpost_cap=None,
              modpost_in_order=False, dir_order=ORDER_V4),
    "e4": Era("e4", "v5.13 to the include/ksym redo (~v5.15)", "v5.15", "e4-collapse",
              guard=True, recursion=True, ksym_in_deps=False, ksymdeps_block=True,
              secondary=True, any_prereq_missing=False, structure="recursive-vmlinux",
              mod_format="mod2", initial_autoksyms="gen", modpost_prefix=True,
              modpost_cap=10, modpost_in_order=False, dir_order=ORDER_V4),
    "e5": Era("e5", "the include/ksym redo to v6.4", "v6.1", "e5-raw", guard=True,
              recursion=True, ksym_in_deps=False, ksymdeps_block=True, secondary=True,
              any_prereq_missing=False, structure="self", mod_format="usyms",
              initial_autoksyms="gen", modpost_prefix=True, modpost_cap=10,
              modpost_in_order=True, dir_order=ORDER_V6, objtool_dep=True),
    "e6": Era("e6", "v6.5 and later", "v6.5", "e5-raw", guard=False, recursion=False,
              ksym_in_deps=False, ksymdeps_block=False, secondary=True,
              any_prereq_missing=False, structure="none", mod_format="lines",
              initial_autoksyms="gen", modpost_prefix=True, modpost_cap=10,
              modpost_in_order=True, dir_order=ORDER_V6, objtool_dep=True,
              cmd_prefix="savedcmd_", modorder_ext=".o"),
}


# Format facts a captured tree can override (BuildSpec.formats): they changed inside eras
# (savedcmd_ and modules.order's .o names came with v6.2, in the middle of e5; the others
# inside e3, whose profile follows v5.4: see release_formats).
FORMAT_FIELDS = ("cmd_prefix", "modorder_ext", "mod_format", "objtool_dep",
                 "any_prereq_missing", "modpost_prefix", "initial_autoksyms", "modpost_cap",
                 "reexec")


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """(version, patchlevel, sublevel) of a release string such as ``5.10.223`` or
    ``6.1.0-rc3+`` (sublevel 0 when absent)."""
    if not text:
        return None
    nums = []
    for part in text.strip().split("\n", 1)[0].split(".")[:3]:
        digits = ""
        for c in part:
            if not c.isdigit():
                break
            digits += c
        if not digits:
            break
        nums.append(int(digits))
        if len(digits) < len(part):
            break
    if len(nums) < 2:
        return None
    return nums[0], nums[1], nums[2] if len(nums) > 2 else 0


# stable releases that took 53632ba87d9f "kbuild: link vmlinux only once for
# CONFIG_TRIM_UNUSED_KSYMS (2nd attempt)" (mainline v5.19): adjust_autoksyms.sh then re-runs
# 'make -f Makefile autoksyms_recursive', not 'make vmlinux' (5.4.202-rc1 and 5.10.128
# shortlogs; Debian's 5.10.223 Makefile has it)
_REEXEC_BACKPORTS = {(5, 4): 202, (5, 10): 128}


def release_formats(release: str | None) -> dict:
    """The FORMAT_FIELDS a v5.x release fixes where its era's profile follows another
    release (e3 is modelled on v5.4, e4 on v5.15):

    - ``any_prereq_missing`` False from v5.5 (2d3b1b8f0da7 "kbuild: drop $(wildcard $^)
      check in if_changed* for faster rebuild"; 5.10's Kbuild.include has only
      newer-prereqs);
    - ``modpost_prefix`` and ``initial_autoksyms`` "gen" from v5.7 (93c95e526a4e,
      88694cff4952);
    - ``modpost_cap`` 10 from v5.13 (4475dff55c54 "kbuild: fix false-positive modpost
      warning when all symbols are trimmed"; 5.10's modpost.c has no cap);
    - ``reexec`` autoksyms_recursive where a stable release took 53632ba87d9f."""
    v = parse_version(release)
    if v is None or not (5, 0) <= v[:2] < (5, 19):
        return {}
    out: dict = {"any_prereq_missing": v[:2] < (5, 5),
                 "modpost_prefix": v[:2] >= (5, 7),
                 "initial_autoksyms": "gen" if v[:2] >= (5, 7) else "empty",
                 "modpost_cap": 10 if v[:2] >= (5, 13) else None}
    first = _REEXEC_BACKPORTS.get(v[:2])
    if first is not None and v[2] >= first:
        out["reexec"] = "autoksyms_recursive"
    return out


def with_formats(era: Era, formats: dict | None) -> Era:
    """ERA with the tree's own format facts (a capture's) in place of the profile's."""
    if not formats:
        return era
    bad = set(formats) - set(FORMAT_FIELDS)
    if bad:
        raise InputError(f"unknown kbuild format field(s): {', '.join(sorted(bad))}")
    changed = {k: v for k, v in formats.items() if getattr(era, k) != v}
    return replace(era, **changed) if changed else era


def get_era(name: str) -> Era:
    try:
        return ERAS[name]
    except KeyError:
        raise InputError(f"unknown era {name!r}; expected one of {', '.join(ERAS)}") from None
