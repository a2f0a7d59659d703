"""Credentials and the SASL exchanges (LOGIN, PLAIN, CRAM-MD5), sans-IO.

Unlike .NET, a rejected AUTH raises at once with the server's code, as the documentation of
``Send`` says ("Authentication failed"), instead of going on unauthenticated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from .actions import Receive, Send, command
from .errors import SmtpException
from .replies import Reply
from .steps import Step, reply_error

Exchange = Generator[Send | Receive, Reply, None]


@dataclass(frozen=True)
class NetworkCredential:
    """A user name and password for SMTP AUTH."""

    user_name: str
    password: str = field(repr=False)


def authenticate(credential: NetworkCredential, offered: Sequence[str]) -> Exchange:
    """Run the mechanisms we support among those offered, in ``MECHANISMS`` order, until one
    ends: a 504 (mechanism not supported) moves on to the next, as .NET moves on to its next
    module; any other failure, or a 504 to the last, is raised."""
    wanted = {name.upper() for name in offered}
    usable = [exchange for name, exchange in MECHANISMS.items() if name in wanted]
    for number, exchange in enumerate(usable, 1):
        try:
            yield from exchange(credential)
            return
        except SmtpException as failure:
            if failure.status_code != NOT_IMPLEMENTED or number == len(usable):
                raise
    raise SmtpException(
        "The server offers no authentication mechanism this client supports "
        f"(offered: {' '.join(offered) or 'none'}; supported: {' '.join(MECHANISMS)})."
    )


def _plain(credential: NetworkCredential) -> Exchange:
    token = f"\0{credential.user_name}\0{credential.password}".encode()
    _finish((yield from command(b"AUTH PLAIN " + _b64(token))))


def _login(credential: NetworkCredential) -> Exchange:
    _challenge((yield from command(b"AUTH LOGIN")))
    _challenge((yield from command(_b64(credential.user_name.encode()))))
    _finish((yield from command(_b64(credential.password.encode()))))


def _cram_md5(credential: NetworkCredential) -> Exchange:
    challenge = _challenge((yield from command(b"AUTH CRAM-MD5")))
    try:
        nonce = base64.b64decode(challenge, validate=True)
    except ValueError as exc:
        raise SmtpException("The server sent a malformed CRAM-MD5 challenge.") from exc
    digest = hmac.new(credential.password.encode(), nonce, hashlib.md5).hexdigest()
    _finish((yield from command(_b64(f"{credential.user_name} {digest}".encode()))))


MECHANISMS: dict[str, Callable[[NetworkCredential], Exchange]] = {
    "LOGIN": _login,
    "PLAIN": _plain,
    "CRAM-MD5": _cram_md5,
}
"""In the order they are tried: LOGIN first, the one mechanism .NET's SmtpClient has (with a
server offering it, the wire is what .NET sends); then PLAIN and CRAM-MD5, which .NET lacks
(it goes on unauthenticated instead; ``departures.yaml``)."""
NOT_IMPLEMENTED = 504


def _challenge(reply: Reply) -> str:
    if reply.code != 334:
        raise reply_error(Step.AUTH, reply)
    return reply.text


def _finish(reply: Reply) -> None:
    if reply.code == 235:
        return
    if reply.code == 334:
        raise SmtpException("Authentication failed: the server asked for more than the "
                            "mechanism has to send.")
    raise reply_error(Step.AUTH, reply)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)
