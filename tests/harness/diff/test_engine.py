"""Shrinking and writing: what a smaller case may not lose, and what cannot be written."""

from __future__ import annotations

import pytest

from harness.diff.cases import Case, well_formed
from harness.diff.compare import Comparison
from harness.diff.engine import _valid, simpler
from harness.diff.write import Unwritable, scenario_document

HELD = {"server": {"greeting": [{"delay": 1.0}], "rcpt": [{"reply": "550 no"}]},
        "client": {"state": "cancelled"}}


def test_a_shrunk_cancel_case_keeps_its_hold() -> None:
    """Dropping the greeting's hold would let the cancel race the send (3.1 and Mono then
    answer differently run to run): no such candidate may be tried."""
    case = Case("sequences", HELD)
    assert well_formed(case)
    candidates = [Case("sequences", data) for data in simpler(HELD)]
    unheld = [c for c in candidates if not well_formed(c)]
    assert unheld, "the shrinker offers candidates without the hold"
    assert not any(_valid(c) for c in unheld)
    assert any(_valid(c) for c in candidates)


def test_an_outcome_no_scenario_can_expect_is_not_written() -> None:
    found = Comparison(Case("settings", {"server": {}}),
                       {"outcomes": [["SmtpException", "GeneralFailure"]]},
                       {"outcomes": [["AuthenticationException", None]]}, ("outcomes",))
    with pytest.raises(Unwritable, match="AuthenticationException"):
        scenario_document(found, "dotnet8", "netmail")
    erred = Comparison(found.case, found.client, {"error": "error: the driver hung"},
                       ("outcomes",))
    with pytest.raises(Unwritable, match="did not run it"):
        scenario_document(erred, "dotnet8", "netmail")
