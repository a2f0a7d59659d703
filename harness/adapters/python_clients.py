"""In-process adapters for Python's own SMTP clients: CPython's ``smtplib`` and ``aiosmtplib``.

Each request is carried out the way a careful user of the library sends the same message with
the same settings, and whatever the library does is reported as it is (class names never
translated):

* the message is an ``email.message.EmailMessage`` (From, To, Cc, Subject, body, attachments;
  Bcc only in the envelope), sent with ``send_message(msg, to_addrs=to + cc + bcc)``;
* each send builds the message, opens the client if it is not open yet (connect with the
  timeout, STARTTLS with ``ssl.create_default_context(cafile=ca_file)`` when ``enable_ssl``,
  ``login`` when there are credentials), then sends. A failure to open is that send's outcome;
  the half-open client is quit and the next send opens again. Once open, the one client is
  reused for every send and never reconnected by the adapter (a dropped connection is the
  library's to notice);
* ``disposed``: open the client, ``quit()`` it, then send on it;
* ``send-in-progress``: smtplib has no asynchronous send (not runnable); aiosmtplib starts a
  send task, sends again on the same client once the first has a connection in progress,
  then cancels the first;
* ``api: send_async``: smtplib has no asynchronous send (not runnable); aiosmtplib's one send
  is already its asynchronous send, so it is used as for ``send``;
* ``configure: properties``: neither has setters to configure it through (not runnable);
* the client is quit at the end (best effort).

A send that *returns* refused recipients (both libraries do, when some but not all RCPTs are
refused) raised nothing: its outcome is a success that lists ``failed_recipients``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import smtplib
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from email.message import EmailMessage
from types import ModuleType
from typing import Any

from ..model import ASYNC_STATES, FailedRecipient, MessageSpec
from ..outcome import Outcome
from .base import ClientRequest
from .process import ClientUnavailable, NotRunnable

_POLL = 0.005


def build_message(spec: MessageSpec | None) -> EmailMessage | None:
    """The message as a careful user builds it: no From header when there is no sender."""
    if spec is None:
        return None
    message = EmailMessage()
    if spec.from_ is not None:
        message["From"] = spec.from_
    if spec.to:
        message["To"] = ", ".join(spec.to)
    if spec.cc:
        message["Cc"] = ", ".join(spec.cc)
    if spec.subject is not None:
        message["Subject"] = spec.subject
    for name, value in spec.headers:
        message[name] = value
    message.set_content(spec.body or "", subtype="html" if spec.html else "plain")
    for name, media_type, content, source in spec.attachments:
        if source == "failing-stream":  # the user's code reads it, and the read fails
            raise OSError(f"reading the stream of attachment {name!r} failed")
        maintype, _, subtype = media_type.partition("/")
        if maintype == "text":
            message.add_attachment(content, subtype=subtype or "plain", filename=name)
        else:
            message.add_attachment(content.encode(), maintype=maintype,
                                   subtype=subtype or "octet-stream", filename=name)
    return message


def envelope(spec: MessageSpec | None) -> list[str] | None:
    """``to + cc + bcc`` (``None`` for a null message: the library derives nothing from it)."""
    return None if spec is None else [*spec.to, *spec.cc, *spec.bcc]


def tls_context(request: ClientRequest) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=request.ca_file)


def describe(exc: BaseException, code_attribute: str) -> Outcome:
    """What was raised: class, the SMTP code it carries, message, cause (or context) and the
    refused recipients of a recipients exception."""
    inner = exc.__cause__
    if inner is None and not exc.__suppress_context__:
        inner = exc.__context__
    code = getattr(exc, code_attribute, None)
    return Outcome(
        exception=type(exc).__name__,
        status_code=code if isinstance(code, int) else None,
        message=str(exc),
        inner=type(inner).__name__ if inner is not None else None,
        inner_bases=tuple(c.__name__ for c in type(inner).__mro__[1:]) if inner else (),
        failed_recipients=_raised_recipients(exc),
    )


def _raised_recipients(exc: BaseException) -> tuple[FailedRecipient, ...]:
    recipients = getattr(exc, "recipients", None)
    if isinstance(recipients, dict):  # smtplib: {address: (code, reply)}
        return refused(recipients)
    if isinstance(recipients, list):  # aiosmtplib: [SMTPRecipientRefused, ...]
        return tuple(FailedRecipient(f"<{r.recipient}>", _int(getattr(r, "code", None)))
                     for r in recipients if hasattr(r, "recipient"))
    if hasattr(exc, "recipient"):  # aiosmtplib's single SMTPRecipientRefused
        return (FailedRecipient(f"<{exc.recipient}>", _int(getattr(exc, "code", None))),)
    return ()


def refused(recipients: dict[str, Any]) -> tuple[FailedRecipient, ...]:
    """``{address: (code, reply)}`` as both libraries return (or raise) it."""
    return tuple(FailedRecipient(f"<{address}>", _int(reply[0] if reply else None))
                 for address, reply in recipients.items())


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _check_runnable(request: ClientRequest, library: str) -> None:
    if request.delivery_method != "network":
        raise NotRunnable(f"{library} has no pickup-directory delivery "
                          f"(delivery_method {request.delivery_method!r}); it only speaks SMTP")
    if request.configure != "constructor":
        raise NotRunnable(f"{library} takes its host and port when it connects: it has no "
                          "Host, Port or Timeout setters to configure it through")


def _timed(started: float, outcome: Outcome) -> Outcome:
    return replace(outcome, seconds=time.monotonic() - started)


class SmtplibAdapter:
    """CPython's ``smtplib.SMTP``."""

    def __init__(self, name: str = "smtplib") -> None:
        self.name = name
        self.lacks = frozenset({"pickup", "async", "properties"})

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def run(self, request: ClientRequest) -> list[Outcome]:
        _check_runnable(request, "smtplib")
        if request.state in ASYNC_STATES or request.api == "send_async":
            raise NotRunnable("smtplib has no asynchronous send")
        session = _SmtplibSession(request)
        outcomes: list[Outcome] = []
        try:
            if request.state == "disposed":
                opened = self._capture(session.open)
                session.dispose()
                if opened.exception is not None:
                    outcomes.append(opened)
            while len(outcomes) < request.sends:
                outcomes.append(self._capture(session.send))
        finally:
            session.quit()
        return outcomes

    @staticmethod
    def _capture(call: Callable[[], Outcome]) -> Outcome:
        started = time.monotonic()
        try:
            outcome = call()
        except Exception as exc:
            outcome = describe(exc, "smtp_code")
        return _timed(started, outcome)


