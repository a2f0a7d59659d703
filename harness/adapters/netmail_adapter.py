"""The in-process adapter for ``netmail``, the reference client, blocking or asyncio.

``netmail`` sends with ``SmtpClient.send``; ``netmail-async`` with ``await send_mail_async``
on one event loop per scenario (so a second send can reuse the connection), then
``dispose_async``: the same contract, held by the same scenarios. A scenario with
``api: send_async`` makes either send with the event-based ``send_async``. ``module`` may name
another copy of the package (a mutant in the tests), so the harness can show that it catches a
client that breaks the contract.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import ssl
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from ..address import UNSET, AddressOutcome, AddressRequest
from ..model import ASYNC_STATES, FailedRecipient, MessageSpec
from ..outcome import Outcome, capture, python_exception
from .base import ClientRequest

_DELIVERY = {"network": "Network", "pickup": "SpecifiedPickupDirectory",
             "pickup-iis": "PickupDirectoryFromIis"}


class NetmailAdapter:
    def __init__(self, name: str = "netmail", module: str | ModuleType = "netmail", *,
                 use_asyncio: bool = False) -> None:
        self.name, self._use_asyncio = name, use_asyncio
        self.lacks: frozenset[str] = frozenset()
        self._netmail = importlib.import_module(module) if isinstance(module, str) else module

    def start(self) -> None:
        pass

    def run(self, request: ClientRequest) -> list[Outcome]:
        with tempfile.TemporaryDirectory(prefix="smtp-harness-files-") as folder:
            return self._run(request, Path(folder))

    def _run(self, request: ClientRequest, folder: Path) -> list[Outcome]:
        nm = self._netmail
        client_holder: list[Any] = []
        setup = capture(lambda: client_holder.append(self._client(request)), python_exception)
        if not client_holder:
            return [setup]
        client = client_holder[0]
        message_holder: list[Any] = []
        built = capture(lambda: message_holder.append(self._message(request.message, folder)),
                        python_exception)
        if built.exception is not None:
            client.dispose()
            return [built]
        message = message_holder[0]
        finished = threading.Event()
        client.send_completed.append(lambda sender, args: finished.set())
        if request.state == "disposed":
            client.dispose()
        elif request.state in ASYNC_STATES:
            with contextlib.suppress(Exception):  # a refused SendAsync: nothing in progress
                client.send_async(message if message is not None else nm.MailMessage(
                    "in-progress@example.com", "in-progress@example.com"))
            if request.state == "cancelled":
                client.send_async_cancel()
                finished.wait(request.timeout + 5)
        loop = asyncio.new_event_loop() if self._use_asyncio else None

        reported: list[str] = []

        def send() -> None:
            reported.clear()
            if request.api == "send_async":
                _send_async(client, message, request.timeout + 5, reported)
            elif loop is not None:
                loop.run_until_complete(client.send_mail_async(message))
            else:
                client.send(message)

        try:
            outcomes = [_reported(capture(send, describe_exception), reported)
                        for _ in range(request.sends)]
            if request.state == "send-in-progress":
                client.send_async_cancel()
                finished.wait(request.timeout + 5)
            if loop is not None:
                loop.run_until_complete(client.dispose_async())
            client.dispose()
        finally:
            if loop is not None:
                loop.close()
        return outcomes

    def _client(self, request: ClientRequest) -> Any:
        """The client made as a user would make it: only what the scenario sets is passed,
        so netmail's own defaults (no SSL, network delivery, no credentials) are exercised."""
        nm = self._netmail
        settings: dict[str, Any] = {"timeout": request.timeout}
        if request.enable_ssl:
            settings["enable_ssl"] = True
            if request.ca_file:
                settings["ssl_context"] = ssl.create_default_context(cafile=request.ca_file)
        if request.credentials:
            settings["credentials"] = nm.NetworkCredential(*request.credentials)
        if request.delivery_method != "network":
            settings["delivery_method"] = getattr(nm.SmtpDeliveryMethod,
                                                  _DELIVERY[request.delivery_method])
        if request.pickup_directory is not None:
            settings["pickup_directory_location"] = request.pickup_directory
        if request.configure == "constructor":
            return nm.SmtpClient(request.host, request.port, **settings)
        client = nm.SmtpClient()  # Host, Port, Timeout, ...: a setter's refusal is the outcome
        client.host, client.port = request.host, request.port
        for name, value in settings.items():
            setattr(client, name, value)
        return client

    def _message(self, spec: MessageSpec | None, folder: Path) -> Any:
        """The message as a user builds it; a ``file`` attachment is written under
        ``folder`` and attached by its path."""
        if spec is None:
            return None
        nm = self._netmail
        message = nm.MailMessage(spec.from_, None, spec.subject, spec.body,
                                 is_body_html=spec.html)
        for collection, entries in ((message.to, spec.to), (message.cc, spec.cc),
                                    (message.bcc, spec.bcc)):
            for entry in entries:  # as .NET's To.Add(string): an entry may be a list
                collection.add(entry)
        message.headers.update(dict(spec.headers))
        for number, (name, media_type, content, source) in enumerate(spec.attachments):
            if source == "file":
                path = attachment_file(folder / str(number), name, content)
                message.attachments.append(nm.Attachment(path, None, media_type))
                continue
            stream = FailingStream() if source == "failing-stream" else io.BytesIO(
                content.encode())
            message.attachments.append(nm.Attachment(stream, name, media_type))
        return message

    def parse_address(self, request: AddressRequest) -> AddressOutcome:
        """``MailAddress(...)``: what it raises, or the parts it holds."""
        nm = self._netmail
        try:
            parsed = (nm.MailAddress(request.address) if request.display_name is UNSET
                      else nm.MailAddress(request.address, request.display_name))
        except Exception as exc:
            return AddressOutcome(exception=type(exc).__name__, message=str(exc))
        return AddressOutcome(display_name=parsed.display_name, user=parsed.user,
                              host=parsed.host, address=parsed.address, text=str(parsed))

    def close(self) -> None:
        pass


