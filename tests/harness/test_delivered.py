"""The delivered-message judge: facts about a message, read back with the stdlib parser.

Messages here are built with the stdlib ``email`` package, never with netmail, so the judge
is tested on its own; each check is shown to fail on a message that breaks it.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

import pytest

from harness.delivered import differences, unstuff
from harness.model import MessageFacts, PartFacts


def message(body: str = "Hello\n", **headers: str | list[str]) -> EmailMessage:
    built = EmailMessage(policy=SMTP)
    for name, value in headers.items():
        for item in [value] if isinstance(value, str) else value:
            built[name.replace("_", "-")] = item
    built.set_content(body)
    return built


def with_attachment() -> bytes:
    built = message("See attached.\n", From="a@example.com")
    built.add_attachment(b"a,b\r\n", maintype="text", subtype="csv", filename="r.csv")
    return built.as_bytes()


def test_a_matching_message_has_no_differences() -> None:
    data = message("Grüße\n", From='"Doe, John" <j@example.com>', Subject="Grüße").as_bytes()
    facts = MessageFacts(headers=(("From", '"Doe, John" <j@example.com>'), ("Subject", "Grüße"),
                                  ("Bcc", ())),
                         content_type="text/plain", body="Grüße", defects=0, line_limit=78)
    assert differences(facts, data, "m") == []


@pytest.mark.parametrize(("facts", "wanted"), [
    (MessageFacts(headers=(("From", "b@example.com"),)), "m.headers.From"),
    (MessageFacts(headers=(("X-Tag", ("one",)),)), "m.headers.X-Tag"),  # there are two
    (MessageFacts(headers=(("Subject", "absent"),)), "m.headers.Subject"),
    (MessageFacts(content_type="text/html"), "m.content_type"),
    (MessageFacts(body="Goodbye"), "m.body"),
    (MessageFacts(line_limit=10), "m.line_limit"),
    (MessageFacts(parts=(PartFacts(), PartFacts())), "m.parts"),
    (MessageFacts(parts=(PartFacts(content_type="text/csv"),)), "m.parts[0].content_type"),
])
def test_each_check_fails_on_a_message_that_breaks_it(facts: MessageFacts, wanted: str) -> None:
    data = message(From="a@example.com", X_Tag=["one", "two"]).as_bytes()
    found = differences(facts, data, "m")
    assert len(found) == 1 and found[0].startswith(wanted + ":"), found


def test_parts_in_order_with_names_and_decoded_text() -> None:
    parts = (PartFacts("text/plain", None, "See attached.\n"),
             PartFacts("text/csv", "r.csv", "a,b\n"))
    assert differences(MessageFacts(parts=parts, content_type="multipart/mixed"),
                       with_attachment(), "m") == []
    renamed = (parts[0], PartFacts("text/csv", "other.csv", None))
    assert differences(MessageFacts(parts=renamed), with_attachment(), "m") == [
        "m.parts[1].filename: expected 'other.csv', got 'r.csv'"]


def test_defects_are_counted() -> None:
    broken = b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n"
    assert differences(MessageFacts(defects=0), broken, "m")[0].startswith("m.defects:")


def test_unstuff_removes_one_leading_dot_per_line() -> None:
    assert unstuff(b"..a\r\nb.\r\n...c\r\n") == b".a\r\nb.\r\n..c\r\n"
