"""kbsim capture: the read-only walk, the kbsim-capture/2 format, era and granularity
detection, bad input. Trees are built by tests/capture_trees.py with known facts."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from capture_trees import E1_CMD_USERCOPY, NS, T, e1_tree, e5_tree, listing, put

from kbsim.cli import main
from kbsim.errors import InputError
from kbsim.kbuild.cmdfile import detect_era_hints, parse_cmd, write_cmd
from kbsim.kbuild.eras import ERAS
from kbsim.kbuild.naming import NAMINGS
from kbsim.tree import capture as capmod
from kbsim.tree.capture import capture
from kbsim.tree.capture_format import (FORMAT, FORMAT_VERSION, Capture,
                                       CmdEntry,
                                       capture_format_doc, cmd_text, encode_lines,
                                       load_capture, parse_capture, write_capture)
from kbsim.tree.captured import CapturedTree
from kbsim.tree.incremental import load_capture_spec
from kbsim.tree.cmdscan import archive_members, scan_cmd
from kbsim.tree.scanstore import ScanReader, encode_scan, store_scans
from kbsim.tree.detect import detect_granularity, era_hints

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "models" / "fixtures" / "linux-6.1"


class Run:
    def __init__(self, code, out, err):
        self.exit_code, self.stdout, self.stderr = code, out, err
        self.output = out + err


def run_cli(args) -> Run:
    """kbsim's real entry point (InputError -> one line, exit 2), in-process."""
    import contextlib
    import io
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return Run(code, out.getvalue(), err.getvalue())


# ---------------------------------------------------------------------- the e5 tree
def test_capture_e5_tree_facts(tmp_path):
    b, s = e5_tree(tmp_path)
    cap = capture(str(b))
    assert cap.format == FORMAT
    assert cap.build_dir == os.path.realpath(b)
    assert cap.srctree == os.path.realpath(s)  # from the 'source' symlink
    assert cap.symlinks == {"source": str(s)}
    assert {e.path for e in cap.cmd_files} == {"lib/.a.o.cmd", "lib/.m.o.cmd",
                                               "lib/.m.ko.cmd", "lib/.built-in.a.cmd"}
    assert cap.era.era == "e5"
    assert cap.era.per_era == {"e5": 1}  # only lib/a.o has ksym dependencies
    assert cap.granularity.granularity == "1s"  # every mtime was set in whole seconds
    # named files: present and absent, as constructed
    src = os.path.realpath(s)
    assert cap.mtimes[f"{src}/lib/a.c"] == T - 3600 * NS
    assert cap.mtimes[f"{src}/include/linux/x.h"] == T - 3600 * NS
    assert cap.mtimes["include/config/FOO"] == T - 60 * NS
    assert cap.mtimes["include/config/BAR"] is None
    assert cap.mtimes["include/ksym/a_export"] == T + 5 * NS
    assert cap.mtimes["include/ksym/a_unused"] is None
    assert cap.mtimes["lib/a.o"] == T + 10 * NS
    # the objtool rule's name, './tools/objtool/objtool', is one file with make's name
    assert cap.names["./tools/objtool/objtool"] == "tools/objtool/objtool"
    assert cap.mtimes["tools/objtool/objtool"] is None
    # objects: ELF exports and markers, module undefined symbols
    a = cap.objects["lib/a.o"]
    assert (a.format, a.exports, a.markers) == ("elf", ["a_export"], ["a_export", "a_unused"])
    assert cap.objects["lib/m.ko"].undefined == ["a_export", "printk", "__this_module"]
    assert cap.objects["lib/m.o"].undefined == ["a_export", "printk"]
    assert cap.elf == "pyelftools"
    # state files, whole
    assert "#define __KSYM_a_export 1" in cap.autoksyms.text
    assert cap.autoksyms.mtime_ns == T + 4 * NS
    assert cap.modules_order.text == "lib/m.ko\n"
    assert [(t.path, t.text) for t in cap.usyms_files] == [("lib/m.usyms", "a_export\nprintk\n")]
    assert [(t.path, t.text) for t in cap.mod_files] == [("lib/m.mod", "lib/m.o\n")]
    assert not cap.warnings and not cap.partial


