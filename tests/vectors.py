"""The 33 verified GNU make 4.3 vectors of ../shared/reference/gnu-make-semantics.md
(gnu-make-vectors.sh), as step sequences for the oracle harness. Each function sets up a
scratch directory the way the script does and calls c.run(...) for every make call."""

from __future__ import annotations


from oracle import B, Case

R = '@echo "R $@ [$?]"'


def V01(c: Case):
    c.mk(f"t: p ; {R}"); c.T(100, "p"); c.T(50, "t"); c.run()


def V02(c):
    c.mk(f"t: p ; {R}"); c.T(100, "p", "t"); c.run()


def V03(c):
    c.mk(f"t: p ; {R}"); c.touch_ns(B * 10**9 + 1, "p"); c.touch_ns(B * 10**9, "t"); c.run()


def V04(c):
    c.mk(f"t: p q ; {R}"); c.T(0, "p", "q"); c.run()


def V05(c):
    c.mk(f"t: gone.h ; {R}", "gone.h:"); c.T(100, "t"); c.run()


def V06(c):
    c.mk(f"t: nosuch.h ; {R}"); c.T(100, "t"); c.run(); c.run("-k"); c.run("-q")


def V07(c):
    c.mk(f"t: src FORCE ; {R}", "FORCE:"); c.T(0, "src"); c.T(100, "t"); c.run()


def V08(c):
    c.mk(f"a: src | newer ; {R}", f"b: src | odir ; {R}", "odir: ; @echo R odir")
    c.T(0, "src"); c.T(100, "a", "b"); c.T(500, "newer"); c.run("a", "b")


def V09(c):
    c.mk(f"t: src ph ; {R}", "ph: ; @echo R ph", ".PHONY: ph")
    c.T(0, "src", "ph"); c.T(100, "t"); c.run()


def V10(c):
    c.mk(f"e: ; {R}", f"m: ; {R}"); c.T(100, "e"); c.run("e", "m")


def V11(c):
    c.mk('u:: p ; @echo "R u rule1 [$?]"', 'u:: q ; @echo "R u rule2 [$?]"', "v:: ; @echo R v")
    c.T(100, "u", "v"); c.T(50, "p"); c.T(200, "q"); c.run("u", "v")


def V12(c):
    c.mk(f"a: b ; {R}", "b: c ; @echo R b"); c.T(0, "b"); c.T(50, "c"); c.T(100, "a")
    c.run(); c.run("-n"); c.run("-q")


def V13(c):
    c.mk(f"x: mid ; {R}", "mid: src"); c.T(100, "x"); c.T(10, "mid"); c.T(200, "src")
    c.run(); c.run("-q")


def V14(c):
    c.mk("all: t1 gen t2 t3 t4 t5", f"t1: d/x.h ; {R}", "gen: ; touch d/x.h",
         f"t2: d///x.h ; {R}", f"t3: d/x.h ; {R}", f"t4: ./d/x.h ; {R}",
         f"t5: d/../d/x.h ; {R}", ".PHONY: all gen")
    c.T(0, "d/x.h"); c.T(100, "t1", "t2", "t3", "t4", "t5"); c.run()


def V15(c):
    c.mk("all: o1 o2", f"o1: l1 ; {R}", f"o2: l2 ; {R}", "l1: d1 ;", "l2: d2",
         "d1: ; touch l1", "d2: ; touch l2", ".PHONY: all d1 d2")
    c.T(0, "l1", "l2"); c.T(100, "o1", "o2"); c.run()
    c.T(0, "l1", "l2"); c.T(100, "o1", "o2"); c.run("-n")


def V16(c):
    c.mk("t: a b a ./a | o", "t: a c | a", "t: ; @echo '^=[$^] +=[$+] ?=[$?] |=[$|] <=[$<]'",
         "o: ; @:")
    c.T(0, "a", "b"); c.T(200, "c"); c.T(100, "t"); c.run()


def V17(c):
    c.T(0, "d/x.h")
    c.mk("$(info [$(wildcard d///x.h)] [$(wildcard ./d/x.h)] [$(wildcard d/../d/x.h)] "
         "[$(wildcard d//*.h)] [$(wildcard d/nope.h)] [$(wildcard d/x.h d/x.h)])", "all: ; @:")
    c.run()


def V18(c):
    c.T(0, "d/x.h")
    c.mk("G0 := $(wildcard d/*.h)", "LP = $(wildcard d/new.h)", "LG = $(wildcard d/*.h)",
         "all: gen show", "gen: ; @touch d/new.h", "show: ; @echo plain=[$(LP)] glob=[$(LG)]",
         ".PHONY: all gen show")
    c.run()


def V18b(c):
    """V18 without the G0 line: the glob lists both (the directory is read late)."""
    c.T(0, "d/x.h")
    c.mk("LP = $(wildcard d/new.h)", "LG = $(wildcard d/*.h)",
         "all: gen show", "gen: ; @touch d/new.h", "show: ; @echo plain=[$(LP)] glob=[$(LG)]",
         ".PHONY: all gen show")
    c.run()


def V19(c):
    c.mk("all: t1 t3", f"t1: p1 ; {R}", f"t3: p3 ; {R}", ".PHONY: all")
    c.touch_ns((B + 100) * 10**9 + 1, "p1"); c.T(100, "t1")
    c.touch_ns((B + 100) * 10**9 + 600_000_000, "p3")
    c.touch_ns((B + 100) * 10**9 + 500_000_000, "t3")
    c.run()
    with open(c.p("Makefile"), "a") as fh:
        fh.write(".LOW_RESOLUTION_TIME: t1 t3\n")
    c.run()


