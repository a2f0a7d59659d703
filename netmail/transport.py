"""Sockets: a blocking and an asyncio connection, one deadline, and the drivers.

A driver runs a sans-IO conversation from ``session`` over a connection: it writes what the
conversation sends, reads a reply whenever it asks, and starts TLS when told. Every blocking
operation is bounded by the remaining time of one ``Deadline`` for the whole send.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import ssl
import time
from collections.abc import Generator
from typing import Any, TypeVar, cast

from .actions import Receive, Send, StartTls
from .errors import FormatException
from .replies import Reply, ReplyParser

T = TypeVar("T")
_READ_SIZE = 65536
_COALESCE = 65536
"""Chunks of one write up to this many bytes in all go out joined, as one segment."""


class Deadline:
    """One point in time that bounds a whole send: connect, TLS, every reply, the body."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError("The operation has timed out.")
        return left

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self._end


def _closed_by_server() -> ConnectionAbortedError:
    return ConnectionAbortedError("The server closed the connection.")


def _refuse_early_data(parser: ReplyParser) -> None:
    """Bytes after the 220 to STARTTLS would be read as if encrypted: refuse them (RFC 3207)."""
    if parser.pending:
        raise FormatException("The server sent data after its STARTTLS reply.")


class Connection:
    """A blocking TCP (and later TLS) connection to one server."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._parser = ReplyParser()
        self.replies_read = 0

    @classmethod
    def open(cls, host: str, port: int, deadline: Deadline) -> Connection:
        sock = socket.create_connection((host, port), timeout=deadline.remaining())
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock)

    def write(self, chunks: tuple[bytes | bytearray, ...], deadline: Deadline) -> None:
        if len(chunks) > 1 and sum(map(len, chunks)) <= _COALESCE:
            # One segment (TCP_NODELAY is on) and one wake-up for the server, not one per chunk
            # (a body and its end-of-data mark); large bodies go as they are, uncopied.
            chunks = (b"".join(chunks),)
        for chunk in chunks:
            self._sock.settimeout(deadline.remaining())
            self._sock.sendall(chunk)

    def read_reply(self, deadline: Deadline) -> Reply:
        while (reply := self._parser.next_reply()) is None:
            self._sock.settimeout(deadline.remaining())
            data = self._sock.recv(_READ_SIZE)
            if not data:
                raise _closed_by_server()
            self._parser.feed(data)
        self.replies_read += 1
        return reply

    def start_tls(self, context: ssl.SSLContext, server_hostname: str, deadline: Deadline) -> None:
        _refuse_early_data(self._parser)
        self._sock.settimeout(deadline.remaining())
        self._sock = context.wrap_socket(self._sock, server_hostname=server_hostname)

    def is_stale(self) -> bool:
        """True when the server has closed the kept connection or said something unasked."""
        if self._parser.pending or self._sock.fileno() < 0:
            return True
        if isinstance(self._sock, ssl.SSLSocket) and self._sock.pending():
            return True
        readable, _, _ = select.select([self._sock], [], [], 0)
        return bool(readable)

    def quit(self, seconds: float) -> None:
        """Say QUIT and wait (briefly) for the reply, then close; errors do not matter here."""
        with contextlib.suppress(OSError, FormatException, TimeoutError):
            deadline = Deadline(seconds)
            self.write((b"QUIT\r\n",), deadline)
            self.read_reply(deadline)
        self.close()

    def abort(self) -> None:
        """Unblock any thread waiting on this connection, and close it."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self.close()

    def close(self) -> None:
        self._sock.close()


def drive(conversation: Generator[Any, Reply, T], connection: Connection, deadline: Deadline,
          tls: tuple[ssl.SSLContext, str]) -> T:
    """Run a sans-IO conversation over a blocking connection."""
    reply: Reply | None = None
    while True:
        try:
            action = conversation.send(reply)  # type: ignore[arg-type]
        except StopIteration as done:
            return cast("T", done.value)  # StopIteration.value is Any
        reply = None
        if isinstance(action, Send):
            connection.write(action.chunks, deadline)
        elif isinstance(action, Receive):
            reply = connection.read_reply(deadline)
        elif isinstance(action, StartTls):
            connection.start_tls(*tls, deadline)


