"""The transcript: what a server saw, with credentials redacted and line endings shown."""

from __future__ import annotations

import re

import pytest

from harness.server.transcript import REDACTED, ReceivedMessage, Transcript, redact


@pytest.mark.parametrize(("line", "shown"), [
    ("AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH PLAIN ***"),
    ("auth login YWxpY2U=", "auth login ***"),
    ("AUTH  PLAIN   secret stuff", "AUTH  PLAIN ***"),
    ("AUTH CRAM-MD5", "AUTH CRAM-MD5"),
    ("MAIL FROM:<a@example.com>", "MAIL FROM:<a@example.com>"),
    ("EHLO AUTH PLAIN x", "EHLO AUTH PLAIN x"),
])
def test_redact(line: str, shown: str) -> None:
    assert redact(line) == shown


def test_client_lines_note_their_endings() -> None:
    transcript = Transcript()
    number = transcript.connect(("127.0.0.1", 1))
    transcript.client_line(number, b"EHLO a\r\n")
    transcript.client_line(number, b"MAIL FROM:<a@b>\n")
    transcript.client_line(number, b"RCPT TO:<b@c>")
    transcript.client_line(number, b"AUTH PLAIN c2VjcmV0\r\n")
    transcript.client_line(number, b"NOOP \xff\r\n")
    texts = [e.text for e in transcript.events if e.kind == "client"]
    assert texts == ["EHLO a", "MAIL FROM:<a@b>  <bare LF>", "RCPT TO:<b@c>  <no line ending>",
                     f"AUTH PLAIN {REDACTED}", "NOOP \\xff"]


def test_commands_are_verbs_in_order_without_redacted_lines() -> None:
    transcript = Transcript()
    first = transcript.connect("peer")
    transcript.client_line(first, b"ehlo a\r\n")
    transcript.note(first, "client", REDACTED)
    transcript.note(first, "server", "250 OK")
    transcript.client_line(first, b"quit\r\n")
    second = transcript.connect("peer")
    transcript.client_line(second, b"Mail FROM:<a@b>\r\n")
    assert (first, second, transcript.connections) == (1, 2, 2)
    assert transcript.commands == ["EHLO", "QUIT", "MAIL"]


def test_delivered_to_only_counts_delivered_messages() -> None:
    transcript = Transcript()
    transcript.messages += [ReceivedMessage(1, "a@x", ("b@x", "c@x"), b"one", True),
                            ReceivedMessage(1, "a@x", ("d@x",), b"two", False),
                            ReceivedMessage(2, "a@x", ("e@x",), b"three", True)]
    assert transcript.delivered_to == ["b@x", "c@x", "e@x"]


def test_render_format() -> None:
    transcript = Transcript()
    number = transcript.connect("peer")
    transcript.note(number, "server", "220 hi")
    transcript.client_line(number, b"QUIT\r\n")
    transcript.note(number, "close", "(clean)")
    lines = transcript.render().split("\n")
    assert len(lines) == 4
    pattern = r"^\[ *\d+\.\d{3}s #1\] "
    assert all(re.match(pattern, line) for line in lines), lines
    assert [re.sub(pattern, "", line) for line in lines] == [
        "-- connect from peer", "S: 220 hi", "C: QUIT", "-- close (clean)"]
    assert Transcript().render() == ""
