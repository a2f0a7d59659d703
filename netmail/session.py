"""The SMTP conversation as sans-IO generators: the handshake, then one mail transaction.

Each generator yields ``Send``/``Receive``/``StartTls`` actions and is sent the ``Reply`` for
every ``Receive``; it knows nothing of sockets or time, so the blocking and the asyncio drivers
share it, and tests can play a whole conversation from a list of replies.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from .actions import RECEIVE, START_TLS, Receive, Send, StartTls, command, send
from .auth import NetworkCredential, authenticate
from .errors import SmtpException, SmtpFailedRecipientException, SmtpFailedRecipientsException
from .message import MailAddress
from .rendering import END_OF_DATA, dot_stuff
from .replies import Reply
from .steps import Disposition, Step, classify, expect, reply_error

Action = Send | Receive | StartTls
Conversation = Generator[Action, Reply, "Extensions"]


@dataclass(frozen=True)
class Extensions:
    """What the server advertised in its EHLO reply (empty after a HELO fallback)."""

    keywords: dict[str, str]
    auth_mechanisms: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, reply: Reply) -> Extensions:
        keywords: dict[str, str] = {}
        mechanisms: list[str] = []
        advertised_auth = False
        for line in reply.lines[1:]:
            keyword, _, params = line.strip().replace("=", " ", 1).partition(" ")
            keyword = keyword.upper()
            if not keyword:
                continue
            keywords[keyword] = params.strip()
            if keyword == "AUTH":
                advertised_auth = True
                mechanisms += [m for m in params.split() if m.upper() not in mechanisms]
        return cls(keywords, tuple(mechanisms) if advertised_auth else None)

    def __contains__(self, keyword: str) -> bool:
        return keyword in self.keywords


@dataclass(frozen=True)
class HandshakeSettings:
    client_name: str
    enable_ssl: bool
    credential: NetworkCredential | None


def handshake(settings: HandshakeSettings) -> Conversation:
    """Greeting, EHLO (or HELO), STARTTLS and EHLO again when asked, then AUTH."""
    expect(Step.GREETING, (yield RECEIVE))
    extensions = yield from _hello(settings.client_name)
    if settings.enable_ssl:
        if "STARTTLS" not in extensions:
            raise SmtpException("Server does not support secure connections.")
        expect(Step.STARTTLS, (yield from command(b"STARTTLS")))
        yield START_TLS
        extensions = yield from _hello(settings.client_name)
    if settings.credential is not None and extensions.auth_mechanisms is not None:
        yield from authenticate(settings.credential, extensions.auth_mechanisms)
    return extensions


def _hello(client_name: str) -> Conversation:
    reply = yield from command(b"EHLO " + client_name.encode("ascii"))
    disposition = classify(Step.EHLO, reply.code)
    if disposition is Disposition.ACCEPT:
        return Extensions.parse(reply)
    if disposition is not Disposition.FALLBACK:
        raise reply_error(Step.EHLO, reply)
    expect(Step.HELO, (yield from command(b"HELO " + client_name.encode("ascii"))))
    return Extensions({})


@dataclass(frozen=True)
class Envelope:
    sender: MailAddress
    recipients: tuple[MailAddress, ...]
    utf8: bool = False


def mail_transaction(
    envelope: Envelope, body: bytes | bytearray, extensions: Extensions
) -> Generator[Action, Reply, list[SmtpFailedRecipientException]]:
    """MAIL, RCPT for each recipient, DATA and the body; returns the recipients rejected.

    Rejections in the recorded group let the send go on; if every recipient is rejected the
    body is never sent and the plural or single recipient exception is raised. With
    PIPELINING, MAIL, every RCPT and DATA go out in one write (RFC 2920).
    """
    mail = b"MAIL FROM:" + _path(envelope.sender, envelope.utf8) + _mail_params(
        envelope, body, extensions
    )
    rcpts = [b"RCPT TO:" + _path(r, envelope.utf8) for r in envelope.recipients]
    failures: list[SmtpFailedRecipientException] = []
    if "PIPELINING" in extensions:
        yield send(b"\r\n".join([mail, *rcpts, b"DATA"]) + b"\r\n")
        expect(Step.MAIL, (yield RECEIVE))
        for recipient in envelope.recipients:
            _record_rcpt(recipient, (yield RECEIVE), failures)
        data_reply = yield RECEIVE
        if len(failures) == len(envelope.recipients):
            if data_reply.code == 354:
                yield send(END_OF_DATA)
                yield RECEIVE
            raise _recipients_error(failures, everyone=True)
        expect(Step.DATA, data_reply)
    else:
        expect(Step.MAIL, (yield from command(mail)))
        for recipient, rcpt in zip(envelope.recipients, rcpts, strict=True):
            _record_rcpt(recipient, (yield from command(rcpt)), failures)
        if len(failures) == len(envelope.recipients):
            raise _recipients_error(failures, everyone=True)
        expect(Step.DATA, (yield from command(b"DATA")))
    yield send(dot_stuff(body), END_OF_DATA)
    expect(Step.END_OF_DATA, (yield RECEIVE))
    return failures


def recipients_error(failures: list[SmtpFailedRecipientException]) -> SmtpException:
    """The exception for a send that reached some recipients but not these."""
    return _recipients_error(failures, everyone=False)


def _recipients_error(
    failures: list[SmtpFailedRecipientException], *, everyone: bool
) -> SmtpFailedRecipientException:
    if len(failures) == 1:
        return failures[0]
    message = "Unable to send to all recipients." if everyone else "Unable to send to a recipient."
    return SmtpFailedRecipientsException(message, failures)


def _record_rcpt(
    recipient: MailAddress, reply: Reply, failures: list[SmtpFailedRecipientException]
) -> None:
    disposition = classify(Step.RCPT, reply.code)
    if disposition is Disposition.RECORD:
        failures.append(SmtpFailedRecipientException(
            f"{reply_error(Step.RCPT, reply)}", reply.code, f"<{recipient.address}>"
        ))
    elif disposition is not Disposition.ACCEPT:
        raise reply_error(Step.RCPT, reply)


def _mail_params(envelope: Envelope, body: bytes | bytearray, extensions: Extensions) -> bytes:
    params = b""
    if "SIZE" in extensions:
        params += b" SIZE=%d" % len(body)
    if envelope.utf8:
        params += (b" BODY=8BITMIME" if "8BITMIME" in extensions else b"") + b" SMTPUTF8"
    return params


def _path(address: MailAddress, utf8: bool) -> bytes:
    return address.smtp_path(utf8).encode("utf-8")


Transaction = Generator[Action, Reply, list[SmtpFailedRecipientException]]  # mail_transaction's
