"""``smtp-harness diff`` against the real .NET 8 runtime: a broken netmail is found, shrunk
and written down as a scenario that fails it, and the real netmail agrees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.adapters import NetmailAdapter
from harness.adapters.process import ProcessAdapter
from harness.diff import AXES
from harness.diff.departures import load_departures
from harness.diff.engine import Pair
from harness.diff.replay import load_cases, replay
from harness.diff.session import run_diff
from harness.loader import load_scenarios
from harness.runner import run_all
from harness.verdict import FAIL, PASS

from ..test_dotnet_adapter import start
from ..test_mutant import mutated_netmail

EMPTY_ORIGINAL = 'raise ArgumentException("The value cannot be an empty string.", "address")'
EMPTY_MUTATED = 'raise FormatException("The value cannot be an empty string.")'


@pytest.fixture(scope="module")
def dotnet8(pytestconfig: pytest.Config) -> Iterator[ProcessAdapter]:
    adapter = start("dotnet8", pytestconfig)
    yield adapter
    adapter.close()


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NetmailAdapter]:
    """netmail with the wrong exception for an empty address (FormatException)."""
    yield from mutated_netmail(tmp_path / "mutant", monkeypatch, "message.py", EMPTY_ORIGINAL,
                               EMPTY_MUTATED)


def test_the_diff_finds_a_broken_netmail_and_writes_a_failing_scenario(
        broken: NetmailAdapter, dotnet8: ProcessAdapter, tmp_path: Path) -> None:
    pair = Pair(broken, dotnet8, "dotnet8", load_departures())
    out = tmp_path / "out"
    report = run_diff(pair, 120, 1, out, ("addresses", "message-addresses"))
    assert report.unexplained > 0
    lines = [json.loads(line) for line in (out / "mail_address.jsonl").read_text().splitlines()]
    assert {"address": "", "expect": {"exception": "ArgumentException"},
            "against": "dotnet8"} in lines
    scenarios, errors = load_scenarios([out / "scenarios"])
    assert not errors and scenarios
    written = [s for s in scenarios if s.message and s.message.from_ == ""]
    assert written, [s.id for s in scenarios]  # shrunk to the empty From itself
    assert written[0].expect.raises == "ArgumentException"
    verdicts = run_all(written, [broken, NetmailAdapter(), dotnet8])
    assert [v.status for v in verdicts] == [FAIL, PASS, PASS]


def test_netmail_parses_addresses_as_dotnet8_does(dotnet8: ProcessAdapter) -> None:
    pair = Pair(NetmailAdapter(), dotnet8, "dotnet8", load_departures())
    report = run_diff(pair, 300, 7, None, ("addresses",))
    assert report.unexplained == 0, [f.comparison.case.data for f in report.findings]
    assert report.axes["addresses"]["cases"] > 250


def test_netmail_agrees_with_dotnet8_on_every_axis(dotnet8: ProcessAdapter) -> None:
    """The pytest entry point of the differential run (CI runs a longer one with the CLI)."""
    pair = Pair(NetmailAdapter(), dotnet8, "dotnet8", load_departures())
    report = run_diff(pair, 200, 3, None)
    unexplained = [(f.comparison.case.data, f.comparison.unexplained)
                   for f in report.findings if not f.unstable]
    assert report.unexplained == 0, unexplained
    assert set(report.axes) == set(AXES)


def test_dotnet8_still_parses_as_the_data_file_records(dotnet8: ProcessAdapter) -> None:
    """scenarios/mail_address.jsonl holds netmail to what .NET 8 did; this holds
    the file to what the runtime does, so that it cannot drift from its oracle."""
    differing = [(recorded.line, found.unexplained)
                 for recorded, found in replay(dotnet8, load_cases(), ())]
    assert not differing
