"""Lesson 5: one file, several names - aliasing through make's stat cache (vector V14).

make's file table is keyed by the name STRING (file.c lookup_file; only a leading './' is
stripped). d/x.h, d///x.h and d/../d/x.h are three entries, though the kernel resolves
them to one inode. Each entry is stat'ed once, lazily, and re-stat'ed only after its own
recipe ran. So if a recipe changes d/x.h after make has stat'ed the name 'd/x.h', every
later target that says 'd/x.h' compares against the OLD mtime, while a target that names
the file another way stats it fresh and sees the change.

In kbuild (v4.7-v4.16) the same ksym file is listed as include/config/ksym///clear/user.h
(for __clear_user) and include/config/ksym/clear/user.h (for clear_user). The 2018 thread
suspected this aliasing first; lesson 4 shows the real culprit was the equal stamps, and
that both names saw the same (equal) mtime.
"""

from _lesson import at, say, show, title, tree

from kbsim.report.buildrun import run_make
from kbsim.report.explain import explain_target, render_text

R = '\t@echo "R $@ [$?]"\n'
MAKEFILE = ("all: t1 gen t2 t3 t4 t5\n"
            "t1: d/x.h\n" + R +
            "gen: ; touch d/x.h\n"
            "t2: d///x.h\n" + R +
            "t3: d/x.h\n" + R +
            "t4: ./d/x.h\n" + R +
            "t5: d/../d/x.h\n" + R +
            ".PHONY: all gen\n")

title("The makefile (d/x.h@0, t1..t5@100; gen touches d/x.h)")
show(MAKEFILE)
files = {"Makefile": (MAKEFILE, 0), "d/x.h": ("", 0)}
files.update({f"t{i}": ("", 100) for i in range(1, 6)})
run = run_make(tree(files), "/w")
print("make prints:")
show(run.make_stdout)
# GNU make 4.3, V14: t3 (d/x.h) and t4 (./d/x.h, the same entry) are not remade
assert run.make_stdout == "touch d/x.h\nR t2 [d///x.h]\nR t5 [d/../d/x.h]\n"

title("The stats make made (kbsim trace --only stat,run)")
for e in run.sim.events:
    if e.kind == "stat" and "x.h" in e.data["file"]:
        secs = (e.data["mtime"] - at(0)) / 1e9
        print(f"  stat {e.data['file']:<12} -> @{secs:g}")
    elif e.kind == "run":
        print(f"  run  {e.data['line']}")
stats = [e.data["file"] for e in run.sim.events if e.kind == "stat" and "x.h" in e.data["file"]]
assert stats == ["d/x.h", "d///x.h", "d/../d/x.h"]  # one stat per name; ./d/x.h is d/x.h

title("kbsim explain t3")
ex = explain_target(run, "t3", check=True)
show(render_text(ex, run))
assert ex.verdict == "not rebuilt" and ex.counterfactual.kind == "cache"
group = ex.aliases[0]
assert {"d/x.h", "d///x.h", "d/../d/x.h"} <= set(group.spellings)
assert ex.check.rebuilt_without_change  # a fresh make stats anew and rebuilds t3
say("""t3 was judged with the mtime cached before gen ran; its alias t2 (d///x.h) was
stat'ed after and remade. A fresh make sees the new mtime and rebuilds t3 and t4.""")
print("Lesson 5 done.")
