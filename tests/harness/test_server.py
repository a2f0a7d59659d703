"""The scripted server, driven over real sockets by smtplib or a raw socket client."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import smtplib
import socket
import ssl
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import pytest
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP

from harness.loader import ScenarioError
from harness.model import ServerScript
from harness.server import HOST, RunningServer, ServerHost, ca_file, shared_host

StartServer = Callable[..., RunningServer]
GREETING = b"220 harness.invalid scripted\r\n"


class RawClient:
    """A line-oriented SMTP client on a plain socket: sees every byte the server sends."""

    def __init__(self, port: int, timeout: float = 3.0) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def line(self) -> bytes:
        return self.file.readline()

    def reply(self) -> list[bytes]:
        """Every line of one (possibly multi-line) reply."""
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3:4] == b"-":
            lines.append(self.line())
        return lines

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def command(self, text: str) -> list[bytes]:
        self.send(text.encode() + b"\r\n")
        return self.reply()

    def read_all(self) -> bytes:
        """Everything until the server closes the connection."""
        chunks = []
        while chunk := self.file.read1(65536):
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def greeted(port: int) -> RawClient:
    client = RawClient(port)
    assert client.line() == GREETING
    return client


def ehlo(client: RawClient) -> list[bytes]:
    lines = client.command("EHLO client.example")
    assert lines[-1].startswith(b"250 "), lines
    return lines


def envelope(client: RawClient) -> None:
    """EHLO, MAIL and one RCPT, each accepted: the server is ready for DATA."""
    ehlo(client)
    assert client.command("MAIL FROM:<a@example.com>") == [b"250 OK\r\n"]
    assert client.command("RCPT TO:<b@example.com>") == [b"250 OK\r\n"]


def smtp(server: RunningServer, timeout: float = 3.0) -> smtplib.SMTP:
    return smtplib.SMTP(server.address, server.port, timeout=timeout)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- the greeting -------------------------------------------------------------------------


def test_default_greeting_and_session(smtp_server: StartServer) -> None:
    server = smtp_server()
    with smtp(server) as client:
        assert client.ehlo()[0] == 250
        assert client.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nhi\r\n") \
            == {}
    transcript = server.stop()
    assert transcript.connections == 1
    assert transcript.commands == ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]
    assert transcript.delivered_to == ["b@example.com"]
    assert transcript.messages[0].mail_from == "a@example.com"


def test_scripted_greeting_reply(smtp_server: StartServer) -> None:
    server = smtp_server({"greeting": {"reply": "554 5.3.2 go away"}})
    with pytest.raises(smtplib.SMTPConnectError) as info:
        smtp(server)
    assert info.value.smtp_code == 554
    assert b"go away" in info.value.smtp_error
    assert "S: 554 5.3.2 go away" in server.stop().render()


def test_greeting_delay(smtp_server: StartServer) -> None:
    server = smtp_server({"greeting": {"delay": 0.4}})
    started = time.monotonic()
    with RawClient(server.port) as client:
        assert client.line() == GREETING
        waited = time.monotonic() - started
        client.command("QUIT")
    assert 0.35 <= waited < 1.5


def test_a_drop_after_the_client_has_gone_is_no_harness_error(smtp_server: StartServer
                                                                ) -> None:
    """``quit: {drop: after}`` meets a client that reset the connection right after its QUIT
    (.NET 8 does): closing a socket already gone is the end of the session, not a failure of
    the scripted server (it was: ENOTCONN from write_eof, an error verdict)."""
    server = smtp_server({"quit": {"reply": "221 2.0.0 Bye", "drop": "after"}})
    for _ in range(20):
        with socket.create_connection((server.address, server.port), 3) as sock:
            sock.recv(1024)  # the greeting
            sock.sendall(b"QUIT\r\n")  # then gone: the 221 meets a closed socket (a RST)
    transcript = server.stop()
    assert transcript.connections == 20
    assert transcript.harness_errors == []


def test_drop_before_greeting(smtp_server: StartServer) -> None:
    server = smtp_server({"greeting": {"drop": "before"}})
    with RawClient(server.port) as client:
        assert client.read_all() == b""
    transcript = server.stop()
    assert [e.kind for e in transcript.events if e.connection == 1][:2] == ["connect", "note"]
    assert not [e for e in transcript.events if e.kind == "server"]


def test_greeting_sequence_runs_across_connections(smtp_server: StartServer) -> None:
    """The second connection gets the second greeting action, the third the normal one."""
    server = smtp_server({"greeting": [{"reply": "421 4.3.2 busy", "drop": "after"},
                                       {"raw": "220 second\r\n"}]})
    with RawClient(server.port) as first:
        assert first.read_all() == b"421 4.3.2 busy\r\n"
    with RawClient(server.port) as second:
        assert second.line() == b"220 second\r\n"
        assert second.command("QUIT") == [b"221 Bye\r\n"]
    with RawClient(server.port) as third:
        assert third.line() == GREETING
        third.command("QUIT")
    assert server.stop().connections == 3


# -- replies ------------------------------------------------------------------------------


def test_multi_line_reply(smtp_server: StartServer) -> None:
    reply = {"reply": ["250-first.example", "250-PIPELINING", "250 8BITMIME"]}
    server = smtp_server({"ehlo": [reply, reply]})
    with greeted(server.port) as client:
        assert client.command("EHLO me") == [b"250-first.example\r\n", b"250-PIPELINING\r\n",
                                            b"250 8BITMIME\r\n"]
        client.command("QUIT")
    with smtp(server) as client:
        code, text = client.ehlo()
        assert (code, text) == (250, b"first.example\nPIPELINING\n8BITMIME")
        assert client.has_extn("pipelining")


@pytest.mark.parametrize("raw", [b"250 ok\n", b"250-a\n250 b\r\n", b"250 ok\r\r\n"])
def test_raw_bytes_reach_the_client_unchanged(smtp_server: StartServer, raw: bytes) -> None:
    server = smtp_server({"mail": {"raw": raw.decode(), "drop": "after"}})
    with greeted(server.port) as client:
        ehlo(client)
        client.send(b"MAIL FROM:<a@example.com>\r\n")
        assert client.read_all() == raw
    assert f"(raw) {raw.decode()!r}" in server.stop().render()


def test_raw_greeting_with_bare_lf(smtp_server: StartServer) -> None:
    server = smtp_server({"greeting": {"raw": "220 bare\n"}})
    with RawClient(server.port) as client:
        assert client.sock.recv(100) == b"220 bare\n"
        client.send(b"QUIT\r\n")
        assert client.line() == b"221 Bye\r\n"


def test_partial_raw_reply(smtp_server: StartServer) -> None:
    server = smtp_server({"mail": {"raw": "25", "drop": "after"}})
    with greeted(server.port) as client:
        ehlo(client)
        client.send(b"MAIL FROM:<a@example.com>\r\n")
        assert client.read_all() == b"25"


def test_raw_pieces_arrive_in_separate_reads(smtp_server: StartServer) -> None:
    """The second piece is written only after ``interval``: a read in between sees the first
    alone, the way a client's parser meets a reply split across reads."""
    server = smtp_server({"greeting": {"raw": ["220 hal", "f done\r\n"], "interval": 0.4}})
    with RawClient(server.port) as client:
        started = time.monotonic()
        assert client.sock.recv(100) == b"220 hal"
        assert client.sock.recv(100) == b"f done\r\n"
        assert time.monotonic() - started >= 0.35
        client.send(b"QUIT\r\n")
        assert client.line() == b"221 Bye\r\n"


