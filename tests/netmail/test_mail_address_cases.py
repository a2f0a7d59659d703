"""netmail's MailAddress against what real .NET 8 did with the same input: each line of
``mail_address_cases.jsonl`` was recorded from the runtime (``smtp-harness diff`` generates
the inputs; the dotnet8 half of this check runs in tests/harness/diff)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.adapters import NetmailAdapter
from harness.diff.cases import Case
from harness.diff.compare import compare
from harness.diff.departures import load_departures
from harness.diff.observe import address_request

CASES = Path(__file__).with_name("mail_address_cases.jsonl")
DEPARTURES = load_departures()


def recorded() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]


def test_the_file_covers_failures_and_successes() -> None:
    outcomes = {case["expect"].get("exception") for case in recorded()}
    assert {None, "FormatException", "ArgumentException", "ArgumentNullException"} <= outcomes


@pytest.mark.parametrize("case", recorded(), ids=lambda c: repr(c.get("address"))[:40])
def test_netmail_parses_as_dotnet_did(case: dict[str, Any]) -> None:
    """The same outcome, or a difference a listed departure explains."""
    data = {k: v for k, v in case.items() if k not in ("expect", "against")}
    got = NetmailAdapter().parse_address(address_request(Case("addresses", data)))
    found = compare(Case("addresses", data), got.comparable(), case["expect"], DEPARTURES,
                    case["against"])
    assert found.agrees, (found.unexplained, got, case["expect"])
