"""Acceptance: the harness catches a client that raises the wrong exception class.

A copy of netmail with one line changed (From null raises SmtpException instead of the
documented InvalidOperationException) must fail the repository's from-null scenario(s), with
a verdict naming the scenario and the exception difference; netmail itself must pass them.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import netmail
from harness.adapters import NetmailAdapter
from harness.loader import load_scenarios
from harness.model import Scenario
from harness.report.table import render_table
from harness.runner import run_all, run_scenario
from harness.verdict import FAIL, PASS

REPO = Path(__file__).resolve().parents[2]
ORIGINAL = 'raise InvalidOperationException("A from address must be specified.")'
MUTATED = 'raise SmtpException("A from address must be specified.")'
OWN_SCENARIO = """\
    id: mutant/from-null
    condition: from-null
    description: MailMessage.From is null; Send raises before touching the network.
    server: {}
    message: {from: null, to: [rcpt@example.com]}
    expect:
      raises: InvalidOperationException
      inner: null
      server: {connections: 0}
    """


@pytest.fixture
def mutant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NetmailAdapter]:
    source = Path(netmail.__file__).parent
    copy = tmp_path / "netmail_mutant"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    client = copy / "client.py"
    text = client.read_text(encoding="utf-8")
    assert text.count(ORIGINAL) == 1, "netmail/client.py changed: update the mutation"
    client.write_text(text.replace(ORIGINAL, MUTATED), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        adapter = NetmailAdapter(name="mutant", module="netmail_mutant")
        assert adapter._netmail.__file__ == str(copy / "__init__.py")
        yield adapter
    finally:
        for name in [m for m in sys.modules if m == "netmail_mutant"
                     or m.startswith("netmail_mutant.")]:
            del sys.modules[name]


@pytest.fixture
def from_null(tmp_path: Path) -> list[Scenario]:
    """The repository's from-null scenarios; a scenario of our own if it has none yet."""
    scenarios, _ = load_scenarios([REPO / "scenarios"])
    chosen = [s for s in scenarios if s.condition == "from-null"]
    if not chosen:
        path = tmp_path / "own" / "from-null.yaml"
        path.parent.mkdir()
        path.write_text(textwrap.dedent(OWN_SCENARIO), encoding="utf-8")
        scenarios, errors = load_scenarios([path])
        assert errors == []
        chosen = scenarios
    assert chosen
    return chosen


def test_mutant_fails_the_from_null_scenarios(mutant: NetmailAdapter,
                                              from_null: list[Scenario]) -> None:
    for scenario in from_null:
        verdict = run_scenario(scenario, mutant)
        assert verdict.status == FAIL, verdict.explain()
        assert verdict.client == "mutant"
        assert "raises: expected InvalidOperationException, got SmtpException" in \
            verdict.differences
        text = verdict.explain()
        assert text.startswith(f"{scenario.id} [mutant]: fail")
        assert "InvalidOperationException" in text and "SmtpException" in text
        assert "A from address must be specified." in text


def test_netmail_passes_the_same_scenarios(from_null: list[Scenario]) -> None:
    for scenario in from_null:
        verdict = run_scenario(scenario, NetmailAdapter())
        assert verdict.status == PASS, verdict.explain()


def test_side_by_side(mutant: NetmailAdapter, from_null: list[Scenario]) -> None:
    """Both clients in one run: the matrix shows the mutant failing where netmail passes."""
    verdicts = run_all(from_null, [NetmailAdapter(), mutant])
    assert [(v.client, v.status) for v in verdicts] == [("netmail", PASS), ("mutant", FAIL)] * \
        len(from_null)
    table = render_table(verdicts).split("\n")
    assert table[0].split()[-2:] == ["netmail", "mutant"]
    for scenario, row in zip(from_null, table[2:], strict=True):
        assert row.split() == ["from-null", scenario.id, "pass", "fail"]
