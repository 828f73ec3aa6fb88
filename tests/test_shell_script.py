"""Recipe lines with shell variables and compound commands, against GNU make 4.3 and dash.

The idioms of recursive make need them: ``for d in $(DIRS); do $(MAKE) -C $$d || exit
1; done``, ``(cd d && $(MAKE))``, ``X=1 $(MAKE)``, ``if [ -d d ]; then ...; fi``. kbsim
assumed such a line wrote its target (with a warning) and never ran the sub-makes;
kbsim/make/shellscript.py now parses them and shell.py runs them: variables from the
recipe's environment (make's exported variables, target variables in force), unquoted
expansions split into fields, ``$?``, ``set -e``, a subshell's ``cd``, ``exit`` and
variables undone when it ends, and exported shell variables and ``NAME=value`` prefixes in
a sub-make's environment.
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

RECURSIVE = {
    "Makefile": """DIRS = lib app
export OPT = -O2
all:
\t@for d in $(DIRS); do $(MAKE) -C $$d || exit 1; done
\t@echo top done
clean-ish:
\t@for d in $(DIRS); do (cd $$d && $(MAKE) show); done
keep-going:
\t@for d in bad $(DIRS); do $(MAKE) -C $$d; done; echo status=$$?
stop:
\t@for d in bad $(DIRS); do $(MAKE) -C $$d || exit 1; done
env:
\t@X=prefix $(MAKE) -C lib show
\t@export Y=exported; $(MAKE) -C lib show
\t@unset OPT; $(MAKE) -C lib show
tv: export T = target-var
tv:
\t@echo T=$$T; $(MAKE) -C lib show
""",
    "lib/Makefile": """lib.a: a.o ; @echo ar $@ OPT=$$OPT; touch $@
a.o: a.c ; @echo cc $@; touch $@
show: ; @echo show X=$$X Y=$$Y OPT=$$OPT T=$$T
""",
    "lib/a.c": "",
    "app/Makefile": """app: main.o ../lib/lib.a ; @echo link $@; touch $@
main.o: main.c ; @echo cc $@; touch $@
show: ; @echo app show
""",
    "app/main.c": "",
    "bad/Makefile": "all: ; @exit 3\n",
}

SCRIPT = """V = two  words
all:
\t@for x in 1 "2 3" '$$HOME' ""; do echo "[$$x]" [$$x]; done
\t@V="$(V)"; echo $$V "$$V" $${V}x; for w in $$V; do echo w=$$w; done
\t@E=; for w in $$E; do echo never; done; echo "empty:[$$E]" [$$E]
\t@S=" a  b "; echo [$$S] "[$$S]"; for w in x$${S}y; do echo "<$$w>"; done
\t@if [ -d sub ]; then echo has-sub; elif true; then echo no; else echo never; fi
\t@if test -f nope; then echo yes; fi; echo status=$$?
\t@if false; then :; elif [ a = b ]; then :; else echo else-branch; fi
\t@false || echo "after false: $$?"; true && echo "after true: $$?"
\t@(cd sub && pwd > ../where.txt) && cat where.txt | true || echo pipe-not-run
\t@(cd sub && echo in-sub; exit 4); echo "subshell status $$?"; pwd > here.txt
\t@{ echo grouped; false; }; echo "group status $$?"
\t@X=1; Y=$$X$$X; echo $$X $$Y "$${Y}z"
\t@for f in *.mk; do echo mk:$$f; done; for f in "*.mk"; do echo q:$$f; done
\t@for i in a b; do for j in 1 2; do echo $$i$$j; done; done
\t@A=1 B=2; echo $$A$$B
\t@> made-by-redirect.txt
\t@echo "$$NOT_SET" [$${NOT_SET}] done
\t@test "$$PWD" = "$(CURDIR)" && echo pwd-ok; cd sub && test "$$PWD" = "$(CURDIR)/sub" && echo cd-ok
errexit:
\t@set -e; true; false || echo tested; false; echo not-reached
errexit-if:
\t@set -e; if false; then :; fi; echo survived; false && echo no; echo survived2
errexit-off:
\t@set -e; set +e; false; echo reached
exit-in-loop:
\t@for i in 1 2 3; do echo $$i; [ $$i = 2 ] && exit 5; done; echo never
"""

# main.c export_all_variables (a bare 'export', .EXPORT_ALL_VARIABLES), 'unexport' of an
# environment variable, job.c target_environment's MAKELEVEL and SHELL
EXPORTS = {
    "Makefile": """unexport HOME
