"""The dependency graph of a simulated build, with each file's state, as a networkx DiGraph.

Nodes are make names (file-table entries of every make process, relative to the run's
directory); edges run prerequisite -> target, as makefile2graph and ``ninja -t graph``
draw them. Each node carries:

- ``state``: ``up-to-date``, ``rebuilt`` (its recipe really rewrote it; in a kbuild replay:
  in a pass after the first, i.e. the adjust loop made it rebuild), ``stale`` (a kbuild
  object whose exports differ from the final autoksyms.h, or a target with a prerequisite
  strictly newer than it at the end), ``missing``, or ``phony``;
- ``color``, ``mtime_ns``/``mtime`` (at the end), ``inode`` and ``file`` (the canonical
  path), ``is_target``, ``has_recipe``, and for kbuild objects ``compiled_passes``.

Names that reach one file are linked to an extra node of kind ``inode`` (id
``inode:<canonical path>``) by edges with ``relation="alias"``, so
``include/config/ksym///clear/user.h`` and ``include/config/ksym/clear/user.h`` visibly share
their file. Exports: DOT (Graphviz; files are boxes, phony targets ellipses, ``rankdir=LR``
as ``ninja -t graph``), GraphML and node-link JSON (both load back with networkx), Mermaid.
"""

from __future__ import annotations

import json
import re

import networkx as nx

from .buildrun import BuildRun
from .timefmt import clock

COLORS = {
    "up-to-date": "#b8e186",
    "rebuilt": "#fdb863",
    "stale": "#e34a33",
    "missing": "#d9d9d9",
    "phony": "#ffffff",
    "inode": "#9ecae1",
}
STATES = ("up-to-date", "rebuilt", "stale", "missing", "phony")
# make's special targets (read.c, file.c snap_deps) are settings, not files
SPECIAL_TARGETS = frozenset((
    ".PHONY", ".SUFFIXES", ".DEFAULT", ".PRECIOUS", ".INTERMEDIATE", ".SECONDARY",
    ".SECONDEXPANSION", ".DELETE_ON_ERROR", ".IGNORE", ".LOW_RESOLUTION_TIME", ".SILENT",
    ".EXPORT_ALL_VARIABLES", ".NOTPARALLEL", ".ONESHELL", ".POSIX", ".NOTINTERMEDIATE",
    ".EXTRA_PREREQS", ".DEFAULT_GOAL"))


def _key(run: BuildRun, proc, name: str) -> str:
    return run.display(name, proc.cwd)


def _real(entry) -> bool:
    return entry is not None and entry.cmds is not None and not entry.cmds.is_empty()


def build_graph(run: BuildRun) -> nx.DiGraph:
    G = nx.DiGraph()
    G.graph.update({"kbsim": "dependency graph", "source": run.label, "kind": run.kind,
                    "granularity": run.fs.gran.name, "edges": "prerequisite -> target"})
    r = run.replay
    if r is not None:
        G.graph.update({"era": r.era.name, "seed": r.seed, "guard": r.guard})
    info: dict[str, dict] = {}
    cwd_of: dict[str, str] = {}
    for p in run.processes:
        for f in p.files:
            if f.name in SPECIAL_TARGETS:
                continue
            k = _key(run, p, f.name)
            a = info.setdefault(k, {"phony": False, "is_target": False, "has_recipe": False})
            cwd_of.setdefault(k, p.cwd)
            a["phony"] |= f.phony
            a["is_target"] |= f.is_target
            a["has_recipe"] |= _real(f)
            oo = f.oo
            for i, dep in enumerate(f.deps):
                if dep.name in SPECIAL_TARGETS:
                    continue
                dk = _key(run, p, dep.name)
                rel = "order-only" if (oo is not None and i < len(oo) and oo[i]) else \
                    "prerequisite"
                if not G.has_edge(dk, k):
                    G.add_edge(dk, k, relation=rel)
                elif rel == "prerequisite":
                    G.edges[dk, k]["relation"] = rel
    for k in info:
        G.add_node(k)
    rebuilt = _rebuilt(run)
    stale = {s.target for s in r.stale} if r is not None else set()
    compiled: dict[str, list[int]] = {}
    if r is not None:
        for c in r.compiles:
            compiled.setdefault(c.target, []).append(c.pass_no)
    by_ino: dict[int, list[str]] = {}
    for k in list(G.nodes):
        a = info.get(k, {"phony": False, "is_target": False, "has_recipe": False})
        cwd = cwd_of.get(k, run.cwd)
        attrs: dict = {"kind": "phony" if a["phony"] else "file", "label": k,
                       "is_target": a["is_target"], "has_recipe": a["has_recipe"]}
        mt = None if a["phony"] else run.final_mtime(k, run.cwd if k in info else cwd)
        if mt is not None:
            attrs["mtime_ns"] = mt
            attrs["mtime"] = clock(mt)
            ino = run.inode(k)
            if ino is not None:
                attrs["inode"] = ino
                attrs["file"] = run.canonical(k) or k
                by_ino.setdefault(ino, []).append(k)
        if k in compiled:
            attrs["compiled_passes"] = ",".join(str(x) for x in compiled[k])
        if a["phony"]:
            st = "phony"
        elif mt is None:
            st = "missing"
        elif k in stale:
            st = "stale"
        elif a["has_recipe"] and _newer_prereq(G, run, k, mt, info):
            st = "stale"
        elif k in rebuilt:
            st = "rebuilt"
        else:
            st = "up-to-date"
        attrs["state"] = st
        attrs["color"] = COLORS[st]
        G.nodes[k].update(attrs)
    for ino, names in by_ino.items():
        if len(names) < 2:
            continue
        canon = G.nodes[names[0]].get("file", names[0])
        nid = f"inode:{canon}"
        G.add_node(nid, kind="inode", label=f"{canon} (inode {ino})", state="inode",
                   color=COLORS["inode"], inode=ino, file=canon,
                   mtime_ns=G.nodes[names[0]]["mtime_ns"],
                   mtime=G.nodes[names[0]]["mtime"], spellings=" ".join(sorted(names)))
        for n in sorted(names):
            G.add_edge(n, nid, relation="alias")
    return G


