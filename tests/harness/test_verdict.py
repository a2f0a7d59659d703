"""Judging: each expectation field against an outcome, profiles, and stale profiles."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.model import NO_INNER, Expectation, FailedRecipient, Scenario, ServerFacts
from harness.outcome import Outcome, python_exception
from harness.server.transcript import ReceivedMessage, Transcript
from harness.verdict import DEVIATES, ERROR, FAIL, PASS, harness_error, judge
from harness.verdict import compare as compare_fields


def compare(*args: object) -> list[str]:
    """The differences' texts (their fields and levels are tested on their own)."""
    return [d.text for d in compare_fields(*args)]  # type: ignore[arg-type]

MakeScenario = Callable[[str], Scenario]


def refused() -> Outcome:
    """What netmail reports when nothing listens: SmtpException with a ConnectionRefusedError."""
    return Outcome(exception="SmtpException", status_code=-1, message="Failure sending mail.",
                   inner="ConnectionRefusedError",
                   inner_bases=tuple(c.__name__ for c in ConnectionRefusedError.__mro__[1:]))


def one(expected: Expectation, outcome: Outcome, transcript: Transcript | None = None,
        pickup_files: int | None = None) -> list[str]:
    return compare(expected, [outcome], transcript, pickup_files)


def session(*commands: str, delivered: tuple[tuple[str, ...], ...] = (),
            rejected: tuple[tuple[str, ...], ...] = (), raw: bytes = b"") -> Transcript:
    transcript = Transcript()
    number = transcript.connect("peer")
    for command in commands:
        transcript.client_line(number, command.encode() + b"\r\n")
    transcript.messages += [ReceivedMessage(number, "a@x", r, raw, True) for r in delivered]
    transcript.messages += [ReceivedMessage(number, "a@x", r, raw, False) for r in rejected]
    return transcript


# -- raises -------------------------------------------------------------------------------


def test_success_expected_and_got() -> None:
    assert one(Expectation(), Outcome()) == []


def test_exception_expected_success_got() -> None:
    assert one(Expectation(raises="SmtpException"), Outcome()) == [
        "raises: expected SmtpException, got success"]


def test_success_expected_exception_got() -> None:
    assert one(Expectation(), refused()) == ["raises: expected success, got SmtpException"]


def test_raises_is_exact_not_a_subclass() -> None:
    """SmtpFailedRecipientsException derives from SmtpFailedRecipientException in .NET;
    the documented class must still be matched exactly."""
    differences = one(Expectation(raises="SmtpFailedRecipientException"),
                      Outcome(exception="SmtpFailedRecipientsException"))
    assert differences == ["raises: expected SmtpFailedRecipientException, "
                           "got SmtpFailedRecipientsException"]


# -- status_code, message -----------------------------------------------------------------


def test_status_code_compared_only_when_expected() -> None:
    assert one(Expectation(raises="SmtpException"), refused()) == []
    assert one(Expectation(raises="SmtpException", status_code=-1), refused()) == []
    assert one(Expectation(raises="SmtpException", status_code=550), refused()) == [
        "status_code: expected MailboxUnavailable (550), got GeneralFailure (-1)"]


def test_status_code_without_a_name_and_missing() -> None:
    assert one(Expectation(raises="SmtpException", status_code=599),
               Outcome(exception="SmtpException")) == ["status_code: expected 599, got none"]


def test_message_contains() -> None:
    expected = Expectation(raises="SmtpException", message_contains="sending mail")
    assert one(expected, refused()) == []
    differences = one(Expectation(raises="SmtpException", message_contains="timed out"),
                      refused())
    assert differences == ["message: expected it to contain 'timed out', "
                           "got 'Failure sending mail.'"]
    assert one(Expectation(message_contains="x"), Outcome()) == [
        "message: expected it to contain 'x', got None"]


# -- failed recipients --------------------------------------------------------------------

FAILED = Outcome(exception="SmtpFailedRecipientsException", status_code=550,
                 failed_recipients=(FailedRecipient("<a@x>", 550), FailedRecipient("<b@x>", 452)))