def test_read_pause_holds_the_body_in_the_socket_buffers(smtp_server: StartServer) -> None:
    """With reading paused after the 354, a body larger than the buffers can hold cannot be
    written at once; the server reads it all once the pause ends, and delivers it whole."""
    server = smtp_server({"data": {"read_pause": 0.6}})
    body = b"x" * 70 + b"\r\n"
    count = 100_000  # 7.2 MB: more than a socket buffer grows to
    with greeted(server.port) as client:
        envelope(client)
        assert client.command("DATA")[0].startswith(b"354")
        client.sock.setblocking(False)
        sent = 0
        with contextlib.suppress(BlockingIOError):
            while sent < len(body) * count:
                sent += client.sock.send(body * 1000)
        assert sent < len(body) * count  # the writes stopped: the server was not reading
        client.sock.setblocking(True)
        client.sock.sendall((body * count)[sent:] + b".\r\n")
        assert client.line() == b"250 OK\r\n"
        client.command("QUIT")
    transcript = server.stop()
    assert len(transcript.messages[0].raw) == len(body) * count
    assert any("reading paused for 0.6 s" in row[3] for row in transcript._rows)


def test_step_delay(smtp_server: StartServer) -> None:
    server = smtp_server({"rcpt": {"delay": 0.4}})
    with greeted(server.port) as client:
        ehlo(client)
        client.command("MAIL FROM:<a@example.com>")
        started = time.monotonic()
        assert client.command("RCPT TO:<b@example.com>") == [b"250 OK\r\n"]
        assert 0.35 <= time.monotonic() - started < 1.5
        client.command("QUIT")


def test_scripted_quit_and_rset(smtp_server: StartServer) -> None:
    server = smtp_server({"rset": {"reply": "250 2.0.0 flushed"},
                          "quit": {"reply": "221 2.0.0 ciao"}})
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("RSET") == [b"250 2.0.0 flushed\r\n"]
        assert client.command("QUIT") == [b"221 2.0.0 ciao\r\n"]


