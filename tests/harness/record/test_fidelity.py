"""``outcome_differences``: what makes a replay unfaithful to the live session."""

from __future__ import annotations

from harness.model import FailedRecipient
from harness.outcome import Outcome
from harness.record.fidelity import outcome_differences
from harness.server.transcript import ReceivedMessage, Transcript

REJECTED = Outcome("SmtpFailedRecipientException", 550,
                   failed_recipients=(FailedRecipient("<b@x>", 550),))


def delivered(*to: str) -> Transcript:
    transcript = Transcript()
    transcript.messages.append(ReceivedMessage(1, "s@x", to, b"", True))
    return transcript


def test_the_same_outcome_is_faithful_whatever_the_timing_and_texts() -> None:
    replayed = Outcome("SmtpFailedRecipientException", 550, message="other words",
                       failed_recipients=(FailedRecipient("<b@x>", 550),), seconds=9.0)
    assert outcome_differences([REJECTED], delivered("a@x"), [replayed], delivered("a@x")) == []


def test_each_departure_is_named() -> None:
    assert outcome_differences([REJECTED], delivered("a@x"), [Outcome()], delivered("a@x")) == [
        "live SmtpFailedRecipientException(MailboxUnavailable), replay success",
        "failed recipients: live [('<b@x>', 550)], replay []"]
    assert outcome_differences([REJECTED], delivered("a@x"), [REJECTED], None) == [
        "delivered to: live ['a@x'], replay []"]
    other_code = Outcome("SmtpFailedRecipientException", 550,
                         failed_recipients=(FailedRecipient("<b@x>", 450),))
    assert outcome_differences([REJECTED], delivered(), [other_code], delivered()) == [
        "failed recipients: live [('<b@x>', 550)], replay [('<b@x>', 450)]"]
    assert outcome_differences([Outcome(), REJECTED], delivered(), [REJECTED],
                               delivered()) == ["sends: live 2, replay 1"]