def test_failed_recipients_in_order() -> None:
    base = {"raises": "SmtpFailedRecipientsException"}
    assert one(Expectation(**base, failed_recipients=(FailedRecipient("<a@x>"),
                                                      FailedRecipient("<b@x>"))), FAILED) == []
    assert one(Expectation(**base, failed_recipients=(FailedRecipient("<b@x>"),
                                                      FailedRecipient("<a@x>"))), FAILED) == [
        "failed_recipients.order: expected ['<b@x>', '<a@x>'], got ['<a@x>', '<b@x>']"]
    assert one(Expectation(**base, failed_recipients=(FailedRecipient("<a@x>"),)), FAILED) == [
        "failed_recipients: expected ['<a@x>'], got ['<a@x>', '<b@x>']"]
    assert one(Expectation(**base, failed_recipients=()), FAILED) == [
        "failed_recipients: expected [], got ['<a@x>', '<b@x>']"]


def test_failed_recipient_status_codes() -> None:
    expected = Expectation(raises="SmtpFailedRecipientsException", failed_recipients=(
        FailedRecipient("<a@x>", 550), FailedRecipient("<b@x>", 550)))
    assert one(expected, FAILED) == [
        "failed_recipients[1].status_code: expected MailboxUnavailable (550), "
        "got InsufficientStorage (452)"]


def test_failed_recipients_unchecked_when_not_expected() -> None:
    assert one(Expectation(raises="SmtpFailedRecipientsException"), FAILED) == []


# -- inner --------------------------------------------------------------------------------


def test_inner_exact_and_base_class() -> None:
    for name in ("ConnectionRefusedError", "ConnectionError", "OSError"):
        assert one(Expectation(raises="SmtpException", inner=name), refused()) == [], name
    assert one(Expectation(raises="SmtpException", inner="TimeoutError"), refused()) == [
        "inner: expected TimeoutError, got ConnectionRefusedError"]


def test_inner_base_class_from_a_real_exception() -> None:
    try:
        try:
            raise ConnectionResetError(104, "reset")
        except OSError as cause:
            raise RuntimeError("wrapped") from cause
    except RuntimeError as exc:
        outcome = python_exception(exc)
    assert outcome.inner == "ConnectionResetError"
    assert one(Expectation(raises="RuntimeError", inner="ConnectionError"), outcome) == []
    assert one(Expectation(raises="RuntimeError", inner="ValueError"), outcome) != []


def test_inner_null_means_none() -> None:
    assert one(Expectation(raises="SmtpException", inner=NO_INNER),
               Outcome(exception="SmtpException")) == []
    assert one(Expectation(raises="SmtpException", inner=NO_INNER), refused()) == [
        "inner: expected none, got ConnectionRefusedError"]


def test_inner_expected_but_none() -> None:
    assert one(Expectation(raises="SmtpException", inner="OSError"),
               Outcome(exception="SmtpException")) == ["inner: expected OSError, got none"]


def test_inner_unchecked_when_not_expected() -> None:
    assert one(Expectation(raises="SmtpException"), refused()) == []


# -- pickup files, earlier sends, no outcome ----------------------------------------------


def test_pickup_files() -> None:
    assert one(Expectation(pickup_files=1), Outcome(), pickup_files=1) == []
    assert one(Expectation(pickup_files=1), Outcome(), pickup_files=0) == [
        "pickup_files: expected 1, got 0"]
    assert one(Expectation(pickup_files=0), Outcome(), pickup_files=None) == [
        "pickup_files: expected 0, got None"]


def test_earlier_sends_must_succeed_by_default() -> None:
    outcomes = [Outcome(), refused(), Outcome()]
    assert compare(Expectation(), outcomes, None, None) == [
        "send 2 of 3: raises: expected success, got SmtpException"]
    assert compare(Expectation(raises="SmtpException"), [refused(), refused()], None, None) == [
        "send 1 of 2: raises: expected success, got SmtpException"]


