"""MAKEFLAGS, MFLAGS and MAKEOVERRIDES, and the switches they carry, against GNU make 4.3.

main.c define_makeflags writes the switches in switch-table order (kbsim/make/makeflags.py);
decode_env_switches reads MAKEFLAGS back after the makefiles are read, so a makefile's
``MAKEFLAGS += -s`` turns -s on; -o and -W are never passed to a sub-make; while makefiles
are remade, -n, -q and -t are not passed either, so a sub-make that writes an included
makefile really runs. kbsim had MAKEFLAGS as a few letters, ignored a makefile's
additions, and passed -o, -W, -n, -q and -t to every sub-make.
"""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

SHOW = [
    "$(info P [$(origin MAKEOVERRIDES)] [$(value MAKEOVERRIDES)] [$(MAKEFLAGS)] "
    "[$(MFLAGS)] [$(origin MFLAGS)])",
    "MAKEFLAGS += $(EXTRA)",
    ".PHONY: all sub",
    "all: ; +@: $(info L$(MAKELEVEL) R [$(MAKEFLAGS)] [$(value MAKEFLAGS)] [$(MFLAGS)] "
    "[$(origin MAKEFLAGS)])",
    "sub: ; +@$(MAKE) -f Makefile all",
]

SHOW_ARGS = {
    "plain": ["all"],
    "flags-and-variables": ["-k", "-s", "X=1", "Y=a b", "all"],
    "quoted-variable": ["X=$$a\\b", "all"],
    "letters-in-table-order": ["-t", "-s", "-r", "-q", "-n", "-k", "-i", "-e", "-B", "-R", "-L",
                               "all"],
    "with-arguments": ["-I", "/tmp", "-I/usr", "-l", "2.5", "--trace", "all"],
    "jobs": ["-j2", "sub"],
    "unlimited-jobs": ["-j", "all"],
    "print-directory": ["-w", "sub"],
    "no-print-directory-wins": ["-w", "sub"],
    "old-and-new-files-not-passed": ["-o", "x", "-W", "y", "sub"],
    "makefile-adds-s": ["EXTRA=-s", "sub"],
    "makefile-adds-letter-without-dash": ["EXTRA=s", "all"],
    "makefile-adds-k-and-long": ["EXTRA=-i --no-print-directory", "-j2", "-k", "sub"],
    "makefile-adds-unknown": ["EXTRA=-Z", "all"],
    "makefile-adds-o": ["EXTRA=-o all", "all"],
    "makefile-adds-n": ["EXTRA=-Bn", "sub"],
    "R-implies-r": ["-R", "all"],
    "makefile-adds-R": ["EXTRA=-R", "all"],
    "environment-overrides": ["-e", "X=1", "all"],
}


@needs_make
@pytest.mark.parametrize("name", sorted(SHOW_ARGS))
def test_makeflags_value(name, tmp_path):
    c = Case(str(tmp_path))
    c.mk(*SHOW)
    c.run(*SHOW_ARGS[name])
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


FLAG_EFFECTS = {
    "silent": (["MAKEFLAGS += -s", "all: x ; echo all", "x: ; echo x"], ["all"]),
    "keep-going": (["MAKEFLAGS += k", "all: x y ; echo all", "x: ; exit 1", "y: ; echo y"],
                   ["all"]),
    "ignore-errors": (["MAKEFLAGS += -i", "all: x ; echo all", "x: ; exit 1"], ["all"]),
    "no-keep-going": (["MAKEFLAGS += -S", "all: x y ; echo all", "x: ; exit 1",
                       "y: ; echo y"], ["-k", "all"]),
    "just-print": (["MAKEFLAGS += -n", "all: ; echo all"], ["all"]),
    "passed-to-sub-make": (["MAKEFLAGS += -s", "all: ; $(MAKE) -f Makefile x", "x: ; echo x"],
                           ["all"]),
    "old-file-not-passed": (["all: ; $(MAKE) -f Makefile x", "x: y ; echo x", "y: ; echo y"],
                            ["-o", "x", "all"]),
    "what-if-not-passed": (["all: ; $(MAKE) -f Makefile x", "x: y ; echo x", "y:"],
                           ["-W", "y", "all"]),
    # main.c sets always_make_flag before reading: a makefile's -B forces the goals, not
    # the makefiles (which .DEFAULT would otherwise remake)
    "always-make-not-for-makefiles": (["MAKEFLAGS += -B", "x: y ; echo x", "y:",
                                       ".DEFAULT: ; @echo D $@"], ["x"]),
}


@needs_make
@pytest.mark.parametrize("name", sorted(FLAG_EFFECTS))
def test_switch_from_makeflags(name, tmp_path):
    lines, args = FLAG_EFFECTS[name]
    c = Case(str(tmp_path))
    c.mk(*lines)
    c.T(0, "x")
    c.T(1, "y")
    c.run(*args)
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


