"""The reference's remake.py (GNU make 4.3 remake.c) on the Plan's entry lists.

Function for function and check for check the same as kbsim/make/remake.py, for what
freeze lets through: single-colon rules only, no vpath, no also_make, no
.LOW_RESOLUTION_TIME, no -n/-q/-t/-B. A file is an entry number; ``self.X[f]`` is the
reference's ``f.X``. The process's pass counter (remake.c's static ``considered``) is
``self.pass_no`` here, because ``self.considered`` is the per-entry list.

What differs from the reference is only how the work is done, never what is decided:
a prerequisite this pass has settled (finished, success, mtime known) is compared without
a call, as the reference's inline check_dep does.
"""

from __future__ import annotations

from operator import or_

from ..make.errors import UnsupportedSyntax
from ..make.filedb import (CS_DEPS_RUNNING, CS_FINISHED, CS_NOT_STARTED, CS_RUNNING, NEW,
                           NONEXISTENT, ORDINARY_MAX, ORDINARY_MIN, UNKNOWN, US_FAILED,
                           US_NONE, US_QUESTION, US_SUCCESS, timestamp_text)
from ..make.remake import MAX_REENTRY, Decision, LoopsForever, StackOverflow

NS = 1_000_000_000
MAX_NS = ORDINARY_MAX - ORDINARY_MIN  # the largest stat time that is not out of range
MEMO_MIN = 16  # the shortest prerequisite list worth remembering as a settled run
# a plain leaf's 'changed' flags (it has no prerequisites): one list for all of them, which
# nothing changes (dep_changed lists are only read: set_file_variables, the reports)
_NO_CHANGES: list[bool] = []


class SettledRun:
    """What update_file_1's loop does over a prerequisite list whose every entry the
    current pass has considered and can take the inline check_dep: their mtimes (known),
    where the first one with commands running is, where the first failure is, and their
    'changed' flags. Nothing in it changes while no member entry changes (see
    PlanRemake._touch): kbuild's top-level make walks the same ~300 phony directories
    for each of ~300 targets in every pass of its goal chain."""

    __slots__ = ("deps", "pass_no", "epoch", "mtimes", "flags", "first_running", "fail_at",
                 "fail_status", "max_status", "top", "any_intermediate", "missing", "newest_at",
                 "any_flag")

    def __init__(self, deps, pass_no: int, epoch: int):
        self.deps = deps
        self.pass_no = pass_no
        self.epoch = epoch


def _missing(deps, mtimes: list, intermediate) -> list[int]:
    """The entries of DEPS whose mtime (in MTIMES) is NONEXISTENT and that are not
    intermediate, in order: found by list.index, since they are few (kbuild's FORCE) in a
    compile's ~50 prerequisites."""
    out = []
    i = -1
    for _ in range(mtimes.count(NONEXISTENT)):
        i = mtimes.index(NONEXISTENT, i + 1)
        d = deps[i]
        if not intermediate[d]:
            out.append(d)
    return out


