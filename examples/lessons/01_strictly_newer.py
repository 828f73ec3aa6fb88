"""Lesson 1: make rebuilds a target only if a prerequisite is STRICTLY newer.

GNU make 4.3 (remake.c update_file_1 / check_dep) compares nanosecond mtimes with '>'.
Equal means up to date (vector V02); one nanosecond is enough (V03). On a filesystem that
stores whole seconds, two writes in the same second get EQUAL stamps, so a change can go
unnoticed - the heart of the 2018 kbuild failure.
"""

from _lesson import at, say, show, title, tree

from kbsim.report.buildrun import run_make
from kbsim.report.explain import explain_target, render_text

MAKEFILE = "t: p\n\t@echo \"R $@ [$?]\"\n"


def remade(run, name):
    return any(d.target == name and d.remade for p in run.processes for d in p.decisions)


title("1. make's rule: remake T if some prerequisite is strictly newer than T")
say("Three trees with the same Makefile, 't: p', and different mtimes (@N = 1600000000+N s).")
show(MAKEFILE)

# V01: p@100, t@50 -> remade, $? = p
run = run_make(tree({"Makefile": (MAKEFILE, 0), "p": ("", 100), "t": ("", 50)}), "/w")
print("p@100, t@50 :", run.make_stdout.strip())
assert run.make_stdout == "R t [p]\n" and remade(run, "t")

# V02: equal mtimes -> up to date
run = run_make(tree({"Makefile": (MAKEFILE, 0), "p": ("", 100), "t": ("", 100)}), "/w")
print("p@100, t@100:", run.make_stdout.strip())
assert run.make_stdout == "make: 't' is up to date.\n" and not remade(run, "t")

# V03: one nanosecond newer is enough
run = run_make(tree({"Makefile": (MAKEFILE, 0), "p": ("", 100.000000001),
                     "t": ("", 100)}), "/w")
print("p@100.000000001, t@100:", run.make_stdout.strip())
assert run.make_stdout == "R t [p]\n"

title("2. On a 1 s filesystem, writes in the same second look equal")
say("""The build wrote t at @100.2; then p was edited at @100.7, half a second later. A
1-second filesystem (ext3, ext4 with 128-byte inodes) stores both as @100, and make
keeps t.""")
fs = tree({"Makefile": (MAKEFILE, 0)}, granularity="1s", now=50)
fs.clock.advance_to(at(100.2))
fs.write("/w/t", "built")           # the build writes t at @100.2 ...
fs.clock.advance_to(at(100.7))
fs.write("/w/p", "edited")          # ... and p is edited at @100.7
assert fs.mtime("/w/p") == fs.mtime("/w/t") == at(100)  # both stored as @100
fs.clock.advance_to(at(200))
run = run_make(fs, "/w")
print(run.make_stdout.strip())
assert not remade(run, "t")

title("3. kbsim explain: why not, and the smallest change that would flip it")
ex = explain_target(run, "t", check=True)
show(render_text(ex, run))
cf = ex.counterfactual
assert ex.verdict == "not rebuilt"
assert cf.prerequisite == "p" and cf.target_mtime_ns == at(100)
assert cf.needed_mtime_ns == at(100) + 1          # strictly newer: 1 ns would do...
assert cf.smallest_storable_ns == at(101)         # ...but a 1 s filesystem can only say @101
assert ex.check.rebuilt_with_change and not ex.check.rebuilt_without_change
print("Lesson 1 done: equal is not newer; on coarse filesystems 'newer' needs the next tick.")
