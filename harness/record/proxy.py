"""The recording proxy: a client talks to it, it relays each command to the real server and
each reply back, byte for byte, and records the session.

Two pumps per connection: the client's lines go upstream as they come (pipelining
included), and the server's replies are matched to the commands in order. The client's pump
waits for the reply only where the reply decides how to read on: after DATA (the body
follows a 354), after STARTTLS (both sides switch to TLS on a 220: towards the server with
the verification asked for, towards the client with the harness certificate) and inside an
AUTH exchange (a 334 asks for a line that is a credential, never recorded).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..server.certificates import server_context
from ..server.transcript import REDACTED, Event, ReceivedMessage, Transcript
from .session import Exchange, RecordedConnection, Recording, Reply, command_of, is_last_line

_LINE_LIMIT = 16 * 1024 * 1024
"""Longest line the proxy reads in one piece (a body line may be long)."""
_CHUNK = 65536
_GRACE = 2.0
"""Seconds one side of a connection has to finish after the other has ended."""
_DECIDING = ("data", "starttls", "auth")
"""Steps whose reply decides how the client's next bytes are read."""


@dataclass
class _Pending:
    """A command sent upstream whose reply has not come yet."""

    exchange: Exchange
    sent: float
    continuation: bool = False
    """A line of an AUTH exchange: its reply belongs to the AUTH exchange."""
    decided: asyncio.Future[int | None] | None = None
    message: bytes | None = None
    """The end of the data: the body as sent (still dot-stuffed, without the final dot)."""


@dataclass
class _Envelope:
    """The transaction as the server accepted it, for the live transcript's messages."""

    mail_from: str | None = None
    rcpt_tos: list[str] = field(default_factory=list)


class RecordingProxy:
    """Relays every connection made to it to ``upstream`` and records what the server said.

    ``recording`` holds the replies for the scenario; ``transcript`` is the live session as
    a scripted server's transcript would be, so that the judge can judge a live run too.
    """

    def __init__(self, upstream: tuple[str, int], upstream_tls: ssl.SSLContext,
                 upstream_name: str | None = None, connect_timeout: float = 10.0,
                 listener: Callable[[Event], None] | None = None,
                 on_closed: Callable[[], None] | None = None) -> None:
        self.upstream = upstream
        self.recording = Recording(f"{upstream[0]}:{upstream[1]}")
        self.transcript = Transcript(listener=listener)
        self._tls = upstream_tls
        self._name = upstream_name or upstream[0]
        self._connect_timeout = connect_timeout
        self._on_closed = on_closed
        self._server: asyncio.Server | None = None
        self._relays: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int = 0) -> int:
        """Listen on ``host:port`` (0: an ephemeral port); the port listened on."""
        self._server = await asyncio.start_server(self._accept, host, port, limit=_LINE_LIMIT)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self, settle: float = 2.0) -> None:
        """Stop listening; let open sessions end (at most ``settle`` s), then cut them."""
        if self._server is not None:
            self._server.close()
        if self._relays:
            _, unfinished = await asyncio.wait(self._relays, timeout=settle)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.transcript.connect(writer.get_extra_info("peername"))
        connection = RecordedConnection(number)
        self.recording.connections.append(connection)
        relay = asyncio.create_task(_Relay(self, connection, reader, writer).run())
        self._relays.add(relay)
        try:
            await relay
        except asyncio.CancelledError:  # cut at stop; asyncio logs a cancelled callback task
            pass
        except Exception as error:  # the proxy's own failure: never a reply the server gave
            self.transcript.harness_failed(f"the recording proxy failed: "
                                           f"{type(error).__name__}: {error}")
        finally:
            _close(writer)
            self._relays.discard(relay)
            if self._on_closed is not None:
                self._on_closed()

    async def open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(
            asyncio.open_connection(*self.upstream, limit=_LINE_LIMIT), self._connect_timeout)

    async def upstream_tls(self, writer: asyncio.StreamWriter) -> None:
        """Switch the upstream connection to TLS, verified as asked; note who it names."""
        await writer.start_tls(self._tls, server_hostname=self._name)
        certificate = writer.get_extra_info("peercert")
        if certificate:
            subject = dict(item[0] for item in certificate.get("subject", ()))
            names = [f"CN={subject['commonName']}"] if "commonName" in subject else []
            names += [value for _, value in certificate.get("subjectAltName", ())]
            self.recording.upstream_certificate = ", ".join(names)
        elif self.recording.upstream_certificate is None:
            self.recording.upstream_certificate = "not verified"


