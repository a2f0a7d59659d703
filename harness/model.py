"""The scenario model: what a scenario file says, as frozen dataclasses.

A ``Scenario`` has three parts that flow one way: a ``ServerScript`` (how the fake server
behaves at each step), a ``ClientSpec`` (client settings, client-side state and the message),
and an ``Expectation`` (the documented outcome), plus per-client ``profiles`` that record a
known, observed deviation from the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

STEPS = ("greeting", "ehlo", "helo", "starttls", "auth", "mail", "rcpt", "data", "end_of_data",
         "rset", "quit")
"""Points of a session a script can act on; each names the command it answers."""
STEP_OF_VERB = {"EHLO": "ehlo", "HELO": "helo", "STARTTLS": "starttls", "AUTH": "auth",
                "MAIL": "mail", "RCPT": "rcpt", "DATA": "data", "RSET": "rset", "QUIT": "quit"}
"""The step that answers each command (the greeting and the end of data answer none)."""

REFERENCE_CLIENTS = ("netmail", "netmail-async")
"""Clients held to the documentation itself: they can have no profile (``run --reference``
adds more)."""

CLIENT_ALIASES = {"dotnet": "dotnet31"}
"""Old client names, still accepted by ``--client``; verdicts and profiles use the new one."""

ASYNC_STATES = ("send-in-progress", "cancelled")
"""Client states that need an asynchronous send (``Adapter.lacks`` ``async``)."""

CAPABILITIES = frozenset({"pickup", "async", "tls", "properties"})
"""What a client may declare it cannot express (``Adapter.lacks``): a pickup-directory
delivery, a send in progress (asynchronous send), STARTTLS, a client configured through its
properties (``client.configure: properties``)."""


@dataclass(frozen=True)
class Action:
    """What the server does at one step: wait, then reply, write raw bytes, or drop.

    An action with neither ``reply`` nor ``raw`` nor a ``drop`` before replying lets the
    server behave normally. ``match``/``pattern`` limit it to commands whose address matches.
    """

    reply: tuple[str, ...] | None = None
    raw: str | None = None
    """Every byte the action writes; with ``pieces``, their concatenation."""
    pieces: tuple[str, ...] = ()
    """``raw`` as separate writes, ``interval`` seconds apart: a reply split across reads."""
    interval: float = 0.0
    delay: float = 0.0
    drop: str | None = None  # "before", "after" or "reset"
    match: str | None = None
    pattern: str | None = None
    read_pause: float = 0.0
    """On ``data``: seconds the server reads nothing after its 354, so that a body fills the
    socket buffers and the client must wait for them to drain (flow control)."""

    @property
    def is_matcher(self) -> bool:
        return self.match is not None or self.pattern is not None

    @property
    def waits(self) -> float:
        """Seconds this action keeps the client waiting, at most."""
        return self.delay + self.interval * max(len(self.pieces) - 1, 0) + self.read_pause


DEFAULT_ACTION = Action()
NO_INNER = "None"
"""``expect.inner: null`` in a file: the exception must have no inner exception."""
OUTCOME_FIELDS = ("status_code", "message_contains", "failed_recipients", "inner",
                  "reported_by", "pickup_files", "pickup_message")
SERVER_FIELDS = ("connections", "commands", "data_sent", "delivered_to", "messages",
                 "data_contains", "data_excludes", "mail_from", "rcpt_to",
                 "message_connections", "message")
UNCHECKABLE = (*OUTCOME_FIELDS, *(f"server.{name}" for name in SERVER_FIELDS))
"""Every field a profile may stop checking, by naming it in ``unchecked`` (never ``raises``)."""
TO_COMPLETE = "TO-BE-COMPLETED"
"""``expect.raises`` of a file ``smtp-harness record`` wrote without seeing the client's
outcome: refused, at its line, until the user writes the outcome the contract says."""
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
        """The longest the script can keep a client waiting, over all its steps: delays,
        the intervals between raw pieces, and read pauses."""
        return sum(max((a.waits for a in actions), default=0.0) for _, actions in self.steps)


class AttachmentSpec(NamedTuple):
    """One attachment: its name, media type, text content, and where the client reads it
    from: ``stream`` (a readable stream), ``file`` (a file of that name, attached by its
    path), or ``failing-stream`` (a stream whose reads fail, which a client reads only when it
    sends)."""

    name: str
    media_type: str = "application/octet-stream"
    content: str = ""
    source: str = "stream"


ATTACHMENT_SOURCES = ("stream", "file", "failing-stream")


@dataclass(frozen=True)
class MessageSpec:
    """The message to send, as plain data any adapter can turn into its own message type."""

    from_: str | None = "sender@example.com"
    to: tuple[str, ...] = ("rcpt@example.com",)
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str | None = "Conformance"
    body: str | None = "Hello from the SMTP conformance harness.\n"
    """``None``: the property is set to null (.NET then sends an empty subject or body)."""
    html: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[AttachmentSpec, ...] = ()


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
    state: str | None = None
    """``disposed``; ``send-in-progress`` (a SendAsync runs during the sends, cancelled after
    them); ``cancelled`` (a SendAsync was started and cancelled, and had ended, before them)."""
    sends: int = 1
    api: str = "send"
    """``send``, or ``send_async``: the event-based SendAsync, whose outcome is what the call
    raises or else what SendCompleted reports."""
    configure: str = "constructor"
    """``constructor``: ``SmtpClient(host, port)``, then the other properties; ``properties``:
    ``SmtpClient()``, then ``Host``, ``Port`` and ``Timeout`` set one by one (whose setters
    check what the constructor does not)."""


@dataclass(frozen=True)
class FailedRecipient:
    address: str
    status_code: int | None = None


@dataclass(frozen=True)
class PartFacts:
    """One leaf MIME part: its content type, attachment file name, decoded text, and the
    Content-Type's ``name`` parameter (the file name older readers show)."""

    content_type: str | None = None
    filename: str | None = None
    text: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class MessageFacts:
    """What a delivered message (or pickup file) must be as the stdlib parser reads it:
    header values decoded (a string: exactly one such header; a list: all of them, in order),
    the top-level content type, the first text part's decoded text, the leaf parts in order,
    how many defects the parser found, and the longest line allowed (CRLF not counted)."""

    headers: tuple[tuple[str, str | tuple[str, ...]], ...] = ()
    content_type: str | None = None
    body: str | None = None
    parts: tuple[PartFacts, ...] | None = None
    defects: int | None = None
    line_limit: int | None = None


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
    mail_from: tuple[str, ...] | None = None
    """The argument of every MAIL command as sent (``<a@x> BODY=8BITMIME``), in order."""
    rcpt_to: tuple[str, ...] | None = None
    """The argument of every RCPT command as sent, in order, across connections."""
    message_connections: tuple[int, ...] | None = None
    """For each delivered message, the number of the connection it came on (1, 1, 2)."""
    message: MessageFacts | None = None
    """What every delivered message must be, parsed (``harness.delivered``)."""


