"""The terminal table: one row per scenario; a column per client when there are several."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Expectation
from ..outcome import status_name
from ..verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, PASS, Verdict
from .conformance import conformance

_COLOURS = {PASS: "32", DEVIATES: "33", FAIL: "31", ERROR: "35", NOT_RUNNABLE: "36"}
_WIDTHS = {"condition": 20, "scenario": 44, "expected": 40, "actual": 40}


def expected_text(verdict: Verdict) -> str:
    """What the documentation expects; when the client is held to a profile instead, that
    follows in brackets, so a recorded deviation never reads as the contract."""
    documented = _outcome_text(verdict.scenario.expect)
    if verdict.expected is verdict.scenario.expect:
        return documented
    return f"{documented} [profile: {_outcome_text(verdict.expected)}]"


def _outcome_text(expected: Expectation) -> str:
    if expected.raises is None:
        return "success"
    code = status_name(expected.status_code)
    return f"{expected.raises}({code})" if code is not None else expected.raises


def actual_text(verdict: Verdict) -> str:
    if verdict.actual is None:
        return verdict.differences[0] if verdict.differences else "-"
    return verdict.actual.describe()


def render_table(verdicts: Sequence[Verdict], colour: bool = False) -> str:
    clients = list(dict.fromkeys(v.client for v in verdicts))
    if len(clients) > 1:
        return _matrix(verdicts, clients, colour)
    header = ["condition", "scenario", "expected", "actual", "verdict"]
    rows = [[v.scenario.condition, v.scenario.id, expected_text(v), actual_text(v), v.status]
            for v in verdicts]
    return _format(header, rows, colour)


def _matrix(verdicts: Sequence[Verdict], clients: list[str], colour: bool) -> str:
    by_scenario: dict[str, dict[str, str]] = {}
    conditions: dict[str, str] = {}
    for v in verdicts:
        by_scenario.setdefault(v.scenario.id, {})[v.client] = v.status
        conditions[v.scenario.id] = v.scenario.condition
    rows = [[conditions[s], s, *(cells.get(c, "-") for c in clients)]
            for s, cells in by_scenario.items()]
    return _format(["condition", "scenario", *clients], rows, colour)


def _format(header: list[str], rows: list[list[str]], colour: bool) -> str:
    widths = [min(_WIDTHS.get(h, 12), max([len(h), *(len(r[i]) for r in rows)]))
              for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        cells = [_fit(cell, w) for cell, w in zip(row, widths, strict=True)]
        if colour:
            cells = [_paint(c, raw) if raw in _COLOURS else c for c, raw in zip(cells, row,
                                                                                  strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _fit(text: str, width: int) -> str:
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def _paint(cell: str, status: str) -> str:
    return f"\033[{_COLOURS[status]}m{cell}\033[0m"


def summary(verdicts: Sequence[Verdict], seconds: float) -> str:
    """The totals line; under it, for each client, its verdicts (with several clients) and
    its contract conformance."""
    clients = list(dict.fromkeys(v.client for v in verdicts))
    scenarios = len({v.scenario.id for v in verdicts})
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


def causes_text(verdicts: Sequence[Verdict]) -> str:
    """Each client's contract deviations grouped by cause, most frequent first."""
    lines = []
    for figures in conformance(verdicts):
        if figures.causes:
            lines.append(f"contract deviations of {figures.client}, by cause:")
            lines += [f"  {count:3}  {why}" for why, count in figures.causes]
    return "\n".join(lines)


def _counts(verdicts: Sequence[Verdict], explain: bool = True) -> str:
    counts = {s: sum(1 for v in verdicts if v.status == s)
              for s in (PASS, DEVIATES, FAIL, ERROR, NOT_RUNNABLE)}
    return (f"{counts[PASS]} pass, {counts[DEVIATES]} deviate"
            f"{' (recorded in profiles)' if explain else ''}, "
            f"{counts[FAIL]} fail, {counts[ERROR]} error"
            + (f", {counts[NOT_RUNNABLE]} not runnable" if counts[NOT_RUNNABLE] else ""))
