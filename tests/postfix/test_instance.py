"""The real Postfix of tests/postfix/instance.py: each configuration behaves as its description
says (reply codes and enhanced codes, observed with smtplib), accepted mail is discarded, the
listeners are on 127.0.0.1 only, and instances run side by side and leave no process behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import smtplib
import socket
import ssl
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.server import ca_file

from ..real_programs import require
from . import instance
from .instance import CONFIGURATIONS, HOST, Postfix, unavailable

MESSAGE = b"From: sender@example.com\r\nTo: rcpt@example.com\r\nSubject: test\r\n\r\nHello.\r\n"
SENDER = "sender@example.com"


def connect(postfix: Postfix, name: str) -> smtplib.SMTP:
    """An smtplib client connected to a configuration's listener (after a 220 greeting)."""
    return smtplib.SMTP(HOST, postfix.port(name), local_hostname="client.example", timeout=10)


def session(postfix: Postfix, name: str) -> smtplib.SMTP:
    """Connected and after EHLO."""
    client = connect(postfix, name)
    assert client.ehlo()[0] == 250
    return client


def wait_for_log(postfix: Postfix, pattern: str, timeout: float = 5.0) -> str:
    """The first log line matching ``pattern``: postlogd writes a moment after the event."""
    deadline = time.monotonic() + timeout
    while True:
        for line in postfix.log().splitlines():
            if re.search(pattern, line):
                return line
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line matches {pattern!r}:\n{postfix.log()[-3000:]}")
        time.sleep(0.02)


def queued(reply: tuple[int, bytes]) -> str:
    """The queue id in Postfix's reply to the end of data."""
    code, text = reply
    assert code == 250, reply
    found = re.fullmatch(rb"2\.0\.0 Ok: queued as ([0-9A-F]+)", text)
    assert found, text
    return found.group(1).decode()


def test_version_is_the_installed_one(postfix: Postfix) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", postfix.version)
    wait_for_log(postfix, rf"postfix/master\[\d+\]: daemon started -- version "
                          rf"{re.escape(postfix.version)}, configuration {postfix.directory}")


def test_every_configuration_has_its_own_port(postfix: Postfix) -> None:
    ports = [postfix.port(configuration.name) for configuration in CONFIGURATIONS]
    assert len(set(ports)) == len(ports)
    assert all(configuration.description for configuration in CONFIGURATIONS)


def test_accept_offers_the_default_extensions_and_discards_the_mail(postfix: Postfix) -> None:
    with session(postfix, "accept") as client:
        assert client.ehlo_resp is not None
        assert client.ehlo_resp.splitlines()[0] == b"postfix.test"
        features = client.esmtp_features
        assert features["size"] == "10240000"
        assert {"pipelining", "8bitmime", "enhancedstatuscodes", "smtputf8", "chunking",
                "dsn"} <= features.keys()
        assert "starttls" not in features and "auth" not in features
        client.mail(SENDER)
        assert client.rcpt("anyone@example.com") == (250, b"2.1.5 Ok")
        assert client.rcpt("someone@elsewhere.test") == (250, b"2.1.5 Ok")
        queue_id = queued(client.data(MESSAGE))
    for recipient in ("anyone@example.com", "someone@elsewhere.test"):
        line = wait_for_log(postfix, rf"postfix/discard\[\d+\]: {queue_id}: to=<{recipient}>")
        assert "relay=none" in line and "status=sent" in line


def test_greeting_is_postfix(postfix: Postfix) -> None:
    client = smtplib.SMTP(local_hostname="client.example", timeout=10)
    with client:
        assert client.connect(HOST, postfix.port("accept")) == (220,
                                                                 b"postfix.test ESMTP Postfix")


def test_recipient_unknown_is_rejected_at_rcpt(postfix: Postfix) -> None:
    with session(postfix, "recipient-unknown") as client:
        assert client.mail(SENDER) == (250, b"2.1.0 Ok")
        assert client.rcpt("bad@example.com") == (
            550, b"5.1.1 <bad@example.com>: Recipient address rejected: "
                 b"User unknown in relay recipient table")
        assert client.rcpt("rcpt@example.com") == (250, b"2.1.5 Ok")
        queued(client.data(MESSAGE))


def test_recipient_deferred_gets_450_at_rcpt(postfix: Postfix) -> None:
    with session(postfix, "recipient-deferred") as client:
        client.mail(SENDER)
        assert client.rcpt("busy@example.com") == (
            450, b"4.2.1 <busy@example.com>: Recipient address rejected: Mailbox busy")
        assert client.rcpt("rcpt@example.com")[0] == 250