class _Relay:
    """One client connection and its upstream connection."""

    def __init__(self, proxy: RecordingProxy, connection: RecordedConnection,
                 reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._proxy, self._connection = proxy, connection
        self._transcript = proxy.transcript
        self._client_reader, self._client_writer = reader, writer
        self._pending: deque[_Pending] = deque()
        self._envelope = _Envelope()
        self._loop = asyncio.get_running_loop()
        self._last_reply = 0.0
        self._client_left: float | None = None
        self._early = b""
        """Bytes the client sent while it should have waited for a reply (read to see it
        leave), handed to the next read."""

    def _note(self, kind: str, text: str) -> None:
        self._transcript.note(self._connection.number, kind, text)

    async def run(self) -> None:
        try:
            self._up_reader, self._up_writer = await self._proxy.open_upstream()
        except (OSError, TimeoutError) as error:
            self._connection.notes.append(f"could not connect to the server: {error}")
            self._note("note", f"upstream unreachable: {error}")
            _reset(self._client_writer)
            return
        self._last_reply = self._loop.time()
        self._pending.append(_Pending(Exchange("greeting"), self._last_reply))
        server = asyncio.create_task(self._from_server())
        client = asyncio.create_task(self._from_client())
        try:
            await asyncio.wait({server, client}, return_when=asyncio.FIRST_COMPLETED)
            # The one that ended first gives the other a moment: a client that gave up
            # waiting leaves a server that may still answer, and the other way round.
            await asyncio.wait({server, client}, timeout=_GRACE)
        finally:
            if not server.done():  # recorded first: the awaits below may be cancelled
                self._abandoned()
            _close(self._up_writer)
            for task in (server, client):
                task.cancel()
            ended = await asyncio.gather(server, client, return_exceptions=True)
        failed = [e for e in ended if isinstance(e, Exception)]
        if failed:  # a pump's own failure: the proxy's, to be reported, never swallowed
            raise failed[0]

    # -- the client's side ------------------------------------------------------------------

    async def _from_client(self) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            while line := await self._readline():
                text, step = command_of(line)
                self._transcript.client_line(self._connection.number, line)
                pending = _Pending(Exchange(step, text), 0.0)
                code = await self._send(line, pending)
                if step == "data" and code == 354 and not await self._body(pending.exchange):
                    break
                while step == "auth" and code == 334:
                    line = await self._readline()
                    if not line:
                        break
                    self._note("client", REDACTED)
                    code = await self._send(line, _Pending(pending.exchange, 0.0, True))
        self._left()
        with contextlib.suppress(OSError):
            if self._up_writer.can_write_eof():
                self._up_writer.write_eof()

    def _left(self) -> None:
        if self._client_left is None:
            self._connection.client_closed = True
            self._client_left = self._loop.time()
            self._note("close", "(client closed)")

    async def _readline(self) -> bytes:
        early, self._early = self._early, b""
        if early.endswith(b"\n"):
            return early
        return early + await self._client_reader.readline()

    async def _decision(self, pending: _Pending) -> int | None:
        """The code of the reply to a deciding command, watching meanwhile for the client
        leaving (a client that gives up waiting closes; it must be seen when it does)."""
        assert pending.decided is not None
        if pending.exchange.step == "starttls":  # the next bytes are a TLS handshake: unread
            return await pending.decided
        watch = asyncio.ensure_future(self._client_reader.read(1))
        either: set[asyncio.Future[Any]] = {pending.decided, watch}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if not watch.done():
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        elif watch.exception() is not None or not watch.result():
            self._left()
        else:
            self._early += watch.result()
        return await pending.decided

    async def _send(self, line: bytes, pending: _Pending) -> int | None:
        """Send a client line upstream; for a step whose reply decides what follows, wait for
        the reply's code (None: the server closed)."""
        if pending.exchange.step in _DECIDING:
            pending.decided = self._loop.create_future()
        pending.sent = self._loop.time()
        self._pending.append(pending)
        self._up_writer.write(line)
        await self._up_writer.drain()
        return await self._decision(pending) if pending.decided is not None else None

    async def _body(self, data: Exchange) -> bool:
        """Relay the message up to its final dot; False if the client left before it. The
        longest the server kept the proxy from writing (it stopped reading) is the data
        exchange's ``stalled``."""
        body, previous = bytearray(), b"\r\n"
        before: float | None = None
        ended = False
        try:
            while line := await self._readline():
                if line == b".\r\n" and previous.endswith(b"\r\n"):
                    ended = True
                    await self._send(line, _Pending(Exchange("end_of_data"), 0.0,
                                                    message=bytes(body)))
                    return True
                self._up_writer.write(line)
                before = self._loop.time()
                await self._up_writer.drain()
                data.stalled, before = max(data.stalled, self._loop.time() - before), None
                body += line
                previous = line
        finally:  # also when cut: the client gave up in the middle of the message
            if before is not None:
                data.stalled = max(data.stalled, self._loop.time() - before)
            data.left_in_message = not ended
        self._connection.notes.append("the client closed the connection in the middle of "
                                      "the message")
        return False

    # -- the server's side ------------------------------------------------------------------

    async def _from_server(self) -> None:
        """Relay the server's bytes as they come (a reply cut in pieces reaches the client in
        the same pieces), and cut them into replies for the recording."""
        buffer, lines, first, held = bytearray(), list[bytes](), 0.0, False
        while True:
            reset = False
            try:
                chunk = await self._up_reader.read(_CHUNK)
            except (OSError, ssl.SSLError):
                chunk, reset = b"", True
            if not chunk:
                if lines or buffer:  # a reply cut short: kept as it came
                    await self._reply([*lines, bytes(buffer)], first, b"", held)
                self._server_closed(self._loop.time(), reset)
                return
            # Bytes go on as they come, but for the reply to STARTTLS: its 220 must reach
            # the client only once TLS can start at once on both sides.
            held = any(p.exchange.step == "starttls" for p in self._pending)
            if not held:
                await self._forward(chunk)
            if not lines and not buffer:
                first = self._loop.time()
            buffer += chunk
            while (end := buffer.find(b"\n")) >= 0:
                lines.append(bytes(buffer[:end + 1]))
                del buffer[:end + 1]
                if is_last_line(lines[-1]):
                    went_on = await self._reply(lines, first, bytes(buffer), held)
                    if went_on is None:
                        return
                    if went_on == "tls":  # what followed the 220 went with it
                        buffer.clear()
                    lines, first = [], self._loop.time()

    async def _reply(self, lines: list[bytes], first: float, after: bytes,
                     held: bool) -> str | None:
        """One whole reply, which came ``first``, followed by the bytes ``after`` it, and
        not yet forwarded if ``held``: ``tls`` when TLS started, None when the connection
        cannot go on (TLS failed), else ``go``."""
        text = tuple(piece.decode("utf-8", "backslashreplace").rstrip("\r\n")
                     for piece in lines)
        for shown in text:
            self._note("server", shown)
        reply = Reply(text, b"".join(lines))
        pending = self._pending.popleft() if self._pending else None
        if pending is not None and pending.exchange.step == "starttls" and reply.code == 220:
            self._answered(pending, reply, first)
            if after:
                self._connection.notes.append(
                    f"the server sent bytes after its 220 to STARTTLS, before TLS: {after!r}")
            started = await self._start_tls(pending.exchange, reply.raw + after)
            _decide(pending, 220 if started else None)
            return "tls" if started else None
        if held:
            await self._forward(reply.raw)
        if pending is None:
            self._unasked(reply)
            return "go"
        self._answered(pending, reply, first)
        _decide(pending, reply.code)
        return "go"

    def _unasked(self, reply: Reply) -> None:
        """A reply no command asked for: run on to the last reply, as the replay sends it. A
        message whose acceptance was followed by it is not counted as delivered, as the judge
        counts a scripted server's (only one well-formed reply accepts a message)."""
        self._connection.notes.append(
            "the server sent a reply no command asked for: " + " | ".join(reply.lines))
        exchanges = self._connection.exchanges
        if not exchanges or not exchanges[-1].replies:
            return
        last = exchanges[-1]
        last.replies[-1] = last.replies[-1].followed_by(reply)
        messages = self._transcript.messages
        if last.step == "end_of_data" and messages and messages[-1].delivered:
            messages[-1] = replace(messages[-1], delivered=False)

    def _answered(self, pending: _Pending, reply: Reply, at: float) -> None:
        exchange = pending.exchange
        if not pending.continuation:
            exchange.delay = max(0.0, at - max(pending.sent, self._last_reply))
            self._connection.exchanges.append(exchange)
        exchange.replies.append(reply)
        self._last_reply = self._loop.time()
        self._track_envelope(pending, reply)

    def _track_envelope(self, pending: _Pending, reply: Reply) -> None:
        """Keep the transaction as the server accepted it; a message is delivered when the
        server accepts it after the data."""
        step, accepted = pending.exchange.step, reply.code is not None and reply.code < 300
        envelope = self._envelope
        if step == "end_of_data":
            self._transcript.messages.append(ReceivedMessage(
                self._connection.number, envelope.mail_from, tuple(envelope.rcpt_tos),
                pending.message or b"", accepted and reply.well_formed))
            self._envelope = _Envelope()
        elif not accepted:
            return
        elif step == "mail":
            envelope.mail_from, envelope.rcpt_tos = pending.exchange.address, []
        elif step == "rcpt" and pending.exchange.address is not None:
            envelope.rcpt_tos.append(pending.exchange.address)
        elif step in ("rset", "ehlo", "helo"):
            self._envelope = _Envelope()

    async def _forward(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self._client_writer.write(data)
            await self._client_writer.drain()

    async def _start_tls(self, exchange: Exchange, sent: bytes) -> bool:
        """TLS towards the server, then the 220 (``sent``, with any bytes that followed it)
        and TLS towards the client. If the server's TLS fails, the client is reset before any
        220, and so is the replay's."""
        try:
            await self._proxy.upstream_tls(self._up_writer)
        except (ssl.SSLError, ssl.CertificateError, OSError, TimeoutError) as error:
            self._connection.notes.append(
                f"the server answered STARTTLS with {exchange.replies[-1].lines[-1]!r}, then "
                "TLS with it "
                f"failed ({error}): the client was reset (--upstream-ca or "
                "--upstream-insecure, if the server's certificate is the cause)")
            self._note("note", f"upstream TLS failed: {error}")
            exchange.replies.clear()
            exchange.drop = "reset"
            _reset(self._client_writer)
            return False
        # The client's handshake must stay in the socket until TLS takes the connection
        # over: bytes read before (into the stream's buffer) would be lost to it.
        self._client_writer.transport.pause_reading()  # type: ignore[attr-defined]
        await self._forward(sent)
        try:
            await self._client_writer.start_tls(server_context("trusted"))
        except (ssl.SSLError, OSError, TimeoutError) as error:
            self._connection.notes.append(
                f"the client's TLS handshake with the harness certificate failed: {error}")
            self._note("note", f"client TLS failed: {error}")
            return False
        self._note("tls", "handshake complete")
        return True

    def _abandoned(self) -> None:
        """The connection was cut (the client had gone, or the proxy stopped) with a command
        the server had not answered: how long the client waited is what the replay needs."""
        unanswered = next((p for p in self._pending
                           if not p.continuation and p.exchange.step != "quit"), None)
        if unanswered is not None:
            exchange = unanswered.exchange
            cut = self._client_left if self._client_left is not None else self._loop.time()
            exchange.delay = max(0.0, cut - max(unanswered.sent, self._last_reply))
            exchange.abandoned = True
            self._connection.exchanges.append(exchange)
        self._pending.clear()

    def _server_closed(self, at: float, reset: bool) -> None:
        """The server ended the connection: before answering the oldest pending command (a
        drop or a reset), or after its last reply. The client sees the same."""
        self._note("close", "(server reset)" if reset else "(server closed)")
        unanswered = next((p for p in self._pending if not p.continuation), None)
        exchanges = self._connection.exchanges
        if unanswered is not None and unanswered.exchange.step != "quit":
            exchange = unanswered.exchange
            if self._client_left is not None:
                at = min(at, self._client_left)
            exchange.delay = max(0.0, at - max(unanswered.sent, self._last_reply))
            if self._connection.client_closed:  # the client gave up waiting: not a drop
                exchange.abandoned = True
            else:
                exchange.drop = "reset" if reset else "before"
            exchanges.append(exchange)
        elif exchanges and (not self._connection.client_closed
                            or exchanges[-1].step == "quit"):
            exchanges[-1].drop = "after"
            exchanges[-1].reset_after_reply = reset
        for pending in self._pending:
            _decide(pending, None)
        self._pending.clear()
        if reset:
            _reset(self._client_writer)
        else:
            _close(self._client_writer)


def _decide(pending: _Pending, code: int | None) -> None:
    if pending.decided is not None and not pending.decided.done():
        pending.decided.set_result(code)


def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Abort with RST, as the server did (linger 0 makes the close a reset)."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