def attachment_file(folder: Path, name: str, content: str) -> Path:
    """``content`` in a file called ``name`` (``attachment`` when that is no file name)."""
    usable = name and name not in (".", "..") and not any(c in name for c in "/\\\0")
    folder.mkdir(parents=True)
    path = folder / (name if usable else "attachment")
    path.write_bytes(content.encode())
    return path


class FailingStream(io.RawIOBase):
    """A readable stream whose every read fails, as a broken file or network stream does."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise OSError("the attachment's stream failed")


def describe_exception(exc: BaseException) -> Outcome:
    """The generic description, plus the rejected recipients of a recipient exception."""
    failures = getattr(exc, "inner_exceptions", None) or (
        [exc] if hasattr(exc, "failed_recipient") else [])
    return replace(python_exception(exc), failed_recipients=tuple(
        FailedRecipient(f.failed_recipient, int(f.status_code)) for f in failures))


def _reported(outcome: Outcome, reported: list[str]) -> Outcome:
    return replace(outcome, reported_by=reported[0]) if outcome.exception and reported else (
        outcome)


def _send_async(client: Any, message: Any, wait: float, reported: list[str]) -> None:
    """One ``send_async``, waited for: what the call raises, or else the error the
    ``send_completed`` handlers hear, is raised here; ``reported`` says which."""
    done = threading.Event()
    errors: list[BaseException | None] = []

    def completed(sender: Any, args: Any) -> None:
        errors.append(args.error)
        done.set()

    client.send_completed.append(completed)
    try:
        reported.append("call")
        client.send_async(message)
        reported[:] = ["send_completed"]
        if not done.wait(wait):
            raise TimeoutError("send_completed did not come")
    finally:
        client.send_completed.remove(completed)
    if errors[0] is not None:
        raise errors[0]
