"""A Markdown summary for a CI job page (GitHub's ``$GITHUB_STEP_SUMMARY``, say)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, PASS, Verdict
from .conformance import conformance
from .result import Result, as_results
from .table import actual_text, expected_text

_ORDER = (PASS, DEVIATES, FAIL, ERROR, NOT_RUNNABLE)


def markdown_summary(items: Sequence[Verdict | Result]) -> str:
    verdicts = as_results(items)
    clients = list(dict.fromkeys(v.client for v in verdicts))
    lines = ["## SMTP conformance", "",
             "| client | contract conformance | contract deviations (causes) | detail "
             "differences | " + " | ".join(_ORDER) + " |",
             "|---|---|---|---|" + "---|" * len(_ORDER)]
    figures = conformance(verdicts)
    for client, figure in zip(clients, figures, strict=True):
        mine = [v for v in verdicts if v.client == client]
        lines.append(f"| {client} | {figure.conform}/{figure.scenarios} | "
                     f"{figure.contract_deviations} ({len(figure.causes)}) | {figure.details} | "
                     + " | ".join(str(sum(v.status == s for v in mine)) for s in _ORDER) + " |")
    for figure in figures:
        if figure.causes:
            lines += ["", f"### Contract deviations of {figure.client}, by cause", "",
                      "| scenarios | cause |", "|---|---|"]
            lines += [f"| {count} | {_cell(why)} |" for why, count in figure.causes]
    problems = [v for v in verdicts if v.status in (FAIL, ERROR)]
    if problems:
        lines += ["", "### Failures", "", "| scenario | client | expected | actual | difference |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{v.scenario}` | {v.client} | {expected_text(v)} | "
                  f"{actual_text(v)} | {_cell(v.differences[0])} |" for v in problems]
    deviations = [v for v in verdicts if v.status == DEVIATES]
    if deviations:
        lines += ["", "### Known deviations from the documentation", "",
                  "| scenario | client | level | actual | why |", "|---|---|---|---|---|"]
        lines += [f"| `{v.scenario}` | {v.client} | {v.level or '-'} | {actual_text(v)} | "
                  f"{_cell(v.why or '')} |" for v in deviations]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(verdicts: Sequence[Verdict | Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown_summary(verdicts), encoding="utf-8")
