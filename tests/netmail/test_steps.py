"""The reply table: accept, record, fall back, fail with the code, or protocol violation."""

from __future__ import annotations

import pytest

from netmail import SmtpStatusCode
from netmail.steps import Disposition, Step, classify, reply_error

from .conversation import parse


@pytest.mark.parametrize(("step", "code", "disposition"), [
    (Step.GREETING, 220, Disposition.ACCEPT),
    (Step.GREETING, 250, Disposition.VIOLATION),
    (Step.GREETING, 554, Disposition.FAIL),
    (Step.EHLO, 502, Disposition.FALLBACK),
    (Step.EHLO, 500, Disposition.FALLBACK),
    (Step.EHLO, 501, Disposition.FAIL),
    (Step.RCPT, 251, Disposition.ACCEPT),
    (Step.RCPT, 252, Disposition.ACCEPT),
    *((Step.RCPT, code, Disposition.RECORD) for code in (450, 452, 550, 551, 552, 553)),
    *((Step.RCPT, code, Disposition.FAIL) for code in (421, 451, 454, 500, 530, 554)),
    (Step.RCPT, 354, Disposition.VIOLATION),
    (Step.DATA, 354, Disposition.ACCEPT),
    (Step.DATA, 250, Disposition.VIOLATION),
    (Step.END_OF_DATA, 250, Disposition.ACCEPT),
    (Step.END_OF_DATA, 552, Disposition.FAIL),
    (Step.MAIL, 452, Disposition.FAIL),
])
def test_classify(step: Step, code: int, disposition: Disposition) -> None:
    assert classify(step, code) is disposition


def test_fail_carries_the_servers_code_and_text() -> None:
    error = reply_error(Step.MAIL, parse("552 5.3.4 too big\r\n"))
    assert error.status_code is SmtpStatusCode.ExceededStorageAllocation
    assert str(error) == "Exceeded storage allocation. The server response was: 5.3.4 too big"


def test_violation_is_a_general_failure() -> None:
    error = reply_error(Step.DATA, parse("250 ok\r\n"))
    assert error.status_code is SmtpStatusCode.GeneralFailure
    assert "protocol violation" in str(error)


def test_auth_failure_says_so_and_keeps_an_unnamed_code() -> None:
    error = reply_error(Step.AUTH, parse("535 5.7.8 bad\r\n"))
    assert error.status_code == 535
    assert str(error).startswith("Authentication failed.")
