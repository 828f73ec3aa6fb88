"""A captured tree as the starting state of the next make (kbsim replay BUILD_DIR|CAPTURE).

The replay lays out kbsim's model makefiles at the capture's build directory in the
simulated filesystem, then writes every captured file on top with its real mtime: the
real ``.cmd`` files (so make decides from the real dependency lists), sources and headers
(absolute source-tree paths for O= builds), config and ksym files, autoksyms.h, the module
state files, and the objects' exports. The next ``make`` then runs through the make engine
from that state, followed by the era's adjust loop and modpost.

Assumption (said in the report): command lines are unchanged, i.e. the saved ``cmd_``
line of each object is taken as the current one, since kbsim does not evaluate the real
kernel makefiles that would produce it.
"""

from __future__ import annotations

import os
from operator import itemgetter

from ..kbuild.spec import NS
from .capture_format import Capture, load_capture
from .captured import (CapturedBuildSpec, CapturedTree, HeaderConfigs, config_name,
                       merge_headers, to_spec)
from .linkgraph import tree_graph

# eras whose stages after the compiles the tree layout models (v5.x makefiles checked
# against a real 5.10 build, v5.19+ ones against real 6.1 and 6.12 builds); older captures
# replay in the model layout
TREE_ERAS = ("e3", "e5", "e6")


_FIRST = itemgetter(0)


def spec_from_capture(cap: Capture) -> CapturedBuildSpec:
    ct = CapturedTree(cap)
    spec = ct.to_spec(with_headers=False)  # headers: below, for every object
    spec.root = ct.root
    headers = HeaderConfigs()
    for o in spec.objects():
        r = ct.by_target.get(o.path)
        if r is None or r.source is None:
            continue
        o.command = r.command
        o.source = r.source  # as fixdep wrote it: absolute in O= builds
        hdrs = r.structure()[1]
        names = list(map(_FIRST, hdrs))
        src_key = ct.key(r.source)
        if src_key in ct.keys(names):  # the source listed as one of its headers: left out
            hdrs = [(h, c) for h, c in hdrs if ct.key(h) != src_key]
            names = list(map(_FIRST, hdrs))
        merge_headers(headers, hdrs)
        o.headers = list(dict.fromkeys(names))
    spec.initial_files = ct.initial_files(ct.root)
    if cap.era.era in TREE_ERAS:
        _with_tree(ct, spec, headers)
    spec.headers = dict(headers)
    spec.now_ns = next_make_start(spec)
    spec.start_phase = False
    spec.trust_saved_commands = True
    spec.notes.append("command lines are assumed unchanged (the saved cmd_ lines are taken "
                      "as the current ones)")
    return spec


def next_make_start(spec: CapturedBuildSpec) -> int:
    """When the next make starts: after the last write the capture saw (its mtimes; the
    build directory's spec cache sets it again when it moves an mtime, dircache.py)."""
    stamps = [m for m in spec.capture.mtimes.values() if m]
    return (max(stamps) + NS) if stamps else spec.start_ns


def _with_tree(ct: CapturedTree, spec: CapturedBuildSpec, headers: HeaderConfigs) -> None:
    """Give SPEC the tree's TreeGraph, an ObjectSpec for every other compile target (.mod.o,
    the boot image's objects, ...), and modpost's outputs as kbsim writes them."""
    from ..kbuild.eras import ERAS, with_formats
    from ..kbuild.objects import ObjectContent
    from ..kbuild.spec import ObjectSpec
    from ..kbuild.steps import export_c_text, modpost_outputs, vmlinux_exports
    era = with_formats(ERAS[ct.cap.era.era], spec.formats)
    g = tree_graph(ct, era, ct.cap.makefile_prereqs)
    if "." not in g.subdirs:  # no ./built-in.a or ./modules.order: no descent to model
        spec.notes.append("no top-level built-in.a or modules.order command: the stages "
                          "after the compiles are not modelled")
        return
    spec.tree = g
    have = {o.path for o in spec.objects()}
    for t, tt in g.targets.items():
        if tt.kind != "compile" or t in have:
            continue
        r = ct.by_target.get(t)
        if r is None or r.source is None:
            continue
        src_cfg, hdrs, _ = r.structure()
        src_key = ct.key(r.source)
        hdrs = [(h, c) for h, c in hdrs if ct.key(h) != src_key]
        merge_headers(headers, hdrs)
        spec.tree_objects.append(ObjectSpec(
            t, r.source, list(dict.fromkeys(h for h, _ in hdrs)),
            list(dict.fromkeys(config_name(c) for c in src_cfg)), ct.candidates(t), [],
            command=r.command))
    # what modpost last wrote, in kbsim's terms (steps.mod_c_text): recomputed from the
    # captured objects, so a module whose facts do not change keeps its .mod.c
    def content(key: str) -> ObjectContent:
        o = ct.cap.objects.get(key)
        if o is None:
            return ObjectContent()
        return ObjectContent(exports=list(o.exports), markers=list(o.markers or []),
                             undefined=list(o.undefined or []))
    vm_exports = vmlinux_exports(content("vmlinux.o"), era.recursion)
    mods = [(ko, content(ko[:-3] + ".o")) for ko in ct.modules]
    texts, export_c = modpost_outputs(mods, vm_exports, True, [], not era.recursion)
    files = spec.initial_files
    for ko, text in texts.items():
        k = f"{ct.root}/{ko[:-3]}.mod.c"
        if k in files and files[k][0] is not None:
            files[k] = (files[k][0], text.encode())
    k = f"{ct.root}/.vmlinux.export.c"
    if k in files and files[k][0] is not None:
        files[k] = (files[k][0], (export_c if export_c is not None
                                  else export_c_text([])).encode())


def load_capture_spec(path: str | os.PathLike, *, from_clean: bool = False
                      ) -> CapturedBuildSpec:
    """What ``kbsim replay CAPTURE`` runs (called by tree/registry.load_spec): the spec
    of the next make from the captured state (spec_from_capture); ``from_clean=True``:
    the spec of a build from clean of the captured structure instead."""
    from ..make.gcpause import paused_gc
    with paused_gc():  # large object graphs, all kept (make/gcpause.py)
        cap = load_capture(path)
        spec = to_spec(cap) if from_clean else spec_from_capture(cap)
    spec.source_path = str(path)
    return spec
