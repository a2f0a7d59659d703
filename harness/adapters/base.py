"""The adapter interface: a resolved client request in, one outcome per send out."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from ..model import AttachmentSpec, MessageSpec
from ..outcome import Outcome


@dataclass(frozen=True)
class ClientRequest:
    """Everything a client needs for one scenario, with the server's address filled in."""

    scenario: str
    host: str | None
    port: int
    enable_ssl: bool
    timeout: float
    credentials: tuple[str, str] | None
    delivery_method: str
    pickup_directory: str | None
    state: str | None
    sends: int
    ca_file: str | None
    message: MessageSpec | None
    api: str = "send"
    """``send`` or ``send_async`` (the event-based SendAsync, waited for)."""
    configure: str = "constructor"
    """``constructor`` (``SmtpClient(host, port)``) or ``properties`` (``SmtpClient()``, then
    ``Host``, ``Port``, ``Timeout`` set one by one)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.message is not None:
            message = data["message"]
            message["from"] = message.pop("from_")
            message["headers"] = dict(self.message.headers)
            message["attachments"] = [a._asdict() for a in self.message.attachments]
        if self.credentials is not None:
            data["credentials"] = {"user": self.credentials[0], "password": self.credentials[1]}
        return data


def request_from_json(data: dict[str, Any]) -> ClientRequest:
    """The inverse of ``ClientRequest.to_json`` (for drivers written in Python)."""
    message = data.get("message")
    spec = None if message is None else MessageSpec(
        from_=message.get("from"), to=tuple(message.get("to", ())),
        cc=tuple(message.get("cc", ())), bcc=tuple(message.get("bcc", ())),
        subject=message.get("subject", ""), body=message.get("body", ""),
        html=message.get("html", False), headers=tuple(message.get("headers", {}).items()),
        attachments=tuple(AttachmentSpec(**a) for a in message.get("attachments", ())))
    credentials = data.get("credentials")
    return ClientRequest(**{**data, "message": spec, "credentials": (
        (credentials["user"], credentials["password"]) if credentials else None)})


class Adapter(Protocol):
    """A client under test. ``run`` must return (not raise) for anything the client does."""

    name: str
    lacks: frozenset[str]
    """What the client cannot express (``pickup``, ``async``, ``tls``): a scenario that needs
    it is "not runnable"; a client not runnable for any other reason is an error."""

    def start(self) -> None:
        """Get ready (start a process, check a runtime); raise ``ClientUnavailable`` if it
        cannot run here at all."""

    def run(self, request: ClientRequest) -> list[Outcome]: ...

    def close(self) -> None: ...
