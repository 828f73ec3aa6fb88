"""$(eval), $(shell), the != assignment and undefine, against GNU make 4.3.

function.c func_eval hands the expanded text to read.c eval_buffer: it is read as makefile
lines with a conditional stack and a rule context of its own, and GNU make 4.3 reports
every line of it at the line (or recipe line) that expanded the call. func_shell_base
runs the command, folds its newlines into blanks (dropping the trailing ones; != drops
only the last) and shell_completed sets .SHELLSTATUS. read.c do_undefine removes a
variable unless its origin ranks above the undefine's. kbsim refused all four before.
"""

from __future__ import annotations

import os

import pytest

from oracle import Case, needs_make, run_sim

TEMPLATES = """define PROG
$(1): $(1).o ; @echo link $$@ from $$^
$(1).o: ; @echo compile $$@ $(2)
PROGS += $(1)
endef
$(foreach p,one two,$(eval $(call PROG,$(p),-O$(words $(PROGS) x))))
$(eval X = 1)
$(eval override O = 2)
$(eval export E = exported)
$(eval %.gen: ; @echo pattern $$@)
$(eval tv: V = target-var)
$(info [$(PROGS)] [$(X)] [$(origin X)] [$(flavor X)] [$(O)] [$(origin O)])
all: $(PROGS) x.gen tv
tv: ; @echo $@ $(V)
r: ; @echo $(eval Z := $@)z=$(Z) $(eval R = $$(Z))[$(R)]
ifeq ($(X),1)
define NEST
ifeq (a,a)
$$(eval Y = in-nested)
endif
endef
$(eval $(NEST))
endif
$(info [$(Y)])
define INC
include inc.mk
W := $$(INC_V)
endef
$(eval $(INC))
$(info [$(W)])
"""

LOCATIONS = """define M
A := 1
$$(warning second line)
$$(warning third line)
endef
$(eval $(M))
$(eval $(warning at read))
all:
\t@echo first
\t@echo $(eval $$(warning in recipe))second
"""

SHELL = """A := $(shell echo hello;   echo world)
B != printf 'x\\n\\ny\\n\\n\\n'
C := $(shell printf 'x\\r\\ny\\n\\n\\n')
D := $(shell false)
S1 := $(.SHELLSTATUS)
E := $(shell cat nothere)
S2 := $(.SHELLSTATUS)
F := $(shell echo made > made.txt; cat made.txt)
G = $(shell exit 3)
H != echo '$$(A)'
$(info [$(A)] [$(B)] [$(C)] [$(D)] $(S1) [$(E)] $(S2) [$(F)] [$(G)] $(.SHELLSTATUS))
$(info $(origin .SHELLSTATUS) $(flavor B) $(flavor .SHELLSTATUS) [$(H)] [$(value H)])
all: ; @echo $(shell echo in recipe $@) $(.SHELLSTATUS)
stamp: ; @echo $(shell touch stamp; echo touched)
"""

TESTS = """$(shell mkdir -p dd; touch ff; touch -d @100 old)
R := $(shell [ -d dd ] && echo d1) $(shell test -f ff && echo f1) \\
  $(shell [ -f dd ] || echo notf) $(shell [ ! -e nope ] && echo ne) \\
  $(shell test ff -nt old && echo newer) $(shell test old -nt ff || echo notnewer) \\
  $(shell test nope -ot ff || echo missing) $(shell [ -s ff ] || echo empty) \\
  $(shell [ a = a ] && echo eq) $(shell [ 3 -lt 10 ] && echo lt) \\
  $(shell test -z "" && echo z) $(shell [ -n "" ] || echo n)
W := $(shell pwd)
$(info $(R))
$(info $(if $(filter $(CURDIR),$(W)),pwd-ok,pwd-bad $(W)))
all: ; @:
"""

UNDEFINE = """A = 1
B = 2
N = B
undefine A
undefine $(N)
C = 3
undefine C   # a comment
override O = o
undefine O
H := $(HOME)
undefine HOME
D = d
override undefine D
$(info [$(A)] [$(origin A)] [$(B)] [$(origin C)] [$(O)] [$(origin HOME)] [$(origin D)])
undefine CL
override undefine CL2
$(info [$(CL)] [$(origin CL)] [$(origin CL2)])
ifeq (a,b)
undefine B
endif
all: ; @:
"""

