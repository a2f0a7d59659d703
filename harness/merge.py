"""Merging the JSON results of shards into the results of one run.

Fail closed: a merge that lacks a part, holds one twice, mixes selections, clients, harness
versions or ``--contract-only``, or a part that did not run its whole share (``-x``), is an
error that names the files, never a smaller green run. The merged results come in the order
one run of the selection gives (scenario by scenario, clients in the order named), so every
report is the one that run writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .report.json_report import FORMAT, VERSION
from .report.result import Result
from .shard import Shard


class MergeError(Exception):
    """The parts do not make one run; the message says which file and what."""


@dataclass(frozen=True)
class Part:
    path: Path
    run: Mapping[str, Any]
    shard: Shard
    results: list[Result]


@dataclass(frozen=True)
class Merged:
    results: list[Result]
    began: datetime | None
    elapsed: float
    """The longest part's wall time: what N jobs side by side took."""
    contract_only: bool
    clients: list[str]
    shard: Shard
    parts: list[dict[str, Any]]


def merge(paths: Sequence[Path]) -> Merged:
    parts = [read_part(path) for path in paths]
    if not parts:
        raise MergeError("no parts given")
    first = parts[0]
    for part in parts[1:]:
        for name, what in (("tool", "harness version"), ("clients", "clients"),
                           ("contract_only", "--contract-only")):
            if part.run.get(name) != first.run.get(name):
                raise MergeError(f"{part.path}: another {what} ({part.run.get(name)!r}) than "
                                 f"{first.path} ({first.run.get(name)!r}): not parts of one run")
        if (part.shard.selection, part.shard.count) != (first.shard.selection,
                                                        first.shard.count):
            raise MergeError(f"{part.path}: part {part.shard} of selection "
                             f"{part.shard.selection}, but {first.path} is part {first.shard} "
                             f"of selection {first.shard.selection}: not parts of one run "
                             "(another checkout, -k, PATHS or --shard N?)")
    by_index: dict[int, Part] = {}
    for part in parts:
        if part.shard.index in by_index:
            raise MergeError(f"part {part.shard} twice: {by_index[part.shard.index].path} and "
                             f"{part.path}")
        by_index[part.shard.index] = part
    missing = [str(i) for i in range(1, first.shard.count + 1) if i not in by_index]
    if missing:
        raise MergeError(f"missing part(s) {', '.join(missing)} of {first.shard.count} "
                         f"(given: {', '.join(str(p.path) for p in parts)})")
    ordered = [by_index[i] for i in sorted(by_index)]
    positions = _positions(ordered, first.shard.scenarios)
    clients = list(first.run["clients"])
    results = sorted((r for part in ordered for r in part.results),
                     key=lambda r: (positions[r.scenario], clients.index(r.client)))
    starts = [str(p.run["started"]) for p in ordered if p.run.get("started")]
    return Merged(
        results=results,
        began=min(map(_moment, starts)) if len(starts) == len(ordered) else None,
        elapsed=max(float(p.run.get("seconds") or 0.0) for p in ordered),
        contract_only=bool(first.run.get("contract_only")),
        clients=clients,
        shard=Shard(1, 1, first.shard.selection, first.shard.scenarios, positions),
        parts=[dict(p.run) for p in ordered])


def _positions(parts: list[Part], total: int) -> dict[str, int]:
    """Where each scenario stands in the selection; every scenario exactly once, in one part."""
    positions: dict[str, int] = {}
    owner: dict[str, Path] = {}
    for part in parts:
        for scenario, position in part.shard.positions.items():
            if scenario in owner:
                raise MergeError(f"scenario {scenario} is in {owner[scenario]} and in "
                                 f"{part.path}")
            positions[scenario], owner[scenario] = position, part.path
    if len(positions) != total or sorted(positions.values()) != list(range(total)):
        raise MergeError(f"the parts hold {len(positions)} of the selection's {total} "
                         "scenarios")
    return positions


def read_part(path: Path) -> Part:
    """One shard's JSON document, checked: every scenario of its share has a result for every
    client, and nothing else."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MergeError(f"{path}: cannot read it: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise MergeError(f"{path}: not a results document (smtp-harness run --json)")
    if document.get("version") != VERSION:
        raise MergeError(f"{path}: version {document.get('version')!r}; this harness merges "
                         f"version {VERSION}")
    run = document.get("run") or {}
    shard = run.get("shard")
    if not isinstance(shard, dict):
        raise MergeError(f"{path}: it does not say which part it is (run.shard): written by "
                         "an older smtp-harness; run the part again")
    try:
        part = Shard(shard["index"], shard["count"], shard["selection"], shard["scenarios"],
                     dict(shard["positions"]))
        results = [Result.from_json(row) for row in document["results"]]
    except (KeyError, TypeError) as error:
        raise MergeError(f"{path}: a result or run.shard lacks {error}: written by an older "
                         "smtp-harness; run the part again") from None
    expected = {(s, c) for s in part.positions for c in run.get("clients", [])}
    seen: set[tuple[str, str]] = set()
    for result in results:
        key = (result.scenario, result.client)
        if key in seen or key not in expected:
            why = "twice" if key in seen else "not in its share"
            raise MergeError(f"{path}: {result.key}: {why}")
        seen.add(key)
    if seen != expected:
        lacking = sorted(f"{s} [{c}]" for s, c in expected - seen)
        raise MergeError(f"{path}: part {part.index}/{part.count} lacks {len(lacking)} "
                         f"result(s), e.g. {lacking[0]} (did it run with -x?)")
    return Part(path, run, part, results)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
