"""Recording profiles: merging runs, choosing the reason, and editing the file safely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from harness.loader import load_scenario
from harness.model import Scenario
from harness.profiles import merge_runs, reason_for, with_profile, write_profile

WriteFile = Callable[[str, str], Path]

SCENARIO = """\
# A hand-written scenario: this comment must survive.
id: recipients/x
condition: recipients-failed
server:
  rcpt: [{reply: "550 no"}]   # the first recipient is refused
message: {to: [a@example.com]}
expect:
  raises: SmtpFailedRecipientException
  status_code: MailboxUnavailable
profiles:
  zeta: {why: "zeta's reason", raises: SmtpException}
"""


def test_runs_that_agree_are_kept_whole() -> None:
    seen = {"raises": "SmtpException", "status_code": "GeneralFailure",
            "server": {"commands": ["EHLO", "MAIL"]}}
    assert merge_runs(seen, dict(seen)) == (seen, [])


def test_a_field_that_varies_is_unchecked_not_dropped() -> None:
    first = {"raises": "SmtpException", "message_contains": "Failure sending",
             "server": {"connections": 1, "commands": ["EHLO"]}}
    second = {"raises": "SmtpException", "inner": "IOException",
              "server": {"connections": 2, "commands": ["EHLO"]}, "unchecked": ["pickup_files"]}
    kept, varying = merge_runs(first, second)
    assert kept == {"raises": "SmtpException", "server": {"commands": ["EHLO"]},
                    "unchecked": ["inner", "message_contains", "pickup_files",
                                  "server.connections"]}
    assert varying == []


def test_an_outcome_that_cannot_be_unchecked_is_reported_as_varying() -> None:
    kept, varying = merge_runs({"raises": "SmtpException", "earlier": [{"raises": "X"}]},
                               {"raises": None, "earlier": [{"raises": None}]})
    assert varying == ["raises", "earlier"]
    assert "raises" not in kept and "earlier" not in kept


def _scenario(write_file: WriteFile, text: str = SCENARIO) -> Scenario:
    return load_scenario(write_file("recipients/x.yaml", text))


def test_the_reason_comes_from_a_matching_glob_first(write_file: WriteFile) -> None:
    scenario = _scenario(write_file)
    whys = [("auth/*", "not this one"), ("recipients/*", "recipients reason"),
            ("*", "catch-all")]
    assert reason_for(scenario, "zeta", whys, "default") == "recipients reason"
    assert reason_for(scenario, "zeta", whys[:1], "default") == "zeta's reason"
    assert reason_for(scenario, "mono", whys[:1], "default") == "default"
    assert reason_for(scenario, "mono", [], None) is None
    assert reason_for(scenario, "zeta", [("recipients/X", "case matters")], None) == (
        "zeta's reason")


def test_a_profile_is_added_in_name_order_and_comments_survive(write_file: WriteFile) -> None:
    text = with_profile(SCENARIO, "mono", {"why": "mono's reason", "raises": None,
                                           "server": {"commands": ["EHLO", "QUIT"]},
                                           "unchecked": ["inner"]})
    assert "# A hand-written scenario: this comment must survive." in text
    assert "# the first recipient is refused" in text
    data = yaml.safe_load(text)
    assert list(data) == ["id", "condition", "server", "message", "expect", "profiles"]
    assert list(data["profiles"]) == ["mono", "zeta"]
    assert data["profiles"]["mono"] == {"why": "mono's reason", "raises": None,
                                        "server": {"commands": ["EHLO", "QUIT"]},
                                        "unchecked": ["inner"]}
    assert "raises: null" in text
    assert text.count("profiles:") == 1


def test_a_profile_in_a_flow_style_mapping_is_written_into_it(write_file: WriteFile) -> None:
    """``profiles: {...}`` on one line: the new profile joins it; no second ``profiles:``
    key, which the loader would refuse."""
    flow = SCENARIO.replace("profiles:\n  zeta: {why: \"zeta's reason\", raises: SmtpException}\n",
                            "profiles: {zeta: {why: \"zeta's reason\", raises: SmtpException}}\n")
    assert flow != SCENARIO
    text = with_profile(flow, "alpha", {"why": "alpha's reason", "status_code": 451})
    assert text.count("profiles:") == 1
    scenario = _scenario(write_file, text)
    assert [name for name, _ in scenario.profiles] == ["alpha", "zeta"]
    assert dict(scenario.profiles)["alpha"].status_code == 451


def test_replacing_a_profile_keeps_the_others(write_file: WriteFile) -> None:
    path = write_file("recipients/x.yaml", SCENARIO)
    write_profile(path, "zeta", {"why": "new reason", "raises": "SmtpException",
                                 "status_code": "GeneralFailure"})
    scenario = load_scenario(path)
    zeta = dict(scenario.profiles)["zeta"]
    assert (zeta.why, zeta.status_code) == ("new reason", -1)
    assert "# the first recipient is refused" in path.read_text()
    write_profile(path, "mono", {"why": "m", "raises": "SmtpException"})
    assert [name for name, _ in load_scenario(path).profiles] == ["mono", "zeta"]