def test_size_limit_refuses_a_declared_size_at_mail(postfix: Postfix) -> None:
    with session(postfix, "size-limit") as client:
        assert client.esmtp_features["size"] == str(instance.SIZE_LIMIT)
        assert client.mail(SENDER, ["SIZE=20000"]) == (
            552, b"5.3.4 Message size exceeds fixed limit")
        client.rset()
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # smtplib declares SIZE=
            client.sendmail(SENDER, ["rcpt@example.com"], MESSAGE + b"x" * 20000)
        assert refused.value.smtp_code == 552


@pytest.mark.parametrize(("size", "checker"), [(20000, "smtpd"), (9600, "cleanup")])
def test_size_limit_refuses_an_undeclared_size_after_data(postfix: Postfix, size: int,
                                                          checker: str) -> None:
    """smtpd counts the message it receives; cleanup (this listener's own cleanup-size-limit)
    counts the queue file, about 1 KB more (envelope, Received: header): it refuses a message
    that smtpd let through."""
    with session(postfix, "size-limit") as client:
        client.mail(SENDER)
        client.rcpt("rcpt@example.com")
        reply = client.data(MESSAGE + b"x" * (size - len(MESSAGE)))
        assert reply == (552, b"5.3.4 Error: message file too big")
        client.rset()
        client.mail(SENDER)
        client.rcpt("rcpt@example.com")
        queue_id = queued(client.data(MESSAGE + b"x" * 1000))
    wait_for_log(postfix, rf"postfix/size-limit/{checker}\[\d+\]: warning: \w+: queue file size "
                          "limit exceeded")
    wait_for_log(postfix, rf"{queue_id}: to=<rcpt@example.com>, relay=none, .*status=sent")


def test_sender_refused_at_rcpt_by_default(postfix: Postfix) -> None:
    with session(postfix, "sender-refused") as client:
        assert client.mail("refused@example.com") == (250, b"2.1.0 Ok")
        assert client.rcpt("rcpt@example.com") == (
            554, b"5.7.1 <refused@example.com>: Sender address rejected: Access denied")


def test_sender_refused_at_mail_without_delay_reject(postfix: Postfix) -> None:
    with session(postfix, "sender-refused-at-mail") as client:
        assert client.mail("refused@example.com") == (
            554, b"5.7.1 <refused@example.com>: Sender address rejected: Access denied")
        assert client.mail(SENDER) == (250, b"2.1.0 Ok")


def test_slow_greeting_arrives_after_four_seconds(postfix: Postfix) -> None:
    started = time.monotonic()
    with connect(postfix, "slow-greeting") as client:
        waited = time.monotonic() - started
        assert client.ehlo()[0] == 250
    assert 3.5 < waited < 8, waited


def test_starttls_with_the_harness_certificate(postfix: Postfix) -> None:
    with session(postfix, "starttls") as client:
        assert "starttls" in client.esmtp_features
        assert client.starttls(context=ssl.create_default_context(cafile=ca_file())) == (
            220, b"2.0.0 Ready to start TLS")
        client.ehlo()
        assert "starttls" not in client.esmtp_features
        assert client.sendmail(SENDER, ["rcpt@example.com"], MESSAGE) == {}


def test_starttls_required_before_mail(postfix: Postfix) -> None:
    with session(postfix, "starttls-required") as client:
        assert client.mail(SENDER) == (530, b"5.7.0 Must issue a STARTTLS command first")
        client.starttls(context=ssl.create_default_context(cafile=ca_file()))
        client.ehlo()
        assert client.mail(SENDER) == (250, b"2.1.0 Ok")


def test_no_pipelining_is_offered_and_pipelining_disconnects(postfix: Postfix) -> None:
    with session(postfix, "no-pipelining") as client:
        assert "pipelining" not in client.esmtp_features
        assert client.sendmail(SENDER, ["rcpt@example.com"], MESSAGE) == {}
    with socket.create_connection((HOST, postfix.port("no-pipelining")), timeout=10) as sock:
        replies = sock.makefile("rb")
        assert replies.readline().startswith(b"220 ")
        sock.sendall(b"EHLO client.example\r\nNOOP\r\n")
        assert replies.readline() == b"554 5.5.0 Error: SMTP protocol synchronization\r\n"
        assert replies.readline() == b""
        replies.close()


def test_recipient_limit_defers_the_third(postfix: Postfix) -> None:
    with session(postfix, "recipient-limit") as client:
        client.mail(SENDER)
        assert client.rcpt("a@example.com")[0] == 250
        assert client.rcpt("b@example.com")[0] == 250
        assert client.rcpt("c@example.com") == (452, b"4.5.3 Error: too many recipients")
        queued(client.data(MESSAGE))


