"""What a client did in one send: the exception it raised (by name), or nothing.

Names are reported exactly as the client's classes are named, never translated, so a report
shows what really happened. ``inner_bases`` lets an expectation name a base class of the inner
exception (``ConnectionError`` matches ``ConnectionResetError``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from smtp_contract import SmtpStatusCode

from .model import NO_STATUS, FailedRecipient


@dataclass(frozen=True)
class Outcome:
    exception: str | None = None
    status_code: int | None = None
    message: str | None = None
    inner: str | None = None
    inner_bases: tuple[str, ...] = ()
    failed_recipients: tuple[FailedRecipient, ...] = ()
    seconds: float = 0.0
    reported_by: str | None = None
    """For a SendAsync: ``call`` (the call itself raised) or ``send_completed`` (the error
    came through SendCompleted); None for a blocking send, or a SendAsync that succeeded."""

    def describe(self) -> str:
        """``SmtpException(MailboxUnavailable)``, or ``success``."""
        if self.exception is None:
            return "success"
        return f"{self.exception}({status_name(self.status_code)})" if (
            self.status_code is not None) else self.exception

    def to_json(self) -> dict[str, Any]:
        return {
            "exception": self.exception,
            "status_code": status_name(self.status_code),
            "message": self.message,
            "inner": self.inner,
            "failed_recipients": [
                {"address": r.address, "status_code": status_name(r.status_code)}
                for r in self.failed_recipients],
            "seconds": round(self.seconds, 4),
            **({"reported_by": self.reported_by} if self.reported_by else {}),
        }


def status_name(code: int | None) -> str | int | None:
    """``MailboxUnavailable`` for 550; the bare number when .NET has no name for it; None for
    no code (and for an expectation's ``status_code: null``, "must carry no code")."""
    if code is None or code == NO_STATUS:
        return None
    try:
        return SmtpStatusCode(code).name
    except ValueError:
        return code


def capture(call: Callable[[], object], describe: Callable[[BaseException], Outcome]) -> Outcome:
    """Run one send and turn whatever it raised into an ``Outcome`` (timed)."""
    started = time.monotonic()
    try:
        call()
    except Exception as exc:
        outcome = describe(exc)
    else:
        outcome = Outcome()
    return replace(outcome, seconds=time.monotonic() - started)


def python_exception(exc: BaseException) -> Outcome:
    """A generic description of a Python exception: class, status, cause and its bases."""
    inner = exc.__cause__
    code = getattr(exc, "status_code", None)
    return Outcome(
        exception=type(exc).__name__,
        status_code=int(code) if code is not None else None,
        message=str(exc),
        inner=type(inner).__name__ if inner is not None else None,
        inner_bases=tuple(c.__name__ for c in type(inner).__mro__[1:]) if inner else (),
    )
