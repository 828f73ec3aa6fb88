"""Lesson 2: fixdep's .cmd files - how kbuild tells make what an object depends on.

After each compile, kbuild's fixdep writes ``.OBJ.cmd``: the command line, the source, and
``deps_OBJ``: every header the compiler read, plus ``$(wildcard include/config/...)`` for
each CONFIG option the code tested. Make includes the .cmd files of targets that exist.
``$(wildcard)`` keeps only files that exist when make reads it, so an option's timestamp
file counts only once it exists; a missing header has an empty rule (``$(deps_OBJ):``), so
deleting one is not fatal. kbuild's recipe compiles only if $? (the newer prerequisites,
FORCE left out) is non-empty or the command line changed.

The six experiments are the semantics reference's test vector V28, run on GNU make 4.3.
"""

from _lesson import say, show, title, tree

from kbsim.kbuild import get_era, get_naming
from kbsim.kbuild.cmdfile import write_cmd
from kbsim.report.buildrun import run_make

title("1. What fixdep writes (kbuild v4.14, era e1)")
say("""usercopy_64.o includes uaccess.h (which tests CONFIG_ARCH_HAS_UACCESS_FLUSHCACHE) and
exports __clear_user and clear_user. In v4.7-v4.16 fixdep -e appends one ksym wildcard per
exported symbol, '_' turned into '/' without collapsing repeats:""")
era = get_era("e1")
text = write_cmd(era, get_naming(None, era.naming), "arch/x86/lib/usercopy_64.o",
                 "gcc -c -o arch/x86/lib/usercopy_64.o arch/x86/lib/usercopy_64.c",
                 "arch/x86/lib/usercopy_64.c",
                 [("include/linux/uaccess.h", ["ARCH_HAS_UACCESS_FLUSHCACHE"])], [],
                 ["__clear_user", "clear_user"])
show(text)
# the shape in kbuild-ksym-history.md section 3 and the 2018 report's excerpt
assert "  include/linux/uaccess.h \\\n" in text
assert "    $(wildcard include/config/arch/has/uaccess/flushcache.h) \\\n" in text
assert "    $(wildcard include/config/ksym///clear/user.h) \\\n" in text
assert "    $(wildcard include/config/ksym/clear/user.h) \\\n" in text
assert text.rstrip().endswith("$(deps_arch/x86/lib/usercopy_64.o):")

title("2. How make uses it (test vector V28)")
MAKEFILE = """existing := $(wildcard foo.o)
-include $(foreach f,$(existing),.$(f).cmd)
foo.o: foo.c FORCE ; @echo RECIPE newer=[$(filter-out FORCE,$?)]
FORCE:
.PHONY: FORCE
"""
CMD = """deps_foo.o := foo.c include/a.h $(wildcard include/config/FOO) $(wildcard include/config/BAR)
foo.o: $(deps_foo.o)
$(deps_foo.o):
"""
show(MAKEFILE)
print("    # .foo.o.cmd:")
show(CMD)


def experiment(what: str, change) -> str:
    files = {"Makefile": (MAKEFILE, 0), ".foo.o.cmd": (CMD, 0), "foo.c": ("", 0),
             "include/a.h": ("", 0), "include/config/FOO": ("", 0), "foo.o": ("", 100)}
    fs = tree(files)
    change(fs)
    run = run_make(fs, "/w")
    out = run.make_stdout.strip()
    print(f"  {what:<40} {out}")
    return out


def set_at(path, n):
    from _lesson import at
    return lambda fs: (fs.mkdir("/w/include/config"), fs.write("/w/" + path, ""),
                       fs.set_mtime("/w/" + path, at(n)))


results = {
    "base (foo.o@100 newer than all)": experiment("base (foo.o@100 newer than all)",
                                                  lambda fs: None),
    "FOO touched @200": experiment("FOO touched @200", set_at("include/config/FOO", 200)),
    "a.h deleted": experiment("a.h deleted", lambda fs: fs.remove("/w/include/a.h")),
    "BAR created @200": experiment("BAR created @200", set_at("include/config/BAR", 200)),
    "BAR created @50 (older than foo.o)": experiment("BAR created @50 (older than foo.o)",
                                                     set_at("include/config/BAR", 50)),
    "foo.o deleted": experiment("foo.o deleted", lambda fs: fs.remove("/w/foo.o")),
}
# GNU make 4.3, V28
assert results["base (foo.o@100 newer than all)"] == "RECIPE newer=[]"
assert results["FOO touched @200"] == "RECIPE newer=[include/config/FOO]"
assert results["a.h deleted"] == "RECIPE newer=[include/a.h]"
assert results["BAR created @200"] == "RECIPE newer=[include/config/BAR]"
assert results["BAR created @50 (older than foo.o)"] == "RECIPE newer=[]"
assert results["foo.o deleted"] == "RECIPE newer=[foo.c]"
say("""The recipe always runs (FORCE), but $? decides: kbuild compiles only when it is not
empty. A CONFIG file created with an OLD mtime is invisible: only a stamp strictly newer
than the object counts (lesson 1). Deleting a header counts here (no .SECONDARY); from
v5.0 kbuild sets a global .SECONDARY: and then it does not (vector V30).""")
print("Lesson 2 done.")
