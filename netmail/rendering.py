"""Rendering a ``MailMessage`` to bytes with the stdlib ``email`` package, and framing for DATA.

Two guarantees are kept here and nowhere else: the rendered bytes use CRLF line endings only
(a bare CR or LF can never reach the wire, so no SMTP smuggling), and the DATA framing
dot-stuffs every line that starts with ".", so no body can end the DATA phase early.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import policy as email_policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, cast

from .address_parser import unescaped
from .message import MailAddress, MailMessage


class _Verbatim(str):
    """A header value already in its wire form (ASCII), written exactly as it is."""


class _Policy(email_policy.EmailPolicy):
    """The SMTP policy, except that a ``_Verbatim`` value is not parsed again: the email
    package rewrites some addresses .NET accepts (``""@[\\]`` would become ``<>``)."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if isinstance(value, _Verbatim):
            return name, str(value)
        return super().header_store_parse(name, value)


_SMTP = _Policy(linesep="\r\n")
_SEVEN_BIT = _SMTP.clone(cte_type="7bit")
_UTF8 = _SMTP.clone(utf8=True)
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
END_OF_DATA = b".\r\n"


def needs_smtputf8(message: MailMessage) -> bool:
    """True when an address can only be carried by an SMTPUTF8 server."""
    addresses = [message.from_, message.sender, *message.recipients, *message.reply_to_list]
    return any(a is not None and a.needs_smtputf8 for a in addresses)


def render(message: MailMessage, *, utf8: bool = False) -> bytes | bytearray:
    """The message as RFC 5322 bytes with CRLF endings; 7-bit clean unless ``utf8``.

    Plain ASCII text messages take a fast path that writes the same bytes the ``email``
    package would (a property test holds the two equal); everything else goes through it.
    """
    assert message.from_ is not None
    date = formatdate(localtime=True)
    message_id = make_msgid(domain=message.from_.ascii_host.strip("[]") or "localhost")
    fast = render_plain(message, date, message_id)
    if fast is not None:
        return fast
    return render_with_email_package(message, utf8, date, message_id)


def render_with_email_package(message: MailMessage, utf8: bool, date: str,
                              message_id: str) -> bytes:
    """The general path: any message, through ``email.message.EmailMessage``."""
    email = EmailMessage(policy=_UTF8 if utf8 else _SEVEN_BIT)
    assert message.from_ is not None
    for name, addresses in (("From", [message.from_]), ("Sender", [message.sender]),
                            ("To", message.to), ("Cc", message.cc),
                            ("Reply-To", message.reply_to_list)):
        if addresses and addresses[0] is not None:
            email[name] = _address_header(cast("list[MailAddress]", addresses), utf8)
    if message.subject:
        email["Subject"] = _unchecked_header(email, "Subject", message.subject)
    email["Date"] = date
    email["Message-ID"] = message_id
    for name, value in message.headers.items():
        del email[name]
        email[name] = _unchecked_header(email, name, value)
    email.set_content(message.body, subtype=_subtype(message))
    for attachment in message.attachments:  # each named in its Content-Type too, as .NET does
        maintype, _, subtype = attachment.media_type.partition("/")
        email.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                             filename=attachment.name, cid=attachment.content_id)
        cast("list[EmailMessage]", email.get_payload())[-1].set_param("name", attachment.name)
    return normalize_line_endings(email.as_bytes())


_PLAIN_NAME = re.compile(r"[A-Za-z0-9]+(?:[ '-][A-Za-z0-9]+)*")
_PLAIN_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_PLAIN_TEXT = re.compile(r"[!-~]+(?: [!-~]+)*")
_STANDARD = {"from", "sender", "to", "cc", "reply-to", "subject", "date", "message-id",
             "mime-version", "content-type", "content-transfer-encoding", "bcc"}
_LINE = 78
_PIECE = 1 << 16


def render_plain(message: MailMessage, date: str, message_id: str) -> bytearray | None:
    """The fast path for plain ASCII text mail, or None when the message needs ``email``."""
    if message.attachments or not message.body.isascii():
        return None
    headers = []
    for name, addresses in (("From", [message.from_]), ("Sender", [message.sender]),
                            ("To", message.to), ("Cc", message.cc),
                            ("Reply-To", message.reply_to_list)):
        present = [a for a in addresses if a is not None]
        if present:
            plain = [_plain_address(a) for a in present]
            folded = None if None in plain else _fold_address_list(name, cast("list[str]", plain))
            if folded is None:
                return None
            headers.append(folded)
    if message.subject:
        if not _plain_text(message.subject):
            return None
        headers.append(f"Subject: {message.subject}")
    headers += [f"Date: {date}", f"Message-ID: {message_id}"]
    for name, value in message.headers.items():
        if name.lower() in _STANDARD or not _plain_text(value):
            return None
        headers.append(f"{name}: {value}")
    subtype = _subtype(message)
    headers += [f'Content-Type: text/{subtype}; charset="utf-8"',
                "Content-Transfer-Encoding: 7bit", "MIME-Version: 1.0"]
    if any(len(h) > _LINE and "\r\n" not in h for h in headers):
        return None
    rendered = bytearray("\r\n".join(headers).encode("ascii") + b"\r\n\r\n")
    for piece in _pieces(message.body):
        encoded = piece.encode("ascii")
        if max(map(len, encoded.splitlines()), default=0) > _LINE:
            return None
        rendered += normalize_line_endings(encoded, terminate=False)
    if not message.body or not rendered.endswith(b"\r\n"):
        rendered += b"\r\n"
    return rendered  # a bytearray: turning it into bytes would copy the whole message once more


