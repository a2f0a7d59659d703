"""A recorded session: for each connection, what the server replied to each command.

Sans-IO: the proxy feeds it what crossed the wire, in order; nothing here reads a socket.
Credentials never enter it: an AUTH command keeps only its mechanism, and the client's lines
of an AUTH exchange are not kept at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import STEP_OF_VERB
from ..server.script import address_of

_REPLY_LINE = re.compile(rb"\d{3}([ -].*)?\r\n", re.DOTALL)


@dataclass(frozen=True)
class Reply:
    """One reply as it came: its lines (line ends removed) and its exact bytes."""

    lines: tuple[str, ...]
    raw: bytes

    @property
    def code(self) -> int | None:
        head = self.lines[-1][:3] if self.lines else ""
        return int(head) if len(head) == 3 and head.isdigit() else None

    @property
    def well_formed(self) -> bool:
        """One reply: CRLF-ended lines of one code, ``ddd-text`` but for the last (``ddd`` or
        ``ddd text``). Two replies run together are not one."""
        pieces = self.raw.split(b"\r\n")[:-1]
        return (bool(pieces) and self.raw.endswith(b"\r\n")
                and all(_REPLY_LINE.fullmatch(p + b"\r\n") for p in pieces)
                and len({p[:3] for p in pieces}) == 1
                and all(p[3:4] == b"-" for p in pieces[:-1]) and pieces[-1][3:4] != b"-")

    def followed_by(self, other: Reply) -> Reply:
        """This reply with ``other`` run on after it (bytes nobody asked for)."""
        return Reply(self.lines + other.lines, self.raw + other.raw)


def is_last_line(line: bytes) -> bool:
    """Whether ``line`` ends a reply: anything but ``ddd-...`` (a malformed line ends it too,
    so that a server which sends garbage cannot stall the proxy)."""
    return not (len(line) >= 4 and line[:3].isdigit() and line[3:4] == b"-")


@dataclass
class Exchange:
    """A command (or the greeting, or the end of the data) and what the server did."""

    step: str
    """``greeting``, ``end_of_data``, one of ``STEP_OF_VERB``'s values, or ``other``."""
    command: str | None = None
    """The command line without its line end; an AUTH command is its verb and mechanism."""
    replies: list[Reply] = field(default_factory=list)
    """Usually one; an AUTH exchange has each challenge and the final reply."""
    delay: float = 0.0
    """Seconds from the command reaching the server (the connection, for the greeting) to the
    first line of the first reply; or to the close, for a ``drop`` before any reply."""
    drop: str | None = None
    """``before``: the server closed without replying; ``reset``: it reset the connection
    without replying; ``after``: it closed after its (last) reply."""
    reset_after_reply: bool = False
    abandoned: bool = False
    """The client left before the server answered; ``delay`` is how long it had waited."""
    stalled: float = 0.0
    """For DATA: the longest the server left the message unread (the proxy could not write)."""
    left_in_message: bool = False
    """For DATA: the client left before the end of its message."""

    @property
    def address(self) -> str | None:
        """The address a MAIL or RCPT command names."""
        if self.step not in ("mail", "rcpt") or self.command is None:
            return None
        return address_of(self.command.partition(" ")[2])

    @property
    def final(self) -> Reply | None:
        return self.replies[-1] if self.replies else None


@dataclass
class RecordedConnection:
    number: int
    exchanges: list[Exchange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What happened that no exchange says: a TLS handshake that failed, an unsolicited
    reply."""
    client_closed: bool = False
    """The client ended the connection (rather than the server)."""


@dataclass
class Recording:
    upstream: str
    connections: list[RecordedConnection] = field(default_factory=list)
    upstream_certificate: str | None = None
    """Who the upstream's TLS certificate names, as the proxy verified it."""

    def exchanges(self, step: str) -> list[Exchange]:
        """Every exchange of ``step``, in order across connections."""
        return [e for c in self.connections for e in c.exchanges if e.step == step]

    @property
    def greeting(self) -> str | None:
        found = self.exchanges("greeting")
        return found[0].final.lines[-1] if found and found[0].final else None


def command_of(line: bytes) -> tuple[str, str]:
    """A command line as recorded (no line end; AUTH keeps only its verb and mechanism) and
    the step that answers it."""
    text = line.decode("utf-8", "backslashreplace").rstrip("\r\n")
    verb = text.split(" ", 1)[0].upper()
    if verb == "AUTH":
        text = " ".join(text.split()[:2])
    return text, STEP_OF_VERB.get(verb, "other")
