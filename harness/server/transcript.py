"""What a scripted server saw and said: the record every verdict and report reads.

Credentials never enter it: the arguments of AUTH and the lines of an AUTH exchange are
recorded as ``***``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_VERB = re.compile(r"[A-Za-z]{2,16}")
"""What a command verb looks like; other lines (a TLS ClientHello read as text) are not."""
_AUTH_LINE = re.compile(r"^(AUTH\s+\S+)\s+.*$", re.IGNORECASE | re.DOTALL)
REDACTED = "***"


@dataclass(frozen=True)
class Event:
    """One line of the conversation. ``kind``: connect, client, server, tls, close, note."""

    at: float
    connection: int
    kind: str
    text: str


@dataclass(frozen=True)
class ReceivedMessage:
    """One DATA phase: the envelope at that moment and the raw (still dot-stuffed) bytes."""

    connection: int
    mail_from: str | None
    rcpt_tos: tuple[str, ...]
    raw: bytes
    delivered: bool


@dataclass
class Transcript:
    started: float = field(default_factory=time.monotonic)
    messages: list[ReceivedMessage] = field(default_factory=list)
    connections: int = 0
    listener: Callable[[Event], None] | None = None
    """Called with each event as it happens (``smtp-harness serve`` prints them live)."""
    harness_errors: list[str] = field(default_factory=list)
    """Failures of the scripted server itself (not of the client): a verdict with any is an
    error, whatever the client did, since the client met a server the script did not ask for."""
    _rows: list[tuple[float, int, str, str]] = field(default_factory=list, repr=False)
    """The events as plain tuples, which the garbage collector stops tracking: a long-lived
    server's transcript then costs no collector time (it did: a fifth of a server's CPU)."""

    @property
    def events(self) -> list[Event]:
        return [Event(*row) for row in self._rows]

    def connect(self, peer: object) -> int:
        self.connections += 1
        self.note(self.connections, "connect", f"from {peer}")
        return self.connections

    def note(self, connection: int, kind: str, text: str) -> None:
        row = (time.monotonic() - self.started, connection, kind, text)
        self._rows.append(row)
        if self.listener is not None:
            self.listener(Event(*row))

    def harness_failed(self, problem: str) -> None:
        self.harness_errors.append(problem)
        self.note(0, "note", f"harness error: {problem}")

    def client_line(self, connection: int, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="backslashreplace")
        self.note(connection, "client", redact(text.rstrip("\r\n")) + _ending_note(raw))

    @property
    def commands(self) -> list[str]:
        """The verbs the client sent, in order (``EHLO``, ``MAIL``, ...)."""
        verbs = (text.split(" ", 1)[0] for _, _, kind, text in self._rows
                 if kind == "client" and text != REDACTED)
        return [verb.upper() for verb in verbs if _VERB.fullmatch(verb)]

    @property
    def delivered_to(self) -> list[str]:
        return [r for m in self.messages if m.delivered for r in m.rcpt_tos]

    def facts(self) -> dict[str, int | bool | list[str] | list[int]]:
        """What ``server`` expectations are judged against (and profiles recorded from), by
        field name: one definition, so the judge and the recorder never disagree."""
        commands = self.commands
        return {"connections": self.connections, "commands": commands,
                "data_sent": "DATA" in commands, "delivered_to": self.delivered_to,
                "messages": sum(1 for m in self.messages if m.delivered),
                "mail_from": self.mail_arguments("MAIL FROM:"),
                "rcpt_to": self.mail_arguments("RCPT TO:"),
                "message_connections": [m.connection for m in self.messages if m.delivered]}

    def mail_arguments(self, prefix: str) -> list[str]:
        """What followed ``prefix`` in each client line that starts with it (any case)."""
        return [text[len(prefix):].lstrip() for _, _, kind, text in self._rows
                if kind == "client" and text[:len(prefix)].upper() == prefix]

    def render(self) -> str:
        """The transcript as text: ``C:``/``S:`` lines per connection, with times."""
        return "\n".join(render_event(e) for e in self.events)


def render_event(event: Event) -> str:
    arrow = _ARROWS.get(event.kind)
    text = event.text if arrow else f"{event.kind} {event.text}"
    return f"[{event.at:7.3f}s #{event.connection}] {arrow or '--'} {text}"


_ARROWS = {"client": "C:", "server": "S:"}


def redact(line: str) -> str:
    """Hide what follows the mechanism name in an AUTH command."""
    if line[:4].upper() != "AUTH":
        return line
    return _AUTH_LINE.sub(r"\1 " + REDACTED, line)


def _ending_note(raw: bytes) -> str:
    if raw.endswith(b"\r\n"):
        return ""
    return "  <bare LF>" if raw.endswith(b"\n") else "  <no line ending>"
