"""Recording a scenario's scripted server through the proxy, as ``record --client`` does: the
scripted server stands in for a real one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from harness.adapters import Adapter
from harness.loader import load_scenario
from harness.model import REFERENCE_CLIENTS, Scenario
from harness.record.live import LiveRun, send_through_proxy, upstream_context
from harness.record.write import compose, scenario_text
from harness.server import ca_file, shared_host


@dataclass(frozen=True)
class Recorded:
    live: LiveRun
    direct: Scenario
    """The scenario whose scripted server was the upstream."""
    written: Scenario
    """The recorded file, loaded, with the upstream scenario's client and message."""
    text: str


def record(scenario: Scenario, adapter: Adapter, directory: Path, timing: bool = True,
           client_data: dict[str, object] | None = None) -> Recorded:
    assert scenario.server is not None
    upstream = shared_host().start(scenario.server)
    try:
        live = send_through_proxy(adapter, scenario, (upstream.address, upstream.port),
                                  upstream_context(ca_file()), "localhost")
    finally:
        upstream.stop()
    # Only a reference client's outcome can be written as expect (record --client runs the
    # reference for it); the tests judge a replay by the live outcome, not by expect.
    documented = adapter.name in REFERENCE_CLIENTS
    document = compose(live.recording, live.transcript, live.outcomes if documented else None,
                       scenario_id="recorded/test", timing=timing, client=adapter.name,
                       client_data=client_data or {}, message_data={})
    if not documented:
        document["expect"]["raises"] = None
    text = scenario_text(document, adapter.name)
    path = directory / "recorded.yaml"
    path.write_text(text, encoding="utf-8")
    written = load_scenario(path)
    credentials = ("recorded-user", "recorded-password") if scenario.client.credentials else None
    client = replace(scenario.client, credentials=credentials)
    return Recorded(live, scenario, replace(written, client=client, message=scenario.message),
                    text)
