"""The scanned structure of ``.cmd`` files, stored in a capture (``kbsim-capture/2``).

Scanning every ``.cmd`` text again (cmdscan.scan_cmd) dominated loading a capture: a 6.1
tree has ~28 MB of them, although the table layout holds only ~1.6 MB of distinct lines.
So a table-layout capture stores, for each file the fast scanner read, where its parts
are (:class:`CmdScan`), counted in pieces: the elements of the entry's ``lines`` (runs of
table lines). The writer splits runs so that every part begins and ends on a piece
boundary and each assignment line is a piece of its own. A reader rebuilds the same
:class:`ScanResult` from those pieces, parsing each distinct run of dependency lines once
per capture: kernel ``.cmd`` files repeat the same runs of header lines.

The writer checks that what it stores reads back as the scanner's result, field for
field; when it does not (a file laid out unlike fixdep's output), it stores nothing for
that file, and readers scan its text, as they do for inline-layout entries and for every
file of a version-1 capture.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate, chain
from operator import attrgetter
from typing import Any

from ..errors import InputError
from ..kbuild.cmdfile import unescape_cmd
from .capture_format import FORMAT, Capture, CmdEntry, CmdScan, RunTexts, cmd_text, run_lines
from .cmdscan import _RULE_WILD, ScanResult, _split, scan_cmd

Run = int | tuple[int, int]
_DAMAGE = (IndexError, KeyError, TypeError, ValueError, AttributeError)


def _lines_deps(lines: list[str]) -> list[tuple[str, bool]]:
    """The dependencies a list's continued lines hold: their words, each line without its
    final backslash (the scanner's join of those lines)."""
    return _split(" ".join(s[:-1] if s.endswith("\\") else s for s in lines))


def _value(line: str) -> str:
    """The value of an assignment line, as the scanner takes it."""
    head, sep, value = line.partition(" := ")
    return value.strip() if sep else ""


# ---------------------------------------------------------------------- reading
class _Piece:
    """The dependencies one run of table lines holds, and their grouping as
    ScanResult.structure() makes it: wildcards before the run's first file (LEAD, which
    belong to the file before the run), then each file with the wildcards after it in the
    run (SEGS). Made once per run; the files that share the run share these objects."""

    __slots__ = ("deps", "lead", "segs", "ksym")

    def __init__(self, deps: list[tuple[str, bool]]):
        self.deps = deps
        paths = tuple(p for p, _ in deps)
        files = [k for k, (_, w) in enumerate(deps) if not w]
        self.lead = paths[:files[0]] if files else paths
        ends = files[1:] + [len(deps)]
        self.segs = [(paths[a], paths[a + 1:b]) for a, b in zip(files, ends)]
        self.ksym = "ksym" in "\n".join(paths)  # structure() groups those differently


_DEPS_OF, _KSYM = attrgetter("deps"), attrgetter("ksym")


def _structure(pieces: list[_Piece]) -> tuple | None:
    """ScanResult.structure() of the dependencies PIECES hold, joined piece by piece;
    None when a ksym name needs the general grouping."""
    if any(map(_KSYM, pieces)):
        return None
    src_cfg: list[str] = []
    headers: list[tuple[str, tuple[str, ...]]] = []
    for p in pieces:
        if p.lead and headers:  # the last file's wildcards continue in this run
            h, cfgs = headers[-1]
            headers[-1] = (h, cfgs + p.lead)
        elif p.lead:
            src_cfg += p.lead
        headers += p.segs
    return src_cfg, headers, []


class _RunPieces(dict):
    """run -> its _Piece, parsed on first use; None for a run with a NUL line (it stands
    for the entry's own target: the result is not shared)."""

    def __init__(self, table: list[str]):
        super().__init__()
        self.table = table

    def __missing__(self, run: Run) -> _Piece | None:
        lines = run_lines(self.table, run)
        piece = self[run] = None if any("\0" in s for s in lines) else _Piece(
            _lines_deps(lines))
        return piece


class ScanReader:
    """ScanResults from the stored scans of one capture (each run parsed once)."""

    def __init__(self, table: list[str]):
        self.table = table
        self._pieces = _RunPieces(table)

    def read(self, e: CmdEntry) -> ScanResult | None:
        """E's ScanResult from its stored scan; None if it has none."""
        if e.scan is None or e.lines is None:
            return None
        try:
            return self.decode(e.scan, e)
        except _DAMAGE:
            raise InputError(f"capture: {e.path}: stored scan does not fit its text "
                             f"(damaged capture)") from None

    def decode(self, s: CmdScan, e: CmdEntry) -> ScanResult:
        r = ScanResult(e.path, target=s.target if s.target is not None else e.subst)
        if r.target is None:
            raise ValueError("no target")
        if s.command is not None:
            ln = self._line(e, s.command)
            r.prefix = "savedcmd_" if ln.startswith("savedcmd_") else "cmd_"
            r.command = unescape_cmd(_value(ln))
        if s.source is not None:
            r.source = _value(self._line(e, s.source))
        if s.deps is not None:
            r.deps, r._structure = self._deps(e, *s.deps)
        if s.ksymdeps is not None:
            r.ksymdeps = self._deps(e, *s.ksymdeps)[0]
        r.extra_prereqs = [_RULE_WILD.match(self._line(e, k).strip()).group(2)
                           for k in s.extra or ()]
        r.problems = list(s.problems or ())
        return r

    def _line(self, e: CmdEntry, k: int) -> str:
        """The text of piece K, a single line."""
        run = e.lines[k] if k >= 0 else None
        if type(run) is not int:
            raise IndexError(f"piece {k} is not one line")
        s = self.table[run]
        return s.replace("\0", e.subst) if e.subst else s

    def _deps(self, e: CmdEntry, a: int, n: int) -> tuple[list[tuple[str, bool]], Any]:
        """The dependencies of pieces a..a+n-1, and their structure() if known."""
        runs = e.lines[a:a + n]
        if a < 0 or len(runs) != n:
            raise IndexError(a + n)
        pieces = list(map(self._pieces.__getitem__, runs))  # C speed: ~100 runs a file
        if None in pieces:  # runs naming the target: parsed with this entry's subst
            lines = [s.replace("\0", e.subst or "") for run in runs
                     for s in run_lines(self.table, run)]
            return _lines_deps(lines), None
        return list(chain.from_iterable(map(_DEPS_OF, pieces))), _structure(pieces)


# ---------------------------------------------------------------------- writing
# Where the parts are is found with str.find at C speed (the texts of a 6.1 tree are 28 MB);
# whatever is found, encode_scan stores it only if it reads back as the scanner's result.
def _last_assignment(text: str, prefix: str) -> int | None:
    """Offset of the last line that starts with PREFIX and assigns (' :=')."""
    end = len(text)
    while True:
        i = text.rfind("\n" + prefix, 0, end)
        if i < 0 and not text.startswith(prefix):
            return None
        start = i + 1
        eol = text.find("\n", start)
        if " :=" in text[start:eol if eol >= 0 else len(text)]:
            return start
        if i < 0:
            return None
        end = i


def _line_of(text: str, *prefixes: str) -> int | None:
    """The line of the last assignment to a PREFIXES variable (the one that counts)."""
    found = [p for p in (_last_assignment(text, x) for x in prefixes) if p is not None]
    return text.count("\n", 0, max(found)) if found else None


def _list_span(text: str, prefix: str) -> tuple[int, int] | None:
    """(first, n): the lines after the last PREFIX assignment up to the blank line that
    fixdep and gen_ksymdeps.sh write after a list (else to the end)."""
    start = _last_assignment(text, prefix)
    if start is None:
        return None
    k = text.count("\n", 0, start)
    nl = text.find("\n", start)
    if nl < 0:
        return k + 1, 0
    blank = text.find("\n\n", nl)
    last = text.count("\n", 0, blank + 1) if blank >= 0 else text.count("\n")
    return k + 1, last - k


def _rule_lines(text: str) -> list[int]:
    """The lines of ``T: $(wildcard X)`` rules."""
    out = []
    pos = text.find(": $(wildcard ")
    while pos >= 0:
        start = text.rfind("\n", 0, pos) + 1
        eol = text.find("\n", pos)
        eol = len(text) if eol < 0 else eol
        if _RULE_WILD.match(text[start:eol].strip()):
            out.append(text.count("\n", 0, start))
        pos = text.find(": $(wildcard ", eol)
    return out


def _split_runs(runs: list[Run], cuts: set[int]) -> tuple[list[Run], list[int]]:
    """RUNS with a run starting at every line number in CUTS (the same text), and the
    first line number of each run then the line count."""
    out = list(runs)
    starts = list(accumulate((1 if type(r) is int else r[1] for r in out), initial=0))
    for c in sorted(cuts, reverse=True):  # from the end: the indices before stay valid
        j = bisect_right(starts, c) - 1
        if starts[j] == c or j >= len(out):
            continue
        i, n = out[j]  # (a single line is never cut inside)
        k = c - starts[j]
        out[j:j + 1] = [i if k == 1 else (i, k), i + k if n - k == 1 else (i + k, n - k)]
        starts.insert(j + 1, c)
    return out, starts


def _in_pieces(piece: dict[int, int], span: tuple[int, int] | None):
    """A span of lines (first, n) as a span of runs (all cut at its ends)."""
    if span is None:
        return None
    a, n = span
    return piece[a], piece[a + n] - piece[a]


_FIELDS = ("name", "target", "source", "command", "prefix", "deps", "ksymdeps", "other",
           "extra_prereqs", "problems", "parser")


def encode_scan(r: ScanResult, text: str, e: CmdEntry,
                reader: ScanReader) -> CmdScan | None:
    """Store R, the scan of TEXT, in table-layout entry E (splitting its runs so each part
    is whole pieces), if it reads back through READER as R; else leave E as it was and
    return None."""
    if r.parser != "fast" or r.target is None or e.lines is None:
        return None
    command = _line_of(text, "cmd_", "savedcmd_") if r.command is not None else None
    source = _line_of(text, "source_") if r.source is not None else None
    spans = [_list_span(text, "deps_"), _list_span(text, "ksymdeps_")]
    extra = _rule_lines(text)
    singles = [k for k in (command, source, *extra) if k is not None]
    cuts = {*singles, *(k + 1 for k in singles)}
    cuts.update(k for a, n in filter(None, spans) for k in (a, a + n))
    old_runs = e.lines
    try:
        e.lines, starts = _split_runs(old_runs, cuts)
        piece = dict(zip(starts, range(len(starts))))  # line number -> run index
        deps, ksymdeps = (_in_pieces(piece, sp) for sp in spans)
        s = CmdScan(target=None if r.target == e.subst else r.target,
                    command=None if command is None else piece[command],
                    source=None if source is None else piece[source],
                    deps=deps, ksymdeps=ksymdeps, extra=[piece[k] for k in extra] or None,
                    problems=list(r.problems) or None)
        back = reader.decode(s, e)
        if all(getattr(back, k) == getattr(r, k) for k in _FIELDS):
            return s
    except _DAMAGE:
        pass
    e.lines = old_runs
    return None


def store_scans(cap: Capture, scans: dict[str, ScanResult] | None = None) -> Capture:
    """Give every table-layout entry of CAP its stored scan (SCANS: .cmd path -> the scan
    already made; without it each text is scanned) and mark CAP as the current format:
    this also upgrades a version-1 capture in place."""
    reader = ScanReader(cap.line_table)
    joined = RunTexts(cap.line_table)
    for e in cap.cmd_files:
        if e.lines is None:
            continue
        text = cmd_text(cap, e, joined)
        r = scans.get(e.path) if scans is not None else scan_cmd(text, e.path)
        e.scan = encode_scan(r, text, e, reader) if r is not None else None
    cap.format = FORMAT
    return cap