def test_earlier_sends_follow_expect_earlier() -> None:
    """``earlier`` lists the outcomes before the last, in order; unlisted ones succeed."""
    expected = Expectation(earlier=(Expectation(raises="SmtpException", status_code=-1,
                                                inner="ConnectionError"),))
    assert compare(expected, [refused(), Outcome(), Outcome()], None, None) == []
    assert compare(expected, [Outcome(), refused(), Outcome()], None, None) == [
        "send 1 of 3: raises: expected SmtpException, got success",
        "send 1 of 3: status_code: expected GeneralFailure (-1), got none",
        "send 1 of 3: inner: expected ConnectionError, got none",
        "send 2 of 3: raises: expected success, got SmtpException"]
    wrong_code = Expectation(earlier=(Expectation(raises="SmtpException", status_code=451),))
    assert compare(wrong_code, [refused(), Outcome()], None, None) == [
        "send 1 of 2: status_code: expected LocalErrorInProcessing (451), got GeneralFailure (-1)"]


def test_earlier_loaded_from_a_file(make_scenario: MakeScenario) -> None:
    scenario = make_scenario("""\
        id: x/earlier
        condition: connection-reuse
        client: {sends: 2}
        expect:
          raises: null
          earlier: [{raises: SmtpException, status_code: 421, message_contains: closing}]
        """)
    [first] = scenario.expect.earlier
    assert (first.raises, first.status_code, first.message_contains) == (
        "SmtpException", 421, "closing")
    verdict = judge(scenario, "netmail", [Outcome("SmtpException", 421, "closing channel"),
                                          Outcome()], None, None, 0.1)
    assert verdict.status == PASS, verdict.differences


def test_no_outcome() -> None:
    assert compare(Expectation(), [], None, None) == ["the client reported no outcome"]


def test_several_differences_are_all_reported() -> None:
    expected = Expectation(raises="SmtpFailedRecipientException", status_code=550,
                           message_contains="recipient", inner=NO_INNER, pickup_files=0)
    assert len(one(expected, refused(), pickup_files=None)) == 5


# -- server facts -------------------------------------------------------------------------


def test_server_facts_match() -> None:
    transcript = session("EHLO x", "MAIL FROM:<a@x>", "RCPT TO:<b@x>", "DATA", "QUIT",
                         delivered=(("b@x",),), raw=b"Subject: hi\r\n\r\nbody\r\n")
    facts = ServerFacts(connections=1, commands=("EHLO", "MAIL", "RCPT", "DATA", "QUIT"),
                        data_sent=True, delivered_to=("b@x",), messages=1,
                        data_contains=("Subject: hi",), data_excludes=("Bcc:",))
    assert one(Expectation(server=facts), Outcome(), transcript) == []


@pytest.mark.parametrize(("facts", "difference"), [
    (ServerFacts(connections=2), "server.connections: expected 2, got 1"),
    (ServerFacts(commands=("EHLO", "QUIT")),
     "server.commands: expected ['EHLO', 'QUIT'], got ['EHLO', 'MAIL', 'RCPT', 'DATA', 'QUIT']"),
    (ServerFacts(data_sent=False), "server.data_sent: expected False, got True"),
    (ServerFacts(delivered_to=("c@x",)), "server.delivered_to: expected ['c@x'], got ['b@x']"),
    (ServerFacts(messages=2), "server.messages: expected 2, got 1"),
    (ServerFacts(data_contains=("X-Missing",)),
     "server.data_contains: 'X-Missing' not in the received data"),
    (ServerFacts(data_excludes=("body",)),
     "server.data_excludes: 'body' found in the received data"),
])
def test_server_fact_differences(facts: ServerFacts, difference: str) -> None:
    transcript = session("EHLO x", "MAIL FROM:<a@x>", "RCPT TO:<b@x>", "DATA", "QUIT",
                         delivered=(("b@x",),), rejected=(("r@x",),),
                         raw=b"Subject: hi\r\n\r\nbody\r\n")
    assert one(Expectation(server=facts), Outcome(), transcript) == [difference]