# main.c sets the jobserver up after reading the makefiles: a top-level make whose
# makefile adds -jN runs N jobs (each job sees the other's start file only in parallel)
JOBS = ["MAKEFLAGS += {j}", "all: a b",
        "a b: ; @touch $@.started; sleep 1; if [ -f a.started ] && [ -f b.started ]; then "
        "echo $@ parallel; else echo $@ serial; fi"]


@needs_make
@pytest.mark.parametrize("j, args", [("-j2", []), ("-j", []), ("-j1", ["-j2"]),
                                     ("-s", ["-j2"])])
def test_jobs_from_makeflags(j, args, tmp_path):
    c = Case(str(tmp_path))
    c.mk(*[ln.format(j=j) for ln in JOBS])
    real, sim = c.run(*args)
    bad = c.mismatches(any_order=True)
    assert not bad, "\n".join(bad)
    assert "parallel" in real.out or j == "-j1"


@needs_make
@pytest.mark.parametrize("flag", ["-e", ""])
def test_environment_overrides(flag, tmp_path):
    """variable.c: under -e an environment variable (o_env_override) outranks a makefile's
    assignment. HOME is in the environment of both makes (tests/oracle.py ENV)."""
    c = Case(str(tmp_path))
    c.mk("HOME = mine", "FOO := $(HOME)", "$(info [$(FOO)] [$(origin HOME)])",
         "HOME += more", "all: ; @echo [$(HOME)]")
    c.run(*([flag] if flag else []))
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


@needs_make
def test_append_does_not_outrank(tmp_path):
    """variable.c: '+=' in a makefile defines with origin 'file', so it cannot change a
    command-line variable, and an appended environment variable becomes 'file'."""
    c = Case(str(tmp_path))
    c.mk("X += 2", "HOME += m", "$(info [$(X)] [$(origin X)] [$(HOME)] [$(origin HOME)])",
         "all: ; @:")
    c.run("X=1")
    c.run("X:=1")
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


@needs_make
@pytest.mark.parametrize("args", ["HOME+=a", "X+=1 X+=2", "X?=1", "HOME?=z", "Y:=1 Y+=2",
                                  "HOME+=", "Y:=1 Y+=", "X=1 X?=2"])
def test_command_line_operators(args, tmp_path):
    """main.c handles each command-line definition with its operator: '+=' appends to the
    environment's or an earlier definition (nothing for an empty value), '?=' only
    defines an undefined variable (found by the expansion generator: kbsim replaced)."""
    c = Case(str(tmp_path))
    c.mk("$(info [$(HOME)] [$(origin HOME)] [$(X)] [$(origin X)] [$(Y)] [$(flavor Y)])",
         "all: ; @:")
    c.run(*args.split())
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


@needs_make
def test_reexec_starts_from_the_command_line(tmp_path):
    """main.c re_exec passes make's own environment, not the MAKEFLAGS it would export:
    a switch the makefile added is read again, not inherited (found by the differential
    test: the restarted make printed 'irs' where make 4.3 prints 'ir')."""
    c = Case(str(tmp_path))
    c.mk("MAKEFLAGS += -s", "$(info [$(MAKEFLAGS)] [$(MAKE_RESTARTS)])", "include g.mk",
         "g.mk: ; echo 'X = 1' > $@", "all: ; echo all $(X)")
    c.run("-i")
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


@needs_make
@pytest.mark.parametrize("flag", ["-n", "-q", "-t"])
def test_sub_make_remaking_a_makefile_runs(flag, tmp_path):
    """main.c define_makeflags (1, 1): no -n/-q/-t for the sub-make that writes inc.mk."""
    c = Case(str(tmp_path))
    c.mk("include inc.mk", "all: ; @echo all $(V)", "inc.mk: ; +$(MAKE) -f gen.mk")
    c.write("gen.mk", 'inc.mk: ; echo "V = 1" > inc.mk\n')
    c.run(flag)
    bad = c.mismatches()
    assert not bad, "\n".join(bad)


@needs_make
@pytest.mark.parametrize("args", ["all", "-s -w all", "-C d g", "-C d h", "-s -C d h",
                                  "-w -C d g", "--no-print-directory -C d h"])
def test_print_directory_passed_down(args, tmp_path):
    """main.c: a make that prints directories (a sub-make, -C, -w; not -s) has 'w' in
    MAKEFLAGS, so its sub-makes print them even under -s; --no-print-directory passes
    down too. kbsim's sub-make of a -s -w make printed nothing."""
    c = Case(str(tmp_path))
    c.mk("all: x ; @echo all", "x: ; $(MAKE) -C d y")
    c.write("d/Makefile", "y: ; @echo Y\ng: ; @$(MAKE) -s -C e y\nh: ; @$(MAKE) -C e y\n")
    c.write("d/e/Makefile", "y: ; @echo YE\n")
    c.run(*args.split(), no_print_directory=False)
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
