"""Acceptance: the harness catches a client that departs from the contract, by mutants.

A copy of netmail with one line changed (From null raises SmtpException instead of the
documented InvalidOperationException) must fail the repository's from-null scenario(s), with
a verdict naming the scenario and the exception difference; netmail itself must pass them.

A second copy whose reply parser takes a bare LF as a line end must be caught by both the
oracle's property check and the scenario suite: the judge's reply grammar is its own
(``harness.server.grammar``), so loosening the client's parser does not loosen the judge.
The same mutation made to netmail itself (issue 12) must be caught too.
"""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import find, settings
from hypothesis import strategies as st

import netmail
import netmail.replies
from harness.adapters import NetmailAdapter
from harness.loader import load_scenarios
from harness.model import Action, Scenario
from harness.oracle import STEPS, Session
from harness.report.table import render_table
from harness.runner import run_all, run_scenario
from harness.server.smtp import sent_code
from harness.verdict import FAIL, PASS, Difference, Verdict
from tests.harness.test_oracle_properties import (
    codes,
    oracle_check,
    recipient_lists,
    sessions,
)

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


BARE_LF_ORIGINAL = """\
    if not raw.endswith(b"\\r\\n"):
        raise FormatException(f"The server ended a reply line with a bare LF: {raw!r}.")
    line = raw[:-2]
"""
BARE_LF_MUTATED = """\
    line = raw[:-2] if raw.endswith(b"\\r\\n") else raw[:-1]
"""
BARE_LF = re.compile(r"(?<!\r)\n")


def mutated_netmail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file: str, original: str,
                    mutated: str, use_asyncio: bool = False) -> Iterator[NetmailAdapter]:
    """An adapter for a copy of netmail, importable as ``netmail_mutant``, with ``original``
    replaced by ``mutated`` in ``file``."""
    source = Path(netmail.__file__).parent
    copy = tmp_path / "netmail_mutant"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    changed = copy / file
    text = changed.read_text(encoding="utf-8")
    assert text.count(original) == 1, f"netmail/{file} changed: update the mutation"
    changed.write_text(text.replace(original, mutated), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        adapter = NetmailAdapter(name="mutant", module="netmail_mutant", use_asyncio=use_asyncio)
        assert adapter._netmail.__file__ == str(copy / "__init__.py")
        yield adapter
    finally:
        for name in [m for m in sys.modules if m == "netmail_mutant"
                     or m.startswith("netmail_mutant.")]:
            del sys.modules[name]


@pytest.fixture
def mutant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NetmailAdapter]:
    yield from mutated_netmail(tmp_path, monkeypatch, "client.py", ORIGINAL, MUTATED)


@pytest.fixture(params=[False, True], ids=["send", "send_mail_async"])
def bare_lf_mutant(request: pytest.FixtureRequest, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[NetmailAdapter]:
    """netmail with a reply parser that takes a bare LF as a line end."""
    yield from mutated_netmail(tmp_path, monkeypatch, "replies.py", BARE_LF_ORIGINAL,
                               BARE_LF_MUTATED, use_asyncio=request.param)


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


def oracle_differences(adapter: NetmailAdapter, session: Session,
                       recipients: list[str]) -> list[Difference]:
    """The oracle property test's check: how the client's outcome differs from the oracle's."""
    return oracle_check(adapter, session, recipients).differences


bare_lf_replies = st.one_of(
    codes.map(lambda c: Action(raw=f"{c} scripted\n")),
    codes.map(lambda c: Action(raw=f"{c}-first line\n{c} last line\r\n")),
    codes.map(lambda c: Action(raw=f"{c}-first line\r\n{c} last line\n")),
)


def with_bare_lf(session: Session, step: str, action: Action) -> Session:
    """``session`` with ``action`` (a reply with a bare LF) at ``step``."""
    if step == "rcpt":
        return replace(session, rcpt=(action, *session.rcpt[1:]))
    return replace(session, **{step: action})


bare_lf_sessions = st.builds(with_bare_lf, sessions, st.sampled_from(STEPS), bare_lf_replies)
"""The oracle property test's sessions, each with a bare-LF reply at one step."""


def oracle_counterexample(adapter: NetmailAdapter) -> tuple[Session, list[str]]:
    """A generated session (with a bare-LF reply) where ``adapter`` fails the oracle check."""
    session, recipients = find(
        st.tuples(bare_lf_sessions, recipient_lists),
        lambda example: bool(oracle_differences(adapter, *example)),
        settings=settings(max_examples=60, derandomize=True, database=None))
    actions = [*(getattr(session, step) for step in STEPS if step != "rcpt"), *session.rcpt]
    assert any(BARE_LF.search(action.raw or "") for action in actions), session
    return session, recipients


def bare_lf_failures(scenarios: list[Scenario], verdicts: list[Verdict]) -> list[Scenario]:
    """The scenarios that ``verdicts`` fail, each checked to send a reply with a bare LF."""
    failed = {v.scenario.id for v in verdicts if v.status == FAIL}
    chosen = [s for s in scenarios if s.id in failed]
    for scenario in chosen:
        assert scenario.server is not None and any(
            BARE_LF.search(action.raw or "")
            for _, actions in scenario.server.steps for action in actions), scenario.id
    return chosen


def test_oracle_check_catches_the_bare_lf_mutant(bare_lf_mutant: NetmailAdapter) -> None:
    session, recipients = oracle_counterexample(bare_lf_mutant)
    netmail_itself = NetmailAdapter(use_asyncio=bare_lf_mutant._use_asyncio)
    assert oracle_differences(netmail_itself, session, recipients) == [], session


def test_scenarios_catch_the_bare_lf_mutant(bare_lf_mutant: NetmailAdapter) -> None:
    scenarios, _ = load_scenarios([REPO / "scenarios"])
    netmail_itself = NetmailAdapter(use_asyncio=bare_lf_mutant._use_asyncio)
    verdicts = run_all(scenarios, [netmail_itself, bare_lf_mutant])
    failed = bare_lf_failures(scenarios, [v for v in verdicts if v.client == "mutant"])
    assert failed, "no scenario catches a client that reads a bare LF as a line end"
    passed = {v.scenario.id for v in verdicts if v.client == "netmail" and v.status == PASS}
    assert {s.id for s in failed} <= passed


def test_the_judge_does_not_follow_netmails_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12: the same mutation made to netmail itself must not move the judge with it,
    as it did while the server judged replies with netmail's ``ReplyParser``."""
    namespace = dict(vars(netmail.replies))  # relative imports resolve to netmail's own
    source = Path(netmail.replies.__file__).read_text(encoding="utf-8")
    assert source.count(BARE_LF_ORIGINAL) == 1, "netmail/replies.py changed: update the mutation"
    exec(compile(source.replace(BARE_LF_ORIGINAL, BARE_LF_MUTATED), "mutated", "exec"), namespace)
    monkeypatch.setattr(netmail.replies, "_parse_line", namespace["_parse_line"])
    parser = netmail.replies.ReplyParser()
    parser.feed(b"250 ok\n")
    assert parser.next_reply() is not None, "the mutation did not take"
    assert sent_code(Action(raw="250 ok\n"), 250) is None
    oracle_counterexample(NetmailAdapter())
    scenarios, _ = load_scenarios([REPO / "scenarios"])
    assert bare_lf_failures(scenarios, run_all(scenarios, [NetmailAdapter()]))

