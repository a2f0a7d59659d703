"""``python -m netmail``: send one message from the command line, the body read from stdin.

For trying a server (``smtp-harness serve``, your own MTA) by hand: it prints ``sent``, or the
exception the contract says, with its status code and failed recipients, and exits 1.
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from collections.abc import Sequence

from .auth import NetworkCredential
from .client import SmtpClient
from .errors import SmtpException, SmtpFailedRecipientException, SmtpFailedRecipientsException
from .message import MailMessage


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netmail", description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=25)
    parser.add_argument("--from", dest="sender", required=True, metavar="ADDRESS")
    parser.add_argument("--to", action="append", required=True, metavar="ADDRESS",
                        help="a recipient, repeatable")
    parser.add_argument("--subject", default="")
    parser.add_argument("--ssl", action="store_true", help="require STARTTLS (EnableSsl)")
    parser.add_argument("--cafile", help="a PEM file of authorities to trust for STARTTLS "
                                         "(e.g. smtp-harness serve's CA)")
    parser.add_argument("--user", help="AUTH user; the password is read from $NETMAIL_PASSWORD")
    parser.add_argument("--timeout", type=float, default=100.0, help="seconds for the send")
    args = parser.parse_args(argv)
    credentials = (NetworkCredential(args.user, os.environ.get("NETMAIL_PASSWORD", ""))
                   if args.user else None)
    context = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    try:
        with SmtpClient(args.host, args.port, credentials=credentials, enable_ssl=args.ssl,
                        timeout=args.timeout, ssl_context=context) as client:
            client.send(MailMessage(args.sender, args.to, args.subject, sys.stdin.read()))
    except Exception as error:  # every failure the contract names, reported, not a traceback
        print(describe(error), file=sys.stderr)
        return 1
    print("sent")
    return 0


def describe(error: BaseException) -> str:
    """The exception as the contract names it: class, status code, recipients, message."""
    text = type(error).__name__
    if isinstance(error, SmtpException):
        text += f"({getattr(error.status_code, 'name', error.status_code)})"
    if isinstance(error, SmtpFailedRecipientsException):
        text += " recipients " + ", ".join(e.failed_recipient for e in error.inner_exceptions)
    elif isinstance(error, SmtpFailedRecipientException):
        text += f" recipient {error.failed_recipient}"
    text += f": {error}"
    if error.__cause__ is not None:
        text += f" (inner: {type(error.__cause__).__name__}: {error.__cause__})"
    return text


if __name__ == "__main__":
    sys.exit(main())
