"""Hosting scripted servers: many servers on one event loop, in one background thread.

Starting a server binds a socket and hands it to that loop without waiting: no new thread.
``stop`` lets the server finish what the client already sent, then closes every connection,
so the transcript is complete when it is read.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, cast

from aiosmtpd.smtp import TLSSetupException

from ..model import ServerScript
from .script import ScriptCursor
from .smtp import ScriptedSMTP
from .transcript import Event, Transcript

HOST = "127.0.0.1"
_SETTLE = 2.0
"""Longest wait, at stop, for connections the client is still closing."""
_TRANSPORT_READ = 256 * 1024
"""How much asyncio's socket transports ask ``recv`` for at a time (``max_size``)."""


def _keep_reads_on_the_heap() -> None:
    """Free one block larger than a transport read, once, so reads stop costing syscalls.

    glibc's malloc gives a block above its mmap threshold (128 KiB at start) a mapping of its
    own, so each 256 KiB ``recv`` buffer of a transport costs an mmap, an mremap down to the
    bytes received and an munmap (a TLB shootdown, with the loop in a thread of its own):
    aiosmtpd on a loop thread took 585 us per message with them, 362 us without. Freeing one
    mapped block larger than that raises the threshold above it (glibc's dynamic threshold),
    and reads come from the heap. Other allocators need nothing and lose nothing.
    """
    block = bytearray(2 * _TRANSPORT_READ)
    del block


class RunningServer:
    """A scripted server listening on ``HOST:port``; ``transcript`` records what it saw."""

    def __init__(self, host: ServerHost, listening: socket.socket, transcript: Transcript,
                 protocols: list[ScriptedSMTP]) -> None:
        self._host, self._protocols = host, protocols
        self._serving: asyncio.Task[asyncio.Server] | None = None
        """Set on the loop, before anything else this server asks of it runs there."""
        self.transcript = transcript
        self.address, self.port = listening.getsockname()[:2]

    def stop(self, settle: float = _SETTLE) -> Transcript:
        """Close the server after letting open connections end (at most ``settle`` s)."""
        self._host.call(self._stop(settle))
        return self.transcript

    async def _stop(self, settle: float) -> None:
        loop = asyncio.get_running_loop()
        assert self._serving is not None
        server = await self._serving
        # Stop accepting, and let accepted connections get their transports, before closing:
        # closing the server between accept() and transport creation leaks the socket.
        for sock in server.sockets:
            loop.remove_reader(sock.fileno())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        server.close()
        end = loop.time() + settle
        while loop.time() < end and not all(p.finished for p in self._protocols):
            await asyncio.sleep(0.005)
        for protocol in self._protocols:
            if protocol.transport is not None:  # a stream's transport (aiosmtpd types the base)
                cast(asyncio.Transport, protocol.transport).abort()
        await asyncio.sleep(0)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ServerHost:
    """One event loop in a daemon thread that runs every scripted server of a process."""

    def __init__(self) -> None:
        _keep_reads_on_the_heap()
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_quiet_about_client_failures)
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp-harness-loop",
                                        daemon=True)
        self._thread.start()

    def call(self, coroutine: Any, timeout: float = 30.0) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def start(self, script: ServerScript, *, host: str = HOST, port: int = 0,
              listener: Callable[[Event], None] | None = None) -> RunningServer:
        """Start a scripted server (on an ephemeral port unless ``port`` is given).

        The socket is bound and listening before this returns, so the port is known and
        connections queue in its backlog; the loop takes the socket over without the caller
        waiting for it (``stop`` does), which halves the cross-thread calls per scenario.
        An address that cannot be bound raises ``OSError`` here.
        """
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        listening = socket.socket(family, kind, proto)
        try:
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.bind(address)
            listening.listen(100)
            listening.setblocking(False)
        except OSError:
            listening.close()
            raise
        transcript = Transcript(listener=listener)
        cursor = ScriptCursor(script)
        protocols: list[ScriptedSMTP] = []

        def factory() -> ScriptedSMTP:
            try:
                protocol = ScriptedSMTP(script, cursor, transcript, self._loop)
            except Exception as error:  # asyncio would close the connection and say nothing
                transcript.harness_failed(f"cannot serve a connection: "
                                          f"{type(error).__name__}: {error}")
                raise
            protocols.append(protocol)
            return protocol

        running = RunningServer(self, listening, transcript, protocols)

        def serve() -> None:  # a task of the loop: stop awaits it there, with no thread hop
            running._serving = self._loop.create_task(
                self._loop.create_server(factory, sock=listening))

        self._loop.call_soon_threadsafe(serve)
        return running

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()


def _quiet_about_client_failures(loop: asyncio.AbstractEventLoop,
                                 context: dict[str, Any]) -> None:
    """A client that breaks a TLS handshake or the connection is a scenario, not a harness
    error: aiosmtpd leaves such failures in futures nobody reads; keep them off stderr."""
    if isinstance(context.get("exception"), (TLSSetupException, ssl.SSLError, ConnectionError)):
        return
    loop.default_exception_handler(context)


_shared: ServerHost | None = None
_shared_lock = threading.Lock()


def shared_host() -> ServerHost:
    """The process's server host, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ServerHost()
        return _shared
