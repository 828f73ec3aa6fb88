"""make's directory cache (dir.c), against the real GNU make 4.3.

A directory's entries are read once, the first time make asks whether a name in it
exists (file_exists_p), and never again, so a file a recipe creates later is invisible
to the implicit rule search ("ought to exist"). Without ``-f``, read.c
read_all_makefiles looks for GNUmakefile, makefile and Makefile with file_exists_p, so
the current directory is read at start-up, before any recipe. A name searched for as
an intermediate file without success is marked impossible in its directory's contents
(file_impossible), so later searches reject rules that need it. The differential test
found kbsim reading the directory only at the first implicit search, and without the
impossible marks.
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make


CASES = {
    # '.' read at start-up: 'a' made by p is not seen, so no rule makes a.h
    "cwd-default-makefile": (["all: p x", "p: ; @touch a", "x: a.h ; @echo X",
                                  "%.h: % ; @echo P $@"], []),
    # with -f nothing reads '.' before the search: 'a' is there by then
    "cwd-dash-f": (["all: p x", "p: ; @touch a", "x: a.h ; @echo X",
                        "%.h: % ; @echo P $@"], ["-f", "Makefile"]),
    # another directory is read at the search, after p made sub/a
    "subdir": (["all: p x", "p: ; @touch sub/a", "x: sub/a.h ; @echo X",
                        "%.h: % ; @echo P $@"], []),
    # the same directory by another name (d/..) shares the contents read at start-up
    "alias-of-cwd": (["all: p x", "p: ; @touch a", "x: d/../a.h ; @echo X",
                          "%.h: % ; @echo P $@"], []),
    # implicit.c/dir.c file_impossible: d//f was searched for as an intermediate and no
    # rule makes it, so d/f (the same directory's contents) is impossible too, and the
    # rule that needs it is rejected although d/f has a rule of its own
    "impossible": (["all: x y", "x: d//f.h ; @echo X", "y: d/f.h ; @echo Y",
                    "d/f: ; @echo F", "%.h: % ; @echo P $@"], ["-k"]),
    # an existing file is never searched for, so never impossible
    "exists": (["all: x y", "x: d//g.h ; @echo X", "y: d/g.h ; @echo Y",
                "%.h: % ; @echo P $@"], ["-k"]),
    # a chain: m.c is impossible after the first search, for the second goal too
    "chain": (["all: a.o b.o", "a.o: m.h ; @echo A", "b.o: m.h ; @echo B",
               "%.h: %.c ; @echo H $@", "%.c: %.y ; @echo C $@"], ["-k"]),
}


@needs_make
@pytest.mark.parametrize("name", sorted(CASES))
def test_directory_read_once(name, tmp_path):
    lines, args = CASES[name]
    c = Case(str(tmp_path))
    c.mk(*lines)
    c.T(0, "d/keep", "sub/keep", "d/g")
    c.run("-r", *args)
    c.rm("a", "sub/a")
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
