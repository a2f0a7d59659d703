"""What the sans-IO session asks its driver to do: write bytes, read a reply, start TLS.

The session generators in ``session`` yield these; a driver in ``transport`` performs them
with real sockets (blocking or asyncio) and sends back the ``Reply`` for each ``Receive``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Send:
    """Write these chunks, in order."""

    chunks: tuple[bytes | bytearray, ...]


@dataclass(frozen=True, slots=True)
class Receive:
    """Read the next complete reply and send it back into the generator."""


@dataclass(frozen=True, slots=True)
class StartTls:
    """Run the TLS handshake on the connection (after a 220 to STARTTLS)."""


RECEIVE = Receive()
START_TLS = StartTls()


def send(*chunks: bytes | bytearray) -> Send:
    return Send(chunks)


def command(line: bytes) -> Generator[Send | Receive, Any, Any]:
    """Send one command line and return the reply to it."""
    yield send(line + b"\r\n")
    return (yield RECEIVE)
