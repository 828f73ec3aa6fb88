"""The .cmd fast path (kbsim/make/cmdread.py) against the general reader (Reader.eval).

Each text is read twice into identical fresh make processes, once through the fast path
and once with it switched off, and everything the reader can change is compared: the
variables (order, value, flavour, origin, export), the file table (order; each entry's
prerequisites in order with order-only flags, target flag, recipe, '::' chain, stem),
pattern rules, the default goal, MAKEFILE_LIST, the expander's floc, the simulation's
events ($(wildcard) lstats, in order) and output, and the error raised, if any.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from kbsim.fs import Clock, SimFS
from kbsim.kbuild.cmdfile import write_cmd
from kbsim.kbuild.eras import ERAS
from kbsim.kbuild.naming import NAMINGS
from kbsim.make import Simulation, cmdread
from kbsim.make.errors import MakeError
from kbsim.make.options import MakeOptions
from kbsim.make.process import MakeProcess
from kbsim.make.reader import Reader

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "models" / "fixtures" / "linux-6.1"
sys.path.insert(0, str(ROOT / "bench"))
import gen_kbuild_tree  # noqa: E402

T0 = 1_700_000_000 * 10**9
# names some of the .cmd files below refer to, created so $(wildcard) finds a few
EXISTING = ["include/config/PRINTK", "include/config/FOO", "include/ksym/hex_asc",
            "include/config/ksym/clear/user.h", "include/ksym/clear/user.h",
            "include/config/modules.h", "include/config/cfg_7", "tools/objtool/objtool",
            "include/linux/kernel.h"]


def _process(preamble: str, variables=()):
    fs = SimFS(Clock(T0))
    for p in EXISTING:
        fs.mkdir(os.path.dirname("/t/" + p))
        fs.write("/t/" + p, "")
    sim = Simulation(fs, trace=True)
    proc = MakeProcess(sim, MakeOptions(variables=list(variables)), "/t")
    proc.define_defaults()
    proc.reader = Reader(proc)
    if preamble:
        proc.reader.read_makefile("Makefile", preamble)
    return proc


def _snapshot(proc: MakeProcess) -> dict:
    files = []
    for head in proc.files:
        f = head
        while f is not None:
            c = f.cmds
            files.append((f.name, [d.name for d in f.deps], f.oo, f.is_target,
                          None if c is None else (c.lines, c.filename, c.lineno),
                          f.double_colon.name if f.double_colon is not None else None,
                          f.stem, f.rule_floc, f.phony, f.last_mtime))
            f = f.prev
    return {
        "variables": [(k, v.name, v.value, v.recursive, v.origin, v.export)
                      for k, v in proc.variables.items()],
        "files": files,
        "patterns": [(r.targets, r.deps, r.oo, r.terminal, r.floc)
                     for r in proc.pattern_rules],
        "floc": proc.expander.floc,
        "events": [(e.kind, e.data) for e in proc.sim.events],
        "output": list(proc.sim.output),
    }


def _read(texts, fast: bool, preamble: str = "", variables=()):
    old = cmdread.ENABLED
    cmdread.ENABLED = fast
    try:
        proc = _process(preamble, variables)
        err = None
        try:
            for name, text in texts:
                proc.reader.read_makefile(name, text)
        except MakeError as e:  # UnsupportedSyntax is one
            err = (type(e).__name__, e.make_text("make"))
        return _snapshot(proc), err
    finally:
        cmdread.ENABLED = old


def assert_same(texts, preamble: str = "", variables=(), fast_expected: bool | None = None):
    if fast_expected is not None:
        for _, t in texts:
            assert (cmdread.classify(t) is not None) == fast_expected
    assert _read(texts, True, preamble, variables) == _read(texts, False, preamble, variables)


def _fixture_texts():
    return sorted((str(p.relative_to(FIXTURES)), p.read_text())
                  for p in FIXTURES.rglob(".*.cmd"))


def _era_texts():
    out = []
    headers = [("include/linux/export.h", ["MODULES", "TRIM_UNUSED_KSYMS"]),
               ("include/linux/kernel.h", []), ("arch/x86/include/asm/asm.h", ["X86_64"])]
    for era in ERAS.values():
        for nm in NAMINGS.values():
            t = write_cmd(era, nm, "lib/foo.o", "gcc -DX='\"$y\"' -c -o lib/foo.o lib/foo.c #1",
                          "lib/foo.c", headers, ["PRINTK", "FOO"],
                          ["clear_user", "__clear_user", "hex_asc", "clear_user"])
            out.append((f"lib/.foo.o.cmd-{era.name}-{nm.name}", t))
            t = write_cmd(era, nm, "lib/bar.o", "gcc -c", "lib/bar.c", [], [], [])
            out.append((f"lib/.bar.o.cmd-{era.name}-{nm.name}", t))
    return out


def _bench_texts():
    out = []
    deps = [f"include/linux/h{i}.h" for i in range(30)] + ["include/linux/kernel.h"]
    for k in range(6):
        cfg = {-1: ["cfg_1"], 3: ["cfg_7", "cfg_9"], len(deps) - 1: [f"cfg_{k}"]}
        obj = f"kernel/d{k}/obj_{k}.o"
        out.append((f"kernel/d{k}/.obj_{k}.o.cmd",
                    gen_kbuild_tree.cmd_file_text(obj, obj[:-2] + ".c", deps[k:], cfg)))
    return out


def test_fixtures_take_the_fast_path_and_match():
    texts = _fixture_texts()
    assert len(texts) >= 8
    fast = [n for n, t in texts if cmdread.classify(t) is not None]
    assert "lib/.hexdump.o.cmd" in fast and "lib/.built-in.a.cmd" in fast
    for item in texts:
        assert_same([item])
    assert_same(texts)  # all into one process, in order


@pytest.mark.parametrize("preamble", [
    "",
    "all: lib/foo.o\nlib/foo.o: lib/foo.c\n\t@echo cc\n",
    ".DEFAULT_GOAL := x\nx:\n",
    "lib/foo.o:: lib/foo.c\n\t@echo cc\n",  # '::' entry: the .cmd rule is an error
    "include/linux/kernel.h:: ; @:\n",  # '::' prerequisite named as a target
    "deps_lib/foo.o = $(wildcard include/config/FOO) x.h\n",  # recursive before
])
def test_every_era_and_bench_file_matches(preamble):
    texts = _era_texts() + _bench_texts()
    for name, t in texts:
        assert cmdread.classify(t) is not None, name
        assert_same([(name, t)], preamble)
    assert_same(texts, preamble)


def test_command_line_variables_win_in_both():
    t = _era_texts()[0][1]
    assert_same([("a.cmd", t)], variables=[("deps_lib/foo.o", "=", "cmdline.h")])
    assert_same([("a.cmd", t)], variables=[("deps_lib/foo.o", ":=", "$(wildcard x)")])
    assert_same([("a.cmd", t)], variables=[("cmd_lib/foo.o", "=", "x")])
    # recursive at the rule line: $(deps_T) expands its $(wildcard) there
    assert_same([("a.cmd", t)], variables=[("deps_lib/foo.o", "=",
                                            "$(wildcard include/config/FOO) y.h")])
    assert_same([("a.cmd", t)], variables=[("ksymdeps_lib/foo.o", "=", "$(wildcard nosuch)")])


def _variants(t: str):
    """Changes that the fast path must either read identically or leave to eval."""
    yield "comment", t.replace("\n\n", "\n# a comment\n", 1)
    yield "tab-recipe", t + "\tfalse\n"
    yield "tab-in-value", t.replace(" := ", " :=\t", 1)
    yield "tab-in-command", t.replace(" -c ", "\t-c ", 1)
    yield "crlf", t.replace("\n", "\r\n")
    yield "dollar-dollar", t.replace("$(wildcard ", "$$(wildcard ", 1)
    yield "var-ref", t.replace("$(wildcard ", "$(notdir ", 1)
    yield "glob-dep", t.replace(".h \\\n", "*.h \\\n", 1)
    yield "glob-wild", t.replace("$(wildcard include/config/", "$(wildcard include/conf*/", 1)
    yield "bar-dep", t.replace(".h \\\n", ".h | \\\n", 1)
    yield "bar-joined", t.replace(".h \\\n", ".h|x \\\n", 1)
    yield "colon-dep", t.replace(".h \\\n", ".h x:y \\\n", 1)
    yield "abs-colon-dep", t.replace(".h \\\n", ".h /x:y \\\n", 1)
    yield "percent-dep", t.replace(".h \\\n", ".h x%y \\\n", 1)
    yield "special-dep", t.replace(".h \\\n", ".h .POSIX \\\n", 1)
    yield "suffixes-dep", t.replace(".h \\\n", ".h .SUFFIXES \\\n", 1)
    yield "dot-slash", t.replace("  include/", "  ./include/", 1)
    yield "double-dot-slash", t.replace("  include/", "  .//include/", 1)
    yield "trailing-space-rule", t.replace("):\n", "): \n", 1)
    yield "trailing-space-value", t.replace(".c\n", ".c  \n", 1)
    yield "two-backslashes", t.replace(".h \\\n", ".h \\\\\n", 1)
    yield "three-backslashes", t.replace(".h \\\n", ".h \\\\\\\n", 1)
    yield "lone-backslash-line", t.replace(".h \\\n", ".h \\\n \\\n", 1)
    yield "blank-space-line", t.replace("\n\n", "\n   \n", 1)
    yield "leading-space", t.replace("\nsource_", "\n source_", 1)
    yield "no-final-newline", t.rstrip("\n")
    yield "truncated", t[:len(t) // 2]
    yield "truncated-at-backslash", t[:t.index(".h \\\n") + 4]
    yield "empty", ""
    yield "only-newlines", "\n\n\n"
    yield "other-var", t.replace("deps_", "depz_", 1)
    yield "rule-other-var", t.replace(": $(deps_", ": $(ksymdeps_", 1)
    yield "targets-other-var", t.replace("$(deps_", "$(nodeps_", 1)
    yield "include", "include nosuch.mk\n" + t
    yield "ifdef", "ifdef X\nendif\n" + t
    yield "assign-no-space", t.replace(" := ", ":= ", 1)
    yield "recursive-assign", t.replace(" := ", " = ", 1)
    yield "empty-command", "cmd_x.o := \n\nsource_x.o := x.c\n"
    yield "empty-command-nospace", "cmd_x.o :=\n"
    yield "formfeed", t.replace("\n\n", "\n\x0c\n", 1)
    yield "wildcard-empty", t.replace("$(wildcard ", "$(wildcard ) $(wildcard ", 1)
    yield "wildcard-two-spaces", t.replace("$(wildcard ", "$(wildcard  ", 1)
    yield "wildcard-unclosed", t.replace(")", "", 1)
    yield "wildcard-brace", t.replace("$(wildcard ", "${wildcard ", 1)
    # _expand_value's split at '$(wildcard ': what follows each reference
    last = t.rfind(".h \\\n")
    yield "paren-in-literal", t.replace(".h \\\n", ".h x) \\\n", 1)
    yield "dollar-late", t[:last] + ".h $(X) \\\n" + t[last + 4:] if last >= 0 else t
    yield "wildcard-paren-body", t.replace("$(wildcard ", "$(wildcard a(b) ", 1)
    yield "wildcard-two-words", t.replace("$(wildcard ", "$(wildcard a ", 1)
    yield "wildcard-unclosed-last", t[:last] + ".h $(wildcard x \\\n" + t[last + 4:] \
        if last >= 0 else t
    # classify's value of a continued assignment: what the first line holds after ':='
    yield "value-on-first-line", t.replace(" := \\\n", " := a.h \\\n", 1)
    yield "blanks-on-first-line", t.replace(" := \\\n", " :=    \\\n", 1)
    yield "empty-run", "deps_x.o := \\\n\nx.o: $(deps_x.o)\n\n$(deps_x.o):\n"
    yield "blank-lines-run", "deps_x.o := \\\n  \\\n \\\n\nx.o: $(deps_x.o)\n"
    yield "deps-oneline", ("deps_x.o := a.h $(wildcard include/config/FOO) b.h\n\n"
                           "x.o: $(deps_x.o)\n")
    yield "continued-cmd", t.replace(" := ", " := \\\n  ", 1)
    yield "double-colon-rule", t.replace("): $(deps_", ":: $(deps_", 1)


def test_variants_match():
    base = [t for n, t in _fixture_texts() if n == "lib/.hexdump.o.cmd"][0]
    bases = [base, _era_texts()[0][1], _bench_texts()[0][1]]
    seen_fast = seen_slow = 0
    for b in bases:
        for label, t in _variants(b):
            if cmdread.classify(t) is None:
                seen_slow += 1
            else:
                seen_fast += 1
            for pre in ("", "all:\n"):
                assert_same([(label, t)], pre)
    assert seen_fast and seen_slow


def test_real_tree_files_if_present():
    """The real 6.1 build tree (read only), when this machine has it."""
    d = "/work/kernel/build-6.1"
    if not os.path.isdir(d):
        pytest.skip("no /work/kernel/build-6.1")
    texts = []
    for root, _, names in os.walk(d):
        for n in sorted(names):
            if n.startswith(".") and n.endswith(".cmd") and len(texts) < 400:
                with open(os.path.join(root, n), encoding="utf-8", errors="replace") as fh:
                    texts.append((os.path.relpath(os.path.join(root, n), d), fh.read()))
    assert_same(texts)