def _newer_prereq(G, run: BuildRun, k: str, mt: int, info: dict) -> bool:
    """A prerequisite (not phony, not order-only) strictly newer than K at the end."""
    for p in G.predecessors(k):
        if G.edges[p, k].get("relation") != "prerequisite":
            continue
        if info.get(p, {}).get("phony"):
            continue
        pm = run.final_mtime(p)
        if pm is not None and pm > mt:
            return True
    return False


def _rebuilt(run: BuildRun) -> set[str]:
    """Names whose recipe really rewrote them.

    In a directory run: every target whose recipe ran. In a kbuild replay: what the adjust
    loop rebuilt, i.e. objects compiled in a pass after the first, and other files whose
    mtime at the end differs from the last stat any make process made of them before the
    first exec of the next pass.
    """
    out: set[str] = set()
    r = run.replay
    if r is None:
        for p in run.processes:
            for d in p.decisions:
                if d.remade and _real(p.files.lookup(d.target)):
                    out.add(_key(run, p, d.target))
        return out
    out.update(c.target for c in r.compiles if c.pass_no >= 2)
    objects = set(r.runtime.objects) | {c.target for c in r.compiles}
    loops = [a.end_ns for a in r.adjusts if a.reexec]
    if not loops:
        return out
    loop_start = min(loops)
    before: dict[str, int | None] = {}
    for e in run.sim.events:
        if e.kind != "stat" or e.time_ns >= loop_start:
            continue
        p = run.proc(e.pid)
        before[_key(run, p, e.data.get("file"))] = e.data.get("mtime")
    for k, m in before.items():
        if k in objects or m is None:
            continue
        fm = run.final_mtime(k)
        if fm is not None and fm != m:
            out.add(k)
    return out



def limit_to(G: nx.DiGraph, target: str) -> nx.DiGraph:
    """TARGET, its ancestors (prerequisites, transitively) and descendants, plus the
    alias links of the files among them."""
    deps = nx.DiGraph()
    deps.add_nodes_from(G.nodes)
    deps.add_edges_from((u, v) for u, v, a in G.edges(data=True)
                        if a.get("relation") != "alias")
    keep = {target} | nx.ancestors(deps, target) | nx.descendants(deps, target)
    extra = set()
    for n in list(keep):
        for _, v, a in G.out_edges(n, data=True):
            if a.get("relation") == "alias":
                extra.add(v)
                extra.update(u for u, _ in G.in_edges(v))
    H = G.subgraph(keep | extra).copy()
    H.graph["limited_to"] = target
    return H


