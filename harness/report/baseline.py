"""The baseline gate: fail only when something got worse than the recorded baseline.

The baseline file maps ``scenario [client]`` to the verdict status and the observed outcome,
sorted, one entry per line block, so that a change to it reads well in a diff. A regression is
a scenario that passed (or deviated) and now fails or errs, one that now deviates differently
(another outcome), or a new scenario that fails. A fix is a failure that now passes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..verdict import DEVIATES, ERROR, FAIL, PASS, Verdict

_GOOD = (PASS, DEVIATES)
_BAD = (FAIL, ERROR)


def _key(verdict: Verdict) -> str:
    return f"{verdict.scenario.id} [{verdict.client}]"


def _entry(verdict: Verdict) -> dict[str, str]:
    return {"status": verdict.status,
            "outcome": verdict.actual.describe() if verdict.actual else "-"}


def _baseline_json(entries: dict[str, dict[str, str]]) -> str:
    return json.dumps({"version": 1, "results": dict(sorted(entries.items()))},
                      indent=2, sort_keys=True) + "\n"


def update_baseline(verdicts: Sequence[Verdict], path: Path) -> int:
    """Record these verdicts in the baseline file, keeping the entries of everything that did
    not run (a ``-k`` selection updates its part, never erases the rest); returns how many
    entries were kept. A file that is not a baseline raises ``ValueError``, untouched."""
    entries = read_baseline(path) if path.exists() else {}
    kept = len(entries.keys() - {_key(v) for v in verdicts})
    entries.update({_key(v): _entry(v) for v in verdicts})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_baseline_json(entries), encoding="utf-8")
    return kept


@dataclass(frozen=True)
class Comparison:
    regressions: tuple[str, ...]
    fixed: tuple[str, ...]


def read_baseline(path: Path) -> dict[str, dict[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(
            data.get("results"), dict):
        raise ValueError(f"{path}: not a version-1 baseline file")
    return data["results"]


def compare(baseline: dict[str, dict[str, str]], verdicts: Sequence[Verdict]) -> Comparison:
    regressions, fixed = [], []
    for verdict in verdicts:
        key, now = _key(verdict), _entry(verdict)
        before = baseline.get(key)
        if before is None:
            if now["status"] in _BAD:
                regressions.append(f"{key}: new scenario {now['status']}s "
                                   f"({verdict.differences[0]})")
        elif before["status"] in _GOOD and now["status"] in _BAD:
            regressions.append(f"{key}: {before['status']} -> {now['status']} "
                               f"({verdict.differences[0]})")
        elif before["status"] == now["status"] == DEVIATES and before["outcome"] != now["outcome"]:
            regressions.append(f"{key}: deviates differently: {before['outcome']} -> "
                               f"{now['outcome']}")
        elif before["status"] in _BAD and now["status"] in _GOOD:
            fixed.append(f"{key}: {before['status']} -> {now['status']}")
    return Comparison(tuple(regressions), tuple(fixed))
