"""Property test: for any generated server script, netmail's outcome is the contract's.

Hypothesis writes scripts (any reply code at any step, malformed replies, drops, delays around
the timeout, several recipients with mixed replies); each runs against a real scripted server
and netmail (``send``, and ``send_mail_async``), and the outcome must equal what
``harness.oracle`` says the contract requires.
CI runs a fixed-seed few hundred; ``SMTP_ORACLE_EXAMPLES=5000`` runs more.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.adapters import NetmailAdapter
from harness.adapters.base import Adapter, ClientRequest
from harness.model import Action, Expectation, MessageSpec, ServerScript
from harness.oracle import Session, expected_outcome
from harness.outcome import Outcome
from harness.server import HOST, shared_host
from harness.server.transcript import Transcript
from harness.verdict import Difference, compare

TIMEOUT = 0.5
LONG = 1.5
EXAMPLES = int(os.environ.get("SMTP_ORACLE_EXAMPLES", "250"))

codes = st.one_of(st.sampled_from([220, 221, 250, 251, 252, 334, 354, 421, 450, 451, 452, 454,
                                   500, 501, 502, 503, 530, 550, 551, 552, 553, 554]),
                  st.integers(200, 599))
malformed = st.sampled_from(["Go away\r\n", "25\r\n", "250 ok\n", "600 weird\r\n",
                             "250-a\r\n251 b\r\n"])


NOTHING: st.SearchStrategy[Action] = st.nothing()


def actions(normal: int = 8, extra: st.SearchStrategy[Action] = NOTHING
            ) -> st.SearchStrategy[Action]:
    """An action that is normal ``normal`` times in ten, so that later steps are reached."""
    return st.integers(0, 9).flatmap(
        lambda roll: st.just(Action()) if roll < normal else unusual(extra))


def unusual(extra: st.SearchStrategy[Action]) -> st.SearchStrategy[Action]:
    return st.one_of(
        extra,
        codes.map(lambda c: Action(reply=(f"{c} scripted",))),
        codes.map(lambda c: Action(reply=(f"{c}-first line", f"{c} last line"))),
        malformed.map(lambda raw: Action(raw=raw)),
        st.sampled_from(["before", "reset"]).map(lambda how: Action(drop=how)),
        st.just(Action(drop="after")),
        st.just(Action(delay=0.02)),
        st.just(Action(delay=LONG)),
    )


recipient_replies = st.sampled_from([250, 251, 252, 450, 452, 550, 551, 552, 553]).map(
    lambda c: Action(reply=(f"{c} recipient",)))
sessions = st.builds(
    Session, greeting=actions(9), ehlo=actions(9), mail=actions(9),
    rcpt=st.lists(actions(3, extra=recipient_replies), max_size=3), data=actions(9),
    end_of_data=actions(7))
recipient_lists = st.lists(st.sampled_from(["a@example.com", "b@example.com", "c@example.com",
                                            "d@example.com"]), min_size=1, max_size=3,
                           unique=True)


def script_of(session: Session) -> ServerScript:
    steps = tuple((step, (action,)) for step, action in asdict_actions(session)
                  if action != Action())
    rcpt = tuple(session.rcpt)
    if rcpt:
        steps += (("rcpt", rcpt),)
    return ServerScript(steps=steps)


def asdict_actions(session: Session) -> list[tuple[str, Action]]:
    return [(step, getattr(session, step))
            for step in ("greeting", "ehlo", "mail", "data", "end_of_data")]


@dataclass(frozen=True)
class OracleCheck:
    """One generated session run against a real scripted server: what the oracle wanted, what
    the client did, and how they differ."""

    expected: Expectation
    outcomes: list[Outcome]
    transcript: Transcript
    differences: list[Difference]


def oracle_check(adapter: Adapter, session: Session, recipients: list[str]) -> OracleCheck:
    server = shared_host().start(script_of(session))
    request = ClientRequest(
        scenario="generated", host=HOST, port=server.port, enable_ssl=False, timeout=TIMEOUT,
        credentials=None, delivery_method="network", pickup_directory=None, state=None,
        sends=1, ca_file=None,
        message=MessageSpec(from_="s@example.com", to=tuple(recipients)))
    try:
        outcomes = adapter.run(request)
    finally:
        transcript = server.stop()
    expected = expected_outcome(session, recipients, TIMEOUT)
    return OracleCheck(expected, outcomes, transcript,
                       compare(expected, outcomes, transcript, None))


@pytest.mark.parametrize("use_asyncio", [False, True], ids=["send", "send_mail_async"])
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions, recipients=recipient_lists)
def test_netmail_meets_the_oracle(use_asyncio: bool, session: Session,
                                  recipients: list[str]) -> None:
    check = oracle_check(NetmailAdapter(use_asyncio=use_asyncio), session, recipients)
    assert not check.differences, (check.differences, asdict(check.expected),
                                   check.transcript.render())
    assert check.outcomes[0].seconds < TIMEOUT + 1.0, "a send outlived its timeout"
