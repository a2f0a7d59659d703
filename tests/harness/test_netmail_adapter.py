"""The netmail adapter against real scripted servers: requests in, outcomes out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

import netmail
from harness.adapters import KNOWN, NetmailAdapter, make_adapter
from harness.model import AttachmentSpec, FailedRecipient, MessageSpec
from harness.server import RunningServer, ca_file

from .client_requests import request

StartServer = Callable[..., RunningServer]


def test_make_adapter() -> None:
    assert KNOWN[0] == "netmail"
    assert {"smtplib", "aiosmtplib", "dotnet8", "dotnet31", "dotnet", "mono"} <= set(KNOWN)
    adapter = make_adapter("netmail")
    assert isinstance(adapter, NetmailAdapter) and adapter.name == "netmail"
    with pytest.raises(ValueError, match=r"^unknown client 'exchange' \(known: netmail"):
        make_adapter("exchange")


def test_netmail_async_sends_with_asyncio_on_one_connection(smtp_server: StartServer) -> None:
    adapter = make_adapter("netmail-async")
    assert isinstance(adapter, NetmailAdapter) and adapter.name == "netmail-async"
    server = smtp_server({"end_of_data": [{}, {"reply": "451 4.3.0 later"}]})
    outcomes = adapter.run(request(server, sends=3))
    assert [o.describe() for o in outcomes] == [
        "success", "SmtpException(LocalErrorInProcessing)", "success"]
    transcript = server.stop()
    assert transcript.connections == 2  # the 451 ends the first connection; QUIT ends the second
    assert transcript.commands[-1] == "QUIT"


@pytest.mark.parametrize("name", ["netmail", "netmail-async"])
def test_api_send_async_sends_with_send_async(name: str, smtp_server: StartServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``api: send_async`` goes through ``send_async`` and its ``send_completed`` event, not
    the blocking or asyncio send (both made to fail here), and reports the event's error."""
    def refuse(*args: Any) -> None:
        raise AssertionError("the wrong send method")

    monkeypatch.setattr(netmail.SmtpClient, "send", refuse)
    monkeypatch.setattr(netmail.SmtpClient, "send_mail_async", refuse)
    server = smtp_server({"rcpt": [{"match": "bad@example.com",
                                    "reply": "550 5.1.1 No such user"}]})
    adapter = make_adapter(name)
    [delivered] = adapter.run(request(server, api="send_async"))
    assert delivered.describe() == "success"
    [refused] = adapter.run(request(server, api="send_async",
                                    message=MessageSpec(to=("bad@example.com",))))
    assert refused.describe() == "SmtpFailedRecipientException(MailboxUnavailable)"
    assert server.stop().delivered_to == ["rcpt@example.com"]


def test_module_object_accepted() -> None:
    adapter = NetmailAdapter(name="again", module=netmail)
    assert adapter.name == "again" and adapter._netmail is netmail


def test_delivery_with_headers_attachments_and_bcc(smtp_server: StartServer) -> None:
    server = smtp_server()
    message = MessageSpec(from_="s@example.com", to=("a@example.com",), cc=("c@example.com",),
                          bcc=("b@example.com",), subject="Hi there", body="Body text\n",
                          headers=(("X-Harness", "yes"),),
                          attachments=(AttachmentSpec("note.txt", "text/plain", "attached words"),))
    [outcome] = NetmailAdapter().run(request(server, message=message))
    assert outcome.exception is None and outcome.seconds > 0
    transcript = server.stop()
    assert transcript.delivered_to == ["a@example.com", "c@example.com", "b@example.com"]
    raw = transcript.messages[0].raw.decode()
    assert "X-Harness: yes" in raw and "note.txt" in raw and "Hi there" in raw
    assert "b@example.com" not in raw.split("\r\n\r\n")[0]  # Bcc stays out of the headers


