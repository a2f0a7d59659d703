"""Clients the harness can run: ``make_adapter("netmail")``."""

from __future__ import annotations

from .base import Adapter, ClientRequest
from .netmail_adapter import NetmailAdapter
from .process import ProcessAdapter, command_adapter

KNOWN = ("netmail", "netmail-async", "dotnet8", "dotnet31", "dotnet", "mono", "smtplib",
         "aiosmtplib")
"""``dotnet`` is the old name of ``dotnet31`` (its verdicts and profiles say ``dotnet31``)."""


def make_adapter(spec: str) -> Adapter:
    """The adapter a ``--client`` value names: a known client, or ``[NAME=]cmd:COMMAND``."""
    if spec == "netmail":
        return NetmailAdapter()
    if spec == "netmail-async":
        return NetmailAdapter(spec, use_asyncio=True)
    if spec in ("dotnet8", "dotnet31", "dotnet", "mono"):
        from .dotnet import dotnet_adapter

        return dotnet_adapter(spec)
    if spec in ("smtplib", "aiosmtplib"):
        from .python_clients import AiosmtplibAdapter, SmtplibAdapter

        return SmtplibAdapter() if spec == "smtplib" else AiosmtplibAdapter()
    check_client(spec)
    return command_adapter(spec)


def check_client(spec: str) -> None:
    """Raise ``ValueError`` unless ``spec`` names a client ``make_adapter`` can make."""
    if spec not in KNOWN and not spec.startswith("cmd:") and "=cmd:" not in spec:
        raise ValueError(f"unknown client {spec!r} (known: {', '.join(KNOWN)}, "
                         f"or cmd:COMMAND)")


__all__ = ["KNOWN", "Adapter", "ClientRequest", "NetmailAdapter", "ProcessAdapter",
           "check_client", "make_adapter"]
