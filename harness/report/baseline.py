"""The baseline gate: fail only when something got worse than the recorded baseline.

The baseline file maps ``scenario [client]`` to the verdict status, the observed outcome and,
for a deviation, its recorded reason; sorted, one entry per line block, so that a change to it
reads well in a diff. The gate fails closed: a regression is anything that lets less be
checked or known than before, each reported with its kind:

- a new scenario that fails or errs;
- pass -> deviates (a bug recorded as a profile is still a regression);
- pass or deviates -> not runnable (a check that no longer runs);
- pass, deviates or not runnable -> fail or error;
- a deviation with another outcome, or another reason.

A fix is a failure that now passes or deviates, or a deviation that now passes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, PASS, Verdict
from .result import Result, as_results

_BAD = (FAIL, ERROR)
VERSION = 2


def _entry(result: Result) -> dict[str, str]:
    entry = {"status": result.status, "outcome": result.outcome()}
    if result.status == DEVIATES:
        entry["why"] = result.why or ""
    return entry


def _baseline_json(entries: dict[str, dict[str, str]]) -> str:
    return json.dumps({"version": VERSION, "results": dict(sorted(entries.items()))},
                      indent=2, sort_keys=True) + "\n"


def update_baseline(items: Sequence[Verdict | Result], path: Path) -> int:
    """Record these verdicts in the baseline file, keeping the entries of everything that did
    not run (a ``-k`` selection updates its part, never erases the rest); returns how many
    entries were kept. A file that is not a baseline raises ``ValueError``, untouched."""
    results = as_results(items)
    entries = read_baseline(path) if path.exists() else {}
    kept = len(entries.keys() - {r.key for r in results})
    entries.update({r.key: _entry(r) for r in results})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_baseline_json(entries), encoding="utf-8")
    return kept


@dataclass(frozen=True)
class Regression:
    """A verdict worse than its baseline entry: which one, what kind, and how."""

    key: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.key}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class Comparison:
    regressions: tuple[Regression, ...]
    fixed: tuple[str, ...]


def read_baseline(path: Path) -> dict[str, dict[str, str]]:
    """The entries of a baseline file (version 1, without reasons, or 2); ``ValueError``
    for anything else."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("version") not in (1, VERSION) or not isinstance(
            data.get("results"), dict):
        raise ValueError(f"{path}: not a baseline file (version 1 or {VERSION})")
    results = data["results"]
    for key, entry in results.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("status"), str):
            raise ValueError(f"{path}: entry {key!r} has no status")
    return results


def compare(baseline: dict[str, dict[str, str]],
            items: Sequence[Verdict | Result]) -> Comparison:
    regressions: list[Regression] = []
    fixed: list[str] = []
    for result in as_results(items):
        key, now = result.key, _entry(result)
        before = baseline.get(key)
        found = _regression(before, now, result)
        if found is not None:
            regressions.append(Regression(key, *found))
        elif before is not None and _fixed(before["status"], now["status"]):
            fixed.append(f"{key}: {before['status']} -> {now['status']}")
    return Comparison(tuple(regressions), tuple(fixed))


def _fixed(was: str, status: str) -> bool:
    return (was in _BAD and status in (PASS, DEVIATES)) or (was == DEVIATES and status == PASS)


def _regression(before: dict[str, str] | None, now: dict[str, str],
                result: Result) -> tuple[str, str] | None:
    """The kind of regression from ``before`` to ``now``, and what it is; None if none."""
    first = result.differences[0] if result.differences else now["outcome"]
    was, status = (before or {}).get("status"), now["status"]
    if before is None:
        return (f"new scenario {status}", first) if status in _BAD else None
    if status in _BAD and was not in _BAD:
        return f"{was} -> {status}", first
    if was == PASS and status in (DEVIATES, NOT_RUNNABLE):
        why = f"recorded as a deviation: {result.why}" if status == DEVIATES else first
        return f"pass -> {status}", why
    if was == DEVIATES and status == NOT_RUNNABLE:
        return "deviates -> not-runnable", first
    if was == status == DEVIATES and before["outcome"] != now["outcome"]:
        return "deviates differently", f"{before['outcome']} -> {now['outcome']}"
    if was == status == DEVIATES and "why" in before and before["why"] != now["why"]:
        return "deviation reason changed", f"{before['why']!r} -> {now['why']!r}"
    return None
