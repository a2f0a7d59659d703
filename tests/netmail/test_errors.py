"""The exception hierarchy and status codes follow .NET names and Python built-ins."""

from __future__ import annotations

import pytest

from netmail import (
    ArgumentException,
    ArgumentNullException,
    ArgumentOutOfRangeException,
    FormatException,
    InvalidOperationException,
    ObjectDisposedException,
    SmtpException,
    SmtpFailedRecipientException,
    SmtpFailedRecipientsException,
    SmtpStatusCode,
)
from netmail.errors import status_of

DOTNET_MEMBERS = {
    "GeneralFailure": -1, "SystemStatus": 211, "HelpMessage": 214, "ServiceReady": 220,
    "ServiceClosingTransmissionChannel": 221, "Ok": 250, "UserNotLocalWillForward": 251,
    "CannotVerifyUserWillAttemptDelivery": 252, "StartMailInput": 354,
    "ServiceNotAvailable": 421, "MailboxBusy": 450, "LocalErrorInProcessing": 451,
    "InsufficientStorage": 452, "ClientNotPermitted": 454, "CommandUnrecognized": 500,
    "SyntaxError": 501, "CommandNotImplemented": 502, "BadCommandSequence": 503,
    "CommandParameterNotImplemented": 504, "MustIssueStartTlsFirst": 530,
    "MailboxUnavailable": 550, "UserNotLocalTryAlternatePath": 551,
    "ExceededStorageAllocation": 552, "MailboxNameNotAllowed": 553, "TransactionFailed": 554,
}


def test_status_codes_are_exactly_dotnets() -> None:
    assert {m.name: m.value for m in SmtpStatusCode} == DOTNET_MEMBERS


def test_unknown_codes_keep_their_number() -> None:
    assert status_of(535) == 535 and not isinstance(status_of(535), SmtpStatusCode)
    assert status_of(550) is SmtpStatusCode.MailboxUnavailable
    assert SmtpException("x", 535).status_code == 535


@pytest.mark.parametrize(("cls", "bases"), [
    (ArgumentNullException, (ArgumentException, ValueError, TypeError)),
    (ArgumentOutOfRangeException, (ArgumentException, ValueError)),
    (InvalidOperationException, (RuntimeError,)),
    (ObjectDisposedException, (InvalidOperationException, RuntimeError)),
    (FormatException, (ValueError,)),
    (SmtpFailedRecipientException, (SmtpException, Exception)),
    (SmtpFailedRecipientsException, (SmtpFailedRecipientException, SmtpException)),
])
def test_hierarchy(cls: type, bases: tuple[type, ...]) -> None:
    assert all(issubclass(cls, base) for base in bases)


def test_smtp_exception_defaults_and_inner() -> None:
    cause = OSError("boom")
    exc = SmtpException(inner_exception=cause)
    assert exc.status_code is SmtpStatusCode.GeneralFailure
    assert exc.inner_exception is cause is exc.__cause__
    assert str(exc) == "Failure sending mail."


def test_plural_recipient_exception_carries_the_first_and_all() -> None:
    one = SmtpFailedRecipientException("a", 550, "<a@x>")
    two = SmtpFailedRecipientException("b", 452, "<b@x>")
    plural = SmtpFailedRecipientsException("Unable to send to all recipients.", [one, two])
    assert plural.status_code is SmtpStatusCode.GeneralFailure
    assert plural.failed_recipient == "<a@x>"
    assert plural.inner_exception is one
    assert plural.inner_exceptions == (one, two)
