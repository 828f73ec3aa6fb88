"""Tree models: validation errors a user can cause, and the documented format."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbsim.errors import InputError
from kbsim.tree.model import load_model, model_format_doc, to_spec
from kbsim.tree.registry import load_spec, shipped_models

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path, text: str) -> Path:
    p = tmp_path / "m.toml"
    p.write_text(text)
    return p


MINI = '''
name = "mini"
[build]
era = "e1"
[[directories]]
path = "kernel"
objects = ["a.o", { name = "b.o", exports = ["foo"] }]
[[modules]]
name = "drivers/x/m.ko"
needs = ["foo"]
'''


def test_minimal_model_builds_a_spec(tmp_path):
    spec = to_spec(load_model(write(tmp_path, MINI)))
    paths = [o.path for o in spec.objects()]
    assert paths == ["kernel/a.o", "kernel/b.o", "drivers/x/m.o"]
    assert [o.kind for o in spec.objects()] == ["y", "y", "m"]
    m = [o for o in spec.objects() if o.path == "drivers/x/m.o"][0]
    assert m.undefined == ["foo"]


@pytest.mark.parametrize("text,needle", [
    (MINI + "\nbogus = 1\n", "bogus"),
    (MINI.replace('era = "e1"', 'era = "e9"'), "unknown era 'e9'"),
    (MINI.replace('era = "e1"', 'era = "e1"\njobs = "many"'), "build.jobs"),
    (MINI.replace('"a.o", ', '"a.o", "a.o", '), "duplicate object 'kernel/a.o'"),
    (MINI.replace('era = "e1"', 'era = "e1"\ngranularity = "3s"'), "unknown granularity"),
    ("name = [", "not valid TOML"),
])
def test_bad_models_give_one_clear_message(tmp_path, text, needle):
    with pytest.raises(InputError) as e:
        to_spec(load_model(write(tmp_path, text)))
    msg = str(e.value)
    assert needle in msg and "\n" not in msg


def test_missing_model_lists_shipped_ones():
    with pytest.raises(InputError, match="lindroth-2018"):
        load_spec("no-such-model")


def test_lindroth_is_shipped_and_shaped_like_the_report():
    assert "lindroth-2018" in shipped_models()
    spec, _ = load_spec("lindroth-2018")
    objs = {o.path: o for o in spec.objects()}
    assert len(objs) >= 1500
    assert objs["arch/x86/lib/usercopy_64.o"].exports == [
        "__clear_user", "clear_user", "arch_wb_cache_pmem", "memcpy_flushcache"]
    assert objs["arch/x86/lib/putuser.o"].exports == [f"__put_user_{n}" for n in (1, 2, 4, 8)]
    assert "__fill_rsb" in objs["arch/x86/lib/retpoline.o"].exports
    names = {m.name.rsplit("/", 1)[1] for m in spec.modules}
    for ko in ("videodev.ko", "kvm.ko", "kvm-intel.ko", "ip_tables.ko", "arp_tables.ko",
               "udf.ko", "fat.ko", "tap.ko", "joydev.ko"):
        assert ko in names
    assert (spec.era, spec.granularity) == ("e1", "1s") and spec.jobs > 1
    # arch/x86/lib is the last directory with exports in 4.x build order
    from kbsim.kbuild.eras import ERAS
    from kbsim.kbuild.layout import ordered_dirs
    order = [d.path for d in ordered_dirs(spec, ERAS["e1"]) if any(o.exports for o in d.objects)]
    assert order[-1] == "arch/x86/lib" or order[-2:] == ["arch/x86/lib", "virt/lib"]


def test_model_format_doc_is_current():
    assert (ROOT / "docs" / "model-format.md").read_text() == model_format_doc()
