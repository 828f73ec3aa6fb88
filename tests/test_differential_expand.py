"""Differential test of variable expansion and text functions against GNU make 4.3.

test_differential.py draws rules; this one draws what kbuild's makefiles compute with:
random assignments (``=``, ``:=``, ``+=``, ``?=``) to a few variables whose values are
nested expressions of literal words, references (``$(V)``, ``${V}``, computed names
``$($(N))``) and the text functions kbsim models (docs/make-subset.md), ``ifeq`` /
``ifneq`` / ``ifdef`` / ``ifndef`` blocks with ``else``, and ``$(info ...)`` and
``$(warning ...)`` lines that print the results, and ``wildcard``, ``realpath`` and
``abspath`` of names in the scratch directory; every variable is printed at the end
(``$(info)``, ``$(origin)``, ``$(flavor)``, ``$(value)``). Numbers given to ``word`` and
``wordlist`` are sometimes 0 or not numbers, so make's fatal messages are compared too.
HOME (from the environment) is one of the variables; some runs add command-line
definitions (``A=x``, ``B:=y``, ``C+=z``) and ``-e``; ``define`` blocks (every operator,
bodies of several lines, some starting with blanks or a tab) and ``override``
assignments.
kbsim and the real make read the same Makefile; their exit status, stdout and stderr
must be equal.

KBSIM_EXPAND_EXAMPLES sets the number of examples (default 300); generation is
derandomized, as in test_differential.py.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from oracle import make_version, run_real, run_sim

if not make_version().startswith("GNU Make 4.3"):
    pytest.skip("needs GNU Make 4.3 as `make`", allow_module_level=True)

EXAMPLES = int(os.environ.get("KBSIM_EXPAND_EXAMPLES", "300"))
# HOME is in both makes' environment (tests/oracle.py ENV)
VARS = ["A", "B", "C", "D", "obj-y", "src", "HOME"]
WORDS = ["a", "b.c", "d/e.o", "x%y", "f.h", "e.o", "%.o", "a b", "dir/", "./g.c", "", "1", "2"]
NUMS = ["1", "2", "3", "0", "x", "$(N2)"]
F1 = ["sort", "words", "firstword", "lastword", "dir", "notdir", "suffix", "basename",
      "strip", "origin", "flavor", "value", "wildcard", "realpath", "abspath"]
# names for the file functions: the directory holds only the Makefile
PATHS = ["*", "M*", "Makefile", "./Makefile", "..", ".", "/", "a/../Makefile", "nosuch",
         "*.mk", "[MN]akefile", "d//e/", "/tmp/../tmp"]
F2 = ["filter", "filter-out", "addprefix", "addsuffix", "join", "findstring", "word",
      "or", "and"]
F3 = ["subst", "patsubst", "if", "wordlist", "foreach", "call"]


@st.composite
def expr(draw, depth: int = 0) -> str:
    kind = draw(st.integers(0, 9 if depth < 3 else 3))
    if kind <= 1:
        return draw(st.sampled_from(WORDS))
    if kind == 2:
        v = draw(st.sampled_from(VARS))
        return draw(st.sampled_from([f"$({v})", f"${{{v}}}", "$($(N))", "$(comma)"]))
    if kind == 3:
        return " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)))
    if kind in (4, 5):
        f = draw(st.sampled_from(F1))
        if f in ("origin", "flavor", "value"):
            return f"$({f} {draw(st.sampled_from(VARS + ['undefined-var', 'comma']))})"
        if f in ("wildcard", "realpath", "abspath"):
            words = draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3))
            if draw(st.booleans()):
                words.append(draw(expr(depth + 1)))
            return f"$({f} {' '.join(words)})"
        return f"$({f} {draw(expr(depth + 1))})"
    if kind in (6, 7):
        f = draw(st.sampled_from(F2))
        first = draw(st.sampled_from(NUMS)) if f == "word" else draw(expr(depth + 1))
        return f"$({f} {first},{draw(expr(depth + 1))})"
    f = draw(st.sampled_from(F3))
    a, b, c = (draw(expr(depth + 1)) for _ in range(3))
    if f == "wordlist":
        return (f"$(wordlist {draw(st.sampled_from(NUMS))},{draw(st.sampled_from(NUMS))},"
                f"{c})")
    if f == "foreach":
        return f"$(foreach w,{a},{draw(st.sampled_from(['$(w).o', '[$(w)]', b]))})"
    if f == "call":
        return f"$(call mac,{a},{b})"
    if f == "patsubst":
        pat = draw(st.sampled_from(["%.o", "%.c", "d/%", "%", "a", "%.o %.h"]))
        rep = draw(st.sampled_from(["%.c", "x/%", "%", "b", ""]))
        return f"$(patsubst {pat},{rep},{c})"
    return f"$({f} {a},{b},{c})"


@st.composite
def makefiles(draw) -> str:
    lines = ["comma := ,", "N := A", "N2 := 2", "mac = <$(1)|$(2)|$(words $(1) $(2))>",
             "define nl", "", "", "endef"]
    depth = 0
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(st.integers(0, 12))
        v = draw(st.sampled_from(VARS))
        if kind <= 4:
            op = draw(st.sampled_from(["=", ":=", "+=", "?=", "::="]))
            lines.append(f"{v} {op} {draw(expr())}")
        elif kind <= 6:
            lines.append(f"$(info {v}=[{draw(expr())}])")
        elif kind == 7 and depth < 2:
            cond = draw(st.sampled_from(["ifeq", "ifneq", "ifdef", "ifndef"]))
            if cond in ("ifdef", "ifndef"):
                lines.append(f"{cond} {draw(st.sampled_from(VARS))}")
            else:
                lines.append(f"{cond} ({draw(expr(2))},{draw(expr(2))})")
            depth += 1
        elif kind == 8 and depth:
            lines.append(draw(st.sampled_from(["else", "endif"])))
            if lines[-1] == "endif":
                depth -= 1
        elif kind == 8:
            # a define block (read.c do_define) or an override assignment
            prefix = draw(st.sampled_from(["", "", "override ", "private ", "export ",
                                           "override private "]))
            if draw(st.booleans()):
                op = draw(st.sampled_from(["", " =", " :=", " +=", " ?="]))
                lines.append(f"{prefix}define {v}{op}")
                for _ in range(draw(st.integers(0, 3))):
                    lines.append(draw(st.sampled_from(["", "  ", "\t"])) + draw(expr(1)))
                lines.append("endef")
            else:
                op = draw(st.sampled_from(["=", ":=", "+=", "?="]))
                lines.append(f"override {v} {op} {draw(expr())}")
        elif kind == 9:
            lines.append(f"$(warning {draw(expr(1))})")
        elif kind == 10:
            # $(eval) of an assignment or a conditional block (read.c eval_buffer)
            op = draw(st.sampled_from(["=", ":=", "+=", "?="]))
            body = f"{v} {op} {draw(expr(1))}"
            if draw(st.booleans()):
                body = f"ifeq ({draw(expr(2))},)$(nl){body}$(nl)endif"
            lines.append(f"$(eval {body})")
        elif kind == 11:
            lines.append(f"{draw(st.sampled_from(['', 'override ']))}undefine {v}")
        else:
            # $(shell) and != (function.c func_shell_base, fold_newlines)
            # (quoted: an expression's value may hold < | > for the shell)
            cmd = draw(st.sampled_from(["echo '{}'", "printf '%s\\n\\n' '{}'",
                                        "echo '{}'; false", "test -n '{}' && echo set"]))
            cmd = cmd.format(draw(expr(2)))
            if draw(st.booleans()):
                lines.append(f"{v} != {cmd}")
            else:
                lines.append(f"$(info {v}=[$(shell {cmd})] $(.SHELLSTATUS))")
    lines += ["endif"] * depth
    for v in VARS:
        lines.append(f"$(info {v} $(origin {v}) $(flavor {v}) [$(value {v})] [$({v})])")
    lines.append("all: ; @:")
    # command-line variables (they outrank makefile assignments, += included) and -e
    # (the environment outranks them too): variable.c's origins
    args = ["-r"]
    if draw(st.integers(0, 4)) == 0:
        args.append("-e")
    for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 2)) == 0 else 0):
        op = draw(st.sampled_from(["=", ":=", "+="]))
        args.append(f"{draw(st.sampled_from(VARS))}{op}{draw(st.sampled_from(WORDS))}")
    return "\n".join(lines) + "\n", args


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(makefiles())
def test_expansion_matches_make(case):
    makefile, args = case
    root = tempfile.mkdtemp(prefix="kbsim-exp-")
    try:
        with open(os.path.join(root, "Makefile"), "w") as fh:
            fh.write(makefile)
        sim, _ = run_sim(root, args)
        real = run_real(root, args, timeout=10)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert (sim.rc, sim.out, sim.err) == (real.rc, real.out, real.err), (
        f"--- Makefile\n{makefile}--- args {' '.join(args)}\n"
        f"--- real rc={real.rc}\n{real.out}{real.err}"
        f"--- kbsim rc={sim.rc}\n{sim.out}{sim.err}")