def test_helo_step(smtp_server: StartServer) -> None:
    server = smtp_server({"helo": [{"reply": "501 no helo"}]})
    with greeted(server.port) as client:
        assert client.command("HELO me") == [b"501 no helo\r\n"]
        assert client.command("HELO me")[0].startswith(b"250 ")
        client.command("QUIT")


# -- dropping -----------------------------------------------------------------------------


def test_drop_before_reply(smtp_server: StartServer) -> None:
    server = smtp_server({"mail": {"drop": "before"}})
    with greeted(server.port) as client:
        ehlo(client)
        client.send(b"MAIL FROM:<a@example.com>\r\n")
        assert client.read_all() == b""
    assert "-- note drop" in server.stop().render()


def test_drop_after_reply(smtp_server: StartServer) -> None:
    server = smtp_server({"rcpt": {"drop": "after"}})
    with greeted(server.port) as client:
        ehlo(client)
        client.command("MAIL FROM:<a@example.com>")
        client.send(b"RCPT TO:<b@example.com>\r\n")
        assert client.read_all() == b"250 OK\r\n"


def test_drop_reset_sends_a_reset(smtp_server: StartServer) -> None:
    """``reset`` is documented as "abort with RST": the client must see a reset, not EOF."""
    server = smtp_server({"mail": {"drop": "reset"}})
    with greeted(server.port) as client:
        ehlo(client)
        client.send(b"MAIL FROM:<a@example.com>\r\n")
        with pytest.raises(ConnectionResetError):
            client.sock.recv(100)
    assert "-- note reset" in server.stop().render()


def test_drop_is_noted_per_connection(smtp_server: StartServer) -> None:
    server = smtp_server({"mail": [{"drop": "before"}]})
    with greeted(server.port) as client:
        ehlo(client)
        client.send(b"MAIL FROM:<a@example.com>\r\n")
        assert client.read_all() == b""
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("MAIL FROM:<a@example.com>") == [b"250 OK\r\n"]
        client.command("QUIT")
    transcript = server.stop()
    notes = [(e.connection, e.text) for e in transcript.events if e.kind == "note"]
    assert notes == [(1, "drop")]


# -- sequences and matchers ---------------------------------------------------------------


def test_sequence_across_commands(smtp_server: StartServer) -> None:
    server = smtp_server({"rcpt": [{"reply": "450 4.2.1 busy"}, {}, {"reply": "452 full"}]})
    with greeted(server.port) as client:
        ehlo(client)
        client.command("MAIL FROM:<a@example.com>")
        replies = [client.command(f"RCPT TO:<r{i}@example.com>")[0] for i in range(4)]
        client.command("QUIT")
    assert replies == [b"450 4.2.1 busy\r\n", b"250 OK\r\n", b"452 full\r\n", b"250 OK\r\n"]


def test_sequence_continues_on_the_next_connection(smtp_server: StartServer) -> None:
    server = smtp_server({"mail": [{"reply": "451 first"}, {"reply": "452 second"}]})
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("MAIL FROM:<a@example.com>") == [b"451 first\r\n"]
        client.command("QUIT")
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("MAIL FROM:<a@example.com>") == [b"452 second\r\n"]
        assert client.command("MAIL FROM:<a@example.com>") == [b"250 OK\r\n"]
        client.command("QUIT")


def test_match_and_pattern_rules(smtp_server: StartServer) -> None:
    server = smtp_server({"rcpt": [
        {"match": "bad@example.com", "reply": "550 5.1.1 No such user"},
        {"pattern": r"^full-\d+@", "reply": "452 4.2.2 Mailbox full"},
        {"reply": "451 first unmatched"},
    ]})
    with smtp(server) as client:
        client.ehlo()
        client.mail("s@example.com")
        assert client.rcpt("BAD@example.com")[0] == 550
        assert client.rcpt("a@example.com") == (451, b"first unmatched")
        assert client.rcpt("full-7@example.com")[0] == 452
        assert client.rcpt("full-x@example.com")[0] == 250
        assert client.rcpt("bad@example.com")[0] == 550
        assert client.rcpt("b@example.com")[0] == 250
        assert client.data(b"Subject: t\r\n\r\nhi\r\n")[0] == 250
    transcript = server.stop()
    assert transcript.delivered_to == ["full-x@example.com", "b@example.com"]


def test_scripted_success_updates_the_session(smtp_server: StartServer) -> None:
    """A scripted 2xx to MAIL and RCPT counts as accepted: DATA goes on and the scripted
    recipient is in the envelope."""
    server = smtp_server({"mail": {"reply": "250 2.1.0 sure"},
                          "rcpt": {"match": "odd@example.com", "reply": "251 will forward"}})
    with smtp(server) as client:
        client.ehlo()
        assert client.mail("a@example.com") == (250, b"2.1.0 sure")
        assert client.rcpt("odd@example.com")[0] == 251
        assert client.data(b"Subject: t\r\n\r\nhi\r\n")[0] == 250
    transcript = server.stop()
    assert transcript.messages[0].mail_from == "a@example.com"
    assert transcript.delivered_to == ["odd@example.com"]


