"""Sending over the network: each documented failure, with the exact class and status code."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable

import pytest

from harness.server import RunningServer
from netmail import (
    Attachment,
    MailMessage,
    NetworkCredential,
    SmtpClient,
    SmtpException,
    SmtpFailedRecipientException,
    SmtpFailedRecipientsException,
    SmtpStatusCode,
)

from .servers import client_for, simple_message

Server = Callable[..., RunningServer]


def test_delivered(smtp_server: Server) -> None:
    server = smtp_server()
    with client_for(server) as client:
        client.send(simple_message("a@example.com"))
    assert server.transcript.delivered_to == ["a@example.com"]
    assert server.transcript.commands == ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]


def test_connect_refused_carries_the_socket_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        client = SmtpClient("127.0.0.1", unused.getsockname()[1], timeout=5)
        with pytest.raises(SmtpException) as caught:
            client.send(simple_message())
    assert type(caught.value) is SmtpException
    assert caught.value.status_code is SmtpStatusCode.GeneralFailure
    assert isinstance(caught.value.inner_exception, ConnectionRefusedError)


@pytest.mark.parametrize("reject", ["535 5.7.8 Bad credentials", "454 4.7.0 Try later"])
def test_rejected_auth_raises_at_once_with_the_code(smtp_server: Server, reject: str) -> None:
    server = smtp_server({"sasl": {"users": {"alice": "right"}, "reject": reject}})
    client = client_for(server, credentials=NetworkCredential("alice", "wrong"))
    with pytest.raises(SmtpException, match="Authentication failed") as caught:
        client.send(simple_message())
    assert caught.value.status_code == int(reject[:3])
    assert "MAIL" not in server.transcript.commands


def test_accepted_auth(smtp_server: Server) -> None:
    server = smtp_server({"sasl": {"users": {"alice": "right"}, "required": True}})
    with client_for(server, credentials=NetworkCredential("alice", "right")) as client:
        client.send(simple_message())
    assert server.transcript.delivered_to == ["rcpt@example.com"]


def test_one_deadline_for_the_whole_send(smtp_server: Server) -> None:
    """Every reply comes within the timeout, but together they exceed it."""
    slow = {"delay": 0.3}
    server = smtp_server({"ehlo": slow, "mail": slow, "rcpt": slow, "data": slow})
    client = client_for(server, timeout=0.7)
    started = time.monotonic()
    with pytest.raises(SmtpException, match=r"The operation has timed out\.") as caught:
        client.send(simple_message())
    assert time.monotonic() - started < 3
    assert caught.value.status_code is SmtpStatusCode.GeneralFailure
    assert caught.value.inner_exception is None


def test_malformed_reply_fails_fast_not_at_the_timeout(smtp_server: Server) -> None:
    server = smtp_server({"mail": {"raw": "250 ok\n"}})
    client = client_for(server, timeout=30)
    started = time.monotonic()
    with pytest.raises(SmtpException) as caught:
        client.send(simple_message())
    assert time.monotonic() - started < 5
    assert type(caught.value.inner_exception).__name__ == "FormatException"


def test_ssl_without_starttls_sends_only_ehlo(smtp_server: Server) -> None:
    server = smtp_server()
    with pytest.raises(SmtpException, match=r"Server does not support secure connections\."):
        client_for(server, enable_ssl=True).send(simple_message())
    assert server.transcript.commands == ["EHLO"]


def test_starttls_with_the_harness_ca(smtp_server: Server) -> None:
    server = smtp_server({"tls": {"certificate": "trusted"}})
    with client_for(server, enable_ssl=True) as client:
        client.send(simple_message())
    assert server.transcript.commands[:3] == ["EHLO", "STARTTLS", "EHLO"]
    assert server.transcript.delivered_to == ["rcpt@example.com"]


@pytest.mark.parametrize("certificate", ["trusted", "unknown-ca", "wrong-host", "expired"])
def test_certificates_are_verified_by_default(smtp_server: Server, certificate: str) -> None:
    """With no context given, the system's trust store is used: the harness CA is unknown."""
    server = smtp_server({"tls": {"certificate": certificate}})
    client = SmtpClient(server.address, server.port, enable_ssl=True, timeout=5)
    with pytest.raises(SmtpException) as caught:
        client.send(simple_message())
    assert isinstance(caught.value.inner_exception, ssl.SSLCertVerificationError)
    assert "MAIL" not in server.transcript.commands