class _SmtplibSession:
    def __init__(self, request: ClientRequest) -> None:
        self.request = request
        self.client: smtplib.SMTP | None = None

    def open(self) -> Outcome:
        request = self.request
        # A null host is passed on as it is (smtplib then does not connect), as a null message is.
        client = smtplib.SMTP(request.host, request.port,  # type: ignore[arg-type]
                              timeout=request.timeout)
        try:
            if request.enable_ssl:
                client.starttls(context=tls_context(request))
            if request.credentials is not None:
                client.login(*request.credentials)
        except BaseException:
            _quit_smtplib(client)
            raise
        self.client = client
        return Outcome()

    def send(self) -> Outcome:
        message = build_message(self.request.message)
        if self.client is None:
            self.open()
        assert self.client is not None
        # A null message is passed on as it is: what the library does with it is the outcome.
        refusals = self.client.send_message(
            message, to_addrs=envelope(self.request.message))  # type: ignore[arg-type]
        return Outcome(failed_recipients=refused(refusals or {}))

    def dispose(self) -> None:
        if self.client is None:
            # Opening failed: the disposed client is one that never connected.
            self.client = smtplib.SMTP(timeout=self.request.timeout)
        _quit_smtplib(self.client)

    def quit(self) -> None:
        if self.client is not None:
            _quit_smtplib(self.client)


