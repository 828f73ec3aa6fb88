"""Fuzzing kbsim's inputs (issue 15): mutated makefiles, models and captures.

A seeded generator mutates small valid inputs (delete, duplicate, swap or cut lines,
insert make syntax, change numbers, paths and JSON values, truncate files) and runs
kbsim on each, in this process (quick) with an alarm against hangs. Whatever the input,
kbsim must

- never show a traceback or an internal error (exit 3),
- never hang (each case has HANG_S seconds),
- with --json, print one valid JSON document whose exit_code is the process's status,
  or else fail as bad input does: exit 2, nothing on stdout, one 'kbsim: error:' line.

KBSIM_FUZZ_CASES sets the number of cases (default 520; 10000 for a long run),
KBSIM_FUZZ_SEED the first seed. A failure names the case's seed and shows its input.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import io
import json
import os
import random
import signal
import shutil
from pathlib import Path

import pytest
from capture_trees import e5_tree

from kbsim.cli import main

HERE = Path(__file__).resolve().parent
CASES = int(os.environ.get("KBSIM_FUZZ_CASES", "520"))
SEED0 = int(os.environ.get("KBSIM_FUZZ_SEED", "0"))
HANG_S = 30
CHUNK = 20  # cases per test item

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")

# ------------------------------------------------------------------ seeds: makefiles
MAKEFILES = [
    "all: prog\nprog: main.o util.o\n\tcc -o $@ $^\n%.o: %.c\n\tcc -c $< -o $@\n",
    "SRC := a.c b.c\nOBJ = $(SRC:.c=.o)\nall: $(OBJ)\n$(OBJ): %.o: %.c hdr.h\n\t@echo $@ "
    "from $<\n.PHONY: all clean\nclean:\n\trm -f $(OBJ)\n",
    "x = 1\ny := $(x) 2\nz ?= $(y)\nz += 3\nifeq ($(x),1)\nall: ; @echo $(z)\nelse\n"
    "all: ; @echo no\nendif\n",
    "define rule\n$(1): $(2)\n\ttouch $$@\nendef\n$(eval $(call rule,a,b))\n"
    "$(eval $(call rule,b,))\n",
    "a:: b\n\ttouch a\na:: c\n\ttouch a\nb c:\n\ttouch $@\n",
    "all: t | dir\ndir:\n\tmkdir -p dir\nt: dep\n\t@echo $? > $@\n.SECONDARY:\n",
    "vpath %.c src\nVPATH = other\nall: a.o\na.o: a.c\n\t@echo $< $@\n",
    "FILES := $(wildcard *.c)\nNAMES = $(foreach f,$(FILES),$(basename $(f)))\n"
    "all: $(NAMES:%=%.o)\n%.o: %.c\n\t@echo $(patsubst %.o,%,$@)\n",
    "export A = 1\nall:\n\t@echo $$A $(shell echo hi) $(words a b c) $(filter a%,ab cd)\n",
    "include inc.mk\n-include missing.mk\nall: $(TARGETS)\n\t@:\n",
    "t%: s%\n\tcp $< $@\nall: t1 t2\ns1 s2:\n\ttouch $@\n.DEFAULT:\n\t@echo default $@\n",
    "SUBDIRS = d1 d2\nall:\n\tfor d in $(SUBDIRS); do echo $$d; done\n\t+$(MAKE) -n other\n"
    "other:\n\t@echo other\n",
]
FILES = {"main.c": 10, "util.c": 20, "a.c": 30, "b.c": 5, "hdr.h": 40, "dep": 50,
         "src/a.c": 60, "inc.mk": 0, "c": 70, "s1": 80}
INC = "TARGETS = main.o\n"
TOKENS = [":", "::", "|", "%", "$(", ")", "${", "}", "\t", "\\\n", "=", "+=", ":=", "?=",
          "!=", "::=", "ifeq (a,b)\n", "ifdef x\n", "else\n", "endif\n", "define x\n",
          "endef\n", "export ", "unexport ", "include ", "-include ", "$@", "$<", "$^",
          "$?", "$*", "#", ";", "override ", "private ", ".PHONY: ", ".SECONDARY: ",
          ".INTERMEDIATE: ", ".LOW_RESOLUTION_TIME: ", ".ONESHELL:\n", "vpath ",
          "$(eval ", "$(call ", "$(shell ", "$(wildcard ", "$(if ", "$(foreach ",
          "$(error x)", "$(warning w)", "$(info i)", "$$", "\n", " ", "\\", "%:", "*",
          "?", "[", "~", "/", "..", "-", "@", "+", "x", "é"]


def _mutate_text(rng: random.Random, text: str, tokens: list[str], rounds: int) -> str:
    for _ in range(rounds):
        lines = text.split("\n")
        op = rng.randrange(8)
        i = rng.randrange(len(lines))
        if op == 0 and len(lines) > 1:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            ln = lines[i]
            k = rng.randrange(len(ln) + 1)
            lines[i] = ln[:k] + rng.choice(tokens) + ln[k:]
        elif op == 4 and lines[i]:
            k = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:k] + lines[i][k + 1:]
        elif op == 5 and lines[i]:
            k = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:k] + rng.choice(tokens) + lines[i][k + 1:]
        elif op == 6:
            lines.insert(i, rng.choice(tokens).strip() + " " + rng.choice(tokens))
        else:
            text = text[:rng.randrange(len(text) + 1)]  # a cut file
            continue
        text = "\n".join(lines)
    return text


# ------------------------------------------------------------------ running one case
class Hang(BaseException):
    """Raised by the alarm: not an Exception, so kbsim's own handlers let it through."""