class _Replies(asyncio.BufferedProtocol):
    """An asyncio connection's protocol: the socket reads into one reusable buffer, whose
    bytes go straight to the reply parser.

    Not asyncio's ``StreamReader``: its transport asks ``recv`` for 256 KiB at a time, a new
    buffer per read, which glibc gives a mapping of its own (an mmap, an mremap and an munmap
    per reply) in a process that has not yet freed a large block. ``recv_into`` one buffer
    allocates nothing: 359-458 us of CPU per 1 KiB message on a kept connection, against
    505-552 us through a ``StreamReader`` (side by side, three rounds).
    """

    def __init__(self) -> None:
        self.parser = ReplyParser()
        self._buffer = memoryview(bytearray(_READ_SIZE))
        self._loop = asyncio.get_running_loop()
        self._arrived: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None
        self.ended: BaseException | None = None
        """Why no more bytes will come: the server closed, or the connection broke."""
        self._malformed: FormatException | None = None

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        try:
            self.parser.feed(self._buffer[:nbytes])
        except FormatException as exc:
            self._malformed = exc
        self._wake()

    def eof_received(self) -> bool:
        self.ended = self.ended or _closed_by_server()
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = self.ended or exc or _closed_by_server()
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self._writable = self._loop.create_future()

    def resume_writing(self) -> None:
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    async def more(self) -> None:
        """Wait until more bytes have reached the parser; raise if none ever will."""
        if self._malformed is not None:
            raise self._malformed
        if self.ended is not None:
            raise self.ended
        self._arrived = self._loop.create_future()
        await self._arrived

    async def drain(self) -> None:
        if self._writable is not None:
            await self._writable
        if self.ended is not None:
            raise self.ended

    def _wake(self) -> None:
        arrived, self._arrived = self._arrived, None
        if arrived is not None and not arrived.done():
            arrived.set_result(None)


class AsyncConnection:
    """An asyncio TCP (and later TLS) connection to one server, bound to its event loop."""

    def __init__(self, transport: asyncio.Transport, replies: _Replies) -> None:
        self._transport, self._replies = transport, replies
        self.loop = asyncio.get_running_loop()
        self.replies_read = 0

    @classmethod
    async def open(cls, host: str, port: int) -> AsyncConnection:
        transport, replies = await asyncio.get_running_loop().create_connection(
            _Replies, host, port)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(transport, replies)

    async def write(self, chunks: tuple[bytes | bytearray, ...]) -> None:
        if self._replies.ended is not None:
            raise self._replies.ended
        self._transport.writelines(chunks)
        await self._replies.drain()

    async def read_reply(self) -> Reply:
        while (reply := self._replies.parser.next_reply()) is None:
            await self._replies.more()
        self.replies_read += 1
        return reply

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        _refuse_early_data(self._replies.parser)
        tls = await self.loop.start_tls(self._transport, self._replies, context,
                                        server_hostname=server_hostname)
        assert tls is not None
        self._transport = tls

    def is_stale(self) -> bool:
        return (self._replies.parser.pending or self._replies.ended is not None
                or self._transport.is_closing() or asyncio.get_running_loop() is not self.loop)

    async def quit(self, seconds: float) -> None:
        with contextlib.suppress(OSError, FormatException, TimeoutError):
            async with asyncio.timeout(seconds):
                await self.write((b"QUIT\r\n",))
                await self.read_reply()
        self.abort()

    def abort(self) -> None:
        with contextlib.suppress(RuntimeError):  # its loop may be closed already
            self._transport.abort()


async def drive_async(conversation: Generator[Any, Reply, T], connection: AsyncConnection,
                      tls: tuple[ssl.SSLContext, str]) -> T:
    """Run a sans-IO conversation over an asyncio connection."""
    reply: Reply | None = None
    while True:
        try:
            action = conversation.send(reply)  # type: ignore[arg-type]
        except StopIteration as done:
            return cast("T", done.value)  # StopIteration.value is Any
        reply = None
        if isinstance(action, Send):
            await connection.write(action.chunks)
        elif isinstance(action, Receive):
            reply = await connection.read_reply()
        elif isinstance(action, StartTls):
            await connection.start_tls(*tls)
