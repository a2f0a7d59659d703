"""The reply table: what each reply code means at each step of a session.

One table decides, for every step, which codes are accepted, which recipients' codes are
recorded as failures while sending goes on, and which codes send EHLO back to HELO. Anything
else of 400 or more fails the send with the server's code; anything else below 400 is a
protocol violation (``GeneralFailure``).
"""

from __future__ import annotations

from enum import Enum

from .errors import SmtpException, SmtpStatusCode, status_text
from .replies import Reply


class Step(Enum):
    GREETING = "greeting"
    EHLO = "ehlo"
    HELO = "helo"
    STARTTLS = "starttls"
    AUTH = "auth"
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"
    END_OF_DATA = "end-of-data"


class Disposition(Enum):
    ACCEPT = "accept"
    RECORD = "record"
    FALLBACK = "fallback"
    FAIL = "fail"
    VIOLATION = "violation"


ACCEPTED: dict[Step, frozenset[int]] = {
    Step.GREETING: frozenset({220}),
    Step.EHLO: frozenset({250}),
    Step.HELO: frozenset({250}),
    Step.STARTTLS: frozenset({220}),
    Step.AUTH: frozenset({235, 334}),
    Step.MAIL: frozenset({250}),
    Step.RCPT: frozenset({250, 251, 252}),
    Step.DATA: frozenset({354}),
    Step.END_OF_DATA: frozenset({250}),
}
RECORDED: dict[Step, frozenset[int]] = {Step.RCPT: frozenset({450, 452, 550, 551, 552, 553})}
FALLBACK: dict[Step, frozenset[int]] = {Step.EHLO: frozenset({500, 502})}


def classify(step: Step, code: int) -> Disposition:
    if code in ACCEPTED[step]:
        return Disposition.ACCEPT
    if code in RECORDED.get(step, ()):
        return Disposition.RECORD
    if code in FALLBACK.get(step, ()):
        return Disposition.FALLBACK
    return Disposition.FAIL if code >= 400 else Disposition.VIOLATION


def reply_error(step: Step, reply: Reply) -> SmtpException:
    """The exception for a reply that fails ``step``: the server's code, or a violation."""
    if reply.code < 400:
        return SmtpException(
            f"The server committed a protocol violation. The server response was: {reply}",
            SmtpStatusCode.GeneralFailure,
        )
    prefix = "Authentication failed." if step is Step.AUTH else status_text(reply.code)
    return SmtpException(f"{prefix} The server response was: {reply.text}", reply.code)


def expect(step: Step, reply: Reply) -> Reply:
    """Return ``reply`` if ``step`` accepts it; raise the step's failure otherwise."""
    if classify(step, reply.code) is not Disposition.ACCEPT:
        raise reply_error(step, reply)
    return reply
