"""Rendering: CRLF only, Bcc never in headers, dot-stuffing that no body can escape."""

from __future__ import annotations

import email
import email.policy

from hypothesis import given
from hypothesis import strategies as st

from netmail import Attachment, MailMessage
from netmail.rendering import dot_stuff, normalize_line_endings, render


def message(**kwargs: object) -> MailMessage:
    m = MailMessage("Sender <s@x.test>", "a@x.test", "Grüße", "hello\n")
    for key, value in kwargs.items():
        setattr(m, key, value)
    return m


def has_bare_line_break(data: bytes) -> bool:
    stripped = data.replace(b"\r\n", b"")
    return b"\r" in stripped or b"\n" in stripped


def test_headers_and_no_bcc() -> None:
    m = message()
    m.bcc.append("hidden@x.test")
    m.cc.append("c@x.test")
    parsed = email.message_from_bytes(render(m), policy=email.policy.default)
    assert parsed["To"] == "a@x.test" and parsed["Cc"] == "c@x.test"
    assert parsed["Subject"] == "Grüße"
    assert parsed["Date"] and parsed["Message-ID"]
    assert "Bcc" not in parsed and b"hidden@" not in render(m)


def test_seven_bit_unless_utf8() -> None:
    data = render(message(body="naïve ☃\n"))
    assert data.isascii()
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed.get_content().replace("\r\n", "\n") == "naïve ☃\n"


def test_bare_cr_and_lf_in_the_body_become_crlf() -> None:
    data = render(message(body="a\rb\nc\r\nd\n\r.\r\n"))
    assert not has_bare_line_break(data)


def test_attachments_round_trip() -> None:
    m = message()
    m.attachments.append(Attachment(bytes(range(256)), "blob.bin"))
    parsed = email.message_from_bytes(render(m), policy=email.policy.default)
    parts = list(parsed.iter_attachments())
    assert parts[0].get_filename() == "blob.bin"
    assert parts[0].get_content() == bytes(range(256))


def test_normalize_line_endings() -> None:
    assert normalize_line_endings(b"a\nb\rc\r\nd") == b"a\r\nb\r\nc\r\nd\r\n"


def test_dot_stuffing() -> None:
    assert dot_stuff(b".a\r\nb.\r\n.\r\n..\r\n") == b"..a\r\nb.\r\n..\r\n...\r\n"


@given(st.text(max_size=300))
def test_no_body_can_end_data_early_or_carry_a_bare_line_break(body: str) -> None:
    """The smuggling guarantee: after stuffing, CRLF.CRLF never appears before the end."""
    wire = b"\r\n" + dot_stuff(render(message(body=body)))
    assert b"\r\n.\r\n" not in wire
    assert not has_bare_line_break(wire)
