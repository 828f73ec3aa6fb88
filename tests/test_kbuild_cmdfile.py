"""fixdep .cmd files: the era writers, and real Linux 6.1 files read back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kbsim.errors import InputError
from kbsim.kbuild.cmdfile import detect_era_hints, parse_cmd, write_cmd
from kbsim.kbuild.eras import ERAS
from kbsim.kbuild.naming import NAMINGS, get_naming

FIX = Path(__file__).resolve().parent.parent / "models" / "fixtures" / "linux-6.1"
OBJ_CMDS = sorted(p for p in FIX.rglob(".*.o.cmd"))


def test_e1_writer_lists_both_clear_user_spellings():
    """The seed message's .cmd excerpt: ///clear/user.h and /clear/user.h both appear."""
    text = write_cmd(ERAS["e1"], NAMINGS["e1-tr"], "arch/x86/lib/usercopy_64.o",
                     "gcc -c -o arch/x86/lib/usercopy_64.o arch/x86/lib/usercopy_64.c",
                     "arch/x86/lib/usercopy_64.c",
                     [("include/linux/export.h", ["MODULES", "TRIM_UNUSED_KSYMS"])], [],
                     ["__clear_user", "clear_user", "arch_wb_cache_pmem", "memcpy_flushcache"])
    lines = text.splitlines()
    tail = [ln for ln in lines if "/ksym/" in ln]
    assert tail == [
        "    $(wildcard include/config/ksym///clear/user.h) \\",
        "    $(wildcard include/config/ksym/clear/user.h) \\",
        "    $(wildcard include/config/ksym/arch/wb/cache/pmem.h) \\",
        "    $(wildcard include/config/ksym/memcpy/flushcache.h) \\",
    ]
    assert "    $(wildcard include/config/trim/unused/ksyms.h) \\" in lines
    assert lines[-3:] == ["arch/x86/lib/usercopy_64.o: $(deps_arch/x86/lib/usercopy_64.o)", "",
                          "$(deps_arch/x86/lib/usercopy_64.o):"]
    cf = parse_cmd(text, "usercopy")
    assert cf.ksym_deps() == ["include/config/ksym///clear/user.h",
                              "include/config/ksym/clear/user.h",
                              "include/config/ksym/arch/wb/cache/pmem.h",
                              "include/config/ksym/memcpy/flushcache.h"]
    assert cf.file_deps() == ["include/linux/export.h"]
    assert cf.source == "arch/x86/lib/usercopy_64.c"
    assert detect_era_hints(cf)["ksym_repeated_slash"]


def test_e2_collapses_and_keeps_duplicates():
    text = write_cmd(ERAS["e2"], NAMINGS["e2-collapse"], "a.o", "cc", "a.c", [], [],
                     ["__clear_user", "clear_user"])
    assert text.count("$(wildcard include/ksym/clear/user.h)") == 2  # fixdep -e: no dedup


def test_e3_ksymdeps_block_sorted_like_nm():
    text = write_cmd(ERAS["e3"], NAMINGS["e2-collapse"], "a.o", "cc", "a.c", [], [],
                     ["zed", "__alpha"])
    block = text[text.index("ksymdeps_a.o := \\"):].splitlines()
    assert block[1:3] == ["    $(wildcard include/ksym/alpha.h) \\",
                          "    $(wildcard include/ksym/zed.h) \\"]
    assert block[-1] == "$(ksymdeps_a.o):"


@pytest.mark.parametrize("path", OBJ_CMDS, ids=lambda p: str(p.relative_to(FIX)))
def test_real_61_cmd_files_are_read(path):
    raw = path.read_text()
    cf = parse_cmd(raw, str(path))
    first = raw.splitlines()[0]
    assert first.startswith(f"cmd_{cf.target} := ")
    assert cf.source == re.search(r"^source_\S+ := (.*)$", raw, re.M).group(1)
    plain = re.findall(r"^  (\S+) \\$", raw, re.M)
    assert cf.file_deps() == plain
    wild_ksym = re.findall(r"\$\(wildcard (include/ksym/\S+)\)", raw)
    assert [d.path for d in cf.ksymdeps] == wild_ksym
    hints = detect_era_hints(cf)
    assert hints["config_upper"] and not hints["config_dot_h"]
    if wild_ksym:
        assert hints["ksymdeps_block"] and hints["ksym_raw"]


