"""MailAddress construction as something a client is asked to do on its own: what it
raised (by class name), or the parts it parsed, so two clients' parsers can be compared.

A client with no MailAddress type (smtplib) cannot be asked; the adapters that can have a
``parse_address`` method.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

UNSET: Any = ...
"""``display_name`` not passed at all: the one-argument constructor."""


@dataclass(frozen=True)
class AddressRequest:
    address: str | None
    display_name: str | None = UNSET

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"address": self.address}
        if self.display_name is not UNSET:
            data["display_name"] = self.display_name
        return data


@dataclass(frozen=True)
class AddressOutcome:
    """``exception`` (simple class name) and its ``message``, or the parsed parts."""

    exception: str | None = None
    message: str | None = None
    display_name: str | None = None
    user: str | None = None
    host: str | None = None
    address: str | None = None
    text: str | None = None
    """What ``ToString()`` gives."""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def comparable(self) -> dict[str, Any]:
        """What two clients must agree on: the class raised, or every part (not messages)."""
        if self.exception is not None:
            return {"exception": self.exception}
        return {k: v for k, v in asdict(self).items() if k not in ("exception", "message")}


def address_outcome_from_json(data: Any) -> AddressOutcome:
    if not isinstance(data, dict):
        raise ValueError(f"a mail_address answer must be an object, not {data!r}")
    names = {"exception", "message", "display_name", "user", "host", "address", "text"}
    return AddressOutcome(**{k: v for k, v in data.items() if k in names})
