"""The process adapter: certify a client in any language through JSON lines (see
``harness/docs/adapter-protocol.md``).

A pool of long-lived driver processes serves the scenarios, one request at a time each; a driver
that crashes, hangs or answers out of protocol is killed and replaced, and the scenario it was
running is reported as an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ..address import AddressOutcome, AddressRequest, address_outcome_from_json
from ..model import CAPABILITIES, FailedRecipient
from ..outcome import Outcome
from .base import ClientRequest

PROTOCOL = 1
_HELLO_WAIT = 30.0
_MARGIN = 5.0
"""Seconds past the client's own timeout before a send counts as never returning."""


class AdapterError(Exception):
    """The driver broke the protocol, crashed or hung."""


class DriverHung(AdapterError):
    """The driver gave no answer in time: the client it drives did not return."""


DID_NOT_RETURN = "DidNotReturn"
"""The outcome of a send that never returned (the harness's name, not the client's)."""


class NotRunnable(Exception):
    """The driver cannot run this request (e.g. its runtime lacks TLS); the reason says why."""


class ClientUnavailable(Exception):
    """The client cannot run at all here (a program or runtime is missing)."""


class _Driver:
    def __init__(self, argv: Sequence[str], env: dict[str, str] | None, cwd: str | None) -> None:
        self._stderr: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 - lives with the driver
        try:
            self._process = subprocess.Popen(
                list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                env=env, cwd=cwd, bufsize=0)
        except OSError as exc:
            self._stderr.close()
            raise ClientUnavailable(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
        self._lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, name="driver-reader", daemon=True).start()
        hello = self._next(_HELLO_WAIT).get("hello")
        if not isinstance(hello, dict) or hello.get("protocol") != PROTOCOL:
            self.kill()
            raise AdapterError(f"the driver did not say hello with protocol {PROTOCOL}")
        self.description = str(hello.get("client", argv[0]))
        lacks = hello.get("lacks", [])
        if not isinstance(lacks, list) or not set(lacks) <= CAPABILITIES:
            self.kill()
            raise AdapterError(f"hello.lacks must list some of {sorted(CAPABILITIES)}, "
                               f"not {lacks!r}")
        self.lacks = frozenset(lacks)

    def _read(self) -> None:
        assert self._process.stdout is not None
        try:
            for line in self._process.stdout:
                self._lines.put(line)
        except (OSError, ValueError):  # the driver was killed and its pipe closed under us
            pass
        self._lines.put(b"")

    def _next(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise DriverHung(f"no answer within {timeout:.1f} s") from None
        if not line:
            raise AdapterError(f"the driver exited ({self._process.poll()}): {self.stderr_tail()}")
        try:
            message = json.loads(line)
        except ValueError:
            raise AdapterError(f"the driver wrote a line that is not JSON: {line[:200]!r}") \
                from None
        if not isinstance(message, dict):
            raise AdapterError(f"the driver wrote {message!r}, not an object")
        return message

    def exchange(self, number: int, request: dict[str, Any], timeout: float,
                 kind: str = "request") -> dict[str, Any]:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps({"id": number, kind: request}).encode()
                                      + b"\n")
            self._process.stdin.flush()
        except OSError as exc:
            raise AdapterError(f"the driver is gone: {exc}; {self.stderr_tail()}") from None
        response = self._next(timeout)
        if response.get("id") != number:
            raise AdapterError(f"the driver answered id {response.get('id')!r}, not {number}")
        return response

    def stderr_tail(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip()
        return text[-500:] or "(nothing on stderr)"

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()

    def close(self, grace: float = 5.0) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(grace)
        self.kill()


class ProcessAdapter:
    """A client driven through JSON lines by ``argv``; at most ``workers`` processes at once."""

    def __init__(self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None,
                 cwd: str | Path | None = None, workers: int = 4) -> None:
        self.name = name
        self.description = name
        self.lacks: frozenset[str] = frozenset()
        self._argv, self._env = list(argv), env
        self._cwd = str(cwd) if cwd is not None else None
        self._idle: queue.Queue[_Driver] = queue.Queue()
        self._slots = threading.Semaphore(workers)
        self._lock = threading.Lock()
        self._drivers: list[_Driver] = []
        self._counter = 0

    def start(self) -> None:
        """Start one driver now, so a missing program is reported before any scenario runs."""
        self._idle.put(self._spawn())

    def _spawn(self) -> _Driver:
        driver = _Driver(self._argv, self._env, self._cwd)
        with self._lock:
            self._drivers.append(driver)
            self.description, self.lacks = driver.description, driver.lacks
        return driver

    def _exchange(self, kind: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One request on an idle driver (a new one if none is idle); a driver that breaks
        the protocol or hangs is killed, and the error raised."""
        with self._slots:
            try:
                driver = self._idle.get_nowait()
            except queue.Empty:
                driver = self._spawn()
            with self._lock:
                self._counter += 1
                number = self._counter
            try:
                response = driver.exchange(number, payload, timeout, kind)
            except AdapterError:
                driver.kill()
                with self._lock:
                    self._drivers.remove(driver)
                raise
            self._idle.put(driver)
        return response

    def parse_address(self, request: AddressRequest) -> AddressOutcome:
        """``new MailAddress(...)`` in the driver (protocol: ``mail_address``)."""
        response = self._exchange("mail_address", request.to_json(), _MARGIN)
        if "unavailable" in response:
            raise NotRunnable(str(response["unavailable"]))
        try:
            return address_outcome_from_json(response.get("mail_address"))
        except (TypeError, ValueError) as exc:
            raise AdapterError(f"a malformed mail_address answer: {exc}") from None

    def run(self, request: ClientRequest) -> list[Outcome]:
        timeout = request.timeout * request.sends + _MARGIN
        try:
            response = self._exchange("request", request.to_json(), timeout)
        except DriverHung as hung:
            return [Outcome(exception=DID_NOT_RETURN, message=str(hung), seconds=timeout)
                    for _ in range(request.sends)]
        if "unavailable" in response:
            raise NotRunnable(str(response["unavailable"]))
        outcomes = response.get("outcomes")
        if not isinstance(outcomes, list) or len(outcomes) != request.sends:
            raise AdapterError(f"expected {request.sends} outcome(s), got {outcomes!r}")
        return [outcome_from_json(item) for item in outcomes]

    def close(self) -> None:
        with self._lock:
            drivers, self._drivers = self._drivers, []
        for driver in drivers:
            driver.close()


def outcome_from_json(data: Any) -> Outcome:
    if not isinstance(data, dict):
        raise AdapterError(f"an outcome must be an object, not {data!r}")
    try:
        return Outcome(
            exception=data.get("exception"),
            status_code=data.get("status_code"),
            message=data.get("message"),
            inner=data.get("inner"),
            inner_bases=tuple(data.get("inner_bases") or ()),
            failed_recipients=tuple(
                FailedRecipient(r["address"], r.get("status_code"))
                for r in data.get("failed_recipients") or ()),
            reported_by=data.get("reported_by"),
        )
    except (KeyError, TypeError) as exc:
        raise AdapterError(f"a malformed outcome {data!r}: {exc}") from None


def command_adapter(spec: str) -> ProcessAdapter:
    """``cmd:ARGV`` or ``NAME=cmd:ARGV``: a driver started with a shell-like command line."""
    name, _, command = spec.partition("=cmd:") if "=cmd:" in spec else ("", "", spec[4:])
    argv = shlex.split(command)
    if not argv:
        raise ValueError(f"no command in {spec!r}")
    if not name:
        scripts = [a for a in argv if not a.startswith("-")]
        name = Path(scripts[1] if len(scripts) > 1 and "python" in Path(argv[0]).name
                    else argv[0]).stem
    return ProcessAdapter(name, argv, env=dict(os.environ))