def test_scripted_failure_does_not_update_the_session(smtp_server: StartServer) -> None:
    server = smtp_server({"rcpt": {"reply": "550 no"}})
    with greeted(server.port) as client:
        ehlo(client)
        client.command("MAIL FROM:<a@example.com>")
        assert client.command("RCPT TO:<b@example.com>") == [b"550 no\r\n"]
        assert client.command("DATA")[0].startswith(b"503 ")
        client.command("QUIT")


# -- EHLO keywords, SIZE, STARTTLS --------------------------------------------------------


def ehlo_keywords(server: RunningServer) -> list[str]:
    with smtp(server) as client:
        code, text = client.ehlo()
        assert code == 250
    return text.decode().split("\n")[1:]


def test_default_ehlo_keywords(smtp_server: StartServer) -> None:
    assert ehlo_keywords(smtp_server()) == ["SIZE 33554432", "8BITMIME"]


def test_ehlo_keywords_with_tls_and_auth(smtp_server: StartServer) -> None:
    server = smtp_server({"extensions": ["PIPELINING", "SMTPUTF8", "SIZE 1000"],
                          "tls": {"certificate": "trusted"},
                          "sasl": {"mechanisms": ["CRAM-MD5", "PLAIN"]}})
    assert ehlo_keywords(server) == ["PIPELINING", "SMTPUTF8", "SIZE 1000", "STARTTLS",
                                     "AUTH CRAM-MD5 PLAIN"]


def test_no_extensions(smtp_server: StartServer) -> None:
    server = smtp_server({"extensions": []})
    with greeted(server.port) as client:
        assert client.command("EHLO me") == [b"250 harness.invalid\r\n"]
        client.command("QUIT")


def test_size_extension_sets_the_limit(smtp_server: StartServer) -> None:
    server = smtp_server({"extensions": ["SIZE 1000"]})
    with smtp(server) as client:
        client.ehlo()
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        assert client.data(b"Subject: big\r\n\r\n" + (b"y" * 70 + b"\r\n") * 30)[0] == 552
    assert server.stop().delivered_to == []


def test_starttls_upgrade(smtp_server: StartServer) -> None:
    server = smtp_server({"tls": {"certificate": "trusted"}})
    context = ssl.create_default_context(cafile=ca_file())
    with smtp(server) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert client.starttls(context=context)[0] == 220
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.sendmail("a@example.com", ["b@example.com"], b"\r\nsecret body\r\n") == {}
    transcript = server.stop()
    assert transcript.commands == ["EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"]
    assert transcript.delivered_to == ["b@example.com"]
    assert b"secret body" in transcript.messages[0].raw
    assert any(e.kind == "tls" for e in transcript.events)


def test_starttls_can_be_refused(smtp_server: StartServer) -> None:
    server = smtp_server({"tls": {"certificate": "trusted"},
                          "starttls": {"reply": "454 4.7.0 TLS not available"}})
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("STARTTLS") == [b"454 4.7.0 TLS not available\r\n"]
        assert client.command("NOOP") == [b"250 OK\r\n"]
        client.command("QUIT")


# -- AUTH ---------------------------------------------------------------------------------

USER, PASSWORD = "alice", "s3cr3t-pa55"
SASL = {"sasl": {"mechanisms": ["PLAIN", "LOGIN", "CRAM-MD5"], "users": {USER: PASSWORD}}}


@pytest.mark.parametrize("mechanism", ["plain", "Plain", "PLAIN"])
def test_auth_mechanism_is_case_insensitive(smtp_server: StartServer, mechanism: str) -> None:
    server = smtp_server(SASL)
    token = b64(f"\0{USER}\0{PASSWORD}".encode())
    with greeted(server.port) as client:
        ehlo(client)
        reply = client.command(f"AUTH {mechanism} {token}")
        assert reply[0].startswith(b"235 "), reply
        assert client.command("AUTH PLAIN x")[0].startswith(b"503 ")  # already authenticated
        client.command("QUIT")


def test_auth_login_lower_case_without_initial_response(smtp_server: StartServer) -> None:
    server = smtp_server(SASL)
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("auth login")[0].startswith(b"334 ")
        assert client.command(b64(USER.encode()))[0].startswith(b"334 ")
        assert client.command(b64(PASSWORD.encode()))[0].startswith(b"235 ")
        client.command("QUIT")


def test_auth_smtplib_login(smtp_server: StartServer) -> None:
    server = smtp_server({"sasl": {"mechanisms": ["LOGIN"], "users": {USER: PASSWORD}}})
    with smtp(server) as client:
        assert client.login(USER, PASSWORD)[0] == 235


