"""The read cache on disk (kbsim.plan.store): warm runs, and every way it can be bad.

A cache file that is corrupt, truncated, foreign, written by other kbsim code, or in a
directory that cannot be written is ignored with at most one warning line, and the
results are those of a cold run; nothing is ever a traceback. Loading never runs code: a
file that names a function (what a pickle does to run code) is refused.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from kbsim.kbuild.replay import replay
from kbsim.plan import ReadCache
from kbsim.plan.store import DiskCache, compress, decompress, namespace
from kbsim.tree.registry import load_spec

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = "alias-stale"

pytestmark = pytest.mark.usefixtures("default_tier")  # (conftest.py)


def kbsim(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "kbsim", *args], capture_output=True,
                          text=True, env=e, timeout=600)


def replay_json(cache_dir: Path, *extra: str) -> tuple[dict, str]:
    r = kbsim("replay", MODEL, "--json", "--cache-dir", str(cache_dir), *extra)
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout), r.stderr


def cache_file(cache_dir: Path) -> Path:
    files = list((cache_dir / "reads-3").glob("*.bin"))
    assert len(files) == 1, files
    return files[0]


def test_second_run_is_warm_and_identical(tmp_path):
    cold, err = replay_json(tmp_path)
    assert err == ""
    f = cache_file(tmp_path)
    stamp = f.stat().st_mtime_ns
    warm, err = replay_json(tmp_path)
    assert err == ""
    assert warm == cold
    assert warm["engines"] == {"plan": 11, "faithful": 0}
    assert f.stat().st_mtime_ns == stamp  # nothing new learned: not rewritten
    ref, _ = replay_json(tmp_path, "--engine", "faithful")
    assert ref["engines"] == {"plan": 0, "faithful": 11}  # the same processes, counted
    ref["engines"] = warm["engines"]
    assert ref == warm


def test_disk_cache_entries_are_used():
    """In process: a cache loaded from disk answers every make process of the replay."""
    spec, _ = load_spec(MODEL)
    import tempfile
    d = Path(tempfile.mkdtemp())
    dc = DiskCache(d, "t")
    r1 = replay(spec, read_cache=dc.load())
    dc.save()
    dc2 = DiskCache(d, "t")
    c = dc2.load()
    assert len(c) == len(dc.cache) > 0
    r2 = replay(spec, read_cache=c)
    assert c.hits == r2.engines["plan"] and c.misses == 0
    assert r2.log() == r1.log()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "foreign", "other-code",
                                    "wrong-shape", "names-a-function"])
def test_bad_cache_file_is_ignored_with_one_warning(tmp_path, damage):
    cold, _ = replay_json(tmp_path)
    f = cache_file(tmp_path)
    data = f.read_bytes()
    marker = tmp_path / "RAN"
    if damage == "garbage":
        f.write_bytes(os.urandom(2000))
    elif damage == "truncated":
        f.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        f.write_bytes(b"")
    elif damage == "foreign":
        f.write_bytes(compress(json.dumps({"hello": "world"}).encode()))
    elif damage == "other-code":
        doc = pickle.loads(decompress(data))
        doc["code"] = "0" * 24
        f.write_bytes(compress(pickle.dumps(doc, protocol=5)))
    elif damage == "wrong-shape":
        doc = pickle.loads(decompress(data))
        doc["entries"] = [{"key": 1}]
        f.write_bytes(compress(pickle.dumps(doc, protocol=5)))
    else:  # a pickle that runs `touch RAN` when pickle.loads reads it (GLOBAL os.system,
        # the command as a 1-tuple, REDUCE): the cache's unpickler must refuse the global
        cmd = f"touch {marker}".encode()
        payload = (b"\x80\x02cos\nsystem\nX" + len(cmd).to_bytes(4, "little") + cmd
                   + b"\x85R.")
        f.write_bytes(compress(payload))
    got, err = replay_json(tmp_path)
    assert got == cold
    lines = err.strip().splitlines()
    assert len(lines) <= 1, err
    if damage != "empty":
        assert lines and "read cache" in lines[0] and "not used" in lines[0], err
    assert not marker.exists()
    # the damaged file was replaced by a good one
    again, err = replay_json(tmp_path)
    assert again == cold and err == ""


def test_unwritable_cache_dir_warns_once(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    got, err = replay_json(blocker)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "cache not written" in lines[0], err
    ref, _ = replay_json(tmp_path / "ok")
    assert got == ref


def test_no_cache_writes_nothing(tmp_path):
    got, err = replay_json(tmp_path, "--no-cache")
    assert err == "" and not (tmp_path / "reads-3").exists()
    got2, _ = replay_json(tmp_path, "--engine", "faithful")
    assert not (tmp_path / "reads-3").exists()  # the reference keeps no cache


def test_cache_dir_inside_the_build_dir_is_refused(tmp_path):
    """kbsim never writes into a tree it reads."""
    build = tmp_path / "build"
    build.mkdir()
    r = kbsim("replay", str(build), "--cache-dir", str(build / "cache"))
    assert r.returncode == 2
    assert "inside" in r.stderr and "never writes there" in r.stderr
    assert not (build / "cache").exists()


def test_engine_plan_names_the_process_and_the_feature(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text((Path(HERE) / "data" / "tiny-2018.toml").read_text())
    r = kbsim("replay", str(model), "--engine", "plan", "--no-cache")
    assert r.returncode in (0, 1), r.stderr  # kbuild's makes are all plannable
    r = kbsim("replay", str(model), "--engine", "bogus")
    assert r.returncode == 2 and "--engine 'bogus'" in r.stderr


def test_namespace_separates_trees():
    assert namespace("/a/m.toml") != namespace("/b/m.toml")
    assert isinstance(ReadCache(), ReadCache)


def test_model_spec_kept_beside_the_read_cache(tmp_path):
    """A model file's spec is kept (tree/speccache.py) and used when the file is the
    same; an edited model is read again."""
    model = tmp_path / "m.toml"
    model.write_text((Path(HERE) / "data" / "tiny-2018.toml").read_text())
    cache = tmp_path / "cache"
    r1 = kbsim("replay", str(model), "--json", "--cache-dir", str(cache))
    specs = list((cache / "specs-2").glob("*.bin"))
    assert len(specs) == 1
    r2 = kbsim("replay", str(model), "--json", "--cache-dir", str(cache))
    assert json.loads(r2.stdout) == json.loads(r1.stdout)
    model.write_text(model.read_text().replace('seed = 0', 'seed = 3'))
    r3 = kbsim("replay", str(model), "--json", "--cache-dir", str(cache))
    assert json.loads(r3.stdout)["seed"] == 3
    assert len(list((cache / "specs-2").glob("*.bin"))) == 2
    specs[0].write_bytes(b"garbage")
    model.write_text(model.read_text().replace('seed = 3', 'seed = 0'))
    r4 = kbsim("replay", str(model), "--json", "--cache-dir", str(cache))
    assert json.loads(r4.stdout) == json.loads(r1.stdout)
    assert "damaged" in r4.stderr and len(r4.stderr.strip().splitlines()) == 1


def test_capture_spec_kept_beside_the_read_cache(tmp_path):
    """A capture file's spec is kept too (tree/speccache.py): the second run loads it and
    gives the same result as a run without any cache; another capture file gets its own;
    a damaged or foreign file is one warning line and is rewritten."""
    cap = tmp_path / "race.json.gz"
    cap.write_bytes((Path(HERE) / "data" / "race-6.1.json.gz").read_bytes())
    cache = tmp_path / "cache"
    r0 = kbsim("replay", str(cap), "--json", "--no-cache")
    r1 = kbsim("replay", str(cap), "--json", "--cache-dir", str(cache))
    specs = list((cache / "specs-2").glob("*.bin"))
    assert len(specs) == 1 and r1.stderr == ""
    kept = specs[0].read_bytes()
    r2 = kbsim("replay", str(cap), "--json", "--cache-dir", str(cache))
    assert r2.stdout == r1.stdout == r0.stdout and r2.stderr == ""
    assert specs[0].read_bytes() == kept  # (loaded, not built and written again)
    for damage in (b"garbage", kept[: len(kept) // 2],
                   compress(pickle.dumps({"format": "kbsim-capture-spec/1", "code": "x"}))):
        specs[0].write_bytes(damage)
        r = kbsim("replay", str(cap), "--json", "--cache-dir", str(cache))
        assert r.stdout == r0.stdout
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert specs[0].read_bytes() != damage  # (rewritten)
    kept = specs[0].read_bytes()
    r = kbsim("replay", str(cap), "--json", "--cache-dir", str(cache))
    assert r.stdout == r0.stdout and r.stderr == "" and specs[0].read_bytes() == kept
    # the same file edited: its own spec (the key holds the file's bytes)
    raw = json.loads(gzip.decompress(cap.read_bytes()))
    assert raw["granularity"]["granularity"] == "1s"
    raw["granularity"]["granularity"] = "ns"
    cap.write_bytes(gzip.compress(json.dumps(raw).encode()))
    r3 = kbsim("replay", str(cap), "--json", "--cache-dir", str(cache))
    assert r3.stdout == kbsim("replay", str(cap), "--json", "--no-cache").stdout
    assert json.loads(r3.stdout)["granularity"] != json.loads(r0.stdout)["granularity"]
    assert len(list((cache / "specs-2").glob("*.bin"))) == 2


def test_a_kept_capture_spec_is_what_the_capture_gives(tmp_path):
    """The spec loaded back equals the one built from the capture, field by field (the
    texts and scans left out of the pickle put back), and its files' digests are the
    known ones."""
    from kbsim.plan.observe import Digest, digest_of
    from kbsim.tree.speccache import load_spec_cached
    cap = tmp_path / "race.json.gz"
    cap.write_bytes((Path(HERE) / "data" / "race-6.1.json.gz").read_bytes())
    built, _ = load_spec(str(cap))
    first, _ = load_spec_cached(str(cap), tmp_path / "c")
    again, _ = load_spec_cached(str(cap), tmp_path / "c")
    assert again is not first
    for spec in (first, again):
        assert pickle.dumps(spec.initial_files) == pickle.dumps(built.initial_files)
        assert [vars(o) for o in spec.objects()] == [vars(o) for o in built.objects()]
        assert spec.capture.model_dump() == built.capture.model_dump()
        assert spec.headers == built.headers and spec.now_ns == built.now_ns
        assert spec.source_path == built.source_path
    # the digests kept are given for those very objects (not computed again)
    from kbsim.plan import observe
    datas = [d for _, d in again.initial_files.values() if d]
    assert datas and all(id(d) in observe._KNOWN for d in datas)
    assert all(Digest(digest_of(d)).matches(d) for d in datas)


def test_known_digests_are_used_for_those_objects_only():
    """observe.known_digests (a build directory's spec cache gives them): Digest.matches
    takes the digest given for that very bytes object, and computes it for any other."""
    from kbsim.plan.observe import Digest, digest_of, known_digests
    data = b"deps_x.o := a.h\n" * 100
    copy = bytes(bytearray(data))
    assert copy is not data
    told = "0" * 32  # (what the cache said for DATA: taken as said)
    known_digests([(data, told)])
    try:
        assert Digest(told).matches(data)
        assert not Digest(digest_of(data)).matches(data)
        assert Digest(digest_of(data)).matches(copy) and not Digest(told).matches(copy)
    finally:
        known_digests([])
    assert Digest(digest_of(data)).matches(data)


def test_a_damaged_frame_that_still_decodes_is_refused():
    """The files' frames carry a checksum: a changed byte inside a stored (uncompressed)
    block decodes to other bytes without it, and is refused with it."""
    payload = os.urandom(4096)  # (incompressible: zstd stores it as a raw block)
    blob = bytearray(compress(payload))
    i = blob.index(payload[100:116]) + 4
    blob[i] ^= 0xFF
    with pytest.raises(Exception):
        decompress(bytes(blob))


def test_read_logs_and_plans_share_one_string_a_name(tmp_path):
    """The names in the read cache's logs and Plans are one string object a text
    (observe._interned, freeze), so the file holds each once."""
    spec, _ = load_spec(MODEL)
    dc = DiskCache(tmp_path, "t")
    replay(spec, read_cache=dc.load())
    dc.save()
    c = DiskCache(tmp_path, "t").load()
    objs: dict[str, set[int]] = {}
    seen = 0
    for es in c.entries.values():
        for e in es:
            names = list(e.plan.names) if e.plan is not None else []
            for o in e.log:
                for a in o.args:
                    names += [a] if isinstance(a, str) else [x for x in a or ()
                                                             if isinstance(x, str)] \
                        if isinstance(a, (list, tuple)) else []
            seen += len(names)
            for n in names:
                objs.setdefault(n, set()).add(id(n))
    assert len(objs) > 50 and seen > 2 * len(objs)  # (names met again and again)
    assert all(len(ids) == 1 for ids in objs.values())


def test_existence_checks_reuse_answers_while_the_namespace_is_unchanged():
    """observe.still_true's lexisting answers are kept while the SimFS's generation is
    the same (no name added, removed or moved): a second check asks the filesystem
    nothing new, and one after a file is created or removed sees the change."""
    from kbsim.fs import SimFS
    from kbsim.plan.observe import ObservingFS, still_true
    fs = SimFS()
    fs.mkdir("/b/d")
    fs.write("/b/d/x.h", b"x")
    names = ["d/x.h", "d/y.h", "d/x.h", "e/z.h"]
    asked: list[list[str]] = []
    real = fs.lexisting

    def spy(paths, cwd=None):
        asked.append(list(paths))
        return real(paths, cwd)
    fs.lexisting = spy
    obs = ObservingFS(fs)  # (the read's own queries fill the same answers)
    assert obs.lexisting(names, "/b") == ["d/x.h", "d/x.h"]
    log = obs.log
    assert still_true(log, fs)
    assert still_true(log, fs)
    assert sorted(asked[0]) == ["d/x.h", "d/y.h", "e/z.h"] and len(asked) == 1
    fs.write("/b/d/y.h", b"y")  # a name added
    assert not still_true(log, fs)
    fs.remove("/b/d/y.h")
    assert still_true(log, fs)
    fs.remove("/b/d/x.h")  # a name removed
    assert not still_true(log, fs)


def test_observed_existence_checks_are_noted_as_the_plain_query_notes_them():
    """ObservingFS.lexisting (answered from still_true's namespace cache) gives the
    answers of SimFS.lexisting and notes the Observation the generic query of
    __getattr__ notes, as names are added and removed between the questions."""
    from kbsim.fs import SimFS
    from kbsim.plan.observe import ObservingFS
    fs = SimFS()
    fs.mkdir("/b/d")
    fs.write("/b/d/x.h", b"x")
    asks = [(["d/x.h", "d/y.h", "d/x.h", "e/z.h"], "/b"), (["/b/d/x.h", "x.h"], "/b/d"),
            ([], "/b"), (("d/y.h", "d/x.h"), "/b"), (["d/x.h", "d//x.h", "d/./x.h"], None)]
    fast, plain = ObservingFS(fs), ObservingFS(fs)
    query = ObservingFS.__getattr__(plain, "lexisting")
    for step in range(4):
        for paths, cwd in asks:
            want = fs.lexisting(list(paths), cwd)
            assert fast.lexisting(paths, cwd) == want
            assert query(paths, cwd) == want
        if step == 0:
            fs.write("/b/d/y.h", b"y")  # a name added
        elif step == 1:
            fs.remove("/b/d/x.h")  # a name removed
        else:
            fs.mkdir("/b/e")
            fs.write("/b/e/z.h", b"z")
    assert fast.log == plain.log and len(fast.log) == 4 * len(asks)
    assert fast.reusable and plain.reusable


def test_directory_checks_reuse_answers_while_the_namespace_is_unchanged():
    """still_true's isdir answers are kept as its lexisting answers are: asked once
    while the generation stays, asked again after a directory appears or goes, or a
    file takes a directory's name."""
    from kbsim.fs import SimFS
    from kbsim.plan.observe import ObservingFS, still_true
    fs = SimFS()
    fs.mkdir("/b/inc")
    obs = ObservingFS(fs)
    assert obs.isdir("inc", "/b") and not obs.isdir("gen", "/b")
    log = obs.log
    asked: list[str] = []
    real = fs.isdir

    def spy(path, cwd=None):
        asked.append(path)
        return real(path, cwd)
    fs.isdir = spy
    assert still_true(log, fs) and still_true(log, fs)
    assert asked == ["inc", "gen"]
    fs.mkdir("/b/gen")  # a directory added
    assert not still_true(log, fs)
    fs.remove("/b/gen", recursive=True)
    assert still_true(log, fs)
    fs.remove("/b/inc", recursive=True)
    fs.write("/b/inc", b"")  # a file where the directory was
    assert not still_true(log, fs)


def test_preload_reads_the_file_once_for_a_later_load(tmp_path):
    """DiskCache.preload (a run calls it while its build directory's spec is checked in
    a child process): the later load() takes the entries read then, and the file is not
    read again."""
    spec, _ = load_spec(MODEL)
    dc = DiskCache(tmp_path, "t")
    replay(spec, read_cache=dc.load())
    dc.save()
    d2 = DiskCache(tmp_path, "t")
    d2.prefetch()
    d2.preload()
    d2.path.unlink()  # (read already)
    c = d2.load()
    assert len(c) == len(dc.cache) > 0 and d2.found


def _kept_race_spec(tmp_path):
    """The spec of the race-6.1 capture as its spec cache gives it back (built, kept,
    loaded), and the one built without a cache."""
    from kbsim.tree.speccache import load_spec_cached
    cap = tmp_path / "race.json.gz"
    cap.write_bytes((Path(HERE) / "data" / "race-6.1.json.gz").read_bytes())
    load_spec_cached(str(cap), tmp_path / "c")
    kept, _ = load_spec_cached(str(cap), tmp_path / "c")
    built, _ = load_spec(str(cap))
    return cap, kept, built


def test_a_replay_does_not_unpickle_the_kept_capture(tmp_path):
    """A replay of a kept capture spec gives the result of the spec built, without
    unpickling its capture (tree/keptspec.py: the kbuild layer does not read it); asked
    for afterwards, the capture is the one built, and a copy of the spec made by pickle
    (a what-if worker's) gives it too."""
    cap, kept, built = _kept_race_spec(tmp_path)
    assert "_kept" in vars(kept)  # (not unpickled yet)
    r_kept = replay(kept, read_cache=ReadCache())
    r_built = replay(built, read_cache=ReadCache())
    assert "_kept" in vars(kept)
    assert r_kept.log() == r_built.log() and r_kept.compiles == r_built.compiles
    shipped = pickle.loads(pickle.dumps(kept))
    assert "_kept" in vars(shipped)
    for spec in (shipped, kept):
        assert spec.capture.model_dump() == built.capture.model_dump()
        assert "_kept" not in vars(spec) and spec == built and built == spec
    kept.capture = None  # (set: taken as set)
    assert kept.capture is None and kept != built


def test_a_kept_capture_that_does_not_load_says_which_file(tmp_path, monkeypatch):
    """A capture pickle that names a refused class (the way a pickle runs code) in a file
    whose frames are sound, which only a file made on purpose has: the replay does not
    read it; asking for the capture is an error naming the file, and nothing runs."""
    from kbsim.plan.store import load_data, save_data
    from kbsim.tree.speccache import SUBDIR, load_spec_cached
    cap, kept, built = _kept_race_spec(tmp_path)
    (f,) = (tmp_path / "c" / SUBDIR).glob("*.bin")
    doc = load_data(f, set())
    save_data(f, dict(doc, capture=compress(pickle.dumps(os.system))))
    ran = []
    monkeypatch.setattr(os, "system", lambda *a: ran.append(a))
    said: list[str] = []
    spec, _ = load_spec_cached(str(cap), tmp_path / "c", said.append)
    assert said == [] and spec.initial_files == built.initial_files
    with pytest.raises(ValueError, match=str(f)):
        spec.capture
    assert ran == []


def test_loads_frame_refuses_what_decompress_refuses(tmp_path):
    """store.loads_frame unpickles a frame as it decompresses it: a frame whose stored
    bytes changed (its checksum says so only at its end), bytes after the pickle and a
    truncated frame are each refused with one warning, as decompress() refuses them."""
    from kbsim.plan.store import loads_frame
    data = {"blob": os.urandom(8192), "n": 7}
    blob = compress(pickle.dumps(data, protocol=5))
    assert loads_frame(blob, set(), tmp_path / "f") == data
    bad = bytearray(blob)
    i = bad.index(data["blob"][100:116]) + 4  # (incompressible: a raw block)
    bad[i] ^= 0xFF
    trailing = compress(pickle.dumps(data, protocol=5) + b"more")
    for damaged in (bytes(bad), trailing, blob[: len(blob) // 2]):
        said: list[str] = []
        assert loads_frame(damaged, set(), tmp_path / "f", said.append) is None
        assert len(said) == 1 and "damaged" in said[0]


def test_a_kept_capture_spec_whose_spec_frame_is_damaged_is_built_again(tmp_path):
    """The spec's frame inside a kept capture spec changed (the outer file sound): one
    warning, the spec built again and kept again."""
    from kbsim.plan.store import load_data, save_data
    from kbsim.tree.speccache import SUBDIR, load_spec_cached
    cap, kept, built = _kept_race_spec(tmp_path)
    (f,) = (tmp_path / "c" / SUBDIR).glob("*.bin")
    doc = load_data(f, set())
    spec = bytearray(doc["spec"])
    spec[len(spec) // 2] ^= 0xFF
    save_data(f, dict(doc, spec=bytes(spec)))
    said: list[str] = []
    again, _ = load_spec_cached(str(cap), tmp_path / "c", said.append)
    assert len(said) == 1 and "damaged" in said[0] and str(f) in said[0]
    assert again == built and "_kept" not in vars(again)  # (built, not loaded)
    said.clear()
    third, _ = load_spec_cached(str(cap), tmp_path / "c", said.append)
    assert said == [] and "_kept" in vars(third) and third == built


def test_long_values_are_kept_packed_until_read(tmp_path):
    """A plan's long variable values (store.KeptVariable) are in the file compressed,
    none of them as text; they are unpacked when read, any text as it was, and a loaded
    cache written again, some of them read, gives them back alike."""
    import dataclasses

    from kbsim.make.expand import Variable, VariableNames
    from kbsim.plan.store import KeptVariable
    spec, _ = load_spec(MODEL)
    dc = DiskCache(tmp_path, "t")
    replay(spec, read_cache=dc.load())
    key, entry = next((k, e) for k, es in dc.cache.entries.items() for e in es
                      if e.plan is not None)
    long = {f"deps_{i}.o": f"include/{i}.h " * 300 + "caf\u00e9 lone\udcff" for i in range(3)}
    variables = dict(entry.plan.variables)
    variables.update((n, Variable(n, v, False)) for n, v in long.items())
    variables[".VARIABLES"] = VariableNames(variables)
    plan = dataclasses.replace(entry.plan, variables=variables)
    dc.cache.entries[key] = [dataclasses.replace(entry, plan=plan)]
    dc.save()
    raw = decompress(cache_file(tmp_path).read_bytes())
    assert b"include/1.h include/1.h" not in raw and b"deps_1.o" in raw
    assert plan.variables["deps_1.o"].__class__ is Variable  # (what ran: as it was)

    def loaded_plan():
        c = DiskCache(tmp_path, "t")
        es = c.load().entries[key]
        assert len(es) == 1
        return c, es[0].plan
    c, p = loaded_plan()
    kept = {n: p.variables[n] for n in long}
    assert all(v.__class__ is KeptVariable and v._packed is not None for v in kept.values())
    assert p.variables[".VARIABLES"].table is p.variables
    assert kept["deps_0.o"].value == long["deps_0.o"]
    kept["deps_2.o"].value = "x"
    assert kept["deps_2.o"].value == "x" and kept["deps_1.o"]._packed is not None
    c.cache.added.append((key, None))  # (so that save writes: as a run that grew it)
    c.save()
    _, p = loaded_plan()
    assert [p.variables[n].value for n in long] == [long["deps_0.o"], long["deps_1.o"], "x"]


def test_equal_parts_of_plans_are_one_object_in_the_file(tmp_path):
    """The file keeps equal variables, prerequisite tuples, flag tuples and observations
    of its plans and logs as one object each (store._One), and leaves out each plan's
    index, which the load makes again from its names; the replay from it is the same."""
    from kbsim.make.expand import Variable
    spec, _ = load_spec(MODEL)
    dc = DiskCache(tmp_path, "t")
    r1 = replay(spec, read_cache=dc.load())
    dc.save()
    raw = decompress(cache_file(tmp_path).read_bytes())
    assert pickle.loads(raw)["entries"][0][1].plan.index is None
    c = DiskCache(tmp_path, "t").load()
    plans = [e.plan for es in c.entries.values() for e in es if e.plan is not None]
    assert len(plans) > 5
    for p in plans:
        assert p.index == {n: i for i, n in enumerate(p.names)}

    def kept_once(values) -> bool:
        """Equal values (with their types) are one object, and some are met again."""
        ids: dict = {}
        n = 0
        for v in values:
            n += 1
            ids.setdefault(repr(v), set()).add(id(v))
        return n > len(ids) and all(len(s) == 1 for s in ids.values())
    by_name: dict = {}
    for p in plans:
        for v in p.variables.values():
            if v.__class__ is Variable:
                key = (v.name, v.value, v.recursive, v.origin, v.export, v.floc, v.private,
                       repr(v.compiled))
                by_name.setdefault(key, set()).add(id(v))
    assert all(len(s) == 1 for s in by_name.values())
    assert sum(1 for p in plans for v in p.variables.values()
               if v.__class__ is Variable) > 2 * len(by_name)
    assert kept_once(d for p in plans for d in p.deps if d)
    assert kept_once(p.is_target for p in plans)
    assert kept_once(o for es in c.entries.values() for e in es for o in e.log
                     if o.method == "isdir")
    assert replay(spec, read_cache=c).log() == r1.log()


@pytest.mark.parametrize("damage", ["index", "names"])
def test_a_plan_whose_names_do_not_make_an_index_is_refused(tmp_path, damage):
    """A file whose plan has an index (the file never keeps one) or names that are not
    distinct (no index of them is right) is damaged: not used, said once."""
    import dataclasses
    spec, _ = load_spec(MODEL)
    dc = DiskCache(tmp_path, "t")
    replay(spec, read_cache=dc.load())
    dc.save()
    f = cache_file(tmp_path)
    doc = pickle.loads(decompress(f.read_bytes()))
    k, e = doc["entries"][-1]
    p = e.plan
    p = (dataclasses.replace(p, index={}) if damage == "index" else
         dataclasses.replace(p, names=p.names + p.names[:1]))
    doc["entries"][-1] = (k, dataclasses.replace(e, plan=p))
    f.write_bytes(compress(pickle.dumps(doc, protocol=5)))
    said: list[str] = []
    c = DiskCache(tmp_path, "t", warn=said.append)
    assert len(c.load()) == 0 and not c.found
    assert len(said) == 1 and "damaged" in said[0], said
