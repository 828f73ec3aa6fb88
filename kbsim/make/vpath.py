"""Directory search: the ``vpath`` directive, ``VPATH`` and ``GPATH`` (GNU make 4.3 vpath.c).

- ``construct_vpath_list``: ``vpath PATTERN DIRS`` puts a list at the head of the chain
  (DIRS split on blanks and colons, one trailing slash dropped, ``.`` left out; nothing
  left means no list); ``vpath PATTERN`` removes every list of that pattern, a bare
  ``vpath`` all of them.
- ``build_vpath_lists`` (main.c, after every makefile is read): the chain reversed into
  definition order; ``$(strip $(VPATH))`` and ``$(strip $(GPATH))`` expanded then, so the
  variables' final values count, each made a list of pattern ``%``.
- ``vpath_search``: nothing for a name starting with ``/``; else each ``vpath`` list whose
  pattern matches the whole name (directory part included), in order, then VPATH's. For
  each directory DIR the candidate is ``DIR/NAME`` (a name ``d/f`` becomes ``DIR/d/f``).
  A candidate named in the file table counts without a stat when NAME is not a target or
  the candidate is one; otherwise it must be in its directory's cached contents
  (``dir_file_exists_p``) and stat.
- ``gpath_search``: is the directory part in GPATH?

The rest of the search (renaming a file to what was found, keeping or dropping that name)
is remake.py's f_mtime and update_file_1, and file.c's rehash_file (filedb.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .filedb import NEW, OLD, ORDINARY_MAX, ORDINARY_MIN, UNKNOWN

# remake.c library_search's directories, as Debian 12's make 4.3 has them (with the
# multiarch directory its build adds; `strings /usr/bin/make`)
LIBRARY_DIRS = ("/lib", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/local/lib")

if TYPE_CHECKING:  # pragma: no cover
    from .process import MakeProcess


UNMODELLED_MERGE = ("GNU make 4.3 merges '{0}' into '{1}', which it is updating, and walks "
                    "the prerequisites of '{1}' from two frames at once (not modelled; it "
                    "may crash or decide differently)")


def find_percent(s: str) -> tuple[str, int]:
    """read.c find_percent (find_char_unquote): the first '%' not quoted by a backslash,
    with the backslashes in front of each '%' seen halved (an odd run quotes it).
    Returns the rewritten string and the index of the '%' (-1: none)."""
    p = 0
    while True:
        k = s.find("%", p)
        if k < 0:
            return s, -1
        if k == 0 or s[k - 1] != "\\":
            return s, k
        j = k - 1
        while j >= 0 and s[j] == "\\":
            j -= 1
        nb = k - 1 - j
        drop = (nb + 1) // 2
        s = s[:k - nb] + s[k - nb + drop:]
        k -= drop
        if nb % 2 == 0:
            return s, k
        p = k + 1


def pattern_matches(pattern: str, percent: int, s: str) -> bool:
    """rule.c pattern_matches. A stored pattern without '%' is searched for one again
    (a quoted '%' read as '\\%' is a plain '%' by then)."""
    if percent < 0:
        pattern, percent = find_percent(pattern)
        if percent < 0:
            return pattern == s
    pre = pattern[:percent]
    suf = pattern[percent + 1:]
    return len(s) >= len(pre) + len(suf) and s.startswith(pre) and s.endswith(suf)


def _split_dirs(dirpath: str) -> list[str]:
    """construct_vpath_list's parse of a directory list."""
    out = []
    for v in dirpath.replace(":", " ").replace("\t", " ").split(" "):
        if not v:
            continue
        if len(v) > 1 and v.endswith("/"):
            v = v[:-1]
        if v != ".":
            out.append(v)
    return out


class VPathList:
    """``struct vpath``: a pattern and its directories."""

    __slots__ = ("pattern", "percent", "dirs", "maxlen")

    def __init__(self, pattern: str, percent: int, dirs: list[str]):
        self.pattern = pattern
        self.percent = percent
        self.dirs = dirs
        self.maxlen = max(map(len, dirs))


