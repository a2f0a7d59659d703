"""The JSON report: one object per scenario x client, stable and sorted.

Beside the verdict, each object says how the outcome departs from the documentation
(``departures``, each field with its level), the verdict's ``level`` (``contract``,
``detail`` or null), whether it ``conforms`` to the contract, and what its profile leaves
``unchecked``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..outcome import status_name
from ..verdict import Verdict


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


def write_json(verdicts: Sequence[Verdict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted((verdict_json(v) for v in verdicts), key=lambda r: (r["scenario"], r["client"]))
    path.write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n", encoding="utf-8")
