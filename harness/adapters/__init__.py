"""Clients the harness can run: ``make_adapter("netmail")``."""

from __future__ import annotations

from ..model import CLIENT_ALIASES
from .base import Adapter, ClientRequest
from .netmail_adapter import NetmailAdapter
from .process import ProcessAdapter, command_adapter

DOTNET_RUNTIMES = ("dotnet8", "dotnet31", "mono")
"""The runtimes ``driver.cs`` runs on (``harness/adapters/dotnet``)."""
KNOWN = ("netmail", "netmail-async", *DOTNET_RUNTIMES, "smtplib", "aiosmtplib",
         *CLIENT_ALIASES)


def canonical(spec: str) -> str:
    """The client a ``--client`` value names, an old name (``dotnet``) resolved."""
    return CLIENT_ALIASES.get(spec, spec)


def make_adapter(spec: str) -> Adapter:
    """The adapter a ``--client`` value names: a known client (or an old name of one), or
    ``[NAME=]cmd:COMMAND``."""
    spec = canonical(spec)
    if spec == "netmail":
        return NetmailAdapter()
    if spec == "netmail-async":
        return NetmailAdapter(spec, use_asyncio=True)
    if spec in DOTNET_RUNTIMES:
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


__all__ = ["DOTNET_RUNTIMES", "KNOWN", "Adapter", "ClientRequest", "NetmailAdapter",
           "ProcessAdapter", "canonical", "check_client", "make_adapter"]