def test_auth_wrong_password_gets_the_scripted_reject(smtp_server: StartServer) -> None:
    server = smtp_server({"sasl": {"users": {USER: PASSWORD}, "reject": "535 5.7.8 Go away"}})
    with smtp(server) as client, pytest.raises(smtplib.SMTPAuthenticationError) as info:
        client.login(USER, "wrong")
    assert (info.value.smtp_code, info.value.smtp_error) == (535, b"5.7.8 Go away")


def test_auth_unknown_user(smtp_server: StartServer) -> None:
    server = smtp_server(SASL)
    with greeted(server.port) as client:
        ehlo(client)
        reply = client.command("AUTH PLAIN " + b64(f"\0mallory\0{PASSWORD}".encode()))
        assert reply[0].startswith(b"535 ")
        client.command("QUIT")


def test_auth_mechanism_not_offered_is_refused(smtp_server: StartServer) -> None:
    server = smtp_server({"sasl": {"mechanisms": ["PLAIN"], "users": {USER: PASSWORD}}})
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("AUTH CRAM-MD5")[0].startswith(b"504 ")
        assert client.command("AUTH LOGIN")[0].startswith(b"504 ")
        client.command("QUIT")


def cram_md5(client: RawClient, user: str, password: str) -> list[bytes]:
    challenge = client.command("AUTH CRAM-MD5")
    assert challenge[0].startswith(b"334 ")
    nonce = base64.b64decode(challenge[0][4:].strip())
    digest = hmac.new(password.encode(), nonce, hashlib.md5).hexdigest()
    return client.command(b64(f"{user} {digest}".encode()))


def test_cram_md5(smtp_server: StartServer) -> None:
    server = smtp_server(SASL)
    with greeted(server.port) as client:
        ehlo(client)
        assert cram_md5(client, USER, "wrong")[0].startswith(b"535 ")
        assert cram_md5(client, "nobody", PASSWORD)[0].startswith(b"535 ")
        assert cram_md5(client, USER, PASSWORD)[0].startswith(b"235 ")
        client.command("QUIT")
    with smtp(server) as client:
        client.ehlo()
        client.user, client.password = USER, PASSWORD
        assert client.auth("CRAM-MD5", client.auth_cram_md5)[0] == 235


def test_cram_md5_challenge_differs_per_exchange(smtp_server: StartServer) -> None:
    server = smtp_server(SASL)
    with greeted(server.port) as client:
        ehlo(client)
        first = client.command("AUTH CRAM-MD5")[0]
        client.command("*")  # cancel
        second = client.command("AUTH CRAM-MD5")[0]
        client.command("*")
        client.command("QUIT")
    assert first.startswith(b"334 ") and second.startswith(b"334 ") and first != second


def test_auth_required(smtp_server: StartServer) -> None:
    server = smtp_server({"sasl": {"users": {USER: PASSWORD}, "required": True}})
    with smtp(server) as client:
        client.ehlo()
        assert client.mail("a@example.com")[0] == 530
        assert client.rcpt("b@example.com")[0] == 530
        assert client.docmd("DATA")[0] == 530
        assert client.noop()[0] == 250
        client.login(USER, PASSWORD)
        assert client.mail("a@example.com")[0] == 250
        assert client.rcpt("b@example.com")[0] == 250


def test_any_mechanism_is_advertised_and_unknown_ones_refused(smtp_server: StartServer) -> None:
    server = smtp_server({"sasl": {"mechanisms": ["XOAUTH2", "PLAIN"],
                                   "users": {USER: PASSWORD}}})
    assert ehlo_keywords(server) == ["SIZE 33554432", "8BITMIME", "AUTH XOAUTH2 PLAIN"]
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("AUTH XOAUTH2 dG9rZW4=")[0].startswith(b"504 ")
        assert client.command("AUTH LOGIN")[0].startswith(b"504 ")
        assert client.command("AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}".encode()))[0] \
            .startswith(b"235 ")
        client.command("QUIT")


def test_scripted_auth_reply(smtp_server: StartServer) -> None:
    server = smtp_server({**SASL, "auth": {"reply": "454 4.7.0 Temporary failure"}})
    with greeted(server.port) as client:
        ehlo(client)
        reply = client.command("AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}".encode()))
        assert reply == [b"454 4.7.0 Temporary failure\r\n"]
        client.command("QUIT")
    assert PASSWORD not in server.stop().render()


