"""Lesson 6: recursive make - each directory's make decides alone, in the order it runs.

The classic recursive build runs one make per directory from a shell loop
(``for d in $(SUBDIRS); do $(MAKE) -C $$d || exit 1; done``). Each sub-make reads only
its own Makefile: app's make knows ../lib/lib.a as a plain prerequisite with no rule, so
it compares mtimes and moves on; it cannot know that lib's make, which runs later, will
rewrite lib.a. When the loop visits app before lib, a change in lib/a.c reaches lib.a in
the first make and app only in the second ("Recursive Make Considered Harmful", Miller
1997). kbuild avoids this by descending into every directory before it links anything
(``$(vmlinux-deps): $(vmlinux-dirs)``), and its adjust loop re-runs make for the same
reason: a later step changes what an earlier one read.

Expected outputs are GNU make 4.3's (recorded by running it on this tree); kbsim runs
the same recipe lines, loop included.
"""

from _lesson import say, show, title, tree

from kbsim.report.buildrun import run_make
from kbsim.report.explain import explain_target, render_text

TOP = ("SUBDIRS = app lib\n"
       "all:\n"
       "\t@for d in $(SUBDIRS); do $(MAKE) -C $$d || exit 1; done\n"
       ".PHONY: all\n")
LIB = ('lib.a: a.o ; @echo "  AR  lib/$@"; touch $@\n'
       'a.o: a.c ; @echo "  CC  lib/$@"; touch $@\n')
APP = ('app: main.o ../lib/lib.a ; @echo "  LD  app/$@ with $^"; touch $@\n'
       'main.o: main.c ; @echo "  CC  app/$@"; touch $@\n')
ARGS = ["--no-print-directory"]

title("The tree: a top Makefile looping over app and lib (in that order)")
show(TOP)
show("lib/Makefile:\n" + LIB + "app/Makefile:\n" + APP)
files = {"Makefile": (TOP, 0), "lib/Makefile": (LIB, 0), "app/Makefile": (APP, 0),
         "lib/a.c": ("", 0), "app/main.c": ("", 0), "lib/a.o": ("", 100),
         "app/main.o": ("", 100), "lib/lib.a": ("", 200), "app/app": ("", 300)}
fs = tree(files)

title("Everything is up to date; then lib/a.c changes (@400) and make runs")
fs.set_mtime("/w/lib/a.c", fs.clock.now)
first = run_make(fs, "/w", args=ARGS)
show(first.make_stdout)
# GNU make 4.3: app's make runs first and finds ../lib/lib.a older than app
assert first.make_stdout == ("make[1]: 'app' is up to date.\n"
                             "  CC  lib/a.o\n  AR  lib/lib.a\n"), first.make_stdout

title("kbsim explain app/app (in the first make)")
ex = explain_target(first, "app/app")
show(render_text(ex, first))
assert ex.verdict == "not rebuilt"

title("The second make: only now does app see the new lib.a")
second = run_make(fs, "/w", args=ARGS)
show(second.make_stdout)
assert second.make_stdout == ("  LD  app/app with main.o ../lib/lib.a\n"
                              "make[1]: 'lib.a' is up to date.\n"), second.make_stdout
third = run_make(fs, "/w", args=ARGS)
assert third.make_stdout == "make[1]: 'app' is up to date.\nmake[1]: 'lib.a' is up to date.\n"

title("The same change with SUBDIRS = lib app: one make is enough")
fs2 = tree({**files, "Makefile": (TOP.replace("app lib", "lib app"), 0)})
fs2.set_mtime("/w/lib/a.c", fs2.clock.now)
fixed = run_make(fs2, "/w", args=ARGS)
show(fixed.make_stdout)
assert fixed.make_stdout == ("  CC  lib/a.o\n  AR  lib/lib.a\n"
                             "  LD  app/app with main.o ../lib/lib.a\n"), fixed.make_stdout
say("""Each sub-make stats ../lib/lib.a once, when it needs it, and has no rule to remake
it: the order of the loop decides whether app sees the new library in this make or the
next. Ordering the directories (or one make over the whole tree) removes the second
pass.""")
print("Lesson 6 done.")
