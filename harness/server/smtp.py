"""``ScriptedSMTP``: an aiosmtpd server whose every step follows a ``ServerScript``.

aiosmtpd's hooks cannot change the greeting, refuse STARTTLS or DATA, or send malformed bytes,
so this subclass intercepts at three points instead: each command on its way to aiosmtpd (its
``smtp_*`` methods, overridden), each reply on its way out (``push``), and what the client sends
(each line aiosmtpd reads, through a recording stand-in for its stream reader, feeds the
transcript; in the data phase the raw bytes are kept as they arrive).
Everything the script does not ask for is aiosmtpd's own behaviour, but for one thing: a
command aiosmtpd does not know is refused as aiosmtpd refuses it, yet never ends the session.

Where no public hook does the job, a few private members of aiosmtpd and asyncio are used:
``PRIVATE_MEMBERS`` lists them, docs/aiosmtpd-internals.md says why and what breaks if one
changes, and tests/harness/test_aiosmtpd_canary.py checks them against the installed versions.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import hmac
import os
import secrets
import socket
import struct
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from types import FunctionType
from typing import Any, cast

import aiosmtpd
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session

from ..model import DEFAULT_ACTION, STEP_OF_VERB, Action, Sasl, ServerScript
from .certificates import server_context
from .grammar import well_formed_code
from .script import ScriptCursor, address_of
from .transcript import REDACTED, ReceivedMessage, Transcript

HOSTNAME = "harness.invalid"
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)

_READS = ("read", "readexactly", "readline", "readuntil")
"""The ``StreamReader`` methods aiosmtpd reads the client with."""


@dataclass(frozen=True)
class PrivateMember:
    """A private member of aiosmtpd or asyncio that ``ScriptedSMTP`` relies on."""

    owner: type
    name: str
    kind: type
    """``FunctionType`` for a method of ``owner``; else the type of the attribute an instance
    has once constructed."""
    parameters: tuple[str, ...] = ()
    """A method's parameters, ``self`` first."""

    def __str__(self) -> str:
        return f"{self.owner.__qualname__}.{self.name}"


PRIVATE_MEMBERS = (
    PrivateMember(SMTP, "_cb_client_connected", FunctionType, ("self", "reader", "writer")),
    PrivateMember(SMTP, "_smtp_methods", dict),
    PrivateMember(asyncio.StreamReader, "_buffer", bytearray),
)
"""Each is explained in docs/aiosmtpd-internals.md, which lists exactly these."""


class _Hooks:
    """aiosmtpd handler hooks; each hands over to the server that calls it. One per server,
    so that an exception in the harness's own code is recorded in its transcript: aiosmtpd
    would otherwise turn it into a 500 reply that a scenario could take for the script's.
    aiosmtpd's own failures (a handshake the client refused, an address its parser cannot
    read) stay what a real aiosmtpd server does: a 500 reply."""

    def __init__(self, transcript: Transcript) -> None:
        self._transcript = transcript

    async def handle_EHLO(self, server: ScriptedSMTP, session: Any, envelope: Any,
                          hostname: str, responses: list[str]) -> list[str]:
        return server.ehlo_lines(hostname)

    async def handle_DATA(self, server: ScriptedSMTP, session: Any, envelope: Any) -> str:
        return await server.end_of_data(envelope)

    async def handle_exception(self, error: Exception) -> str:
        if _raised_by_harness(error):
            self._transcript.harness_failed(f"{type(error).__name__}: {error}")
        return f"500 Error: ({type(error).__name__}) {error}"


_HARNESS_CODE = str(Path(__file__).parents[1]) + os.sep
_AIOSMTPD_CODE = str(Path(aiosmtpd.__file__).parent) + os.sep


def _raised_by_harness(error: BaseException) -> bool:
    """Whether the deepest frame of the harness or of aiosmtpd that ``error`` passed through
    is the harness's (the standard library's frames below either do not decide)."""
    owner = None
    for frame, _ in traceback.walk_tb(error.__traceback__):
        path = frame.f_code.co_filename
        if path.startswith(_HARNESS_CODE):
            owner = "harness"
        elif path.startswith(_AIOSMTPD_CODE):
            owner = "aiosmtpd"
    return owner == "harness"


class _Session(Session):
    """aiosmtpd's session, with ``login_data`` a plain attribute: aiosmtpd sets it after each
    AUTH, and the deprecated property would log a warning every time."""

    login_data: Any = None


_Command = Callable[[SMTP, str | None], Awaitable[None]]
"""An ``smtp_*`` method of aiosmtpd's, unbound."""
_BoundCommand = Callable[[str | None], Awaitable[None]]