def test_credentials_never_in_the_transcript(smtp_server: StartServer) -> None:
    """Every AUTH form, good or bad: neither the password nor any base64 of it is recorded."""
    server = smtp_server(SASL)
    plain = b64(f"\0{USER}\0{PASSWORD}".encode())
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command(f"auth plain {plain}")[0].startswith(b"235 ")
        client.command("QUIT")
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("AUTH PLAIN")[0].startswith(b"334")
        assert client.command(plain)[0].startswith(b"235 ")
        client.command("QUIT")
    with greeted(server.port) as client:
        ehlo(client)
        client.command("AUTH LOGIN " + b64(USER.encode()))
        assert client.command(b64(PASSWORD.encode()))[0].startswith(b"235 ")
        client.command("QUIT")
    with greeted(server.port) as client:
        ehlo(client)
        assert client.command("AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}x".encode()))[0] \
            .startswith(b"535 ")
        assert cram_md5(client, USER, PASSWORD)[0].startswith(b"235 ")
        client.command("QUIT")
    with smtp(server) as client:
        client.login(USER, PASSWORD)
    text = server.stop().render()
    secrets = [PASSWORD, PASSWORD + "x", plain, b64(PASSWORD.encode()),
               b64(f"\0{USER}\0{PASSWORD}x".encode()), b64(f"{USER}\0{USER}\0{PASSWORD}".encode())]
    for secret in secrets:
        assert secret not in text, secret
    assert text.count("***") >= 6
    assert "auth plain ***" in text and "AUTH PLAIN ***" in text


# -- DATA ---------------------------------------------------------------------------------


def test_raw_data_recorded_dot_stuffed_as_sent(smtp_server: StartServer) -> None:
    server = smtp_server()
    body = b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\nbare\nlf\r\nlast"
    with smtp(server) as client:
        assert client.sendmail("a@example.com", ["b@example.com"], body) == {}
    message = server.stop().messages[0]
    assert message.raw == (b"Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n"
                           b"bare\nlf\r\nlast\r\n")


def test_raw_data_keeps_bare_lf_from_a_raw_client(smtp_server: StartServer) -> None:
    server = smtp_server()
    with greeted(server.port) as client:
        envelope(client)
        assert client.command("DATA")[0].startswith(b"354 ")
        client.send(b"Subject: x\r\n\r\nbare\nlf\r\n..stuffed\r\n.\r\n")
        assert client.reply() == [b"250 OK\r\n"]
        client.command("QUIT")
    transcript = server.stop()
    assert transcript.messages[0].raw == b"Subject: x\r\n\r\nbare\nlf\r\n..stuffed\r\n"
    assert "bare" not in transcript.render()  # the body is not a command


def test_raw_data_sent_before_the_354_and_commands_after_it(smtp_server: StartServer) -> None:
    """A client that writes DATA, its body and the next commands at once: the message's raw
    bytes are exactly the body, and what follows is read as commands again."""
    server = smtp_server()
    with greeted(server.port) as client:
        ehlo(client)
        client.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
                    b"Subject: one\r\n\r\nfirst\r\n.\r\n"
                    b"MAIL FROM:<a@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n"
                    b"Subject: two\r\n\r\nsecond\r\n.\r\nQUIT\r\n")
        replies = client.read_all()
    assert replies.count(b"354 ") == 2 and replies.count(b"250 OK") == 6, replies
    transcript = server.stop()
    assert [m.raw for m in transcript.messages] == [b"Subject: one\r\n\r\nfirst\r\n",
                                                   b"Subject: two\r\n\r\nsecond\r\n"]
    assert transcript.delivered_to == ["b@example.com", "c@example.com"]
    assert transcript.commands == ["EHLO", "MAIL", "RCPT", "DATA", "MAIL", "RCPT", "DATA",
                                   "QUIT"]


def test_body_after_a_drop_at_354_is_ignored_not_data(smtp_server: StartServer) -> None:
    server = smtp_server({"data": {"drop": "after"}})
    with greeted(server.port) as client:
        envelope(client)
        assert client.command("DATA")[0].startswith(b"354 ")
        client.send(b"Subject: x\r\n\r\nlate body\r\n.\r\n")
        assert client.read_all() == b""
    transcript = server.stop()
    assert [e.text for e in transcript.events if e.kind == "ignored"] == [
        "Subject: x", "", "late body", "."]
    assert transcript.delivered_to == []
    assert all(m.raw == b"" for m in transcript.messages)


def test_delivered_only_when_accepted_at_end_of_data(smtp_server: StartServer) -> None:
    server = smtp_server({"end_of_data": [{"reply": "554 5.6.0 rejected"},
                                          {"reply": "451 4.3.0 later"}, {}]})
    with smtp(server) as client:
        client.ehlo()
        for i in range(3):
            client.mail("a@example.com")
            client.rcpt(f"r{i}@example.com")
            code = client.data(b"Subject: t\r\n\r\nhi\r\n")[0]
            assert code == (554, 451, 250)[i]
    transcript = server.stop()
    assert [m.delivered for m in transcript.messages] == [False, False, True]
    assert [m.rcpt_tos for m in transcript.messages] == [("r0@example.com",),
                                                        ("r1@example.com",),
                                                        ("r2@example.com",)]
    assert transcript.delivered_to == ["r2@example.com"]


