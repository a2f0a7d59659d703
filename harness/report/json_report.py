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
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..shard import Shard
from ..verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, PASS, Verdict
from .provenance import DISTRIBUTION, machine, tool_version
from .result import Result, as_results

FORMAT = "smtp-conformance-results"
VERSION = 2
"""Version 1 was the bare list of results; see harness/docs/json-report.md for what a bump means."""
SCHEMA = Path(__file__).with_name("results.schema.json")
STATUSES = (PASS, DEVIATES, FAIL, ERROR, NOT_RUNNABLE)


def results_document(items: Sequence[Verdict | Result], *, started: datetime | None = None,
                     elapsed: float | None = None, contract_only: bool | None = None,
                     shard: Shard | None = None, parts: Sequence[Mapping[str, Any]] = (),
                     clients: Sequence[str] | None = None) -> dict[str, Any]:
    """The whole document. What the results cannot tell (when the run started, how long it
    took, whether it judged the contract only) is null unless given; ``started`` must be
    timezone-aware, so that no local time passes for UTC. ``shard``: which part of which
    selection this run was (``smtp-harness merge`` checks the parts by it); ``parts``: the
    run headers of the shards a merge combined; ``clients``: those run, in the order named
    (an empty shard's results name none)."""
    if started is not None and started.utcoffset() is None:
        raise ValueError("started must be timezone-aware (datetime.now(UTC))")
    verdicts = as_results(items)
    if clients is None:
        clients = list(dict.fromkeys(v.client for v in verdicts))
    run: dict[str, Any] = {
        "tool": {"name": DISTRIBUTION, "version": tool_version()},
        "clients": list(clients),
        "started": None if started is None else iso_utc(started),
        "seconds": None if elapsed is None else round(elapsed, 3),
        "contract_only": contract_only,
        "machine": machine(),
    }
    if shard is not None:
        run["shard"] = shard.to_json()
    if parts:
        run["parts"] = list(parts)
    return {
        "format": FORMAT,
        "version": VERSION,
        "run": run,
        "summary": {
            "scenarios": len({v.scenario for v in verdicts}),
            "results": len(verdicts),
            "statuses": _counts(verdicts),
            "clients": {c: _counts([v for v in verdicts if v.client == c]) for c in clients},
        },
        "results": [result.to_json() for result in sorted(
            verdicts, key=lambda r: (r.scenario, r.client))],
    }


def write_json(items: Sequence[Verdict | Result], path: Path, *,
               started: datetime | None = None, elapsed: float | None = None,
               contract_only: bool | None = None, shard: Shard | None = None,
               parts: Sequence[Mapping[str, Any]] = (),
               clients: Sequence[str] | None = None) -> None:
    """Write ``results_document`` to ``path``, making its directory."""
    document = results_document(items, started=started, elapsed=elapsed,
                                contract_only=contract_only, shard=shard, parts=parts,
                                clients=clients)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def iso_utc(moment: datetime) -> str:
    """``2025-01-31T09:30:00Z``: ISO 8601, UTC, to the second."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _counts(verdicts: Sequence[Result]) -> dict[str, int]:
    """Every status, zeros included, so a consumer never has to default a missing one."""
    return {status: sum(v.status == status for v in verdicts) for status in STATUSES}
