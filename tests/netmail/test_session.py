"""The conversation, sans-IO: what is sent for each reply, and what each failure raises."""

from __future__ import annotations

import pytest

from netmail import (
    MailAddress,
    NetworkCredential,
    SmtpException,
    SmtpFailedRecipientException,
    SmtpFailedRecipientsException,
    SmtpStatusCode,
)
from netmail.session import Envelope, Extensions, HandshakeSettings, handshake, mail_transaction

from .conversation import parse, play

EHLO_OK = "250-srv\r\n250-8BITMIME\r\n250 SIZE 1000\r\n"


def settings(ssl: bool = False, credential: NetworkCredential | None = None) -> HandshakeSettings:
    return HandshakeSettings("client.test", ssl, credential)


def test_plain_handshake() -> None:
    writes, extensions = play(handshake(settings()), ["220 hi\r\n", EHLO_OK])
    assert writes == [b"EHLO client.test\r\n"]
    assert "SIZE" in extensions and "8BITMIME" in extensions


@pytest.mark.parametrize("code", [500, 502])
def test_ehlo_falls_back_to_helo_only_on_500_and_502(code: int) -> None:
    writes, extensions = play(handshake(settings()),
                              ["220 hi\r\n", f"{code} no\r\n", "250 hello\r\n"])
    assert writes == [b"EHLO client.test\r\n", b"HELO client.test\r\n"]
    assert extensions.keywords == {}


def test_ehlo_501_fails_without_fallback() -> None:
    with pytest.raises(SmtpException) as caught:
        play(handshake(settings()), ["220 hi\r\n", "501 bad\r\n"])
    assert caught.value.status_code is SmtpStatusCode.SyntaxError


def test_ssl_without_starttls_sends_nothing_more() -> None:
    writes: list[bytes] = []
    with pytest.raises(SmtpException, match="Server does not support secure connections"):
        play(handshake(settings(ssl=True)), ["220 hi\r\n", EHLO_OK], writes)
    assert writes == [b"EHLO client.test\r\n"]


def test_starttls_then_ehlo_again_then_auth() -> None:
    writes, _ = play(handshake(settings(ssl=True, credential=NetworkCredential("u", "p"))), [
        "220 hi\r\n", "250-srv\r\n250 STARTTLS\r\n", "220 go\r\n",
        "250-srv\r\n250 AUTH PLAIN\r\n", "235 ok\r\n"])
    assert writes == [b"EHLO client.test\r\n", b"STARTTLS\r\n", b"<TLS>",
                      b"EHLO client.test\r\n", b"AUTH PLAIN AHUAcA==\r\n"]


def test_auth_only_after_tls_even_if_offered_before() -> None:
    writes, _ = play(handshake(settings(ssl=True, credential=NetworkCredential("u", "p"))), [
        "220 hi\r\n", "250-srv\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n", "220 go\r\n",
        "250-srv\r\n250 AUTH PLAIN\r\n", "235 ok\r\n"])
    assert writes.index(b"<TLS>") < next(i for i, w in enumerate(writes) if w.startswith(b"AUTH"))


def test_no_auth_advertised_goes_on_without() -> None:
    writes, _ = play(handshake(settings(credential=NetworkCredential("u", "p"))),
                     ["220 hi\r\n", EHLO_OK])
    assert writes == [b"EHLO client.test\r\n"]


@pytest.mark.parametrize("greeting", ["250 hi\r\n", "354 hi\r\n"])
def test_greeting_other_than_220_is_a_violation(greeting: str) -> None:
    with pytest.raises(SmtpException) as caught:
        play(handshake(settings()), [greeting])
    assert caught.value.status_code is SmtpStatusCode.GeneralFailure


def test_extensions_parse_both_auth_forms() -> None:
    reply = parse("250-srv\r\n250-AUTH=LOGIN\r\n250-auth plain cram-md5\r\n250 pipelining\r\n")
    extensions = Extensions.parse(reply)
    assert extensions.auth_mechanisms == ("LOGIN", "plain", "cram-md5")
    assert "PIPELINING" in extensions


def envelope(*recipients: str) -> Envelope:
    return Envelope(MailAddress("s@x.test"), tuple(MailAddress(r) for r in recipients))