def _pieces(body: str) -> Iterator[str]:
    """The body in pieces of about ``_PIECE`` characters that end after a line feed, so a
    large body is encoded a piece at a time instead of in whole copies."""
    start = 0
    while start < len(body):
        end = body.find("\n", start + _PIECE) + 1 or len(body)
        yield body[start:end]
        start = end


def _fold_address_list(name: str, addresses: list[str]) -> str | None:
    """The header folded at its commas the way the ``email`` package folds it, or None.

    The package keeps the list on the header's line if it fits in 78 characters, else moves
    the whole list to the next line if it fits there, else places each address (with its
    leading space) on the current line if it fits, else starts the next line with it (if it
    fits there with a column to spare); a comma always follows its address, even past column
    78. Cases this does not model (the first address or one too long for a line) go to the
    package.
    """
    whole = ", ".join(addresses)
    if len(name) + 2 + len(whole) <= _LINE:
        return f"{name}: {whole}"
    if len(whole) + 1 <= _LINE:
        return f"{name}:\r\n {whole}"
    lines, line = [], f"{name}:"
    for index, address in enumerate(addresses):
        if len(line) + 1 + len(address) <= _LINE:
            line += f" {address}"
        elif index == 0 or len(address) + 2 > _LINE:
            return None
        else:
            lines.append(line)
            line = f" {address}"
        if index < len(addresses) - 1:
            line += ","
    lines.append(line)
    return "\r\n".join(lines)


def _plain_address(address: MailAddress) -> str | None:
    if not (_PLAIN_ATOM.fullmatch(address.user) and _PLAIN_ATOM.fullmatch(address.host)):
        return None
    if not address.display_name:
        return address.address
    if not _PLAIN_NAME.fullmatch(address.display_name):
        return None
    return f"{address.display_name} <{address.address}>"


def _plain_text(value: str) -> bool:
    return bool(_PLAIN_TEXT.fullmatch(value)) and "=?" not in value


def _header_address(address: MailAddress, utf8: bool) -> Address | str:
    """The address for a header. A quoted local part or a domain literal goes out as it was
    written, as text: the email package would rewrite it (``""@x`` is not ``@x``). So does a
    non-ASCII display name, as one encoded word, as .NET writes it (the email package leaves
    leading white space outside the encoded word, where a reader drops it)."""
    host = address.host if utf8 else address.ascii_host
    name, user = address.display_name, address.user
    if name.isascii():  # it goes out quoted, its quoted pairs read again; .NET encodes a
        name = unescaped(name)  # non-ASCII name as it is, backslashes and all
    encoded = bool(name) and not name.isascii() and not utf8
    if not (user.startswith('"') or host.startswith("[") or encoded):
        return Address(name, user, host)
    spec = f"{user}@{host}"
    if not name:
        return spec
    shown = (str(Address(name, "x", "x")).rpartition(" <")[0] if name.isascii() or utf8
             else Header(name, "utf-8").encode())
    return f"{shown} <{spec}>"


def _address_header(addresses: list[MailAddress], utf8: bool) -> list[Address] | _Verbatim:
    """A header's addresses, for the email package to write; as verbatim text when one of
    them must go out as written (``_header_address``)."""
    made = [_header_address(a, utf8) for a in addresses]
    if all(isinstance(m, Address) for m in made):
        return cast("list[Address]", made)
    return _Verbatim(", ".join(map(str, made)))


def _unchecked_header(email: EmailMessage, name: str, value: str) -> Any:
    """The header made by the policy itself, so that its check for line breaks, which
    counts the controls ``str.splitlines`` splits on (U+001C-001E, U+2028, ...), does not
    refuse a value that holds neither CR nor LF (``MailMessage`` refuses those); .NET sends
    such a value as it is."""
    return cast("_Policy", email.policy).header_factory(name, value)


def _subtype(message: MailMessage) -> str:
    """``html`` for an HTML body; an empty body is plain text whatever it says, as .NET
    writes it."""
    return "html" if message.is_body_html and message.body else "plain"


def normalize_line_endings(data: bytes, *, terminate: bool = True) -> bytes:
    """Every line ending becomes CRLF, and (if ``terminate``) the data ends with one."""
    crlf = data.count(b"\r\n")
    if data.count(b"\r") != crlf or data.count(b"\n") != crlf:
        data = _LINE_BREAK.sub(b"\r\n", data)
    return data if not terminate or data.endswith(b"\r\n") else data + b"\r\n"


def dot_stuff(data: bytes | bytearray) -> bytes | bytearray:
    """RFC 5321 section 4.5.2 transparency: double every leading dot."""
    if not data.startswith(b".") and b"\n." not in data:
        return data  # the common case, and no copy of a large body
    return _LEADING_DOT.sub(b"..", data)
