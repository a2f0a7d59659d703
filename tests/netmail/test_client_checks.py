"""The documented pre-send checks: their order, their exceptions, and no connection at all."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.server import RunningServer
from netmail import (
    ArgumentException,
    ArgumentNullException,
    ArgumentOutOfRangeException,
    InvalidOperationException,
    MailMessage,
    ObjectDisposedException,
    SmtpClient,
)

from .servers import client_for, simple_message


def no_from() -> MailMessage:
    return MailMessage(None, "a@example.com")


def no_recipients() -> MailMessage:
    return MailMessage("s@example.com")


@pytest.mark.parametrize(("arrange", "message", "expected", "text"), [
    # each case breaks the check it names AND every later one: the first must win
    ("dispose", None, ObjectDisposedException, "disposed"),
    ("busy", None, InvalidOperationException, "already in progress"),
    ("none", None, ArgumentNullException, "must not be None"),
    ("no-host", no_from, InvalidOperationException, "host was not specified"),
    ("empty-host", no_from, InvalidOperationException, "host was not specified"),
    ("port-0", no_from, InvalidOperationException, "port is invalid"),
    ("port-70000", no_from, InvalidOperationException, "port is invalid"),
    ("none", no_from, InvalidOperationException, "from address must be specified"),
    ("none", no_recipients, InvalidOperationException, "recipient must be specified"),
])
def test_checks_in_dotnet_order_before_any_connection(
        smtp_server: Callable[..., RunningServer], arrange: str,
        message: Callable[[], MailMessage] | None, expected: type, text: str) -> None:
    server = smtp_server({"greeting": {"delay": 2}})
    client = client_for(server, timeout=1)
    if arrange == "dispose":
        client.dispose()
    elif arrange == "busy":
        client.send_async(simple_message())
    elif arrange == "no-host":
        client = SmtpClient(None, server.port)
    elif arrange == "empty-host":
        client = SmtpClient("  ", server.port)
    elif arrange == "port-0":
        client = SmtpClient(server.address, 0)
    elif arrange == "port-70000":
        client.port = 70000
    before = server.transcript.connections
    with pytest.raises(expected, match=text) as caught:
        client.send(message() if message else None)
    assert type(caught.value) is expected
    if arrange == "busy":
        client.send_async_cancel()
        client.dispose()
        return
    assert server.transcript.connections == before == 0


def test_setters_validate_like_dotnet() -> None:
    client = SmtpClient("localhost")
    with pytest.raises(ArgumentOutOfRangeException):
        client.port = 0
    with pytest.raises(ArgumentOutOfRangeException):
        client.timeout = -1
    with pytest.raises(ArgumentNullException):
        client.host = None  # type: ignore[assignment]
    with pytest.raises(ArgumentException):
        client.host = ""
    with pytest.raises(ArgumentOutOfRangeException):
        SmtpClient("localhost", -1)
    client.port = 70000  # accepted by the setter; refused at send
    client.timeout = 0
    assert (client.port, client.timeout) == (70000, 0.0)


def test_defaults() -> None:
    client = SmtpClient()
    assert (client.host, client.port, client.timeout, client.enable_ssl, client.credentials) == (
        None, 25, 100.0, False, None)


def test_a_white_space_host_is_taken_and_refused_at_send() -> None:
    """.NET's setter refuses only null and ""; Send then refuses white space."""
    client = SmtpClient("localhost")
    client.host = "  "
    assert client.host == "  "
    with pytest.raises(InvalidOperationException, match="host"):
        client.send(simple_message())