BODY = b"Subject: t\r\n\r\n.hidden\r\nbody\r\n"


def test_transaction_sends_stuffed_body() -> None:
    writes, failures = play(mail_transaction(envelope("a@x.test"), BODY, Extensions({})),
                            ["250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 queued\r\n"])
    assert writes == [b"MAIL FROM:<s@x.test>\r\n", b"RCPT TO:<a@x.test>\r\n", b"DATA\r\n",
                      b"Subject: t\r\n\r\n..hidden\r\nbody\r\n.\r\n"]
    assert failures == []


def test_size_is_declared_when_offered() -> None:
    writes, _ = play(mail_transaction(envelope("a@x.test"), BODY,
                                      Extensions({"SIZE": "1000"})),
                     ["250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 queued\r\n"])
    assert writes[0] == b"MAIL FROM:<s@x.test> SIZE=%d\r\n" % len(BODY)


def test_some_rejected_still_sends_and_returns_failures() -> None:
    writes, failures = play(mail_transaction(envelope("a@x.test", "b@x.test"), BODY,
                                             Extensions({})),
                            ["250 ok\r\n", "550 no\r\n", "250 ok\r\n", "354 go\r\n", "250 ok\r\n"])
    assert [f.failed_recipient for f in failures] == ["<a@x.test>"]
    assert failures[0].status_code is SmtpStatusCode.MailboxUnavailable
    assert writes[-2] == b"DATA\r\n"


def test_all_rejected_never_sends_data() -> None:
    conversation = mail_transaction(envelope("a@x.test", "b@x.test"), BODY, Extensions({}))
    with pytest.raises(SmtpFailedRecipientsException) as caught:
        play(conversation, ["250 ok\r\n", "550 no\r\n", "452 full\r\n"])
    assert str(caught.value) == "Unable to send to all recipients."
    assert [(e.failed_recipient, e.status_code) for e in caught.value.inner_exceptions] == [
        ("<a@x.test>", 550), ("<b@x.test>", 452)]


def test_single_rejected_is_the_singular_exception() -> None:
    with pytest.raises(SmtpFailedRecipientException) as caught:
        play(mail_transaction(envelope("a@x.test"), BODY, Extensions({})),
             ["250 ok\r\n", "550 no\r\n"])
    assert type(caught.value) is SmtpFailedRecipientException


def test_fatal_rcpt_code_stops_at_once() -> None:
    with pytest.raises(SmtpException) as caught:
        play(mail_transaction(envelope("a@x.test", "b@x.test"), BODY, Extensions({})),
             ["250 ok\r\n", "421 bye\r\n"])
    assert type(caught.value) is SmtpException
    assert caught.value.status_code is SmtpStatusCode.ServiceNotAvailable


def test_pipelining_sends_one_batch() -> None:
    writes, _ = play(mail_transaction(envelope("a@x.test", "b@x.test"), BODY,
                                      Extensions({"PIPELINING": ""})),
                     ["250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 ok\r\n"])
    assert writes[0] == (b"MAIL FROM:<s@x.test>\r\nRCPT TO:<a@x.test>\r\n"
                         b"RCPT TO:<b@x.test>\r\nDATA\r\n")
    assert len(writes) == 2


def test_pipelining_all_rejected_ends_an_open_data_phase_empty() -> None:
    conversation = mail_transaction(envelope("a@x.test"), BODY, Extensions({"PIPELINING": ""}))
    writes: list[bytes] = []
    with pytest.raises(SmtpFailedRecipientException):
        play(conversation, ["250 ok\r\n", "550 no\r\n", "354 go\r\n", "250 ok\r\n"], writes)
    assert writes[-1] == b".\r\n" and BODY not in b"".join(writes)


def test_utf8_envelope_declares_smtputf8() -> None:
    env = Envelope(MailAddress("jörg@x.test"), (MailAddress("a@x.test"),), utf8=True)
    writes, _ = play(mail_transaction(env, BODY, Extensions({"8BITMIME": "", "SMTPUTF8": ""})),
                     ["250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 ok\r\n"])
    assert writes[0] == "MAIL FROM:<jörg@x.test> BODY=8BITMIME SMTPUTF8\r\n".encode()
