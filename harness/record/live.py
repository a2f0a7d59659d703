"""A client's send through the recording proxy to a real server: what the server said, what
the server saw (a transcript the judge reads as it reads a scripted server's), and what the
client did."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, replace

from ..adapters.base import Adapter
from ..model import Scenario
from ..outcome import Outcome
from ..runner import request_for
from ..server import HOST, ca_file, shared_host
from ..server.transcript import Transcript
from .proxy import RecordingProxy
from .session import Recording


@dataclass(frozen=True)
class LiveRun:
    recording: Recording
    transcript: Transcript
    outcomes: list[Outcome]
    seconds: float


def upstream_context(ca: str | None = None, verify: bool = True) -> ssl.SSLContext:
    """TLS towards the real server: the system's trust store (or ``ca``), the name checked;
    ``verify=False`` accepts any certificate (a server with a self-signed one)."""
    context = ssl.create_default_context(cafile=ca)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def send_through_proxy(adapter: Adapter, scenario: Scenario, upstream: tuple[str, int],
                       tls: ssl.SSLContext, upstream_name: str | None = None) -> LiveRun:
    """Run ``scenario``'s client and message against the real server at ``upstream``, through
    a recording proxy; the client is told to trust the harness CA, which the proxy's TLS
    certificate chains to."""
    host = shared_host()
    proxy = RecordingProxy(upstream, tls, upstream_name)
    port = host.call(proxy.start(HOST))
    started = time.monotonic()
    try:
        outcomes = adapter.run(replace(request_for(scenario, port, None), ca_file=ca_file()))
    finally:
        host.call(proxy.stop())
    return LiveRun(proxy.recording, proxy.transcript, outcomes, time.monotonic() - started)