@pytest.mark.parametrize("path", [p for p in OBJ_CMDS if "ksymdeps_" in p.read_text()],
                         ids=lambda p: str(p.relative_to(FIX)))
def test_e5_writer_reproduces_real_61_files(path):
    """Writing the parsed content back with the e5 writer gives the file byte for byte."""
    raw = path.read_text()
    cf = parse_cmd(raw, str(path))
    src_cfg, headers, inline = cf.structure()
    assert not inline
    opt = lambda p: p[len("include/config/"):]  # noqa: E731
    syms = [d.path[len("include/ksym/"):] for d in cf.ksymdeps]
    text = write_cmd(ERAS["e5"], NAMINGS["e5-raw"], cf.target, cf.command, cf.source,
                     [(h, [opt(c) for c in cs]) for h, cs in headers],
                     [opt(c) for c in src_cfg], syms)
    assert text == raw


def test_reading_round_trips_every_era():
    for name, era in ERAS.items():
        nm = get_naming(None, era.naming)
        text = write_cmd(era, nm, "d/x.o", "gcc -c -o d/x.o d/x.c # $HOME", "d/x.c",
                         [("include/a.h", ["FOO_BAR"])], ["BAZ"], ["__clear_user"])
        cf = parse_cmd(text, name)
        assert cf.command == "gcc -c -o d/x.o d/x.c # $HOME"
        assert cf.file_deps() == ["include/a.h"]
        assert cf.config_deps() == [nm.config("BAZ"), nm.config("FOO_BAR")]
        want = [nm.fixdep_ksym("__clear_user")] if era.recursion else []
        assert cf.ksym_deps() == want, name


def test_malformed_cmd_is_an_input_error():
    with pytest.raises(InputError, match="malformed"):
        parse_cmd("deps_x := $(wildcard foo\n", "bad.cmd")
    with pytest.raises(InputError, match="no cmd_"):
        parse_cmd("# nothing here\n", "empty.cmd")


def test_a_compiled_objects_text_is_its_dump():
    """objects.compiled_text (the text a compile writes, with the lines that never change
    made once) is ObjectContent.dump() of the same object, for every shape of it."""
    import itertools

    from kbsim.kbuild.objects import ObjectContent, compiled_text, fixed_lines
    lists = [[], ["a"], ["b_c", "x1", "a"]]
    for e, m, u in itertools.product(lists, repeat=3):
        for saw, pass_no in ((None, 1), (0, 2), (1_520_958_000_123_456_789, 3)):
            want = ObjectContent(exports=list(e), markers=list(m), undefined=list(u),
                                 saw_autoksyms_ns=saw, compiled_pass=pass_no).dump()
            assert compiled_text(e, fixed_lines(m, u), saw, pass_no) == want


def test_a_replay_that_compiles_nothing_makes_no_cmd_text(monkeypatch):
    """A compile's .cmd text is made when a compile first writes it (kbuild/commands.py
    _Compile.cmd_text). The captured 6.1 tree's next make compiles nothing, and each of
    its ~580 kbsim-cc lines would otherwise build the text of an object that names ~1,000
    headers (0.38 s of a warm CLI replay when it was made eagerly, 2026-12-08)."""
    import importlib

    from kbsim.kbuild.replay import replay
    from kbsim.tree.registry import load_spec
    commands = importlib.import_module("kbsim.kbuild.commands")
    made: list[str] = []
    real = commands.write_cmd

    def counted(*args, **kw):
        made.append(args[2])
        return real(*args, **kw)

    monkeypatch.setattr(commands, "write_cmd", counted)
    spec, _ = load_spec("linux-6.1-tinyconfig")
    r = replay(spec, seed=0)
    assert r.compiles == [] and made == []
