"""The fast struct-based ELF reader against pyelftools (kbsim/tree/elfscan.py)."""

from __future__ import annotations

import glob
import io
import os

import pytest

from elfwriter import STB_GLOBAL, STB_LOCAL, STB_WEAK, elf_object, kernel_object
from kbsim.tree.elfscan import _elf_facts_fast, _elf_facts_pyelftools, read_facts

REAL_TREE = "/work/kernel/build-6.1"  # the real-kernel validation tree, when present


def both(data: bytes, want_undefined: bool = True):
    fast = _elf_facts_fast(data, want_undefined)
    slow = _elf_facts_pyelftools(io.BytesIO(data), want_undefined)
    return fast, slow


@pytest.mark.parametrize("elfclass", [32, 64])
@pytest.mark.parametrize("little", [True, False])
def test_fast_reader_equals_pyelftools_on_written_objects(elfclass, little):
    data = elf_object(
        ["___ksymtab+clear_user", "__ksymtab_gpl+memcpy_flushcache", ".text"],
        [("__ksymtab_clear_user", "___ksymtab+clear_user", STB_GLOBAL),
         ("__ksym_marker_clear_user", ".text", STB_GLOBAL),
         ("local_thing", ".text", STB_LOCAL),
         ("memset", None, STB_GLOBAL), ("weak_undef", None, STB_WEAK),
         ("copy_user_generic", None, STB_GLOBAL)],
        elfclass=elfclass, little=little)
    fast, slow = both(data)
    assert fast == slow
    assert fast.exports == ["clear_user", "memcpy_flushcache"]
    assert fast.markers == ["clear_user"]
    assert fast.undefined == ["memset", "copy_user_generic"]


def test_kernel_object_helper_and_no_undefined_requested():
    data = kernel_object(["a", "b"], markers=["a", "b", "c"], undefined=["x"])
    fast, slow = both(data, want_undefined=False)
    assert fast == slow and fast.undefined is None


def test_damaged_section_table_falls_back_to_pyelftools_message():
    data = bytearray(kernel_object(["a"]))
    data = bytes(data[: len(data) // 2])  # the section headers are at the end
    from kbsim.tree.elfscan import NotAnObject
    with pytest.raises(NotAnObject, match="damaged ELF"):
        read_facts(data[:16], io.BytesIO(data), True)


@pytest.mark.skipif(not os.path.isdir(REAL_TREE), reason="no real kernel build here")
def test_fast_reader_equals_pyelftools_on_a_real_kernel_tree():
    files = sorted(glob.glob(os.path.join(REAL_TREE, "**", "*.o"), recursive=True))[:400]
    assert files
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        if data[:4] != b"\x7fELF":
            continue
        fast, slow = both(data)
        assert fast == slow, f
