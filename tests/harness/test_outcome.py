"""Outcomes: how an exception is described, timed and serialised."""

from __future__ import annotations

import time

import pytest

from harness.model import NO_STATUS, FailedRecipient
from harness.outcome import Outcome, capture, python_exception, status_name
from netmail import SmtpException, SmtpStatusCode


@pytest.mark.parametrize(("code", "name"), [
    (None, None), (550, "MailboxUnavailable"), (-1, "GeneralFailure"), (599, 599),
    (SmtpStatusCode.MustIssueStartTlsFirst, "MustIssueStartTlsFirst"),
    (NO_STATUS, None),  # a file's ``status_code: null``: no code, never shown as a number
])
def test_status_name(code: int | None, name: str | int | None) -> None:
    assert status_name(code) == name


def test_describe() -> None:
    assert Outcome().describe() == "success"
    assert Outcome("InvalidOperationException").describe() == "InvalidOperationException"
    assert Outcome("SmtpException", 451).describe() == "SmtpException(LocalErrorInProcessing)"
    assert Outcome("SmtpException", 599).describe() == "SmtpException(599)"


def test_to_json() -> None:
    outcome = Outcome("SmtpFailedRecipientsException", -1, "Unable to send", "KeyError",
                      ("LookupError",), (FailedRecipient("<a@x>", 550),
                                         FailedRecipient("<b@x>", 599)), 0.123456)
    assert outcome.to_json() == {
        "exception": "SmtpFailedRecipientsException", "status_code": "GeneralFailure",
        "message": "Unable to send", "inner": "KeyError",
        "failed_recipients": [{"address": "<a@x>", "status_code": "MailboxUnavailable"},
                              {"address": "<b@x>", "status_code": 599}],
        "seconds": 0.1235}


def test_python_exception_names_class_status_and_cause() -> None:
    cause = ConnectionResetError(104, "reset by peer")
    error = SmtpException("Failure sending mail.", SmtpStatusCode.ServiceNotAvailable)
    error.__cause__ = cause
    outcome = python_exception(error)
    assert outcome.exception == "SmtpException"
    assert outcome.status_code == 421 and type(outcome.status_code) is int
    assert outcome.message == "Failure sending mail."
    assert outcome.inner == "ConnectionResetError"
    assert outcome.inner_bases[:3] == ("ConnectionError", "OSError", "Exception")


def test_python_exception_without_status_or_cause() -> None:
    outcome = python_exception(KeyError("k"))
    assert (outcome.exception, outcome.status_code, outcome.inner, outcome.inner_bases) == (
        "KeyError", None, None, ())


def test_capture_times_success_and_failure() -> None:
    ok = capture(lambda: time.sleep(0.05), python_exception)
    assert ok.exception is None and 0.04 <= ok.seconds < 1

    def fail() -> None:
        time.sleep(0.05)
        raise ValueError("bad")

    failed = capture(fail, python_exception)
    assert failed.exception == "ValueError" and failed.message == "bad"
    assert 0.04 <= failed.seconds < 1


def test_capture_lets_base_exceptions_through() -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        capture(interrupt, python_exception)