@pytest.mark.parametrize(("action", "delivered"), [
    ({"drop": "before"}, False),
    ({"drop": "reset"}, False),
    ({"drop": "after"}, True),
    ({"raw": "250 queued\r\n", "drop": "after"}, True),
    ({"raw": "250-queued\r\n250 as 12\r\n", "drop": "after"}, True),
    ({"raw": "250 queued\n", "drop": "after"}, False),  # malformed (bare LF): not accepted
    ({"raw": "25", "drop": "after"}, False),
    ({"raw": "550 no\r\n", "drop": "after"}, False),
    ({"reply": ["250-ok", "550 but no"], "drop": "after"}, False),
])
def test_end_of_data_drops(smtp_server: StartServer, action: dict[str, Any],
                           delivered: bool) -> None:
    server = smtp_server({"end_of_data": action})
    with greeted(server.port) as client:
        envelope(client)
        client.command("DATA")
        client.send(b"Subject: x\r\n\r\nhi\r\n.\r\n")
        with contextlib.suppress(ConnectionResetError):
            client.read_all()
    transcript = server.stop()
    assert [m.delivered for m in transcript.messages] == [delivered]
    assert transcript.delivered_to == (["b@example.com"] if delivered else [])


def test_end_of_data_reply_is_not_doubled(smtp_server: StartServer) -> None:
    """After a scripted end-of-data reply, the next command gets its own reply, not a 250."""
    server = smtp_server({"end_of_data": {"reply": "250 2.0.0 queued as X"}})
    with greeted(server.port) as client:
        envelope(client)
        client.command("DATA")
        client.send(b"hi\r\n.\r\n")
        assert client.reply() == [b"250 2.0.0 queued as X\r\n"]
        assert client.command("RSET") == [b"250 OK\r\n"]
        assert client.command("NOOP") == [b"250 OK\r\n"]
        assert client.command("QUIT") == [b"221 Bye\r\n"]


def test_scripted_354_still_opens_the_data_phase(smtp_server: StartServer) -> None:
    server = smtp_server({"data": {"reply": "354 go ahead, custom"}})
    with greeted(server.port) as client:
        envelope(client)
        assert client.command("DATA") == [b"354 go ahead, custom\r\n"]
        client.send(b"Subject: x\r\n\r\nbody\r\n.\r\n")
        assert client.reply() == [b"250 OK\r\n"]
        client.command("QUIT")
    transcript = server.stop()
    assert transcript.delivered_to == ["b@example.com"]
    assert transcript.messages[0].raw == b"Subject: x\r\n\r\nbody\r\n"
    assert "Subject" not in transcript.render()


def test_data_command_refused(smtp_server: StartServer) -> None:
    server = smtp_server({"data": {"reply": "554 5.5.1 no data for you"}})
    with smtp(server) as client:
        client.ehlo()
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.data(b"hi\r\n")
        assert info.value.args == (554, b"5.5.1 no data for you")
    transcript = server.stop()
    assert transcript.messages == []
    assert "DATA" in transcript.commands


# -- robustness ---------------------------------------------------------------------------


def assert_still_serving(server: RunningServer) -> None:
    with smtp(server) as client:
        assert client.ehlo()[0] == 250
        assert client.sendmail("a@example.com", ["ok@example.com"], b"\r\nhi\r\n") == {}


def test_survives_garbage(smtp_server: StartServer) -> None:
    server = smtp_server()
    with greeted(server.port) as client:
        client.send(b"\xff\xfe\x00garbage\r\n")
        assert client.reply()[0].startswith(b"500 ")
        client.send(b"\r\n")
        assert client.reply()[0].startswith(b"500 ")
        assert client.command("NOSUCHVERB x")[0].startswith(b"500 ")
        client.send(b"MAIL FROM:<\xe9@example.com>\r\n")
        assert client.reply()[0].startswith(b"5")
        ehlo(client)
        client.command("QUIT")
    assert_still_serving(server)
    assert server.stop().delivered_to == ["ok@example.com"]


BOGUS = [f"BOGUS{n}" for n in range(5)]
"""Five unknown commands: as many as aiosmtpd takes before it hangs up."""


def test_scripted_servers_answer_every_unknown_command_and_plain_aiosmtpd_is_untouched(
        smtp_server: StartServer) -> None:
    """On one loop, a plain aiosmtpd server still hangs up after its five unknown commands
    (its BOGUS_LIMIT) while a scripted server refuses each and goes on."""

    async def plain_server() -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: SMTP(Sink(), hostname="plain.invalid", loop=loop), HOST, 0)

    async def close(server: asyncio.Server) -> None:
        server.close()
        await server.wait_closed()

    scripted = smtp_server()
    plain = shared_host().call(plain_server())
    try:
        with RawClient(plain.sockets[0].getsockname()[1]) as client:
            assert client.line().startswith(b"220 plain.invalid ")
            replies = [client.command(verb) for verb in BOGUS]
            assert replies[-1] == [b"502 5.5.1 Too many unrecognized commands, goodbye.\r\n"]
            assert client.read_all() == b""
    finally:
        shared_host().call(close(plain))
    with greeted(scripted.port) as client:
        for verb in BOGUS * 3:
            assert client.command(verb) == [f'500 Error: command "{verb}" not recognized\r\n'
                                            .encode()]
        assert client.command("NOOP") == [b"250 OK\r\n"]
        client.command("QUIT")


