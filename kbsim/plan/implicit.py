"""The implicit rule search on the Plan's entries (kbsim/make/implicit.py).

The search itself (``_candidates``, ``_search``: which rule, which stem, which chain) is the
reference's code, borrowed by PlanProcess; only the two functions that read or change file
entries are ported here: 'ought to exist' (a name in the file table) and applying the
rule found. Freeze refuses pattern rules with several targets, so there is no also_make.
"""

from __future__ import annotations


class PlanImplicit:
    """Mixin for PlanProcess."""

    def _ought_to_exist(self, name: str) -> bool:
        return self.lookup(name) is not None or self.file_exists_p(name)

    def try_implicit_rule(self, file: int, depth: int) -> bool:
        """implicit.py Implicit.try_implicit_rule."""
        if not self.pattern_rules:
            return False
        name = self.names[file]
        sufs = self._suffixes()
        if sufs is not None and not name.endswith(sufs):
            return False
        m = self._search(name, 0, set())
        if m is None:
            return False
        self._apply(file, m)
        return True

    def _apply(self, file: int, m, nested: bool = False) -> None:
        """implicit.py Implicit._apply: FILE gets the rule M found; the prerequisites of
        the rule go in front of its own ($< is the first); a chained intermediate file
        gets its rule the same way (no '::' entries here: freeze refuses them)."""
        deps: list[int] = []
        for d in m.deps + m.oo:
            f = self.lookup(d)
            if f is None:
                f = self.enter(d)
                sub = m.chain.get(d)
                if sub is not None:
                    self.intermediate[f] = True
                    self.tried_implicit[f] = True
                    self._apply(f, sub, nested=True)
            deps.append(f)
        oo = ((False,) * len(m.deps) + (True,) * len(m.oo)) if m.oo else None
        self._add_deps_first(file, deps, oo)
        self.cmds[file] = m.rule.cmds
        self.stem[file] = m.stem
        self.implicit_rule[file] = m.rule
        self.rule_floc[file] = m.rule.floc
        self.tried_implicit[file] = True

    def _add_deps_first(self, file: int, deps: list[int], oo: tuple | None) -> None:
        """filedb.FileEntry.add_deps(deps, oo, first=True)."""
        if not deps:
            return
        old = self.deps[file]
        if not old:
            self.deps[file] = tuple(deps)
            self.oo[file] = tuple(oo) if oo is not None else None
            return
        old_oo = self.oo[file]
        self.deps[file] = tuple(deps) + tuple(old)
        if oo is None and old_oo is None:
            return
        a_oo = oo if oo is not None else (False,) * len(deps)
        b_oo = old_oo if old_oo is not None else (False,) * len(old)
        self.oo[file] = tuple(a_oo) + tuple(b_oo)
