"""Implicit (pattern) rule search, after ``implicit.c pattern_search`` in GNU make 4.3.

Simplifications, each documented in docs/make-subset.md: there are no built-in rules
(kbsim always behaves as ``make -r``, like kbuild); rules are tried by shortest stem
(3.82+), then in definition order; a prerequisite "ought to exist" when it is in the
file table or exists according to the process's directory cache (``file_exists_p``), as
in 4.3; otherwise it may be made by a chain of further pattern rules and becomes an
intermediate file. A name searched for as an intermediate without success is marked
impossible in the directory cache (dir.c file_impossible), and a rule with an impossible
prerequisite is rejected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .expand import pattern_match
from .filedb import FileEntry, PatternRule

if TYPE_CHECKING:  # pragma: no cover
    from .process import MakeProcess

MAX_CHAIN = 8


class _Match:
    __slots__ = ("rule", "stem", "deps", "oo", "chain", "also")

    def __init__(self, rule: PatternRule, stem: str, deps: list[str], oo: list[str]):
        self.rule = rule
        self.stem = stem
        self.deps = deps
        self.oo = oo
        self.chain: dict[str, "_Match"] = {}
        self.also: list[tuple[str, str]] = []  # the rule's other targets: (name, pattern)


class Implicit:
    """Mixin for MakeProcess."""

    def new_pattern_rule(self: "MakeProcess", rule: PatternRule, override: bool = True) -> None:
        """rule.c new_pattern_rule: a rule with the same targets and the same
        prerequisites as an existing one replaces it (OVERRIDE, a makefile's rule: the
        new one goes to the end) or is dropped (a built-in rule)."""
        rules = self.pattern_rules
        names = rule.deps + rule.oo
        for k, r in enumerate(rules):
            if any(all(t == rt for rt in r.targets) for t in rule.targets) and \
                    r.deps + r.oo == names and r.second == rule.second:
                if not override:
                    return
                del rules[k]
                break
        rules.append(rule)
        self.pattern_version += 1

    def _suffixes(self: "MakeProcess") -> tuple[str, ...] | None:
        """The text after '%' of every target pattern; None if one ends in '%'."""
        cache = self._pattern_suffixes
        if cache is not None and cache[0] == self.pattern_version:
            return cache[1]
        sufs: set[str] = set()
        for r in self.pattern_rules:
            for t in r.targets:
                suf = t[t.find("%") + 1:]
                if not suf:
                    self._pattern_suffixes = (self.pattern_version, None)
                    return None
                sufs.add(suf)
        out = tuple(sufs)
        self._pattern_suffixes = (self.pattern_version, out)
        return out

    def _candidates(self: "MakeProcess", name: str, exclude: set[int]):
        sufs = self._suffixes()
        if sufs is not None and not name.endswith(sufs):
            return []  # no target pattern can match (a fast path; same result)
        slash = name.rfind("/")
        dirpart, base = (name[:slash + 1], name[slash + 1:]) if slash >= 0 else ("", name)
        cands = []
        for order, r in enumerate(self.pattern_rules):
            if id(r) in exclude or (r.cmds is None and not r.deps):
                continue
            for tpat in r.targets:
                if "/" in tpat:
                    stem = pattern_match(tpat, name)
                    dprefix = ""
                else:
                    stem = pattern_match(tpat, base)
                    dprefix = dirpart
                if not stem:
                    continue
                full_stem = dprefix + stem

                def subst(p: str, _stem=stem, _d=dprefix) -> str:
                    if "%" not in p:
                        return p
                    q = p.replace("%", _stem, 1)
                    return q if "/" in p else _d + q

                deps = [subst(p) for p in r.deps]
                oo = [subst(p) for p in r.oo]
                m = _Match(r, full_stem, deps, oo)
                m.also = [(subst(t), t) for t in r.targets if t != tpat]
                match_anything = tpat == "%"
                cands.append((len(stem), order, match_anything, m))
                break
        if any(not c[2] for c in cands):
            cands = [c for c in cands if not c[2] or c[3].rule.terminal]
        cands.sort(key=lambda c: (c[0], c[1]))
        return [c[3] for c in cands]

    def _ought_to_exist(self: "MakeProcess", name: str) -> bool:
        return self.files.lookup(name) is not None or self.file_exists_p(name)

    def _search(self: "MakeProcess", name: str, depth: int, exclude: set[int]) -> _Match | None:
        if depth > MAX_CHAIN:
            return None
        cands = self._candidates(name, exclude)
        rejected: set[int] = set()
        for intermediates in (False, True):  # pass 2 allows chains through intermediates
            for k, m in enumerate(cands):
                if k in rejected or (intermediates and m.rule.terminal and depth > 0):
                    continue
                ok = True
                for d in m.deps + m.oo:
                    if self.file_impossible_p(d):
                        # a prerequisite already ruled impossible: the rule is out, in
                        # both passes (implicit.c pattern_search)
                        rejected.add(k)
                        ok = False
                        break
                    if self._ought_to_exist(d):
                        continue
                    if self.vpath_on and self.vpath_search(d) is not None:
                        continue  # found by a vpath search (the name stays as it is)
                    if not intermediates:
                        ok = False
                        break
                    sub = self._search(d, depth + 1, exclude | {id(m.rule)})
                    if sub is None:
                        # searched for as an intermediate file and failed: never again
                        self.file_impossible(d)
                        ok = False
                        break
                    m.chain[d] = sub
                if ok:
                    return m
        return None

    def try_implicit_rule(self: "MakeProcess", file: FileEntry, depth: int) -> bool:
        if not self.pattern_rules:
            return False
        sufs = self._suffixes()
        if sufs is not None and not file.name.endswith(sufs):
            return False  # _candidates would find none (a fast path; same result)
        m = self._search(file.name, 0, set())
        if m is None:
            return False
        self._apply(file, m)
        return True

    def _apply(self: "MakeProcess", file: FileEntry, m: _Match, nested: bool = False) -> None:
        """Give FILE the rule M found. NESTED: FILE is an intermediate file of the chain,
        whose prerequisites implicit.c enters with enter_file (a name with '::' rules gets
        a new, empty '::' entry, which has no rule to make it); the searched file's own
        prerequisites are looked up first (lookup_file, then enter_file if absent)."""
        files = self.files
        deps: list[FileEntry] = []
        for d in m.deps + m.oo:
            f = files.lookup(d)
            if f is not None and nested and f.double_colon is not None:
                f = files.enter_double_colon(d)
            elif f is None:
                f = files.enter(d)
                sub = m.chain.get(d)
                if sub is not None:
                    f.intermediate = True
                    f.tried_implicit = True
                    self._apply(f, sub, nested=True)
            deps.append(f)
        oo = ([False] * len(m.deps) + [True] * len(m.oo)) if m.oo else None
        # implicit.c: the pattern rule's prerequisites go in front ($< is the first)
        file.add_deps(deps, oo, first=True)
        file.cmds = m.rule.cmds
        file.stem = m.stem
        file.implicit_rule = m.rule
        file.rule_floc = m.rule.floc
        file.tried_implicit = True
        if m.also:
            # implicit.c pattern_search: the rule's other targets are entered, precious if
            # their target pattern is, and marked as targets (so no search takes them for
            # intermediates). They get no recipe here: one that make reaches on its own
            # searches the pattern rules itself (its own stem, its own also_make). Each is
            # pushed on the front of the list.
            also = []
            for name, tpat in m.also:
                af = files.enter(name)
                pf = files.lookup(tpat)
                if pf is not None and pf.precious:
                    af.precious = True
                af.is_target = True
                also.append(af)
            also.reverse()
            file.also_make = also
