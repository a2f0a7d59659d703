"""The message model: ``MailAddress``, ``Attachment``, ``MailMessage``.

Validation happens here, at construction, so that nothing malformed can reach the wire later:
an address or header holding CR or LF is refused outright (no SMTP command injection).
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .errors import ArgumentException, FormatException

_NAME_ADDR = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^<>]*)>\s*$')
_ATOM_SPECIALS = set('()<>[]:;@\\,"') | {" ", "\t"}
_FORBIDDEN = ("\r", "\n", "\0")


class MailAddress:
    """An e-mail address with an optional display name, validated when made."""

    __slots__ = ("display_name", "host", "user")

    def __init__(self, address: str, display_name: str | None = None) -> None:
        if address is None:
            raise ArgumentException("The address must not be None.", "address")
        if any(c in address for c in _FORBIDDEN) or (
            display_name and any(c in display_name for c in _FORBIDDEN)
        ):
            raise FormatException(f"The address must not contain CR, LF or NUL: {address!r}.")
        spec = address.strip()
        match = _NAME_ADDR.match(spec)
        parsed_name = None
        if match:
            quoted, bare, spec = match.groups()
            parsed_name = (
                re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare.strip()
            )
        self.user, self.host = _split_addr_spec(spec.strip(), address)
        self.display_name = display_name if display_name is not None else (parsed_name or "")

    @property
    def address(self) -> str:
        return f"{self.user}@{self.host}"

    @property
    def needs_smtputf8(self) -> bool:
        """True when the local part is not ASCII, which only an SMTPUTF8 server can take."""
        return not self.user.isascii()

    def smtp_path(self, utf8: bool) -> str:
        """The address as it goes into MAIL FROM / RCPT TO, e.g. ``<a@b>``."""
        if utf8 or self.host.isascii():
            return f"<{self.address}>"
        return f"<{self.user}@{self.ascii_host}>"

    @property
    def ascii_host(self) -> str:
        """The domain in its ASCII (IDNA) form."""
        if self.host.isascii():
            return self.host
        try:
            return self.host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise FormatException(f"The domain cannot be encoded: {self.host!r}.") from exc

    def __str__(self) -> str:
        if not self.display_name:
            return self.address
        name = self.display_name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{name}" <{self.address}>'

    def __repr__(self) -> str:
        return f"MailAddress({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MailAddress):
            return NotImplemented
        return (self.user, self.host.lower()) == (other.user, other.host.lower())

    def __hash__(self) -> int:
        return hash((self.user, self.host.lower()))


def _split_addr_spec(spec: str, original: str) -> tuple[str, str]:
    user, at, host = spec.rpartition("@")
    if not at or not user or not host:
        raise FormatException(f"The specified string is not in the form required for an "
                              f"e-mail address: {original!r}.")
    quoted = user.startswith('"') and user.endswith('"') and len(user) > 1
    if not quoted and (user.startswith(".") or user.endswith(".") or ".." in user
                       or any(c in _ATOM_SPECIALS for c in user)):
        raise FormatException(f"The local part of the address is malformed: {original!r}.")
    if host.startswith("["):
        if not host.endswith("]") or any(c in "[]\\" for c in host[1:-1]):
            raise FormatException(f"The domain literal is malformed: {original!r}.")
    elif any(c in _ATOM_SPECIALS for c in host) or "" in host.split("."):
        raise FormatException(f"The domain of the address is malformed: {original!r}.")
    return user, host


AddressLike = MailAddress | str


def as_address(value: AddressLike) -> MailAddress:
    return value if isinstance(value, MailAddress) else MailAddress(value)


class MailAddressCollection(list[MailAddress]):
    """A list of addresses that turns strings into ``MailAddress`` as they are added.

    ``add("a@x, b@y")`` takes a comma-separated list, as .NET's ``Add(string)`` does.
    """

    def __init__(self, items: Iterable[AddressLike] = ()) -> None:
        super().__init__(as_address(item) for item in items)

    def add(self, addresses: AddressLike) -> None:
        if isinstance(addresses, MailAddress):
            self.append(addresses)
        else:
            self.extend(part for part in _split_list(addresses) if part.strip())

    def append(self, item: AddressLike) -> None:
        super().append(as_address(item))

    def extend(self, items: Iterable[AddressLike]) -> None:
        super().extend(as_address(item) for item in items)

    def insert(self, index: int, item: AddressLike) -> None:  # type: ignore[override]
        super().insert(index, as_address(item))

    def __setitem__(self, index, value) -> None:  # type: ignore[no-untyped-def]
        if isinstance(index, slice):
            super().__setitem__(index, [as_address(v) for v in value])
        else:
            super().__setitem__(index, as_address(value))

    def __iadd__(self, items: Iterable[AddressLike]):  # type: ignore[override]
        self.extend(items)
        return self


def _split_list(text: str) -> list[str]:
    """Split on commas outside quoted strings and angle brackets; inside a quoted string a
    backslash escapes the next character (RFC 5322 quoted-pair), so ``\\"`` does not end it."""
    parts, current, quoted, depth, escaped = [], [], False, 0, False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            depth += 1
        elif not quoted and char == ">":
            depth -= 1
        if char == "," and not quoted and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


