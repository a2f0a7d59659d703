"""Postfix's ``smtp-sink`` and ``smtp-source``, the C tools people load a mail path with.

Used only when installed (the ``postfix`` package); otherwise the table says why they are
missing. Not exercised on a machine without Postfix.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

from .clients import SENDER
from .server import HOST, free_port

SINK = shutil.which("smtp-sink")
SOURCE = shutil.which("smtp-source")
MISSING = "not installed (Postfix's smtp-sink/smtp-source come with the postfix package)"


class SinkProcess:
    """``smtp-sink`` listening on a free port: accepts every message, keeps nothing."""

    def __init__(self) -> None:
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SinkProcess:
        assert SINK is not None
        user = ["-u", "nobody"] if os.geteuid() == 0 else []  # it refuses to run as root
        self._process = subprocess.Popen([SINK, *user, f"{HOST}:{self.port}", "256"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection((HOST, self.port), 0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.__exit__()
                    raise
                time.sleep(0.02)

    def __exit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            process.wait(10)


class SmtpSource:
    """``smtp-source``: ``sessions`` parallel sessions, messages of 1 KiB, connections kept
    (``-d``). Each round starts the program once, a small fixed cost."""

    def __init__(self, port: int, sessions: int, name: str = "smtp-source") -> None:
        self.name, self._port, self._sessions = name, port, sessions

    def open(self) -> None:
        assert SOURCE is not None

    def run(self, n: int) -> None:
        assert SOURCE is not None
        subprocess.run([SOURCE, "-d", "-s", str(self._sessions), "-m", str(n), "-l", "1024",
                        "-f", SENDER, "-t", "rcpt0@example.com", f"{HOST}:{self._port}"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def close(self) -> None:
        pass
