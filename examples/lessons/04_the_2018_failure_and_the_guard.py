"""Lesson 4: the 2018 failure (lindroth-2018) and its fix, commit 825d48758308.

In March 2018 Thomas Lindroth's 4.14 builds failed now and then with
``ERROR: "clear_user" [drivers/media/v4l2-core/videodev.ko] undefined!``. His ext4 stored
whole seconds. The last objects compiled before adjust_autoksyms.sh ran finished in the
same second as the script's touches, so each ksym file got EXACTLY its object's mtime.
make wants strictly newer (lesson 1): the objects were not recompiled, never exported
their symbols, and modpost failed. The fix made the adjust script touch each file again
until it is newer (-nt) than autoksyms.h.tmpnew, which is written after every compile of
the pass.

Here the whole tiny build fits in one second, so every needed exporter is hit.
"""

from _lesson import say, show, tiny_kernel, title

from kbsim.report.buildrun import run_model
from kbsim.report.explain import explain_target, render_text
from kbsim.report.timefmt import clock

spec = tiny_kernel(granularity="1s")
needed = {u for o in spec.objects() if o.kind == "m" for u in o.undefined}
exporters = {o.path for o in spec.objects() if set(o.exports) & needed}

title("1. Era e1 (v4.14, no guard), 1-second mtimes")
run = run_model(spec)
r = run.replay
for line in r.modpost_errors:
    print("  " + line)
print("  stale objects:", ", ".join(s.target for s in r.stale))
assert r.exit_code == 1 and {s.target for s in r.stale} == exporters
assert not [c for c in r.compiles if c.pass_no == 2]  # pass 2 rebuilt nothing
assert sorted(e.split('"')[1] for e in r.modpost_errors) == sorted(needed)

title("2. kbsim explain arch/x86/lib/usercopy_64.o")
ex = explain_target(run, "arch/x86/lib/usercopy_64.o", check=True)
show(render_text(ex, run))
cf = ex.counterfactual
obj_mtime = run.fs.mtime("/linux/arch/x86/lib/usercopy_64.o")
ksym = "/linux/include/config/ksym///clear/user.h"
assert run.fs.mtime(ksym) == obj_mtime  # the equal stamps
assert cf.prerequisite in ("include/config/ksym///clear/user.h",
                           "include/config/ksym/clear/user.h")
assert cf.smallest_storable_ns == obj_mtime + 1_000_000_000  # the next second
assert ex.check.confirmed  # set that mtime and re-run pass 2's make: it recompiles
say("""The ksym file's stamp equals the object's; a stamp one second later - the smallest
a 1-second filesystem can store above it - makes pass 2's make recompile the object
(the check re-runs that make on the simulated tree).""")

title("3. The fix: the race guard (825d48758308, backported to 4.14.y)")
run = run_model(spec, guard=True)
r = run.replay
loops = [t for t in r.adjusts[0].touched if t.touches > 1]
for t in r.adjusts[0].touched:
    print(f"  touched {t.path} {t.touches} time(s): mtime {clock(t.mtime_ns)}, "
          f".tmpnew {clock(r.adjusts[0].tmpnew_mtime_ns)}")
assert r.exit_code == 0 and not r.stale and loops
assert all(t.mtime_ns > r.adjusts[0].tmpnew_mtime_ns for t in r.adjusts[0].touched)
assert {c.target for c in r.compiles if c.pass_no == 2} == exporters
say("""With the guard each touch repeats until the file is newer than .tmpnew - it waits
for the next second - so every ksym file is strictly newer than every object of the
pass, and pass 2 recompiles the exporters.""")
print("Lesson 4 done.")
