"""Messages arrive byte-for-byte as rendered, and parse back to what was sent."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.server import RunningServer
from netmail import Attachment, MailMessage

from .servers import client_for

Server = Callable[..., RunningServer]


def unstuff(raw: bytes) -> bytes:
    return re.sub(rb"(?m)^\.", b"", raw)


def received(server: RunningServer) -> email.message.EmailMessage:
    raw = server.transcript.messages[-1].raw
    stripped = raw.replace(b"\r\n", b"")
    assert b"\r" not in stripped and b"\n" not in stripped, "a bare CR or LF reached the wire"
    return email.message_from_bytes(unstuff(raw), policy=email.policy.default)  # type: ignore[return-value]


def text_of(part: email.message.EmailMessage) -> str:
    return part.get_content().replace("\r\n", "\n")


def test_attachments_non_ascii_dots_and_bare_line_breaks(smtp_server: Server) -> None:
    server = smtp_server()
    body = ".starts with a dot\n..two\nbare\rCR and bare\nLF\r\n.\nend"
    message = MailMessage("Zoë <z@example.com>", "a@example.com", "Über ☃ Δ", body)
    message.attachments.append(Attachment(bytes(range(256)) * 4, "blob.bin"))
    message.attachments.append(Attachment("naïve text\n".encode(), "note.txt", "text/plain"))
    with client_for(server) as client:
        client.send(message)
    parsed = received(server)
    assert parsed["Subject"] == "Über ☃ Δ"
    assert parsed["From"].addresses[0].display_name == "Zoë"
    text, blob, note = list(parsed.walk())[1:]
    assert text_of(text) == ".starts with a dot\n..two\nbare\nCR and bare\nLF\n.\nend\n"
    assert blob.get_content() == bytes(range(256)) * 4
    assert note.get_payload(decode=True) == "naïve text\n".encode()


bodies = st.text(alphabet=st.sampled_from([".", "a", "é", "\r", "\n", " ", "☃", "\t"]),
                 max_size=200)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, subject=st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")),
                                    max_size=40))
def test_any_body_round_trips(smtp_server: Server, body: str, subject: str) -> None:
    server = smtp_server()
    with client_for(server) as client:
        client.send(MailMessage("s@example.com", "a@example.com", subject, body))
    parsed = received(server)
    expected = body.replace("\r\n", "\n").replace("\r", "\n")
    expected = expected if expected.endswith("\n") else expected + "\n"
    assert text_of(parsed) == expected
    assert " ".join((parsed["Subject"] or "").split()) == " ".join(subject.split())
