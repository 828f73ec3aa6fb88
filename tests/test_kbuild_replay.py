"""Replaying small kbuild trees through the make engine, era by era."""

from __future__ import annotations

import pytest

from kbsim.kbuild import BuildSpec, DirSpec, ModuleSpec, ObjectSpec, Timing, replay
from kbsim.report.replay_report import replay_json

MS = 1_000_000
NS = 1_000_000_000
START = 1_520_958_000 * NS  # on a second boundary


def tiny(era="e1", compile_ms=10, **kw) -> BuildSpec:
    c = compile_ms * MS
    dirs = [
        DirSpec("kernel", "core", [
            ObjectSpec("kernel/a.o", "kernel/a.c", ["include/linux/x.h"], ["FOO"],
                       ["foo", "unused_export"], [], c),
            ObjectSpec("kernel/b.o", "kernel/b.c", ["include/linux/x.h"], [], [], [], c)]),
        DirSpec("arch/x86/lib", "libs", [
            ObjectSpec("arch/x86/lib/usercopy_64.o", "arch/x86/lib/usercopy_64.c",
                       ["include/linux/x.h"], [], ["__clear_user", "clear_user"], [], c, "lib"),
            ObjectSpec("arch/x86/lib/putuser.o", "arch/x86/lib/putuser.S", [], [],
                       ["__put_user_1", "__put_user_8"], [], c, "lib")]),
        DirSpec("drivers/media", "drivers", [
            ObjectSpec("drivers/media/videodev.o", "drivers/media/videodev.c", [], [], [],
                       ["clear_user", "__put_user_8", "foo"], c, "m")]),
    ]
    t = Timing(jitter=0.0, touch_ns=1 * MS, make_startup_ns=1 * MS, top_startup_ns=5 * MS,
               adjust_startup_ns=1 * MS, archive_ns=1 * MS, link_ns=10 * MS,
               modpost_ns=10 * MS)
    return BuildSpec("tiny", era, dirs, {"include/linux/x.h": ["BAR"]},
                     [ModuleSpec("drivers/media/videodev.ko", ["drivers/media/videodev.o"])],
                     jobs=2, start_ns=START, start_phase=False, timing=t, **kw)


def needed_exporters(spec: BuildSpec) -> set[str]:
    """Objects that export a symbol some module needs (computed from the spec)."""
    need = {u for o in spec.objects() if o.kind == "m" for u in o.undefined}
    return {o.path for o in spec.objects() if set(o.exports) & need}


def test_ns_second_pass_rebuilds_exactly_the_needed_exporters():
    spec = tiny()
    r = replay(spec, granularity="ns")
    assert r.exit_code == 0 and r.make_status == 0
    assert not r.stale and not r.modpost_errors
    pass2 = {c.target for c in r.compiles if c.pass_no == 2}
    assert pass2 == needed_exporters(spec)
    assert r.passes == 2
    assert [a.changed for a in r.adjusts] == [3, 0]  # foo, clear_user, __put_user_8
    for c in r.compiles:
        if c.pass_no == 2:
            assert c.reasons[0].startswith("due to: include/config/ksym/"), c.reasons


def test_one_second_mtimes_leave_objects_stale_like_2018():
    """Everything inside one second: the touched ksym files get the objects' own mtime,
    make needs strictly newer, nothing is rebuilt, modpost fails (e1 message format)."""
    spec = tiny()
    r = replay(spec, granularity="1s")
    assert r.end_ns - r.start_ns < 2 * NS
    assert {s.target for s in r.stale} == needed_exporters(spec)
    assert not [c for c in r.compiles if c.pass_no == 2]
    assert set(r.modpost_errors) == {
        'ERROR: "clear_user" [drivers/media/videodev.ko] undefined!',
        'ERROR: "__put_user_8" [drivers/media/videodev.ko] undefined!',
        'ERROR: "foo" [drivers/media/videodev.ko] undefined!'}
    # pre-5.19 modpost prints a module's unresolved symbols in reverse order
    assert r.modpost_errors[0] == 'ERROR: "foo" [drivers/media/videodev.ko] undefined!'
    assert r.exit_code == 1
    t = {x.path: x for x in r.adjusts[0].touched}
    uc = r.fs.mtime("/linux/arch/x86/lib/usercopy_64.o")
    assert r.fs.mtime("/linux/include/config/ksym///clear/user.h") == uc
    assert "include/config/ksym/clear/user.h" in t


@pytest.mark.parametrize("era", ["e1-guard", "e2", "e3", "e4", "e5"])
def test_race_guard_makes_one_second_mtimes_safe(era):
    spec = tiny(era)
    r = replay(spec, granularity="1s")
    assert not r.stale and not r.modpost_errors and r.exit_code == 0
    touched = r.adjusts[0].touched
    assert any(t.touches > 1 for t in touched)  # the guard had to loop
    tmpnew = r.adjusts[0].tmpnew_mtime_ns
    assert all(t.mtime_ns > tmpnew for t in touched)


def test_guard_can_be_forced_off_for_a_guarded_era():
    r = replay(tiny("e2"), granularity="1s", guard=False)
    assert r.stale and r.exit_code == 1
    assert all(p.startswith("include/ksym/") for p in (t.path for t in r.adjusts[0].touched))


def test_e5_paths_and_modpost_format():
    spec = tiny("e5")
    spec.dirs[2].objects[0].undefined.append("nobody_exports_this")
    r = replay(spec, granularity="ns")
    paths = {t.path for t in r.adjusts[0].touched}
    assert "include/ksym/__put_user_8" in paths and "include/ksym/clear_user" in paths
    assert r.modpost_errors == [
        'ERROR: modpost: "nobody_exports_this" [drivers/media/videodev.ko] undefined!']
    assert r.exit_code == 1
    usyms = r.fs.read("/linux/drivers/media/videodev.usyms").decode().split()
    assert usyms == ["clear_user", "__put_user_8", "foo", "nobody_exports_this"]


def test_e6_has_no_recursion():
    r = replay(tiny("e6"), granularity="1s")
    assert r.passes == 1 and not r.adjusts and r.exit_code == 0 and not r.stale


def test_replays_are_deterministic():
    spec = tiny(compile_ms=200)
    spec.timing.jitter = 0.3
    a = replay_json(replay(spec, granularity="jiffy", seed=7))
    b = replay_json(replay(spec, granularity="jiffy", seed=7))
    assert a == b
    c = replay_json(replay(spec, granularity="jiffy", seed=8))
    assert a["passes"][0]["compiled"] != c["passes"][0]["compiled"]


def test_second_make_in_a_built_tree_is_a_no_op():
    """After the replay converged, the cmd lines and mtimes agree: nothing is rebuilt."""
    r = replay(tiny(), granularity="ns")
    from kbsim.make import MakeOptions, Simulation
    sim = Simulation(r.fs)
    r.runtime.register(sim.shell)
    before = len(r.runtime.compiles)
    status = sim.run(MakeOptions(jobs=2, print_directory=False, no_builtin_rules=True,
                                 no_builtin_variables=True), "/linux", env={})
    assert status == 0
    assert len(r.runtime.compiles) == before
