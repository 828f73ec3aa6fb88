"""Words a user reads (issue 15, item 7): each message says what happened, in the user's
terms, never an internal name or a value that is not one.

The inputs are built here (a captured tree with a known stale object, bad model files,
bad granularities); the expected words follow from how they were built."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from capture_trees import e5_tree

from kbsim.cli import main

HERE = Path(__file__).resolve().parent


def cli(capsys, *argv) -> tuple[int, str, str]:
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def stale_capture(tmp_path_factory):
    """A built 6.1-style tree whose lib/a.o was compiled without a_export, which the
    autoksyms.h asks for, and is newer than every prerequisite: the next make keeps it,
    stale, and modpost fails. Captured to a file."""
    base = tmp_path_factory.mktemp("stale")
    b, _ = e5_tree(base, obj_exports=())
    out = base / "tree.json.gz"
    try:
        main(["capture", str(b), "-o", str(out), "--quiet"])
    except SystemExit as e:
        assert e.code in (0, None)
    return b, out


# ------------------------------------------------------------------- replay of a capture
def test_replay_of_a_capture_is_the_next_make_not_a_clean_build(capsys, stale_capture):
    _, cap = stale_capture
    code, out, _ = cli(capsys, "replay", cap)
    assert code == 1  # modpost fails: lib/m.ko needs a_export
    first = next(ln for ln in out.splitlines() if ln.startswith("== pass 1"))
    assert "from clean" not in first and "captured tree" in first
    # nothing is compiled by that make: said as a word, not "0 ()"
    assert "objects compiled: none;" in out and "0 ()" not in out
    # the stale object was compiled by the real build, before the capture
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("lib/a.o ("))
    assert "pass None" not in line and "before the capture" in line
    assert "missing a_export" in line


def test_replay_from_clean_still_says_so(capsys):
    code, out, _ = cli(capsys, "replay", HERE / "data" / "tiny-2018.toml")
    assert "(from clean)" in next(ln for ln in out.splitlines()
                                  if ln.startswith("== pass 1"))
    assert "pass None" not in out


def test_explain_finds_an_object_of_the_capture(capsys, stale_capture):
    _, cap = stale_capture
    code, out, err = cli(capsys, "explain", cap, "lib/a.o", "--no-check")
    assert code == 0, err
    file_line = next(ln for ln in out.splitlines() if ln.strip().startswith("file:"))
    assert "(missing)" not in file_line and file_line.rstrip().split(",")[0].endswith(
        "build/lib/a.o")
    assert "NOT CONSIDERED" not in out  # the next make did consider it (FORCE, kept)


# ------------------------------------------------------------------- capture
def test_capture_without_o_says_where_it_wrote(capsys, tmp_path, monkeypatch):
    b, _ = e5_tree(tmp_path / "t")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _, err = cli(capsys, "capture", b)
    assert code == 0, err
    assert (work / "build.json.gz").exists()
    assert f"-> {work / 'build.json.gz'}" in err


# ------------------------------------------------------------------- whatif
def test_whatif_with_one_value_has_nothing_to_compare(capsys):
    code, out, err = cli(capsys, "whatif", HERE / "data" / "tiny-2018.toml", "--vary",
                         "granularity=1s", "--trials", "1", "--workers", "1",
                         "--no-progress")
    assert code == 0, err
    assert "does NOT change" not in out
    assert "granularity: only one value (1s) was tried: nothing to compare" in out


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize("value", ["jiffy:-5", "jiffy:abc", "multigrain:-1"])
def test_granularity_with_a_bad_hz_names_the_range(capsys, value):
    code, _, err = cli(capsys, "replay", "alias-stale", "-g", value)
    assert code == 2
    assert "unknown granularity" not in err
    assert "between 1 and 100000" in err and value in err


@pytest.mark.parametrize("table,key,value,words", [
    ("directories", "path", "../../etc", "outside the tree"),
    ("directories", "path", "/etc", "absolute path"),
    ("headers", "path", "include/../../x.h", "outside the tree"),
    ("modules", "name", "/abs/m.ko", "absolute path"),
])
def test_model_paths_outside_the_tree_are_refused(capsys, tmp_path, table, key, value,
                                                  words):
    m = tmp_path / "m.toml"
    m.write_text(f'name = "x"\n[[{table}]]\n{key} = "{value}"\n')
    code, out, err = cli(capsys, "replay", m)
    assert code == 2 and out == ""
    assert err.startswith("kbsim: error: ") and words in err and value in err


def test_model_error_names_keys_not_pydantic_classes(capsys, tmp_path):
    m = tmp_path / "m.toml"
    m.write_text('name = "x"\n[[directories]]\npath = "lib"\nobjects = ["a.o", {name = 3}]\n')
    code, _, err = cli(capsys, "replay", m)
    assert code == 2
    assert "directories.0.objects.1.name:" in err
    for internal in ("ObjectModel", ".str", "function-", "(and"):
        assert internal not in err, err


# ------------------------------------------------------------------- --help
def test_help_shows_no_internal_types(capsys):
    for argv in ([], ["make"], ["replay"], ["whatif"], ["graph"], ["explain"],
                 ["capture"], ["trace"]):
        code, out, _ = cli(capsys, *argv, "--help")
        assert code == 0
        for junk in ("<bool>", "<list[str]>", "<str>", "<int", "[[", "]...]...", "{"):
            assert junk not in out, (argv, junk)
    _, out, _ = cli(capsys, "make", "--help")
    assert "Usage: kbsim make [OPTIONS] [TARGET|VAR=VALUE]..." in out
    _, out, _ = cli(capsys, "replay", "--help")
    assert "Usage: kbsim replay [OPTIONS] MODEL" in out
    assert "--jobs JOBS" in out


def test_version_and_help_do_not_load_the_engine(tmp_path):
    """`kbsim --version` and `kbsim --help` start quickly because they import neither the
    make engine nor kbuild's replay (issue 14 item 3); which modules a start loads is a
    fact, unlike a timing."""
    probe = ("import sys\nfrom kbsim.cli import main\nsys.argv = ['kbsim'] + {argv!r}\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "loaded = [m for m in ('kbsim.make', 'kbsim.kbuild.replay', 'kbsim.experiments"
             ".runner', 'typer', 'rich') if m in sys.modules]\n"
             "print('LOADED', ' '.join(loaded), file=sys.stderr)\n")
    for argv, allowed in ((["--version"], set()), (["--help"], {"typer"}),
                          (["replay", "--help"], {"typer"})):
        p = subprocess.run([sys.executable, "-c", probe.format(argv=argv)],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
        line = next(ln for ln in p.stderr.splitlines() if ln.startswith("LOADED"))
        assert set(line.split()[1:]) <= allowed, (argv, line)
