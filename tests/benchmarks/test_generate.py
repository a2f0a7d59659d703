"""``benchmarks.generate`` writes scenarios that differ from their sources and still test the
same thing: every copy loads, ids are unique, and netmail gets the same verdict from a copy
as from its source, run side by side. Without the second half a generator could vary
addresses in the message and not in the expectation, and every copy would fail unnoticed.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.generate import (
    REPLY_LINE,
    generate,
    rename_addresses,
    rename_pattern,
    source_files,
    vary_reply_line,
)
from harness.adapters import make_adapter
from harness.loader import load_scenario, load_scenarios
from harness.model import Scenario
from harness.runner import run_all

COUNT = 60
SEED = 18
SCENARIOS = Path(__file__).parents[2] / "scenarios"
ID_SUFFIX = re.compile(r"-[a-z]+-\d+$")


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("generated")
    return out, generate(COUNT, out, SEED)


@pytest.fixture(scope="module")
def pairs(copies: tuple[Path, list[Path]]) -> list[tuple[Scenario, Scenario]]:
    """(source, copy) for every copy, the source found by the copy's id."""
    sources = {s.id: s for s in load_scenarios([SCENARIOS])[0]}
    made = [load_scenario(path) for path in copies[1]]
    return [(sources[ID_SUFFIX.sub("", copy.id)], copy) for copy in made]


def _addresses(scenario: Scenario) -> list[str]:
    message = scenario.message
    if message is None:
        return []
    return [a for a in (message.from_, *message.to, *message.cc, *message.bcc) if a]


def _reply_lines(scenario: Scenario) -> list[tuple[str, str]]:
    if scenario.server is None:
        return []
    return [(step, line) for step, actions in scenario.server.steps for action in actions
            for line in action.reply or ()]


def test_every_copy_loads_under_its_sources_directory(copies: tuple[Path, list[Path]]
                                                      ) -> None:
    out, paths = copies
    assert len(paths) == COUNT and len(set(paths)) == COUNT
    scenarios, errors = load_scenarios([out])
    assert errors == []
    assert len(scenarios) == COUNT  # load_scenarios refuses a repeated id
    for scenario in scenarios:
        assert scenario.path == out.joinpath(*scenario.id.split("/")).with_suffix(".yaml")
        assert ID_SUFFIX.search(scenario.id), scenario.id


def test_copies_spread_over_the_whole_set(pairs: list[tuple[Scenario, Scenario]]) -> None:
    sources = [source.id for source, _ in pairs]
    assert len(set(sources)) == COUNT  # fewer copies than sources: no source twice
    # evenly spaced: every directory with more files than the spacing has a copy
    files = source_files(SCENARIOS)
    sizes = Counter(p.relative_to(SCENARIOS).parts[0] for p in files)
    big = {name for name, size in sizes.items() if size >= len(files) / COUNT}
    assert len(big) >= 10
    assert big <= {s.split("/")[0] for s in sources}


def test_netmail_judges_every_copy_as_its_source(pairs: list[tuple[Scenario, Scenario]]
                                                 ) -> None:
    scenarios = [s for pair in pairs for s in pair]
    status = {v.scenario.id: (v.status, v.differences)
              for v in run_all(scenarios, [make_adapter("netmail")])}
    for source, copy in pairs:
        assert status[copy.id][0] == status[source.id][0], (copy.id, status[copy.id])
        assert status[copy.id][0] == "pass", (copy.id, status[copy.id])


def test_addresses_are_renamed_consistently(pairs: list[tuple[Scenario, Scenario]]) -> None:
    renamed = 0
    for source, copy in pairs:
        before, after = _addresses(source), _addresses(copy)
        assert len(before) == len(after)
        for old, new in zip(before, after, strict=True):
            assert len(old) == len(new) and old.rsplit("@", 1)[-1] == new.rsplit("@", 1)[-1]
            local = old.rsplit("@", 1)[0]
            if "@" in old and re.search(r"[A-Za-z]", local) and '"' not in local:
                assert old != new, (copy.id, old)
                renamed += 1
        # the rejected recipients are renamed as the message is: they still name its addresses
        for failed in copy.expect.failed_recipients or ():
            assert failed.address.strip("<>") in " ".join(after) or not after
    assert renamed >= COUNT  # every scenario has a sender or a recipient, most several


def test_reply_texts_vary_and_codes_stay(pairs: list[tuple[Scenario, Scenario]]) -> None:
    changed = total = 0
    for source, copy in pairs:
        before, after = _reply_lines(source), _reply_lines(copy)
        assert len(before) == len(after)
        for (step, old), (_, new) in zip(before, after, strict=True):
            old_parts, new_parts = REPLY_LINE.fullmatch(old), REPLY_LINE.fullmatch(new)
            assert old_parts and new_parts
            assert (old_parts[1], old_parts[2]) == (new_parts[1], new_parts[2]), (copy.id, old)
            assert len(old) == len(new)
            if step != "ehlo" and old_parts[3]:
                total += 1
                changed += old != new
    assert total >= 20
    assert changed >= total // 2, (changed, total)


def test_a_seed_gives_the_same_files_and_another_seed_others(tmp_path: Path) -> None:
    first = generate(12, tmp_path / "a", seed=5)
    again = generate(12, tmp_path / "b", seed=5)
    other = generate(12, tmp_path / "c", seed=6)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert sum(a.read_bytes() != b.read_bytes() for a, b in zip(first, other, strict=True)) >= 10


def test_more_copies_than_sources_differ_from_each_other(tmp_path: Path) -> None:
    sources = source_files(SCENARIOS)[:3]
    paths = generate(9, tmp_path, seed=1, sources=sources)
    made = [load_scenario(p) for p in paths]
    assert len({s.id for s in made}) == 9
    for index in range(3):  # copies 0, 3, 6 come from the first source, and so on
        same_source = made[index::3]
        assert len({tuple(_addresses(s)) for s in same_source}) == 3


def test_what_an_expectation_reads_in_a_reply_is_kept() -> None:
    rng = random.Random(0)
    refusal = "550 5.7.1 scripted refusal"
    assert vary_reply_line(refusal, "mail", ["The server response was: scripted refusal"],
                           rng) == refusal
    varied = vary_reply_line("550 5.1.1 No such user here", "rcpt", ["such user"], rng)
    assert varied.startswith("550 5.1.1 ") and "such user" in varied
    assert varied != "550 5.1.1 No such user here" and len(varied) == 27
    assert vary_reply_line("250-PIPELINING", "ehlo", [], rng) == "250-PIPELINING"
    assert vary_reply_line("334 VXNlcm5hbWU6", "auth", [], rng) == "334 VXNlcm5hbWU6"
    assert "<bad@example.com>" in vary_reply_line("550 <bad@example.com> unknown", "rcpt", [],
                                                  rng)


def test_a_pattern_keeps_matching_the_renamed_address() -> None:
    permutation = dict(zip("abcdefghijklmnopqrstuvwxyz", "bcdefghijklmnopqrstuvwxyza",
                           strict=True))
    assert rename_addresses("To: Bad <bad@example.com>, J @0", permutation) == (
        "To: Bad <cbe@example.com>, K @0")
    for pattern in ("^bad", r"^b\w+d@", "(?i)^BAD", ".*"):
        renamed = rename_pattern(pattern, permutation)
        assert re.search(renamed, rename_addresses("bad@example.com", permutation)), renamed
    assert rename_pattern(r"^\d+@example\.com", permutation) == r"^\d+@example\.com"
