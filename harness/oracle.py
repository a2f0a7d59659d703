"""The contract oracle: what the documented contract requires for a given server script.

A pure function from a script (greeting, EHLO, MAIL, one action per RCPT, DATA, end of data)
to the ``Expectation`` a conforming client must meet: exception class, status code, failed
recipients, inner exception, and who the server delivered to. Property tests generate scripts,
run them against real servers and a client, and hold the outcome to this.

Scope: plain sessions (no STARTTLS, no AUTH, no PIPELINING), one send. Delays are either short
(well inside the timeout) or long (well past it): the oracle does not judge a race.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass

from smtp_contract import SmtpStatusCode

from .model import DEFAULT_ACTION, NO_INNER, Action, Expectation, FailedRecipient, ServerFacts
from .server.smtp import sent_code

STEPS = ("greeting", "ehlo", "mail", "rcpt", "data", "end_of_data")
ACCEPTED = {"greeting": {220}, "ehlo": {250}, "helo": {250}, "mail": {250},
            "rcpt": {250, 251, 252}, "data": {354}, "end_of_data": {250}}
"""The reply each step needs to go on: RFC 5321 4.3.2 and dotnet-semantics.md 3.1. RCPT 252
is accepted as RFC 5321 3.5.2 allows (real .NET 3.1 calls it a protocol violation:
docs/dotnet-observed.md, scenario recipients/rcpt-252)."""
RECORDED = {450, 452, 550, 551, 552, 553}
"""RCPT codes recorded as a failed recipient while sending goes on: the documentation of
SmtpFailedRecipientException, as dotnet-semantics.md 3.4 reads it from .NET's source."""
FALLBACK = {"ehlo": {500, 502}}
"""EHLO refused as unknown (500, 502) sends HELO instead: RFC 5321 4.1.4, dotnet-semantics.md
3.1; any other refusal fails the send."""
GENERAL = int(SmtpStatusCode.GeneralFailure)


@dataclass(frozen=True)
class Session:
    """A plain session's script: one action per step, and one per recipient at RCPT."""

    greeting: Action = DEFAULT_ACTION
    ehlo: Action = DEFAULT_ACTION
    mail: Action = DEFAULT_ACTION
    rcpt: tuple[Action, ...] = ()
    data: Action = DEFAULT_ACTION
    end_of_data: Action = DEFAULT_ACTION


class _Stop(Exception):
    def __init__(self, expectation: Expectation) -> None:
        self.expectation = expectation


def expected_outcome(session: Session, recipients: Sequence[str], timeout: float) -> Expectation:
    """The outcome the contract requires when a client sends to ``recipients``."""
    try:
        return _walk(session, recipients, timeout)
    except _Stop as stop:
        return stop.expectation


def _walk(session: Session, recipients: Sequence[str], timeout: float) -> Expectation:
    clock = _Clock(timeout)
    _step("greeting", session.greeting, clock)
    code = _step("ehlo", session.ehlo, clock, fallback=FALLBACK["ehlo"])
    if code in FALLBACK["ehlo"]:
        _step("helo", Action(), clock)
    _step("mail", session.mail, clock)
    accepted, failures = [], []
    actions = list(session.rcpt) + [Action()] * (len(recipients) - len(session.rcpt))
    for address, action in zip(recipients, actions, strict=False):
        code = _step("rcpt", action, clock, recorded=True)
        if code in RECORDED:
            failures.append(FailedRecipient(f"<{address}>", code))
        else:
            accepted.append(address)
    if not accepted:
        raise _Stop(_recipients(failures, delivered=[]))
    _step("data", session.data, clock)
    delivered = accepted if _delivers(session.end_of_data, clock) else []
    _step("end_of_data", session.end_of_data, clock, delivered=delivered)
    if failures:
        return _recipients(failures, delivered)
    return Expectation(raises=None, server=ServerFacts(delivered_to=tuple(delivered)))


class _Clock:
    """One deadline for the whole send; a long delay anywhere passes it."""

    def __init__(self, timeout: float) -> None:
        self.left = timeout

    def wait(self, seconds: float) -> bool:
        self.left -= seconds
        return self.left > 0


def _step(step: str, action: Action, clock: _Clock, *, fallback: Set[int] = frozenset(),
          recorded: bool = False, delivered: Sequence[str] = ()) -> int:
    """The reply code the client accepts at ``step``, or stop with the contract's failure."""
    if not clock.wait(action.delay):
        _fail("SmtpException", GENERAL, NO_INNER, [])
    if action.drop in ("before", "reset"):
        _fail("SmtpException", GENERAL, "ConnectionError", [])
    code = sent_code(action, 354 if step == "data" else 220 if step == "greeting" else 250)
    if code is None:
        _fail("SmtpException", GENERAL, "FormatException", [])
    assert code is not None
    if code in ACCEPTED[step] or code in fallback or (recorded and code in RECORDED):
        if action.drop == "after" and step != "end_of_data":
            _fail("SmtpException", GENERAL, "ConnectionError", [])
        return code
    _fail("SmtpException", code if code >= 400 else GENERAL, NO_INNER, delivered)
    raise AssertionError("unreachable")


def _delivers(action: Action, clock: _Clock) -> bool:
    """Whether the server counts the message delivered (a well-formed 2xx, sent in time)."""
    if action.drop in ("before", "reset") or clock.left - action.delay <= 0:
        return False
    code = sent_code(action, 250)
    return code is not None and 200 <= code < 300


def _recipients(failures: list[FailedRecipient], delivered: Sequence[str]) -> Expectation:
    single = len(failures) == 1
    return Expectation(
        raises="SmtpFailedRecipientException" if single else "SmtpFailedRecipientsException",
        status_code=failures[0].status_code if single else GENERAL,
        failed_recipients=tuple(failures),
        inner=NO_INNER if single else "SmtpFailedRecipientException",
        server=ServerFacts(delivered_to=tuple(delivered)),
    )


def _fail(raises: str, code: int, inner: str, delivered: Sequence[str]) -> None:
    raise _Stop(Expectation(raises=raises, status_code=code, inner=inner,
                            server=ServerFacts(delivered_to=tuple(delivered))))
