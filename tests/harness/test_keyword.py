"""``-k`` expressions, as pytest reads them: substrings joined by and, or, not, parentheses."""

from __future__ import annotations

import re

import pytest

from harness.keyword import keyword_filter

TEXTS = ["recipients/middle-rejected recipients-failed", "replies/rcpt/slow-timeout timeout",
         "tls/expired tls-certificate", "recipients/pipelining-all-rejected-one recipients-failed"]


@pytest.mark.parametrize(("expression", "chosen"), [
    ("recipients", [0, 3]),
    ("RCPT", [1]),
    ("recipients and not pipelining", [0]),
    ("tls or timeout", [1, 2]),
    ("not (recipients or tls)", [1]),
    ("(rejected and one) or expired", [2, 3]),
])
def test_selection(expression: str, chosen: list[int]) -> None:
    keep = keyword_filter(expression)
    assert [i for i, text in enumerate(TEXTS) if keep(text)] == chosen


@pytest.mark.parametrize(("expression", "problem"), [
    ("recipients and", "ends too early"),
    ("(tls or timeout", "ends too early"),
    ("(tls or timeout expired", "missing ')'"),
    ("and tls", "unexpected 'and'"),
    ("tls timeout", "unexpected 'timeout'"),
])
def test_malformed_expressions_say_what_is_wrong(expression: str, problem: str) -> None:
    pattern = re.escape(f"-k {expression!r}: ") + ".*" + re.escape(problem)
    with pytest.raises(ValueError, match=pattern):
        keyword_filter(expression)
