"""``SmtpClient``: the pre-send checks, delivery, connection reuse, and the async sends.

The documented contract of ``System.Net.Mail.SmtpClient.Send`` is kept here: every argument
and state check runs before any connection is opened, in .NET's order; after that, nothing but
``SmtpException`` (or one of its recipient subclasses) leaves a send.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .auth import NetworkCredential
from .errors import (
    ArgumentException,
    ArgumentNullException,
    ArgumentOutOfRangeException,
    InvalidOperationException,
    ObjectDisposedException,
    SmtpException,
)
from .message import MailAddress, MailMessage
from .pickup import write_pickup_file
from .rendering import needs_smtputf8, render
from .session import (
    Envelope,
    Extensions,
    HandshakeSettings,
    Transaction,
    handshake,
    mail_transaction,
    recipients_error,
)
from .transport import AsyncConnection, Connection, Deadline, drive, drive_async

DEFAULT_TIMEOUT = 100.0
_QUIT_WAIT = 2.0


class SmtpDeliveryMethod(Enum):
    Network = "network"
    SpecifiedPickupDirectory = "pickup"
    PickupDirectoryFromIis = "pickup-iis"


@dataclass(frozen=True)
class AsyncCompletedEventArgs:
    """What ``send_completed`` handlers receive when a ``send_async`` ends."""

    error: BaseException | None
    cancelled: bool
    user_token: Any


SendCompletedHandler = Callable[["SmtpClient", AsyncCompletedEventArgs], None]


@functools.cache
def _local_name() -> str:
    """The EHLO argument: this host's name in ASCII, without a DNS lookup."""
    try:
        name = socket.gethostname().encode("idna").decode("ascii")
    except UnicodeError:
        name = ""
    name = "".join(c for c in name if c.isalnum() or c in "-.")
    return name or "localhost"