def V20(c):
    c.mk("all: t u", f"t: p ; {R}", f"u: q ; {R}", ".PHONY: all")
    c.touch_ns(4102444800 * 10**9, "p", "q")  # 2100-01-01 UTC
    c.T(0, "t"); c.touch_ns(4102531200 * 10**9, "u")
    c.run()


def V21(c):
    c.mk(f"t: neg ; {R}"); c.touch_ns(-100 * 10**9, "neg"); c.T(100, "t"); c.run()


def V22(c):
    c.mk("all: t1 t2 t3", f"t1: d/x.h ; {R}", f"t2: d///x.h ; {R}", f"t3: gen.h ; {R}",
         "gen.h: d/x.h ; @echo R gen.h; touch gen.h", ".PHONY: all")
    c.T(0, "d/x.h"); c.T(50, "gen.h"); c.T(100, "t1", "t2", "t3")
    c.run("-W", "d/x.h"); c.T(50, "gen.h"); c.run("-W", "./d/x.h"); c.T(50, "gen.h")
    c.run("-W", "d///x.h"); c.run("-n", "-W", "d/x.h"); c.run("-o", "gen.h", "-W", "d/x.h")
    c.run("-B")


def V23(c):
    c.mk(f"t: nosuch.h ; {R}"); c.T(100, "t"); c.run("-o", "nosuch.h"); c.run("-W", "nosuch.h")


def V24(c):
    c.mk("up: p ; @echo X", "stale: p ; @echo X", "emptyrecipe: p ;", "ph: ; @echo X",
         ".PHONY: ph", "err: nosuch ; @echo X")
    c.T(100, "p"); c.T(200, "up"); c.T(0, "stale", "emptyrecipe")
    for t in ("up", "stale", "emptyrecipe", "ph", "err"):
        c.run("-q", t)


def V25(c):
    c.mk(f"chain: mid ; {R}", f"mid: src ; +@echo running; touch -d @{B + 60} mid")
    c.T(100, "chain"); c.T(0, "mid"); c.T(50, "src"); c.run("-n")


def V26(c):
    c.mk(f"a: b FORCE ; {R}", f"b: c ; @sleep 0.2; touch -d @{B + 60} b", "FORCE:")
    c.T(0, "b"); c.T(100, "a"); c.T(50, "c"); c.run(); c.T(0, "b"); c.run("-j2")


def V27(c):
    c.mk("include inc.mk", "inc.mk: cfg ; @echo REGEN; echo 'X := 1' > $@",
         "all: ; @echo X=$(X)", ".DEFAULT_GOAL := all")
    c.write("inc.mk", "X := 0\n"); c.T(0, "inc.mk"); c.T(100, "cfg"); c.run("-n")


_V28_MK = ("existing := $(wildcard foo.o)", "-include $(foreach f,$(existing),.$(f).cmd)",
           "foo.o: foo.c FORCE ; @echo RECIPE newer=[$(filter-out FORCE,$?)]", "FORCE:",
           ".PHONY: FORCE")
_V28_CMD = ("deps_foo.o := foo.c include/a.h $(wildcard include/config/FOO) "
            "$(wildcard include/config/BAR)\nfoo.o: $(deps_foo.o)\n$(deps_foo.o):\n")


def _v28(c, secondary: bool):
    c.mk(*_V28_MK, *((".SECONDARY:",) if secondary else ()))
    c.write(".foo.o.cmd", _V28_CMD)

    def reset():
        c.T(0, "foo.c", "include/a.h", "include/config/FOO"); c.rm("include/config/BAR")
        c.T(100, "foo.o")

    reset(); c.run(); reset(); c.T(200, "include/config/FOO"); c.run()
    reset(); c.rm("include/a.h"); c.run(); reset(); c.T(200, "include/config/BAR"); c.run()
    if not secondary:
        reset(); c.T(50, "include/config/BAR"); c.run()
    reset(); c.rm("foo.o"); c.run()


def V28(c):
    _v28(c, False)


def V29(c):
    c.mk("%.o: %.c ; @echo BUILD $@; touch $@", "%.c: %.y ; @echo GEN $@; touch $@")
    c.T(0, "p.y"); c.T(100, "p.o"); c.run("p.o"); c.T(200, "p.y"); c.run("p.o")


def V30(c):
    _v28(c, True)


def V31(c):
    c.mk(f"t: gone.h ; {R}", "gone.h:", ".SECONDARY:"); c.T(100, "t"); c.run()


def V32(c):
    c.mk(f"t: a b c FORCE ; {R}", "a: FORCE ; @echo R a", "b: FORCE ; @echo R b; touch b",
         "c: FORCE ; @echo R c", "FORCE:", ".PHONY: FORCE")
    c.T(0, "a", "c"); c.T(100, "t"); c.run()
    c.rm("b")
    with open(c.p("Makefile"), "a") as fh:
        fh.write(".SECONDARY:\n")
    c.run()


def V33(c):
    c.mk(f"t: nosuch.h ; {R}", ".SECONDARY:"); c.T(100, "t"); c.run()
    c.mk(f"t: nosuch.h FORCE ; {R}", "FORCE:", ".SECONDARY:"); c.run()
    c.rm("t"); c.run()


VECTORS = {name: fn for name, fn in sorted(globals().items())
           if name.startswith("V") and callable(fn)}
