"""Clients the harness can run: ``make_adapter("netmail")``."""

from __future__ import annotations

from .base import Adapter, ClientRequest
from .netmail_adapter import NetmailAdapter

KNOWN = ("netmail",)


def make_adapter(spec: str) -> Adapter:
    """The adapter a ``--client`` value names."""
    if spec == "netmail":
        return NetmailAdapter()
    raise ValueError(f"unknown client {spec!r} (known: {', '.join(KNOWN)})")


__all__ = ["KNOWN", "Adapter", "ClientRequest", "NetmailAdapter", "make_adapter"]