# ---------------------------------------------------------------- exports
def _dq(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(G: nx.DiGraph) -> str:
    out = ["digraph kbsim {", '  rankdir="LR";',
           '  node [shape=box, style=filled, fontname="Helvetica", fontsize=10];',
           '  edge [color="#555555"];']
    title = f"kbsim: {G.graph.get('source', '')}"
    if G.graph.get("limited_to"):
        title += f", around {G.graph['limited_to']}"
    out.append(f"  label={_dq(title)}; labelloc=t;")
    for n, a in G.nodes(data=True):
        label = a.get("label", n)
        if a.get("mtime") and a.get("kind") != "inode":
            label += "\\n" + a["mtime"][11:]
        attrs = {"label": label, "fillcolor": a.get("color", "#ffffff"),
                 "state": a.get("state", "")}
        kind = a.get("kind")
        if kind == "phony":
            attrs["shape"] = "ellipse"
        elif kind == "inode":
            attrs["shape"] = "folder"
        if a.get("state") == "missing":
            attrs["style"] = "filled,dashed"
        if a.get("state") == "stale":
            attrs["penwidth"] = "2"
        body = ", ".join(f"{k}={_dq(v) if k != 'label' else _dq_label(v)}"
                         for k, v in attrs.items())
        out.append(f"  {_dq(n)} [{body}];")
    for u, v, a in G.edges(data=True):
        rel = a.get("relation")
        if rel == "alias":
            out.append(f"  {_dq(u)} -> {_dq(v)} [style=dashed, arrowhead=none, "
                       f"color=\"#3182bd\", label=\"same inode\", fontsize=8];")
        elif rel == "order-only":
            out.append(f"  {_dq(u)} -> {_dq(v)} [style=dotted];")
        else:
            out.append(f"  {_dq(u)} -> {_dq(v)};")
    out.append("  subgraph cluster_legend { label=\"state\"; fontsize=9;")
    for st in STATES:
        out.append(f"    \"legend:{st}\" [label={_dq(st)}, fillcolor={_dq(COLORS[st])}, "
                   f"shape={'ellipse' if st == 'phony' else 'box'}];")
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def _dq_label(s: str) -> str:
    # keep the \n we put in for a line break; escape everything else
    parts = str(s).split("\\n")
    return '"' + "\\n".join(p.replace("\\", "\\\\").replace('"', '\\"') for p in parts) + '"'


def to_json(G: nx.DiGraph) -> str:
    data = nx.node_link_data(G, edges="edges")
    data["legend"] = COLORS
    return json.dumps(data, indent=1, sort_keys=False, default=str) + "\n"


def from_json(text: str) -> nx.DiGraph:
    data = json.loads(text)
    data.pop("legend", None)
    return nx.node_link_graph(data, edges="edges")


def to_graphml(G: nx.DiGraph) -> str:
    H = G.copy()
    for k, v in list(H.graph.items()):
        if v is None:
            del H.graph[k]
        elif not isinstance(v, (str, int, float, bool)):
            H.graph[k] = str(v)
    return "\n".join(nx.generate_graphml(H)) + "\n"


_MID = re.compile(r"[^A-Za-z0-9_]")


def to_mermaid(G: nx.DiGraph) -> str:
    ids = {n: f"n{i}" for i, n in enumerate(G.nodes)}
    out = ["flowchart LR"]
    for st in STATES + ("inode",):
        out.append(f"  classDef {st.replace('-', '_')} fill:{COLORS[st]},stroke:#333")
    for n, a in G.nodes(data=True):
        label = str(a.get("label", n)).replace('"', "#quot;")
        if a.get("mtime") and a.get("kind") != "inode":
            label += "<br/>" + a["mtime"][11:]
        kind = a.get("kind")
        shape = ("([", "])") if kind == "phony" else (("[(", ")]") if kind == "inode"
                                                       else ("[", "]"))
        cls = str(a.get("state", "up-to-date")).replace("-", "_")
        out.append(f"  {ids[n]}{shape[0]}\"{label}\"{shape[1]}:::{cls}")
    for u, v, a in G.edges(data=True):
        rel = a.get("relation")
        arrow = "-. same inode .-" if rel == "alias" else ("-.->" if rel == "order-only"
                                                           else "-->")
        out.append(f"  {ids[u]} {arrow} {ids[v]}")
    return "\n".join(out) + "\n"


FORMATS = {"dot": to_dot, "graphml": to_graphml, "json": to_json, "mermaid": to_mermaid}

__all__ = ["build_graph", "limit_to", "to_dot", "to_json", "from_json", "to_graphml",
           "to_mermaid", "FORMATS", "COLORS", "STATES"]
