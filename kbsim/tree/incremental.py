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

from operator import itemgetter

from ..kbuild.spec import NS
from .capture_format import Capture, CapturedBuildSpec
from .captured import CapturedTree, HeaderConfigs, merge_headers


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
    spec.headers = dict(headers)
    spec.initial_files = ct.initial_files(ct.root)
    stamps = [m for m in cap.mtimes.values() if m]
    # the next make starts after the last write the capture saw
    spec.now_ns = (max(stamps) + NS) if stamps else spec.start_ns
    spec.start_phase = False
    spec.trust_saved_commands = True
    spec.notes.append("command lines are assumed unchanged (the saved cmd_ lines are taken "
                      "as the current ones)")
    return spec