def test_messages_and_delivered_count_only_accepted_messages() -> None:
    transcript = session("DATA", "DATA", rejected=(("a@x",), ("b@x",)))
    facts = ServerFacts(messages=0, delivered_to=(), data_sent=True)
    assert one(Expectation(server=facts), Outcome(), transcript) == []


def test_server_facts_without_a_server() -> None:
    facts = ServerFacts(connections=0, commands=(), data_sent=False, delivered_to=(), messages=0)
    differences = one(Expectation(server=facts), Outcome(), None)
    assert differences == [f"server.{name}: the scenario has no server" for name in
                           ("connections", "commands", "data_sent", "delivered_to", "messages")]
    assert one(Expectation(), Outcome(), None) == []


def test_data_contains_without_a_server_is_not_met() -> None:
    """Expecting data to contain something when there is no server cannot pass silently."""
    differences = one(Expectation(server=ServerFacts(data_contains=("Subject:",))), Outcome(),
                      None)
    assert differences != []
    assert "data_contains" in differences[0]


# -- judge: pass, fail, profiles ----------------------------------------------------------

PROFILED = """\
    id: x/profiled
    condition: auth-failed
    expect: {raises: SmtpException, status_code: 535}
    profiles:
      quirky: {why: fails later at MAIL with 530, status_code: 530}
    """


def test_judge_pass_and_fail(make_scenario: MakeScenario) -> None:
    scenario = make_scenario(PROFILED)
    passed = judge(scenario, "netmail", [Outcome("SmtpException", 535)], None, None, 0.5)
    assert (passed.status, passed.passed, passed.differences) == (PASS, True, ())
    assert passed.expected == scenario.expect and passed.seconds == 0.5
    failed = judge(scenario, "netmail", [Outcome("SmtpException", 530)], None, None, 0.1)
    assert failed.status == FAIL and not failed.passed
    assert failed.differences == ("status_code: expected 535, got MustIssueStartTlsFirst (530)",)


def test_profile_gives_deviates(make_scenario: MakeScenario) -> None:
    scenario = make_scenario(PROFILED)
    verdict = judge(scenario, "quirky", [Outcome("SmtpException", 530)], None, None, 0.1)
    assert verdict.status == DEVIATES and verdict.passed
    assert verdict.expected.status_code == 530 and verdict.expected.why is not None
    # The profile belongs to its client only.
    other = judge(scenario, "netmail", [Outcome("SmtpException", 530)], None, None, 0.1)
    assert other.status == FAIL


def test_stale_profile_is_reported(make_scenario: MakeScenario) -> None:
    """A client that now honours the contract fails until its profile is removed."""
    scenario = make_scenario(PROFILED)
    verdict = judge(scenario, "quirky", [Outcome("SmtpException", 535)], None, None, 0.1)
    assert verdict.status == FAIL and not verdict.passed
    assert verdict.differences[0] == ("status_code: expected MustIssueStartTlsFirst (530), "
                                      "got 535")
    assert verdict.differences[-1] == ("the client now honours the documented contract: "
                                       "remove its profile (fails later at MAIL with 530)")


def test_profile_and_contract_both_missed(make_scenario: MakeScenario) -> None:
    scenario = make_scenario(PROFILED)
    verdict = judge(scenario, "quirky", [Outcome()], None, None, 0.1)
    assert verdict.status == FAIL
    assert not any("remove its profile" in d for d in verdict.differences)


DETAIL_PROFILED = """\
    id: x/detail-profiled
    condition: auth-failed
    expect: {raises: SmtpException, status_code: 535, message_contains: Authentication}
    profiles:
      terse: {why: its own message text, unchecked: [message_contains]}
      silent: {why: gives no status code, unchecked: [status_code]}
    """


