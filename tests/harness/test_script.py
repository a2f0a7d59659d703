"""Choosing an action per command: matchers first, then the sequence, then normal behaviour."""

from __future__ import annotations

import pytest

from harness.model import DEFAULT_ACTION, Action, ServerScript
from harness.server.script import ScriptCursor, address_of

BAD = Action(reply=("550 bad",), match="Bad@Example.com")
PATTERN = Action(reply=("551 pattern",), pattern=r"^x-\d+@")
FIRST = Action(reply=("451 first",))
SECOND = Action(reply=("452 second",))


def cursor(**steps: tuple[Action, ...]) -> ScriptCursor:
    return ScriptCursor(ServerScript(steps=tuple(steps.items())))


@pytest.mark.parametrize(("argument", "address"), [
    ("TO:<a@example.com>", "a@example.com"),
    ("TO:<a@example.com> NOTIFY=NEVER", "a@example.com"),
    ("FROM:<> SIZE=10", ""),
    ("to: b@example.com", "b@example.com"),
    ("TO:b@example.com", "b@example.com"),
    ("somehost", "somehost"),
    ("", ""),
    (None, ""),
])
def test_address_of(argument: str | None, address: str) -> None:
    assert address_of(argument) == address


def test_sequence_is_used_in_order_then_normal() -> None:
    c = cursor(rcpt=(FIRST, SECOND))
    assert c.next_action("rcpt", "TO:<a@x>") is FIRST
    assert c.next_action("rcpt", "TO:<b@x>") is SECOND
    assert c.next_action("rcpt", "TO:<c@x>") is DEFAULT_ACTION
    assert c.next_action("rcpt", "TO:<d@x>") is DEFAULT_ACTION


def test_steps_have_independent_positions() -> None:
    c = cursor(mail=(FIRST,), rcpt=(SECOND,))
    assert c.next_action("rcpt", "TO:<a@x>") is SECOND
    assert c.next_action("mail", "FROM:<a@x>") is FIRST
    assert c.next_action("mail", "FROM:<a@x>") is DEFAULT_ACTION


def test_unscripted_step_is_normal() -> None:
    c = cursor(rcpt=(FIRST,))
    assert c.next_action("mail", "FROM:<a@x>") is DEFAULT_ACTION
    assert c.next_action("greeting", None) is DEFAULT_ACTION


def test_match_is_case_insensitive_and_applies_every_time() -> None:
    c = cursor(rcpt=(BAD,))
    for _ in range(3):
        assert c.next_action("rcpt", "TO:<bad@EXAMPLE.com>") is BAD
    assert c.next_action("rcpt", "TO:<good@example.com>") is DEFAULT_ACTION
    assert c.next_action("rcpt", "TO:<notbad@example.com>") is DEFAULT_ACTION


def test_pattern_searches_the_address() -> None:
    c = cursor(rcpt=(PATTERN,))
    assert c.next_action("rcpt", "TO:<x-12@example.com>") is PATTERN
    assert c.next_action("rcpt", "TO:<x-ab@example.com>") is DEFAULT_ACTION
    assert c.next_action("rcpt", "TO:<yx-1@example.com>") is DEFAULT_ACTION


def test_matchers_do_not_consume_the_sequence() -> None:
    """A matching command leaves the sequence where it was, wherever the matcher is listed."""
    c = cursor(rcpt=(FIRST, BAD, SECOND, PATTERN))
    assert c.next_action("rcpt", "TO:<bad@example.com>") is BAD
    assert c.next_action("rcpt", "TO:<a@x>") is FIRST
    assert c.next_action("rcpt", "TO:<x-1@example.com>") is PATTERN
    assert c.next_action("rcpt", "TO:<b@x>") is SECOND
    assert c.next_action("rcpt", "TO:<c@x>") is DEFAULT_ACTION
    assert c.next_action("rcpt", "TO:<BAD@example.com>") is BAD


def test_first_matching_matcher_wins() -> None:
    broad = Action(reply=("550 any",), pattern=".")
    c = cursor(rcpt=(BAD, broad))
    assert c.next_action("rcpt", "TO:<bad@example.com>") is BAD
    assert c.next_action("rcpt", "TO:<other@example.com>") is broad


def test_each_cursor_has_its_own_positions() -> None:
    """The cursor belongs to one server; a second server starts its sequence afresh."""
    script = ServerScript(steps=(("greeting", (FIRST,)),))
    one, two = ScriptCursor(script), ScriptCursor(script)
    assert one.next_action("greeting", None) is FIRST
    assert one.next_action("greeting", None) is DEFAULT_ACTION
    assert two.next_action("greeting", None) is FIRST


def test_default_action_does_nothing_special() -> None:
    assert DEFAULT_ACTION.reply is None and DEFAULT_ACTION.raw is None
    assert DEFAULT_ACTION.drop is None and DEFAULT_ACTION.delay == 0
    assert not DEFAULT_ACTION.is_matcher
    assert BAD.is_matcher and PATTERN.is_matcher
