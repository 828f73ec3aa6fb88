"""The reference's jobs (kbsim/make/process.py, GNU make 4.3 job.c) on the Plan's entries.

new_job, start_job_command, reap_children and their helpers, as MakeProcess has them, for
a file that is an entry number. Recipe lines are expanded by the reference's Expander over
the Plan's variables (freeze made sure no line reaches $(eval)) and run by the
simulation's shell, so the commands, their timing and their output are the reference's.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from types import GeneratorType
from itertools import compress

from ..fs import FsError
from ..make.filedb import CS_NOT_STARTED, CS_RUNNING, UNKNOWN, US_FAILED, \
    US_QUESTION, US_SUCCESS
from ..make.process import Child, _collapse_in_references, _split_command_lines
from ..make.shell import set_recipe_shell
from ..make.remake import MakeFatal, StackOverflow
from ..make.shell import IO, Command, ShellContext, _cannot_create, _Exit, cmd_echo
from .recipe import LISTED, program as recipe_program, run as run_program, run_words, \
    words_program

# A recipe line of plain words (no quoting, expansion, globbing, redirection, operator,
# comment or assignment): the shell would run it as one command with these words.
_PLAIN_LINE = re.compile(r"[A-Za-z0-9_./:,+%@-]+(?: +[A-Za-z0-9_./:,+%@-]+)*\Z")
_PLAIN_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:,+%@- "
_NO_REDIRECTIONS = Command()


def _plain_line(line: str) -> bool:
    """_PLAIN_LINE.match(LINE), ~6 times faster on a compile's long line: ASCII, only
    those characters and blanks, not starting or ending with a blank."""
    return (line.isascii() and line != "" and line[0] != " " and line[-1] != " "
            and not line.encode().translate(None, _PLAIN_BYTES))


class RecipeLines:
    """A recipe's lines as new_job runs them in the processes of one Plan (made once,
    kept in the plan's recipe_lines under the Recipe): each line's text with its
    references' backslash-newlines collapsed, its program (None: the Expander expands
    it) and words program (recipe.py), and which LISTED automatic variables the lines
    need as text, given their words lists (JOINS_WORDS) or not (JOINS)."""

    __slots__ = ("texts", "progs", "wprogs", "joins", "joins_words", "last_floc")

    def __init__(self, exp, variables: dict, programs: dict, cmds) -> None:
        texts = []
        progs = []
        for raw in cmds.lines:
            if "\\\n" in raw and "$" in raw:
                raw = _collapse_in_references(raw)
            # (a line that is pure is expanded by the plan's program for it: recipe.py)
            prog = programs.get(raw, False)
            if prog is False:
                prog = programs[raw] = recipe_program(exp, variables, raw)
            texts.append(raw)
            progs.append(prog)
        self.texts = tuple(texts)
        self.progs = tuple(progs)
        self.wprogs = tuple(None if p is None else words_program(p) for p in progs)
        self.joins = joins = frozenset().union(*map(_automatic, progs))
        self.joins_words = frozenset().union(*(
            _automatic(p) if w is None else {op[1] for op in w if op[0] == "a"} & LISTED
            for p, w in zip(progs, self.wprogs)))
        # (the Expander's floc after the lines, when the last one is not its to expand)
        self.last_floc = (cmds.filename, cmds.lineno + len(texts) - 1) if progs and \
            progs[-1] is not None else None


def _automatic(prog) -> frozenset[str]:
    """The LISTED automatic variables a program refers to (all of them for None: the
    Expander can reach any)."""
    if prog is None:
        return LISTED
    out: set[str] = set()
    todo = [prog]
    while todo:
        for p in todo.pop():  # (a program's parts: text, ("a", name), ("f", fn, args))
            if p.__class__ is str:
                continue
            if p[0] == "a":
                out.add(p[1])
            else:
                todo += [a for a in p[2] if a.__class__ is tuple]
    return frozenset(out & LISTED)


class PlanChild(Child):
    """A job of a PlanProcess: WORDS, each line's words when run_words gave them."""

    __slots__ = ("words",)


def _words_after(line: str, i: int, words: list[str]) -> list[str]:
    """LINE[I:].split(), made of WORDS, LINE.split() (a list of its own, which this
    changes): I is the number of prefix characters ('@', '+', '-', blanks)
    start_job_command took off its start."""
    lead = line[:i].split()
    m = len(lead)
    if m:
        # (the prefix's last word starts the line's word m - 1: what is left of that
        # word, if anything, then the words after it)
        rest = words[m - 1][len(lead[-1]):]
        if rest:
            del words[:m - 1]
            words[0] = rest
        else:
            del words[:m]
    return words


