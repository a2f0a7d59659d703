"""The message model: ``MailAddress``, ``Attachment``, ``MailMessage``.

Validation happens here, at construction, so that nothing malformed can reach the wire later:
an address or header holding CR or LF is refused outright (no SMTP command injection).
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO, Self, SupportsIndex

from .address_parser import normalized, parse_address, parse_addresses
from .errors import ArgumentException, ArgumentNullException, FormatException

_FORBIDDEN = ("\r", "\n", "\0")


class MailAddress:
    """An e-mail address with an optional display name, parsed as .NET parses it
    (``address_parser``) when made."""

    __slots__ = ("display_name", "host", "user")

    def __init__(self, address: str, display_name: str | None = None) -> None:
        if address is None:
            raise ArgumentNullException("Value cannot be null.", "address")
        if address == "":
            raise ArgumentException("The value cannot be an empty string.", "address")
        if any(c in address for c in _FORBIDDEN) or (
            display_name and any(c in display_name for c in _FORBIDDEN)
        ):
            raise FormatException(f"The address must not contain CR, LF or NUL: {address!r}.")
        name = normalized(display_name) if display_name else ""
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]
        parsed_name, self.user, self.host = parse_address(address)
        self.display_name = name or parsed_name

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
        """As .NET's ``ToString``: quotes in the name escaped, nothing else."""
        if not self.display_name:
            return self.address
        name = self.display_name.replace('"', '\\"')
        return f'"{name}" <{self.address}>'

    def __repr__(self) -> str:
        return f"MailAddress({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MailAddress):
            return NotImplemented
        return (self.user, self.host.lower()) == (other.user, other.host.lower())

    def __hash__(self) -> int:
        return hash((self.user, self.host.lower()))


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
            return
        if addresses is None:
            raise ArgumentNullException("Value cannot be null.", "addresses")
        if addresses == "":
            raise ArgumentException("The value cannot be an empty string.", "addresses")
        if any(c in addresses for c in _FORBIDDEN):
            raise FormatException(f"The address must not contain CR, LF or NUL: "
                                  f"{addresses!r}.")
        parsed = parse_addresses(addresses)  # all of them, before any is added
        super().extend(_made(*part) for part in parsed)

    def append(self, item: AddressLike) -> None:
        super().append(as_address(item))

    def extend(self, items: Iterable[AddressLike]) -> None:
        super().extend(as_address(item) for item in items)

    def insert(self, index: SupportsIndex, item: AddressLike) -> None:
        super().insert(index, as_address(item))

    def __setitem__(self, index: SupportsIndex | slice, value: Any) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [as_address(v) for v in value])
        else:
            super().__setitem__(index, as_address(value))

    def __iadd__(self, items: Iterable[AddressLike]) -> Self:  # type: ignore[override, misc]
        self.extend(items)
        return self


def _made(display_name: str, user: str, host: str) -> MailAddress:
    """A ``MailAddress`` from parts ``parse_addresses`` found."""
    address = MailAddress.__new__(MailAddress)
    address.display_name, address.user, address.host = display_name, user, host
    return address


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
            self._stream: BinaryIO | None = None
            name = name or path.name
        elif isinstance(content, (bytes, bytearray, memoryview)):
            self._data, self._path, self._stream = bytes(content), None, None
        else:  # read when the message is sent, as .NET reads its ContentStream
            self._data, self._path, self._stream = None, None, content
        self.name = name or "attachment"
        _refuse_line_breaks(self.name, "name")
        guessed = mimetypes.guess_type(self.name)[0]
        self.media_type = media_type or guessed or "application/octet-stream"
        if "/" not in self.media_type:
            raise ArgumentException(f"Not a media type: {self.media_type!r}.", "media_type")
        self.content_id = content_id

    @property
    def data(self) -> bytes:
        """The content; a stream is read (once) the first time it is needed, so one that
        fails makes the send fail (``SmtpException``), not the constructor."""
        if self._data is None and self._stream is not None:
            self._data = self._stream.read()
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
        if not value:
            raise ArgumentException("The value cannot be an empty string.", "value")
        _refuse_line_breaks(value, name)
        super().__setitem__(name, value)

    def update(self, *args: Any, **kwargs: str) -> None:
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
        self.from_ = from_
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
    def body(self) -> str:
        return self._body

    @body.setter
    def body(self, value: str | None) -> None:
        """``None`` is an empty body, as in .NET."""
        self._body = value or ""

    @property
    def recipients(self) -> list[MailAddress]:
        """Every envelope recipient in RCPT order: To, then CC, then Bcc."""
        return [*self.to, *self.cc, *self.bcc]
