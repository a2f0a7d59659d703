"""netmail: an SMTP client that honours the documented contract of .NET's ``SmtpClient.Send``.

Every failure condition of the documentation raises the exception it names: argument and state
checks before any connection is opened, ``SmtpException`` with the server's status code after.
"""

from .auth import NetworkCredential
from .client import AsyncCompletedEventArgs, SmtpClient, SmtpDeliveryMethod
from .errors import (
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
from .message import Attachment, MailAddress, MailAddressCollection, MailMessage

__all__ = [
    "ArgumentException",
    "ArgumentNullException",
    "ArgumentOutOfRangeException",
    "AsyncCompletedEventArgs",
    "Attachment",
    "FormatException",
    "InvalidOperationException",
    "MailAddress",
    "MailAddressCollection",
    "MailMessage",
    "NetworkCredential",
    "ObjectDisposedException",
    "SmtpClient",
    "SmtpDeliveryMethod",
    "SmtpException",
    "SmtpFailedRecipientException",
    "SmtpFailedRecipientsException",
    "SmtpStatusCode",
]
