"""A ``ClientRequest`` for adapter tests: plain network delivery to a test server."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.adapters import ClientRequest
from harness.model import MessageSpec
from harness.server import HOST, RunningServer


def request(server: RunningServer | None, **changes: Any) -> ClientRequest:
    """The request a scenario with default settings makes, with ``changes`` applied."""
    base = ClientRequest(scenario="t", host=HOST, port=server.port if server else 1,
                         enable_ssl=False, timeout=3.0, credentials=None,
                         delivery_method="network", pickup_directory=None, state=None, sends=1,
                         ca_file=None, message=MessageSpec())
    return replace(base, **changes)
