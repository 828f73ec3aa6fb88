"""define/endef, override, and canned recipes, against GNU make 4.3.

read.c do_define reads the lines up to the matching 'endef' (a nested 'define' counts,
a line that starts with a tab never does), collapses each line's continuations and keeps
its blanks; the variable is defined at the 'define' line but a ':=' body is expanded at
the 'endef' line. eval's 'override' gives an assignment (or a define) origin 'override',
which outranks the command line. job.c runs a recipe line whose expansion holds newlines
as one command per line, each with its own '@-+' and echo, and reports an error at the
recipe line it came from. kbsim refused define, endef and override before.
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

CANNED = """define two =
@echo one   
-@echo two; exit 1
  echo three \\
    four
endef
define empty
endef
define nested
define inner
x
endef
endef
override define ov :=
a $(two)
endef
X = base
override X += more
$(info [$(value two)] [$(empty)] [$(value nested)] [$(origin ov)] [$(X)] [$(origin X)])
ifeq (a,b)
define skipped
endif
endef
endif
all: ; $(two)
\t@echo after
"""

FORMS = """A = 1
define B :=
$(A) b
endef
A = 2
define C +=
c1
endef
C = c0
define C +=
c2
endef
define D ?=
d
endef
define D ?=
dd
endef
define mac
[$(1)|$(2)]
endef
ifeq (x,y)
define hidden
endif
else
endef
else
define shown = # comment kept?
s # kept
endef
endif
define sub
$(MAKE) -f Makefile inner
endef
define withmake
+@echo plus $(MAKE)
endef
$(info [$(B)] [$(C)] [$(D)] [$(call mac,x,y)] [$(value shown)] [$(flavor B)] [$(flavor C)])
all: ; @echo all
q: ; $(sub)
r: ; $(withmake)
inner: ; @echo inner
"""

RUNS = {
    "canned": (CANNED, []),
    "canned-n": (CANNED, ["-n"]),
    "canned-override-beats-command-line": (CANNED, ["X=cmd"]),
    "canned-s": (CANNED, ["-s"]),
    "forms": (FORMS, []),
    # a $(MAKE) inside a define does not make the recipe line recursive (commands.c
    # chop_commands looks at the unexpanded line); a '+' inside one does
    "forms-n-sub": (FORMS, ["-n", "q"]),
    "forms-q-sub": (FORMS, ["-q", "q"]),
    "forms-n-plus": (FORMS, ["-n", "r"]),
    "forms-q-plus": (FORMS, ["-q", "r"]),
}


@needs_make
@pytest.mark.parametrize("name", sorted(RUNS))
def test_define_and_canned_recipes(name, tmp_path):
    text, args = RUNS[name]
    c = Case(str(tmp_path))
    c.write("Makefile", text)
    c.run(*args)
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


SMALL = {
    "unterminated": "define X\nx\n",
    "endef-alone": "endef\n",
    "text-after-define": "define X = y\nv\nendef\n$(info [$(X)])\n",
    "empty-name": "define\nx\nendef\n",
    "text-after-endef": "define X\nx\nendef junk\n$(info [$(X)])\n",
    "tab-endef-is-body": "define X\n\tendef\nendef\n$(info [$(X)])\n",
    "endef-with-comment": "define X\n  endef  # c\n$(info [$(X)])\n",
    "override-simple": "override A := 1\nA = 2\n$(info $(A))\n",
    "override-alone": "override\n",
    "override-no-assignment": "override A\n",
    "override-define": "override define X\nv\nendef\nX = 2\n$(info $(X) $(origin X))\n",
    "warning-at-endef": "define X :=\n$(warning w)\nendef\n",
    "warning-when-expanded": "define X\n$(warning w)\nendef\n$(info $(X))\n",
    "error-in-body": "define X :=\n\n$(word 0,a)\nendef\n",
    "continuation": "define A\na \\\n  b\nendef\n$(info [$(A)])\n",
    "ignored-override-define": "ifeq (a,b)\noverride define Y\nendif\nendef\nendif\n"
                               "$(info [$(Y)])\n",
    "blank-name": "define  X  \nq\nendef\n$(info [$(X)])\n",
}


@needs_make
@pytest.mark.parametrize("name", sorted(SMALL))
def test_define_edge_cases(name, tmp_path):
    c = Case(str(tmp_path))
    c.write("Makefile", SMALL[name] + "all: ; @:\n")
    c.run()
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
