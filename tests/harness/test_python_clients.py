"""The smtplib and aiosmtplib adapters against real scripted servers: what each library does."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.adapters import KNOWN, make_adapter
from harness.adapters.process import NotRunnable
from harness.adapters.python_clients import AiosmtplibAdapter, SmtplibAdapter
from harness.loader import load_scenario
from harness.model import AttachmentSpec, FailedRecipient, MessageSpec
from harness.runner import run_scenario
from harness.server import RunningServer, ca_file

from .client_requests import request

StartServer = Callable[..., RunningServer]
Adapter = SmtplibAdapter | AiosmtplibAdapter
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BOTH = pytest.mark.parametrize("adapter", [SmtplibAdapter(), AiosmtplibAdapter()],
                               ids=["smtplib", "aiosmtplib"])


def test_make_adapter() -> None:
    assert {"smtplib", "aiosmtplib"} <= set(KNOWN)
    smtp, aio = make_adapter("smtplib"), make_adapter("aiosmtplib")
    assert isinstance(smtp, SmtplibAdapter) and smtp.name == "smtplib"
    assert isinstance(aio, AiosmtplibAdapter) and aio.name == "aiosmtplib"
    aio.start()


@BOTH
def test_delivery_with_cc_bcc_headers_and_attachment(adapter: Adapter,
                                                     smtp_server: StartServer) -> None:
    server = smtp_server()
    message = MessageSpec(from_="s@example.com", to=("a@example.com",), cc=("c@example.com",),
                          bcc=("b@example.com",), subject="Hi there", body="Body text\n",
                          headers=(("X-Harness", "yes"),),
                          attachments=(AttachmentSpec("note.txt", "text/plain", "attached words"),))
    [outcome] = adapter.run(request(server, message=message))
    assert outcome.exception is None and outcome.failed_recipients == ()
    assert outcome.seconds > 0
    transcript = server.stop()
    assert transcript.delivered_to == ["a@example.com", "c@example.com", "b@example.com"]
    assert transcript.commands[-1] == "QUIT"
    raw = transcript.messages[0].raw.decode()
    head = raw.split("\r\n\r\n")[0]
    assert "X-Harness: yes" in head and "Subject: Hi there" in head and "Cc: c@example.com" in head
    assert "b@example.com" not in head and 'filename="note.txt"' in raw


@BOTH
def test_partial_rejection_is_returned_not_raised(adapter: Adapter,
                                                  smtp_server: StartServer) -> None:
    server = smtp_server({"rcpt": [{"match": "bad@example.com", "reply": "550 5.1.1 No such"}]})
    message = MessageSpec(to=("a@example.com", "bad@example.com", "c@example.com"))
    [outcome] = adapter.run(request(server, message=message))
    assert outcome.exception is None and outcome.status_code is None
    assert outcome.failed_recipients == (FailedRecipient("<bad@example.com>", 550),)
    assert server.stop().delivered_to == ["a@example.com", "c@example.com"]


@BOTH
def test_all_rejected_raises_recipients_refused(adapter: Adapter,
                                                smtp_server: StartServer) -> None:
    server = smtp_server({"rcpt": [{"match": "x@example.com", "reply": "550 no"},
                                   {"match": "y@example.com", "reply": "452 full"}]})
    [outcome] = adapter.run(request(server, message=MessageSpec(
        to=("x@example.com", "y@example.com"))))
    assert outcome.exception == "SMTPRecipientsRefused" and outcome.status_code is None
    assert outcome.failed_recipients == (FailedRecipient("<x@example.com>", 550),
                                         FailedRecipient("<y@example.com>", 452))
    assert "DATA" not in server.stop().commands


@BOTH
def test_credentials(adapter: Adapter, smtp_server: StartServer) -> None:
    server = smtp_server({"sasl": {"users": {"alice": "pw-123"}, "required": True}})
    [ok] = adapter.run(request(server, credentials=("alice", "pw-123")))
    [bad] = adapter.run(request(server, credentials=("alice", "wrong")))
    assert ok.exception is None
    assert (bad.exception, bad.status_code) == ("SMTPAuthenticationError", 535)
    transcript = server.stop()
    assert transcript.messages[0].delivered and len(transcript.messages) == 1
    assert "pw-123" not in transcript.render()


@BOTH
def test_starttls_with_the_harness_ca(adapter: Adapter, smtp_server: StartServer) -> None:
    server = smtp_server({"tls": {"certificate": "trusted"}})
    [outcome] = adapter.run(request(server, enable_ssl=True, ca_file=ca_file()))
    assert outcome.exception is None
    assert server.stop().commands[:3] == ["EHLO", "STARTTLS", "EHLO"]


@BOTH
def test_no_opportunistic_tls_without_enable_ssl(adapter: Adapter,
                                                 smtp_server: StartServer) -> None:
    server = smtp_server({"tls": {"certificate": "unknown-ca"}})
    [outcome] = adapter.run(request(server))
    assert outcome.exception is None and "STARTTLS" not in server.stop().commands


def test_slow_greeting_times_out(smtp_server: StartServer) -> None:
    slow = {"greeting": {"delay": 0.6}}  # the first connection only: one server each
    started = time.monotonic()
    [smtp] = SmtplibAdapter().run(request(smtp_server(slow), timeout=0.2))
    [aio] = AiosmtplibAdapter().run(request(smtp_server(slow), timeout=0.2))
    assert time.monotonic() - started < 1.0
    assert (smtp.exception, smtp.inner) == ("SMTPServerDisconnected", "TimeoutError")
    assert smtp.message == "Connection unexpectedly closed: timed out"
    assert (aio.exception, aio.inner) == ("SMTPConnectTimeoutError", "SMTPReadTimeoutError")
    assert "TimeoutError" in aio.inner_bases


@BOTH
def test_one_client_reused_for_every_send(adapter: Adapter, smtp_server: StartServer) -> None:
    server = smtp_server({"end_of_data": [{}, {"reply": "451 4.3.0 later"}]})
    outcomes = adapter.run(request(server, sends=3))
    assert [(o.exception, o.status_code) for o in outcomes] == [
        (None, None), ("SMTPDataError", 451), (None, None)]
    transcript = server.stop()
    assert transcript.connections == 1 and len(transcript.delivered_to) == 2


@pytest.mark.parametrize(("client", "second"), [
    ("smtplib", "SMTPServerDisconnected"), ("aiosmtplib", "SMTPServerDisconnected")])
def test_no_reconnect_after_the_server_closes(client: str, second: str) -> None:
    scenario = load_scenario(SCENARIOS / "reuse/server-closed-after-first.yaml")
    verdict = run_scenario(scenario, make_adapter(client))
    assert [o.exception for o in verdict.outcomes] == [None, second]
    assert verdict.transcript is not None and verdict.transcript.connections == 1


@BOTH
def test_untrusted_certificate(adapter: Adapter) -> None:
    verdict = run_scenario(load_scenario(SCENARIOS / "tls/unknown-ca.yaml"), adapter)
    assert verdict.actual is not None
    assert verdict.actual.exception == "SSLCertVerificationError"
    assert verdict.transcript is not None and verdict.transcript.commands == [
        "EHLO", "STARTTLS"]


@BOTH
def test_disposed_client(adapter: Adapter, smtp_server: StartServer) -> None:
    server = smtp_server()
    [outcome] = adapter.run(request(server, state="disposed"))
    assert outcome.exception == "SMTPServerDisconnected"
    assert outcome.message == ("please run connect() first" if adapter.name == "smtplib"
                               else "Server not connected")
    transcript = server.stop()
    assert transcript.commands == ["QUIT"] or transcript.commands[-1] == "QUIT"
    assert "MAIL" not in transcript.commands


def test_smtplib_has_no_asynchronous_send(smtp_server: StartServer) -> None:
    server = smtp_server()
    with pytest.raises(NotRunnable, match="smtplib has no asynchronous send"):
        SmtplibAdapter().run(request(server, state="send-in-progress"))
    with pytest.raises(NotRunnable, match="smtplib has no asynchronous send"):
        SmtplibAdapter().run(request(server, api="send_async"))
    assert server.stop().connections == 0


def test_aiosmtplib_second_send_while_the_first_connects(smtp_server: StartServer) -> None:
    """Both sends share the client's one reply waiter: when the first send's greeting read
    times out, the second send gets the cancelled waiter (and nothing is delivered)."""
    server = smtp_server({"greeting": {"delay": 0.6}})
    started = time.monotonic()
    [outcome] = AiosmtplibAdapter().run(request(server, state="send-in-progress", timeout=0.2))
    assert time.monotonic() - started < 1.0
    assert outcome.exception == "CancelledError"
    assert server.stop().messages == []


@BOTH
@pytest.mark.parametrize("method", ["pickup", "pickup-iis"])
def test_pickup_is_not_runnable(adapter: Adapter, method: str) -> None:
    with pytest.raises(NotRunnable, match="no pickup-directory delivery"):
        adapter.run(request(None, delivery_method=method, pickup_directory="/tmp"))


@pytest.mark.parametrize("host", [None, ""])
def test_smtplib_without_a_host_never_connects(smtp_server: StartServer,
                                               host: str | None) -> None:
    server = smtp_server()
    [outcome] = SmtplibAdapter().run(request(server, host=host))
    assert (outcome.exception, outcome.message) == ("SMTPServerDisconnected",
                                                    "please run connect() first")
    assert server.stop().connections == 0


def test_aiosmtplib_without_a_host_goes_to_localhost(smtp_server: StartServer) -> None:
    server = smtp_server()
    [outcome] = AiosmtplibAdapter().run(request(server, host=None))
    assert outcome.exception is None
    assert server.stop().delivered_to == ["rcpt@example.com"]


def test_aiosmtplib_port_out_of_range(smtp_server: StartServer) -> None:
    [outcome] = AiosmtplibAdapter().run(request(None, port=70000))
    assert (outcome.exception, outcome.message) == ("OverflowError",
                                                    "connect(): port must be 0-65535.")


def test_null_from(smtp_server: StartServer) -> None:
    """smtplib takes the sender from a missing From header as the string 'None'."""
    server = smtp_server()
    [smtp] = SmtplibAdapter().run(request(server, message=MessageSpec(from_=None)))
    [aio] = AiosmtplibAdapter().run(request(server, message=MessageSpec(from_=None)))
    assert smtp.exception is None
    assert (aio.exception, aio.message) == ("ValueError", "No From header provided in message")
    assert [m.mail_from for m in server.stop().messages] == ["None"]


@BOTH
def test_null_message(adapter: Adapter, smtp_server: StartServer) -> None:
    server = smtp_server()
    [outcome] = adapter.run(request(server, message=None))
    assert outcome.exception == "AttributeError" and "get_all" in (outcome.message or "")
    assert server.stop().messages == []
