"""Simulated object files: what a compile leaves behind, as the text content of the file.

A real object carries its exports as ``___ksymtab+SYM`` sections (and, from v5.0, a
``__ksym_marker_SYM`` for every EXPORT_SYMBOL) and its references as undefined symbols.
kbsim writes the same facts as lines of text, so later steps (ar, ld, the adjust script,
modpost) read them from the file the way the real tools read ELF.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAGIC = "kbsim-object 1"


@dataclass
class ObjectContent:
    exports: list[str] = field(default_factory=list)  # ___ksymtab entries compiled in
    markers: list[str] = field(default_factory=list)  # every EXPORT_SYMBOL (candidates)
    undefined: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # for archives and linked objects
    saw_autoksyms_ns: int | None = None  # mtime of the autoksyms.h the compile read
    compiled_pass: int | None = None

    def dump(self) -> str:
        out = [MAGIC]
        if self.exports:
            out.append("exports: " + " ".join(self.exports))
        if self.markers:
            out.append("markers: " + " ".join(self.markers))
        if self.undefined:
            out.append("undefined: " + " ".join(self.undefined))
        if self.members:
            out.append("members: " + " ".join(self.members))
        if self.saw_autoksyms_ns is not None:
            out.append(f"saw-autoksyms: {self.saw_autoksyms_ns}")
        if self.compiled_pass is not None:
            out.append(f"pass: {self.compiled_pass}")
        return "\n".join(out) + "\n"

    @classmethod
    def parse(cls, data: bytes | str) -> "ObjectContent | None":
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        lines = text.splitlines()
        if not lines or lines[0] != MAGIC:
            return None
        oc = cls()
        for ln in lines[1:]:
            k, _, v = ln.partition(": ")
            if k in ("exports", "markers", "undefined", "members"):
                setattr(oc, k, v.split())
            elif k == "saw-autoksyms":
                oc.saw_autoksyms_ns = int(v)
            elif k == "pass":
                oc.compiled_pass = int(v)
        return oc


def fixed_lines(markers: list[str], undefined: list[str]) -> str:
    """The lines of dump() for MARKERS and UNDEFINED (what follows the exports line of a
    compiled object), each ending in a newline."""
    out = ""
    if markers:
        out += "markers: " + " ".join(markers) + "\n"
    if undefined:
        out += "undefined: " + " ".join(undefined) + "\n"
    return out


def compiled_text(exports: list[str], rest: str, saw_autoksyms_ns: int | None,
                  compiled_pass: int) -> str:
    """ObjectContent(exports=EXPORTS, markers=M, undefined=U, saw_autoksyms_ns=...,
    compiled_pass=...).dump() of a compile (no members), REST being fixed_lines(M, U):
    a replay writes ~3,000 objects, without an ObjectContent made for each."""
    head = f"{MAGIC}\nexports: {' '.join(exports)}\n" if exports else _MAGIC_LINE
    if saw_autoksyms_ns is None:
        return f"{head}{rest}pass: {compiled_pass}\n"
    return f"{head}{rest}saw-autoksyms: {saw_autoksyms_ns}\npass: {compiled_pass}\n"


_MAGIC_LINE = MAGIC + "\n"


def parse_autoksyms(text: str) -> list[str]:
    """Symbols with '#define __KSYM_sym 1' (only the value 1 counts: __is_defined)."""
    out = []
    for ln in text.splitlines():
        if ln.startswith("#define __KSYM_") and ln.endswith(" 1"):
            out.append(ln[len("#define __KSYM_"):-2])
    return out
