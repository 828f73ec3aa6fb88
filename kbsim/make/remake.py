"""GNU make 4.3's update algorithm (``remake.c``), decision by decision.

The functions mirror ``update_goal_chain``, ``update_file``, ``update_file_1``,
``check_dep``, ``notice_finished_file``, ``remake_file``, ``f_mtime`` and ``complain``; the
order of checks is theirs (reference sections 1-3, 6). Each target judged by
``update_file_1`` leaves a :class:`Decision`: whether it is remade and the structured reason.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING


from .filedb import (CS_DEPS_RUNNING, CS_FINISHED, CS_NOT_STARTED, CS_RUNNING, NEW,
                     NONEXISTENT, OLD, ORDINARY_MAX, ORDINARY_MIN, UNKNOWN, US_FAILED,
                     US_NONE, US_QUESTION, US_SUCCESS, FileEntry, timestamp_text)
from ..fs.simfs import LINK
from .archive import member_date, split_name
from .readtext import ar_name
from .vpath import check_renamed

if TYPE_CHECKING:  # pragma: no cover
    from .process import MakeProcess

NS = 1_000_000_000
_LAST_MTIME = attrgetter("last_mtime")
_COMMAND_STATE = attrgetter("command_state")
_CONSIDERED = attrgetter("considered")
_DOUBLE_COLON = attrgetter("double_colon")
_UPDATING = attrgetter("updating")
_INTERMEDIATE = attrgetter("intermediate")
_UPDATE_STATUS = attrgetter("update_status")
# the shortest run of settled deps _settled_prefix remembers for the next target's deps
_MEMO_MIN = 16
_DEP_STATE = attrgetter("double_colon", "updating", "considered", "phony", "intermediate",
                        "updated", "update_status", "dontcare", "no_diag", "command_state")


class Decision:
    """Why update_file_1 did or did not remake a target (converted to pydantic in reasons.py)."""

    __slots__ = ("target", "remade", "kind", "this_mtime", "prereq", "prereq_mtime", "via",
                 "newer", "newest", "newest_mtime", "pid", "time_ns", "has_recipe",
                 "missing", "low_res")

    def __init__(self, target: str, remade: bool, kind: str, this_mtime: int):
        self.target = target
        self.remade = remade
        self.kind = kind
        self.this_mtime = this_mtime
        self.prereq: str | None = None
        self.prereq_mtime = UNKNOWN
        self.via: str | None = None  # an intermediate prerequisite the culprit sits behind
        self.newer: list[str] = []
        self.newest: str | None = None
        self.newest_mtime = UNKNOWN
        self.pid = 0
        self.time_ns = 0
        self.has_recipe = False
        self.missing: list[str] = []
        self.low_res = False


class MakeFatal(Exception):
    """make's fatal() or die(): message already printed; exit status STATUS (2, or 1
    when a -q sub-make's answer ends the run: job.c reap_children)."""

    def __init__(self, *args: object, status: int = 2):
        super().__init__(*args)
        self.status = status


class StackOverflow(Exception):
    """GNU make 4.3 would recurse without end here and die with SIGSEGV."""


class LoopsForever(Exception):
    """GNU make 4.3's update_goal_chain would go round its goal list for ever."""

    def __init__(self, goals: list[str]):
        super().__init__(" ".join(goals))
        self.goals = goals


MAX_REENTRY = 1000  # nested update_file_1 calls of one entry that mean "for ever"

# Two GNU make 4.3 defects kbsim does not reproduce; it says so (docs/make-semantics.md,
# known difference 6). remake.c update_file_1 walks the deps of the also_make siblings
# too, and drops a circular one there with 'file->deps = d->next' when nothing was kept
# before it: the target's own list becomes the rest of the sibling's. check_dep frees
# the dep it drops, which is the one its caller is visiting when a sibling that is an
# intermediate file depends on itself: make then reads freed memory (a SIGSEGV on
# Debian 12). kbsim drops the dep from the sibling's list and goes on.
UNMODELLED_SIBLING = ("GNU make 4.3 would replace the prerequisites of '{0}' by the rest of "
                      "those of its sibling '{2}' when it drops '{1}' (not modelled; later "
                      "decisions may differ)")
UNMODELLED_FREE = ("GNU make 4.3 reads a freed prerequisite of '{0}' (a sibling of '{1}' "
                   "that depends on itself) and most likely crashes (not modelled)")