class VPath:
    """Mixin for MakeProcess: vpath.c's lists and searches."""

    def construct_vpath_list(self: "MakeProcess", pattern: str | None,
                             dirpath: str | None) -> None:
        """vpath.c construct_vpath_list, for the 'vpath' directive (read.c)."""
        percent = -1
        if pattern is not None:
            pattern, percent = find_percent(pattern)
        if dirpath is None:
            self.vpath_chain = [
                v for v in self.vpath_chain
                if not (pattern is None or (v.percent == percent and v.pattern == pattern))]
            return
        dirs = _split_dirs(dirpath)
        if dirs:
            self._look_at_dirs(dirs)
            self.vpath_chain.insert(0, VPathList(pattern, percent, dirs))

    def _look_at_dirs(self: "MakeProcess", dirs: list[str]) -> None:
        """construct_vpath_list's dir_name: dir.c find_directory looks at each directory
        now. One that is not there now has no files for the rest of this make, even if
        a recipe makes it; the contents of one that is are read at the first search."""
        cache = self.dir_cache
        for d in dirs:
            if d not in cache and not self.fs.isdir(d, self.cwd):
                cache[d] = None
                self.dir_ids[d] = ("name", d)

    def build_vpath_lists(self: "MakeProcess") -> None:
        """vpath.c build_vpath_lists (main.c calls it once the makefiles are read)."""
        self.vpaths = list(reversed(self.vpath_chain))
        self.general_vpath = self._whole_path_list("VPATH")
        self.gpaths = self._whole_path_list("GPATH")
        self.vpath_on = bool(self.vpaths) or self.general_vpath is not None

    def _whole_path_list(self: "MakeProcess", var: str) -> VPathList | None:
        if var not in self.variables:
            return None
        p = self.expander.expand(f"$(strip $({var}))")
        if not p:
            return None
        dirs = _split_dirs(p)
        if not dirs:
            return None
        self._look_at_dirs(dirs)
        return VPathList("%", 0, dirs)

    def gpath_search(self: "MakeProcess", name: str, n: int) -> bool:
        """vpath.c gpath_search: is NAME[:N] one of GPATH's directories?"""
        g = self.gpaths
        if g is None or n > g.maxlen:
            return False
        return name[:n] in g.dirs

    def vpath_search(self: "MakeProcess", file: str) -> tuple[str, int] | None:
        """vpath.c vpath_search: (the name found, its mtime or UNKNOWN when no stat was
        needed, OLD/NEW for a -o/-W file) or None."""
        r = self.vpath_search_indexed(file)
        return None if r is None else (r[0], r[1])

    def vpath_search_indexed(self: "MakeProcess", file: str
                             ) -> tuple[str, int, int, int] | None:
        """vpath_search with vpath.c's VPATH_INDEX (the list, counted over all of them
        in order, then VPATH's) and PATH_INDEX (the directory in that list)."""
        if file.startswith("/") or not self.vpath_on:
            return None
        k = 0
        for v in self.vpaths:
            if pattern_matches(v.pattern, v.percent, file):
                r = self._selective_vpath_search(v, file)
                if r is not None:
                    return r[0], r[1], k, r[2]
            k += 1
        if self.general_vpath is not None:
            r = self._selective_vpath_search(self.general_vpath, file)
            if r is not None:
                return r[0], r[1], k, r[2]
        return None

    def library_search(self: "MakeProcess", lib: str) -> tuple[str, int] | None:
        """remake.c library_search for '-lNAME': each pattern of .LIBPATTERNS with NAME
        for '%' ('lib%.so lib%.a'), looked for in the current directory (the first
        found wins), through vpath, and in /lib, /usr/lib and /usr/local/lib; of the
        others the earliest in the search order wins. (name, mtime) or None."""
        pats = self.expander.expand("$(.LIBPATTERNS)").split()
        name = lib[2:]
        best: tuple[str, int] | None = None
        best_rank = None
        for p in pats:
            k = p.find("%")
            if k < 0:
                self.err(f"{self.prog}: .LIBPATTERNS element '{p}' is not a pattern")
                continue
            libbuf = p[:k] + name + p[k + 1:]
            ns = self.fs.mtime(libbuf, self.cwd)
            if ns is not None:
                return libbuf, ns + ORDINARY_MIN
            r = self.vpath_search_indexed(libbuf)
            if r is not None:
                rank = (r[2], r[3])
                if best is None or rank < best_rank:
                    best, best_rank = (r[0], r[1]), rank
            for i, d in enumerate(LIBRARY_DIRS):
                cand = f"{d}/{libbuf}"
                ns = self.fs.mtime(cand, self.cwd)
                if ns is not None:
                    rank = (1 << 32, i)  # (after every vpath list)
                    if best is None or rank < best_rank:
                        best, best_rank = (cand, ns + ORDINARY_MIN), rank
        return best

    def _selective_vpath_search(self: "MakeProcess", path: VPathList,
                                file: str) -> tuple[str, int, int] | None:
        files = self.files
        f = files.lookup(file)
        not_target = f is None or not f.is_target
        slash = file.rfind("/")
        if slash > 0:
            dprefix, filename = file[:slash], file[slash + 1:]
        else:
            dprefix, filename = "", file
        for di, vdir in enumerate(path.dirs):
            prefix = vdir + "/" + dprefix if dprefix else vdir
            if prefix and prefix[-1] != "/":
                name = stat_name = prefix + "/" + filename
            else:
                # the directory part ends in '/' (a name like 'd//f', or the directory
                # '/'): make 4.3 joins the two without a slash (the name it looks up in
                # the file table and the directory), but when it "puts the slash back"
                # once the file is found, it writes it over the first letter of the
                # file name: that is the name it stats and returns
                name = prefix + filename
                stat_name = prefix + "/" + filename[1:]
            mtime = UNKNOWN
            exists = False
            exists_in_cache = False
            f = files.lookup(name)
            if f is not None:
                # mentioned in a makefile: enough, unless FILE is a target and this one
                # is not
                exists = not_target or f.is_target
                if exists and f.last_mtime in (OLD, NEW):
                    mtime = f.last_mtime
            if not exists:
                exists = exists_in_cache = self.file_exists_p(name)
            if not exists:
                continue
            if not exists_in_cache:
                return stat_name, mtime, di  # (named in the makefiles: no stat)
            ns = self.fs.mtime(stat_name, self.cwd)
            if self.trace_stats:
                self.event("stat", file=stat_name, mtime=ns, cwd=self.cwd)
            if ns is None:  # the cache is out of date
                continue
            mtime = ns + ORDINARY_MIN
            if ns < 0 or mtime > ORDINARY_MAX:
                mtime = ORDINARY_MAX
            return stat_name, mtime, di
        return None

    # ------------------------------------------------------------ file.c
    def rehash_file(self: "MakeProcess", from_file, to_hname: str) -> None:
        """file.c rehash_file: FROM_FILE is known by TO_HNAME from now on. When the table
        already has an entry by that name, FROM_FILE is merged into it (its deps after
        the other's, its recipe if the other has none, its flags or-ed in) and left
        pointing at it ('renamed': check_renamed follows that)."""
        if from_file.hname == to_hname:
            return
        while from_file.renamed is not None:
            from_file = from_file.renamed
        table = self.files.files
        if table.get(from_file.hname) is from_file:
            del table[from_file.hname]
        to_file = table.get(to_hname)
        from_file.hname = to_hname
        f = from_file.double_colon
        while f is not None:
            f.hname = to_hname
            f = f.prev
        if to_file is None:
            table[to_hname] = from_file
            return
        self.renames = True
        if (to_file.double_colon or to_file).updating:
            # the search came from below an update of TO_FILE itself: make goes on with
            # TO_FILE in the inner frame and walks (and may drop from) the prerequisite
            # list the outer frame is walking; when it drops the one the outer frame is
            # on, it reads freed memory (a SIGSEGV on Debian 12, found by the
            # differential test)
            self.sim.warn(UNMODELLED_MERGE.format(from_file.name, to_hname))
        if from_file.cmds is not None:
            if to_file.cmds is None:
                to_file.cmds = from_file.cmds
            elif from_file.cmds is not to_file.cmds:
                fc = from_file.cmds
                where = f"{fc.filename}:{fc.lineno}: " if fc.filename else ""
                tc = to_file.cmds
                # (4.3's words; the last line has the names the wrong way round: the
                # recipe kept is TO_FILE's)
                if tc.filename is not None:
                    self.err(f"{where}Recipe was specified for file '{from_file.name}' at "
                             f"{tc.filename}:{tc.lineno},")
                else:
                    self.err(f"{where}Recipe for file '{from_file.name}' was found by "
                             f"implicit rule search,")
                self.err(f"{where}but '{from_file.name}' is now considered the same file "
                         f"as '{to_hname}'.")
                self.err(f"{where}Recipe for '{to_hname}' will be ignored in favor "
                         f"of the one for '{from_file.name}'.")
        if from_file.deps:
            n_to, n_from = len(to_file.deps), len(from_file.deps)
            if to_file.oo is not None or from_file.oo is not None:
                to_file.oo = ((to_file.oo or [False] * n_to)
                              + (from_file.oo or [False] * n_from))
            if to_file.chg is not None or from_file.chg is not None:
                a = list(to_file.chg or [])
                a += [False] * (n_to - len(a))
                b = list(from_file.chg or [])
                b += [False] * (n_from - len(b))
                to_file.chg = a + b
            to_file.deps = to_file.deps + from_file.deps
        fv = self.target_vars.get(from_file)
        if fv:
            tv = self.target_vars.setdefault(to_file, {})
            for k, v in fv.items():
                tv.setdefault(k, v)
        if to_file.double_colon is not None and from_file.is_target and \
                from_file.double_colon is None:
            self.fatal(f"can't rename single-colon '{from_file.name}' to double-colon "
                       f"'{to_hname}'")
        if to_file.double_colon is None and from_file.double_colon is not None:
            if to_file.is_target:
                self.fatal(f"can't rename double-colon '{from_file.name}' to single-colon "
                           f"'{to_hname}'")
            to_file.double_colon = from_file.double_colon
        if from_file.last_mtime > to_file.last_mtime:
            to_file.last_mtime = from_file.last_mtime  # (so -W wins)
        to_file.mtime_before_update = from_file.mtime_before_update
        for flag in ("precious", "tried_implicit", "updating", "updated", "is_target",
                     "cmd_target", "phony", "ignore_vpath"):
            if getattr(from_file, flag):
                setattr(to_file, flag, True)
        from_file.renamed = to_file

    def rename_file(self: "MakeProcess", from_file, to_hname: str) -> None:
        """file.c rename_file: rehash_file, and the name becomes the new one too (for
        every entry of a '::' chain)."""
        self.rehash_file(from_file, to_hname)
        f = from_file
        while f is not None:
            f.name = f.hname
            f = f.prev


def check_renamed(f):
    """filedef.h check_renamed: the entry a merged one now lives in."""
    while f.renamed is not None:
        f = f.renamed
    return f