def test_contract_only_needs_no_profile_for_a_detail(make_scenario: MakeScenario) -> None:
    """Under ``contract_only`` a profile that departs only in details is set aside: the
    client is judged by ``expect`` and conforms; a detail-only miss is not a failure."""
    scenario = make_scenario(DETAIL_PROFILED)
    outcome = [Outcome("SmtpException", 535, "no")]
    assert judge(scenario, "terse", outcome, None, None, 0.1).status == DEVIATES
    verdict = judge(scenario, "terse", outcome, None, None, 0.1, contract_only=True)
    assert (verdict.status, verdict.expected) == (PASS, scenario.expect)
    assert judge(scenario, "netmail", outcome, None, None, 0.1, contract_only=True
                 ).status == PASS
    wrong_code = [Outcome("SmtpException", 530, "Authentication")]
    assert judge(scenario, "terse", wrong_code, None, None, 0.1, contract_only=True
                 ).status == FAIL


EARLIER_PROFILED = """\
    id: x/earlier-profiled
    condition: connection-reuse
    client: {sends: 2}
    expect:
      earlier: [{raises: SmtpException, status_code: 451, message_contains: "Error in"}]
      raises: null
    profiles:
      terse: {why: its own text for the first send, earlier: [{message_contains: "451"}]}
      recoded: {why: another code for the first send, earlier: [{status_code: 554}]}
    """


def test_contract_only_judges_earlier_sends_field_by_field(make_scenario: MakeScenario
                                                           ) -> None:
    """A profile that departs only in an earlier send's message text is detail-only: under
    ``contract_only`` it is set aside; one that changes an earlier send's code is kept."""
    scenario = make_scenario(EARLIER_PROFILED)
    outcomes = [Outcome("SmtpException", 451, "451 busy"), Outcome()]
    verdict = judge(scenario, "terse", outcomes, None, None, 0.1, contract_only=True)
    assert (verdict.status, verdict.expected) == (PASS, scenario.expect)
    recoded = [Outcome("SmtpException", 554, "Error in"), Outcome()]
    verdict = judge(scenario, "recoded", recoded, None, None, 0.1, contract_only=True)
    assert verdict.status == DEVIATES and verdict.expected.why == "another code for the first send"


def test_contract_only_keeps_a_profile_that_unchecks_a_contract_field(
        make_scenario: MakeScenario) -> None:
    scenario = make_scenario(DETAIL_PROFILED)
    verdict = judge(scenario, "silent", [Outcome("SmtpException", None, "Authentication")],
                    None, None, 0.1, contract_only=True)
    assert verdict.status == DEVIATES and verdict.expected.why == "gives no status code"
    assert verdict.level == "contract" and not verdict.conforms


def test_contract_only_keeps_a_profile_of_a_contract_field(make_scenario: MakeScenario
                                                           ) -> None:
    scenario = make_scenario(PROFILED)
    verdict = judge(scenario, "quirky", [Outcome("SmtpException", 530)], None, None, 0.1,
                    contract_only=True)
    assert verdict.status == DEVIATES and verdict.expected.status_code == 530


def test_harness_error(make_scenario: MakeScenario) -> None:
    scenario = make_scenario(PROFILED)
    verdict = harness_error(scenario, "quirky", "the client hung", None, 12.0)
    assert verdict.status == ERROR and not verdict.passed
    assert verdict.differences == ("the client hung",)
    assert verdict.actual is None and verdict.outcomes == ()
    assert verdict.expected.status_code == 530


def test_explain(make_scenario: MakeScenario) -> None:
    scenario = make_scenario(PROFILED)
    transcript = session("EHLO x", "AUTH PLAIN c2VjcmV0")
    verdict = judge(scenario, "netmail", [Outcome("SmtpException", 530, message="Auth failed")],
                    transcript, None, 0.1)
    text = verdict.explain()
    lines = text.split("\n")
    assert lines[0] == "x/profiled [netmail]: fail"
    assert lines[1] == f"  scenario file: {scenario.path}:1"
    assert lines[2] == "  condition: auth-failed"
    assert "  - status_code: expected 535, got MustIssueStartTlsFirst (530)" in lines
    assert "  message: Auth failed" in lines
    assert "  transcript:" in lines
    assert any(line.startswith("    [") and "C: AUTH PLAIN ***" in line for line in lines)
    assert "c2VjcmV0" not in text