class Remake:
    """Mixin for MakeProcess: the update algorithm.

    remake.c keeps the "being updated" mark of a '::' target on its first entry
    (``start_updating``/``finish_updating``/``is_updating`` go through
    ``f->double_colon``), so every '::' rule of a name counts as one file for the
    "Circular ... dependency dropped" check; so does this port.
    """

    # ------------------------------------------------------------ f_mtime
    def f_mtime(self: "MakeProcess", file: FileEntry, search: bool = True) -> int:
        """remake.c f_mtime: stat the name, warn on future stamps, clear 'intermediate'.
        A missing file is looked for through vpath when SEARCH (see _vpath_mtime)."""
        name = file.name
        if name.endswith(")") and ar_name(name):
            return self._member_mtime(file, search)
        ns = self.fs.mtime(name, self.cwd)
        if self.opts.check_symlink:
            ns = self._symlink_mtime(name, ns)
        if self.trace_stats:
            self.event("stat", file=file.name,
                       mtime=None if ns is None else ns, cwd=self.cwd)
        if ns is None:
            mtime = NONEXISTENT
            if search and not file.ignore_vpath and (self.vpath_on or name.startswith("-l")):
                found = self._vpath_mtime(file)
                if found is not None:
                    file, mtime = found
                    if file is None:  # renamed through GPATH: file_mtime's answer
                        return mtime
        else:
            mtime = ns + ORDINARY_MIN
            if ns < 0 or mtime > ORDINARY_MAX:
                # file.c file_timestamp_cons: out of range -> the largest ordinary stamp
                mtime = ORDINARY_MAX
                self.err(f"{self.prog}: {file.name}: Timestamp out of range; substituting "
                         f"{timestamp_text(ORDINARY_MAX)}")
        if (not self.clock_skew_detected and mtime != NONEXISTENT and mtime != NEW
                and not file.updated):
            adjusted = mtime
            if self.adjusted_now < adjusted:
                now = self.clock.now + ORDINARY_MIN
                self.adjusted_now = now
                if now < adjusted:
                    from_now = (mtime - now) / NS
                    txt = str(int(from_now)) if from_now >= 99 else "%.2g" % from_now
                    self.err(f"{self.prog}: Warning: File '{file.name}' has modification "
                             f"time {txt} s in the future")
                    self.clock_skew_detected = True
        f = file.double_colon if file.double_colon is not None else file
        propagate = f.updated
        while f is not None:
            if (mtime != NONEXISTENT and f.command_state == CS_NOT_STARTED
                    and not f.tried_implicit and f.intermediate):
                f.intermediate = False
            if f.updated == propagate:
                f.last_mtime = mtime
            f = f.prev
        return mtime

    def _symlink_mtime(self: "MakeProcess", name: str, ns: int | None) -> int | None:
        """remake.c name_mtime under -L: the latest mtime of the symbolic links on the
        way to the file and of the file (a dangling link gives its own)."""
        lpath = name
        fs = self.fs
        for _ in range(40):
            st = fs.lstat(lpath, self.cwd)
            if st is None or st.kind != LINK:
                break
            if ns is None or st.mtime > ns:
                ns = st.mtime
            target = fs.readlink(lpath, self.cwd) or ""
            slash = lpath.rfind("/")
            lpath = target if target.startswith("/") or slash < 0 else \
                lpath[:slash + 1] + target
        return ns

    def _member_mtime(self: "MakeProcess", file: FileEntry, search: bool) -> int:
        """remake.c f_mtime for 'lib(member)': the archive's own mtime first (a missing
        archive has no members), then the member's date from the archive (ar.c
        ar_member_date); such a file has .LOW_RESOLUTION_TIME."""
        arname, memname = split_name(file.name)
        arfile = self.files.lookup(arname)
        if arfile is None:
            arfile = self.files.enter(arname)
        armtime = self.f_mtime(arfile, search)
        arfile = check_renamed(arfile)
        if search and arfile.hname != arname:
            # "The archive's name has changed. Change the archive-member reference
            # accordingly": found through GPATH for good (rename_file), else deferred
            # as any vpath name (rehash_file)
            name = f"{arfile.hname}({memname})"
            if arfile.name == arfile.hname:
                self.rename_file(file, name)
            else:
                self.rehash_file(file, name)
            file = check_renamed(file)
        file.low_resolution_time = True
        if armtime == NONEXISTENT:
            mtime = NONEXISTENT
        else:
            date = member_date(self.fs, split_name(file.hname)[0], memname, self.cwd)
            mtime = NONEXISTENT if date is None else date * NS + ORDINARY_MIN
        f = file.double_colon if file.double_colon is not None else file
        propagate = f.updated
        while f is not None:
            if f.updated == propagate:
                f.last_mtime = mtime
            f = f.prev
        return mtime

    def file_mtime(self: "MakeProcess", f: FileEntry, search: bool = True) -> int:
        m = f.last_mtime
        return self.f_mtime(f, search) if m == UNKNOWN else m

    def _vpath_mtime(self: "MakeProcess", file: FileEntry):
        """remake.c f_mtime after a failed stat: vpath_search. None when nothing is found
        (then a '-lNAME' goes to library_search, vpath.py). Else
        (the entry, its mtime): the name found becomes FILE's table name at once
        (rehash_file, which may merge FILE into an entry that already has that name: the
        entry returned), and the mtime is the found file's (or the -o/-W stamp of a
        file found by its vpath name, kept as it is). When GPATH lists the directory,
        the name changes too (rename_file) and f_mtime returns what file_mtime gives
        for the new name: (None, that)."""
        found = self.vpath_search(file.name) if self.vpath_on else None
        if found is None and file.name.startswith("-l"):
            # "Last resort, is it a library (-lxxx)?"
            found = self.library_search(file.name)
            if found is not None:
                self.lib_found = True  # (names change as vpath's do: update_file_1)
        if found is None:
            return None
        name, mtime = found
        if mtime != UNKNOWN:
            file.last_mtime = mtime
        if self.gpath_search(name, len(name) - len(file.name) - 1):
            self.rename_file(file, name)
            file = check_renamed(file)
            return None, self.file_mtime(file)
        self.rehash_file(file, name)
        file = check_renamed(file)
        if mtime == OLD or mtime == NEW:
            return file, mtime
        ns = self.fs.mtime(name, self.cwd)
        if self.opts.check_symlink:
            ns = self._symlink_mtime(name, ns)
        if self.trace_stats:
            self.event("stat", file=name, mtime=ns, cwd=self.cwd)
        if ns is None:
            return file, NONEXISTENT
        mtime = ns + ORDINARY_MIN
        if ns < 0 or mtime > ORDINARY_MAX:
            mtime = ORDINARY_MAX
            self.err(f"{self.prog}: {name}: Timestamp out of range; substituting "
                     f"{timestamp_text(ORDINARY_MAX)}")
        return file, mtime

    # ------------------------------------------------------------ goal chain
    def update_goal_chain(self: "MakeProcess", goals: list) -> int:
        """remake.c update_goal_chain; GOALS are [file, flags, changed] lists."""
        t, q, n = self.touch_flag, self.question_flag, self.just_print_flag
        status = US_NONE
        goals = [list(g) for g in goals]
        rebuilding = self.rebuilding_makefiles
        self.considered += 1
        while goals:
            self.start_waiting_jobs()
            self.reap_children(True)
            progress = (len(goals), self.finished_count, self.commands_started,
                        len(self.sim.output))
            gi = 0
            stop = False
            while gi < len(goals):
                g = goals[gi]
                gfile = g[0]
                stop = False
                any_not_updated = False
                self.goal_dep = g
                file = gfile.double_colon if gfile.double_colon is not None else gfile
                while file is not None:
                    file.dontcare = bool(g[1] & 2)
                    if rebuilding:
                        if file.cmd_target:
                            self.touch_flag, self.question_flag, self.just_print_flag = t, q, n
                        else:
                            self.touch_flag = self.question_flag = self.just_print_flag = False
                    ocommands = self.commands_started
                    fail = self.update_file(file, 1 if rebuilding else 0)
                    if file.renamed is not None:
                        file = check_renamed(file)
                    if self.commands_started > ocommands:
                        g[2] = True
                    stop = False
                    if (fail or file.updated) and status < US_QUESTION:
                        if file.update_status not in (US_SUCCESS, US_NONE):
                            status = file.update_status
                            stop = self.question_flag and not self.keep_going and not rebuilding
                        else:
                            # (main.c's MTIME: no vpath search for the makefiles)
                            mtime = self.file_mtime(file, not rebuilding)
                            if file.renamed is not None:
                                file = check_renamed(file)
                            if file.updated and g[2] and mtime != file.mtime_before_update:
                                if not rebuilding or (not self.just_print_flag
                                                      and not self.question_flag):
                                    status = US_SUCCESS
                                if rebuilding and file.dontcare:
                                    stop = True
                    any_not_updated |= not file.updated
                    file.dontcare = False
                    if stop:
                        break
                    file = file.prev
                file = gfile
                if stop or not any_not_updated:
                    if (not rebuilding and file.update_status == US_SUCCESS and not g[2]
                            and not self.silent and not self.question_flag):
                        if file.phony or file.cmds is None:
                            self.out(f"{self.prog}: Nothing to be done for '{file.name}'.\n")
                        else:
                            self.out(f"{self.prog}: '{file.name}' is up to date.\n")
                    del goals[gi]
                    if stop:
                        break
                else:
                    gi += 1
            if gi >= len(goals):
                self.considered += 1
                if goals and not self.children and progress == (
                        len(goals), self.finished_count, self.commands_started,
                        len(self.sim.output)):
                    # A whole pass that finished no file, started no command, printed
                    # nothing and left every goal in place, with no job running: the
                    # next pass is the same, and GNU make 4.3 spins for ever. It
                    # happens when a goal with several '::' rules is reached after a
                    # -q "stop": its first rule returns us_question, update_file
                    # returns before the other rules, and those are pruned on every
                    # later pass (they are never 'updated').
                    raise LoopsForever([g[0].name for g in goals])
            # No 'break' on STOP here: in remake.c update_goal_chain a -q "stop" only
            # ends the inner walk over the goal list; the outer 'while (goals != 0)'
            # starts it again with the goals that are left. STATUS is already
            # us_question, so they change nothing but their diagnostics, e.g.
            # 'make -q stale nosuch' still says "No rule to make target 'nosuch'", rc 2.
        if rebuilding:
            self.touch_flag, self.question_flag, self.just_print_flag = t, q, n
        return status

    # ------------------------------------------------------------ update_file
    def update_file(self: "MakeProcess", file: FileEntry, depth: int) -> int:
        f = file.double_colon if file.double_colon is not None else file
        if f.considered == self.considered:
            if not (f.updated and f.update_status > US_NONE and not f.dontcare and f.no_diag):
                return f.update_status if f.command_state == CS_FINISHED else US_SUCCESS
        status = US_SUCCESS
        while f is not None:
            f.considered = self.considered
            if f.nesting:
                # update_file_1 has no guard against re-entry: its intermediate pass
                # can call update_file on a file that is being updated further up (a
                # cycle through a .SECONDARY/.INTERMEDIATE prerequisite whose first
                # pass stopped before the "Circular ... dropped" check). Each re-entry
                # can only make progress by dropping a circular dep, so one that nests
                # MAX_REENTRY deep recurses for ever: GNU make 4.3 dies of a stack
                # overflow (SIGSEGV), and MakeProcess.main reports that crash.
                self.reentered = f.name
                if f.nesting >= MAX_REENTRY:
                    raise StackOverflow(f.name)
            f.nesting += 1
            try:
                new = self.update_file_1(f, depth)
            finally:
                f.nesting -= 1
            if f.renamed is not None:
                f = check_renamed(f)
            if new and not self.keep_going:
                return new
            if f.command_state in (CS_RUNNING, CS_DEPS_RUNNING):
                return US_SUCCESS
            if new > status:
                status = new
            f = f.prev
        return status

    def complain(self: "MakeProcess", file: FileEntry) -> None:
        for d in file.deps:
            if d.updated and d.update_status > US_NONE and file.no_diag:
                self.complain(d)
                return
        self.show_goal_error()
        if file.parent is not None:
            msg = f"No rule to make target '{file.name}', needed by '{file.parent.name}'"
        else:
            msg = f"No rule to make target '{file.name}'"
        self.record_error("no-rule", file.name, file.parent.name if file.parent else None)
        if not self.keep_going:
            self.fatal(msg)
        self.err(f"{self.prog}: *** {msg}.")
        file.no_diag = False

    # ------------------------------------------------------------ update_file_1
    def update_file_1(self: "MakeProcess", file: FileEntry, depth: int) -> int:
        if file.updated:
            if file.update_status > US_NONE:
                if file.no_diag and not file.dontcare:
                    self.complain(file)
                return file.update_status
            return US_SUCCESS
        cs = file.command_state
        if cs == CS_RUNNING:
            return US_SUCCESS
        if cs == CS_FINISHED:
            return file.update_status
        file.no_diag = file.dontcare
        depth += 1
        (file.double_colon or file).updating = True  # start_updating
        this_mtime = self.file_mtime(file)
        # a vpath search may have merged FILE into the entry of the name it found: go on
        # with that one, and turn off 'updating' on both at the end
        ofile = file
        vp = self.vpath_on or self.lib_found
        if vp and file.renamed is not None:
            file = check_renamed(file)
        noexist = this_mtime == NONEXISTENT
        low_res = False
        if (not noexist and ORDINARY_MIN <= this_mtime <= ORDINARY_MAX
                and file.low_resolution_time):
            ns = (this_mtime - ORDINARY_MIN) % NS
            if ns != 0:
                self.err(f"{self.prog}: *** Warning: .LOW_RESOLUTION_TIME file '{file.name}' "
                         f"has a high resolution time stamp")
            this_mtime += NS - 1 - ns
            low_res = True
        must_make = noexist
        culprit: list = [None, "target-missing" if noexist else None, UNKNOWN, None]
        if not file.phony and file.cmds is None and not file.tried_implicit:
            self.try_implicit_rule(file, depth)
            file.tried_implicit = True
        if file.cmds is None and not file.is_target and self.default_file is not None:
            file.cmds = self.default_file.cmds
        running = False
        dep_status = US_SUCCESS
        keep_going = self.keep_going
        newest = None
        newest_mtime = UNKNOWN
        # remake.c: walk our deps, then the deps of each also_make sibling
        if not file.deps and not file.also_make:
            # no prerequisites at all (most often a header or a source): nothing to walk,
            # and no 'changed' flag is ever read for this entry
            scans = ()
            changed_flags = file.chg
        else:
            scans = [file] if not file.also_make else [file] + file.also_make
            # struct dep 'changed' of each of our deps, by index; it lives as long as the
            # entry (a later call for the same file sees the flags an earlier one left).
            # The deps list never grows once we have looked for an implicit rule, only
            # loses circular entries, so a list as long as the deps is enough.
            changed_flags = file.chg
            if changed_flags is None:
                changed_flags = file.chg = [False] * len(file.deps)
            elif len(changed_flags) < len(file.deps):
                changed_flags.extend([False] * (len(file.deps) - len(changed_flags)))
        considered = self.considered  # (only update_goal_chain changes these two)
        rebuilding = self.rebuilding_makefiles
        for owner in scans:
            deps = owner.deps
            oo = owner.oo
            idx = 0
            # where to try taking a run of deps at once (-1: not now); see below. After a
            # failure (no -k) make still walks the next sibling's deps, but only up to
            # the first one it checks, so that one goes through the loop below alone.
            # (not with vpath: a name found by a search changes what update_file_1 does)
            bulk_at = (0 if not rebuilding and not vp and len(deps) > 1
                       and not (dep_status and not keep_going) else -1)
            while idx < len(deps):
                if idx == bulk_at:
                    # The run of deps from here that the inline check_dep below would take,
                    # all at once (each only sets its parent, compares its mtime and gets
                    # a 'changed' flag; nothing it does changes the others). Plain files
                    # met for the first time in this pass are first settled in bulk.
                    bulk_at = -1
                    if deps[idx].considered != considered:
                        self._settle_leaves(deps, considered, file, idx)
                    # (a run starts with a dep considered in this pass; without one there
                    # is nothing to take, and copying the rest of a long list to find
                    # that out made one line of N targets cost N^2 / 2 copies)
                    k = 0
                    if deps[idx].considered == considered:
                        run = deps[idx:] if idx else deps
                        k, mtimes, flags = self._settled_prefix(run, considered, file)
                    if k:
                        # culprit: the first normal one missing or newer than us
                        if not must_make and (NONEXISTENT in mtimes
                                              or max(mtimes) > this_mtime):
                            for j in range(k):
                                dm = mtimes[j]
                                if (dm == NONEXISTENT or dm > this_mtime) and not (
                                        oo is not None and oo[idx + j]):
                                    d = run[j]
                                    if culprit[1] is None:
                                        _blame(culprit, d, dm)
                                    must_make = True
                                    break
                        # 'changed' flags until the first one whose commands are running
                        stop = 0
                        if not running:
                            stop = k
                            if flags is None:  # (with flags, every one has finished)
                                states = list(map(_COMMAND_STATE,
                                                  run[:k] if k < len(run) else run))
                                if CS_RUNNING in states or CS_DEPS_RUNNING in states:
                                    for j, cs in enumerate(states):
                                        if cs == CS_RUNNING or cs == CS_DEPS_RUNNING:
                                            running = True
                                            stop = j
                                            break
                        if stop and owner is file:
                            changed_flags[idx:idx + stop] = (
                                flags if flags is not None and stop == k
                                else [m == NONEXISTENT for m in mtimes[:stop]])
                        idx += k
                        continue
                d = deps[idx]
                if vp and d.renamed is not None:
                    d = _renamed_dep(deps, idx, d)
                mtime = d.last_mtime
                if mtime == UNKNOWN:
                    mtime = self.f_mtime(d)
                if vp and d.renamed is not None:
                    d = _renamed_dep(deps, idx, d)  # check_renamed (d->file)
                dc = d.double_colon
                if (dc or d).updating:  # is_updating
                    self.err(f"{self.prog}: Circular {file.name} <- {d.name} dependency dropped.")
                    if owner is not file:
                        self.sim.warn(UNMODELLED_SIBLING.format(file.name, d.name, owner.name))
                    _drop_dep(owner, idx)
                    continue
                d.parent = file
                ignore = oo is not None and oo[idx]
                if (dc is None and d.considered == considered and not rebuilding
                        and (d.phony or not d.intermediate)
                        and not (d.updated and d.update_status > US_NONE and not d.dontcare
                                 and d.no_diag)):
                    # check_dep(d) inline for a prerequisite this pass has already considered
                    # and that check_dep hands to update_file (phony or not intermediate):
                    # update_file returns at once (its 'considered' test), so check_dep only
                    # compares the mtime; start/finish_updating cancel out.
                    cs = d.command_state
                    new = d.update_status if cs == CS_FINISHED else US_SUCCESS
                    dm = d.last_mtime
                    if dm == UNKNOWN:
                        dm = self.f_mtime(d)
                    if not ignore and (dm == NONEXISTENT or dm > this_mtime):
                        if not must_make and culprit[1] is None:
                            _blame(culprit, d, dm)
                        must_make = True
                    if cs == CS_RUNNING or cs == CS_DEPS_RUNNING:
                        running = True
                else:
                    if d is owner and owner is not file and d.intermediate and not d.phony:
                        self.sim.warn(UNMODELLED_FREE.format(d.name, file.name))
                    saved = d.dontcare
                    if rebuilding:
                        d.dontcare = file.dontcare
                    new, maybe_make = self.check_dep(d, depth, this_mtime, must_make,
                                                     None if ignore else culprit)
                    if rebuilding:
                        d.dontcare = saved
                    if not ignore:
                        must_make = maybe_make
                    if vp and d.renamed is not None:
                        d = _renamed_dep(deps, idx, d)
                    if _commands_running(d):
                        running = True
                # both ways: remake.c's bookkeeping after each dep
                if new > dep_status:
                    dep_status = new
                if dep_status and not keep_going:
                    break
                if not running and owner is file:
                    after = d.last_mtime
                    if after == UNKNOWN:
                        after = self.f_mtime(d)
                    changed_flags[idx] = after != mtime or mtime == NONEXISTENT
                idx += 1
                if idx < len(deps) and not rebuilding and not vp:
                    nd = deps[idx]
                    if nd.considered == considered or not (nd.deps or nd.updated):
                        bulk_at = idx
            # (remake.c: the failure ends this list's walk, not the walk over the
            # also_make siblings: each of their lists is entered, dropping circular
            # deps and checking one, before the status stops it)
        if not vp and self.lib_found:
            vp = True  # (a '-lNAME' among the deps was just found: its name changed)
        # second pass: the intermediate prerequisites, only if we must remake
        if (must_make or self.always_make) and any(map(_INTERMEDIATE, file.deps)):
            # (none intermediate, most often: the loop below would skip every one)
            deps = file.deps
            for idx, d in enumerate(deps):
                if not d.intermediate:
                    continue
                mtime = self.file_mtime(d)
                if vp and d.renamed is not None:
                    d = _renamed_dep(deps, idx, d)
                d.parent = file
                if self.rebuilding_makefiles:
                    saved = d.dontcare
                    d.dontcare = file.dontcare
                d.considered = 0
                new = self.update_file(d, depth)
                if self.rebuilding_makefiles:
                    d.dontcare = saved
                if vp and d.renamed is not None:
                    d = _renamed_dep(deps, idx, d)
                if new > dep_status:
                    dep_status = new
                if _commands_running(d):
                    running = True
                if dep_status and not keep_going:
                    break
                if not running:
                    changed_flags[idx] = ((file.phony and file.cmds is not None)
                                          or self.file_mtime(d) != mtime)
        (file.double_colon or file).updating = False  # finish_updating
        if ofile is not file:
            (ofile.double_colon or ofile).updating = False
        if running:
            self.set_command_state(file, CS_DEPS_RUNNING)
            return US_SUCCESS
        if dep_status:
            file.update_status = US_FAILED if dep_status == US_NONE else dep_status
            self.notice_finished_file(file)
            if depth == 1 and keep_going and not self.just_print_flag and not self.question_flag:
                self.err(f"{self.prog}: Target '{file.name}' not remade because of errors.")
            self.record_decision(file, False, "prereq-failed", this_mtime, culprit, [], None,
                                 UNKNOWN, low_res)
            return dep_status
        if file.command_state == CS_DEPS_RUNNING:
            self.set_command_state(file, CS_NOT_STARTED)
        # which prerequisites are newer (for $?); the 'missing non-intermediate' rule
        deps_changed = False
        deps = file.deps
        oo = file.oo
        if vp and self.renames:
            for idx, d in enumerate(deps):
                if d.renamed is not None:
                    deps[idx] = check_renamed(d)
        missing: list[str] = []
        changed_list = []
        # the names record_decision lists as newer (changed, not order-only), in one pass
        newer: list[str] | None = [] if self.record else None
        n = len(deps)
        mtimes = list(map(_LAST_MTIME, deps)) if n and oo is None else None
        if mtimes and UNKNOWN not in mtimes:
            # The loop below, mostly in C, when every prerequisite is normal and its mtime
            # known (no f_mtime calls): the missing ones in order, the newest is the first
            # of the largest mtime, and each flag is ch or noexist or newer than us.
            if NONEXISTENT in mtimes:
                for d, d_mtime in zip(deps, mtimes):
                    if d_mtime == NONEXISTENT and not d.intermediate:
                        if not must_make and culprit[1] is None:
                            culprit[0], culprit[1], culprit[2] = (d.name, "prereq-missing",
                                                                  d_mtime)
                        must_make = True
                        missing.append(d.name)
            changed_list = changed_flags[:n]
            deps_changed = True in changed_list
            top = max(mtimes)
            if top != NONEXISTENT:
                newest, newest_mtime = deps[mtimes.index(top)].name, top
            if noexist:
                changed_list = [True] * n
            elif top > this_mtime:
                changed_list = [ch or m > this_mtime for ch, m in zip(changed_list, mtimes)]
            if newer is not None and True in changed_list:
                newer = [d.name for d, ch in zip(deps, changed_list) if ch]
            deps = ()  # done
        for idx, d in enumerate(deps):
            d_mtime = d.last_mtime
            if d_mtime == UNKNOWN:
                d_mtime = self.f_mtime(d)
            ch = changed_flags[idx]
            normal = oo is None or not oo[idx]
            if normal:
                if d_mtime == NONEXISTENT and not d.intermediate:
                    if not must_make and culprit[1] is None:
                        culprit[0], culprit[1], culprit[2] = d.name, "prereq-missing", d_mtime
                    must_make = True
                    missing.append(d.name)
                if ch:
                    deps_changed = True
                if d_mtime != NONEXISTENT and (newest is None or d_mtime > newest_mtime):
                    newest, newest_mtime = d.name, d_mtime
            ch = ch or noexist or d_mtime > this_mtime
            changed_list.append(ch)
            if ch and normal and newer is not None:
                newer.append(d.name)
        file.dep_changed = changed_list
        depth -= 1
        kind = culprit[1] if must_make else "up-to-date"
        if file.double_colon is not None and not file.deps:
            must_make = True
            kind = "double-colon-no-prereqs"
        elif (not noexist and file.is_target and not deps_changed and file.cmds is None
              and not self.always_make):
            if must_make:
                kind = "no-recipe-no-change"
            must_make = False
        elif not must_make and file.cmds is not None and self.always_make:
            must_make = True
            kind = "always-make"
        if file.phony and must_make:
            kind = "phony"
        if not must_make:
            self.notice_finished_file(file)
            self.record_decision(file, False, kind, this_mtime, culprit, changed_list, newest,
                                 newest_mtime, low_res, newer=newer)
            if vp:
                # not remade: it goes by the name a vpath search found from now on
                f = file
                while f is not None:
                    f.name = f.hname
                    f = f.prev
            return US_SUCCESS
        self.record_decision(file, True, kind or "unknown", this_mtime, culprit, changed_list,
                             newest, newest_mtime, low_res, missing, newer=newer)
        if file.name != file.hname:
            # to be remade: the name a vpath search found is dropped; it is made under
            # its own name (unless GPATH renamed it: then both are the found one)
            file.ignore_vpath = True
        self.remake_file(file)
        if file.command_state != CS_FINISHED:
            return US_SUCCESS
        file.updated = True
        return file.update_status

    def _settle_leaves(self: "MakeProcess", deps: list, considered: int,
                       parent: FileEntry, start: int = 0) -> None:
        """What check_dep -> update_file -> update_file_1 do, in order, for each of the
        DEPS from START on that is a plain existing file met for the first time in this
        pass:
        single-colon, no prerequisites, no recipe (none from a pattern rule: its name
        ends in no target pattern's suffix; no .DEFAULT), not phony, not intermediate,
        not .LOW_RESOLUTION_TIME, not yet updated. For such a file update_file_1 stats
        it (the parent's loop does, first), finds no implicit rule, has nothing to walk,
        must not remake it, so notices it finished (status success, 'changed' flag
        false) and records "up-to-date". Each one left so is "settled" for
        _settled_prefix, which then compares the mtimes. Stops at the first other dep
        (a missing file too, stat'ed, as the parent's loop would have, and left to it)."""
        if self.default_file is not None or self.rebuilding_makefiles or self.vpath_on \
                or self.lib_found:
            return
        sufs = self._suffixes() if self.pattern_rules else ()
        if sufs is None:  # a match-anything pattern rule: every name is searched
            return
        f_mtime = self.f_mtime
        finished = self.notice_finished_file
        record = self.record
        for i in range(start, len(deps)):
            d = deps[i]
            if (d.considered == considered or d.deps or d.cmds is not None or d.updated
                    or d.double_colon is not None or d.also_make or d.phony
                    or d.low_resolution_time or d.updating or d.nesting
                    or d.command_state != CS_NOT_STARTED or d.update_status > US_NONE):
                return
            if not d.tried_implicit and sufs and d.name.endswith(sufs):
                return  # (try_implicit_rule would search)
            mtime = d.last_mtime
            if mtime == UNKNOWN:
                # the parent's loop stats it first; f_mtime clears 'intermediate' for an
                # existing file (every file is intermediate under a bare .SECONDARY:)
                mtime = f_mtime(d)
                if d.hname != d.name:
                    return  # (a '-lNAME' found: update_file_1 takes the name found)
            if mtime == NONEXISTENT or d.intermediate:
                return
            d.considered = considered
            d.parent = parent
            d.no_diag = d.dontcare
            d.tried_implicit = True
            d.dep_changed = []
            finished(d)
            if record:
                self.record_decision(d, False, "up-to-date", mtime, [None, None, UNKNOWN, None],
                                     [], None, UNKNOWN, False, newer=[])

    def _settled_prefix(self: "MakeProcess", deps: list, considered: int, parent: FileEntry
                        ) -> tuple[int, list[int], list[bool] | None]:
        """(K, their mtimes, FLAGS): DEPS[:K] are deps that update_file_1's loop would
        check inline, each one doing nothing but set its parent, compare its known mtime
        and leave a 'changed' flag of mtime == NONEXISTENT (its mtime cannot change there):
        not '::', not being updated, considered in this pass, phony or not intermediate,
        not a failure update_file would complain about, a known mtime, and a status of
        success unless its commands are still running (so dep_status stays). FLAGS, when
        every one of them has finished (none has commands running): their 'changed'
        flags (a list the caller must not change), else None. Their parent is set to
        PARENT here."""
        n = len(deps)
        if not n or deps[0].considered != considered:
            return 0, [], None
        # Most often: considered, plain, finished with success, mtime known ("settled").
        # One lean pass over the run of those sets their parent and takes their mtimes.
        # A settled dep stays settled, with its mtime, for the rest of this pass: nothing
        # re-opens a finished file until update_goal_chain counts the next one, except
        # notice_finished_file giving a recipe's status to its also_make siblings, which
        # drops what is remembered here. So a long run that starts with the same deps as
        # the last one taken in this pass (every target of kbuild's
        # '$(sort $(vmlinux-deps)): $(vmlinux-dirs) ;' has all the directories) takes
        # that one's mtimes and flags and goes on after it.
        mtimes = []
        start = 0
        memo = self.settled_memo
        if memo is not None and memo[0] == considered:
            seen = memo[1]
            m = len(seen)
            if seen[0] is deps[0] and m <= n and (deps[:m] if m < n else deps) == seen:
                for d in seen:
                    d.parent = parent
                if m == n or deps[m].considered != considered:  # nothing to add
                    return m, memo[2], memo[3]  # (the caller changes neither)
                mtimes = memo[2][:]
                start = m
        append = mtimes.append
        for d in (deps[start:] if start else deps):
            if (d.considered != considered or d.double_colon is not None or d.updating
                    or d.intermediate or d.update_status != US_SUCCESS
                    or d.command_state != CS_FINISHED or d.last_mtime == UNKNOWN):
                break
            d.parent = parent
            append(d.last_mtime)
        if mtimes:
            k = len(mtimes)
            flags = [t == NONEXISTENT for t in mtimes]
            if k >= _MEMO_MIN and k > start:
                self.settled_memo = (considered, deps[:k], mtimes, flags)
            return k, mtimes, flags
        cons = list(map(_CONSIDERED, deps))
        if cons.count(considered) != n:  # no further than the first not yet considered
            n = list(map(considered.__ne__, cons)).index(True)
            if not n:
                return 0, [], None
            deps = deps[:n]
        if (not any(map(_DOUBLE_COLON, deps)) and not any(map(_UPDATING, deps))
                and not any(map(_INTERMEDIATE, deps))):
            # the usual case, attribute by attribute in C; then only the deps whose
            # status is not success need a look
            statuses = list(map(_UPDATE_STATUS, deps))
            k = n
            if statuses.count(US_SUCCESS) != n:
                for i, status in enumerate(statuses):
                    if status != US_SUCCESS:
                        d = deps[i]
                        if d.command_state == CS_FINISHED or (
                                d.updated and status > US_NONE and not d.dontcare
                                and d.no_diag):
                            k = i
                            break
            mtimes = list(map(_LAST_MTIME, deps[:k] if k < n else deps))
            if UNKNOWN in mtimes:
                k = mtimes.index(UNKNOWN)
                del mtimes[k:]
            for d in deps[:k]:
                d.parent = parent
            return k, mtimes, None
        states = list(map(_DEP_STATE, deps))
        bad = set()
        for t in set(states):
            dc, updating, t_considered, phony, inter, updated, status, dontcare, no_diag, cs = t
            if not (dc is None and not updating and t_considered == considered
                    and (phony or not inter)
                    and not (updated and status > US_NONE and not dontcare and no_diag)
                    and (cs != CS_FINISHED or status == US_SUCCESS)):
                bad.add(t)
        k = len(deps)
        if bad:
            k = 0
            for t in states:
                if t in bad:
                    break
                k += 1
        mtimes = list(map(_LAST_MTIME, deps[:k]))
        if UNKNOWN in mtimes:
            k = mtimes.index(UNKNOWN)
            del mtimes[k:]
        for d in deps[:k]:
            d.parent = parent
        return k, mtimes, None

    # ------------------------------------------------------------ check_dep
    def check_dep(self: "MakeProcess", file: FileEntry, depth: int, this_mtime: int,
                  must_make: bool, culprit: list | None) -> tuple[int, bool]:
        """remake.c check_dep; returns (status, must_make)."""
        depth += 1
        (file.double_colon or file).updating = True  # start_updating
        dep_status = US_SUCCESS
        ofile = file
        if file.phony or not file.intermediate:
            dep_status = self.update_file(file, depth)
            if file.renamed is not None:
                file = check_renamed(file)
            mtime = file.last_mtime
            if mtime == UNKNOWN:
                mtime = self.f_mtime(file)
                if file.renamed is not None:
                    file = check_renamed(file)
            if mtime == NONEXISTENT or mtime > this_mtime:
                if not must_make and culprit is not None and culprit[1] is None:
                    _blame(culprit, file, mtime)
                must_make = True
        else:
            if not file.phony and file.cmds is None and not file.tried_implicit:
                self.try_implicit_rule(file, depth)
                file.tried_implicit = True
            if file.cmds is None and not file.is_target and self.default_file is not None:
                file.cmds = self.default_file.cmds
            mtime = self.file_mtime(file)
            if file.renamed is not None:
                file = check_renamed(file)
            if mtime != NONEXISTENT and mtime > this_mtime:
                if not must_make and culprit is not None and culprit[1] is None:
                    culprit[0], culprit[1], culprit[2] = file.name, "prereq-newer", mtime
                must_make = True
            else:
                deps_running = False
                if file.command_state != CS_RUNNING:
                    if file.command_state == CS_DEPS_RUNNING:
                        file.considered = 0
                    self.set_command_state(file, CS_NOT_STARTED)
                deps = file.deps
                oo = file.oo
                idx = 0
                while idx < len(deps):
                    d = deps[idx]
                    if (d.double_colon or d).updating:  # is_updating
                        self.err(f"{self.prog}: Circular {file.name} <- {d.name} "
                                 f"dependency dropped.")
                        _drop_dep(file, idx)
                        continue
                    d.parent = file
                    ignore = oo is not None and oo[idx]
                    before = must_make
                    new, maybe = self.check_dep(d, depth, this_mtime, must_make,
                                                None if ignore else culprit)
                    if new > dep_status:
                        dep_status = new
                    if not ignore:
                        must_make = maybe
                        if maybe and not before and culprit is not None and culprit[3] is None:
                            culprit[3] = file.name
                    if d.renamed is not None:
                        d = _renamed_dep(deps, idx, d)
                    if dep_status and not self.keep_going:
                        break
                    if d.command_state in (CS_RUNNING, CS_DEPS_RUNNING):
                        deps_running = True
                    idx += 1
                if deps_running:
                    self.set_command_state(file, CS_DEPS_RUNNING)
        (file.double_colon or file).updating = False  # finish_updating
        if ofile is not file:
            (ofile.double_colon or ofile).updating = False
        return dep_status, must_make

    # ------------------------------------------------------------ finishing
    def notice_finished_file(self: "MakeProcess", file: FileEntry) -> None:
        self.finished_count += 1  # progress, for update_goal_chain's endless-loop check
        ran = file.command_state == CS_RUNNING
        touched = False
        file.command_state = CS_FINISHED
        file.updated = True
        if self.touch_flag and file.update_status == US_SUCCESS:
            all_recurse = file.cmds is not None and file.cmds.any_recurse and all(
                file.cmds.recurse_flags)
            if not all_recurse:
                if file.phony:
                    file.update_status = US_SUCCESS
                elif file.cmds is not None:
                    file.update_status = self.touch_file(file)
                    self.commands_started += 1
                    touched = True
        if file.mtime_before_update == UNKNOWN:
            file.mtime_before_update = file.last_mtime
        if (ran and not file.phony) or touched:
            i = 0
            if (self.question_flag or self.just_print_flag or self.touch_flag) and file.cmds:
                flags = file.cmds.recurse_flags
                i = len(flags)
                while i > 0 and flags[i - 1]:
                    i -= 1
            elif file.is_target and file.cmds is None:
                i = 1
            file.last_mtime = UNKNOWN if i == 0 else NEW
        if file.double_colon is not None:
            max_mtime = file.last_mtime
            f = file.double_colon
            while f is not None and f.updated:
                if max_mtime != UNKNOWN and (f.last_mtime == UNKNOWN or f.last_mtime > max_mtime):
                    max_mtime = f.last_mtime
                f = f.prev
            if f is None:
                f = file.double_colon
                while f is not None:
                    f.last_mtime = max_mtime
                    f = f.prev
        if ran and file.update_status != US_NONE:
            if file.also_make:
                # the one way a settled file changes within a pass: a sibling made by the
                # same recipe takes its status (see _settled_prefix)
                self.settled_memo = None
            for d in file.also_make or ():
                d.command_state = CS_FINISHED
                d.updated = True
                d.update_status = file.update_status
                if not d.phony:
                    self.f_mtime(d, False)  # (no vpath search: remake.c passes 0)
        elif file.update_status == US_NONE:
            file.update_status = US_SUCCESS

    def remake_file(self: "MakeProcess", file: FileEntry) -> None:
        if file.cmds is None:
            if file.phony or file.is_target:
                file.update_status = US_SUCCESS
            else:
                if not self.rebuilding_makefiles or not file.dontcare:
                    self.complain(file)
                file.update_status = US_FAILED
        else:
            if not self.touch_flag or file.cmds.any_recurse:
                self.execute_file_commands(file)
                return
            file.update_status = US_SUCCESS
        self.notice_finished_file(file)

    def touch_file(self: "MakeProcess", file: FileEntry) -> int:
        if not self.silent:
            self.out(f"touch {file.name}\n")
        if self.just_print_flag:
            return US_SUCCESS
        try:
            if self.fs.exists(file.name, self.cwd):
                self.fs.touch(file.name, self.cwd)
            else:
                self.fs.write(file.name, b"", self.cwd)
        except OSError as e:
            self.err(f"{self.prog}: touch: open: {file.name}: {e.strerror}")
            return US_FAILED
        return US_SUCCESS

    def set_command_state(self: "MakeProcess", file: FileEntry, state: int) -> None:
        file.command_state = state
        for d in file.also_make or ():
            if state > d.command_state:
                d.command_state = state

    # ------------------------------------------------------------ decisions
    def record_decision(self: "MakeProcess", file: FileEntry, remade: bool, kind: str | None,
                        this_mtime: int, culprit: list, changed: list, newest, newest_mtime,
                        low_res: bool, missing: list | None = None,
                        newer: list[str] | None = None) -> None:
        """NEWER, when given, is the list computed below, already built by the caller."""
        if not self.record:
            return
        dc = Decision(file.name, remade, kind or "up-to-date", this_mtime)
        if culprit[0] is not None:
            dc.prereq = culprit[0]
            dc.prereq_mtime = culprit[2]
            dc.via = culprit[3]
        if newer is None:
            oo = file.oo
            newer = [d.name for i, d in enumerate(file.deps)
                     if i < len(changed) and changed[i] and not (oo is not None and oo[i])]
        dc.newer = newer
        dc.newest = newest
        dc.newest_mtime = newest_mtime
        dc.pid = self.pid
        dc.time_ns = self.clock.now
        dc.has_recipe = file.cmds is not None
        dc.missing = missing or []
        dc.low_res = low_res
        self.decisions.append(dc)
        if self.sim.on_decision is not None:
            self.sim.on_decision(self, dc)

    # ------------------------------------------------------------ -o / -W
    def mark_old(self: "MakeProcess", name: str) -> None:
        f = self.files.enter_file(name)  # main.c: enter_file, not lookup_file
        f.last_mtime = f.mtime_before_update = OLD
        f.updated = True
        f.update_status = US_SUCCESS
        f.command_state = CS_FINISHED

    def mark_new(self: "MakeProcess", name: str) -> None:
        f = self.files.enter_file(name)  # main.c: enter_file, not lookup_file
        f.last_mtime = f.mtime_before_update = NEW


