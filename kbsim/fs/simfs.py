"""A simulated POSIX filesystem: inodes, kernel-style path resolution, ns mtimes.

Path resolution follows the kernel's ``link_path_walk``: empty components (repeated
``/``) and ``.`` are skipped, ``..`` goes to the parent of the directory actually
reached, symlinks are followed (40 at most), and a non-directory in the middle of a
path gives ENOTDIR. So ``d///x.h``, ``./d/x.h`` and ``d/../d/x.h`` reach one inode.

A SimFS can be backed by the real filesystem: directories are read lazily (one
``scandir`` + ``lstat`` per directory, on first use) and every change stays in memory.
Nothing here ever writes to the real filesystem.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat as pystat
from dataclasses import dataclass

from .clock import Clock, Granularity, parse_granularity

FILE, DIR, LINK = "f", "d", "l"
MAX_SYMLINKS = 40


class FsError(OSError):
    """An errno-carrying failure of a simulated filesystem call."""

    def __init__(self, err: int, path: str):
        super().__init__(err, os.strerror(err), path)


@dataclass(frozen=True, slots=True)
class Stat:
    ino: int
    kind: str
    mtime: int  # ns since the epoch
    size: int


class Node:
    __slots__ = ("ino", "kind", "mtime", "size", "data", "parent", "children", "target",
                 "real", "queried", "name", "keys", "origin")

    def __init__(self, ino: int, kind: str, mtime: int, parent: "Node | None", name: str):
        self.ino = ino
        self.kind = kind
        self.mtime = mtime
        self.size = 0
        self.data: bytes | None = b"" if kind == FILE else None
        self.parent = parent
        self.children: dict[str, Node] | None = {} if kind == DIR else None
        self.target: str | None = None
        self.real: str | None = None  # real path this node mirrors (lazy data/children)
        # (real path, mtime) it was loaded with, kept when written or moved (changes())
        self.origin: tuple[str, int] | None = None
        self.queried = False
        self.name = name
        self.keys: list | None = None  # (SimFS._cache dict, path) pairs that reached it


def _remember(cache: dict, path: str, node: "Node") -> None:
    """Keep a resolution in CACHE (one cwd's dict of SimFS._cache), and note on the node
    where it is kept, so that removing or moving it forgets it (SimFS._forget)."""
    cache[path] = node
    keys = node.keys
    if keys is None:
        node.keys = [(cache, path)]
    else:
        keys.append((cache, path))


class SimFS:
    """The simulated filesystem. ``cwd`` arguments are absolute simulated paths."""

    def __init__(self, clock: Clock | None = None, granularity: str | Granularity = "ns",
                 backing_root: str | None = None):
        self.clock = clock or Clock()
        self.gran = parse_granularity(granularity)
        self._ino = 1
        self.root = Node(1, DIR, self.clock.now, None, "")
        self.root.parent = self.root
        self.mg_floor = 0  # multigrain: newest fine-grained stamp handed out
        self.generation = 0  # bumps on every namespace change; resolution caches key on it
        # remembered resolutions, [follow][cwd][path] -> node (no tuple key to build for
        # each of the millions of lookups; $(wildcard) takes one cwd's dict once)
        self._cache: tuple[dict, dict] = ({}, {})
        self._cache_gen = 0
        self.removals = 0  # bumps when a name is removed or moved (see _changed_namespace)
        # paths that did not resolve, at generation _neg_gen: [follow][cwd] -> {path}
        self._neg: tuple[dict, dict] = ({}, {})
        self._neg_gen = 0
        self._cwd_cache: dict[str, Node] = {}
        self._cwd_gen = 0
        self.real_warnings: list[str] = []
        # inodes whose content a simulation assumed rather than knew (SimFS.changes)
        self.unknown_content: set[int] = set()
        self._detached: list[Node] = []  # real nodes removed or moved from their place
        self.stat_count = 0
        if backing_root is not None:
            self.root.children = None
            self.root.real = os.path.abspath(backing_root)
            self.root.origin = (self.root.real, 0)
            if self.root.real != "/":
                raise ValueError("backing_root must be '/' (paths mirror the real namespace)")

    # ------------------------------------------------------------------ helpers
    def _new(self, kind: str, parent: Node, name: str, mtime: int) -> Node:
        self._ino += 1
        return Node(self._ino, kind, mtime, parent, name)

    def _changed_namespace(self, removed: bool = False, gone: "Node | None" = None) -> None:
        """A name was added (or, with REMOVED, removed or moved). Adding a name cannot
        change how a name that resolved before resolves (the walk never met it), so
        resolution results are kept until a removal or move; failures until any change.
        GONE: the node whose name was removed or moved (or replaced by a rename). When it
        is a regular file, only the paths that resolved to it can change: a walk never
        passes through a file (a file mid-path fails with ENOTDIR, and failures are
        dropped here anyway), so every other remembered resolution stays right."""
        self.generation += 1
        if removed:
            if gone is not None and gone.kind == FILE:
                self._forget(gone)
            else:
                self.removals += 1

    def _forget(self, node: "Node") -> None:
        """Drop the remembered resolutions that reached NODE (see _changed_namespace)."""
        keys = node.keys
        if keys:
            for cache, path in keys:
                if cache.get(path) is node:
                    del cache[path]
        node.keys = None

    def _load_dir(self, d: Node) -> dict[str, Node]:
        """Materialise a real directory's entries (lstat only; never writes)."""
        kids: dict[str, Node] = {}
        d.children = kids
        real = d.real
        try:
            it = os.scandir(real)
        except OSError as e:
            self.real_warnings.append(f"{real}: {e.strerror}")
            return kids
        with it:
            # a name that is not UTF-8 keeps its bytes as surrogate escapes (os.fsdecode),
            # as every other name in kbsim: GNU make works on bytes
            for ent in it:
                try:
                    st = ent.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # removed since the directory was listed: not there now
                except OSError as e:
                    self.real_warnings.append(f"{ent.path}: {e.strerror}")
                    continue
                mode = st.st_mode
                if pystat.S_ISDIR(mode):
                    n = self._new(DIR, d, ent.name, st.st_mtime_ns)
                    n.children = None
                elif pystat.S_ISLNK(mode):
                    n = self._new(LINK, d, ent.name, st.st_mtime_ns)
                    try:
                        n.target = os.readlink(ent.path)
                    except OSError:
                        n.target = ""
                else:
                    n = self._new(FILE, d, ent.name, st.st_mtime_ns)
                    n.size = st.st_size
                    n.data = None  # read lazily
                n.real = ent.path
                n.origin = (ent.path, st.st_mtime_ns)
                kids[ent.name] = n
        return kids

    def _kids(self, d: Node) -> dict[str, Node]:
        k = d.children
        if k is None:
            k = self._load_dir(d)
        return k

    def _walk(self, path: str, cwd: str | None, follow: bool, orig: str | None = None,
              depth: int = 0) -> Node:
        """Resolve PATH (relative to CWD) to a node, or raise FsError."""
        node = self._resolve(path, cwd, follow, depth)
        if node.__class__ is int:
            raise FsError(node, orig or path)
        return node

    def _resolve(self, path: str, cwd: str | None, follow: bool, depth: int = 0
                 ) -> "Node | int":
        """_walk without the exception: the node, or the errno of the failure (a lookup
        that misses is common: $(wildcard) of absent names, files about to be created).
        A CWD that does not resolve still raises (from _cwd_node)."""
        cur = self.root if path.startswith("/") or not cwd else self._cwd_node(cwd)
        parts = path.split("/")
        last = len(parts) - 1
        # a trailing slash demands a directory
        while last > 0 and parts[last] == "":
            last -= 1
        trailing = last < len(parts) - 1
        for i, comp in enumerate(parts):
            if i > last:
                break
            if comp == "" or comp == ".":
                if comp == "." and cur.kind != DIR:
                    return errno.ENOTDIR
                continue
            if cur.kind != DIR:
                return errno.ENOTDIR
            if comp == "..":
                cur = cur.parent
                continue
            kids = cur.children
            if kids is None:
                kids = self._load_dir(cur)
            child = kids.get(comp)
            if child is None:
                return errno.ENOENT
            if child.kind == LINK and (i < last or follow or trailing):
                if depth >= MAX_SYMLINKS:
                    return errno.ELOOP
                base = self.path_of(cur)
                child = self._resolve(child.target or "", base, True, depth + 1)
                if child.__class__ is int:
                    return child
            cur = child
        if trailing and cur.kind != DIR:
            return errno.ENOTDIR
        return cur

    def _cwd_node(self, cwd: str) -> Node:
        """_walk(cwd, None, True), remembered until the namespace changes (every relative
        name is resolved from its cwd; a failure is not remembered and raises again)."""
        if self._cwd_gen != self.removals:
            self._cwd_cache.clear()
            self._cwd_gen = self.removals
        n = self._cwd_cache.get(cwd)
        if n is None:
            n = self._walk(cwd, None, True)
            self._cwd_cache[cwd] = n
        return n

    def _lookup(self, path: str, cwd: str | None, follow: bool = True) -> Node | None:
        """Cached resolution: None when the path does not resolve. A node found stays
        valid until a name is removed or moved, a failure until any namespace change
        (see _changed_namespace).

        A miss finds the directory part through the cache: most names met for the first
        time are in a directory met before, so it costs a lookup in that directory
        instead of a walk from the cwd. The answer is _resolve's (its walk ends with the
        same lookup in the same directory); a name ending in '.', '..' or '/', without a
        directory part, or naming a symlink to follow, takes the walk."""
        if self._cache_gen != self.removals:
            self._clear_cache()
        by_cwd = self._cache[follow]
        cache = by_cwd.get(cwd)
        if cache is None:
            cache = by_cwd[cwd] = {}
        node = cache.get(path)
        if node is not None:
            return node
        if self._neg_gen != self.generation:
            self._neg[0].clear()
            self._neg[1].clear()
            self._neg_gen = self.generation
        neg_by_cwd = self._neg[follow]
        neg = neg_by_cwd.get(cwd)
        if neg is not None and path in neg:
            return None
        head, _, tail = path.rpartition("/")
        if not head or tail == "" or tail == "." or tail == "..":
            node = self._resolve_or_none(path, cwd, follow)
        else:
            d = self._lookup(head, cwd, True)
            node = None
            if d is not None and d.kind == DIR:
                kids = d.children
                node = (kids if kids is not None else self._load_dir(d)).get(tail)
                if node is not None and follow and node.kind == LINK:
                    node = self._resolve_or_none(path, cwd, follow)
        if node is None:
            neg = neg_by_cwd.get(cwd)  # (the walk above may have made it)
            if neg is None:
                neg = neg_by_cwd[cwd] = set()
            neg.add(path)
            return None
        _remember(cache, path, node)
        return node

    def _resolve_or_none(self, path: str, cwd: str | None, follow: bool) -> Node | None:
        """_resolve's node, or None for a failure (also when the cwd does not resolve)."""
        try:
            node = self._resolve(path, cwd, follow)
        except FsError:  # the cwd does not resolve
            return None
        return None if node.__class__ is int else node

    def _clear_cache(self) -> None:
        """Forget every remembered resolution (a name was removed or moved). Stale
        Node.keys entries are checked in _forget; the per-cwd dicts are emptied, not
        just dropped, so those entries do not keep them alive."""
        for by_cwd in self._cache:
            for cache in by_cwd.values():
                cache.clear()
            by_cwd.clear()
        self._cache_gen = self.removals

    def _parent_and_name(self, path: str, cwd: str | None) -> tuple[Node, str]:
        p = path.rstrip("/")
        if not p:
            raise FsError(errno.EEXIST, path)
        head, _, name = p.rpartition("/")
        if not _:
            parent = self._cwd_node(cwd) if cwd else self.root
        else:
            # (the remembered resolution when there is one: the same node _walk reaches;
            # a failure walks again, for its errno)
            parent = self._lookup(head or "/", cwd, True)
            if parent is None:
                parent = self._walk(head or "/", cwd, True, path)
        if parent.kind != DIR:
            raise FsError(errno.ENOTDIR, path)
        if name in ("", ".", ".."):
            raise FsError(errno.EINVAL, path)
        return parent, name

    def _stamp(self, node: Node | None, skew_ns: int = 0) -> int:
        """The mtime a write at the current time gets on this filesystem."""
        now = self.clock.now + skew_ns
        g = self.gran
        if g.multigrain:
            if node is not None and node.queried:
                node.queried = False
                if now > self.mg_floor:
                    self.mg_floor = now
                return now
            return max(g.coarse(now), self.mg_floor)
        step = g.step  # (g.coarse(now), without the call: every write is stamped)
        return (now // step) * step

    def _touch_dir(self, d: Node) -> None:
        d.mtime = self._stamp(d)

    # ------------------------------------------------------------------ queries
    def path_of(self, node: Node) -> str:
        parts = []
        n = node
        while n is not self.root:
            parts.append(n.name)
            n = n.parent
        return "/" + "/".join(reversed(parts))

    def stat(self, path: str, cwd: str | None = None) -> Stat | None:
        """stat(2): follows symlinks; None when the path does not resolve."""
        self.stat_count += 1
        n = self._lookup(path, cwd, True)
        if n is None:
            return None
        n.queried = True
        return Stat(n.ino, n.kind, n.mtime, n.size)

    def mtime(self, path: str, cwd: str | None = None) -> int | None:
        """Fast stat for make: the mtime, or None if missing."""
        self.stat_count += 1
        if self._cache_gen == self.removals:  # (_lookup's hit, without the call)
            cache = self._cache[True].get(cwd)
            if cache is not None:
                n = cache.get(path)
                if n is not None:
                    n.queried = True
                    return n.mtime
        n = self._lookup(path, cwd, True)
        if n is None:
            return None
        n.queried = True
        return n.mtime

    def lstat(self, path: str, cwd: str | None = None) -> Stat | None:
        n = self._lookup(path, cwd, False)
        if n is None:
            return None
        return Stat(n.ino, n.kind, n.mtime, n.size)

    def lstat_and_read(self, path: str, cwd: str | None = None
                       ) -> tuple[int, int, int, bytes | None] | None:
        """(mtime, size, ino) of lstat(PATH) and read(PATH)'s content (None when read
        fails), in one resolution when PATH names a regular file; None when lstat finds
        nothing. Nothing is counted or marked queried (lstat's side-effect-free view)."""
        n = self._lookup(path, cwd, False)
        if n is None:
            return None
        if n.kind == FILE and n.data is not None:
            data = n.data
        else:  # a symlink (read follows it), a directory, content not loaded yet
            try:
                data = self.read(path, cwd)
            except FsError:
                data = None
        return n.mtime, n.size, n.ino, data

    def readlink(self, path: str, cwd: str | None = None) -> str | None:
        """readlink(2): a symlink's target, or None."""
        n = self._lookup(path, cwd, False)
        return n.target if n is not None and n.kind == LINK else None

    def exists(self, path: str, cwd: str | None = None) -> bool:
        return self._lookup(path, cwd, True) is not None

    def lexists(self, path: str, cwd: str | None = None) -> bool:
        if self._cache_gen == self.removals:  # (_lookup's hit, without the call)
            cache = self._cache[False].get(cwd)
            if cache is not None and path in cache:
                return True
        return self._lookup(path, cwd, False) is not None

    def lexisting(self, paths, cwd: str | None = None) -> list[str]:
        """The PATHS that exist (lstat), in order: ``[p for p in paths if
        self.lexists(p, cwd)]`` with the remembered hits taken without a call each, and
        a name met for the first time found as a _lookup miss finds it (its
        directory's entry; the directories resolved once a call), remembered as
        _lookup remembers a hit. (A $(wildcard) of a directory's ~70 targets, a
        compile's headers: most names share a few directories.)"""
        if self._cache_gen != self.removals:
            self._clear_cache()
        by_cwd = self._cache[False]
        cache = by_cwd.get(cwd)
        if cache is None:
            cache = by_cwd[cwd] = {}
        get = cache.get  # (the dict _lookup fills for this cwd: nothing clears it here)
        lookup = self._lookup
        if paths.__class__ is not list:
            paths = list(paths)
        hits = list(map(get, paths))
        if None not in hits:
            return list(paths)  # (every one remembered: the usual case)
        kids_of: dict[str, dict | None] = {}  # directory part -> its entries (None: none)
        out = []
        for p, hit in zip(paths, hits):
            if hit is not None:
                out.append(p)
                continue
            head, _, tail = p.rpartition("/")
            if not head or tail == "" or tail == "." or tail == "..":
                if lookup(p, cwd, False) is not None:
                    out.append(p)
                continue
            if head in kids_of:
                kids = kids_of[head]
            else:
                d = lookup(head, cwd, True)
                if d is None or d.kind != DIR:
                    kids = None
                else:
                    kids = d.children
                    if kids is None:
                        kids = self._load_dir(d)
                kids_of[head] = kids
            node = kids.get(tail) if kids is not None else None
            if node is not None:
                _remember(cache, p, node)
                out.append(p)
        return out

    def lmissing(self, paths: list[str], cwd: str | None = None) -> list[str]:
        """The PATHS that do not exist (lstat), in order: those lexisting leaves out.
        (kbuild's $(wildcard $^) of a compile: every one is there, and remembered, in
        nearly every call, which is answered without a list built.)"""
        if self._cache_gen == self.removals:
            cache = self._cache[False].get(cwd)
            if cache is not None and all(map(cache.__contains__, paths)):
                return []
        there = self.lexisting(paths, cwd)
        if len(there) == len(paths):
            return []
        present = set(there)
        return [p for p in paths if p not in present]

    def isfile(self, path: str, cwd: str | None = None) -> bool:
        n = self._lookup(path, cwd, True)
        return n is not None and n.kind == FILE

    def isdir(self, path: str, cwd: str | None = None) -> bool:
        n = self._lookup(path, cwd, True)
        return n is not None and n.kind == DIR

    def listdir(self, path: str, cwd: str | None = None) -> list[str] | None:
        n = self._lookup(path or ".", cwd, True)
        if n is None or n.kind != DIR:
            return None
        return sorted(self._kids(n))

    def canonical(self, path: str, cwd: str | None = None) -> str | None:
        """The absolute path of the inode PATH reaches (like realpath), or None."""
        n = self._lookup(path, cwd, True)
        return None if n is None else self.path_of(n)

    def ino(self, path: str, cwd: str | None = None) -> int | None:
        n = self._lookup(path, cwd, True)
        return None if n is None else n.ino

    def executable(self, path: str, cwd: str | None = None) -> bool:
        """Whether PATH is a file exec could run: a real file with an execute bit, as
        it was loaded (a simulated write makes a plain file; no chmod is simulated)."""
        n = self._lookup(path, cwd, True)
        if n is None or n.kind != FILE or n.origin is None or n.real is None:
            return False
        try:
            return bool(os.stat(n.real).st_mode & 0o111)
        except OSError:
            return False

    def read(self, path: str, cwd: str | None = None) -> bytes:
        n = self._lookup(path, cwd, True)
        if n is None:
            raise FsError(errno.ENOENT, path)
        if n.kind == DIR:
            raise FsError(errno.EISDIR, path)
        if n.data is None:
            try:
                with open(n.real, "rb") as fh:  # read-only
                    n.data = fh.read()
            except OSError as e:
                raise FsError(e.errno or errno.EIO, path) from None
        return n.data

    # ------------------------------------------------------------------ changes
    def mkdir(self, path: str, cwd: str | None = None, parents: bool = True) -> None:
        if parents:
            n = self._lookup(path, cwd, True)
            if n is not None and n.kind == DIR:
                return  # (every component is there: the walk below would change nothing)
            base = self.root if path.startswith("/") or not cwd else self._walk(cwd, None, True)
            cur = base
            for comp in path.split("/"):
                if comp in ("", "."):
                    continue
                if comp == "..":
                    cur = cur.parent
                    continue
                kids = self._kids(cur)
                child = kids.get(comp)
                if child is not None and child.kind == LINK:
                    child = self._walk(child.target or "", self.path_of(cur), True)
                if child is None:
                    child = self._new(DIR, cur, comp, self._stamp(None))
                    kids[comp] = child
                    self._touch_dir(cur)
                    self._changed_namespace()
                elif child.kind != DIR:
                    raise FsError(errno.ENOTDIR, path)
                cur = child
            return
        parent, name = self._parent_and_name(path, cwd)
        kids = self._kids(parent)
        if name in kids:
            raise FsError(errno.EEXIST, path)
        kids[name] = self._new(DIR, parent, name, self._stamp(None))
        self._touch_dir(parent)
        self._changed_namespace()

    def _file_for_write(self, path: str, cwd: str | None, create: bool = True) -> Node:
        head, sep, name = path.rpartition("/")
        if head and name and name != "." and name != ".." and create:
            # DIR/NAME: found (or made) in the directory DIR resolves to, as _lookup's
            # miss and _parent_and_name would find it, with one lookup of DIR; a
            # symlink NAME, and a DIR that is not a directory, take the general way
            parent = self._lookup(head, cwd, True)
            if parent is not None and parent.kind == DIR:
                kids = parent.children
                if kids is None:
                    kids = self._load_dir(parent)
                n = kids.get(name)
                if n is None:
                    return self._create(parent, kids, name, path, cwd)
                if n.kind == FILE:
                    if self._cache_gen != self.removals:
                        self._clear_cache()
                    by_cwd = self._cache[True]
                    cache = by_cwd.get(cwd)
                    if cache is None:
                        cache = by_cwd[cwd] = {}
                    if cache.get(path) is not n:
                        _remember(cache, path, n)
                    return n
                if n.kind == DIR:
                    raise FsError(errno.EISDIR, path)
        n = self._lookup(path, cwd, True)
        if n is not None:
            if n.kind == DIR:
                raise FsError(errno.EISDIR, path)
            return n
        if not create:
            raise FsError(errno.ENOENT, path)
        parent, name = self._parent_and_name(path, cwd)
        kids = self._kids(parent)
        ln = kids.get(name)
        if ln is not None and ln.kind == LINK and not path.endswith("/"):
            # a dangling symlink (what lstat(PATH) finds: with a trailing '/' the walk
            # follows it, and fails): create its target
            return self._file_for_write(ln.target or "", self.path_of(ln.parent), create)
        if ln is not None:
            # PATH is NAME/ and NAME a file or a symlink, which the new file replaces:
            # the names that reached it are forgotten (as for a removal; they were kept
            # before 2026-12-08, and answered with the replaced node)
            if ln.kind == FILE:
                self._forget(ln)
            else:
                self.removals += 1
        return self._create(parent, kids, name, path, cwd)

    def _create(self, parent: Node, kids: dict, name: str, path: str, cwd: str | None
                ) -> Node:
        """A new empty file NAME in PARENT (whose entries are KIDS), created by PATH."""
        self._ino += 1
        n = Node(self._ino, FILE, 0, parent, name)
        kids[name] = n
        parent.mtime = self._stamp(parent)
        self.generation += 1  # (_changed_namespace(): a name added)
        if not path.endswith("/"):
            # PATH reaches N now, followed or not (a file is no symlink): remembered as
            # _lookup would (the lookups above left the caches current), since what is
            # written is stat'ed next
            for by_cwd in self._cache:
                cache = by_cwd.get(cwd)
                if cache is None:
                    cache = by_cwd[cwd] = {}
                _remember(cache, path, n)
        return n

    def write(self, path: str, data: bytes | str = b"", cwd: str | None = None,
              append: bool = False, skew_ns: int = 0) -> int:
        """Write (or append to) a file; returns its new mtime."""
        if data.__class__ is not bytes and isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")  # (bytes kept as they came)
        n = None
        if self._cache_gen == self.removals:  # (_file_for_write's usual case: a hit)
            cache = self._cache[True].get(cwd)
            if cache is not None:
                n = cache.get(path)
        if n is None or n.kind == DIR:
            n = self._file_for_write(path, cwd)
        if append:
            old = n.data if n.data is not None else (self.read(path, cwd) if n.real else b"")
            data = old + data
        n.data = data
        n.size = len(data)
        n.real = None
        g = self.gran
        if g.multigrain:
            n.mtime = mtime = self._stamp(n, skew_ns)
        else:  # (_stamp, without the call)
            step = g.step
            n.mtime = mtime = ((self.clock.now + skew_ns) // step) * step
        return mtime

    def put_files(self, items) -> None:
        """For each (PATH, DATA, MTIME_NS) of ITEMS in order (PATH absolute): mkdir of its
        directory, write(PATH, DATA) and set_mtime(PATH, MTIME_NS); or, when MTIME_NS is
        None, remove(PATH). The state left is those calls' (the same inodes in the same
        order, directory mtimes, resolutions remembered); a new name in a directory met
        before is added here without the general calls' lookups (the ~9,000 files of a
        captured kernel tree's layout, kbuild/treegraph.py: 0.03 s, 2026-12-08)."""
        dirs: dict[str, Node] = {}  # directory -> its node, each resolved once
        trunc = self.gran.truncate
        for path, data, mtime in items:
            head, _, name = path.rpartition("/")
            if mtime is None:
                if self.remove(path):
                    dirs.clear()  # (a name removed: each directory looked up again)
                continue
            d = dirs.get(head)
            if d is None:
                top = posixpath.dirname(path)
                self.mkdir(top)
                d = self._lookup(top, None, True)
                if top != head or d is None or d.kind != DIR or d.children is None:
                    d = None  # (not the plain case below: the general calls)
                else:
                    dirs[head] = d
            kids = d.children if d is not None else None
            if kids is None or data.__class__ is not bytes or name in kids \
                    or name in ("", ".", ".."):
                self.write(path, data)
                self.set_mtime(path, mtime)
                continue
            # _file_for_write's new file, then write's and set_mtime's (a new node is not
            # queried: write's stamp changes nothing but its mtime, which set_mtime sets)
            n = self._new(FILE, d, name, 0)
            kids[name] = n
            self._touch_dir(d)
            self._changed_namespace()
            if self._cache_gen != self.removals:
                self._clear_cache()
            for by_cwd in self._cache:
                cache = by_cwd.get(None)
                if cache is None:
                    cache = by_cwd[None] = {}
                _remember(cache, path, n)
            n.data = data
            n.size = len(data)
            n.mtime = trunc(mtime)

    def touch(self, path: str, cwd: str | None = None, at_ns: int | None = None,
              create: bool = True, skew_ns: int = 0) -> int | None:
        """touch(1): set the mtime to now (the fs stamp) or to AT_NS (truncated)."""
        n = None
        if self._cache_gen == self.removals:  # (_lookup's hit, without the call)
            cache = self._cache[True].get(cwd)
            if cache is not None:
                n = cache.get(path)
        if n is None:
            n = self._lookup(path, cwd, True)
        if n is None:
            if not create:
                return None
            n = self._file_for_write(path, cwd)
            n.data = b""
            n.real = None
        n.mtime = self._stamp(n, skew_ns) if at_ns is None else self.gran.truncate(at_ns)
        return n.mtime

    def set_mtime(self, path: str, mtime_ns: int, cwd: str | None = None) -> None:
        """Set an exact mtime (test set-up; truncated to the filesystem's granularity)."""
        n = self._file_for_write(path, cwd)
        n.mtime = self.gran.truncate(mtime_ns)

    def remove(self, path: str, cwd: str | None = None, recursive: bool = False) -> bool:
        """unlink/rm: True if something was removed."""
        head, sep, _ = path.rstrip("/").rpartition("/")
        if sep and self._lookup(head or "/", cwd, True) is None:
            # (no such directory: _parent_and_name would raise, for the errno; the layout
            # of a captured tree removes ~3,900 names of absent directories, 2026-12-08)
            return False
        try:
            parent, name = self._parent_and_name(path, cwd)
        except FsError:
            return False
        kids = self._kids(parent)
        n = kids.get(name)
        if n is None:
            return False
        if n.kind == DIR and not recursive:
            raise FsError(errno.EISDIR, path)
        del kids[name]
        if n.origin is not None:
            self._detached.append(n)
        self._touch_dir(parent)
        self._changed_namespace(removed=True, gone=n)
        return True

    def rename(self, src: str, dst: str, cwd: str | None = None) -> None:
        sp, sname = self._parent_and_name(src, cwd)
        n = self._kids(sp).get(sname)
        if n is None:
            raise FsError(errno.ENOENT, src)
        dn = self._lookup(dst, cwd, True)
        if dn is not None and dn.kind == DIR:
            dp, dname = dn, sname
        else:
            dp, dname = self._parent_and_name(dst, cwd)
        del self._kids(sp)[sname]
        if n.origin is not None:
            self._detached.append(n)
        n.parent = dp
        n.name = dname
        dkids = self._kids(dp)
        old = dkids.get(dname)
        dkids[dname] = n
        if old is not None and old is not n and old.origin is not None:
            self._detached.append(old)
        self._touch_dir(sp)
        self._touch_dir(dp)
        if old is not None and old is not n and old.kind != FILE:
            self._changed_namespace(removed=True)  # a directory or link replaced
        else:
            if old is not None and old is not n:
                self._forget(old)
            self._changed_namespace(removed=True, gone=n)

    def copy(self, src: str, dst: str, cwd: str | None = None, preserve: bool = False) -> None:
        data = self.read(src, cwd)
        s = self._lookup(src, cwd, True)
        dn = self._lookup(dst, cwd, True)
        if dn is not None and dn.kind == DIR:
            dst = dst.rstrip("/") + "/" + s.name
        self.write(dst, data, cwd)
        if preserve:
            self.set_mtime(dst, s.mtime, cwd)

    def symlink(self, target: str, path: str, cwd: str | None = None) -> None:
        parent, name = self._parent_and_name(path, cwd)
        kids = self._kids(parent)
        if name in kids:
            raise FsError(errno.EEXIST, path)
        n = self._new(LINK, parent, name, self._stamp(None))
        n.target = target
        kids[name] = n
        self._changed_namespace()

    # ------------------------------------------------------------------ effects
    def changes(self) -> list[dict]:
        """What a simulation did to the real namespace it mirrors, as a list a caller can
        apply: first the real names removed (``change`` 'removed'; a directory with all
        it held), then, parents first, every entry created (new, or moved here) or
        changed (written or re-stamped): its ``type`` ('file', 'directory', 'symlink'),
        ``mtime_ns``, and ``data`` (bytes; None when a simulation assumed the content) or
        the symlink's ``target``. Nothing is written anywhere."""
        out: list[dict] = []
        gone: list[str] = []
        for n in self._detached:
            path = n.origin[0]
            cur = self._resolve(path, None, False)
            if cur is n:
                continue  # moved back where it was
            if cur.__class__ is not int and cur.origin is not None and \
                    cur.origin[0] == path:
                continue
            gone.append(path)
        for path in sorted(set(gone)):
            if out and path.startswith(out[-1]["path"] + "/"):
                continue  # (its directory goes with all it held)
            out.append({"path": path, "change": "removed", "type": _TYPES.get(
                _real_kind(path), "file")})

        def entry(n: Node, path: str, change: str) -> None:
            e = {"path": path, "change": change, "type": _TYPES[n.kind], "mtime_ns": n.mtime}
            if n.kind == FILE and (change == "created" or n.real is None):
                # (a file only re-stamped keeps its content: no data)
                e["data"] = None if n.ino in self.unknown_content else self.read(path)
            elif n.kind == LINK:
                e["target"] = n.target
            out.append(e)
            if n.kind == DIR and change == "created":
                for name, k in sorted(self._kids(n).items()):
                    entry(k, f"{path}/{name}", "created")

        def walk(d: Node, path: str) -> None:
            for name, k in sorted((d.children or {}).items()):
                p = f"{path}/{name}"
                if k.origin is None or k.origin[0] != p:
                    entry(k, p, "created")
                elif k.kind == FILE:
                    if k.real is None or k.mtime != k.origin[1]:
                        entry(k, p, "changed")
                elif k.kind == DIR and k.children is not None:
                    walk(k, p)

        walk(self.root, "")
        return out

    # ------------------------------------------------------------------ copies
    def empty(self) -> bool:
        """Nothing was ever created here (thaw can fill it)."""
        return self._ino == 1 and self.root.real is None and not self.root.children

    def freeze(self) -> "FrozenTree | None":
        """The simulated namespace as it is, to build others like it (thaw): each node
        (path, kind, inode number, mtime, content, symlink target), parents first and
        each directory's entries in its order; None when it mirrors the real filesystem
        or a simulation assumed some content (neither is a plain copy)."""
        if self.root.real is not None or self.unknown_content or self._detached:
            return None
        entries: list[tuple] = []
        stack: list[tuple[int, str, Node]] = [(-1, "", self.root)]
        while stack:
            parent, path, n = stack.pop()
            if n.real is not None or n.origin is not None:
                return None
            k = len(entries)
            entries.append((parent, path or "/", n.name, n.kind, n.ino, n.mtime, n.data,
                            n.target))
            if n.children:
                base = path + "/"
                stack.extend((k, base + name, c)
                             for name, c in reversed(list(n.children.items())))
        return FrozenTree(entries, self._ino, self.generation, self.removals,
                          self.mg_floor)

    def thaw(self, tree: "FrozenTree", mtimes: list[int]) -> None:
        """Make this filesystem, in which nothing was created yet, hold TREE's nodes
        (freeze) with MTIMES (one a node, in TREE's order) as their mtimes, and count
        inodes and namespace changes on from where TREE's filesystem was."""
        if not self.empty():
            raise ValueError("thaw: the filesystem is not empty")
        root = self.root
        nodes: list[Node] = []
        for (parent, _path, name, kind, ino, _mtime, data, target), mtime in zip(
                tree.entries, mtimes, strict=True):
            if parent < 0:
                n = root
                n.mtime = mtime
            else:
                p = nodes[parent]
                n = Node(ino, kind, mtime, p, name)
                p.children[name] = n
                if kind == FILE:
                    n.data = data
                    n.size = len(data)
                n.target = target
            nodes.append(n)
        self._ino = tree.next_ino
        self.generation = tree.generation
        self.removals = tree.removals
        self.mg_floor = tree.mg_floor
        self._clear_cache()
        for neg in self._neg:
            neg.clear()
        self._cwd_cache.clear()

    # ------------------------------------------------------------------ walking
    def walk_files(self, top: str = "/", cwd: str | None = None):
        """Yield (absolute path, Stat) for every regular file under TOP (no link following)."""
        start = self._lookup(top, cwd, True)
        if start is None or start.kind != DIR:
            return
        stack = [(self.path_of(start).rstrip("/"), start)]
        while stack:
            base, d = stack.pop()
            for name, n in sorted(self._kids(d).items()):
                p = f"{base}/{name}"
                if n.kind == DIR:
                    stack.append((p, n))
                elif n.kind == FILE:
                    yield p, Stat(n.ino, n.kind, n.mtime, n.size)


@dataclass(frozen=True, slots=True)
class FrozenTree:
    """SimFS.freeze(): its entries (parent index, path, name, kind, ino, mtime, data,
    target) and the counters of the filesystem it was taken from."""

    entries: list[tuple]
    next_ino: int
    generation: int
    removals: int
    mg_floor: int


_TYPES = {FILE: "file", DIR: "directory", LINK: "symlink"}


def _real_kind(path: str) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return FILE
    return DIR if pystat.S_ISDIR(mode) else LINK if pystat.S_ISLNK(mode) else FILE


def real_fs(clock: Clock | None = None, granularity: str | Granularity = "ns") -> SimFS:
    """A SimFS mirroring the real filesystem read-only (lazily, directory by directory)."""
    return SimFS(clock=clock, granularity=granularity, backing_root="/")
