"""Helpers for tests that run netmail against real scripted servers on 127.0.0.1."""

from __future__ import annotations

import ssl

from harness.server import RunningServer, ca_file
from netmail import MailMessage, SmtpClient


def client_for(server: RunningServer, **settings: object) -> SmtpClient:
    settings.setdefault("timeout", 5)
    if settings.get("enable_ssl") and "ssl_context" not in settings:
        settings["ssl_context"] = ssl.create_default_context(cafile=ca_file())
    return SmtpClient(server.address, server.port, **settings)  # type: ignore[arg-type]


def simple_message(*to: str) -> MailMessage:
    return MailMessage("sender@example.com", list(to or ["rcpt@example.com"]), "Hi", "Body\n")