def _drop_dep(file: FileEntry, idx: int) -> None:
    """remake.c: a circular prerequisite is taken out of FILE's list (one of the
    .EXTRA_PREREQS, the last n_extra, leaves one fewer of those)."""
    deps = file.deps
    if file.n_extra and idx >= len(deps) - file.n_extra:
        file.n_extra -= 1
    del deps[idx]
    if file.oo is not None:
        del file.oo[idx]


def _renamed_dep(deps: list, idx: int, d: FileEntry) -> FileEntry:
    """check_renamed (d->file) for DEPS[IDX], which was D: the entry D was merged into,
    put in its place (unless a nested update has changed the list meanwhile)."""
    r = check_renamed(d)
    if idx < len(deps) and deps[idx] is d:
        deps[idx] = r
    return r


def _commands_running(dep: FileEntry) -> bool:
    """remake.c's check after each dep: are the commands of DEP (any rule of a '::'
    target) running or waiting for their own deps?"""
    g = dep.double_colon if dep.double_colon is not None else dep
    while g is not None:
        if g.command_state in (CS_RUNNING, CS_DEPS_RUNNING):
            return True
        g = g.prev
    return False


def _blame(culprit: list, dep: FileEntry, mtime: int) -> None:
    """Record DEP as the prerequisite that made the target out of date, with why: the
    first one update_file_1/check_dep finds missing or newer (remake.c's order)."""
    culprit[0] = dep.name
    culprit[2] = mtime
    if dep.phony:
        culprit[1] = "prereq-phony"
    elif mtime == NONEXISTENT:
        culprit[1] = "prereq-missing"
    elif mtime >= NEW:
        culprit[1] = "prereq-new"
    else:
        culprit[1] = "prereq-newer"