def test_one_outcome_per_send(smtp_server: StartServer) -> None:
    server = smtp_server({"end_of_data": [{}, {"reply": "451 4.3.0 later"}]})
    outcomes = NetmailAdapter().run(request(server, sends=3))
    assert [o.describe() for o in outcomes] == [
        "success", "SmtpException(LocalErrorInProcessing)", "success"]


def test_failed_recipients_are_reported(smtp_server: StartServer) -> None:
    server = smtp_server({"rcpt": [{"match": "x@example.com", "reply": "550 no"},
                                   {"match": "y@example.com", "reply": "452 full"}]})
    message = MessageSpec(to=("x@example.com", "ok@example.com", "y@example.com"))
    [outcome] = NetmailAdapter().run(request(server, message=message))
    assert outcome.exception == "SmtpFailedRecipientsException"
    assert outcome.failed_recipients == (FailedRecipient("<x@example.com>", 550),
                                         FailedRecipient("<y@example.com>", 452))
    [single] = NetmailAdapter().run(request(server, message=MessageSpec(
        to=("x@example.com", "ok@example.com"))))
    assert single.exception == "SmtpFailedRecipientException"
    assert single.failed_recipients == (FailedRecipient("<x@example.com>", 550),)


@pytest.mark.parametrize(("changes", "exception"), [
    ({"message": None}, "ArgumentNullException"),
    ({"state": "disposed"}, "ObjectDisposedException"),
    ({"host": None}, "InvalidOperationException"),
    ({"message": MessageSpec(from_=None)}, "InvalidOperationException"),
    ({"message": MessageSpec(to=())}, "InvalidOperationException"),
    ({"port": -1}, "ArgumentOutOfRangeException"),
])
def test_documented_argument_and_state_failures(smtp_server: StartServer,
                                                changes: dict[str, Any], exception: str) -> None:
    server = smtp_server()
    outcomes = NetmailAdapter().run(request(server, **changes))
    assert [o.exception for o in outcomes] == [exception]
    assert server.stop().connections == 0


def test_send_in_progress(smtp_server: StartServer) -> None:
    """The background send is held by the greeting delay; the foreground send is refused."""
    server = smtp_server({"greeting": {"delay": 0.3}})
    started = time.monotonic()
    [outcome] = NetmailAdapter().run(request(server, state="send-in-progress", timeout=1.0))
    assert outcome.exception == "InvalidOperationException"
    assert time.monotonic() - started < 1.5


def test_credentials_reach_the_server(smtp_server: StartServer) -> None:
    server = smtp_server({"sasl": {"users": {"alice": "pw-123"}, "required": True}})
    [ok] = NetmailAdapter().run(request(server, credentials=("alice", "pw-123")))
    [bad] = NetmailAdapter().run(request(server, credentials=("alice", "wrong")))
    assert ok.exception is None
    assert bad.exception == "SmtpException"
    assert "pw-123" not in server.stop().render()


def test_starttls_with_the_harness_ca(smtp_server: StartServer) -> None:
    server = smtp_server({"tls": {"certificate": "trusted"}})
    [outcome] = NetmailAdapter().run(request(server, enable_ssl=True, ca_file=ca_file()))
    assert outcome.exception is None
    assert server.stop().commands[:3] == ["EHLO", "STARTTLS", "EHLO"]


def test_client_request_to_json() -> None:
    data = request(None, credentials=("u", "p"), message=MessageSpec(
        from_="f@x", headers=(("X-A", "1"),),
        attachments=(AttachmentSpec("a.txt", "text/plain", "hi"),))
    ).to_json()
    assert data["credentials"] == {"user": "u", "password": "p"}
    assert data["message"]["from"] == "f@x" and "from_" not in data["message"]
    assert data["message"]["headers"] == {"X-A": "1"}
    assert data["message"]["attachments"] == [{"name": "a.txt", "media_type": "text/plain",
                                               "content": "hi", "source": "stream"}]
    assert request(None, message=None).to_json()["message"] is None
