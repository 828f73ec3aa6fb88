"""Lesson 3: CONFIG_TRIM_UNUSED_KSYMS and the adjust loop (kbuild v4.7-v6.4).

With TRIM_UNUSED_KSYMS, an EXPORT_SYMBOL(S) is compiled in only if
include/generated/autoksyms.h says ``#define __KSYM_S 1``. The first pass compiles
everything against an empty autoksyms.h, so nothing is exported. Then
scripts/adjust_autoksyms.sh collects the symbols the modules need, rewrites autoksyms.h,
and TOUCHES one timestamp file per changed symbol - the ksym files fixdep listed in the
.cmd of every object that exports the symbol (lesson 2). Then it re-runs make: the objects
whose ksym file is now newer are recompiled, with their exports. The loop ends when a pass
changes nothing.

This replay runs on a nanosecond filesystem, where it works.
"""

from _lesson import say, show, title, tiny_kernel

from kbsim.kbuild import replay
from kbsim.report.buildrun import run_model
from kbsim.report.trace import narrate

spec = tiny_kernel(granularity="ns")
needed = {u for o in spec.objects() if o.kind == "m" for u in o.undefined}
exporters = {o.path for o in spec.objects() if set(o.exports) & needed}

title("The tree")
for o in spec.objects():
    extra = f" exports {', '.join(o.exports)}" if o.exports else ""
    need = f" needs {', '.join(o.undefined)}" if o.undefined else ""
    print(f"  {o.path:<30}{extra}{need}")
say(f"The module needs {', '.join(sorted(needed))}; so the objects that must export "
    f"something are {', '.join(sorted(exporters))}.")

title("The loop, step by step (kbsim trace --only start,compiled,touch,adjust-end)")
run = run_model(spec, granularity="ns")
show("".join(narrate(run, only=["start", "compiled", "touch", "adjust-end", "modpost"])))

r = run.replay
assert r.exit_code == 0 and not r.stale and not r.modpost_errors
assert [a.changed for a in r.adjusts] == [len(needed), 0]
assert {t.symbol for t in r.adjusts[0].touched} == needed
pass2 = {c.target for c in r.compiles if c.pass_no == 2}
assert pass2 == exporters, pass2
for c in r.compiles:
    if c.pass_no == 2:  # each recompiled because its ksym file is newer
        assert c.reasons[0].startswith("due to: include/config/ksym/"), c.reasons
        assert set(c.exports) <= needed and set(c.exports)
say("""Pass 2 recompiled exactly the exporters of needed symbols, each 'due to' its ksym
file, and the second adjust changed nothing. Note what decides it: each object's mtime
against its ksym file's mtime - lesson 1's strictly-newer rule. Lesson 4 shows what a
1-second filesystem does to that.""")

# the same replay twice gives the same result, byte for byte (seeded simulation)
again = replay(tiny_kernel(granularity="ns"), granularity="ns")
assert [(c.target, c.mtime_ns) for c in again.compiles] == \
    [(c.target, c.mtime_ns) for c in r.compiles]
print("Lesson 3 done.")