def test_client_rejected_greets_554_and_refuses_every_command(postfix: Postfix) -> None:
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP(HOST, postfix.port("client-rejected"), timeout=10)
    assert refused.value.smtp_code == 554
    with smtplib.SMTP(local_hostname="client.example", timeout=10) as client:
        assert client.connect(HOST, postfix.port("client-rejected")) == (
            554, b"5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied")
        denied = (503, b"5.7.0 Error: access denied for unknown[127.0.0.1]")
        assert client.ehlo() == denied
        assert client.helo() == denied
        assert client.mail(SENDER) == denied
        assert client.noop() == denied


def test_auth_plain_and_login(postfix: Postfix) -> None:
    with session(postfix, "auth") as client:
        assert client.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
            client.login(instance.SASL_USER, "wrong")
        assert failed.value.smtp_code == 535
        assert failed.value.smtp_error == b"5.7.8 Error: authentication failed: " \
                                          b"authentication failure"
        assert client.login(instance.SASL_USER, instance.SASL_PASSWORD) == (
            235, b"2.7.0 Authentication successful")
    with session(postfix, "auth") as client:
        client.user, client.password = instance.SASL_USER, instance.SASL_PASSWORD
        assert client.auth("LOGIN", client.auth_login)[0] == 235


def test_listens_on_loopback_only(postfix: Postfix) -> None:
    master = master_pid(postfix.directory)
    assert master is not None
    assert listening(master) == {(HOST, postfix.port(c.name)) for c in CONFIGURATIONS}


def test_two_instances_run_side_by_side_and_leave_nothing_behind(
        pytestconfig: pytest.Config) -> None:
    require(unavailable(), pytestconfig)
    accept = tuple(c for c in CONFIGURATIONS if c.name == "accept")
    with directories(2) as (first, second):
        with Postfix(first, accept) as one, Postfix(second, accept) as two:
            assert one.port("accept") != two.port("accept")
            masters = [master_pid(first), master_pid(second)]
            for running in (one, two):
                with session(running, "accept") as client:
                    assert client.sendmail(SENDER, ["rcpt@example.com"], MESSAGE) == {}
            assert None not in masters and masters[0] != masters[1]
            stopping = time.monotonic()
        assert time.monotonic() - stopping < 5
        for directory, master in zip((first, second), masters, strict=True):
            assert master is not None
            assert group(master) == [], f"left behind by {directory}"  # zombies included
            assert [command for _pid, _group, command in processes()
                    if str(directory) in command] == []  # the supervisor too


def test_a_port_taken_meanwhile_is_chosen_again(monkeypatch: pytest.MonkeyPatch,
                                                pytestconfig: pytest.Config) -> None:
    require(unavailable(), pytestconfig)
    accept = tuple(c for c in CONFIGURATIONS if c.name == "accept")
    with socket.socket() as squatter:
        squatter.bind((HOST, 0))  # bound, not listening: a refused connect, then the retry
        taken = squatter.getsockname()[1]
        offers = iter([[taken]])
        real = instance._free_ports
        monkeypatch.setattr(instance, "_free_ports", lambda count: next(offers, None)
                            or real(count))
        with directories(1) as (directory,), Postfix(directory, accept) as running:
            assert running.port("accept") != taken
            with session(running, "accept"):
                pass


def test_a_directory_postfix_cannot_enter_is_refused(pytestconfig: pytest.Config) -> None:
    require(unavailable(), pytestconfig)
    with directories(1) as (private,):
        private.chmod(0o700)
        with pytest.raises(ValueError, match=f"the postfix user cannot enter {private} "
                                             r"\(mode 700\)"), Postfix(private / "postfix"):
            pass


@contextlib.contextmanager
def directories(count: int) -> Iterator[list[Path]]:
    """``count`` fresh directories that Postfix can enter (not tmp_path), removed afterwards."""
    paths = [Path(tempfile.mkdtemp(prefix="smtp-postfix-")) for _ in range(count)]
    try:
        yield paths
    finally:
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)


def processes() -> Iterator[tuple[int, int, str]]:
    """(pid, process group, command line) of every process, zombies included."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2:].split()
        yield int(entry.name), int(fields[2]), command


def group(pgid: int) -> list[str]:
    return [command for _pid, process_group, command in processes() if process_group == pgid]


def master_pid(directory: Path) -> int | None:
    """The pid of the master running from ``directory``, if any."""
    command = f"{instance.master()} -d -c {directory}/config"
    return next((pid for pid, _group, line in processes() if line.rstrip() == command), None)


def listening(master: int) -> set[tuple[str, int]]:
    """The TCP addresses on which the master's sockets listen (IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{master}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # LISTEN
                address, port = local.split(":")
                if len(address) == 8:
                    host = socket.inet_ntoa(bytes.fromhex(address)[::-1])
                else:
                    host = address
                found.add((host, int(port, 16)))
    return found
