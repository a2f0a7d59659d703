"""The scenario model: defaults, lookups, and agreement with the documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.manual import topic_path
from harness.model import (
    STEPS,
    Action,
    ClientSpec,
    Expectation,
    Scenario,
    ServerScript,
)
from smtp_contract import CONDITIONS, CONTRACT_EXCEPTIONS

DOCS = topic_path("scenarios")


def test_actions_and_max_delay() -> None:
    script = ServerScript(steps=(
        ("greeting", (Action(delay=0.5),)),
        ("rcpt", (Action(delay=0.25), Action(delay=1.0, match="a@b"))),
        ("mail", (Action(reply=("250 ok",)),)),
    ))
    assert script.actions("rcpt")[1].is_matcher
    assert script.actions("quit") == ()
    assert script.max_delay == pytest.approx(1.5)
    assert ServerScript().max_delay == 0


def test_max_delay_counts_raw_intervals_and_read_pauses() -> None:
    """The hung-scenario budget must cover every wait the script makes, not only delays."""
    pieces = Action(raw="abc", pieces=("a", "b", "c"), interval=0.5, delay=0.25)
    script = ServerScript(steps=(("greeting", (pieces,)), ("data", (Action(read_pause=2.0),))))
    assert pieces.waits == pytest.approx(1.25)
    assert script.max_delay == pytest.approx(3.25)


def test_expectation_for() -> None:
    documented = Expectation(raises="SmtpException")
    profile = Expectation(raises="OSError", why="observed")
    scenario = Scenario("a", "delivered", Path("a.yaml"), 1, "", None,
                        client=ClientSpec(),
                        message=None, expect=documented, profiles=(("other", profile),))
    assert scenario.expectation_for("netmail") == (documented, False)
    assert scenario.expectation_for("other") == (profile, True)


def test_docs_name_every_condition_step_and_exception() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+(?:-[a-z_]+)*)`", text))
    assert set(CONDITIONS) <= documented, set(CONDITIONS) - documented
    assert set(STEPS) <= documented, set(STEPS) - documented
    assert all(name in text for name in CONTRACT_EXCEPTIONS)