@pytest.mark.parametrize("certificate", ["unknown-ca", "wrong-host", "expired"])
def test_bad_certificates_fail_even_with_the_harness_ca(smtp_server: Server,
                                                        certificate: str) -> None:
    server = smtp_server({"tls": {"certificate": certificate}})
    with pytest.raises(SmtpException) as caught:
        client_for(server, enable_ssl=True).send(simple_message())
    assert isinstance(caught.value.inner_exception, ssl.SSLCertVerificationError)


def test_partial_rejection_delivers_then_raises_and_keeps_the_connection(
        smtp_server: Server) -> None:
    server = smtp_server({"rcpt": [{"pattern": "^bad", "reply": "550 5.1.1 unknown"}]})
    client = client_for(server)
    with pytest.raises(SmtpFailedRecipientsException) as caught:
        client.send(simple_message("a@example.com", "bad1@example.com", "bad2@example.com"))
    assert [e.failed_recipient for e in caught.value.inner_exceptions] == [
        "<bad1@example.com>", "<bad2@example.com>"]
    assert str(caught.value) == "Unable to send to a recipient."
    client.send(simple_message("a@example.com"))
    client.dispose()
    assert server.transcript.delivered_to == ["a@example.com", "a@example.com"]
    assert server.transcript.connections == 1


def test_all_rejected_sends_no_data(smtp_server: Server) -> None:
    server = smtp_server({"rcpt": {"reply": "550 no"}})
    with pytest.raises(SmtpFailedRecipientException) as caught:
        client_for(server).send(simple_message("a@example.com"))
    assert caught.value.failed_recipient == "<a@example.com>"
    assert "DATA" not in server.transcript.commands


def test_pipelining_batches_and_still_rejects_correctly(smtp_server: Server) -> None:
    server = smtp_server({"extensions": ["PIPELINING", "8BITMIME"],
                          "rcpt": [{"match": "b@example.com", "reply": "452 full"}]})
    client = client_for(server)
    with pytest.raises(SmtpFailedRecipientException) as caught:
        client.send(simple_message("a@example.com", "b@example.com"))
    assert caught.value.status_code is SmtpStatusCode.InsufficientStorage
    client.dispose()
    assert server.transcript.delivered_to == ["a@example.com"]


def test_connection_reuse_and_quit_on_dispose(smtp_server: Server) -> None:
    server = smtp_server()
    client = client_for(server)
    for _ in range(3):
        client.send(simple_message())
    assert server.transcript.commands.count("EHLO") == 1
    assert "QUIT" not in server.transcript.commands
    client.dispose()
    server.stop()
    assert server.transcript.commands[-1] == "QUIT"
    assert server.transcript.connections == 1


def test_a_kept_connection_the_server_closed_is_reopened_silently(smtp_server: Server) -> None:
    server = smtp_server({"end_of_data": [{"drop": "after"}]})
    client = client_for(server)
    client.send(simple_message())
    deadline = time.monotonic() + 2
    while "drop" not in server.transcript.render() and time.monotonic() < deadline:
        time.sleep(0.01)
    client.send(simple_message())
    client.dispose()
    assert server.transcript.connections == 2
    assert len(server.transcript.delivered_to) == 2


def test_non_ascii_local_part_needs_smtputf8(smtp_server: Server) -> None:
    message = MailMessage("jörg@example.com", "a@example.com", "x", "y")
    plain = smtp_server()
    with pytest.raises(SmtpException, match="ASCII local-parts"):
        client_for(plain).send(message)
    assert "MAIL" not in plain.transcript.commands
    capable = smtp_server({"extensions": ["SMTPUTF8", "8BITMIME"]})
    with client_for(capable) as client:
        client.send(message)
    assert capable.transcript.delivered_to == ["a@example.com"]


def test_a_message_that_cannot_be_rendered_fails_before_connecting(
        smtp_server: Server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = smtp_server()
    message = simple_message()
    message.attachments.append(Attachment(tmp_path / "missing.pdf"))
    with pytest.raises(SmtpException) as caught:
        client_for(server).send(message)
    assert isinstance(caught.value.inner_exception, FileNotFoundError)
    assert server.transcript.connections == 0