@pytest.mark.parametrize("layout", ["table", "inline"])
def test_cmd_texts_round_trip_byte_for_byte(tmp_path, layout):
    b, _ = e5_tree(tmp_path)
    cap = capture(str(b), layout=layout)
    for e in cap.cmd_files:
        assert cmd_text(cap, e) == (b / e.path).read_text()
    assert (cap.line_table == []) == (layout == "inline")


@pytest.mark.parametrize("name", ["t.json.gz", "t.json"])
def test_format_round_trip(tmp_path, name):
    b, _ = e5_tree(tmp_path / "tree")
    cap = capture(str(b))
    out = tmp_path / name
    size = write_capture(cap, out)
    assert size == out.stat().st_size
    raw = out.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == name.endswith(".gz")
    back = load_capture(out)
    assert back == cap
    # the gzip header carries no timestamp: the same capture gives the same bytes
    write_capture(cap, tmp_path / ("again-" + name))
    assert (tmp_path / ("again-" + name)).read_bytes() == raw


def test_schema_describes_the_format():
    schema = Capture.model_json_schema()
    props = schema["properties"]
    for k in ("format", "build_dir", "cmd_files", "mtimes", "names", "objects", "era",
              "granularity", "line_table", "warnings", "partial"):
        assert k in props
    assert schema["additionalProperties"] is False
    r = run_cli(["schema", "capture"])
    assert r.exit_code == 0 and json.loads(r.stdout)["title"] == "Capture"


def test_docs_capture_format_in_sync():
    doc = (ROOT / "docs" / "capture-format.md").read_text()
    assert doc == capture_format_doc() + "\n", "regenerate docs/capture-format.md"


def test_newer_format_version_is_refused(tmp_path):
    b, _ = e5_tree(tmp_path / "tree")
    data = json.loads(gzip.decompress(_written(tmp_path, capture(str(b)))))
    newer = f"kbsim-capture/{FORMAT_VERSION + 1}"
    data["format"] = newer
    p = tmp_path / "new.json"
    p.write_text(json.dumps(data))
    with pytest.raises(InputError, match=rf"new\.json: written by a newer kbsim \(format "
                                         rf"{newer}\)"):
        load_capture(p)
    r = run_cli(["diagnose", str(p), "--symbol", "x"])
    assert r.exit_code == 2


# ---------------------------------------------------------------------- stored scans
def _scan_fields(r):
    return (r.name, r.target, r.source, r.command, r.prefix, r.deps, r.ksymdeps, r.other,
            r.extra_prereqs, r.problems, r.parser)


def _rescans(cap) -> dict:
    out = {}
    for e in cap.cmd_files:
        t = cmd_text(cap, e)
        r = scan_cmd(t, e.path) if t is not None else None
        if r is not None and r.target is not None:
            out[e.path] = _scan_fields(r)
    return out


@pytest.mark.parametrize("layout", ["table", "inline"])
def test_stored_scans_read_back_as_the_scanner_reads_the_texts(tmp_path, layout):
    b, _ = e5_tree(tmp_path / "tree")
    p = tmp_path / "c.json"
    write_capture(capture(str(b), layout=layout), p)
    cap = load_capture(p)
    assert cap.format == FORMAT
    # table layout: every file has its scan stored; inline: none, the texts are scanned
    assert all((e.scan is not None) == (layout == "table") for e in cap.cmd_files)
    assert cap._scans is None  # from the file: CapturedTree reads the stored scans
    scans = CapturedTree(cap).scans
    got = {k: _scan_fields(r) for k, r in scans.items()}
    assert got == _rescans(cap)
    assert got["lib/.a.o.cmd"][5]  # its deps_ list, read back
    for k, r in scans.items():
        again = scan_cmd(cmd_text(cap, next(e for e in cap.cmd_files if e.path == k)), k)
        assert r.structure() == again.structure()