def _scripted_command(verb: str,
                      ) -> Callable[[ScriptedSMTP, str | None], Coroutine[Any, Any, None]]:
    """An ``smtp_<verb>`` override: aiosmtpd's own command, run as the script says."""
    command: _Command = getattr(SMTP, f"smtp_{verb}")

    def scripted(self: ScriptedSMTP, arg: str | None) -> Coroutine[Any, Any, None]:
        return self._scripted(verb, command, arg)  # aiosmtpd awaits it: no frame in between
    return scripted


class _EveryCommand(dict[str, _BoundCommand]):
    """aiosmtpd's command table (``SMTP._smtp_methods``), which also answers verbs it lacks.

    aiosmtpd hangs up after five commands it does not know (``BOGUS_LIMIT``, a module global
    read by ``_handle_client`` into a local counter: nothing per server can change it). A
    client that sends its body while the server still reads commands (after a scripted DATA
    refusal, say) would then see a reply or a reset depending on timing. Here no command is
    unknown to aiosmtpd, so it counts none, and each is refused with aiosmtpd's own words
    (the one difference: like a known command, it restarts the idle timer).
    """

    def __init__(self, commands: dict[str, _BoundCommand],
                 refuse: Callable[[str, str | None], Awaitable[None]]) -> None:
        super().__init__(commands)
        self._refuse = refuse

    def get(self, verb: str, default: object = None, /) -> _BoundCommand:
        """The command for ``verb``; never ``default``, which is there for dict's signature."""
        known = super().get(verb)
        return known if known is not None else functools.partial(self._refuse, verb)