class Attachment:
    """A file attached to a message: bytes, a path, or a binary file object."""

    def __init__(
        self,
        content: bytes | str | os.PathLike[str] | BinaryIO,
        name: str | None = None,
        media_type: str | None = None,
        content_id: str | None = None,
    ) -> None:
        if isinstance(content, (str, os.PathLike)):
            path = Path(content)
            self._data: bytes | None = None
            self._path: Path | None = path
            name = name or path.name
        elif isinstance(content, (bytes, bytearray, memoryview)):
            self._data, self._path = bytes(content), None
        else:
            self._data, self._path = content.read(), None
        self.name = name or "attachment"
        _refuse_line_breaks(self.name, "name")
        guessed = mimetypes.guess_type(self.name)[0]
        self.media_type = media_type or guessed or "application/octet-stream"
        if "/" not in self.media_type:
            raise ArgumentException(f"Not a media type: {self.media_type!r}.", "media_type")
        self.content_id = content_id

    @property
    def data(self) -> bytes:
        if self._data is not None:
            return self._data
        assert self._path is not None
        return self._path.read_bytes()


class MailHeaders(dict[str, str]):
    """Extra message headers; names and values are checked so none can split a header."""

    def __setitem__(self, name: str, value: str) -> None:
        if not name or not name.isascii() or any(c in name for c in ": \t\r\n") or (
            not name.isprintable()
        ):
            raise ArgumentException(f"Invalid header name: {name!r}.", "name")
        _refuse_line_breaks(value, name)
        super().__setitem__(name, value)

    def update(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def, override]
        for name, value in dict(*args, **kwargs).items():
            self[name] = value


def _refuse_line_breaks(value: str, what: str) -> None:
    if any(c in value for c in _FORBIDDEN):
        raise ArgumentException(f"{what} must not contain CR, LF or NUL characters.", what)


class MailMessage:
    """A message to send: sender, recipients, subject, body, headers and attachments."""

    def __init__(
        self,
        from_: AddressLike | None = None,
        to: AddressLike | Iterable[AddressLike] | None = None,
        subject: str = "",
        body: str = "",
        *,
        cc: Iterable[AddressLike] = (),
        bcc: Iterable[AddressLike] = (),
        is_body_html: bool = False,
    ) -> None:
        self.from_ = from_  # type: ignore[assignment]
        self.sender: MailAddress | None = None
        self.to = MailAddressCollection()
        if isinstance(to, (str, MailAddress)):
            self.to.add(to)
        elif to is not None:
            self.to.extend(to)
        self.cc = MailAddressCollection(cc)
        self.bcc = MailAddressCollection(bcc)
        self.reply_to_list = MailAddressCollection()
        self.subject = subject
        self.body = body
        self.is_body_html = is_body_html
        self.headers = MailHeaders()
        self.attachments: list[Attachment] = []

    @property
    def from_(self) -> MailAddress | None:
        return self._from

    @from_.setter
    def from_(self, value: AddressLike | None) -> None:
        self._from = None if value is None else as_address(value)

    @property
    def subject(self) -> str:
        return self._subject

    @subject.setter
    def subject(self, value: str | None) -> None:
        value = value or ""
        _refuse_line_breaks(value, "subject")
        self._subject = value

    @property
    def recipients(self) -> list[MailAddress]:
        """Every envelope recipient in RCPT order: To, then CC, then Bcc."""
        return [*self.to, *self.cc, *self.bcc]