@pytest.mark.parametrize("era,naming", [("e1", "e1-tr"), ("e2", "e2-collapse"),
                                        ("e3", "e2-collapse"), ("e4", "e4-collapse"),
                                        ("e5", "e5-raw")])
def test_stored_scans_of_every_era_writer(tmp_path, era, naming):
    """Inline ksym wildcards (e1, e2), ksymdeps_ blocks (e3-e5), the target's own name in
    its deps: each reads back, grouping included, as the scanner reads the text."""
    b = tmp_path / "b"
    for t, hdr in (("lib/x.o", "include/linux/h.h"), ("lib/y.o", "lib/y.o.h")):
        put(b / f"lib/.{t[4:]}.cmd", write_cmd(
            ERAS[era], NAMINGS[naming], t, f"cc -c -o {t} {t[:-2]}.c", f"{t[:-2]}.c",
            [(hdr, ["SOME_OPTION"]), ("include/linux/k.h", [])], ["OTHER"],
            ["__clear_user", "clear_user"]))
    p = tmp_path / "c.json"
    write_capture(capture(str(b), elf=False), p)
    cap = load_capture(p)
    assert all(e.scan is not None for e in cap.cmd_files)
    for k, r in CapturedTree(cap).scans.items():
        again = scan_cmd(cmd_text(cap, next(e for e in cap.cmd_files if e.path == k)), k)
        assert _scan_fields(r) == _scan_fields(again)
        assert r.structure() == again.structure() and r.ksym_paths() == again.ksym_paths()


def test_version_1_captures_are_still_read(tmp_path):
    b, _ = e5_tree(tmp_path / "tree")
    data = json.loads(gzip.decompress(_written(tmp_path, capture(str(b)))))
    data["format"] = "kbsim-capture/1"
    for e in data["cmd_files"]:
        del e["scan"]  # what a version-1 writer wrote
    p = tmp_path / "v1.json"
    p.write_text(json.dumps(data))
    cap = load_capture(p)
    assert cap.format == "kbsim-capture/1"
    got = {k: _scan_fields(r) for k, r in CapturedTree(cap).scans.items()}
    assert got == _rescans(cap) and "lib/.a.o.cmd" in got
    assert load_capture_spec(p).objects()  # replay reads it too
    # and upgrades to the current format with the same scans
    up = store_scans(cap)
    assert up.format == FORMAT and all(e.scan is not None for e in up.cmd_files)
    back = parse_capture(json.dumps(up.model_dump(mode="json", exclude_none=True)).encode(),
                         "up.json")
    assert {k: _scan_fields(r) for k, r in CapturedTree(back).scans.items()} == got


def test_a_scan_that_does_not_read_back_is_not_stored():
    # deps on the assignment line itself: the scanner reads it, the stored form cannot say it
    text = ("cmd_x.o := gcc -c x.c\nsource_x.o := x.c\ndeps_x.o := a.h b.h\n\n"
            "x.o: $(deps_x.o)\n\n$(deps_x.o):\n")
    r = scan_cmd(text, ".x.o.cmd")
    assert r.parser == "fast" and [p for p, _ in r.deps] == ["a.h", "b.h"]
    table, runs, subs = encode_lines([text], [r.target])
    e = CmdEntry(path=".x.o.cmd", lines=runs[0], subst=subs[0])
    before = list(e.lines)
    assert encode_scan(r, text, e, ScanReader(table)) is None
    assert e.lines == before  # runs left as they were


