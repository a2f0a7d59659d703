"""The terminal table: one row per scenario; a column per client when there are several.

In a log every cell is whole; on a terminal the cells shorten to its width (``fit``), but
never the status code or the verdict, the things the harness asserts.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, PASS, Verdict
from .conformance import conformance
from .fit import NAME, TEXT, Cell, Piece, column_widths, fit_cell, plain
from .result import Held, Result, as_result, as_results

_COLOURS = {PASS: "32", DEVIATES: "33", FAIL: "31", ERROR: "35", NOT_RUNNABLE: "36"}
_ID_LEAST = 20
"""A scenario id keeps at least its group's start and its name's end: ``recipi…rejected-many``."""


def expected_text(verdict: Verdict | Result) -> str:
    """What the documentation expects; when the client is held to a profile instead, that
    follows in brackets, so a recorded deviation never reads as the contract."""
    return plain(_expected_cell(as_result(verdict)))


def actual_text(verdict: Verdict | Result) -> str:
    return plain(_actual_cell(as_result(verdict)))


def _expected_cell(verdict: Result) -> Cell:
    documented = _expectation_cell(verdict.documented)
    if not verdict.profiled:
        return documented
    return (*documented, Piece(" [profile: "), *_expectation_cell(verdict.expected), Piece("]"))


def _expectation_cell(expected: Held) -> Cell:
    return _outcome_cell(expected.exception, expected.status_code)


def _actual_cell(verdict: Result) -> Cell:
    actual = verdict.actual
    if actual is None:  # not run: what stopped it
        return (Piece(verdict.differences[0] if verdict.differences else "-", TEXT),)
    return _outcome_cell(actual["exception"], actual["status_code"])


def _outcome_cell(exception: str | None, code: str | int | None) -> Cell:
    """``SmtpException(MailboxUnavailable)``: the class may shorten, the code may not."""
    if exception is None:
        return (Piece("success"),)
    name = Piece(exception, NAME)
    return (name,) if code is None else (name, Piece(f"({code})"))


def render_table(items: Sequence[Verdict | Result], colour: bool = False,
                 width: int | None = None) -> str:
    """The table; ``width`` (a terminal's, ``fit.terminal_width``) shortens the cells to fit
    it, None leaves every cell whole."""
    verdicts = as_results(items)
    clients = list(dict.fromkeys(v.client for v in verdicts))
    if len(clients) > 1:
        return _matrix(verdicts, clients, colour, width)
    header = ["condition", "scenario", "expected", "actual", "verdict"]
    rows = [[_condition(v), _scenario(v), _expected_cell(v), _actual_cell(v), (Piece(v.status),)]
            for v in verdicts]
    # The condition gives way first (the id's group mostly repeats it), the id last.
    return _format(header, rows, colour, width, shrink=[[0], [2, 3], [1]], statuses={4})


def _matrix(verdicts: Sequence[Result], clients: list[str], colour: bool,
            width: int | None) -> str:
    by_scenario: dict[str, dict[str, str]] = {}
    first: dict[str, Result] = {}
    for v in verdicts:
        by_scenario.setdefault(v.scenario, {})[v.client] = v.status
        first.setdefault(v.scenario, v)
    rows = [[_condition(first[s]), _scenario(first[s]),
             *((Piece(cells.get(c, "-")),) for c in clients)]
            for s, cells in by_scenario.items()]
    return _format(["condition", "scenario", *clients], rows, colour, width,
                   shrink=[[0], [1]], statuses=set(range(2, 2 + len(clients))))


def _condition(verdict: Result) -> Cell:
    return (Piece(verdict.condition, TEXT),)


def _scenario(verdict: Result) -> Cell:
    return (Piece(verdict.scenario, NAME, least=_ID_LEAST),)


def _format(header: list[str], rows: list[list[Cell]], colour: bool, width: int | None,
            shrink: list[list[int]], statuses: set[int]) -> str:
    widths = column_widths(header, rows, width, shrink)
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        cells = [fit_cell(cell, w).ljust(w) for cell, w in zip(row, widths, strict=True)]
        if colour:
            cells = [_paint(text, plain(row[i])) if i in statuses and plain(row[i]) in _COLOURS
                     else text for i, text in enumerate(cells)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _paint(cell: str, status: str) -> str:
    return f"\033[{_COLOURS[status]}m{cell}\033[0m"


def summary(items: Sequence[Verdict | Result], seconds: float) -> str:
    """The totals line; under it, for each client, its verdicts (with several clients) and
    its contract conformance."""
    verdicts = as_results(items)
    clients = list(dict.fromkeys(v.client for v in verdicts))
    scenarios = len({v.scenario for v in verdicts})
    lines = [f"{scenarios} scenario{'s' if scenarios != 1 else ''} x {len(clients)} "
             f"client{'s' if len(clients) != 1 else ''}: {_counts(verdicts)}, in {seconds:.1f} s"]
    width = max(map(len, clients), default=0)
    for figures in conformance(verdicts):
        if len(clients) == 1:
            lines.append(f"  {figures.client}: {figures.line()}")
            continue
        own = [v for v in verdicts if v.client == figures.client]
        lines += [f"  {figures.client.ljust(width)}  {_counts(own, explain=False)}",
                  f"  {'':{width}}  {figures.line()}"]
    return "\n".join(lines)


def causes_text(items: Sequence[Verdict | Result]) -> str:
    """Each client's contract deviations grouped by cause, most frequent first."""
    lines = []
    for figures in conformance(as_results(items)):
        if figures.causes:
            lines.append(f"contract deviations of {figures.client}, by cause:")
            lines += [f"  {count:3}  {why}" for why, count in figures.causes]
    return "\n".join(lines)


def _counts(verdicts: Sequence[Result], explain: bool = True) -> str:
    counts = {s: sum(1 for v in verdicts if v.status == s)
              for s in (PASS, DEVIATES, FAIL, ERROR, NOT_RUNNABLE)}
    return (f"{counts[PASS]} pass, {counts[DEVIATES]} deviate"
            f"{' (recorded in profiles)' if explain else ''}, "
            f"{counts[FAIL]} fail, {counts[ERROR]} error"
            + (f", {counts[NOT_RUNNABLE]} not runnable" if counts[NOT_RUNNABLE] else ""))
