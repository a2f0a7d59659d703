"""Merging shards: the results of one run, in its order, or an error that names the file."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness.adapters import make_adapter
from harness.loader import load_scenarios
from harness.merge import MergeError, merge, read_part
from harness.model import Scenario
from harness.report.json_report import write_json
from harness.report.result import Result, as_results
from harness.runner import run_all
from harness.shard import Shard, cut
from harness.verdict import Verdict

SCENARIOS = Path(__file__).parents[2] / "scenarios"
CLIENTS = ("netmail", "smtplib")
SOME = ("recipients/", "auth/", "contract/pickup", "transport/connect-refused", "replies/data/")


@pytest.fixture(scope="module")
def run() -> tuple[list[Scenario], list[Verdict]]:
    """A real run of a few dozen scenarios on two clients: passes, profiled deviations,
    not runnable ones (smtplib has no pickup directory), transcripts."""
    scenarios, errors = load_scenarios([SCENARIOS])
    assert not errors
    chosen = [s for s in scenarios if s.id.startswith(SOME) and "slow" not in s.id][:60]
    random.Random(3).shuffle(chosen)  # a run's order is not the ids' order: merge keeps it
    adapters = [make_adapter(name) for name in CLIENTS]
    for adapter in adapters:
        adapter.start()
    try:
        return chosen, run_all(chosen, adapters)
    finally:
        for adapter in adapters:
            adapter.close()


WriteParts = Callable[..., list[Path]]


@pytest.fixture
def write_parts(run: tuple[list[Scenario], list[Verdict]], tmp_path: Path) -> WriteParts:
    scenarios, verdicts = run

    def write(count: int, edit: Callable[[int, dict[str, Any]], None] | None = None,
              selection: list[Scenario] | None = None) -> list[Path]:
        paths = []
        for index in range(1, count + 1):
            part, shard = cut(selection or scenarios, Shard(index, count))
            ids = {s.id for s in part}
            path = tmp_path / f"part-{index}.json"
            write_json([v for v in verdicts if v.scenario.id in ids], path,
                       started=datetime(2026, 1, index, tzinfo=UTC), elapsed=float(index),
                       contract_only=False, shard=shard, clients=CLIENTS)
            if edit is not None:
                document = json.loads(path.read_text())
                edit(index, document)
                path.write_text(json.dumps(document))
            paths.append(path)
        return paths

    return write


def test_a_result_reads_back_as_it_was_written(run: tuple[list[Scenario], list[Verdict]]
                                               ) -> None:
    results = as_results(run[1])
    assert {r.status for r in results} >= {"pass", "deviates", "not-runnable"}
    assert any(r.transcript for r in results) and any(r.profiled for r in results)
    for result in results:
        assert Result.from_json(json.loads(json.dumps(result.to_json()))) == result


@pytest.mark.parametrize("count", [1, 2, 3])
def test_merged_parts_are_the_run_in_its_order(write_parts: WriteParts, count: int,
                                               run: tuple[list[Scenario], list[Verdict]]
                                               ) -> None:
    parts = write_parts(count)
    merged = merge(list(reversed(parts)))  # the order the parts are named in does not matter
    assert merged.results == as_results(run[1])
    assert merged.elapsed == float(count)  # the longest part: N jobs side by side
    assert merged.began == datetime(2026, 1, 1, tzinfo=UTC)
    assert [p["shard"]["index"] for p in merged.parts] == list(range(1, count + 1))


def test_an_empty_part_merges(write_parts: WriteParts,
                              run: tuple[list[Scenario], list[Verdict]]) -> None:
    """Three jobs for two scenarios: one part runs nothing, and still names its clients."""
    two = run[0][:2]
    parts = write_parts(3, selection=two)
    assert sum(not json.loads(p.read_text())["results"] for p in parts) == 1
    merged = merge(parts)
    assert [(r.scenario, r.client) for r in merged.results] == [
        (s.id, c) for s in two for c in CLIENTS]


def test_a_missing_part_is_an_error(write_parts: WriteParts) -> None:
    parts = write_parts(3)
    with pytest.raises(MergeError, match=r"missing part\(s\) 2 of 3"):
        merge([parts[0], parts[2]])


def test_a_part_given_twice_is_an_error(write_parts: WriteParts, tmp_path: Path) -> None:
    parts = write_parts(3)
    copy = tmp_path / "copy.json"
    copy.write_text(parts[1].read_text())
    with pytest.raises(MergeError, match=r"part 2/3 twice: .*part-2.json and .*copy.json"):
        merge([*parts, copy])


def test_parts_of_another_selection_are_refused(write_parts: WriteParts,
                                                run: tuple[list[Scenario], list[Verdict]],
                                                tmp_path: Path) -> None:
    parts = write_parts(2)
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.json").write_text(parts[1].read_text())
    mine = json.loads(parts[1].read_text())
    mine["run"]["shard"]["selection"] = "0123456789abcdef"
    (other / "b.json").write_text(json.dumps(mine))
    with pytest.raises(MergeError, match="not parts of one run"):
        merge([parts[0], other / "b.json"])


@pytest.mark.parametrize("field, value, says", [
    ("clients", ["smtplib", "netmail"], "another clients"),
    ("contract_only", True, "another --contract-only"),
    ("tool", {"name": "smtp-conformance", "version": "0.0.1"}, "another harness version"),
])
def test_parts_of_another_run_are_refused(write_parts: WriteParts, field: str, value: Any,
                                          says: str) -> None:
    def change(index: int, document: dict[str, Any]) -> None:
        if index == 2:
            document["run"][field] = value
    parts = write_parts(2, change)
    with pytest.raises(MergeError, match=says):
        merge(parts)


def test_a_part_that_did_not_run_its_whole_share_is_refused(write_parts: WriteParts) -> None:
    def drop_last(index: int, document: dict[str, Any]) -> None:
        if index == 1:
            document["results"].pop()  # what -x leaves: the share's end not run
    parts = write_parts(2, drop_last)
    with pytest.raises(MergeError, match=r"part-1.json: part 1/2 lacks 1 result\(s\).*-x"):
        merge(parts)


def test_a_result_twice_or_out_of_its_share_is_refused(write_parts: WriteParts) -> None:
    def duplicate(index: int, document: dict[str, Any]) -> None:
        if index == 1:
            document["results"].append(document["results"][0])
    with pytest.raises(MergeError, match="twice"):
        merge(write_parts(2, duplicate))

    def stranger(index: int, document: dict[str, Any]) -> None:
        if index == 1:
            document["results"][0]["scenario"] = "nobody/ran-this"
    with pytest.raises(MergeError, match=r"nobody/ran-this.*not in its share"):
        merge(write_parts(2, stranger))


def test_the_same_scenario_in_two_parts_is_refused(write_parts: WriteParts) -> None:
    def claim(index: int, document: dict[str, Any]) -> None:
        if index == 2:
            document["run"]["shard"]["positions"] = {
                **document["run"]["shard"]["positions"], "recipients/first-rejected": 0}
    parts = write_parts(2, claim)
    with pytest.raises(MergeError):
        merge(parts)


@pytest.mark.parametrize("text, says", [
    ("not json", "cannot read it"),
    ('{"format": "something-else"}', "not a results document"),
    ('{"format": "smtp-conformance-results", "version": 3}', "version 3"),
    ('{"format": "smtp-conformance-results", "version": 2, "run": {}, "results": []}',
     r"it does not say which part it is \(run.shard\).*older"),
])
def test_a_file_that_is_not_a_part_says_so(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(MergeError, match=f"bad.json: {says}"):
        read_part(path)


def test_a_document_without_what_a_merge_needs_is_refused(write_parts: WriteParts) -> None:
    def older(index: int, document: dict[str, Any]) -> None:
        for row in document["results"]:
            del row["transcript"]
    with pytest.raises(MergeError, match=r"lacks 'transcript'.*older smtp-harness"):
        merge(write_parts(1, older))