class ScriptedSMTP(SMTP):
    # Every aiosmtpd command runs through the script (test_aiosmtpd_canary checks none is left).
    smtp_AUTH = _scripted_command("AUTH")
    smtp_DATA = _scripted_command("DATA")
    smtp_EHLO = _scripted_command("EHLO")
    smtp_EXPN = _scripted_command("EXPN")  # type: ignore[assignment]  # unannotated in aiosmtpd
    smtp_HELO = _scripted_command("HELO")
    smtp_HELP = _scripted_command("HELP")
    smtp_MAIL = _scripted_command("MAIL")
    smtp_NOOP = _scripted_command("NOOP")
    smtp_QUIT = _scripted_command("QUIT")
    smtp_RCPT = _scripted_command("RCPT")
    smtp_RSET = _scripted_command("RSET")
    smtp_STARTTLS = _scripted_command("STARTTLS")
    smtp_VRFY = _scripted_command("VRFY")

    def __init__(self, script: ServerScript, cursor: ScriptCursor, transcript: Transcript,
                 loop: asyncio.AbstractEventLoop) -> None:
        sasl = script.sasl
        size = next((int(e.split()[1]) for e in script.extensions
                     if e.upper().startswith("SIZE ") and e.split()[1].isdigit()), None)
        super().__init__(
            _Hooks(transcript),
            hostname=HOSTNAME,
            ident="scripted",
            data_size_limit=size,
            enable_SMTPUTF8=any(e.upper() == "SMTPUTF8" for e in script.extensions),
            tls_context=server_context(script.certificate) if script.certificate else None,
            timeout=60,
            auth_require_tls=False,
            authenticator=self._check_credentials,
            auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN", "CRAM-MD5")
                                    if sasl is None or m not in sasl.mechanisms],
            loop=loop,
        )
        self._script, self._cursor, self._transcript = script, cursor, transcript
        self._connection = 0
        self.finished = False
        self._mode = "command"
        self._data = bytearray()
        self._greeted = False
        self._swallow_next_push = False
        self._data_reply: tuple[str, ...] | None = None
        self._drop_after_354 = False
        self._read_pause_after_354 = 0.0
        self._draining = False
        self._socket: Any = None  # the transport's socket (an asyncio TransportSocket)
        self._input: asyncio.StreamReader | None = None
        self._output: asyncio.StreamWriter | None = None
        self._recording: _RecordingReader | None = None
        self._smtp_methods = _EveryCommand(self._smtp_methods, self._refuse)

    def _create_session(self) -> Session:
        """aiosmtpd's documented hook for a session of one's own."""
        return _Session(self.loop)

    # -- recording ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._connection == 0:
            self._connection = self._transcript.connect(transport.get_extra_info("peername"))
            self._socket = transport.get_extra_info("socket")
        else:
            self._transcript.note(self._connection, "tls", "handshake complete")
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._transcript.note(self._connection, "close", f"({error or 'clean'})")
        self.finished = True
        super().connection_lost(error)

    def data_received(self, data: bytes) -> None:
        if self._mode == "data" and not self._draining:
            self._data += data
            # Acknowledge body pieces at once: clients that write a body in pieces (.NET,
            # Mono) otherwise stall ~40 ms per message on Nagle's algorithm meeting our
            # delayed ACK. Commands are answered by a reply, which carries the ACK anyway.
            if _QUICKACK is not None and self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        super().data_received(data)

    def eof_received(self) -> bool:
        """The client closed its side: end the session (as aiosmtpd does) and close ours."""
        super().eof_received()
        return False

    def _cb_client_connected(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        """Where aiosmtpd takes the connection's streams: it gets a recording reader."""
        self._input, self._output = reader, writer
        self._recording = _RecordingReader(reader, self._record)
        super()._cb_client_connected(self._recording, writer)  # type: ignore[arg-type]

    def _record(self, data: bytes) -> bytes:
        """Note a line the server read outside the data phase."""
        if self._draining:
            if data:  # the server has stopped listening: seen, but not processed
                self._transcript.note(self._connection, "ignored",
                                      data.decode("utf-8", "backslashreplace").rstrip())
        elif self._mode == "auth":
            self._transcript.note(self._connection, "client", REDACTED)
        elif data:
            self._transcript.client_line(self._connection, data)
        return data

    def _enter_data_phase(self) -> None:
        """From here ``data_received`` keeps the raw bytes, and aiosmtpd's reads go straight
        to the stream (a recorded read per line of every body would cost a coroutine each).
        Bytes received but not yet read (a body sent before the 354) are the phase's first."""
        assert self._input is not None and self._recording is not None
        self._data = bytearray(self._input._buffer)  # type: ignore[attr-defined]
        self._mode = "data"
        self._recording.record(False)

    def _leave_data_phase(self) -> None:
        assert self._recording is not None
        self._recording.record(True)

    def _data_read(self) -> bytes:
        """The raw bytes of this data phase that the server has read so far."""
        assert self._input is not None
        unread = 0 if self._draining else len(self._input._buffer)  # type: ignore[attr-defined]
        return bytes(self._data[:len(self._data) - unread])

    async def push(self, status: Any) -> None:
        if not self._greeted:
            self._greeted = True
            action = self._cursor.next_action("greeting", None)
            await self._perform(action, lambda: self._write(status))
            return
        if self._swallow_next_push:
            self._swallow_next_push = False
            return
        opens_data = str(status).startswith("354")
        if self._data_reply is not None and opens_data:
            status, self._data_reply = "\r\n".join(self._data_reply), None
        await self._write(status)
        if opens_data and self._read_pause_after_354:
            self._pause_reading(self._read_pause_after_354)
            self._read_pause_after_354 = 0.0
        if opens_data and self._drop_after_354:
            self._drop_after_354 = False
            self._drop(reset=False)

    def _stream_transport(self) -> asyncio.Transport:
        """The connection's transport, which aiosmtpd types as the base class; a connection
        (TLS or not) always has a stream transport, with flow control and half-close. (A
        method: aiosmtpd's constructor reads every attribute, before there is a transport.)"""
        assert self.transport is not None
        return cast(asyncio.Transport, self.transport)

    def _pause_reading(self, seconds: float) -> None:
        """Read nothing for ``seconds``: what the client sends waits in the socket buffers."""
        transport = self._stream_transport()
        self._transcript.note(self._connection, "note", f"reading paused for {seconds:g} s")
        if self._socket is not None:  # a fixed receive buffer: the kernel stops growing it
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        transport.pause_reading()

        def resume() -> None:
            if self.transport is not None and not self.transport.is_closing():
                self._stream_transport().resume_reading()
        asyncio.get_running_loop().call_later(seconds, resume)

    async def _write(self, status: str | bytes) -> None:
        if self._closing():
            return
        text = status if isinstance(status, str) else status.decode("utf-8", "replace")
        for line in text.split("\r\n"):
            self._transcript.note(self._connection, "server", line)
        if isinstance(status, str):  # two calls, one per type: push is generic in AnyStr
            await super().push(status)
        else:
            await super().push(status)

    async def _write_raw(self, data: bytes) -> None:
        if self._closing():
            return
        self._transcript.note(self._connection, "server",
                              f"(raw) {data.decode('utf-8', 'backslashreplace')!r}")
        assert self._output is not None
        self._output.write(data)
        await self._output.drain()

    def _closing(self) -> bool:
        return self.transport is None or self.transport.is_closing() or self._draining

    # -- the script -----------------------------------------------------------------------

    async def _refuse(self, verb: str, arg: str | None) -> None:
        """A command aiosmtpd does not know, refused in aiosmtpd's words (``_EveryCommand``)."""
        await self.push(f'500 Error: command "{verb}" not recognized')

    async def _scripted(self, verb: str, command: _Command, arg: str | None) -> None:
        if self._draining:
            return
        step = STEP_OF_VERB.get(verb)
        if verb == "AUTH" and arg:
            mechanism, _, rest = arg.partition(" ")  # RFC 4954: names are case-insensitive
            arg = f"{mechanism.upper()} {rest}".strip()
        if (verb in ("MAIL", "RCPT", "DATA") and self._script.sasl and self._script.sasl.required
                and self.session is not None and not self.session.authenticated):
            await self._write("530 5.7.0 Authentication required")
            return
        action = self._cursor.next_action(step, arg) if step else DEFAULT_ACTION

        async def default() -> None:
            mode = self._mode
            if verb == "DATA":
                self._enter_data_phase()
            elif verb == "AUTH":
                self._mode = "auth"
            try:
                await command(self, arg)
            finally:
                self._mode = mode
                if verb == "DATA":
                    self._leave_data_phase()

        if verb == "DATA" and action.read_pause:
            self._read_pause_after_354 = action.read_pause
        if verb == "DATA" and action.reply and reply_code(action.reply[0]) == 354:
            # A scripted 354 still opens the data phase: aiosmtpd's own 354 is replaced by it.
            self._data_reply = action.reply
            action = replace(action, reply=None)
        if verb == "DATA" and action.reply is None and action.raw is None and (
                action.drop == "after"):
            # "After the reply" to DATA is after the 354, not after the whole data phase.
            self._drop_after_354 = True
            action = replace(action, drop=None)
        await self._perform(action, default, lambda code: self._accepted(verb, arg, code))

    async def _perform(self, action: Action, default: Callable[[], Awaitable[None]],
                       accepted: Callable[[int], None] | None = None) -> None:
        """Wait, then drop, write raw bytes, reply, or let the server do what it normally does."""
        if action.delay:
            await asyncio.sleep(action.delay)
        if self._closing():
            return
        if action.drop in ("before", "reset"):
            self._drop(reset=action.drop == "reset")
            return
        if action.pieces:
            for number, piece in enumerate(action.pieces):
                if number:
                    await asyncio.sleep(action.interval)
                await self._write_raw(piece.encode("utf-8", "surrogateescape"))
        elif action.raw is not None:
            await self._write_raw(action.raw.encode("utf-8", "surrogateescape"))
        elif action.reply is not None:
            if accepted is not None and (code := reply_code(action.reply[0])) is not None:
                accepted(code)
            await self._write("\r\n".join(action.reply))
        else:
            await default()
        if action.drop == "after":
            self._drop(reset=False)

    def _drop(self, *, reset: bool) -> None:
        """End the conversation: RST for a reset; otherwise stop talking (FIN) and ignore
        whatever the client still sends until it closes, so every client sees a clean end of
        stream rather than a FIN or a RST depending on timing."""
        self._transcript.note(self._connection, "note", "reset" if reset else "drop")
        transport = self._stream_transport()
        if not reset and transport.can_write_eof():
            try:
                transport.write_eof()
            except OSError:  # the client has already gone (it closed after its QUIT)
                transport.abort()
                return
            if self._mode == "data":  # what is read from now on is ignored, not data
                self._data = bytearray(self._data_read())
            self._draining = True
            self._leave_data_phase()
        elif reset:
            if self._socket is not None:  # linger 0: the close sends RST instead of FIN
                self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()

    def _accepted(self, verb: str, arg: str | None, code: int) -> None:
        """A scripted 2xx reply keeps aiosmtpd's state as if it had accepted the command."""
        if not 200 <= code < 300 or self.session is None or self.envelope is None:
            return
        if verb in ("EHLO", "HELO"):
            self.session.host_name = arg or "unknown"
            self.session.extended_smtp = verb == "EHLO"
        elif verb == "MAIL":
            self.envelope.mail_from = address_of(arg)
        elif verb == "RCPT":
            self.envelope.rcpt_tos.append(address_of(arg))
        elif verb == "AUTH":
            self.session.authenticated = True

    def ehlo_lines(self, hostname: str) -> list[str]:
        assert self.session is not None
        self.session.host_name = hostname
        keywords = list(self._script.extensions)
        if self._script.certificate and self.session.ssl is None:  # TLS not yet started
            keywords.append("STARTTLS")
        if self._script.sasl is not None:
            keywords.append("AUTH " + " ".join(self._script.sasl.mechanisms))
        lines = [HOSTNAME, *keywords]
        return [f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"]

    async def end_of_data(self, envelope: Any) -> str:
        """Reply to the end of the data as scripted, and record the message."""
        raw, self._data = self._data_read(), bytearray()
        raw = raw[:-3] if raw.endswith(b".\r\n") else raw
        action = self._cursor.next_action("end_of_data", None)
        delivered = _accepts(action) and action.drop not in ("before", "reset")
        if action.delay:
            await asyncio.sleep(action.delay)
        delivered = delivered and not self._closing()
        self._transcript.messages.append(ReceivedMessage(
            self._connection, envelope.mail_from, tuple(envelope.rcpt_tos), raw, delivered))
        await self._perform(replace(action, delay=0.0, match=None, pattern=None),
                            lambda: self._write("250 OK"))
        self._swallow_next_push = True
        return "250 OK"

    def _check_credentials(self, server: SMTP, session: Any, envelope: Any, mechanism: str,
                            auth_data: Any) -> AuthResult:
        sasl = self._script.sasl or Sasl()
        users = dict(sasl.users)
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode("utf-8", "replace")
            if users.get(user) == auth_data.password.decode("utf-8", "replace"):
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False, message=sasl.reject)

    async def auth_CRAM__MD5(self, server: SMTP, args: list[str]) -> AuthResult:
        sasl = self._script.sasl or Sasl()
        nonce = f"<{secrets.token_hex(8)}@{HOSTNAME}>".encode()
        answer = await self.challenge_auth(base64.b64encode(nonce).decode(), encode_to_b64=False)
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=True)
        user, _, digest = answer.decode("utf-8", "replace").rpartition(" ")
        password = dict(sasl.users).get(user)
        expected = (hmac.new(password.encode(), nonce, hashlib.md5).hexdigest()
                    if password is not None else None)
        if expected is not None and hmac.compare_digest(expected, digest):
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False, message=sasl.reject)