class SmtpClient:
    """Sends ``MailMessage`` objects over SMTP, or into a pickup directory."""

    def __init__(
        self,
        host: str | None = None,
        port: int = 25,
        *,
        credentials: NetworkCredential | None = None,
        enable_ssl: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        delivery_method: SmtpDeliveryMethod = SmtpDeliveryMethod.Network,
        pickup_directory_location: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        client_domain: str | None = None,
    ) -> None:
        if port < 0:
            raise ArgumentOutOfRangeException("The port must not be negative.", "port")
        self._lock = threading.Lock()
        self._busy = False
        self._disposed = False
        self._cancel_requested = False
        self._async_thread: threading.Thread | None = None
        self._connection: Connection | AsyncConnection | None = None
        self._extensions: Extensions | None = None
        self._host = host
        self._port = port
        self._timeout = self._checked_timeout(timeout)
        self.credentials = credentials
        self.enable_ssl = enable_ssl
        self.delivery_method = delivery_method
        self.pickup_directory_location = pickup_directory_location
        self.ssl_context = ssl_context
        self.client_domain = client_domain
        self.send_completed: list[SendCompletedHandler] = []

    # -- properties; none may change while a message is being sent -------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _GUARDED and getattr(self, "_busy", False):
            raise InvalidOperationException(
                "This operation cannot be performed while a message is being sent."
            )
        super().__setattr__(name, value)

    @property
    def host(self) -> str | None:
        return self._host

    @host.setter
    def host(self, value: str | None) -> None:
        """As .NET: None and "" are refused here; white space is taken, and ``send`` then
        refuses it (InvalidOperationException), as it refuses no host at all."""
        if value is None:
            raise ArgumentNullException("The host must not be None.", "value")
        if not value:
            raise ArgumentException("The host must not be empty.", "value")
        self._host = value
        self._forget_connection()

    @property
    def _server_name(self) -> str:
        """The host to connect to and to check the certificate against: ``host`` without
        the white space around it ("" when there is none)."""
        return (self._host or "").strip()

    @property
    def port(self) -> int:
        return self._port

    @port.setter
    def port(self, value: int) -> None:
        if value <= 0:
            raise ArgumentOutOfRangeException("The port must be greater than 0.", "value")
        self._port = value
        self._forget_connection()

    @property
    def timeout(self) -> float:
        """Seconds one whole ``send`` may take, from connecting to the last reply."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._timeout = self._checked_timeout(value)

    @staticmethod
    def _checked_timeout(value: float) -> float:
        if value < 0:
            raise ArgumentOutOfRangeException("The timeout must not be negative.", "value")
        return float(value)

    # -- sending ----------------------------------------------------------------------------

    def send(self, message: MailMessage | None) -> None:
        """Send ``message`` and block until it is delivered or has failed."""
        self._begin(message)
        try:
            assert message is not None
            self._deliver(message)
        finally:
            self._end()

    async def send_mail_async(self, message: MailMessage | None) -> None:
        """Send ``message`` from asyncio code; the same contract as ``send``."""
        self._begin(message)
        try:
            assert message is not None
            await self._deliver_async(message)
        finally:
            self._end()

    def send_async(self, message: MailMessage | None, user_token: Any = None) -> None:
        """Start sending on a background thread; ``send_completed`` handlers hear the end.

        A pickup-directory delivery is written before the call returns, as .NET writes it, so
        its failure is raised from the call; the handlers still hear the end."""
        self._begin(message)
        self._cancel_requested = False
        assert message is not None
        if self.delivery_method is not SmtpDeliveryMethod.Network:
            try:
                self._deliver_to_pickup(message)
            except BaseException:
                self._end()
                raise
            message = None  # delivered: the background thread only reports it
        thread = threading.Thread(target=self._run_in_background, args=(message, user_token),
                                  name="netmail-send-async", daemon=True)
        self._async_thread = thread
        thread.start()

    def send_async_cancel(self) -> None:
        """Cancel a running ``send_async``; its handlers see ``cancelled=True``."""
        if self._disposed:
            raise ObjectDisposedException()
        thread = self._async_thread
        if thread is None or not thread.is_alive():
            return
        self._cancel_requested = True
        connection = self._connection
        if isinstance(connection, Connection):
            connection.abort()

    def _run_in_background(self, message: MailMessage | None, user_token: Any) -> None:
        """Deliver ``message`` (None: already delivered) and tell the handlers."""
        error: BaseException | None = None
        try:
            if message is not None:
                self._deliver(message)
        except Exception as exc:
            error = exc
        cancelled = self._cancel_requested
        self._cancel_requested = False  # a cancel ends with the send it cancelled
        self._end()
        args = AsyncCompletedEventArgs(None if cancelled else error, cancelled, user_token)
        for handler in list(self.send_completed):
            handler(self, args)

    def _begin(self, message: MailMessage | None) -> None:
        """The documented checks, in .NET's order, before anything touches the network."""
        with self._lock:
            if self._disposed:
                raise ObjectDisposedException()
            if self._busy:
                raise InvalidOperationException(
                    "An asynchronous call is already in progress. It must be completed or "
                    "canceled before you can call this method."
                )
            if message is None:
                raise ArgumentNullException("The message must not be None.", "message")
            if self.delivery_method is SmtpDeliveryMethod.Network:
                if not self._server_name:
                    raise InvalidOperationException("The SMTP host was not specified.")
                if not 0 < self._port <= 65535:
                    raise InvalidOperationException(
                        "The specified port is invalid. The port must be greater than 0 "
                        "and at most 65535."
                    )
            if message.from_ is None:
                raise InvalidOperationException("A from address must be specified.")
            if not message.recipients:
                raise InvalidOperationException("A recipient must be specified.")
            super().__setattr__("_busy", True)

    def _end(self) -> None:
        super().__setattr__("_busy", False)

    # -- delivery ---------------------------------------------------------------------------

    def _prepare(self, message: MailMessage) -> tuple[Envelope, bytes | bytearray]:
        """Envelope and rendered body; done before connecting, so a bad message costs no I/O."""
        utf8 = needs_smtputf8(message)
        try:
            body = render(message, utf8=utf8)
        except (OSError, ValueError, LookupError) as exc:
            raise SmtpException("Failure sending mail.", inner_exception=exc) from exc
        sender = message.sender or message.from_
        assert sender is not None
        return Envelope(sender, tuple(message.recipients), utf8), body

    def _deliver_to_pickup(self, message: MailMessage) -> None:
        if self.enable_ssl:
            raise SmtpException("SSL must not be enabled for pickup-directory delivery methods.")
        if self.delivery_method is SmtpDeliveryMethod.PickupDirectoryFromIis:
            cause = NotImplementedError("IIS delivery is not supported.")
            raise SmtpException("Failure sending mail.", inner_exception=cause) from cause
        envelope, body = self._prepare(message)
        try:
            write_pickup_file(self.pickup_directory_location, envelope, body)
        except OSError as exc:
            raise SmtpException("Failure sending mail.", inner_exception=exc) from exc

    def _deliver(self, message: MailMessage) -> None:
        if self.delivery_method is not SmtpDeliveryMethod.Network:
            self._deliver_to_pickup(message)
            return
        deadline = Deadline(self._timeout)
        envelope, body = self._prepare(message)
        try:
            for retry_allowed in (True, False):
                connection, extensions, reused = self._sync_connection(deadline)
                replies_before = connection.replies_read
                try:
                    failures = drive(self._transaction(envelope, body, extensions),
                                     connection, deadline, self._tls())
                    break
                except ConnectionError:
                    if not (retry_allowed and reused
                            and connection.replies_read == replies_before):
                        raise
                    self._forget_connection()
        except Exception as exc:
            self._forget_connection()
            failure = _as_smtp_exception(exc, deadline, self._cancel_requested)
            raise failure from failure.__cause__
        if failures:
            raise recipients_error(failures)

    def _sync_connection(self, deadline: Deadline) -> tuple[Connection, Extensions, bool]:
        kept = self._connection
        if isinstance(kept, Connection) and self._extensions is not None and not kept.is_stale():
            return kept, self._extensions, True
        self._forget_connection()
        connection = Connection.open(self._server_name, self._port, deadline)
        self._connection = connection
        if self._cancel_requested:
            raise ConnectionAbortedError("The send was cancelled.")
        self._extensions = drive(handshake(self._handshake_settings()), connection, deadline,
                                 self._tls())
        return connection, self._extensions, False

    async def _deliver_async(self, message: MailMessage) -> None:
        if self.delivery_method is not SmtpDeliveryMethod.Network:
            self._deliver_to_pickup(message)
            return
        deadline = Deadline(self._timeout)
        envelope, body = self._prepare(message)
        try:
            async with asyncio.timeout(deadline.remaining()):
                for retry_allowed in (True, False):
                    connection, extensions, reused = await self._async_connection()
                    replies_before = connection.replies_read
                    try:
                        failures = await drive_async(
                            self._transaction(envelope, body, extensions), connection, self._tls()
                        )
                        break
                    except ConnectionError:
                        if not (retry_allowed and reused
                                and connection.replies_read == replies_before):
                            raise
                        self._forget_connection()
        except asyncio.CancelledError:
            self._forget_connection()
            raise
        except Exception as exc:
            self._forget_connection()
            failure = _as_smtp_exception(exc, deadline, False)
            raise failure from failure.__cause__
        if failures:
            raise recipients_error(failures)

    async def _async_connection(self) -> tuple[AsyncConnection, Extensions, bool]:
        kept = self._connection
        if (isinstance(kept, AsyncConnection) and self._extensions is not None
                and not kept.is_stale()):
            return kept, self._extensions, True
        self._forget_connection()
        connection = await AsyncConnection.open(self._server_name, self._port)
        self._connection = connection
        self._extensions = await drive_async(handshake(self._handshake_settings()), connection,
                                             self._tls())
        return connection, self._extensions, False

    def _transaction(self, envelope: Envelope, body: bytes | bytearray,
                     extensions: Extensions) -> Transaction:
        if envelope.utf8 and "SMTPUTF8" not in extensions:
            raise SmtpException(
                "The client or server is only configured for E-mail addresses with ASCII "
                f"local-parts: {next(a.address for a in _addresses(envelope) if a.needs_smtputf8)}."
            )
        return mail_transaction(envelope, body, extensions)

    def _handshake_settings(self) -> HandshakeSettings:
        return HandshakeSettings(self.client_domain or _local_name(), self.enable_ssl,
                                 self.credentials)

    def _tls(self) -> tuple[ssl.SSLContext, str]:
        context = self.ssl_context or _default_tls_context()
        return context, self._server_name

    def _forget_connection(self) -> None:
        """Drop the kept connection without a word to the server (after a failure)."""
        connection, self._extensions = self._connection, None
        super().__setattr__("_connection", None)
        if connection is not None:
            connection.abort()

    # -- lifetime ---------------------------------------------------------------------------

    def dispose(self) -> None:
        """Cancel a running ``send_async``, say QUIT on a kept connection, and close."""
        if self._disposed:
            return
        thread = self._async_thread
        if thread is not None and thread.is_alive():
            self.send_async_cancel()
            thread.join(self._timeout + 1)
        self._disposed = True
        connection, self._extensions = self._connection, None
        super().__setattr__("_connection", None)
        if isinstance(connection, Connection):
            connection.quit(min(self._timeout, _QUIT_WAIT))
        elif connection is not None:
            connection.abort()

    async def dispose_async(self) -> None:
        """``dispose`` for asyncio code: says QUIT on a kept asyncio connection too."""
        connection = self._connection
        if isinstance(connection, AsyncConnection) and not connection.is_stale():
            super().__setattr__("_connection", None)
            await connection.quit(min(self._timeout, _QUIT_WAIT))
        self.dispose()

    def __enter__(self) -> SmtpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    async def __aenter__(self) -> SmtpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.dispose_async()


_GUARDED = frozenset({"_host", "_port", "_timeout", "credentials", "enable_ssl",
                      "delivery_method", "pickup_directory_location", "ssl_context",
                      "client_domain"})


@functools.cache
def _default_tls_context() -> ssl.SSLContext:
    """Certificate and host-name verification on, as ``ssl.create_default_context`` sets it."""
    return ssl.create_default_context()


def _addresses(envelope: Envelope) -> tuple[MailAddress, ...]:
    return (envelope.sender, *envelope.recipients)


def _as_smtp_exception(exc: Exception, deadline: Deadline, cancelled: bool) -> SmtpException:
    """Map any failure after the checks onto the contract's ``SmtpException``."""
    if isinstance(exc, SmtpException):
        return exc
    if cancelled:
        return SmtpException("The send was cancelled.", inner_exception=exc)
    if isinstance(exc, TimeoutError) or deadline.expired:
        return SmtpException("The operation has timed out.")
    return SmtpException("Failure sending mail.", inner_exception=exc)