def test_damaged_stored_scan_is_an_input_error(tmp_path):
    b, _ = e5_tree(tmp_path / "tree")
    p = tmp_path / "c.json"
    write_capture(capture(str(b)), p)
    cap = load_capture(p)
    e = next(e for e in cap.cmd_files if e.path == "lib/.a.o.cmd")
    e.scan.deps = (e.scan.deps[0], 10 ** 6)
    with pytest.raises(InputError, match="lib/.a.o.cmd: stored scan does not fit"):
        CapturedTree(cap).scans


def _written(tmp_path, cap) -> bytes:
    p = tmp_path / "w.json.gz"
    write_capture(cap, p)
    return p.read_bytes()


@pytest.mark.parametrize("data,msg", [
    (b'{"format": "kbsim-model/1"}', "not a kbsim capture"),
    (b'[1, 2]', "not a kbsim capture"),
    (b'{"format": "kbsim-capture/1", "build_dir": 3}', "not a valid kbsim-capture/1"),
    (b'{"format": "kbsim-capture/x"}', "unknown capture format"),
    (b'\x1f\x8b\x08\x00garbage', "damaged gzip"),
    (b'{"format": ', "invalid JSON"),
])
def test_bad_capture_files(data, msg):
    with pytest.raises(InputError, match=msg):
        parse_capture(data, "x.json")


def test_damaged_line_index_is_an_input_error(tmp_path):
    b, _ = e5_tree(tmp_path / "tree")
    cap = capture(str(b))
    cap.cmd_files[0].lines = [[0, 10 ** 6]]
    with pytest.raises(InputError, match="line index out of range"):
        cmd_text(cap, cap.cmd_files[0])