@dataclass(frozen=True)
class Expectation:
    """The outcome of the last send; ``raises=None`` means it succeeds."""

    raises: str | None = None
    status_code: int | None = None
    message_contains: str | None = None
    failed_recipients: tuple[FailedRecipient, ...] | None = None
    inner: str | None = None
    reported_by: str | None = None
    """With ``api: send_async``: ``call`` (SendAsync itself raised) or ``send_completed``."""
    pickup_files: int | None = None
    pickup_message: MessageFacts | None = None
    """What every file in the pickup directory must be, parsed like a delivered message."""
    server: ServerFacts = field(default_factory=ServerFacts)
    why: str | None = None
    earlier: tuple[Expectation, ...] = ()
    """Outcomes of the sends before the last, in order; a send not listed must succeed."""
    unchecked: tuple[str, ...] = ()
    """A profile's fields that the documentation's ``expect`` checks and this client is not
    held to (reported with every verdict)."""
    line: int = 0
    """Where this expectation starts in its file (``expect:`` or ``profiles.<client>:``)."""
    alternatives: tuple[Expectation, ...] = ()
    """A profile's other outcomes, any of which the client may give instead of this one
    because its behaviour races (each narrows ``expect`` as the profile does)."""


@dataclass(frozen=True)
class Recorded:
    """Where a recorded scenario's server came from (``smtp-harness record``): the real
    server and its configuration, and what the replay cannot reproduce of the session."""

    server: str
    configuration: str | None = None
    upstream: str | None = None
    date: str | None = None
    client: str | None = None
    timing: bool = False
    notes: tuple[str, ...] = ()


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
    recorded: Recorded | None = None

    @property
    def needs(self) -> frozenset[str]:
        """What a client must be able to express to run this scenario: ``pickup`` (a
        pickup-directory delivery), ``async`` (SendAsync, or a send in progress), ``tls``
        (STARTTLS), ``properties`` (configured through its setters)."""
        client = self.client
        return frozenset(
            name for name, needed in (
                ("pickup", client.delivery_method != "network"),
                ("async", client.state in ASYNC_STATES or client.api == "send_async"),
                ("tls", client.enable_ssl or bool(self.server and self.server.certificate)),
                ("properties", client.configure == "properties"))
            if needed)

    def expectation_for(self, client: str) -> tuple[Expectation, bool]:
        """The expectation a client is held to, and whether it is a recorded deviation."""
        profile = dict(self.profiles).get(client)
        return (profile, True) if profile is not None else (self.expect, False)
