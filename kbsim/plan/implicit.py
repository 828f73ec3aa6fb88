"""The implicit rule search on the Plan's entries (kbsim/make/implicit.py).

The search itself (``_pattern_search``, ``_rule_deps``, ``_found``: which rule, which stem,
which chain of intermediate files) is the reference's code, borrowed by PlanProcess,
which gives it the file table it asks for (``files.lookup``) as a live view of the entry
lists. Only the steps that change file entries are ported here: applying the rule found
and entering its intermediate files. Freeze refuses what would need more: pattern rules
with several targets (also_make), .SECONDEXPANSION, .EXTRA_PREREQS, '::' rules.
"""

from __future__ import annotations

from ..make.readtext import ar_name


class PlanImplicit:
    """Mixin for PlanProcess."""

    def try_implicit_rule(self, file: int, depth: int) -> bool:
        """implicit.py Implicit.try_implicit_rule. A search is a function of the name,
        its explicit prerequisites, the pattern rules (the plan's) and what it looks up:
        each name's entry, file_exists_p and file_impossible_p. The plan keeps each
        search with the answers it got (its probes); asked again, it asks the same
        questions in the same order (the same directory reads as a side effect), and
        when every answer is the same, the rule found is the same."""
        if not self.pattern_rules:
            return False
        name = self.names[file]
        sufs = self._suffixes()
        if sufs is not None and not name.endswith(sufs):
            return False
        plan = self.plan
        deps = self.deps[file]
        if file < len(plan.deps) and deps is plan.deps[file]:
            key = plan.implicit_keys.get(file)
            if key is None:
                key = plan.implicit_keys[file] = (name, frozenset(map(self.names.__getitem__,
                                                                      deps)))
        else:
            key = (name, frozenset(map(self.names.__getitem__, deps)))
        explicit = key[1]
        memo = plan.implicit_memo
        hit = memo.get(key)
        if hit is not None and self._answers_hold(hit[0]):
            found = hit[1]
        else:
            self.probes = []
            try:
                view = self.files.lookup(name)
                found = self._pattern_search(view, name, 0, set(), explicit)
                if found is None and ar_name(name):
                    found = self._pattern_search(view, name[name.index("("):], 0, set(),
                                                 explicit, archive=True)
            finally:
                probes, self.probes = self.probes, None
            if probes is not None:  # (None: the search did more than ask: file_impossible)
                memo[key] = (tuple(probes), found)
        if found is None:
            return False
        self._apply(file, found)
        return True

    def _answers_hold(self, probes) -> bool:
        for kind, name, answer in probes:
            if kind == "l":
                got = self.lookup(name) is not None
            elif kind == "e":
                got = self.file_exists_p(name)
            else:
                got = self.file_impossible_p(name)
            if got != answer:
                return False
        return True

    def _apply(self, file: int, found) -> None:
        """implicit.py Implicit._apply: the found rule into FILE."""
        self._own()
        deps: list[int] = []
        oo_flags: list[bool] = []
        terminal = found.rule.terminal
        for d in found.deps:
            if d.found is not None:
                f = self.lookup(d.name)
                if f is not None:
                    self.secondary[f] = True  # (an intermediate someone else also needs)
                else:
                    f = self.enter(d.name)
                self._enter_intermediate(f, d.found, d.pattern)
            else:
                f = self.enter(d.name)
                if terminal:
                    self.tried_implicit[f] = True
            deps.append(f)
            oo_flags.append(d.oo)
        self._add_deps_first(file, deps, tuple(oo_flags) if True in oo_flags else None)
        rule = found.rule
        self.cmds[file] = rule.cmds
        self.stem[file] = found.stem
        self.implicit_rule[file] = rule
        self.rule_floc[file] = rule.floc
        self.tried_implicit[file] = True
        self.is_target[file] = True
        pf = self.lookup(rule.targets[found.ti])
        if pf is not None and self.precious[pf]:
            self.precious[file] = True

    def _enter_intermediate(self, f: int, found, pattern: str | None) -> None:
        """implicit.py Implicit._enter_intermediate: an intermediate file of the chain."""
        deps: list[int] = []
        oo_flags: list[bool] = []
        terminal = found.rule.terminal
        for d in found.deps:
            if d.found is not None:
                g = self.lookup(d.name)
                if g is not None:
                    self.secondary[g] = True
                else:
                    g = self.enter(d.name)
                self._enter_intermediate(g, d.found, d.pattern)
            else:
                g = self.enter(d.name)  # (enter_file: no '::' entries here)
                if terminal:
                    self.tried_implicit[g] = True
            deps.append(g)
            oo_flags.append(d.oo)
        self.deps[f] = tuple(deps)
        self.oo[f] = tuple(oo_flags) if True in oo_flags else None
        rule = found.rule
        self.cmds[f] = rule.cmds
        self.stem[f] = found.stem
        self.implicit_rule[f] = rule
        self.rule_floc[f] = rule.floc
        self.is_target[f] = True
        self.intermediate[f] = True
        self.had_intermediate = True
        self.tried_implicit[f] = True
        self.plain[f] = False  # (it has a rule now)
        if pattern is not None:
            pf = self.lookup(pattern)
            if pf is not None and self.precious[pf]:
                self.precious[f] = True

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
