"""The JSON report: one object per scenario x client, stable and sorted."""

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
        "seconds": round(verdict.seconds, 4),
    }


def write_json(verdicts: Sequence[Verdict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted((verdict_json(v) for v in verdicts), key=lambda r: (r["scenario"], r["client"]))
    path.write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n", encoding="utf-8")
