"""Exceptions and status texts, named as System.Net.Mail names them.

``SmtpStatusCode`` is the contract's (``smtp_contract``), shared with the harness that judges.

The class names follow .NET so that scenario files and reports speak the documentation's
words; each also derives from the Python built-in a Python caller would catch.
"""

from __future__ import annotations

from smtp_contract import SmtpStatusCode as SmtpStatusCode  # the contract's enum, re-exported

_STATUS_TEXT: dict[int, str] = {  # failure codes only: a reply below 400 never fails a step
    421: "Service not available, closing transmission channel.",
    450: "Mailbox unavailable.",
    451: "Error in processing.",
    452: "Insufficient system storage.",
    454: "Client does not have permission to submit mail to this server.",
    500: "Syntax error, command unrecognized.",
    501: "Syntax error in parameters or arguments.",
    502: "Command not implemented.",
    503: "Bad sequence of commands.",
    504: "Command parameter not implemented.",
    530: "The SMTP server requires a secure connection or the client was not authenticated.",
    550: "Mailbox unavailable.",
    551: "User not local; please try a different path.",
    552: "Exceeded storage allocation.",
    553: "Mailbox name not allowed.",
    554: "Transaction failed.",
}


def status_of(code: int) -> SmtpStatusCode | int:
    """The enum member for ``code``, or the plain number when .NET has no name for it."""
    try:
        return SmtpStatusCode(code)
    except ValueError:
        return code


def status_text(code: int) -> str:
    """The sentence .NET puts before "The server response was: ..." (a neutral one if none)."""
    return _STATUS_TEXT.get(code, "The server rejected the command.")


class ArgumentException(ValueError):
    """An argument is invalid; ``param_name`` names it, as in .NET."""

    def __init__(self, message: str, param_name: str | None = None) -> None:
        super().__init__(message)
        self.param_name = param_name


class ArgumentNullException(ArgumentException, TypeError):
    """A required argument is None."""


class ArgumentOutOfRangeException(ArgumentException):
    """A numeric argument is outside its allowed range."""


class InvalidOperationException(RuntimeError):
    """The call is not valid in the object's current state."""


class ObjectDisposedException(InvalidOperationException):
    """The client was disposed; it can no longer send."""

    def __init__(self, object_name: str = "netmail.SmtpClient") -> None:
        super().__init__(f"Cannot access a disposed object. Object name: '{object_name}'.")
        self.object_name = object_name


class FormatException(ValueError):
    """Text is not in the required form: a malformed address or a malformed server reply."""


class SmtpException(Exception):
    """Sending failed; ``status_code`` says why, ``inner_exception`` (``__cause__``) how."""

    def __init__(
        self,
        message: str = "Failure sending mail.",
        status_code: SmtpStatusCode | int = SmtpStatusCode.GeneralFailure,
        inner_exception: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_of(int(status_code))
        if inner_exception is not None:
            self.__cause__ = inner_exception

    @property
    def message(self) -> str:
        return str(self)

    @property
    def inner_exception(self) -> BaseException | None:
        return self.__cause__


class SmtpFailedRecipientException(SmtpException):
    """One recipient was rejected; ``failed_recipient`` is its address in angle brackets."""

    def __init__(
        self,
        message: str,
        status_code: SmtpStatusCode | int,
        failed_recipient: str,
        inner_exception: BaseException | None = None,
    ) -> None:
        super().__init__(message, status_code, inner_exception)
        self.failed_recipient = failed_recipient


class SmtpFailedRecipientsException(SmtpFailedRecipientException):
    """Two or more recipients were rejected; ``inner_exceptions`` lists them in RCPT order."""

    def __init__(self, message: str, inner_exceptions: list[SmtpFailedRecipientException]) -> None:
        first = inner_exceptions[0]
        super().__init__(message, SmtpStatusCode.GeneralFailure, first.failed_recipient, first)
        self.inner_exceptions = tuple(inner_exceptions)
