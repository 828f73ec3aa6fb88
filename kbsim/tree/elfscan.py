"""What an object file really contains: its compiled exports, markers and undefined symbols.

Real objects are ELF, read with pyelftools (the optional ``elf`` extra:
``pip install 'kbsim[elf]'``). An export compiled into an object shows up as

- a section ``___ksymtab+SYM`` (or ``___ksymtab_gpl+SYM``; v4.x and 6.1 alike: each
  ``EXPORT_SYMBOL`` gets its own section, which the linker script merges into
  ``__ksymtab``/``__ksymtab_gpl``; the two-underscore spelling ``__ksymtab+SYM`` is
  accepted too), and
- a symbol ``__ksymtab_SYM`` (in objects and in a linked vmlinux).

From v5.0 every ``EXPORT_SYMBOL`` also leaves a ``__ksym_marker_SYM`` symbol, whether or not
the export was compiled in (bbda5ec671d3): the candidates gen_ksymdeps.sh lists. From v6.5
(ddb5cdbafaaa "kbuild: generate KSYMTAB entries by modpost") an ``EXPORT_SYMBOL`` leaves
only a ``__export_symbol_SYM`` symbol in the ``.export_symbol`` section, and modpost writes
the KSYMTAB entries into ``.vmlinux.export.c`` and each ``NAME.mod.c``: those symbols are
read as markers (every candidate), the ``__ksymtab_SYM`` of a linked vmlinux or ``.ko`` as
exports.
Undefined symbols are the ``nm`` ``U`` lines (global, section index 0), what
``.usyms``/``.mod`` record and modpost resolves.

kbsim's simulated objects (text files starting ``kbsim-object 1``, kbuild/objects.py) are
read as well, so a capture of a simulated tree carries the same facts.

The ELF header, section headers and symbol tables are unpacked with ``struct`` (the ELF
gABI layouts); that costs ~0.3 ms an object where building pyelftools' ELFFile costs
~5 ms, which made ELF reading most of a 6.1 tree's capture. Anything the fast reader does
not handle (extended section numbering, a layout that does not add up) goes to
pyelftools, which also gives damaged files their message; tests check both agree.
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
STB_WEAK = 2


class ElfUnavailable(RuntimeError):
    """pyelftools is not installed."""


@dataclass
class ObjectFacts:
    format: str  # "elf" or "kbsim-object"
    exports: list[str] = field(default_factory=list)  # sorted
    markers: list[str] | None = None  # sorted; None when the object has none at all
    undefined: list[str] | None = None  # in symbol-table order; only when asked for
    # global and weak symbols it defines, with the undefined ones: what one member of a
    # composite module gives another (ld -r resolves them); kbsim objects: their exports
    defined: list[str] | None = None


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
                           list(oc.undefined) if want_undefined else None,
                           sorted(set(oc.exports) | set(oc.markers)) if want_undefined
                           else None)
    if data_head.startswith(b"!<arch>\n") or data_head.startswith(b"!<thin>\n"):
        raise NotAnObject("an ar archive, not an object")
    if not data_head:
        raise NotAnObject("an empty file, not ELF")
    raise NotAnObject("not an ELF file")


_EHDR = {1: "HHIIIIIHHHHHH", 2: "HHIQQQIHHHHHH"}  # after e_ident, by EI_CLASS
_SHDR = {1: ("IIIIIIIIII", 40), 2: ("IIQQQQIIQQ", 64)}  # sh_name, sh_type, ... sh_entsize


class _Unhandled(Exception):
    """The fast reader declines; pyelftools decides."""


def _elf_facts(fh, want_undefined: bool) -> ObjectFacts:
    fh.seek(0)
    data = fh.read()
    try:
        return _elf_facts_fast(data, want_undefined)
    except (_Unhandled, struct.error, IndexError, ValueError):
        return _elf_facts_pyelftools(fh, want_undefined)


def _elf_facts_fast(data: bytes, want_undefined: bool) -> ObjectFacts:
    if len(data) < 16 or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise _Unhandled
    cls = data[4]
    end = "<" if data[5] == 1 else ">"
    eh = struct.unpack_from(end + _EHDR[cls], data, 16)
    shoff, shentsize, shnum, shstrndx = eh[5], eh[10], eh[11], eh[12]
    fmt, size = _SHDR[cls]
    if shnum == 0 or shstrndx >= 0xff00 or shentsize != size \
            or shoff + shnum * size > len(data):
        raise _Unhandled  # extended numbering or a damaged table
    # (name, type, offset, size, link) of each section header
    secs = [(h[0], h[1], h[4], h[5], h[6])
            for h in struct.iter_unpack(end + fmt, data[shoff:shoff + shnum * size])]

    def sec_data(i: int) -> bytes:
        _, typ, off, sz, _ = secs[i]
        if typ == 8:  # SHT_NOBITS
            return b""
        if off + sz > len(data):
            raise _Unhandled
        return data[off:off + sz]

    shstr = sec_data(shstrndx)

    def cstr(tab: bytes, off: int) -> str:
        stop = tab.find(b"\0", off)
        return tab[off:stop if stop >= 0 else None].decode("utf-8", "replace")

    exports: set[str] = set()
    symtab = None
    for i, (name_off, typ, _, _, _) in enumerate(secs):
        m = _KSYMTAB_SECTION.match(cstr(shstr, name_off))
        if m:
            exports.add(m.group(1))
        if typ == SHT_SYMTAB and symtab is None:
            symtab = i
    markers: set[str] = set()
    undefined: list[str] = []
    defined: list[str] = []
    if symtab is not None:
        _scan_symbols(sec_data(symtab), sec_data(secs[symtab][4]), cls == 2, end,
                      want_undefined, exports, markers, undefined, defined)
    return ObjectFacts("elf", sorted(exports), sorted(markers) if markers else None,
                       undefined if want_undefined else None,
                       defined if want_undefined else None)


def _scan_symbols(data: bytes, strtab: bytes, is64: bool, end: str, want_undefined: bool,
                  exports: set[str], markers: set[str], undefined: list[str],
                  defined: list[str]) -> None:
    """Exports (``__ksymtab_SYM``), markers, global undefined symbols and (with them) the
    global and weak symbols defined, of a symtab."""
    if is64:
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
        elif name.startswith("__export_symbol_"):  # v6.5+ (ddb5cdbafaaa)
            markers.add(name[len("__export_symbol_"):])
        elif want_undefined and ent[info_i] >> 4 in (STB_GLOBAL, STB_WEAK):
            if ent[shndx_i] == 0:
                if ent[info_i] >> 4 == STB_GLOBAL:
                    undefined.append(name)
            else:
                defined.append(name)


def _elf_facts_pyelftools(fh, want_undefined: bool) -> ObjectFacts:
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
        defined: list[str] = []
        if symtab is not None:
            strtab = elf.get_section(symtab["sh_link"]).data()
            _scan_symbols(symtab.data(), strtab, elf.elfclass == 64,
                          "<" if elf.little_endian else ">", want_undefined, exports,
                          markers, undefined, defined)
    except (ELFError, struct.error, ValueError, KeyError, AttributeError, TypeError) as e:
        raise NotAnObject(f"damaged ELF file: {e}") from None
    return ObjectFacts("elf", sorted(exports), sorted(markers) if markers else None,
                       undefined if want_undefined else None,
                       defined if want_undefined else None)


def read_object(path: str, want_undefined: bool) -> ObjectFacts:
    """Facts of the object at PATH (opened read-only)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
        return read_facts(head, fh, want_undefined)
