"""``python -m netmail``: one send from the command line, reported as the contract names it."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from collections.abc import Callable

import pytest

from harness.server import RunningServer, ca_file
from netmail.__main__ import main

Start = Callable[..., RunningServer]


def send(monkeypatch: pytest.MonkeyPatch, server: RunningServer | None, *extra: str,
         port: int | None = None) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Hello\n"))
    if server is not None:
        port = server.port
    where = ["--host", "127.0.0.1", "--port", str(port)]
    return main([*where, "--from", "me@example.com", "--timeout", "5", *extra])


def test_sent(smtp_server: Start, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> None:
    server = smtp_server()
    assert send(monkeypatch, server, "--to", "you@example.com", "--subject", "Hi") == 0
    assert capsys.readouterr().out == "sent\n"
    message = server.stop().messages[0]
    assert b"Subject: Hi" in message.raw and b"Hello" in message.raw


def test_a_rejected_recipient_is_named(smtp_server: Start, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    server = smtp_server({"rcpt": [{"match": "bad@example.com", "reply": "550 5.1.1 no"}]})
    code = send(monkeypatch, server, "--to", "ok@example.com", "--to", "bad@example.com")
    assert code == 1
    assert capsys.readouterr().err.startswith(
        "SmtpFailedRecipientException(MailboxUnavailable) recipient <bad@example.com>: ")
    assert server.stop().delivered_to == ["ok@example.com"]


def test_no_server_is_a_general_failure_with_its_cause(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert send(monkeypatch, None, "--to", "you@example.com", port=port) == 1
    err = capsys.readouterr().err
    assert err.startswith("SmtpException(GeneralFailure): ")
    assert "(inner: ConnectionRefusedError" in err


def test_starttls_with_the_harness_ca(smtp_server: Start, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    server = smtp_server({"tls": {"certificate": "trusted"}})
    assert send(monkeypatch, server, "--to", "you@example.com", "--ssl",
                "--cafile", ca_file()) == 0
    assert server.stop().commands[:2] == ["EHLO", "STARTTLS"]


def test_runs_as_a_module() -> None:
    result = subprocess.run([sys.executable, "-m", "netmail", "--help"], capture_output=True,
                            text=True, check=True)
    assert "usage: python -m netmail" in result.stdout
