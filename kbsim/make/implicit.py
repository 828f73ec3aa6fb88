"""Implicit (pattern) rule search: a port of GNU make 4.3's ``implicit.c``.

``pattern_search`` in make's order: the rules whose target pattern matches the name
(with the directory part set aside when the pattern has no '/': ``check_lastslash``),
sorted by stem length then definition order; a matching pattern that is not '%' (even a
rule with neither prerequisites nor recipe, the kind convert_to_pattern makes for each
suffix) rejects the non-terminal match-anything rules; a rule with prerequisites and no
recipe is a cancelled rule and never used. Each rule is tried once with the
prerequisites that "ought to exist" (named explicitly for the file, in the file table,
in the directory cache, or found by a vpath search) and, in a second pass without the
terminal rules, with prerequisites that a further search can make as intermediate files
(a search that fails marks the name impossible: dir.c file_impossible). A rule in use
further up is not tried again, and a search for an intermediate file skips the
non-terminal match-anything rules. With .SECONDEXPANSION a rule's prerequisite text is
expanded word by word for each candidate stem ('%' becomes ``$*``, or ``$(*F)`` and the
file's directory is put back). An archive member 'lib(m)' is searched as itself, then as
'(m)' (try_implicit_rule). rule.c new_pattern_rule: a rule with the same targets and
prerequisites as an earlier one replaces it (a built-in one is dropped instead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .filedb import FileEntry, PatternRule
from .readtext import SPACE, ar_name, find_char_unquote, parse_file_seq

if TYPE_CHECKING:  # pragma: no cover
    from .process import MakeProcess


class _Dep:
    """implicit.c struct patdeps: a prerequisite the found rule names, and the search
    that makes it an intermediate file (FOUND, with the target PATTERN it matched)."""

    __slots__ = ("name", "oo", "found", "pattern")

    def __init__(self, name: str, oo: bool):
        self.name = name
        self.oo = oo
        self.found: _Found | None = None
        self.pattern: str | None = None


class _Found:
    """What a successful pattern_search gives its file: the rule, the target it
    matched, the full stem, the prerequisites and the also_make siblings."""

    __slots__ = ("rule", "ti", "stem", "deps", "also")

    def __init__(self, rule: PatternRule, ti: int, stem: str, deps: list[_Dep],
                 also: list[FileEntry]):
        self.rule = rule
        self.ti = ti
        self.stem = stem
        self.deps = deps
        self.also = also


def _next_word(text: str, p: int) -> tuple[int, int]:
    """implicit.c get_next_word: (start, end) of the next blank-separated word of TEXT
    from P (a reference $(...) read whole; '|' is a word of its own); (-1, -1) at the
    end."""
    n = len(text)
    while p < n and text[p] in SPACE:
        p += 1
    if p >= n:
        return -1, -1
    beg = p
    if text[p] == "|":
        return beg, p + 1
    while p < n:
        c = text[p]
        if c in " \t":
            break
        if c == "|":
            break
        if c == "$" and p + 1 < n:
            o = text[p + 1]
            p += 2
            if o in "({":
                close = ")" if o == "(" else "}"
                count = 0
                while p < n:
                    if text[p] == o:
                        count += 1
                    elif text[p] == close:
                        count -= 1
                        if count < 0:
                            p += 1
                            break
                    p += 1
            continue
        p += 1
    return beg, p


class _Names:
    """The names of a file's own prerequisites, collected when first asked (most
    searches fail before a prerequisite is looked at)."""

    __slots__ = ("file", "names")

    def __init__(self, file: FileEntry):
        self.file = file
        self.names: set[str] | None = None

    def __contains__(self, name: str) -> bool:
        if self.names is None:
            self.names = {d.name for d in self.file.deps}
        return name in self.names


# a stem with none of these makes names parse_file_seq would leave as they are
_PLAIN_STEM = frozenset(" \t*?[\\(")


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
        """The text after '%' of every target pattern of a rule that can apply; None if
        one ends in '%' (a name can only be made by a rule when it ends so)."""
        cache = self._pattern_suffixes
        if cache is not None and cache[0] == self.pattern_version:
            return cache[1]
        sufs: set[str] = set()
        out: tuple[str, ...] | None = None
        for r in self.pattern_rules:
            if r.cmds is None:
                continue  # (cancelled, or only there to reject match-anything rules)
            for t in r.targets:
                suf = t[t.find("%") + 1:]
                if not suf:
                    self._pattern_suffixes = (self.pattern_version, None)
                    return None
                sufs.add(suf)
        out = tuple(sufs)
        self._pattern_suffixes = (self.pattern_version, out)
        return out

    def try_implicit_rule(self: "MakeProcess", file: FileEntry, depth: int) -> bool:
        """implicit.c try_implicit_rule: a pattern search for FILE's name, then, for an
        archive member 'lib(m)', for '(m)'."""
        if not self.pattern_rules:
            return False
        sufs = self._suffixes()
        if sufs is not None and not file.name.endswith(sufs):
            return False  # (no rule that can apply has a target ending so)
        explicit = _Names(file)
        found = self._pattern_search(file, file.name, 0, set(), explicit)
        if found is None and ar_name(file.name):
            found = self._pattern_search(file, file.name[file.name.index("("):], 0, set(),
                                         explicit, archive=True)
        if found is None:
            return False
        self._apply(file, found)
        return True

    def _pattern_search(self: "MakeProcess", file: FileEntry | None, filename: str,
                        recursions: int, in_use: set[int], explicit: set[str],
                        archive: bool = False) -> _Found | None:
        """implicit.c pattern_search for FILENAME (FILE: the entry whose automatic
        variables a second expansion sees; None for an intermediate file)."""
        namelen = len(filename)
        if archive or ar_name(filename):
            lastslash = -1
        else:
            lastslash = filename.rfind("/", 0, namelen - 1)
        pathlen = lastslash + 1 if lastslash >= 0 else 0
        tryrules = []
        specific = False
        for rule, ti, pre, suf, tlen, slash, has_deps in self._rule_table():
            if tlen > namelen or not filename.endswith(suf):
                continue
            if in_use and id(rule) in in_use:
                continue  # ("Avoiding implicit rule recursion.")
            anything = tlen == 1
            if recursions > 0 and anything and not rule.terminal:
                continue
            stemlen = namelen - tlen + 1
            stem_at = len(pre)
            check_lastslash = lastslash >= 0 and not slash
            if check_lastslash:
                if pathlen > stemlen:
                    continue
                stemlen -= pathlen
                stem_at += pathlen
                if not filename.startswith(pre, lastslash + 1):
                    continue
            elif not filename.startswith(pre):
                continue
            if not anything:
                specific = True
            if not has_deps and rule.cmds is None:
                continue  # (only here to reject the match-anything rules)
            tryrules.append((stemlen + (pathlen if check_lastslash else 0),
                             len(tryrules), rule, ti,
                             filename[stem_at:stem_at + stemlen], check_lastslash))
        if not tryrules:
            return None
        tryrules.sort(key=lambda t: (t[0], t[1]))
        if specific:
            tryrules = [t for t in tryrules
                        if t[2].terminal or all(x != "%" for x in t[2].targets)]
        pathdir = filename[:pathlen]
        rejected: set[int] = set()
        for intermed_ok in (False, True):
            for k, (_, _, rule, ti, stem, check_lastslash) in enumerate(tryrules):
                if k in rejected or (intermed_ok and rule.terminal):
                    continue
                full_stem = pathdir + stem if check_lastslash else stem
                if not (rule.deps or rule.oo or rule.second):
                    return self._found(rule, ti, full_stem, [])
                in_use.add(id(rule))
                try:
                    deps = self._rule_deps(file, filename, rule, stem, full_stem,
                                           check_lastslash, pathdir)
                    ok = True
                    for d in deps:
                        if self.file_impossible_p(d.name):
                            rejected.add(k)  # (and not on the second pass either)
                            ok = False
                            break
                        if d.name in explicit or self.files.lookup(d.name) is not None \
                                or self.file_exists_p(d.name):
                            continue
                        if self.vpath_on and self.vpath_search(d.name) is not None:
                            continue
                        if intermed_ok:
                            sub = self._pattern_search(None, d.name, recursions + 1, in_use,
                                                       set())
                            if sub is not None:
                                d.found = sub
                                d.pattern = sub.rule.targets[sub.ti]
                                continue
                            self.file_impossible(d.name)
                        ok = False
                        break
                finally:
                    in_use.discard(id(rule))
                if ok:
                    return self._found(rule, ti, full_stem, deps)
        return None

    def _rule_table(self: "MakeProcess") -> list[tuple]:
        """Every target pattern of every rule that is not cancelled, in order: (rule,
        target index, prefix, suffix, length, has '/', has prerequisites)."""
        cache = self._rule_table_cache
        if cache is not None and cache[0] == self.pattern_version:
            return cache[1]
        table = []
        for rule in self.pattern_rules:
            has_deps = bool(rule.deps or rule.oo or rule.second)
            if has_deps and rule.cmds is None:
                continue  # a cancelled rule
            for ti, (pre, suf, tlen, slash) in enumerate(rule.parts):
                table.append((rule, ti, pre, suf, tlen, slash, has_deps))
        self._rule_table_cache = (self.pattern_version, table)
        return table

    def _rule_deps(self: "MakeProcess", file: FileEntry | None, filename: str,
                   rule: PatternRule, stem: str, full_stem: str, check_lastslash: bool,
                   pathdir: str) -> list[_Dep]:
        """The prerequisites RULE names for this stem: '%' replaced by the stem (with the
        file's directory in front when check_lastslash), or the second expansion of its
        text word by word."""
        out: list[_Dep] = []
        dp = rule.dep_parts
        if dp is not None and _PLAIN_STEM.isdisjoint(stem):
            # (each prerequisite one plain name: parse_file_seq would change nothing)
            d = pathdir if check_lastslash else ""
            for (pre, suf), oo in dp:
                out.append(_Dep(d + pre + stem + suf if suf is not None else pre, oo))
            return out
        if rule.second is None:
            for names, oo in ((rule.deps, False), (rule.oo, True)):
                for p in names:
                    k = p.find("%")
                    if k >= 0:
                        p = (pathdir if check_lastslash else "") + p[:k] + stem + p[k + 1:]
                    for n in parse_file_seq(p, oneword=True, glob=self.reader._glob)[0]:
                        out.append(_Dep(n, oo))
            return out
        text = rule.second
        exp = self.expander
        saved = (exp.auto, exp.scope, exp.floc)
        try:
            if file is not None:
                from .targetvars import parent_walk, scope_of
                file_stem = file.stem
                file.stem = full_stem
                exp.auto = self.set_file_variables(file)
                file.stem = file_stem
                exp.scope = scope_of(self, parent_walk(file)[0])
            else:
                exp.auto = {"@": filename, "*": full_stem, "<": "", "^": "", "+": "",
                            "?": "", "|": "", "%": ""}
                exp.scope = None
            exp.floc = None
            order_only = False
            p = 0
            while True:
                b, e = _next_word(text, p)
                if b < 0:
                    break
                p = e
                word = text[b:e]
                if not order_only and word == "|":
                    order_only = True
                    continue
                add_dir = False
                k = find_char_unquote(word, "%")[1]
                if k >= 0:
                    if check_lastslash:
                        add_dir = True
                        word = word[:k] + "$(*F)" + word[k + 1:]
                    else:
                        word = word[:k] + "$*" + word[k + 1:]
                expanded = exp.expand(word)
                pos = 0
                while True:
                    names, pos, expanded = parse_file_seq(
                        expanded, stops="" if order_only else "|", start=pos,
                        glob=self.reader._glob)
                    for n in names:
                        out.append(_Dep(pathdir + n if add_dir else n, order_only))
                    if pos < len(expanded) and expanded[pos] == "|":
                        order_only = True
                        pos += 1
                        continue
                    break
        finally:
            exp.auto, exp.scope, exp.floc = saved
        return out

    def _found(self: "MakeProcess", rule: PatternRule, ti: int, stem: str,
               deps: list[_Dep]) -> _Found:
        """The end of pattern_search: the rule's other targets, for this stem, entered as
        targets (precious if their pattern is): the also_make list, each pushed on the
        front."""
        also: list[FileEntry] = []
        files = self.files
        for k, t in enumerate(rule.targets):
            if k == ti:
                continue
            pct = t.index("%")
            af = files.enter(t[:pct] + stem + t[pct + 1:])
            pf = files.lookup(t)
            if pf is not None and pf.precious:
                af.precious = True
            af.is_target = True
            also.insert(0, af)
        return _Found(rule, ti, stem, deps, also)

    def _apply(self: "MakeProcess", file: FileEntry, found: _Found) -> None:
        """The found rule into FILE: its prerequisites in front of the file's (an
        intermediate file is entered as a target with what its own search found; the
        prerequisites of such a file are entered with file.c enter_file, so a name with
        '::' rules gets a new, empty '::' entry), the recipe, the stem, the precious flag
        of the target pattern's file, the also_make siblings."""
        files = self.files
        deps: list[FileEntry] = []
        oo_flags: list[bool] = []
        terminal = found.rule.terminal
        for d in found.deps:
            if d.found is not None:
                f = files.lookup(d.name)
                if f is not None:
                    # "We don't want to delete an intermediate file that happened to
                    # be a prerequisite of some (other) target."
                    f.secondary = True
                else:
                    f = files.enter(d.name)
                self._enter_intermediate(f, d.found, d.pattern)
                df = f
            else:
                df = files.enter(d.name)
                if terminal:
                    df.tried_implicit = True
            deps.append(df)
            oo_flags.append(d.oo)
        file.add_deps(deps, oo_flags if True in oo_flags else None, first=True)
        extra = self.pattern_extra
        if extra and file.name not in extra:
            # rule.c snap_implicit_rules: every pattern rule has the global
            # .EXTRA_PREREQS too (kept at the end here, for FileEntry.n_extra)
            ents = files.enter_many(extra)
            if file.oo is not None:
                file.oo = file.oo + [False] * len(ents)
            file.deps = file.deps + ents
            file.n_extra += len(ents)
        file.cmds = found.rule.cmds
        file.stem = found.stem
        file.implicit_rule = found.rule
        file.rule_floc = found.rule.floc
        file.tried_implicit = True
        file.is_target = True
        pf = files.lookup(found.rule.targets[found.ti])
        if pf is not None and pf.precious:
            file.precious = True
        if found.also:
            file.also_make = found.also

    def _enter_intermediate(self: "MakeProcess", f: FileEntry, found: _Found,
                            pattern: str | None) -> None:
        """implicit.c: an intermediate file of the chain gets the deps, recipe, stem and
        also_make its own search found, and is an intermediate target."""
        files = self.files
        deps = []
        oo_flags = []
        terminal = found.rule.terminal
        for d in found.deps:
            if d.found is not None:
                g = files.lookup(d.name)
                if g is not None:
                    g.secondary = True
                else:
                    g = files.enter(d.name)
                self._enter_intermediate(g, d.found, d.pattern)
            else:
                g = files.enter_file(d.name)
                if terminal:
                    g.tried_implicit = True
            deps.append(g)
            oo_flags.append(d.oo)
        f.deps = deps
        f.oo = oo_flags if True in oo_flags else None
        f.cmds = found.rule.cmds
        f.stem = found.stem
        f.implicit_rule = found.rule
        f.rule_floc = found.rule.floc
        f.also_make = found.also or None
        f.is_target = True
        f.intermediate = True
        f.tried_implicit = True
        if pattern is not None:
            pf = files.lookup(pattern)
            if pf is not None and pf.precious:
                f.precious = True
