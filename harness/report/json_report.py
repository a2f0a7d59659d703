"""The JSON report: a versioned document, a run header, counts, and one object per result.

``smtp-harness docs json-report`` documents it and ``results.schema.json`` (beside this
module) is its JSON Schema. Beside the verdict, each result says how the outcome departs from the
documentation (``departures``, each field with its level), the verdict's ``level``
(``contract``, ``detail`` or null), whether it ``conforms`` to the contract, and what its
profile leaves ``unchecked``. Results are sorted by scenario and client, keys sorted, so two
runs' files diff well.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..outcome import status_name
from ..verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, PASS, Verdict
from .provenance import DISTRIBUTION, machine, tool_version

FORMAT = "smtp-conformance-results"
VERSION = 2
"""Version 1 was the bare list of results; see harness/docs/json-report.md for what a bump means."""
SCHEMA = Path(__file__).with_name("results.schema.json")
STATUSES = (PASS, DEVIATES, FAIL, ERROR, NOT_RUNNABLE)


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    expected = verdict.expected
    actual = verdict.actual
    return {
        "scenario": verdict.scenario.id,
        "condition": verdict.scenario.condition,
        "client": verdict.client,
        "file": str(verdict.scenario.path),
        "passed": verdict.passed,
        "status": verdict.status,
        "expected": {"exception": expected.raises,
                     "status_code": status_name(expected.status_code),
                     "why": expected.why},
        "actual": actual.to_json() if actual else {
            "exception": None, "status_code": None, "message": verdict.differences[0]},
        "differences": list(verdict.differences),
        "level": verdict.level,
        "conforms": verdict.conforms,
        "departures": [{"field": d.field, "level": d.level, "text": d.text}
                       for d in verdict.departures],
        "unchecked": list(verdict.expected.unchecked),
        "seconds": round(verdict.seconds, 4),
    }


def results_document(verdicts: Sequence[Verdict], *, started: datetime | None = None,
                     elapsed: float | None = None,
                     contract_only: bool | None = None) -> dict[str, Any]:
    """The whole document. What the verdicts cannot tell (when the run started, how long it
    took, whether it judged the contract only) is null unless given; ``started`` must be
    timezone-aware, so that no local time passes for UTC."""
    if started is not None and started.utcoffset() is None:
        raise ValueError("started must be timezone-aware (datetime.now(UTC))")
    clients = list(dict.fromkeys(v.client for v in verdicts))
    return {
        "format": FORMAT,
        "version": VERSION,
        "run": {
            "tool": {"name": DISTRIBUTION, "version": tool_version()},
            "clients": clients,
            "started": None if started is None else _iso_utc(started),
            "seconds": None if elapsed is None else round(elapsed, 3),
            "contract_only": contract_only,
            "machine": machine(),
        },
        "summary": {
            "scenarios": len({v.scenario.id for v in verdicts}),
            "results": len(verdicts),
            "statuses": _counts(verdicts),
            "clients": {c: _counts([v for v in verdicts if v.client == c]) for c in clients},
        },
        "results": [_sorted_keys(row) for row in sorted(
            (verdict_json(v) for v in verdicts), key=lambda r: (r["scenario"], r["client"]))],
    }


def write_json(verdicts: Sequence[Verdict], path: Path, *, started: datetime | None = None,
               elapsed: float | None = None, contract_only: bool | None = None) -> None:
    """Write ``results_document`` to ``path``, making its directory."""
    document = results_document(verdicts, started=started, elapsed=elapsed,
                                contract_only=contract_only)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _iso_utc(moment: datetime) -> str:
    """``2025-01-31T09:30:00Z``: ISO 8601, UTC, to the second."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _counts(verdicts: Sequence[Verdict]) -> dict[str, int]:
    """Every status, zeros included, so a consumer never has to default a missing one."""
    return {status: sum(v.status == status for v in verdicts) for status in STATUSES}


def _sorted_keys(value: Any) -> Any:
    """The value with every object's keys sorted, as version 1 wrote its results."""
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value
