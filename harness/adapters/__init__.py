"""Clients the harness can run: ``make_adapter("netmail")``."""

from __future__ import annotations

from .base import Adapter, ClientRequest
from .netmail_adapter import NetmailAdapter
from .process import ProcessAdapter, command_adapter

KNOWN = ("netmail",)


def make_adapter(spec: str) -> Adapter:
    """The adapter a ``--client`` value names: a known client, or ``[NAME=]cmd:COMMAND``."""
    if spec == "netmail":
        return NetmailAdapter()
    if spec.startswith("cmd:") or "=cmd:" in spec:
        return command_adapter(spec)
    raise ValueError(f"unknown client {spec!r} (known: {', '.join(KNOWN)}, or cmd:COMMAND)")


__all__ = ["KNOWN", "Adapter", "ClientRequest", "NetmailAdapter", "ProcessAdapter",
           "make_adapter"]
