"""The realism check: every recorded Postfix scenario holds against the live Postfix it was
recorded from, and its replay gives each client the outcome the live Postfix gives.

Recording again (``python -m tests.postfix.library``) writes what these tests then hold the
files to; a Postfix upgrade that changes a reply shows here first.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness.adapters import make_adapter
from harness.loader import load_scenario, load_scenarios
from harness.record.fidelity import outcome_differences
from harness.record.write import compose, scenario_text
from harness.runner import run_scenario
from harness.verdict import PASS, judge

from .instance import CONFIGURATIONS, Postfix
from .library import DIRECTORY, ENTRIES, document, send

LIBRARY = sorted(load_scenarios([DIRECTORY])[0], key=lambda s: s.id)
CLIENTS = ("netmail", "smtplib")


def test_the_library_is_what_the_entries_record() -> None:
    assert [s.id for s in LIBRARY] == sorted(e.scenario_id for e in ENTRIES)
    configurations = {c.name for c in CONFIGURATIONS}
    for scenario in LIBRARY:
        assert scenario.recorded is not None and scenario.recorded.server.startswith("Postfix")
        assert scenario.recorded.configuration in configurations
    assert len({s.recorded.configuration for s in LIBRARY if s.recorded}) >= 8


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("scenario", LIBRARY, ids=lambda s: s.id)
def test_live_postfix_and_replay_agree(postfix: Postfix, scenario: object, client: str) -> None:
    from harness.model import Scenario

    assert isinstance(scenario, Scenario)
    # Sent as its entry says: the file holds placeholder credentials, Postfix the real ones.
    entry = next(e for e in ENTRIES if e.scenario_id == scenario.id)
    sent = entry.scenario()
    assert scenario.message == sent.message
    assert scenario.client == replace(sent.client, credentials=scenario.client.credentials)
    live = send(postfix, entry, client)
    assert not live.transcript.harness_errors
    adapter = make_adapter(client)
    replayed = run_scenario(scenario, adapter)
    assert not outcome_differences(live.outcomes, live.transcript, list(replayed.outcomes),
                                   replayed.transcript)
    # The file's expectation (profiles included) holds against the live Postfix too.
    verdict = judge(scenario, client, live.outcomes, live.transcript, None, live.seconds)
    assert verdict.status == replayed.status, verdict.differences
    if client == "netmail":
        assert verdict.status == PASS, verdict.differences


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_recording_and_replaying_give_the_live_outcome(postfix: Postfix, entry: object,
                                                       client: str, tmp_path: Path) -> None:
    """The acceptance: a real client sends through the proxy to the live Postfix; the file
    written validates; replaying it gives the outcome of the live run."""
    from .library import Entry

    assert isinstance(entry, Entry)
    live = send(postfix, entry, client)
    found = document(postfix, entry, live) if client == "netmail" else compose(
        live.recording, live.transcript, None, scenario_id=entry.scenario_id,
        timing=entry.timing, client_data=entry.client, message_data=entry.message)
    if client != "netmail":  # only the reference's outcome is an expectation
        found["expect"]["raises"] = None
    path = tmp_path / "recorded.yaml"
    path.write_text(scenario_text(found, client), encoding="utf-8")
    replayed = run_scenario(load_scenario(path), make_adapter(client))
    assert not outcome_differences(live.outcomes, live.transcript, list(replayed.outcomes),
                                   replayed.transcript), path.read_text()