# ---------------------------------------------------------------------- read-only
def test_capture_never_writes(tmp_path):
    b, s = e5_tree(tmp_path / "t")
    before = listing(b, s)
    out = tmp_path / "cap.json.gz"
    r = run_cli(["capture", str(b), "-o", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    assert out.exists()
    assert listing(b, s) == before
    # also when the output is refused, and for diagnose/aliases on the directory
    for bad in (str(b / "inside.json.gz"), str(s / "inside.json.gz"),
                str(b / "source" / "x.json.gz")):
        r = run_cli(["capture", str(b), "-o", bad, "--quiet"])
        assert r.exit_code == 2
        assert "never writes there" in r.stderr and "Traceback" not in r.output
    run_cli(["diagnose", str(b), "--symbol", "a_export"])
    run_cli(["aliases", str(b)])
    assert listing(b, s) == before


def test_default_output_name_is_in_the_cwd(tmp_path, monkeypatch):
    b, s = e5_tree(tmp_path / "t")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    r = run_cli(["capture", str(b), "--quiet"])
    assert r.exit_code == 0, r.output
    assert (work / "build.json.gz").exists()
    monkeypatch.chdir(b)  # the default would land inside the build dir: refused
    r = run_cli(["capture", str(b), "--quiet"])
    assert r.exit_code == 2 and not (b / "build.json.gz").exists()


def test_walk_does_not_follow_symlinks_out(tmp_path):
    b, s = e5_tree(tmp_path)
    outside = tmp_path / "outside"
    put(outside / ".evil.o.cmd", "cmd_evil.o := true\n")
    os.symlink(str(outside), b / "lib" / "linkdir")
    os.symlink(str(outside / ".evil.o.cmd"), b / "lib" / ".linked.o.cmd")
    cap = capture(str(b))
    assert all("evil" not in e.path and "linked" not in e.path for e in cap.cmd_files)
    assert cap.symlinks["lib/linkdir"] == str(outside)
    assert cap.symlinks["lib/.linked.o.cmd"] == str(outside / ".evil.o.cmd")
    # the source tree behind the 'source' link is never listed: only named files appear
    assert not any(k.endswith("/Makefile") for k in cap.mtimes)


# ---------------------------------------------------------------------- era, granularity
@pytest.mark.parametrize("era,naming,expect", [
    ("e1", "e1-tr", "e1"), ("e2", "e2-collapse", "e2"), ("e3", "e2-collapse", "e3"),
    ("e4", "e4-collapse", "e4"), ("e5", "e5-raw", "e5"),
])
def test_era_detected_from_cmd_formats(tmp_path, era, naming, expect):
    b = tmp_path / "b"
    text = write_cmd(ERAS[era], NAMINGS[naming], "lib/x.o", "cc -c -o lib/x.o lib/x.c",
                     "lib/x.c", [("include/linux/h.h", ["SOME_OPTION"])], ["OTHER"],
                     ["__clear_user", "clear_user"])
    put(b / "lib/.x.o.cmd", text)
    cap = capture(str(b), elf=False)
    assert cap.era.era == expect


def test_era_e6_without_ksym_dependencies(tmp_path):
    b = tmp_path / "b"
    text = write_cmd(ERAS["e6"], NAMINGS["e5-raw"], "lib/x.o", "cc", "lib/x.c",
                     [("include/linux/h.h", ["SOME_OPTION"])], [], ["sym"])
    put(b / "lib/.x.o.cmd", text)
    put(b / "include/config/auto.conf", "CONFIG_TRIM_UNUSED_KSYMS=y\n")
    assert capture(str(b)).era.era == "e6"


def test_era_hints_match_the_cmdfile_reader():
    for era, naming in (("e1", "e1-tr"), ("e2", "e2-collapse"), ("e3", "e2-collapse"),
                        ("e4", "e4-collapse"), ("e5", "e5-raw"), ("e6", "e5-raw")):
        text = write_cmd(ERAS[era], NAMINGS[naming], "a.o", "cc", "a.c",
                         [("h.h", ["X_Y"])], ["Z"], ["__a", "b"])
        assert era_hints(scan_cmd(text, "a")) == detect_era_hints(parse_cmd(text, "a"))


def _lattice(n, tick, offset, start=T):
    return [start + offset + tick * (i * 7 + i * i % 13) for i in range(n)]


@pytest.mark.parametrize("mtimes,expect", [
    ([T + i * NS for i in range(50)], "1s"),
    ([T + 2 * i * NS for i in range(50)], "2s"),
    ([T + i * 4_000_000 * 3 for i in range(200)], "jiffy"),            # zero-anchored 4 ms
    ([T + i * 10_000_000 * 3 for i in range(200)], "jiffy:100"),
    (_lattice(300, 4_000_000, 458_579), "jiffy"),                      # offset lattice
    (_lattice(300, 4_000_000, 458_579)[::2]
     + [T + 123_457 * i * 1_017 + i % 7 for i in range(150)], "multigrain"),
    ([T + 987_654_321 * i % (600 * NS) + 1_234_567 * i for i in range(300)], "ns"),
])
def test_granularity_detection(mtimes, expect):
    assert detect_granularity(mtimes).granularity == expect


def test_granularity_of_a_captured_tree_ignores_source_files(tmp_path):
    """Only files the build wrote count: here 40 source headers carry fine-grained mtimes
    in the same seconds as the build's outputs, which sit on an offset 4 ms lattice."""
    b, s = e5_tree(tmp_path, offset_ns=4_000_000 * 7 + 458_579)
    for k, p in enumerate(sorted(b.rglob("*"))):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            os.utime(p, ns=(st.st_mtime_ns, st.st_mtime_ns + (k * 37 % 50) * 4_000_000))
    headers = []
    for i in range(40):
        h = put(s / f"include/linux/h{i}.h", "", T + (i % 20) * NS + 1_234_567 * i + 89 * i)
        headers.append((str(os.path.realpath(h)), []))
    put(b / "lib/.z.o.cmd", write_cmd(ERAS["e5"], NAMINGS["e5-raw"], "lib/z.o", "cc",
                                      f"{s}/lib/a.c", headers, [], []), T + 3 * NS + 458_579)
    cap = capture(str(b))
    assert all(cap.mtimes[h] is not None for h, _ in headers)
    assert cap.granularity.granularity == "jiffy"
    from kbsim.tree.detect import detect_granularity as dg
    assert dg([cap.mtimes[h] for h, _ in headers] * 1).granularity == "ns"


# ---------------------------------------------------------------------- bad input
def test_not_a_build_tree(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty: not a kbuild build tree"):
        capture(str(tmp_path / "empty"))
    for args in (["capture", str(tmp_path / "empty")],
                 ["capture", str(tmp_path / "nope")],
                 ["diagnose", str(tmp_path / "empty"), "--symbol", "x"],
                 ["aliases", str(tmp_path / "nope")]):
        r = run_cli(args)
        assert r.exit_code == 2, args
    put(tmp_path / "file", "x")
    with pytest.raises(InputError, match="not a directory"):
        capture(str(tmp_path / "file"))


def test_truncated_and_corrupt_cmd_files_give_partial_results(tmp_path):
    b, _ = e5_tree(tmp_path)
    full = (b / "lib/.a.o.cmd").read_text()
    lines = full.split("\n")
    cut = next(i for i, ln in enumerate(lines) if "include/linux/y.h" in ln)
    (b / "lib/.a.o.cmd").write_text("\n".join(lines[:cut]) + "\n  /partial/hea")
    put(b / "lib/.c.o.cmd", "cmd_lib/c.o := gcc $(pou\n\nsource_lib/c.o := lib/c.c\n")
    cap = capture(str(b))
    assert cap.partial
    text = " ".join(cap.warnings)
    assert "lib/.a.o.cmd" in text and "truncated" in text
    assert "lib/.c.o.cmd" in text and "malformed" in text
    a = next(e for e in cap.cmd_files if e.path == "lib/.a.o.cmd")
    assert any("truncated" in p for p in a.problems)
    # what was read before the cut is kept: x.h and its CONFIG, not y.h
    r = scan_cmd(cmd_text(cap, a), a.path)
    assert [p for p, _ in r.deps] == ["include/config/BAR", "/".join(
        [os.path.realpath(tmp_path / "src"), "include/linux/x.h"]), "include/config/FOO",
        "/partial/hea"]
    c = scan_cmd(cmd_text(cap, next(e for e in cap.cmd_files if e.path == "lib/.c.o.cmd")),
                 "lib/.c.o.cmd")
    assert c.target == "lib/c.o" and c.source == "lib/c.c" and c.parser == "partial"
    # the other files were captured normally
    assert cap.objects["lib/m.ko"].undefined
    r = run_cli(["capture", str(b), "-o", str(tmp_path / "o.json.gz")])
    assert r.exit_code == 0 and "partial capture" in r.stderr


def test_objects_that_are_not_elf(tmp_path):
    b, _ = e5_tree(tmp_path)
    (b / "lib/a.o").write_bytes(b"this is not an object\n")
    cap = capture(str(b))
    assert cap.objects["lib/a.o"].error == "not an ELF file"
    assert any(w.startswith("lib/a.o: not an ELF file") for w in cap.warnings)
    (b / "lib/a.o").write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"garbage")
    cap = capture(str(b))
    assert cap.objects["lib/a.o"].error.startswith("damaged ELF file")


def test_unreadable_files_are_reported_and_skipped(tmp_path, monkeypatch):
    b, _ = e5_tree(tmp_path)
    real_open = capmod.RealTree.open

    def deny(self, path):
        if path.endswith(("/lib/.m.o.cmd", "/lib/a.o", "/modules.order")):
            raise PermissionError(13, "Permission denied", path)
        return real_open(self, path)

    monkeypatch.setattr(capmod.RealTree, "open", deny)
    cap = capture(str(b))
    w = " | ".join(cap.warnings)
    assert "lib/.m.o.cmd: cannot read: Permission denied" in w
    assert "lib/a.o: cannot read: Permission denied" in w
    assert "modules.order: cannot read: Permission denied" in w
    assert cap.partial
    assert cap.objects["lib/a.o"].error == "cannot read: Permission denied"
    assert next(e for e in cap.cmd_files if e.path == "lib/.m.o.cmd").lines is None


def test_without_pyelftools(tmp_path, monkeypatch):
    b, _ = e5_tree(tmp_path)
    import kbsim.tree.elfscan as es

    def missing(fh, want):
        raise es.ElfUnavailable("pyelftools is not installed")

    monkeypatch.setattr(es, "_elf_facts", missing)
    monkeypatch.setattr(capmod, "have_pyelftools", lambda: False)
    cap = capture(str(b))
    assert cap.elf == "unavailable" and cap.objects == {}
    assert any("pip install 'kbsim[elf]'" in w for w in cap.warnings)
    r = run_cli(["capture", str(b), "--elf", "-o", str(tmp_path / "x.json.gz")])
    assert r.exit_code == 2 and not (tmp_path / "x.json.gz").exists()


# ---------------------------------------------------------------------- the fast scanner
def _fixture_cmds():
    return sorted(FIX.rglob("*.cmd"))


def test_scanner_matches_the_make_reader_on_real_and_written_files():
    texts = [(p.name, p.read_text()) for p in _fixture_cmds()]
    assert len(texts) >= 8
    for era, naming in (("e1", "e1-tr"), ("e2", "e2-collapse"), ("e3", "e2-collapse"),
                        ("e4", "e4-collapse"), ("e5", "e5-raw"), ("e6", "e5-raw")):
        texts.append((era, write_cmd(ERAS[era], NAMINGS[naming], "d/a.o",
                                     "gcc -D'X=\"#1\"' -c -o d/a.o d/a.c $$HOME", "d/a.c",
                                     [("include/h.h", ["FOO_BAR"]), ("include/i.h", [])],
                                     ["SRC_OPT"], ["__clear_user", "clear_user", "x"])))
    for name, text in texts:
        r = scan_cmd(text, name)
        assert r.cmd == parse_cmd(text, name), name
        assert not r.problems


def test_archive_members():
    assert archive_members('rm -f lib/built-in.a;  printf "lib/%s " a.o math/built-in.a b.o'
                           ' | xargs ar cDPrST lib/built-in.a') == [
        "lib/a.o", "lib/math/built-in.a", "lib/b.o"]
    assert archive_members("rm -f lib/lib.a; ar cDPrsT lib/lib.a lib/x.o lib/y.o") == [
        "lib/x.o", "lib/y.o"]
    assert archive_members("kbsim-ar d/built-in.o d/a.o d/b.o") == ["d/a.o", "d/b.o"]


# ---------------------------------------------------------------------- replay bridge
def test_replay_of_a_capture_predicts_the_next_make(tmp_path):
    """From the captured state: nothing to do as built; a ksym file newer than lib/a.o
    (and only that) makes the next make recompile lib/a.o, and only it."""
    from kbsim.kbuild import replay
    b, _ = e5_tree(tmp_path / "t")
    p = tmp_path / "c.json.gz"
    write_capture(capture(str(b)), p)
    spec = load_capture_spec(p)
    assert spec.root == str(b) and spec.trust_saved_commands
    r = replay(spec, jobs=2)
    assert [c.target for c in r.compiles] == []
    b2, _ = e5_tree(tmp_path / "t2", ksym_mtime=T + 20 * NS)
    p2 = tmp_path / "c2.json.gz"
    write_capture(capture(str(b2)), p2)
    r2 = replay(load_capture_spec(p2), jobs=2)
    first = [c for c in r2.compiles if c.pass_no == 1]
    assert [c.target for c in first] == ["lib/a.o"]
    assert first[0].reasons == ["due to: include/ksym/a_export"]
    res = run_cli(["replay", str(p2), "--json"])
    doc = json.loads(res.output)
    assert doc["rebuild"] == [{"target": "lib/a.o", "stage": "compile", "pass": 1,
                               "reasons": ["due to: include/ksym/a_export"],
                               "writes": ["lib/a.o"], "content": None}]
    spec = load_capture_spec(p, from_clean=True)
    assert spec.capture is not None and spec.era == "e5"


def test_to_spec_and_initial_files(tmp_path):
    b, s = e5_tree(tmp_path)
    cap = capture(str(b))
    from kbsim.tree.captured import initial_files, to_spec
    spec = to_spec(cap)
    objs = {o.path: o for o in spec.objects()}
    assert set(objs) == {"lib/a.o", "lib/m.o"}
    a, m = objs["lib/a.o"], objs["lib/m.o"]
    assert (a.kind, a.source, a.headers) == ("y", "lib/a.c",
                                             ["include/linux/x.h", "include/linux/y.h"])
    assert a.configs == ["BAR"] and a.exports == ["a_export", "a_unused"]
    assert spec.headers["include/linux/x.h"] == ["FOO"]
    assert (m.kind, m.undefined) == ("m", ["a_export", "printk"])
    assert [(x.name, x.objects) for x in spec.modules] == [("lib/m.ko", ["lib/m.o"])]
    assert (spec.era, spec.granularity) == ("e5", "1s")
    files = initial_files(cap, root="/linux")
    assert files["/linux/include/ksym/a_export"] == (T + 5 * NS, None)
    assert files["/linux/include/ksym/a_unused"] == (None, None)
    assert files["/linux/lib/.a.o.cmd"][1] == (b / "lib/.a.o.cmd").read_bytes()
    from kbsim.kbuild.objects import ObjectContent
    oc = ObjectContent.parse(files["/linux/lib/a.o"][1])
    assert (oc.exports, oc.markers) == (["a_export"], ["a_export", "a_unused"])
    assert ObjectContent.parse(files["/linux/lib/built-in.a"][1]).members == ["lib/a.o"]
    assert files[f"{os.path.realpath(s)}/lib/a.c"] == (T - 3600 * NS, None)


def test_e1_in_tree_build(tmp_path):
    b = e1_tree(tmp_path)
    cap = capture(str(b))
    assert cap.srctree == os.path.realpath(b)  # in-tree: Kbuild + scripts/Makefile.build
    assert cap.era.era == "e1"
    assert cap.names["include/config/ksym///clear/user.h"] == "include/config/ksym/clear/user.h"
    assert cap.mtimes["include/config/ksym/clear/user.h"] == T + 100 * NS
    assert cap.objects["arch/x86/lib/usercopy_64.o"].exports == ["memcpy_flushcache"]
    assert cap.objects["arch/x86/lib/usercopy_64.o"].markers is None  # 4.x: no markers
    assert E1_CMD_USERCOPY in {e.path for e in cap.cmd_files}


def test_state_files_behind_a_symlinked_directory_are_not_read(tmp_path):
    b, _ = e5_tree(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (b / "include/generated").rename(elsewhere)
    os.symlink(str(elsewhere), b / "include/generated")
    cap = capture(str(b))
    assert cap.autoksyms.text is None
    assert "reached through a symlink" in cap.autoksyms.error
    assert any("include/generated/autoksyms.h: reached through a symlink" in w
               for w in cap.warnings)


def test_file_names_that_are_not_utf8(tmp_path):
    b, _ = e5_tree(tmp_path)
    bad = os.path.join(os.fsencode(b / "lib"), b".\xff\xfe.o.cmd")
    with open(bad, "wb") as fh:
        fh.write(b"cmd_x := y\n")
    cap = capture(str(b))
    assert any("not UTF-8" in w for w in cap.warnings)
    p = tmp_path / "out.json.gz"
    write_capture(cap, p)  # still writable: the name was left out
    assert load_capture(p) == cap