def _accepts(action: Action) -> bool:
    """Whether the reply an action sends after the data is a well-formed 2xx (delivery)."""
    code = sent_code(action, 250)
    return code is not None and 200 <= code < 300


def sent_code(action: Action, normal: int) -> int | None:
    """The code of the reply ``action`` sends (``normal`` when it lets the server behave
    normally), or None when that reply is not well formed (the judge's grammar, not a
    client's: ``grammar.well_formed_code``)."""
    if action.raw is not None:
        return well_formed_code(action.raw)
    if action.reply is not None:
        return well_formed_code("".join(line + "\r\n" for line in action.reply))
    return normal


def reply_code(text: str) -> int | None:
    """The three-digit code a reply line starts with, or None."""
    digits = text[:3]
    return int(digits) if len(digits) == 3 and digits.isdigit() else None


class _RecordingReader:
    """The stream as aiosmtpd reads it: outside the data phase, each read is also recorded.

    A stand-in rather than read methods patched onto the stream, which the stream calls
    itself (``readline`` calls ``readuntil``: a line would be recorded twice). In the data
    phase its read methods are the stream's own, with nothing in between: a recorded read per
    body line cost 4% of a scripted server's instructions per 1 KiB message (callgrind).
    Anything else aiosmtpd touches (``_buffer``, ``_transport`` at STARTTLS) is the stream's.
    """

    __slots__ = ("_direct", "_recorded", "_stream", *_READS)

    def __init__(self, stream: asyncio.StreamReader, record: Callable[[bytes], bytes]) -> None:
        direct = tuple(getattr(stream, name) for name in _READS)
        object.__setattr__(self, "_stream", stream)
        object.__setattr__(self, "_direct", direct)
        object.__setattr__(self, "_recorded", tuple(_recorded(read, record) for read in direct))
        self.record(True)

    def record(self, on: bool) -> None:
        """Record what each read returns (on), or let aiosmtpd read the stream itself."""
        for set_read, read in zip(_SET_READS, self._recorded if on else self._direct,
                                  strict=True):
            set_read(self, read)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._stream, name, value)


_SET_READS = tuple(getattr(_RecordingReader, name).__set__ for name in _READS)
"""The read slots' own setters (``__setattr__`` is the stream's), half the cost of
``object.__setattr__`` at each DATA."""


def _recorded(read: Callable[..., Awaitable[bytes]],
              record: Callable[[bytes], bytes]) -> Callable[..., Awaitable[bytes]]:
    """``read``, with what it returns passed through ``record``."""

    async def recorded(*args: Any) -> bytes:
        return record(await read(*args))
    return recorded