# variable.c lookup_variable skips a private variable met in a parent's set: a global
# one is not seen by recipes, a target or pattern one not by prerequisites
PRIVATE = """private G = global-private
$(info read: [$(G)])
all: private T = tprivate
all: export private E = eprivate
all: dep ; @echo "all: G=[$(G)] T=[$(T)] E=[$(E)] env=[$$E] $(origin G) $(origin T)"
dep: ; @echo "dep: G=[$(G)] T=[$(T)] E=[$(E)] $(origin T)"
%.x: private P = pat
a.x: b ; @echo "a.x: P=[$(P)]"
b: ; @echo "b: P=[$(P)]"
override private O = o
private override A = 1
private export C = 3
export private D = 4
private F += 6
G = redefined-stays-private
$(info [$(O)] $(origin O) [$(A)] [$(C)] [$(D)] [$(F)] [$(G)])
f: ; @echo "A=[$(A)] C=[$(C)] D=[$(D)] F=[$(F)] G=[$(G)] envC=[$$C] envD=[$$D]"
export define X
val
endef
export override define Y
yy
endef
private define Z
zz
endef
e: ; @echo "[$$X] [$$Y] $(origin Y) [$(Z)]"
"""

MFL = """$(info [$(MAKEFILE_LIST)] $(flavor MAKEFILE_LIST) $(origin MAKEFILE_LIST))
include inc.mk
all: ; @echo "[$(MAKEFILE_LIST)]"
"""
MFL_INC = "$(info inc [$(MAKEFILE_LIST)])\n"

RUNS = {
    "templates": (TEMPLATES, [], {"inc.mk": "INC_V = from-include\n"}),
    "templates-goals": (TEMPLATES, ["all", "r"], {"inc.mk": "INC_V = from-include\n"}),
    "templates-n": (TEMPLATES, ["-n", "all"], {"inc.mk": "INC_V = from-include\n"}),
    "templates-no-include": (TEMPLATES, ["r"], {}),
    "locations": (LOCATIONS, [], {}),
    "shell": (SHELL, [], {}),
    "shell-n": (SHELL, ["-n", "all", "stamp"], {}),
    "shell-tests": (TESTS, [], {}),
    # read.c eval_makefile appends to MAKEFILE_LIST with f_append_value at origin 'file'
    "makefile-list": (MFL, [], {"inc.mk": MFL_INC}),
    "makefile-list-command-line": (MFL, ["MAKEFILE_LIST=x"], {"inc.mk": MFL_INC}),
    "makefile-list-e": (MFL, ["-e"], {"inc.mk": MFL_INC}),
    "makefile-list-recursive": ("MAKEFILE_LIST =\n" + MFL, [], {"inc.mk": MFL_INC}),
    "makefile-list-simple": ("MAKEFILE_LIST := s\n" + MFL, [], {"inc.mk": MFL_INC}),
    "makefile-list-override": ("override MAKEFILE_LIST = o\n" + MFL, [], {"inc.mk": MFL_INC}),
    "private": (PRIVATE, ["all", "a.x", "f", "e"], {}),
    "private-command-line": (PRIVATE, ["all", "e", "T=cmd", "Y=cmd", "G=cmd"], {}),
    "undefine": (UNDEFINE, ["CL=x", "CL2=y"], {}),
    "undefine-e": (UNDEFINE, ["-e"], {}),
}