def _alarm(signum, frame):
    raise Hang


def _run(argv: list[str], cwd: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_cwd = os.getcwd()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_S)
    code = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(argv)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Hang:
        code = -1
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(old_cwd)
    return code, out.getvalue(), err.getvalue()


def _check(code: int, out: str, err: str, what: str, json_key: str = "exit_code") -> None:
    assert code != -1, f"{what}: no answer in {HANG_S} s"
    assert "Traceback" not in err and "internal error" not in err, f"{what}:\n{err}"
    assert code in (0, 1, 2, 139), f"{what}: exit {code}\n{err}"
    if out.strip():
        try:
            doc = json.loads(out)
        except ValueError:
            pytest.fail(f"{what}: stdout is not one JSON document:\n{out[:2000]}")
        assert doc[json_key] == code, f"{what}: JSON says {doc[json_key]}, status {code}"
    else:  # failed as bad input does
        assert code == 2, f"{what}: no JSON, exit {code}\n{err}"
        errors = [ln for ln in err.splitlines() if ln.startswith("kbsim: error: ")]
        assert len(errors) == 1, f"{what}: expected one error line:\n{err}"


# ------------------------------------------------------------------ the three kinds
def _makefile_case(seed: int, d: Path) -> None:
    rng = random.Random(seed)
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    for name, sec in FILES.items():
        if rng.random() < 0.7:
            p = d / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(INC if name == "inc.mk" else "")
            t = (1_600_000_000 + sec + rng.choice((0, 0, 1, -1))) * 1_000_000_000
            os.utime(p, ns=(t, t))
    text = _mutate_text(rng, rng.choice(MAKEFILES), TOKENS, rng.randint(1, 6))
    (d / "Makefile").write_text(text, encoding="utf-8")
    flags = rng.choice([["-n"], ["-n"], ["-q"], ["-n", "-k"], ["-n", "-B"], ["-n", "-j3"],
                        ["-n", "-W", "a.c"], ["-t"], ["-n", "-e"], ["-n", "-i"]])
    goals = rng.choice([[], [], ["all"], ["clean"], ["x=2"], ["nosuch"]])
    code, out, err = _run(["make", "--json", "--now", "@1600000100", "-C", str(d),
                           *flags, *goals])
    _check(code, out, err, f"makefile case {seed} (flags {flags} {goals}):\n{text}")


def _model_case(seed: int, d: Path) -> None:
    rng = random.Random(seed)
    text = (HERE / "data" / "tiny-2018.toml").read_text()
    tokens = ['"../x"', '"/abs"', "-1", "0", "1e9", '"ns"', '"jiffy:-5"', "true", "[]",
              "{}", '"e9"', '"python:os:system"', '"s/a/b/"', "[[modules]]\n",
              "[[directories]]\n", "name = ", "objects = ", "=", '"', "[", "]", ",", "#"]
    text = _mutate_text(rng, text, tokens, rng.randint(1, 4))
    m = d / f"m{seed}.toml"
    d.mkdir(parents=True, exist_ok=True)
    m.write_text(text, encoding="utf-8")
    code, out, err = _run(["replay", str(m), "--json"])
    _check(code, out, err, f"model case {seed}:\n{text}")


