"""Clients the harness can run: ``make_adapter("netmail")``."""

from __future__ import annotations

from .base import Adapter, ClientRequest
from .netmail_adapter import NetmailAdapter
from .process import ProcessAdapter, command_adapter

KNOWN = ("netmail", "dotnet", "mono", "smtplib", "aiosmtplib")


def make_adapter(spec: str) -> Adapter:
    """The adapter a ``--client`` value names: a known client, or ``[NAME=]cmd:COMMAND``."""
    if spec == "netmail":
        return NetmailAdapter()
    if spec in ("dotnet", "mono"):
        from .dotnet import dotnet_adapter

        return dotnet_adapter(spec)
    if spec in ("smtplib", "aiosmtplib"):
        from .python_clients import AiosmtplibAdapter, SmtplibAdapter

        return SmtplibAdapter() if spec == "smtplib" else AiosmtplibAdapter()
    if spec.startswith("cmd:") or "=cmd:" in spec:
        return command_adapter(spec)
    raise ValueError(f"unknown client {spec!r} (known: {', '.join(KNOWN)}, or cmd:COMMAND)")


__all__ = ["KNOWN", "Adapter", "ClientRequest", "NetmailAdapter", "ProcessAdapter",
           "make_adapter"]
