"""Rendering: CRLF only, Bcc never in headers, dot-stuffing that no body can escape."""

from __future__ import annotations

import email
import email.policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netmail import Attachment, MailAddress, MailMessage
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


# -- the fast path writes exactly what the email package writes ---------------------------

from unittest import mock  # noqa: E402

from netmail import rendering  # noqa: E402
from netmail.rendering import render_plain, render_with_email_package  # noqa: E402

atoms = st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,5})?", fullmatch=True)
addresses = st.builds(lambda u, d, n: (f"{u}@{d}.test", n), atoms,
                      st.from_regex(r"[a-z]{1,8}", fullmatch=True),
                      st.sampled_from(["", "Ann", "Ann Lee", "O'Neil", "Jean-Luc", "Doe, J",
                                       "Zoë", "a.b"]))
printable = st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=0x7E), max_size=90)


def build(sender, to, cc, subject, body, html, header):  # type: ignore[no-untyped-def]
    message = MailMessage(None, None, "", body, is_body_html=html)
    message.from_ = __import__("netmail").MailAddress(sender[0], sender[1])
    for address, name in to:
        message.to.append(__import__("netmail").MailAddress(address, name))
    for address, name in cc:
        message.cc.append(__import__("netmail").MailAddress(address, name))
    if "\r" not in subject and "\n" not in subject and "\0" not in subject:
        message.subject = subject
    if header and all(c not in header for c in "\r\n\0"):
        message.headers["X-Extra"] = header
    return message


@settings(max_examples=300)
@given(sender=addresses, to=st.lists(addresses, min_size=1, max_size=4),
       cc=st.lists(addresses, max_size=2), subject=printable,
       body=st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=0x7E) | st.just("\n")
                    | st.just("\r") | st.just("é"), max_size=300),
       html=st.booleans(), header=printable)
def test_fast_path_is_byte_identical_to_the_email_package(sender, to, cc, subject, body, html,
                                                          header) -> None:  # type: ignore[no-untyped-def]
    message = build(sender, to, cc, subject, body, html, header)
    stamp = ("Wed, 25 Nov 2026 10:00:00 +0000", "<1.2.3@example.test>")
    fast = render_plain(message, *stamp)
    if fast is not None:
        assert fast == render_with_email_package(message, False, *stamp)
    with mock.patch.object(rendering, "_PIECE", 3):  # a large body is rendered in pieces
        assert render_plain(message, *stamp) == fast


def test_a_large_body_renders_in_pieces_to_the_same_bytes() -> None:
    stamp = ("Wed, 25 Nov 2026 10:00:00 +0000", "<1.2.3@example.test>")
    endings = ["\n", "\r\n", "\r"]
    body = "".join(f"line {i}{'.' if i % 7 == 0 else ''}{endings[i % 3]}" for i in range(40_000))
    message = MailMessage("a@x.test", "b@x.test", "x", body)
    fast = render_plain(message, *stamp)
    assert fast is not None and len(fast) > 4 * rendering._PIECE
    assert fast == render_with_email_package(message, False, *stamp)
    long_line_late = MailMessage("a@x.test", "b@x.test", "x", body + "y" * 79 + "\n")
    assert render_plain(long_line_late, *stamp) is None


long_atoms = st.from_regex(r"[a-z0-9]{1,40}", fullmatch=True)
long_addresses = st.builds(lambda u, d, n: (f"{u}@{d}.test", n), long_atoms, long_atoms,
                           st.sampled_from(["", "Ann", "Ann Lee", "Jean-Luc Picard O'Neil"]))


@settings(max_examples=400)
@given(to=st.lists(long_addresses, min_size=1, max_size=14),
       cc=st.lists(long_addresses, max_size=6))
def test_fast_path_folds_address_lists_as_the_email_package_does(to, cc) -> None:  # type: ignore[no-untyped-def]
    message = build(("a@x.test", ""), to, cc, "s", "b", False, "")
    stamp = ("Wed, 25 Nov 2026 10:00:00 +0000", "<1.2.3@example.test>")
    fast = render_plain(message, *stamp)
    if fast is not None:
        assert fast == render_with_email_package(message, False, *stamp)


@pytest.mark.parametrize("names", [False, True])
def test_many_recipients_stay_on_the_fast_path(names: bool) -> None:
    """Without names the first line ends in a comma at column 79, as the package writes it."""
    stamp = ("Wed, 25 Nov 2026 10:00:00 +0000", "<1.2.3@example.test>")
    message = MailMessage("a@x.test", "rcpt0@example.com", "x", "y")
    for index in range(1, 10):
        name = "Ann Lee" if names and index % 2 else ""
        message.to.append(MailAddress(f"rcpt{index}@example.com", name))
    fast = render_plain(message, *stamp)
    assert fast is not None and fast.count(b"\r\n ") >= 2
    assert fast == render_with_email_package(message, False, *stamp)


def test_fast_path_takes_plain_mail_and_declines_the_rest() -> None:
    stamp = ("Wed, 25 Nov 2026 10:00:00 +0000", "<1.2.3@example.test>")
    plain = MailMessage("Ann <a@x.test>", "b@x.test", "Report", "All green.\n")
    assert render_plain(plain, *stamp) is not None
    assert render_plain(MailMessage("a@x.test", "b@x.test", "Grüße", "x"), *stamp) is None
    assert render_plain(MailMessage("a@x.test", "b@x.test", "x", "y" * 79), *stamp) is None
    attached = MailMessage("a@x.test", "b@x.test", "x", "y")
    attached.attachments.append(Attachment(b"z", "z.bin"))
    assert render_plain(attached, *stamp) is None