def _mutate_json(rng: random.Random, doc):
    """One change somewhere in DOC: a value replaced, a key or an item removed."""
    doc = copy.deepcopy(doc)
    path = []
    node = doc
    while isinstance(node, (dict, list)) and node and rng.random() < 0.8:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        path.append((node, key))
        node = node[key]
    if not path:
        return {"format": rng.choice(["kbsim-capture/2", "x", 3])}
    parent, key = path[-1]
    choice = rng.randrange(6)
    if choice == 0:
        del parent[key]
    else:
        parent[key] = rng.choice([None, -1, 0, 2 ** 70, "", "../../etc", "/abs", [], {},
                                  "x" * 3, 1.5, True, "\u00e9"])
    return doc


def _capture_case(seed: int, d: Path, capture: dict) -> None:
    rng = random.Random(seed)
    d.mkdir(parents=True, exist_ok=True)
    doc = capture
    for _ in range(rng.randint(1, 3)):
        doc = _mutate_json(rng, doc)
    raw = json.dumps(doc).encode()
    if rng.random() < 0.15:
        raw = raw[:rng.randrange(len(raw))]  # truncated
    p = d / f"c{seed}.json" if rng.random() < 0.6 else d / f"c{seed}.json.gz"
    p.write_bytes(gzip.compress(raw) if p.name.endswith(".gz") else raw)
    argv = rng.choice([["replay", str(p), "--json"], ["aliases", str(p), "--json", "-q"],
                       ["diagnose", str(p), "--symbol", "a_export", "--json", "-q"]])
    code, out, err = _run(argv)
    key = "exit_code" if argv[0] == "replay" else None
    if key is None and out.strip():  # aliases/diagnose: no exit_code key; JSON must parse
        try:
            json.loads(out)
        except ValueError:
            pytest.fail(f"capture case {seed} {argv[0]}: invalid JSON")
        assert code in (0, 1) and "Traceback" not in err, f"capture case {seed}:\n{err}"
        return
    _check(code, out, err, f"capture case {seed} ({argv[0]}): {raw[:600]!r}",
           key or "exit_code")


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("fuzzcap")
    b, _ = e5_tree(base)
    out = base / "tree.json"
    code, _, err = _run(["capture", str(b), "-o", str(out), "--quiet"])
    assert code == 0, err
    return json.loads(out.read_text())


def _kind(i: int) -> str:
    """8 makefiles, 1 model and 1 capture in every 10 cases."""
    r = i % 10
    return "model" if r == 8 else "capture" if r == 9 else "makefile"


@pytest.mark.parametrize("chunk", range((CASES + CHUNK - 1) // CHUNK))
def test_fuzzed_inputs(chunk, tmp_path, capture):
    for i in range(chunk * CHUNK, min(CASES, (chunk + 1) * CHUNK)):
        seed = SEED0 + i
        kind = _kind(i)
        if kind == "makefile":
            _makefile_case(seed, tmp_path / "mk")
        elif kind == "model":
            _model_case(seed, tmp_path / "models")
        else:
            _capture_case(seed, tmp_path / "caps", capture)


# ------------------------------------------------------------------ what it found
def test_a_capture_naming_an_unknown_granularity_or_era_is_bad_input(tmp_path, capture):
    """Found by the fuzzer (capture case 229): an internal error, exit 3."""
    for section, key, value in (("granularity", "granularity", "../../etc"),
                                ("era", "era", "e9")):
        doc = copy.deepcopy(capture)
        doc[section][key] = value
        p = tmp_path / f"{section}.json"
        p.write_text(json.dumps(doc))
        code, out, err = _run(["replay", str(p), "--json"])
        assert code == 2 and out == "", err
        assert err.startswith("kbsim: error: ") and value in err and len(
            err.splitlines()) == 1


def test_sub_makes_without_end_stop(tmp_path):
    """Found by the fuzzer (makefile case 273): a recipe running $(MAKE) on its own goal
    (a '+' line runs under -n). GNU make starts sub-makes until fork fails (1,077 levels
    in 5 s here); kbsim stops at 200 levels, as for a make that never exits (124)."""
    (tmp_path / "Makefile").write_text("all:\n\t+$(MAKE)\n")
    code, out, err = _run(["make", "-n", "--json", "-C", str(tmp_path)])
    assert code != -1
    doc = json.loads(out)
    assert doc["exit_code"] == code == 2
    assert any("nested more than 200 levels" in w for w in doc["warnings"])
    assert "make[200]: *** [Makefile:2: all] Error 124" in doc["stderr"]
