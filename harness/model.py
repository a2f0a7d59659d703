"""The scenario model: what a scenario file says, as frozen dataclasses.

A ``Scenario`` has three parts that flow one way: a ``ServerScript`` (how the fake server
behaves at each step), a ``ClientSpec`` (client settings, client-side state and the message),
and an ``Expectation`` (the documented outcome), plus per-client ``profiles`` that record a
known, observed deviation from the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STEPS = ("greeting", "ehlo", "helo", "starttls", "auth", "mail", "rcpt", "data", "end_of_data",
         "rset", "quit")
"""Points of a session a script can act on; each names the command it answers."""

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
}
"""The documented conditions of ``SmtpClient.Send`` first, then the families beyond them."""

CONTRACT_EXCEPTIONS = (
    "ArgumentNullException",
    "InvalidOperationException",
    "ObjectDisposedException",
    "SmtpException",
    "SmtpFailedRecipientException",
    "SmtpFailedRecipientsException",
)
"""The exceptions the documentation names; ``expect.raises`` must be one of them (or null)."""


@dataclass(frozen=True)
class Action:
    """What the server does at one step: wait, then reply, write raw bytes, or drop.

    An action with neither ``reply`` nor ``raw`` nor a ``drop`` before replying lets the
    server behave normally. ``match``/``pattern`` limit it to commands whose address matches.
    """

    reply: tuple[str, ...] | None = None
    raw: str | None = None
    delay: float = 0.0
    drop: str | None = None  # "before", "after" or "reset"
    match: str | None = None
    pattern: str | None = None

    @property
    def is_matcher(self) -> bool:
        return self.match is not None or self.pattern is not None


DEFAULT_ACTION = Action()
NO_INNER = "None"
"""``expect.inner: null`` in a file: the exception must have no inner exception."""
UNCHECKABLE = ("status_code", "message_contains", "failed_recipients", "inner", "pickup_files")
"""Fields a profile may leave unchecked when the client varies on them (never ``raises``)."""
NO_STATUS = -1000
"""``status_code: null`` in a file: the exception must carry no status code at all."""


@dataclass(frozen=True)
class Sasl:
    """AUTH on the server: the mechanisms it offers and the accounts it accepts."""

    mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN")
    users: tuple[tuple[str, str], ...] = ()
    required: bool = False
    reject: str = "535 5.7.8 Authentication credentials invalid"


@dataclass(frozen=True)
class ServerScript:
    """A scripted server: EHLO keywords, STARTTLS certificate, AUTH, and per-step actions."""

    extensions: tuple[str, ...] = ("SIZE 33554432", "8BITMIME")
    certificate: str | None = None  # None: no STARTTLS; else trusted/unknown-ca/wrong-host/expired
    sasl: Sasl | None = None
    steps: tuple[tuple[str, tuple[Action, ...]], ...] = ()

    def actions(self, step: str) -> tuple[Action, ...]:
        return dict(self.steps).get(step, ())

    @property
    def max_delay(self) -> float:
        return sum(max((a.delay for a in actions), default=0.0) for _, actions in self.steps)


@dataclass(frozen=True)
class MessageSpec:
    """The message to send, as plain data any adapter can turn into its own message type."""

    from_: str | None = "sender@example.com"
    to: tuple[str, ...] = ("rcpt@example.com",)
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = "Conformance"
    body: str = "Hello from the SMTP conformance harness.\n"
    html: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[tuple[str, str, str], ...] = ()  # (name, media type, text content)


@dataclass(frozen=True)
class ClientSpec:
    """Client settings and state; ``host``/``port`` of ``...`` mean "the scenario's server"."""

    host: Any = ...
    port: Any = ...
    enable_ssl: bool = False
    timeout: float = 3.0
    credentials: tuple[str, str] | None = None
    delivery_method: str = "network"
    pickup_directory: str | None = None  # "absolute" (a fresh directory), or a path as given
    state: str | None = None  # "disposed" or "send-in-progress"
    sends: int = 1


@dataclass(frozen=True)
class FailedRecipient:
    address: str
    status_code: int | None = None


@dataclass(frozen=True)
class ServerFacts:
    """What the server must have seen; ``None`` fields are not checked."""

    connections: int | None = None
    commands: tuple[str, ...] | None = None
    data_sent: bool | None = None
    delivered_to: tuple[str, ...] | None = None
    messages: int | None = None
    data_contains: tuple[str, ...] = ()
    data_excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expectation:
    """The outcome of the last send; ``raises=None`` means it succeeds."""

    raises: str | None = None
    status_code: int | None = None
    message_contains: str | None = None
    failed_recipients: tuple[FailedRecipient, ...] | None = None
    inner: str | None = None
    pickup_files: int | None = None
    server: ServerFacts = field(default_factory=ServerFacts)
    why: str | None = None
    earlier: tuple[Expectation, ...] = ()
    """Outcomes of the sends before the last, in order; a send not listed must succeed."""


@dataclass(frozen=True)
class Scenario:
    id: str
    condition: str
    path: Path
    line: int
    description: str
    server: ServerScript | None
    client: ClientSpec
    message: MessageSpec | None
    expect: Expectation
    profiles: tuple[tuple[str, Expectation], ...] = ()

    def expectation_for(self, client: str) -> tuple[Expectation, bool]:
        """The expectation a client is held to, and whether it is a recorded deviation."""
        profile = dict(self.profiles).get(client)
        return (profile, True) if profile is not None else (self.expect, False)