def test_actual_is_the_last_outcome(make_scenario: MakeScenario) -> None:
    scenario = make_scenario(PROFILED)
    last = Outcome("SmtpException", 535)
    verdict = judge(scenario, "netmail", [Outcome(), last], None, None, 0.1)
    assert verdict.actual is last and verdict.status == PASS


@pytest.mark.parametrize(("want", "got", "matches"), [
    ("<a@x> SIZE=* BODY=8BITMIME", "<a@x> body=8BITMIME SIZE=210", True),  # any order, case
    ("<a@x> SIZE=*", "<a@x>", False),                   # a parameter missing
    ("<a@x>", "<a@x> SMTPUTF8", False),                 # one too many
    ("<a@x> SIZE=*", "<a@x> SIZE=1 SIZE=2", False),     # a parameter twice
    ("<a@x> SIZE=*", "<a@x> SIZE=1 2", False),          # a stray word is a parameter too
    ("<*@x>", "<anyone@x>", True),
    ("<a@x>", "<A@x>", False),                          # the path is compared exactly
])
def test_envelope_arguments_match(want: str, got: str, matches: bool) -> None:
    expected = Expectation(raises=None, server=ServerFacts(mail_from=(want,)))
    found = one(expected, Outcome(), session(f"MAIL FROM:{got}"))
    assert (not found) is matches, found


RACING = """\
    id: x/racing
    condition: timeout
    expect: {raises: SmtpException, status_code: GeneralFailure}
    profiles:
      racy:
        why: its timer races the connection
        alternatives:
          - {raises: null, status_code: null}
          - {raises: SmtpException, unchecked: [status_code]}
    """


def test_an_alternative_matches_a_racing_client(make_scenario: MakeScenario) -> None:
    """A racing client deviates with whichever recorded outcome it gave; the verdict keeps
    the alternative that matched, and the documented one still counts as conforming."""
    scenario = make_scenario(RACING)
    documented = judge(scenario, "racy", [Outcome("SmtpException", -1)], None, None, 0.1)
    assert (documented.status, documented.conforms) == (DEVIATES, True)
    succeeded = judge(scenario, "racy", [Outcome()], None, None, 0.1)
    assert (succeeded.status, succeeded.conforms) == (DEVIATES, False)
    assert succeeded.expected.raises is None
    assert succeeded.expected.why == "its timer races the connection"


def test_an_outcome_no_alternative_records_fails(make_scenario: MakeScenario) -> None:
    scenario = make_scenario(RACING)
    verdict = judge(scenario, "racy", [Outcome("SmtpFailedRecipientException", 550)], None,
                    None, 0.1)
    assert verdict.status == FAIL
    assert verdict.differences[0] == ("raises: expected SmtpException, got "
                                      "SmtpFailedRecipientException")


def test_contract_only_keeps_a_profile_whose_alternative_departs(make_scenario: MakeScenario
                                                                 ) -> None:
    """The profile itself names nothing, but an alternative departs from the contract: under
    ``contract_only`` it is not set aside, so the racing success still deviates."""
    scenario = make_scenario(RACING)
    verdict = judge(scenario, "racy", [Outcome()], None, None, 0.1, contract_only=True)
    assert verdict.status == DEVIATES


def test_reported_by_is_judged_as_a_detail() -> None:
    """A SendAsync error that came through SendCompleted where the call should have raised
    it (or the other way round) is a difference, at detail level."""
    expected = Expectation(raises="SmtpException", reported_by="call")
    late = Outcome(exception="SmtpException", reported_by="send_completed")
    assert one(expected, late) == ["reported_by: expected call, got send_completed"]
    assert one(expected, Outcome(exception="SmtpException", reported_by="call")) == []
    [difference] = compare_fields(expected, [late], None, None)
    assert difference.level == "detail"
