"""What an object file really contains: its compiled exports, markers and undefined symbols.

Real objects are ELF, read with pyelftools (the optional ``elf`` extra:
``pip install 'kbsim[elf]'``). An export compiled into an object shows up as

- a section ``___ksymtab+SYM`` (or ``___ksymtab_gpl+SYM``; v4.x and 6.1 alike: each
  ``EXPORT_SYMBOL`` gets its own section, which the linker script merges into
  ``__ksymtab``/``__ksymtab_gpl``; the two-underscore spelling ``__ksymtab+SYM`` is
  accepted too), and
- a symbol ``__ksymtab_SYM`` (in objects and in a linked vmlinux).

From v5.0 every ``EXPORT_SYMBOL`` also leaves a ``__ksym_marker_SYM`` symbol, whether or not
the export was compiled in (bbda5ec671d3): the candidates gen_ksymdeps.sh lists.
Undefined symbols are the ``nm`` ``U`` lines (global, section index 0), what
``.usyms``/``.mod`` record and modpost resolves.

kbsim's simulated objects (text files starting ``kbsim-object 1``, kbuild/objects.py) are
read as well, so a capture of a simulated tree carries the same facts.

pyelftools parses the ELF and section headers; symbol tables are unpacked with ``struct``
from the section data (pyelftools' per-symbol objects cost ~100x more on a kernel tree).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from ..kbuild.objects import MAGIC as KBSIM_MAGIC
from ..kbuild.objects import ObjectContent

ELF_MAGIC = b"\x7fELF"
_KSYMTAB_SECTION = re.compile(r"^_{2,3}ksymtab(?:_gpl|_unused|_unused_gpl|_gpl_future)?\+(.+)$")
_NOT_EXPORTS = {"strings"}  # __ksymtab_strings is a section, never an export
SHT_SYMTAB = 2
STB_GLOBAL = 1


class ElfUnavailable(RuntimeError):
    """pyelftools is not installed."""


@dataclass
class ObjectFacts:
    format: str  # "elf" or "kbsim-object"
    exports: list[str] = field(default_factory=list)  # sorted
    markers: list[str] | None = None  # sorted; None when the object has none at all
    undefined: list[str] | None = None  # in symbol-table order; only when asked for


def have_pyelftools() -> bool:
    try:
        import elftools  # noqa: F401
    except ImportError:
        return False
    return True


class NotAnObject(ValueError):
    pass


def read_facts(data_head: bytes, fh, want_undefined: bool) -> ObjectFacts:
    """Facts from an open object file (FH positioned anywhere; DATA_HEAD its first bytes).

    Raises NotAnObject (with the reason) for anything that is neither ELF nor a kbsim
    object, ElfUnavailable if it is ELF and pyelftools is missing."""
    if data_head.startswith(ELF_MAGIC):
        return _elf_facts(fh, want_undefined)
    if data_head.startswith(KBSIM_MAGIC.encode()):
        fh.seek(0)
        oc = ObjectContent.parse(fh.read())
        if oc is None:
            raise NotAnObject("a damaged kbsim object")
        return ObjectFacts("kbsim-object", sorted(set(oc.exports)),
                           sorted(set(oc.markers)) if oc.markers else None,
                           list(oc.undefined) if want_undefined else None)
    if data_head.startswith(b"!<arch>\n") or data_head.startswith(b"!<thin>\n"):
        raise NotAnObject("an ar archive, not an object")
    if not data_head:
        raise NotAnObject("an empty file, not ELF")
    raise NotAnObject("not an ELF file")


def _elf_facts(fh, want_undefined: bool) -> ObjectFacts:
    try:
        from elftools.common.exceptions import ELFError
        from elftools.elf.elffile import ELFFile
    except ImportError:
        raise ElfUnavailable("pyelftools is not installed") from None
    fh.seek(0)
    try:
        elf = ELFFile(fh)
        exports: set[str] = set()
        symtab = None
        for sec in elf.iter_sections():
            m = _KSYMTAB_SECTION.match(sec.name)
            if m:
                exports.add(m.group(1))
            if sec["sh_type"] == "SHT_SYMTAB" and symtab is None:
                symtab = sec
        markers: set[str] = set()
        undefined: list[str] = []
        if symtab is not None:
            strtab = elf.get_section(symtab["sh_link"]).data()
            data = symtab.data()
            end = "<" if elf.little_endian else ">"
            if elf.elfclass == 64:
                fmt, size, name_i, info_i, shndx_i = end + "IBBHQQ", 24, 0, 1, 3
            else:
                fmt, size, name_i, info_i, shndx_i = end + "IIIBBH", 16, 0, 3, 5
            usable = len(data) - len(data) % size
            for ent in struct.iter_unpack(fmt, data[:usable]):
                off = ent[name_i]
                if off == 0:
                    continue
                stop = strtab.find(b"\0", off)
                name = strtab[off:stop if stop >= 0 else None].decode("utf-8", "replace")
                if name.startswith("__ksymtab_"):
                    sym = name[len("__ksymtab_"):]
                    if sym and sym not in _NOT_EXPORTS:
                        exports.add(sym)
                elif name.startswith("__ksym_marker_"):
                    markers.add(name[len("__ksym_marker_"):])
                elif want_undefined and ent[shndx_i] == 0 and ent[info_i] >> 4 == STB_GLOBAL:
                    undefined.append(name)
    except (ELFError, struct.error, ValueError, KeyError, AttributeError, TypeError) as e:
        raise NotAnObject(f"damaged ELF file: {e}") from None
    return ObjectFacts("elf", sorted(exports), sorted(markers) if markers else None,
                       undefined if want_undefined else None)


def read_object(path: str, want_undefined: bool) -> ObjectFacts:
    """Facts of the object at PATH (opened read-only)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
        return read_facts(head, fh, want_undefined)