def test_importing_and_running_the_server_leaves_aiosmtpd_settings_alone() -> None:
    """A process's own aiosmtpd servers keep aiosmtpd's defaults: no module global or logger
    of aiosmtpd's is changed by importing harness.server or by a scripted server running."""
    program = textwrap.dedent("""
        import logging, smtplib
        import aiosmtpd.smtp
        before = aiosmtpd.smtp.BOGUS_LIMIT, logging.getLogger("mail.log").handlers[:]
        from harness.model import ServerScript
        from harness.server import shared_host
        server = shared_host().start(ServerScript())
        with smtplib.SMTP(server.address, server.port, timeout=3) as client:
            client.ehlo()
            client.docmd("BOGUS")
        server.stop()
        after = aiosmtpd.smtp.BOGUS_LIMIT, logging.getLogger("mail.log").handlers
        assert after == before, (before, after)
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_survives_an_over_long_line(smtp_server: StartServer) -> None:
    server = smtp_server()
    with greeted(server.port) as client:
        client.send(b"MAIL FROM:<" + b"x" * 100_000 + b"@example.com>\r\n")
        assert client.reply()[0].startswith(b"500 ")
        assert client.command("NOOP") == [b"250 OK\r\n"]
        client.command("QUIT")
    assert_still_serving(server)


def test_survives_a_disconnect_mid_command(smtp_server: StartServer) -> None:
    server = smtp_server()
    with greeted(server.port) as client:
        ehlo(client)
        client.send(b"MAIL FROM:<a@exam")
    with greeted(server.port) as client:
        envelope(client)
        client.command("DATA")
        client.send(b"Subject: half a message\r\n")
    assert_still_serving(server)
    transcript = server.stop()
    assert transcript.delivered_to == ["ok@example.com"]
    assert transcript.connections == 3


def test_survives_a_reset_from_the_client(smtp_server: StartServer) -> None:
    server = smtp_server()
    client = greeted(server.port)
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.send(b"EHLO x\r\n")
    client.close()
    assert_still_serving(server)


def test_many_connections_at_once(smtp_server: StartServer) -> None:
    server = smtp_server({"rcpt": {"pattern": ".", "delay": 0.2}})
    clients = [greeted(server.port) for _ in range(20)]
    started = time.monotonic()
    for client in clients:
        client.send(b"EHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n")
    for client in clients:
        replies = b"".join(client.line() for _ in range(5))
        assert replies.endswith(b"250 OK\r\n250 OK\r\n"), replies
        client.close()
    assert time.monotonic() - started < 1.5  # the delays overlap on the one event loop
    assert server.stop().connections == 20


# -- lifecycle ----------------------------------------------------------------------------


def test_stop_closes_connections_the_client_left_open() -> None:
    server = shared_host().start(ServerScript())
    client = greeted(server.port)
    ehlo(client)
    started = time.monotonic()
    transcript = server.stop(settle=0.2)
    assert time.monotonic() - started < 1.0
    assert client.read_all() == b""
    client.close()
    assert transcript.events[-1].kind == "close"
    with pytest.raises(OSError):
        RawClient(server.port).line()


def test_running_server_context_manager() -> None:
    with shared_host().start(ServerScript()) as server:
        assert server.address == HOST and server.port > 0
        with greeted(server.port) as client:
            client.command("QUIT")
    with pytest.raises(OSError):
        socket.create_connection((HOST, server.port), timeout=1).close()
    assert server.transcript.commands == ["QUIT"]


def test_servers_are_independent(smtp_server: StartServer) -> None:
    one = smtp_server({"greeting": {"reply": "220 one"}})
    two = smtp_server({"greeting": {"reply": "220 two"}})
    assert one.port != two.port
    with RawClient(one.port) as a, RawClient(two.port) as b:
        assert (a.line(), b.line()) == (b"220 one\r\n", b"220 two\r\n")
        a.command("QUIT")
        b.command("QUIT")
    assert one.stop().connections == 1 and two.stop().connections == 1


def test_shared_host_is_shared_and_a_private_host_closes() -> None:
    assert shared_host() is shared_host()
    host = ServerHost()
    server = host.start(ServerScript())
    with greeted(server.port) as client:
        client.command("QUIT")
    server.stop()
    host.close()
    assert not host._thread.is_alive()


def test_smtp_server_fixture_refuses_a_bad_script(smtp_server: StartServer) -> None:
    with pytest.raises(ScenarioError, match=r"^smtp_server\(\): server"):
        smtp_server({"rcpt": {"drop": "sideways"}})