class PlanRemake:
    """Mixin for PlanProcess: the update algorithm."""

    # ------------------------------------------------------------ settled runs
    def _touch(self, f: int) -> None:
        """F's update state is about to change: a settled run it belongs to is void."""
        if self.in_run[f]:
            self.run_epoch += 1

    def _settled_run(self, deps, pass_no: int) -> SettledRun | None:
        """The SettledRun of DEPS in this pass, remembered or made now, or None when one
        of them cannot take the inline check (not considered yet, being updated, an
        intermediate file, a failure to complain about, an mtime not known)."""
        m = self.runs.get(id(deps))
        if m is not None and m.deps is deps and m.pass_no == pass_no \
                and m.epoch == self.run_epoch:
            return m
        n = len(deps)
        considered = self.considered
        if list(map(considered.__getitem__, deps)).count(pass_no) != n:
            return None
        if True in map(self.updating.__getitem__, deps):
            return None
        inter = list(map(self.intermediate.__getitem__, deps))
        if True in inter:
            phony = self.phony
            if any(i and not phony[d] for i, d in zip(inter, deps)):
                return None
        mtimes = list(map(self.last_mtime.__getitem__, deps))
        if UNKNOWN in mtimes:
            return None
        status = list(map(self.update_status.__getitem__, deps))
        if US_QUESTION in status or US_FAILED in status:
            updated, dontcare, no_diag = self.updated, self.dontcare, self.no_diag
            for d, st in zip(deps, status):
                if updated[d] and st > US_NONE and not dontcare[d] and no_diag[d]:
                    return None  # update_file would complain
        cs = list(map(self.command_state.__getitem__, deps))
        m = SettledRun(deps, pass_no, self.run_epoch)
        m.mtimes = mtimes
        m.flags = [t == NONEXISTENT for t in mtimes]
        m.any_flag = True in m.flags
        running = [c == CS_RUNNING or c == CS_DEPS_RUNNING for c in cs]
        m.first_running = running.index(True) if True in running else n
        news = [st if c == CS_FINISHED else US_SUCCESS for st, c in zip(status, cs)]
        m.max_status = max(news)
        m.fail_at = next((j for j, v in enumerate(news) if v), n)
        m.fail_status = news[m.fail_at] if m.fail_at < n else US_SUCCESS
        m.top = max(mtimes)
        m.any_intermediate = True in inter
        m.missing = None  # (the nonexistent normal ones, made when first asked for)
        m.newest_at = None  # (where the first of the newest is, made when first asked for)
        self.runs[id(deps)] = m
        in_run = self.in_run
        if False in map(in_run.__getitem__, deps):  # (a mark is never taken back)
            for d in deps:
                in_run[d] = True
        return m

    # ------------------------------------------------------------ parent links
    # A settled run's targets each set 'parent' of the same long list of prerequisites
    # (kbuild's top level: ~3,300 objects, each after the same ~300 directories), and
    # nothing reads those links in between. So that assignment is kept as due (DEPS,
    # END, FILE) and done when something else writes or reads a link: a write to an
    # entry of a run (in_run) or any read does it first (flush_parent), and a later
    # assignment over the same list that covers the due one replaces it.
    parent_due: tuple | None = None

    def _bulk_parent(self, deps, end: int, file: int) -> None:
        due = self.parent_due
        if due is not None and not (due[0] is deps and due[1] <= end):
            self.flush_parent()
        self.parent_due = (deps, end, file)

    def flush_parent(self) -> None:
        deps, end, file = self.parent_due
        self.parent_due = None
        parent = self.parent
        for d in (deps if end == len(deps) else deps[:end]):
            parent[d] = file

    def parent_of(self, f: int) -> int | None:
        if self.parent_due is not None:
            self.flush_parent()
        return self.parent[f]

    # ------------------------------------------------------------ f_mtime
    def f_mtime(self, f: int, search: bool = True) -> int:
        """remake.c f_mtime (remake.py Remake.f_mtime) without vpath."""
        if self.in_run[f]:
            self.run_epoch += 1
        name = self.names[f]
        return self._stat_seen(f, name, self.fs.mtime(name, self.cwd), search)

    def _stat_seen(self, f: int, name: str, ns: int | None, search: bool = True) -> int:
        """f_mtime after its stat of NAME gave NS."""
        if self.trace_stats:
            self.event("stat", file=name, mtime=ns, cwd=self.cwd)
        if ns is None:
            mtime = NONEXISTENT
            if search and name.startswith("-l") and len(name) > 2:
                raise UnsupportedSyntax(f"the library search for prerequisite "
                                        f"'{name}' (-lNAME, .LIBPATTERNS)")
        else:
            mtime = ns + ORDINARY_MIN
            if ns < 0 or mtime > ORDINARY_MAX:
                mtime = ORDINARY_MAX
                self.err(f"{self.prog}: {name}: Timestamp out of range; substituting "
                         f"{timestamp_text(ORDINARY_MAX)}")
        if (not self.clock_skew_detected and mtime != NONEXISTENT and mtime != NEW
                and not self.updated[f]):
            if self.adjusted_now < mtime:
                now = self.clock.now + ORDINARY_MIN
                self.adjusted_now = now
                if now < mtime:
                    from_now = (mtime - now) / NS
                    txt = str(int(from_now)) if from_now >= 99 else "%.2g" % from_now
                    self.err(f"{self.prog}: Warning: File '{name}' has modification "
                             f"time {txt} s in the future")
                    self.clock_skew_detected = True
        if (mtime != NONEXISTENT and self.command_state[f] == CS_NOT_STARTED
                and not self.tried_implicit[f] and self.intermediate[f]):
            self.intermediate[f] = False
        self.last_mtime[f] = mtime
        return mtime

    def file_mtime(self, f: int, search: bool = True) -> int:
        m = self.last_mtime[f]
        return self.f_mtime(f, search) if m == UNKNOWN else m

    # ------------------------------------------------------------ goal chain
    def update_goal_chain(self, goals: list) -> int:
        """remake.c update_goal_chain; GOALS are [entry, flags, changed, ...] lists."""
        status = US_NONE
        goals = [list(g) for g in goals]
        rebuilding = self.rebuilding_makefiles
        updated = self.updated
        update_status = self.update_status
        self.pass_no += 1
        while goals:
            self.start_waiting_jobs()
            self.reap_children(True)
            progress = (len(goals), self.finished_count, self.commands_started,
                        len(self.sim.output))
            gi = 0
            stop = False
            while gi < len(goals):
                g = goals[gi]
                file = g[0]
                if rebuilding and self._makefile_up_to_date(g):
                    del goals[gi]
                    continue
                stop = False
                self.goal_dep = g
                self._touch(file)
                self.dontcare[file] = bool(g[1] & 2)
                ocommands = self.commands_started
                fail = self.update_file(file, 1 if rebuilding else 0)
                if self.commands_started > ocommands:
                    g[2] = True
                if (fail or updated[file]) and status < US_QUESTION:
                    if update_status[file] not in (US_SUCCESS, US_NONE):
                        status = update_status[file]
                        stop = self.question_flag and not self.keep_going and not rebuilding
                    else:
                        mtime = self.file_mtime(file, not rebuilding)
                        if (updated[file] and g[2]
                                and mtime != self.mtime_before_update[file]):
                            if not rebuilding or (not self.just_print_flag
                                                  and not self.question_flag):
                                status = US_SUCCESS
                            if rebuilding and self.dontcare[file]:
                                stop = True
                any_not_updated = not updated[file]
                self._touch(file)
                self.dontcare[file] = False
                if stop or not any_not_updated:
                    if (not rebuilding and update_status[file] == US_SUCCESS and not g[2]
                            and not self.silent and not self.question_flag):
                        if self.phony[file] or self.cmds[file] is None:
                            self.out(f"{self.prog}: Nothing to be done for "
                                     f"'{self.names[file]}'.\n")
                        else:
                            self.out(f"{self.prog}: '{self.names[file]}' is up to date.\n")
                    del goals[gi]
                    if stop:
                        break
                else:
                    gi += 1
            if gi >= len(goals):
                self.pass_no += 1
                if goals and not self.children and progress == (
                        len(goals), self.finished_count, self.commands_started,
                        len(self.sim.output)):
                    raise LoopsForever([self.names[g[0]] for g in goals])
        return status

    def _makefile_up_to_date(self, g: list) -> bool:
        """A goal of the makefile pass (remake_makefiles: G is [entry, flags, changed,
        ...]) that is a plain entry (freeze.py _plain: no prerequisites, no recipe, none
        to find) met for the first time and found to exist: what the loop above,
        update_file and update_file_1 do to it, at once (kbuild's ~7 makefiles and .cmd
        files a make reads are each such a goal). They record it up to date and done
        and leave no message; the goal leaves the chain. False (nothing done) for any
        other goal."""
        file = g[0]
        mtime = self.last_mtime[file]
        if (not self.plain[file] or mtime == UNKNOWN or mtime == NONEXISTENT or g[2]
                or self.considered[file] == self.pass_no or self.updated[file]
                or self.command_state[file] != CS_NOT_STARTED
                or self.update_status[file] != US_NONE or self.nesting[file]):
            return False
        self.goal_dep = g
        if self.in_run[file]:
            self.run_epoch += 1
        self.considered[file] = self.pass_no
        self.no_diag[file] = bool(g[1] & 2)  # (the goal's dontcare, for its update)
        self.dontcare[file] = False  # (as the loop leaves it)
        self._finish_plain(file, mtime)
        return True

    def _finish_plain(self, f: int, mtime: int) -> None:
        """What update_file_1 and notice_finished_file leave on a plain entry (freeze.py
        _plain) that exists at MTIME: no rule to find, nothing to walk, finished with
        success, recorded up to date. (_settle_leaves's loop does the same inline.)"""
        self.tried_implicit[f] = True
        self.dep_changed[f] = _NO_CHANGES
        self.command_state[f] = CS_FINISHED  # notice_finished_file
        self.updated[f] = True
        if self.mtime_before_update[f] == UNKNOWN:
            self.mtime_before_update[f] = mtime
        self.update_status[f] = US_SUCCESS
        self.finished_count += 1
        if self.record:
            self.record_decision(f, False, "up-to-date", mtime, [None, None, UNKNOWN, None],
                                 [], None, UNKNOWN)

    # ------------------------------------------------------------ update_file
    def update_file(self, f: int, depth: int) -> int:
        if self.considered[f] == self.pass_no:
            if not (self.updated[f] and self.update_status[f] > US_NONE
                    and not self.dontcare[f] and self.no_diag[f]):
                return self.update_status[f] if self.command_state[f] == CS_FINISHED \
                    else US_SUCCESS
        if self.in_run[f]:
            self.run_epoch += 1
        self.considered[f] = self.pass_no
        nesting = self.nesting
        if nesting[f]:
            self.reentered = self.names[f]
            if nesting[f] >= MAX_REENTRY:
                raise StackOverflow(self.names[f])
        nesting[f] += 1
        try:
            new = self.update_file_1(f, depth)
        finally:
            nesting[f] -= 1
        if new and not self.keep_going:
            return new
        if self.command_state[f] in (CS_RUNNING, CS_DEPS_RUNNING):
            return US_SUCCESS
        return new

    def complain(self, file: int) -> None:
        for d in self.deps[file]:
            if self.updated[d] and self.update_status[d] > US_NONE and self.no_diag[file]:
                self.complain(d)
                return
        self.show_goal_error()
        name = self.names[file]
        p = self.parent_of(file)
        if p is not None:
            msg = f"No rule to make target '{name}', needed by '{self.names[p]}'"
        else:
            msg = f"No rule to make target '{name}'"
        self.record_error("no-rule", name, self.names[p] if p is not None else None)
        if not self.keep_going:
            self.fatal(msg)
        self.err(f"{self.prog}: *** {msg}.")
        self._touch(file)
        self.no_diag[file] = False

    # ------------------------------------------------------------ update_file_1
    def update_file_1(self, file: int, depth: int) -> int:
        updated = self.updated
        update_status = self.update_status
        command_state = self.command_state
        if updated[file]:
            if update_status[file] > US_NONE:
                if self.no_diag[file] and not self.dontcare[file]:
                    self.complain(file)
                return update_status[file]
            return US_SUCCESS
        cs = command_state[file]
        if cs == CS_RUNNING:
            return US_SUCCESS
        if cs == CS_FINISHED:
            return update_status[file]
        if self.in_run[file]:
            self.run_epoch += 1
        self.no_diag[file] = self.dontcare[file]
        depth += 1
        updating = self.updating
        updating[file] = True  # start_updating
        this_mtime = self.file_mtime(file)
        noexist = this_mtime == NONEXISTENT
        must_make = noexist
        culprit: list = [None, "target-missing" if noexist else None, UNKNOWN, None]
        if not self.phony[file] and self.cmds[file] is None and not self.tried_implicit[file]:
            self.try_implicit_rule(file, depth)
            self.tried_implicit[file] = True
        running = False
        dep_status = US_SUCCESS
        keep_going = self.keep_going
        deps = self.deps[file]
        if deps:
            changed_flags = self.chg[file]
            if changed_flags is None:
                changed_flags = self.chg[file] = [False] * len(deps)
            elif len(changed_flags) < len(deps):
                changed_flags.extend([False] * (len(deps) - len(changed_flags)))
        else:
            changed_flags = self.chg[file]
        considered = self.considered
        pass_no = self.pass_no
        rebuilding = self.rebuilding_makefiles
        last_mtime = self.last_mtime
        phony = self.phony
        intermediate = self.intermediate
        dontcare = self.dontcare
        parent = self.parent
        in_run = self.in_run
        oo = self.oo[file]
        idx = 0
        whole = False
        run = (self._settled_run(deps, pass_no)
               if len(deps) >= MEMO_MIN and oo is None and not rebuilding else None)
        if run is not None:
            # the loop below over DEPS, every one taking the inline check_dep, at once
            n = len(deps)
            end = n if keep_going or run.fail_at == n else run.fail_at + 1
            self._bulk_parent(deps, end, file)  # (parent[d] = file for DEPS[:END])
            mts = run.mtimes
            if not must_make and (run.top > this_mtime or NONEXISTENT in mts):
                for j in range(end):
                    dm = mts[j]
                    if dm == NONEXISTENT or dm > this_mtime:
                        if culprit[1] is None:
                            self._blame(culprit, deps[j], dm)
                        must_make = True
                        break
            running = run.first_running < end
            if keep_going:
                dep_status = run.max_status
            elif run.fail_at < n:
                dep_status = run.fail_status
            k = min(run.first_running, end if run.fail_at == n or keep_going else run.fail_at)
            if k:
                changed_flags[:k] = run.flags[:k] if k < n else run.flags
            whole = k == n  # (changed_flags[:n] is run.flags, until something changes it)
            idx = n  # (done, or stopped at the failure as the loop would)
        plain = self.plain
        while idx < len(deps):
            d = deps[idx]
            if not rebuilding:
                # runs of entries met for the first time / finished already, at once
                if plain[d] and considered[d] != pass_no and not updated[d]:
                    j, must_make = self._settle_leaves(file, deps, idx, this_mtime, must_make,
                                                       culprit, running, changed_flags, oo)
                elif (command_state[d] == CS_FINISHED and not update_status[d]
                        and (considered[d] == pass_no or updated[d])):
                    j, must_make = self._settled_again(file, deps, idx, this_mtime,
                                                       must_make, culprit, running,
                                                       changed_flags, oo)
                else:
                    j = idx
                if j != idx:
                    idx = j
                    continue
            mtime = last_mtime[d]
            if mtime == UNKNOWN:
                mtime = self.f_mtime(d)
            if updating[d]:  # is_updating
                self.err(f"{self.prog}: Circular {self.names[file]} <- {self.names[d]} "
                         f"dependency dropped.")
                deps = self.deps[file] = [x for k, x in enumerate(deps) if k != idx]
                if oo is not None:
                    oo = self.oo[file] = tuple(x for k, x in enumerate(oo) if k != idx)
                continue
            if in_run[d] and self.parent_due is not None:
                self.flush_parent()
            parent[d] = file
            ignore = oo is not None and oo[idx]
            if (considered[d] == pass_no and not rebuilding
                    and (phony[d] or not intermediate[d])
                    and not (updated[d] and update_status[d] > US_NONE and not dontcare[d]
                             and self.no_diag[d])):
                # check_dep inline (remake.py update_file_1's same branch)
                cs = command_state[d]
                new = update_status[d] if cs == CS_FINISHED else US_SUCCESS
                dm = last_mtime[d]
                if dm == UNKNOWN:
                    dm = self.f_mtime(d)
                if not ignore and (dm == NONEXISTENT or dm > this_mtime):
                    if not must_make and culprit[1] is None:
                        self._blame(culprit, d, dm)
                    must_make = True
                if cs == CS_RUNNING or cs == CS_DEPS_RUNNING:
                    running = True
            else:
                saved = dontcare[d]
                if rebuilding:
                    self._touch(d)
                    dontcare[d] = dontcare[file]
                new, maybe_make = self.check_dep(d, depth, this_mtime, must_make,
                                                 None if ignore else culprit)
                if rebuilding:
                    dontcare[d] = saved
                if not ignore:
                    must_make = maybe_make
                cs = command_state[d]
                if cs == CS_RUNNING or cs == CS_DEPS_RUNNING:
                    running = True
            if new > dep_status:
                dep_status = new
            if dep_status and not keep_going:
                break
            if not running:
                after = last_mtime[d]
                if after == UNKNOWN:
                    after = self.f_mtime(d)
                changed_flags[idx] = after != mtime or mtime == NONEXISTENT
            idx += 1
        # second pass: the intermediate prerequisites, only if we must remake (none
        # when no entry of this process was ever intermediate)
        if must_make and self.had_intermediate and (
                run.any_intermediate if run is not None
                else True in map(intermediate.__getitem__, self.deps[file])):
            deps = self.deps[file]
            whole = False
            for idx, d in enumerate(deps):
                if not intermediate[d]:
                    continue
                mtime = self.file_mtime(d)
                if in_run[d] and self.parent_due is not None:
                    self.flush_parent()
                parent[d] = file
                self._touch(d)
                if rebuilding:
                    saved = dontcare[d]
                    dontcare[d] = dontcare[file]
                if updated[d] and not self.nesting[d] and update_status[d] <= US_NONE:
                    # (update_file, then update_file_1's first test: done already)
                    considered[d] = pass_no
                    new = US_SUCCESS
                else:
                    considered[d] = 0
                    new = self.update_file(d, depth)
                if rebuilding:
                    dontcare[d] = saved
                if new > dep_status:
                    dep_status = new
                cs = command_state[d]
                if cs == CS_RUNNING or cs == CS_DEPS_RUNNING:
                    running = True
                if dep_status and not keep_going:
                    break
                if not running:
                    changed_flags[idx] = ((self.phony[file] and self.cmds[file] is not None)
                                          or self.file_mtime(d) != mtime)
        updating[file] = False  # finish_updating
        if running:
            self.set_command_state(file, CS_DEPS_RUNNING)
            return US_SUCCESS
        if dep_status:
            update_status[file] = US_FAILED if dep_status == US_NONE else dep_status
            self.notice_finished_file(file)
            if depth == 1 and keep_going and not self.just_print_flag \
                    and not self.question_flag:
                self.err(f"{self.prog}: Target '{self.names[file]}' not remade because of "
                         f"errors.")
            self.record_decision(file, False, "prereq-failed", this_mtime, culprit, [], None,
                                 UNKNOWN)
            return dep_status
        if command_state[file] == CS_DEPS_RUNNING:
            self.set_command_state(file, CS_NOT_STARTED)
        # which prerequisites are newer (for $?); the 'missing non-intermediate' rule
        deps_changed = False
        deps = self.deps[file]
        oo = self.oo[file]
        missing: list[str] = []
        changed_list = []
        newest = None
        newest_mtime = UNKNOWN
        names = self.names
        n = len(deps)
        if run is not None and run.deps is deps and run.epoch == self.run_epoch:
            mtimes = run.mtimes  # (no member has changed since the run was made)
        else:
            run = None
            mtimes = list(map(last_mtime.__getitem__, deps)) if n and oo is None else None
        if mtimes is not None and UNKNOWN not in mtimes:
            # the loop below, mostly in C, when every prerequisite is normal and its mtime
            # known (the reference's same shortcut): the missing ones in order, the newest
            # is the first of the largest mtime, each flag is ch or noexist or newer
            if NONEXISTENT in mtimes:
                if run is not None:
                    miss = run.missing
                    if miss is None:
                        miss = run.missing = _missing(deps, mtimes, intermediate)
                else:
                    miss = _missing(deps, mtimes, intermediate)
                if miss:
                    if not must_make and culprit[1] is None:
                        culprit[0], culprit[1], culprit[2] = (names[miss[0]], "prereq-missing",
                                                              NONEXISTENT)
                    must_make = True
                    if self.record:
                        missing = [names[d] for d in miss]
            if whole and run is not None:
                changed_list = run.flags  # (its copy: never changed, as dep_changed lists)
                deps_changed = run.any_flag
            else:
                changed_list = changed_flags[:n]
                deps_changed = True in changed_list
            if run is not None:
                top = run.top
                if top != NONEXISTENT:
                    at = run.newest_at
                    if at is None:
                        at = run.newest_at = mtimes.index(top)
                    newest, newest_mtime = names[deps[at]], top
            else:
                top = max(mtimes)
                if top != NONEXISTENT:
                    newest, newest_mtime = names[deps[mtimes.index(top)]], top
            if noexist:
                changed_list = [True] * n
            elif top > this_mtime:
                # [ch or m > this_mtime for ch, m in zip(changed_list, mtimes)], in C (the
                # flags are bools)
                newer = map(this_mtime.__lt__, mtimes)
                changed_list = (list(map(or_, changed_list, newer)) if deps_changed
                                else list(newer))
            deps = ()  # (done)
        for idx, d in enumerate(deps):
            d_mtime = last_mtime[d]
            if d_mtime == UNKNOWN:
                d_mtime = self.f_mtime(d)
            ch = changed_flags[idx]
            if oo is None or not oo[idx]:
                if d_mtime == NONEXISTENT and not intermediate[d]:
                    if not must_make and culprit[1] is None:
                        culprit[0], culprit[1], culprit[2] = names[d], "prereq-missing", d_mtime
                    must_make = True
                    missing.append(names[d])
                if ch:
                    deps_changed = True
                if d_mtime != NONEXISTENT and (newest is None or d_mtime > newest_mtime):
                    newest, newest_mtime = names[d], d_mtime
            changed_list.append(ch or noexist or d_mtime > this_mtime)
        self.dep_changed[file] = changed_list
        depth -= 1
        kind = culprit[1] if must_make else "up-to-date"
        cmds = self.cmds[file]
        if not noexist and self.is_target[file] and not deps_changed and cmds is None:
            if must_make:
                kind = "no-recipe-no-change"
            must_make = False
        if self.phony[file] and must_make:
            kind = "phony"
        if not must_make:
            self.notice_finished_file(file)
            self.record_decision(file, False, kind, this_mtime, culprit, changed_list, newest,
                                 newest_mtime)
            return US_SUCCESS
        self.record_decision(file, True, kind or "unknown", this_mtime, culprit, changed_list,
                             newest, newest_mtime, missing)
        self.remake_file(file)
        if command_state[file] != CS_FINISHED:
            return US_SUCCESS
        updated[file] = True
        return update_status[file]

    def _settle_leaves(self, file: int, deps, idx: int, this_mtime: int, must_make: bool,
                       culprit: list, running: bool, changed_flags, oo) -> tuple[int, bool]:
        """update_file_1's loop from IDX over the plain entries (freeze.py _plain) that
        this process has not met yet and that exist: for each, what check_dep ->
        update_file -> update_file_1 do to it (the reference's _settle_leaves: stat, no
        rule found, nothing to walk, finished with success, recorded up to date), and the
        comparison of its mtime with the target's. Returns where it stopped (at the first
        other one, already stat'ed when it is a missing plain file) and must_make."""
        plain = self.plain
        considered, updated = self.considered, self.updated
        last_mtime, intermediate = self.last_mtime, self.intermediate
        parent, no_diag, dontcare = self.parent, self.no_diag, self.dontcare
        tried, dep_changed = self.tried_implicit, self.dep_changed
        command_state, update_status = self.command_state, self.update_status
        before, in_run = self.mtime_before_update, self.in_run
        pass_no = self.pass_no
        record = self.record
        # f_mtime, its usual case inline: no trace, a time in range and not in the future
        stat = None if self.trace_stats else self.fs.mtime
        names, cwd = self.names, self.cwd
        n = len(deps)
        while idx < n:
            d = deps[idx]
            if not plain[d] or considered[d] == pass_no or updated[d]:
                break
            mtime = last_mtime[d]
            if mtime == UNKNOWN:
                if stat is None:
                    mtime = self.f_mtime(d)
                else:
                    if in_run[d]:
                        self.run_epoch += 1
                    name = names[d]
                    ns = stat(name, cwd)
                    if (ns is None or ns < 0 or ns > MAX_NS
                            or (not self.clock_skew_detected
                                and ns + ORDINARY_MIN > self.adjusted_now)):
                        mtime = self._stat_seen(d, name, ns)
                    else:
                        mtime = last_mtime[d] = ns + ORDINARY_MIN
                        if command_state[d] == CS_NOT_STARTED and not tried[d] \
                                and intermediate[d]:
                            intermediate[d] = False
            if mtime == NONEXISTENT or intermediate[d]:
                break
            if in_run[d]:
                self.run_epoch += 1
                if self.parent_due is not None:
                    self.flush_parent()
            parent[d] = file
            considered[d] = pass_no
            no_diag[d] = dontcare[d]
            # (self._finish_plain(d, mtime), inline: this loop takes ~1,000 headers an object)
            tried[d] = True
            dep_changed[d] = _NO_CHANGES
            command_state[d] = CS_FINISHED
            updated[d] = True
            if before[d] == UNKNOWN:
                before[d] = mtime
            update_status[d] = US_SUCCESS
            self.finished_count += 1
            if record:
                self.record_decision(d, False, "up-to-date", mtime,
                                     [None, None, UNKNOWN, None], [], None, UNKNOWN)
            if mtime > this_mtime and (oo is None or not oo[idx]):
                if not must_make and culprit[1] is None:
                    self._blame(culprit, d, mtime)
                must_make = True
            if not running:
                changed_flags[idx] = False
            idx += 1
        return idx, must_make

    def _settled_again(self, file: int, deps, idx: int, this_mtime: int, must_make: bool,
                       culprit: list, running: bool, changed_flags, oo) -> tuple[int, bool]:
        """update_file_1's loop from IDX over the entries finished with success, in this
        pass (a header that an earlier object of the directory named first) or in an
        earlier one (updated: the top-level make's walk again after each child): the
        inline check_dep each of them takes, which only links the parent, compares the
        mtime with the target's (a missing one, kbuild's FORCE, is always newer), and
        sets the 'changed' flag only for a missing one (nothing ran, and the mtime is the
        one read before, or read now if a recipe ran: the loop's first step). For one
        updated in an earlier pass, check_dep's update_file marks it considered and
        update_file_1 returns at once (remake.c: 'file->updated'), so that is all it does
        here too. Stops at the first other entry (one being updated or re-entered,
        intermediate, or of another state: the loop's general case). A kernel tree's
        objects share most of their headers (~1,000 each in 6.1), so this is most of
        the prerequisites a directory's make walks."""
        considered, command_state = self.considered, self.command_state
        update_status, updating = self.update_status, self.updating
        intermediate, phony = self.intermediate, self.phony
        last_mtime, parent, in_run = self.last_mtime, self.parent, self.in_run
        updated, nesting = self.updated, self.nesting
        pass_no = self.pass_no
        n = len(deps)
        while idx < n:
            d = deps[idx]
            if (command_state[d] != CS_FINISHED or update_status[d] or updating[d]
                    or (intermediate[d] and not phony[d])):
                break
            mtime = last_mtime[d]
            if mtime == UNKNOWN:  # (remade: stat'ed again, as the loop does first)
                mtime = self.f_mtime(d)
            if considered[d] != pass_no:
                if not updated[d] or nesting[d]:
                    break
                if in_run[d]:  # (update_file's own steps before update_file_1)
                    self.run_epoch += 1
                considered[d] = pass_no
            if in_run[d] and self.parent_due is not None:
                self.flush_parent()
            parent[d] = file
            if (mtime > this_mtime or mtime == NONEXISTENT) and (oo is None or not oo[idx]):
                if not must_make and culprit[1] is None:
                    self._blame(culprit, d, mtime)
                must_make = True
            if not running:
                changed_flags[idx] = mtime == NONEXISTENT
            idx += 1
        return idx, must_make

    # ------------------------------------------------------------ check_dep
    def check_dep(self, file: int, depth: int, this_mtime: int, must_make: bool,
                  culprit: list | None) -> tuple[int, bool]:
        """remake.c check_dep; returns (status, must_make)."""
        depth += 1
        updating = self.updating
        updating[file] = True  # start_updating
        dep_status = US_SUCCESS
        if self.phony[file] or not self.intermediate[file]:
            dep_status = self.update_file(file, depth)
            mtime = self.last_mtime[file]
            if mtime == UNKNOWN:
                mtime = self.f_mtime(file)
            if mtime == NONEXISTENT or mtime > this_mtime:
                if not must_make and culprit is not None and culprit[1] is None:
                    self._blame(culprit, file, mtime)
                must_make = True
        else:
            if (not self.phony[file] and self.cmds[file] is None
                    and not self.tried_implicit[file]):
                self.try_implicit_rule(file, depth)
                self.tried_implicit[file] = True
            mtime = self.file_mtime(file)
            if mtime != NONEXISTENT and mtime > this_mtime:
                if not must_make and culprit is not None and culprit[1] is None:
                    culprit[0], culprit[1], culprit[2] = self.names[file], "prereq-newer", mtime
                must_make = True
            else:
                deps_running = False
                command_state = self.command_state
                if command_state[file] != CS_RUNNING:
                    if command_state[file] == CS_DEPS_RUNNING:
                        self._touch(file)
                        self.considered[file] = 0
                    self.set_command_state(file, CS_NOT_STARTED)
                deps = self.deps[file]
                oo = self.oo[file]
                idx = 0
                while idx < len(deps):
                    d = deps[idx]
                    if updating[d]:  # is_updating
                        self.err(f"{self.prog}: Circular {self.names[file]} <- "
                                 f"{self.names[d]} dependency dropped.")
                        deps = self.deps[file] = [x for k, x in enumerate(deps) if k != idx]
                        if oo is not None:
                            oo = self.oo[file] = tuple(x for k, x in enumerate(oo) if k != idx)
                        continue
                    if self.in_run[d] and self.parent_due is not None:
                        self.flush_parent()
                    self.parent[d] = file
                    ignore = oo is not None and oo[idx]
                    before = must_make
                    new, maybe = self.check_dep(d, depth, this_mtime, must_make,
                                                None if ignore else culprit)
                    if new > dep_status:
                        dep_status = new
                    if not ignore:
                        must_make = maybe
                        if maybe and not before and culprit is not None and culprit[3] is None:
                            culprit[3] = self.names[file]
                    if dep_status and not self.keep_going:
                        break
                    if command_state[d] in (CS_RUNNING, CS_DEPS_RUNNING):
                        deps_running = True
                    idx += 1
                if deps_running:
                    self.set_command_state(file, CS_DEPS_RUNNING)
        updating[file] = False  # finish_updating
        return dep_status, must_make

    # ------------------------------------------------------------ finishing
    def notice_finished_file(self, file: int) -> None:
        if self.in_run[file]:
            self.run_epoch += 1
        self.finished_count += 1
        ran = self.command_state[file] == CS_RUNNING
        self.command_state[file] = CS_FINISHED
        self.updated[file] = True
        if self.mtime_before_update[file] == UNKNOWN:
            self.mtime_before_update[file] = self.last_mtime[file]
        if ran and not self.phony[file]:
            i = 0
            if self.is_target[file] and self.cmds[file] is None:
                i = 1
            self.last_mtime[file] = UNKNOWN if i == 0 else NEW
        if ran and self.update_status[file] != US_NONE:
            pass  # (the reference gives the status to the also_make siblings: none here)
        elif self.update_status[file] == US_NONE:
            self.update_status[file] = US_SUCCESS

    def remake_file(self, file: int) -> None:
        if self.cmds[file] is None:
            if self.phony[file] or self.is_target[file]:
                self.update_status[file] = US_SUCCESS
            else:
                if not self.rebuilding_makefiles or not self.dontcare[file]:
                    self.complain(file)
                self.update_status[file] = US_FAILED
        else:
            self.execute_file_commands(file)
            return
        self.notice_finished_file(file)

    def set_command_state(self, file: int, state: int) -> None:
        if self.in_run[file]:
            self.run_epoch += 1
        self.command_state[file] = state

    # ------------------------------------------------------------ decisions
    def record_decision(self, file: int, remade: bool, kind: str | None, this_mtime: int,
                        culprit: list, changed: list, newest, newest_mtime,
                        missing: list | None = None) -> None:
        """remake.py Remake.record_decision (no .LOW_RESOLUTION_TIME here)."""
        if not self.record:
            return
        dc = Decision(self.names[file], remade, kind or "up-to-date", this_mtime)
        if culprit[0] is not None:
            dc.prereq = culprit[0]
            dc.prereq_mtime = culprit[2]
            dc.via = culprit[3]
        oo = self.oo[file]
        dc.newer = [self.names[d] for i, d in enumerate(self.deps[file])
                    if i < len(changed) and changed[i] and not (oo is not None and oo[i])]
        dc.newest = newest
        dc.newest_mtime = newest_mtime
        dc.pid = self.pid
        dc.time_ns = self.clock.now
        dc.has_recipe = self.cmds[file] is not None
        dc.missing = missing or []
        self.decisions.append(dc)
        if self.sim.on_decision is not None:
            self.sim.on_decision(self, dc)

    def _blame(self, culprit: list, dep: int, mtime: int) -> None:
        """remake.py _blame."""
        culprit[0] = self.names[dep]
        culprit[2] = mtime
        if self.phony[dep]:
            culprit[1] = "prereq-phony"
        elif mtime == NONEXISTENT:
            culprit[1] = "prereq-missing"
        elif mtime >= NEW:
            culprit[1] = "prereq-new"
        else:
            culprit[1] = "prereq-newer"
