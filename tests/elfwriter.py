"""A minimal ELF relocatable-object writer for tests (no compiler needed).

It writes what kbsim's capture reads from real objects: named (empty) sections such as
``___ksymtab+SYM`` and a symbol table with defined and undefined symbols, in either ELF
class and byte order, so the reader is tested on layouts a test machine's gcc would not
produce.
"""

from __future__ import annotations

import struct

SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB = 1, 2, 3
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2


def _strtab(names):
    data = b"\0"
    offs = {}
    for n in names:
        if n not in offs:
            offs[n] = len(data)
            data += n.encode() + b"\0"
    return data, offs


def elf_object(sections: list[str], symbols: list[tuple[str, str | None, int]],
               elfclass: int = 64, little: bool = True) -> bytes:
    """An ELF REL file with empty PROGBITS SECTIONS and SYMBOLS (name, section name or
    None for undefined, binding)."""
    e = "<" if little else ">"
    is64 = elfclass == 64
    names = [".shstrtab", ".strtab", ".symtab"] + sections
    shstr, shoff_names = _strtab(names)
    symstr, sym_offs = _strtab([s[0] for s in symbols])
    sec_index = {name: 4 + i for i, name in enumerate(sections)}  # 0 null, 1-3 tables
    # locals first (sh_info = first global)
    ordered = sorted(symbols, key=lambda s: s[2] != STB_LOCAL)
    n_local = 1 + sum(1 for s in ordered if s[2] == STB_LOCAL)
    symtab = bytearray()
    entsize = 24 if is64 else 16
    symtab += b"\0" * entsize
    for name, sec, bind in ordered:
        shndx = sec_index[sec] if sec is not None else 0
        info = (bind << 4) | (0 if sec is None else 1)
        if is64:
            symtab += struct.pack(e + "IBBHQQ", sym_offs[name], info, 0, shndx, 0, 0)
        else:
            symtab += struct.pack(e + "IIIBBH", sym_offs[name], 0, 0, info, 0, shndx)
    ehsize = 64 if is64 else 52
    shentsize = 64 if is64 else 40
    body = bytearray()
    off = ehsize
    layout = {}
    for key, data in ((".shstrtab", shstr), (".strtab", symstr), (".symtab", bytes(symtab))):
        layout[key] = (off + len(body), len(data))
        body += data
        while (ehsize + len(body)) % 8:
            body += b"\0"
    shoff = ehsize + len(body)
    shdrs = bytearray()

    def shdr(name_off, typ, offset, size, link=0, info=0, align=1, ent=0):
        if is64:
            return struct.pack(e + "IIQQQQIIQQ", name_off, typ, 0, 0, offset, size, link,
                               info, align, ent)
        return struct.pack(e + "IIIIIIIIII", name_off, typ, 0, 0, offset, size, link, info,
                           align, ent)

    shdrs += b"\0" * shentsize
    shdrs += shdr(shoff_names[".shstrtab"], SHT_STRTAB, *layout[".shstrtab"])
    shdrs += shdr(shoff_names[".strtab"], SHT_STRTAB, *layout[".strtab"])
    shdrs += shdr(shoff_names[".symtab"], SHT_SYMTAB, *layout[".symtab"], link=2,
                  info=n_local, align=8, ent=entsize)
    for s in sections:
        shdrs += shdr(shoff_names[s], SHT_PROGBITS, shoff, 0)
    shnum = 4 + len(sections)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1 if little else 2, 1]) + b"\0" * 9
    if is64:
        hdr = ident + struct.pack(e + "HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0, ehsize, 0,
                                  0, shentsize, shnum, 1)
    else:
        hdr = ident + struct.pack(e + "HHIIIIIHHHHHH", 1, 3, 1, 0, 0, shoff, 0, ehsize, 0,
                                  0, shentsize, shnum, 1)
    return bytes(hdr) + bytes(body) + bytes(shdrs)


def kernel_object(exported: list[str], markers: list[str] = (), undefined: list[str] = (),
                  style: str = "6.1", elfclass: int = 64, little: bool = True) -> bytes:
    """An object as the kernel's EXPORT_SYMBOL leaves it: ``___ksymtab+SYM`` sections with a
    ``__ksymtab_SYM`` symbol (style "6.1" and "4.x" alike; "4.x" has no markers), plus
    ``__ksym_marker_SYM`` symbols in ``.discard.ksym`` and undefined globals. Style "6.5"
    (v6.5+, ddb5cdbafaaa): no KSYMTAB in an object, only ``__export_symbol_SYM`` symbols in
    ``.export_symbol`` for MARKERS (every EXPORT_SYMBOL); EXPORTED then means the
    ``__ksymtab_SYM`` symbols of a linked vmlinux or .ko."""
    if style == "6.5":
        sections = [".text", ".export_symbol"]
        syms6: list[tuple[str, str | None, int]] = [
            (f"__export_symbol_{m}", ".export_symbol", STB_LOCAL) for m in markers]
        syms6 += [(f"__ksymtab_{s}", ".text", STB_LOCAL) for s in exported]
        syms6 += [(s, ".text", STB_GLOBAL) for s in markers]
        syms6 += [(u, None, STB_GLOBAL) for u in undefined]
        return elf_object(sections, syms6, elfclass, little)
    sections = [f"___ksymtab+{s}" for s in exported] + [".text"]
    syms: list[tuple[str, str | None, int]] = [(f"__ksymtab_{s}", f"___ksymtab+{s}",
                                                 STB_LOCAL) for s in exported]
    if style != "4.x" and markers:
        sections.append(".discard.ksym")
        syms += [(f"__ksym_marker_{m}", ".discard.ksym", STB_LOCAL) for m in markers]
    # the symbols themselves: an EXPORT_SYMBOL's symbol is defined whether or not trimming
    # kept its KSYMTAB entry (a member of a composite module defines it for the others)
    syms += [(s, ".text", STB_GLOBAL) for s in dict.fromkeys([*exported, *markers])]
    syms += [(u, None, STB_GLOBAL) for u in undefined]
    return elf_object(sections, syms, elfclass, little)