class PlanJobs:
    """Mixin for PlanProcess."""

    def execute_file_commands(self, file: int) -> None:
        """MakeProcess.execute_file_commands (no target variables: scope is None)."""
        cmds = self.cmds[file]
        if cmds.is_empty():
            self.set_command_state(file, CS_RUNNING)
            self.update_status[file] = US_SUCCESS
            self.notice_finished_file(file)
            return
        # variable.c initialize_file_variables walks the 'parent' links: a loop there
        # is a crash in GNU make 4.3 (targetvars.parent_walk)
        seen: dict[int, int] = {}
        walk: list[int] = []
        if self.parent_due is not None:
            self.flush_parent()
        f = file
        while f is not None:
            if f in seen:
                loop = [self.names[g] for g in walk[seen[f]:]] + [self.names[f]]
                self.crash_reason = (
                    f"recurses without end in initialize_file_variables: the 'parent' links "
                    f"from '{self.names[file]}' loop ({' <- '.join(loop)})")
                raise StackOverflow(self.names[file])
            seen[f] = len(walk)
            walk.append(f)
            f = self.parent[f]
        self.new_job(file)

    def new_job(self, file: int) -> None:
        """job.c new_job (MakeProcess.new_job)."""
        self.start_waiting_jobs()
        if self.dead:  # (reap_children(False) returns at once when no child has ended)
            self.reap_children(False)
        cmds = self.cmds[file]
        exp = self.expander
        plan = self.plan
        rl = plan.recipe_lines.get(cmds)
        if rl is None:
            rl = plan.recipe_lines[cmds] = RecipeLines(exp, self.variables,
                                                       plan.line_programs, cmds)
        words_ok = self.one_word_names
        auto, lists = self.set_file_variables(file, rl.joins_words if words_ok else rl.joins)
        exp.auto = auto
        exp.scope = None
        lines = []
        words: list | None = [] if words_ok else None
        try:
            for k, prog in enumerate(rl.progs):
                if prog is None:
                    exp.floc = (cmds.filename, cmds.lineno + k)
                    lines.append(exp.expand(rl.texts[k]))
                    r = None
                else:
                    wprog = rl.wprogs[k] if words_ok else None
                    if wprog is None:
                        lines.append(run_program(prog, auto, exp))
                        r = None
                    else:
                        r = run_words(wprog, auto, lists)
                        lines.append(r[0])
                if words is not None:
                    words.append(None if r is None else r[1])
            if rl.last_floc is not None:  # (where a line's expansion left it)
                exp.floc = rl.last_floc
        finally:
            exp.auto = None
        origin = None
        if "\n" in "".join(lines):
            words = None  # (its lines are cut at the newlines below)
            prefix = cmds.prefix
            if any("\n" + prefix in ln for ln in lines):
                # (a recipe prefix after a backslash-newline is dropped: MakeProcess.new_job)
                lines = [ln.replace("\n" + prefix, "\n") for ln in lines]
            lines, origin = _split_command_lines(lines)
        c = PlanChild(self, file, lines, origin)
        c.words = words
        if self.job_slots == 1 or self.not_parallel:
            while len(self.children) >= 1:
                self.reap_children(True)
        elif self.job_slots == 0:
            js = self.jobserver
            while True:
                if self.jobserver_tokens == 0:
                    break
                self.reap_children(False)
                if self.jobserver_tokens == 0:
                    break
                if js.try_acquire(self):
                    break
                self.wait("token")
        elif self.job_slots is not None:
            while len(self.children) >= self.job_slots:
                self.reap_children(True)
        self.jobserver_tokens += 1
        self.start_job_command(c)
        st = self.command_state[file]
        if st == CS_RUNNING:
            self.children.append(c)
        else:
            if st == CS_NOT_STARTED:
                self.update_status[file] = US_SUCCESS
            self.notice_finished_file(file)
            self.free_child(c)
        if self.job_slots == 1 or self.not_parallel:
            while self.command_state[file] == CS_RUNNING:
                self.reap_children(True)

    def set_file_variables(self, file: int, joins: frozenset[str]) -> tuple[dict, dict]:
        """commands.c set_file_variables (MakeProcess.set_file_variables): the automatic
        variables, with only the LISTED ones in JOINS (recipe.py) as text, and the words
        of the LISTED ones (names: recipe.run_words takes them when each is one word)."""
        names = self.names
        deps = self.deps[file]
        oo = self.oo[file]
        changed = self.dep_changed[file] or []
        if oo is None:
            # the names as lists (never changed: shared by the jobs of FILE while its
            # prerequisites are the plan's, in the plan's prereq_names)
            plan = self.plan
            mine = file < len(plan.deps) and deps is plan.deps[file]
            known = plan.prereq_names.get(file) if mine else None
            if known is not None:
                dn, caret, less = known
            else:
                dn = list(map(names.__getitem__, deps))
                less = next(filter(None, dn), "")
                # (no name twice, one entry a name: $^ is $+)
                caret = dn if len(set(deps)) == len(deps) else list(dict.fromkeys(dn))
                if mine:
                    plan.prereq_names[file] = (dn, caret, less)
            if caret is dn:
                newer = list(compress(dn, changed)) if True in changed else []
            else:
                if True in changed:
                    first = dict(zip(reversed(dn), range(len(dn) - 1, -1, -1)))
                    nch = len(changed)
                    newer = [n for n in caret if first[n] < nch and changed[first[n]]]
                else:
                    newer = []
            lists = {"^": caret, "+": dn, "?": newer, "|": []}
        else:
            less = ""
            plus = []
            for i, d in enumerate(deps):
                if not oo[i]:
                    if not less:
                        less = names[d]
                    plus.append(names[d])
            first: dict[str, int] = {}
            new_oo = list(oo)
            for i, d in enumerate(deps):
                j = first.setdefault(names[d], i)
                if j != i and new_oo[i] != new_oo[j]:
                    new_oo[i] = new_oo[j] = False
            if new_oo != list(oo):
                self.oo[file] = tuple(new_oo)  # (a lasting change to the target's deps)
            caret = []
            qmark = []
            bar = []
            for i, d in enumerate(deps):
                n = names[d]
                if first[n] != i:
                    continue
                if new_oo[i]:
                    bar.append(n)
                else:
                    caret.append(n)
                    if i < len(changed) and changed[i]:
                        qmark.append(n)
            lists = {"^": caret, "+": plus, "?": qmark, "|": bar}
        auto = {"@": names[file], "<": less, "*": self.stem_of(file), "%": ""}
        for k in joins:
            auto[k] = " ".join(lists[k])
        return auto, lists

    default_shell: bool | None = None  # SHELL and .SHELLFLAGS are /bin/sh -c (run_line)

    def start_job_command(self, c: Child) -> None:
        """job.c start_job_command (MakeProcess.start_job_command, no .ONESHELL)."""
        file = c.file
        cmds = self.cmds[file]
        while True:
            if c.idx >= len(c.lines):
                self.set_command_state(file, CS_RUNNING)
                self.update_status[file] = US_SUCCESS
                self.notice_finished_file(file)
                return
            k = c.idx
            p = c.lines[k]
            w = c.words[k] if c.words is not None else None
            c.idx += 1
            sf = self.silent_files  # (MakeProcess._line_silent)
            silent = sf is True or (sf.__class__ is not bool and self.names[file] in sf)
            igf = self.ignore_files
            noerror = self.ignore_errors or igf is True or (
                not isinstance(igf, bool) and self.names[file] in igf)
            flags = cmds.recurse_flags
            if c.origin is not None:
                k = c.origin[k]
            recurse = flags[k] if k < len(flags) else False
            if c.origin is not None and k < len(cmds.line_prefixes):
                pre = cmds.line_prefixes[k]
                silent |= "@" in pre
                noerror |= "-" in pre
            q = p.lstrip("@+- \t")  # (the line without its prefix characters)
            if len(q) != len(p):
                i = len(p) - len(q)
                head = p[:i]
                if "@" in head:
                    silent = True
                if "+" in head:
                    recurse = True
                if "-" in head:
                    noerror = True
                if w is not None:
                    w = _words_after(p, i, w)
                p = q
            c.noerror = noerror
            c.recursive = recurse
            # (p[0] is no blank now: only a newline or a backslash-newline can start a
            # line of blanks; testing p[0] first spares a scan for the two characters, ~4
            # ns a character in CPython 3.11: a compile's line has ~10,000)
            if not p or (p[0] in "\\\n" and not p.replace("\\\n", "").strip(" \t\n")):
                continue  # (job.c: a line of blanks and backslash-newlines runs nothing)
            if self.just_print_flag or (not silent and not self.silent):
                self.out(p + "\n")
            self.commands_started += 1
            if self.just_print_flag and not recurse:
                continue
            if not self.traced:  # (output_start does nothing once it has)
                self.output_start()
            c.line_text = p
            self.run_line(c, p, w)
            self.set_command_state(file, CS_RUNNING)
            return

    def run_line(self, c: Child, line: str, words: list[str] | None = None) -> None:
        """MakeProcess.run_line (no target variables: SHELL and .SHELLFLAGS as read).
        WORDS: LINE.split(), when new_job had them."""
        ctx = ShellContext(self, self.names[c.file], line)
        ctx.recursive = c.recursive
        default_shell = self.default_shell
        if default_shell is None:  # (the plan's variables do not change: once a process)
            sh = self.variables.get("SHELL")
            fl = self.variables.get(".SHELLFLAGS")
            default_shell = self.default_shell = (
                (sh is None or sh.value == "/bin/sh") and (fl is None or fl.value == "-c"))
        if not default_shell:
            exp = self.expander
            set_recipe_shell(ctx, exp.lookup("SHELL"), exp.lookup(".SHELLFLAGS"))
        c.ctx = ctx
        if self.sim.tracing:
            self.event("run", target=self.names[c.file], line=line)
        shell = self.sim.shell
        handler = None
        if default_shell:
            sp = line.find(" ")
            handler = shell.commands.get(line if sp < 0 else line[:sp])
            if handler is not None and not _plain_line(line):
                handler = None
        if handler is not None and handler is not cmd_echo:
            gen = _plain_command(ctx, line.split() if words is None else words, handler,
                                 self.opts.recipe_ns)
        else:
            gen = shell.run_line(ctx, line, self.opts.recipe_ns)
        self.sim.drive(gen, lambda status: self._line_finished(c, status))

    def _line_finished(self, c: Child, status: int) -> None:
        c.status = status
        self.dead.append(c)
        if self.waiting is not None:
            self.sim.wake(self)

    def free_child(self, c: Child) -> None:
        """job.c free_child: give back the jobserver token this job held."""
        if c in self.children:
            self.children.remove(c)
        if self.jobserver_tokens > 1 and self.job_slots == 0 and self.jobserver is not None:
            self.jobserver.release()
        if self.jobserver_tokens > 0:
            self.jobserver_tokens -= 1

    def reap_children(self, block: bool) -> None:
        """job.c reap_children (MakeProcess.reap_children)."""
        while self.children:
            if not self.dead:
                if not block:
                    return
                self.wait("child")
                continue
            c = self.dead.popleft()
            block = False
            file = c.file
            status = c.status
            failed = 0
            if status != 0:
                failed = 1 if status == 1 and self.question_flag and c.recursive else 2
                if c.noerror:
                    self.child_error(c, status, True)
                    failed = 0
                else:
                    if failed == 2:
                        self.child_error(c, status, False)
                    self.update_status[file] = US_FAILED if failed == 2 else US_QUESTION
                    self.delete_target(c)
            if not failed:
                if c.idx < len(c.lines):
                    self.start_job_command(c)
                    if self.command_state[file] == CS_RUNNING:
                        continue
                else:
                    self.update_status[file] = US_SUCCESS
            self.notice_finished_file(file)
            self.free_child(c)
            if failed and not self.keep_going and not self.dying:
                if self.job_slots != 1:
                    self.say_waiting()
                raise MakeFatal("child failed", status=failed)

    def child_error(self, c: Child, status: int, ignored: bool) -> None:
        cm = self.cmds[c.file]
        k = c.idx - 1 if c.origin is None else c.origin[c.idx - 1]
        nm = f"{cm.filename}:{cm.lineno + k}" if cm.filename else "<builtin>"
        name = self.names[c.file]
        self.record_error("recipe-failed", name)
        if ignored and self.silent:
            return
        self.show_goal_error()
        if ignored:
            self.err(f"{self.prog}: [{nm}: {name}] Error {status} (ignored)")
        else:
            self.err(f"{self.prog}: *** [{nm}: {name}] Error {status}")

    def delete_target(self, c: Child) -> None:
        f = c.file
        if not self.delete_on_error or self.precious[f] or self.phony[f]:
            return
        name = self.names[f]
        st = self.fs.mtime(name, self.cwd)
        if st is None:
            return
        before = self.last_mtime[f]
        if before == UNKNOWN or st + 3 != before:
            if self.fs.remove(name, self.cwd):
                self.err(f"{self.prog}: *** Deleting file '{name}'")


def _plain_command(ctx: ShellContext, argv: list[str], handler, recipe_ns: int) -> Generator:
    """Shell.run_line for a line of plain words naming a command the shell knows (not
    echo, whose flavour depends on the line): the recipe line's delay, then the command
    as Shell._dispatch runs it (call_command's steps, here without a generator of its
    own between the line and the command), with no redirections to open or close."""
    yield recipe_ns
    io = IO(ctx, _NO_REDIRECTIONS)
    try:
        try:
            r = handler(ctx, argv, io)
            if r.__class__ is GeneratorType or isinstance(r, Generator):
                r = yield from r
            status = int(r or 0)
        except FsError as e:  # (call_command: a file it cannot create)
            status = _cannot_create(io, e)
    except _Exit as e:  # 'exit N' ends the shell (Shell.run_line)
        return e.code
    ctx.last_status = status
    return status