SMALL = {
    "eval-missing-endif": "define W\nifeq (a,a)\nQ=1\nendef\n$(eval $(W))\nall:;@:\n",
    "eval-missing-separator": "define B\nok = 1\n\nbad line here\nendef\n$(eval $(B))\n",
    "eval-error-in-recipe": "all:\n\t@echo a\n\t@echo $(eval $$(error boom))x\n",
    "eval-sets-default-goal": "$(eval first: ; @echo first)\nsecond: ; @echo second\n",
    "eval-empty": "$(eval)\n$(eval   )\nall: ; @echo ok\n",
    "eval-define-in-eval": "define D\ndefine IN\nx y\nendef\nendef\n$(eval $(D))\n"
                           "$(info [$(IN)])\nall:;@:\n",
    "eval-endef-extraneous": "define D\ndefine IN\nx\nendef junk\nendef\n$(eval $(D))\n"
                             "all:;@:\n",
    "eval-rule-continues": "$(eval a: b)\na: c ; @echo $^\nb c: ; @:\n",
    "eval-unterminated": "$(eval A := 1\nall:;@:\n",
    "unterminated-function": "X := $(subst a,b\n",
    "unterminated-brace-function": "X := ${info a\n",
    "unterminated-reference": "X := $(foo x\n",
    "shell-stderr-status": "X := $(shell echo out; cat /nonexistent/x; exit 4)\n"
                           "$(info [$(X)] $(.SHELLSTATUS))\nall:;@:\n",
    "shell-in-prereqs": "all: $(shell echo p1 p2) ; @echo $^\np1 p2: ; @echo $@\n",
    "shell-redirect-file": "X := $(shell echo a > f.txt; echo b >> f.txt; cat f.txt)\n"
                           "$(info [$(X)])\nall: f.txt ; @cat f.txt\n",
    "bang-assign-forms": "A != echo a\nA != echo b\nexport E != echo e\n"
                         "override O != echo o\n$(info $(A) $(E) $(O) $(origin O))\nall:;@:\n",
    # read.c parse_variable_definition: a blank inside the name must be followed by the
    # operator, else the line is no assignment (a rule, or a missing separator)
    "blank-in-name": "A B = 1\nall:;@:\n",
    "blank-in-name-rule": "A B = x: y ; @echo [$@] [$^]\ny:;@:\n",
    "blank-in-name-colon-equals": "A B := 1\nall:;@:\n",
    "blank-in-name-override": "override A B = 1\nall:;@:\n",
    "blank-in-name-export": "export A B = 1\nall:;@echo $(origin A B) $(origin A)\n",
    "target-var-empty-name": "t: = 1\nall:;@:\n",
    "private-alone": "private\nall:;@:\n",
    "private-no-assignment": "private G\nall:;@:\n",
    "undefine-empty": "undefine\n",
    "undefine-two-words": "define A B\n1\nendef\nundefine A B\n$(info [$(A B)])\nall:;@:\n",
    "undefine-then-plus": "A := 1\nundefine A\nA += 2\n$(info [$(A)] $(flavor A))\nall:;@:\n",
}


def _case(tmp_path, text: str, files: dict[str, str]) -> Case:
    c = Case(str(tmp_path))
    c.write("Makefile", text)
    for name, body in files.items():
        c.write(name, body)
    return c


@needs_make
@pytest.mark.parametrize("name", sorted(RUNS))
def test_eval_shell_undefine(name, tmp_path):
    text, args, files = RUNS[name]
    c = _case(tmp_path, text, files)
    c.run(*args)
    c.run(*args)  # again, on what the first run left (files made by $(shell))
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


@needs_make
@pytest.mark.parametrize("name", sorted(SMALL))
def test_eval_shell_edge_cases(name, tmp_path):
    c = _case(tmp_path, SMALL[name], {})
    c.run()
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("text, construct", [
    ("X := $(shell uname -m)\nall:;@:\n", "the command 'uname' inside $(shell ...)"),
    ("X := $(shell echo a | cat)\nall:;@:\n", "'|' inside $(shell ...)"),
    ("X := $(shell $(MAKE) -v)\nall:;@:\n", "a sub-make inside $(shell ...)"),
    ("X != gcc --version\nall:;@:\n", "the command 'gcc' inside $(shell ...)"),
])
def test_shell_command_not_modelled_is_a_clear_error(text, construct, tmp_path):
    """A $(shell) command kbsim does not model has no output to guess: one line naming
    it, exit 2 (in a recipe the same command is assumed to write its target)."""
    with open(os.path.join(tmp_path, "Makefile"), "w") as fh:
        fh.write(text)
    out, _ = run_sim(str(tmp_path), [])
    assert out.rc == 2
    assert construct in out.err and "outside the make subset" in out.err, out.err
    assert out.err.count("\n") == 1