def _quit_smtplib(client: smtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        client.quit()
    client.close()


class AiosmtplibAdapter:
    """``aiosmtplib.SMTP``, one event loop per request."""

    def __init__(self, name: str = "aiosmtplib") -> None:
        self.name = name
        self.lacks = frozenset({"pickup", "properties"})

    def start(self) -> None:
        _aiosmtplib()  # fail here, not per scenario, when it is missing

    def close(self) -> None:
        pass

    def run(self, request: ClientRequest) -> list[Outcome]:
        _check_runnable(request, "aiosmtplib")
        _aiosmtplib()  # a missing library is the harness's problem, never a send's outcome
        return asyncio.run(self._run(request))

    async def _run(self, request: ClientRequest) -> list[Outcome]:
        outcomes: list[Outcome] = []
        session = _AiosmtplibSession(request)
        try:
            if request.state == "disposed":
                opened = await self._capture(session.open)
                await session.dispose()
                if opened.exception is not None:
                    outcomes.append(opened)
            first: asyncio.Task[Outcome] | None = None
            if request.state in ASYNC_STATES:
                first = asyncio.create_task(self._capture(session.send))
                await session.wait_in_progress(first)
            if request.state == "cancelled":
                await _cancelled(first)
                first = None
            try:
                while len(outcomes) < request.sends:
                    outcomes.append(await self._capture(session.send))
            finally:
                await _cancelled(first)
        finally:
            await session.quit()
        return outcomes

    @staticmethod
    async def _capture(call: Callable[[], Awaitable[Outcome]]) -> Outcome:
        started = time.monotonic()
        try:
            outcome = await call()
        except Exception as exc:
            outcome = describe(exc, "code")
        except asyncio.CancelledError as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # this send is being cancelled (the first send of send-in-progress)
            outcome = describe(exc, "code")  # the library raised it: report it as it is
        return _timed(started, outcome)


async def _cancelled(task: asyncio.Task[Outcome] | None) -> None:
    """Cancel an asynchronous send and wait until it has ended."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task


class _AiosmtplibSession:
    """One client object for the whole request, created by the first send that needs it (the
    constructor validates the settings and raises for what it refuses)."""

    def __init__(self, request: ClientRequest) -> None:
        self.request = request
        self.client: Any = None
        self.opened = False

    def create(self) -> Any:
        if self.client is None:
            aiosmtplib = _aiosmtplib()
            # start_tls=False: no opportunistic STARTTLS; TLS only when enable_ssl asks.
            self.client = aiosmtplib.SMTP(hostname=self.request.host, port=self.request.port,
                                          timeout=self.request.timeout, start_tls=False)
        return self.client

    async def open(self) -> Outcome:
        request, client = self.request, self.create()
        self.opened = True
        try:
            await client.connect()
            if request.enable_ssl:
                await client.starttls(tls_context=tls_context(request))
            if request.credentials is not None:
                await client.login(*request.credentials)
        except asyncio.CancelledError:
            self.opened = False
            client.close()
            raise
        except Exception:
            self.opened = False
            await _quit_aiosmtplib(client)
            raise
        return Outcome()

    async def send(self) -> Outcome:
        message = build_message(self.request.message)
        client = self.create()
        if not self.opened:
            await self.open()
        refusals, _ = await client.send_message(
            message, recipients=envelope(self.request.message))
        return Outcome(failed_recipients=refused(refusals or {}))

    async def wait_in_progress(self, first: asyncio.Task[Outcome]) -> None:
        """Until the first send has a connection under way (or has ended)."""
        deadline = time.monotonic() + self.request.timeout
        while (not first.done() and not (self.client is not None and self.client.is_connected)
               and time.monotonic() < deadline):
            await asyncio.sleep(_POLL)

    async def dispose(self) -> None:
        self.opened = True  # a disposed client is never opened again
        if self.client is not None:
            await _quit_aiosmtplib(self.client)

    async def quit(self) -> None:
        if self.client is not None:
            await _quit_aiosmtplib(self.client)


def _aiosmtplib() -> ModuleType:
    try:
        return importlib.import_module("aiosmtplib")
    except ImportError as exc:
        raise ClientUnavailable("aiosmtplib is not installed: "
                                "pip install 'smtp-conformance[clients]'") from exc


async def _quit_aiosmtplib(client: Any) -> None:
    transport = getattr(client, "transport", None)
    if client.is_connected:
        with contextlib.suppress(Exception):
            await client.quit()
    client.close()
    await _socket_closed(transport)


async def _socket_closed(transport: asyncio.BaseTransport | None, longest: float = 1.0) -> None:
    """Wait (a bounded while) until the connection's socket is closed: after STARTTLS the
    TLS transport closes the socket's own transport later, and a loop that ends first leaves
    it to the garbage collector (a ResourceWarning, once, under load)."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    deadline = time.monotonic() + longest
    while sock is not None and sock.fileno() != -1 and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
