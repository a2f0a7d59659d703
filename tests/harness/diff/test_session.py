"""The differential run's verdicts on clients that break in known ways: one that is wrong
every time is a finding and fails the run; one whose reference flips between runs is reported
as unstable, apart, and never counted as agreeing."""

from __future__ import annotations

import itertools
from pathlib import Path

from harness.adapters import NetmailAdapter
from harness.address import AddressOutcome, AddressRequest
from harness.diff.engine import Pair
from harness.diff.session import render, run_diff


class Flipping(NetmailAdapter):
    """netmail, except that every other empty-address construction (the first among them)
    raises FormatException
    (a reference that races with itself)."""

    def __init__(self) -> None:
        super().__init__("flipping")
        self._turn = itertools.count()

    def parse_address(self, request: AddressRequest) -> AddressOutcome:
        if request.address == "" and next(self._turn) % 2 == 0:
            return AddressOutcome(exception="FormatException")
        return super().parse_address(request)


class Lying(NetmailAdapter):
    """netmail, except that an empty address always raises FormatException."""

    def parse_address(self, request: AddressRequest) -> AddressOutcome:
        if request.address == "":
            return AddressOutcome(exception="FormatException")
        return super().parse_address(request)


def test_a_client_wrong_every_time_fails_the_run(tmp_path: Path) -> None:
    report = run_diff(Pair(Lying("lying"), NetmailAdapter(), "netmail", ()), 200, 1, tmp_path,
                      ("addresses",))
    assert report.unexplained >= 1
    assert [f.comparison.case.data for f in report.findings] == [{"address": ""}]
    assert '"address": ""' in (tmp_path / "mail_address.jsonl").read_text()
    assert "UNEXPLAINED [addresses]" in render(report)


def test_a_reference_that_flips_is_unstable_not_agreeing(tmp_path: Path) -> None:
    report = run_diff(Pair(NetmailAdapter(), Flipping(), "flipping", ()), 200, 1, tmp_path,
                      ("addresses",))
    assert report.unexplained == 0
    flipped = [f for f in report.findings if f.unstable]
    assert flipped and report.axes["addresses"]["unstable"] >= 1
    assert "UNSTABLE (the reference varies between runs)" in render(report)
