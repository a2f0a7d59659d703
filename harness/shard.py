"""Shards: one selection of scenarios split into N parts that N CI jobs run, then merge.

The partition is a function of the selection alone (scenario ids and what each is expected to
take), never of the machine, the file order or Python's salted ``hash``: every job computes the
same parts. It is balanced by expected duration, because what a suite waits for is its
scripted delays and client timeouts, not the count of its scenarios: longest first, each to
the least loaded part (ties broken by a hash of the id), then each part in the selection's own
order. Adding a scenario can move others to another part; a merge does not care, because
every part names the selection it was cut from (``Shard.selection``) and the merge refuses
parts of different selections.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import Scenario

BASE_SECONDS = 0.005
"""What a send costs besides its scripted waits (docs/performance.md: 3 ms to 6 ms)."""


@dataclass(frozen=True)
class Shard:
    """Part ``index`` of ``count`` (1-based) of the selection whose digest is ``selection``,
    which holds ``scenarios`` scenarios in all; ``positions`` places each of this part's
    scenarios in the whole selection, so that a merge can restore the run's order."""

    index: int
    count: int
    selection: str = ""
    scenarios: int = 0
    positions: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "count": self.count, "selection": self.selection,
                "scenarios": self.scenarios, "positions": dict(self.positions)}

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``2/4`` as part 2 of 4; ``ValueError`` saying what is wrong otherwise."""
    found = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if found is None:
        raise ValueError(f"{text!r} is not K/N (part K of N, e.g. 2/4)")
    index, count = int(found[1]), int(found[2])
    if not 1 <= index <= count:
        raise ValueError(f"{text!r}: K must be from 1 to N")
    return Shard(index, count)


def scripted_wait(scenario: Scenario) -> float:
    """How long a scenario waits on purpose: its delays, cut short by the client's timeout;
    0 when it has none or when a client state (a cancelled send) ends them."""
    if scenario.server is None or scenario.client.state:
        return 0.0
    return min(scenario.server.max_delay, scenario.client.timeout) * scenario.client.sends


def expected_seconds(scenario: Scenario) -> float:
    return BASE_SECONDS * scenario.client.sends + scripted_wait(scenario)


def selection_digest(scenarios: Sequence[Scenario]) -> str:
    """A digest of the selection's scenario ids, whatever their order."""
    text = "\n".join(sorted(s.id for s in scenarios))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _id_hash(scenario_id: str) -> str:
    return hashlib.sha256(scenario_id.encode("utf-8")).hexdigest()


def partition(scenarios: Sequence[Scenario], count: int) -> list[list[Scenario]]:
    """The selection in ``count`` parts balanced by expected duration, each part in the
    selection's order."""
    position = {id(s): i for i, s in enumerate(scenarios)}
    longest_first = sorted(scenarios, key=lambda s: (-expected_seconds(s), _id_hash(s.id)))
    loads = [(0.0, index) for index in range(count)]
    parts: list[list[Scenario]] = [[] for _ in range(count)]
    for scenario in longest_first:
        load, index = heapq.heappop(loads)
        parts[index].append(scenario)
        heapq.heappush(loads, (load + expected_seconds(scenario), index))
    return [sorted(part, key=lambda s: position[id(s)]) for part in parts]


def cut(scenarios: Sequence[Scenario], shard: Shard) -> tuple[list[Scenario], Shard]:
    """The scenarios of ``shard``, and the shard described: the selection it was cut from and
    where its scenarios stand in it (1/1: the whole selection)."""
    part = partition(scenarios, shard.count)[shard.index - 1]
    where = {s.id: i for i, s in enumerate(scenarios)}
    return part, Shard(shard.index, shard.count, selection_digest(scenarios), len(scenarios),
                       {s.id: where[s.id] for s in part})
