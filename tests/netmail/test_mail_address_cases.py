"""netmail's MailAddress against what real .NET 8 did with the same input: each line of
``scenarios/mail_address.jsonl`` was recorded from the runtime (``smtp-harness diff`` generates
the inputs; tests/harness/diff checks the file against the runtime itself)."""

from __future__ import annotations

import pytest

from harness.adapters import NetmailAdapter
from harness.diff.departures import load_departures
from harness.diff.replay import RecordedCase, load_cases, main, replay

CASES = load_cases()
DEPARTURES = load_departures()


def test_the_file_covers_failures_and_successes() -> None:
    outcomes = {case.expect.get("exception") for case in CASES}
    assert {None, "FormatException", "ArgumentException", "ArgumentNullException"} <= outcomes
    assert len(CASES) > 400


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"line {c.line}")
def test_netmail_parses_as_dotnet_did(case: RecordedCase) -> None:
    """The same outcome, or a difference a listed departure explains."""
    assert replay(NetmailAdapter(), [case], DEPARTURES) == []


def test_the_replay_command_fails_on_a_disagreement(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    lying = tmp_path / "cases.jsonl"
    lying.write_text('{"address": "a@b.c", "expect": {"exception": "FormatException"}, '
                     '"against": "dotnet8"}\n', encoding="utf-8")
    assert main([str(lying)]) == 1
    assert "cases.jsonl:1" in capsys.readouterr().out
    assert main([]) == 0
