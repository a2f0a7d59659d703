"""The contenders: SMTP clients sending the same messages to a server in another process.

Every contender is a ``Workload``: ``open`` connects (not timed), ``run(n)`` sends ``n``
messages (timed), ``close`` says goodbye. Like for like: each client builds its own message
object and renders it on every send (netmail ``MailMessage``, an ``EmailMessage`` for smtplib
and aiosmtplib); ``smtplib.sendmail`` with bytes rendered once is the protocol-only figure.
"""

from __future__ import annotations

import asyncio
import smtplib
import subprocess
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import aiosmtplib

import netmail

from . import ROOT
from .server import HOST

SENDER = "sender@example.com"
SUBJECT = "Benchmark message"
LINE = "The quick brown fox jumps over the lazy dog; 0123456789 ABCDEF"  # 62 chars + CRLF
BODY_1K = "\n".join([LINE] * 16) + "\n"  # 16 x 64 bytes on the wire: 1 KiB of body
TIMEOUT = 60.0


def recipients(count: int) -> list[str]:
    return [f"rcpt{i}@example.com" for i in range(count)]


def netmail_message(to: list[str], body: str = BODY_1K) -> netmail.MailMessage:
    return netmail.MailMessage(SENDER, to, SUBJECT, body)


def email_message(to: list[str], body: str = BODY_1K) -> EmailMessage:
    """The same message as netmail sends, headers included, built the stdlib way."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = ", ".join(to)
    message["Subject"] = SUBJECT
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="example.com")  # no getfqdn() lookup
    message.set_content(body)
    return message


def rendered(to: list[str], body: str = BODY_1K) -> bytes:
    return email_message(to, body).as_bytes(policy=policy.SMTP)


class Workload(Protocol):
    """One contender in a side-by-side comparison."""

    name: str

    def open(self) -> None: ...

    def run(self, n: int) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ServerStats:
    rss_growth_mib: float  # peak resident memory minus what it held once listening
    cpu_seconds: float  # user + system time of the whole server process


class ServerProcess:
    """A ``benchmarks.server`` process; the client measures from this process, the server
    runs on the other core."""

    def __init__(self, kind: str, *, pipelining: bool = False, profile: str | None = None,
                 under: Sequence[str] = ()) -> None:
        """``under``: a command the server runs under (callgrind, to count instructions)."""
        self.kind, self.pipelining, self._profile, self._under = kind, pipelining, profile, under
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    def __enter__(self) -> ServerProcess:
        command = [*self._under, sys.executable, "-m", "benchmarks.server", self.kind]
        if self.pipelining:
            command.append("--pipelining")
        if self._profile:
            command += ["--profile", self._profile]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True, cwd=ROOT)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("PORT "):
            self.__exit__()
            raise RuntimeError(f"{self.kind} server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stats(self) -> ServerStats:
        """The server's peak memory growth and CPU time so far."""
        assert self._process is not None and self._process.stdin and self._process.stdout
        self._process.stdin.write("stats\n")
        self._process.stdin.flush()
        _, peak, start, cpu = self._process.stdout.readline().split()
        return ServerStats((int(peak) - int(start)) / 1024, float(cpu))

    def __exit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        try:
            process.wait(120 if self._under else 15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


# -- blocking clients on one kept connection ----------------------------------------------


class NetmailKept:
    """``SmtpClient.send`` on the connection it keeps between sends."""

    def __init__(self, port: int, rcpts: int = 1, name: str = "netmail.send") -> None:
        self.name, self._port, self._to = name, port, recipients(rcpts)
        self._client: netmail.SmtpClient | None = None

    def open(self) -> None:
        self._client = netmail.SmtpClient(HOST, self._port, timeout=TIMEOUT)
        self._client.send(netmail_message(self._to))  # connect and EHLO outside the clock

    def run(self, n: int) -> None:
        assert self._client is not None
        for _ in range(n):
            self._client.send(netmail_message(self._to))

    def close(self) -> None:
        if self._client is not None:
            self._client.dispose()


class SmtplibKept:
    """``smtplib.SMTP``: ``send_message`` of a fresh ``EmailMessage``, or ``sendmail`` of
    bytes rendered once (``prerendered``)."""

    def __init__(self, port: int, rcpts: int = 1, *, prerendered: bool = False) -> None:
        self.name = "smtplib.sendmail (pre-rendered)" if prerendered else "smtplib.send_message"
        self._port, self._to, self._prerendered = port, recipients(rcpts), prerendered
        self._bytes = rendered(self._to)
        self._smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        self._smtp = smtplib.SMTP(HOST, self._port, local_hostname="localhost", timeout=TIMEOUT)
        self._smtp.ehlo()

    def run(self, n: int) -> None:
        assert self._smtp is not None
        if self._prerendered:
            for _ in range(n):
                self._smtp.sendmail(SENDER, self._to, self._bytes)
        else:
            for _ in range(n):
                self._smtp.send_message(email_message(self._to))

    def close(self) -> None:
        if self._smtp is not None:
            self._smtp.quit()
            self._smtp.close()


# -- asyncio: one loop per workload, kept open across rounds ------------------------------


class _LoopWorkload:
    """A workload whose connections live on its own event loop, reused by every round."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coroutine)

    def close_loop(self) -> None:
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


async def _each(count: int, senders: list[Callable[[], Awaitable[Any]]]) -> None:
    """Split ``count`` messages over the senders, all running at once."""

    async def loop(send: Callable[[], Awaitable[Any]], share: int) -> None:
        for _ in range(share):
            await send()

    shares = [count // len(senders) + (i < count % len(senders)) for i in range(len(senders))]
    await asyncio.gather(*(loop(s, k) for s, k in zip(senders, shares, strict=True)))


class AiosmtplibKept(_LoopWorkload):
    """``aiosmtplib.SMTP.send_message`` of a fresh ``EmailMessage`` on one connection each,
    ``connections`` of them at once."""

    def __init__(self, port: int, rcpts: int = 1, connections: int = 1,
                 name: str = "aiosmtplib.send_message") -> None:
        super().__init__()
        self.name, self._port, self._to = name, port, recipients(rcpts)
        self._smtps = [aiosmtplib.SMTP(hostname=HOST, port=port, local_hostname="localhost",
                                       start_tls=False, timeout=TIMEOUT)
                       for _ in range(connections)]

    def open(self) -> None:
        for smtp in self._smtps:
            self.call(smtp.connect())

    def run(self, n: int) -> None:
        self.call(_each(n, [lambda s=s: s.send_message(email_message(self._to))
                            for s in self._smtps]))

    def close(self) -> None:
        for smtp in self._smtps:
            self.call(smtp.quit())
        self.close_loop()


class NetmailTasks(_LoopWorkload):
    """``send_mail_async`` from ``tasks`` asyncio tasks, one ``SmtpClient`` each."""

    def __init__(self, port: int, tasks: int, name: str = "netmail.send_mail_async") -> None:
        super().__init__()
        self.name, self._to = name, recipients(1)
        self._clients = [netmail.SmtpClient(HOST, port, timeout=TIMEOUT) for _ in range(tasks)]

    def open(self) -> None:
        self.run(len(self._clients))

    def run(self, n: int) -> None:
        self.call(_each(n, [lambda c=c: c.send_mail_async(netmail_message(self._to))
                            for c in self._clients]))

    def close(self) -> None:
        for client in self._clients:
            self.call(client.dispose_async())
        self.close_loop()


# -- threads -------------------------------------------------------------------------------


class Threaded:
    """``threads`` blocking workloads (one connection each), sharing out every batch."""

    def __init__(self, name: str, workloads: list[Workload]) -> None:
        self.name, self._workloads = name, workloads
        self._pool = ThreadPoolExecutor(len(workloads))

    def open(self) -> None:
        list(self._pool.map(lambda w: w.open(), self._workloads))

    def run(self, n: int) -> None:
        k = len(self._workloads)
        shares = [n // k + (i < n % k) for i in range(k)]
        list(self._pool.map(lambda w, s: w.run(s), self._workloads, shares))

    def close(self) -> None:
        list(self._pool.map(lambda w: w.close(), self._workloads))
        self._pool.shutdown()


# -- a fresh connection per message --------------------------------------------------------


class _Fresh:
    """A workload that opens its connections inside ``run``: nothing to open or close."""

    def __init__(self, port: int) -> None:
        self._port, self._to = port, recipients(1)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass


class NetmailFresh(_Fresh):
    """A new ``SmtpClient`` per message; ``dispose`` says QUIT and waits for the reply."""

    name = "netmail.send"

    def run(self, n: int) -> None:
        for _ in range(n):
            with netmail.SmtpClient(HOST, self._port, timeout=TIMEOUT) as client:
                client.send(netmail_message(self._to))


class SmtplibFresh(_Fresh):
    """A new ``smtplib.SMTP`` per message; leaving the ``with`` says QUIT."""

    name = "smtplib.send_message"

    def run(self, n: int) -> None:
        for _ in range(n):
            with smtplib.SMTP(HOST, self._port, local_hostname="localhost",
                              timeout=TIMEOUT) as smtp:
                smtp.send_message(email_message(self._to))


class AiosmtplibFresh(_LoopWorkload):
    """``aiosmtplib.send``, the one-shot API: connect, send, QUIT."""

    name = "aiosmtplib.send"

    def __init__(self, port: int) -> None:
        super().__init__()
        self._port, self._to = port, recipients(1)

    def open(self) -> None:
        pass

    def run(self, n: int) -> None:
        async def send_all() -> None:
            for _ in range(n):
                await aiosmtplib.send(email_message(self._to), hostname=HOST, port=self._port,
                                      local_hostname="localhost", start_tls=False,
                                      timeout=TIMEOUT)
        self.call(send_all())

    def close(self) -> None:
        self.close_loop()


# -- the fast driver for fake-server ingest ------------------------------------------------


class RawAsyncDriver(_LoopWorkload):
    """A minimal asyncio SMTP client on ``connections`` connections, for server ingest.

    It sends bytes rendered once and parses only reply codes, so the server is what runs out
    of CPU first. Commands go one at a time (no PIPELINING), as aiosmtpd never offers it.
    """

    def __init__(self, port: int, connections: int = 8, name: str = "") -> None:
        super().__init__()
        self.name, self._port, self._k = name, port, connections
        self._body = rendered(recipients(1)).replace(b"\r\n.", b"\r\n..") + b".\r\n"
        self._streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    @staticmethod
    async def _reply(reader: asyncio.StreamReader, expect: bytes) -> None:
        while True:
            line = await reader.readline()
            if not line.startswith(expect):
                raise RuntimeError(f"unexpected reply {line!r}, wanted {expect!r}")
            if line[3:4] != b"-":
                return

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(HOST, self._port)
        await self._reply(reader, b"220")
        writer.write(b"EHLO localhost\r\n")
        await self._reply(reader, b"250")
        return reader, writer

    async def _send(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for command, expect in ((b"MAIL FROM:<sender@example.com>\r\n", b"250"),
                                (b"RCPT TO:<rcpt0@example.com>\r\n", b"250"),
                                (b"DATA\r\n", b"354"), (self._body, b"250")):
            writer.write(command)
            await self._reply(reader, expect)

    def open(self) -> None:
        async def connect_all() -> None:
            self._streams = list(await asyncio.gather(*(self._connect()
                                                        for _ in range(self._k))))
        self.call(connect_all())

    def run(self, n: int) -> None:
        self.call(_each(n, [lambda r=r, w=w: self._send(r, w) for r, w in self._streams]))

    def close(self) -> None:
        async def quit_all() -> None:
            for reader, writer in self._streams:
                writer.write(b"QUIT\r\n")
                await self._reply(reader, b"221")
                writer.close()
                await writer.wait_closed()
        self.call(quit_all())
        self.close_loop()


ServerFactory = Callable[..., ServerProcess]
"""The pytest fixture's ``server(kind, pipelining=False)``."""

CLIENTS = ("netmail", "smtplib", "smtplib-prerendered", "aiosmtplib", "raw-asyncio")
"""The contenders on one kept connection, by the names the command-line tools take."""


def by_name(client: str, port: int, rcpts: int = 1) -> Workload:
    if client == "netmail":
        return NetmailKept(port, rcpts)
    if client == "aiosmtplib":
        return AiosmtplibKept(port, rcpts)
    if client == "raw-asyncio":
        return RawAsyncDriver(port, 8)
    return SmtplibKept(port, rcpts, prerendered=client == "smtplib-prerendered")
