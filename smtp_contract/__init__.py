"""The contract's vocabulary, shared by the judge (``harness``) and the reference client.

Everything here is taken from the documentation of ``System.Net.Mail.SmtpClient.Send`` and of
``SmtpStatusCode``, not from any client: status codes with their .NET names, the documented
failure conditions, the exception classes the documentation names, and which expectation
fields are the contract itself rather than details it does not promise. Neither ``harness``
nor ``netmail`` owns it, so the judge never borrows the words of the client it judges.
"""

from __future__ import annotations

from enum import IntEnum


class SmtpStatusCode(IntEnum):
    """Every member of .NET's ``SmtpStatusCode`` with its value."""

    GeneralFailure = -1
    SystemStatus = 211
    HelpMessage = 214
    ServiceReady = 220
    ServiceClosingTransmissionChannel = 221
    Ok = 250
    UserNotLocalWillForward = 251
    CannotVerifyUserWillAttemptDelivery = 252
    StartMailInput = 354
    ServiceNotAvailable = 421
    MailboxBusy = 450
    LocalErrorInProcessing = 451
    InsufficientStorage = 452
    ClientNotPermitted = 454
    CommandUnrecognized = 500
    SyntaxError = 501
    CommandNotImplemented = 502
    BadCommandSequence = 503
    CommandParameterNotImplemented = 504
    MustIssueStartTlsFirst = 530
    MailboxUnavailable = 550
    UserNotLocalTryAlternatePath = 551
    ExceededStorageAllocation = 552
    MailboxNameNotAllowed = 553
    TransactionFailed = 554


CONDITIONS = {
    "message-null": "message is null",
    "send-in-progress": "a SendAsync call is in progress",
    "from-null": "MailMessage.From is null",
    "no-recipients": "no recipients in To, CC and Bcc",
    "host-null": "Network delivery and Host is null",
    "host-empty": "Network delivery and Host is the empty string",
    "port-invalid": "Network delivery and Port is zero, negative or greater than 65,535",
    "disposed": "the client has been disposed",
    "connect-failed": "the connection to the SMTP server failed",
    "auth-failed": "authentication failed",
    "timeout": "the operation timed out",
    "ssl-pickup-directory": "EnableSsl with a pickup-directory delivery method",
    "ssl-no-starttls": "EnableSsl, but the server did not advertise STARTTLS",
    "recipients-failed": "the message could not be delivered to one or more recipients",
    "delivered": "no failure: the message is delivered",
    "server-reply-failed": "a server reply fails the transaction",
    "protocol-violation": "the server broke the protocol: an unexpected or malformed reply",
    "connection-dropped": "the server dropped the connection",
    "tls-certificate": "the server's TLS certificate cannot be trusted",
    "connection-reuse": "a second send on a kept connection",
    "message-integrity": "the message arrives exactly as rendered",
    "pickup-failed": "pickup-directory delivery fails (no directory, relative, IIS)",
    "invalid-argument": "a constructor or setter the message needs refuses a value "
                        "(MailAddress, Attachment, a header)",
}
"""The documented conditions of ``SmtpClient.Send`` first, then the families beyond them."""

PRE_SEND_CONDITIONS = frozenset({
    "message-null", "send-in-progress", "from-null", "no-recipients", "host-null", "host-empty",
    "port-invalid", "disposed", "ssl-pickup-directory"})
"""Conditions the documentation has ``Send`` check before it talks to any server: for these,
what reached the server (connections, commands) is part of the contract: nothing may."""

CONTRACT_EXCEPTIONS = (
    "ArgumentNullException",
    "InvalidOperationException",
    "ObjectDisposedException",
    "SmtpException",
    "SmtpFailedRecipientException",
    "SmtpFailedRecipientsException",
)
"""The exceptions the documentation of ``Send`` names."""

ARGUMENT_EXCEPTIONS = ("ArgumentException", "ArgumentOutOfRangeException", "FormatException")
"""What the documented constructors and setters a send needs raise (``MailAddress``: a
malformed address is FormatException; ``Timeout``: a negative one is out of range).
``expect.raises`` must be one of these or of ``CONTRACT_EXCEPTIONS`` (or null)."""

CONTRACT, DETAIL = "contract", "detail"

OUTCOME_LEVELS = {
    "raises": CONTRACT,
    "status_code": CONTRACT,
    "failed_recipients": CONTRACT,
    "failed_recipients.order": DETAIL,
    "pickup_files": CONTRACT,
    "pickup_message": CONTRACT,
    "message_contains": DETAIL,
    "inner": DETAIL,
    "reported_by": DETAIL,
}
"""What one send's outcome promises: the exception class, its status code, the failed
recipients and their codes, and the pickup file written are the documentation's; the message
text, the inner exception and the order the failed recipients are listed in are described,
not promised."""

SERVER_LEVELS = {
    "delivered_to": CONTRACT,
    "messages": CONTRACT,
    "data_sent": CONTRACT,
    "data_excludes": CONTRACT,
    "message": CONTRACT,
    "delivered_to.order": DETAIL,
    "data_contains": DETAIL,
    "connections": DETAIL,
    "commands": DETAIL,
    "mail_from": DETAIL,
    "rcpt_to": DETAIL,
    "message_connections": DETAIL,
}
"""What the server saw: whether and to whom the message was delivered, whether DATA was sent,
that forbidden bytes (a Bcc address, a bare CR or LF that ends the data) never reached it, and
the delivered message as a parser reads it (headers, parts, body: ``message``) are the
contract; how the message was encoded (``data_contains``), how many connections and
which commands (QUIT, reuse), the envelope as written (``mail_from``, ``rcpt_to``: an IDN
in A-labels, the MAIL parameters) and which connection carried each message are details.
The order of ``delivered_to`` is a detail too: the set of recipients is the contract. Before
a pre-send check, connections and commands are contract as well (see ``PRE_SEND_CONDITIONS``).
"""


def field_level(field: str, condition: str) -> str:
    """Whether a difference in ``field`` (``raises``, ``earlier[0].inner``, ``server.commands``)
    breaks the contract or only a detail, in a scenario of ``condition``."""
    name = field.split("].", 1)[-1]
    if name.startswith("server."):
        name = name.removeprefix("server.")
        if condition in PRE_SEND_CONDITIONS and name in ("connections", "commands"):
            return CONTRACT
        return SERVER_LEVELS.get(name, CONTRACT)
    return OUTCOME_LEVELS.get(name, CONTRACT)


def status_name(code: int | None) -> str | int | None:
    """``MailboxUnavailable`` for 550; the bare number when .NET has no name for it."""
    if code is None:
        return None
    try:
        return SmtpStatusCode(code).name
    except ValueError:
        return code