A = a
B = b
export
unexport B
9X = nine
D.E = dotted
t: TV = target
all: t
\t@echo "HOME=[$$HOME] A=[$$A] B=[$$B] CURDIR=[$$CURDIR] MAKE=[$$MAKE] LEVEL=[$$MAKELEVEL]"
\t@$(MAKE) -C sub
t: ; @echo "TV=[$$TV] A=[$$A]"
""",
    "sub/Makefile": """all: ; @echo "sub: $(origin A) [$(A)] $(origin B) $(origin HOME) $(MAKELEVEL) [$$MAKELEVEL]"
""",
    "eav.mk": """A = a
.EXPORT_ALL_VARIABLES:
all: ; @echo "A=[$$A] level=[$$MAKELEVEL] CC=[$$CC] MAKEFILE_LIST=[$$MAKEFILE_LIST]"
""",
    "toggle.mk": """export
A = a
unexport
all: ; @echo "A=[$$A]"
""",
}

# read.c record_files' one_shell, commands.c chop_commands, job.c
# construct_command_argv_internal: one shell per recipe, interior @-+ dropped
ONESHELL = {
    "Makefile": """.ONESHELL:
define CANNED
echo canned one
  @echo canned two
endef
all: sub
\techo one
\t@echo two
\t  -echo three; false
\techo "status $$?"
\tfor i in a b; do
\t  echo "loop $$i"
\tdone
\techo cont \\
\t  inued
fails:
\t@cd sub
\tfalse
\tpwd || true
\tfalse
ignored:
\t-@false
\techo x
\tfalse
sub:
\t@echo making sub
\t$(MAKE) -C sub
canned:
\t@$(CANNED)
\techo end
.PHONY: all sub fails ignored canned
""",
    "sub/Makefile": "all: ; @echo in sub\n",
}

RUNS = {
    "recursive": (RECURSIVE, [["all"], ["all"]]),
    "recursive-touch": (RECURSIVE, [["all"], ["TOUCH", "lib/a.c"], ["all"]]),
    "recursive-n": (RECURSIVE, [["-n", "all"]]),
    "recursive-q": (RECURSIVE, [["all"], ["-q", "all"]]),
    "recursive-cd": (RECURSIVE, [["clean-ish"]]),
    "recursive-status": (RECURSIVE, [["keep-going"], ["stop"], ["-k", "stop", "all"]]),
    "recursive-env": (RECURSIVE, [["env"], ["tv"], ["env", "OPT=cmdline"]]),
    "exports": (EXPORTS, [["all"], ["-f", "eav.mk"], ["-f", "toggle.mk"], ["A=cmd", "all"]]),
    "oneshell": (ONESHELL, [["all"], ["fails"], ["-k", "fails", "ignored", "canned"],
                            ["-n", "all"], ["-s", "canned"], ["-q", "sub"], ["-i", "fails"]]),
    "script": ({"Makefile": SCRIPT, "sub/x": "", "a.mk": "", "b.mk": ""}, [["all"]]),
    "script-errexit": ({"Makefile": SCRIPT}, [["errexit"], ["errexit-if"], ["errexit-off"],
                                              ["-k", "errexit", "exit-in-loop"]]),
}


@needs_make
@pytest.mark.parametrize("name", sorted(RUNS))
def test_shell_script_recipes(name, tmp_path):
    files, steps = RUNS[name]
    c = Case(str(tmp_path))
    for path, text in files.items():
        c.write(path, text)
    c.T(-100, *files)
    clock = 0
    for args in steps:
        if args[0] == "TOUCH":
            clock += 10
            c.T(clock, *args[1:])
            continue
        c.run(*args)
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
