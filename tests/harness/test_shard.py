"""Shards: every scenario in exactly one part, the same parts whatever the order, balanced."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from harness.loader import load_scenarios
from harness.model import Scenario
from harness.shard import Shard, cut, expected_seconds, parse_shard, partition, selection_digest

SCENARIOS = Path(__file__).parents[2] / "scenarios"


@pytest.fixture(scope="module")
def suite() -> list[Scenario]:
    scenarios, errors = load_scenarios([SCENARIOS])
    assert not errors
    return scenarios


@pytest.mark.parametrize("text, index, count", [("1/1", 1, 1), ("2/4", 2, 4), (" 3/3 ", 3, 3)])
def test_parse_shard(text: str, index: int, count: int) -> None:
    assert parse_shard(text) == Shard(index, count)


@pytest.mark.parametrize("text, says", [("0/3", "K must be from 1 to N"),
                                        ("4/3", "K must be from 1 to N"),
                                        ("2", "not K/N"), ("a/b", "not K/N"),
                                        ("1/0", "K must be from 1 to N")])
def test_a_bad_shard_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_shard(text)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_every_scenario_is_in_exactly_one_part(suite: list[Scenario], count: int) -> None:
    parts = partition(suite, count)
    assert len(parts) == count
    ids = [s.id for part in parts for s in part]
    assert sorted(ids) == sorted(s.id for s in suite)
    order = {s.id: i for i, s in enumerate(suite)}
    for part in parts:  # each part runs in the selection's order (file order: docs/performance)
        assert [order[s.id] for s in part] == sorted(order[s.id] for s in part)


def test_the_parts_do_not_depend_on_the_order_of_the_files(suite: list[Scenario]) -> None:
    shuffled = list(suite)
    random.Random(7).shuffle(shuffled)
    mine = [{s.id for s in part} for part in partition(suite, 3)]
    theirs = [{s.id for s in part} for part in partition(shuffled, 3)]
    assert mine == theirs
    assert selection_digest(suite) == selection_digest(shuffled)


@pytest.mark.parametrize("count", [2, 3, 4])
def test_the_parts_are_balanced_by_expected_duration(suite: list[Scenario], count: int) -> None:
    loads = [sum(map(expected_seconds, part)) for part in partition(suite, count)]
    longest = max(map(expected_seconds, suite))
    # Longest first to the least loaded part: no part exceeds another by more than one
    # scenario's cost (the longest one, here a 4 s greeting), however many parts.
    assert max(loads) - min(loads) <= longest + 1e-9
    waiting = [s for s in suite if expected_seconds(s) >= 1]
    by_part = [sum(expected_seconds(s) >= 1 for s in part) for part in partition(suite, count)]
    assert sum(by_part) == len(waiting) and min(by_part) >= 1  # the waits are spread out


def test_a_shard_names_its_selection_and_the_places_of_its_scenarios(
        suite: list[Scenario]) -> None:
    part, shard = cut(suite, Shard(2, 3))
    assert (shard.index, shard.count, shard.scenarios) == (2, 3, len(suite))
    assert shard.selection == selection_digest(suite)
    assert {suite[p].id for p in shard.positions.values()} == {s.id for s in part}
    assert cut(suite[1:], Shard(2, 3))[1].selection != shard.selection
    whole, one = cut(suite, Shard(1, 1))
    assert whole == suite and sorted(one.positions.values()) == list(range(len(suite)))
