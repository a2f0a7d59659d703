"""The judge's reply grammar: RFC 5321 cases, and where netmail's parser reads replies differently.

The table holds the RFC's cases, each with the reason for its verdict. The property test
generates replies (codes, separators, line ends, bare CR and LF, mixed codes, text octets,
lengths) and compares the judge with netmail's ``ReplyParser``: every disagreement must be one
of ``KNOWN_DIFFERENCES``, each of which is shown by an example of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.server.grammar import well_formed_code
from netmail.errors import FormatException
from netmail.replies import MAX_LINE, MAX_LINES, ReplyParser

CASES = [
    # well formed
    ("250 ok\r\n", 250, "code, SP, text, CRLF"),
    ("250\r\n", 250, "a bare code: senders SHOULD NOT, but no text MUST be acceptable (4.2)"),
    ("250 \r\n", 250, "SP and no text: 'followed immediately by <SP>, optionally some text'"),
    ("250-a\r\n250-b\r\n250 c\r\n", 250, "multi-line: '-' on every line but the last"),
    ("250-\r\n250\r\n", 250, "empty continuation ('[ textstring ]'), bare last line"),
    ("220\r\n", 220, "a greeting without a Domain: the judge does not read text"),
    ("250 caf\u00e9 \u2603\r\n", 250, "UTF-8 text (RFC 6531)"),
    ("250 \udcff\udc80\r\n", 250, "octets that are not UTF-8: any text MUST be acceptable"),
    ("250 a\tb\x00\x1b\x7f\x0c\r\n", 250, "controls but CR and LF are text too"),
    ("250 ok\x85\u2028\r\n", 250, "Unicode line separators are text, only CRLF ends a line"),
    ("250 " + "x" * 600 + "\r\n", 250, "over 512 octets: 512 is a minimum to accept (4.5.3.1)"),
    ("250-x\r\n" * 300 + "250 y\r\n", 250, "any number of lines"),
    ("270 new category\r\n", 270, "second digit 6-9: read by its first digit (4.2)"),
    ("599 x\r\n", 599, "the highest code"),
    ("200 x\r\n", 200, "the lowest code"),
    ("250 2.0.0 ok - fine\r\n", 250, "'-' in the text of a last line is text"),
    # not well formed
    ("250 ok\n", None, "bare LF line end"),
    ("250-a\n250 b\r\n", None, "bare LF ending a continuation line"),
    ("250 ok\r", None, "CR without LF at the end"),
    ("250 ok", None, "no line end: not yet a reply"),
    ("250 o\rk\r\n", None, "bare CR inside the line"),
    ("250 ok\r\r\n", None, "bare CR before the CRLF"),
    ("250 ok\n\r\n", None, "LF then CRLF: a bare-LF line, then an empty one"),
    ("150 x\r\n", None, "1yz: no SMTP command allows it, outside the ABNF"),
    ("600 weird\r\n", None, "first digit outside 2-5 (4.2: out of range, fatal)"),
    ("099 x\r\n", None, "first digit 0"),
    ("25\r\n", None, "two digits"),
    ("2500 ok\r\n", None, "four digits: no separator after the code"),
    ("250ok\r\n", None, "text straight after the code"),
    ("250_ok\r\n", None, "a separator other than SP or '-'"),
    ("250\tok\r\n", None, "HT is not the separator"),
    (" 250 ok\r\n", None, "anything before the code"),
    ("abc text\r\n", None, "letters for digits"),
    ("Go away\r\n", None, "no code at all"),
    ("\uff12\uff15\uff10 ok\r\n", None, "fullwidth digits are not %x30-39"),
    ("\u0662\u0665\u0660 ok\r\n", None, "Arabic-Indic digits are not %x30-39"),
    ("250-a\r\n251 b\r\n", None, "the code changes within one reply"),
    ("250-a\r\n", None, "a continuation line with no last line: incomplete"),
    ("250-a\r\n250-b\r\n", None, "still incomplete"),
    ("250-a\r\n\r\n250 b\r\n", None, "an empty line inside a reply"),
    ("250-a\r\n250b\r\n", None, "a last line with text straight after the code"),
    ("250 a\r\n250 b\r\n", None, "two replies, not one"),
    ("250 ok\r\nx", None, "bytes after the reply"),
    ("", None, "nothing"),
    ("\r\n", None, "an empty line"),
]


@pytest.mark.parametrize(("raw", "code", "why"), CASES, ids=[why for _, _, why in CASES])
def test_rfc_cases(raw: str, code: int | None, why: str) -> None:
    assert well_formed_code(raw) == code, why


def netmail_code(raw: bytes) -> int | None:
    """What netmail's parser makes of ``raw`` arriving at once: its code if one reply."""
    parser = ReplyParser()
    try:
        parser.feed(raw)
        reply = parser.next_reply()
    except FormatException:
        return None
    return reply.code if reply is not None and not parser.pending else None


@dataclass(frozen=True)
class KnownDifference:
    """A documented disagreement: the judge accepts what netmail refuses, or the reverse."""

    name: str
    why: str
    judge_accepts: bool
    applies: Callable[[bytes], bool]
    example: str


KNOWN_DIFFERENCES = (
    KnownDifference(
        "netmail's line limit",
        f"netmail refuses any line of more than MAX_LINE ({MAX_LINE}) octets, CRLF included "
        "(however the bytes are split into reads); the RFC sets no maximum a receiver must "
        "enforce (4.5.3.1), so the judge accepts it. Stricter than the RFC, on lines eight "
        "times its 512-octet minimum: only replies/overlong-greeting sends one.",
        judge_accepts=True,
        applies=lambda raw: any(len(line) + 1 > MAX_LINE for line in raw.split(b"\n")),
        example="250 " + "x" * MAX_LINE + "\r\n"),
    KnownDifference(
        "netmail's line count",
        f"netmail refuses a reply of more than MAX_LINES ({MAX_LINES}) lines; the RFC sets "
        "no limit, so the judge accepts it. Stricter than the RFC; no scenario sends one.",
        judge_accepts=True,
        applies=lambda raw: raw.count(b"\n") > MAX_LINES,
        example="250-x\r\n" * MAX_LINES + "250 y\r\n"),
)


@pytest.mark.parametrize("known", KNOWN_DIFFERENCES, ids=[k.name for k in KNOWN_DIFFERENCES])
def test_each_known_difference_is_real(known: KnownDifference) -> None:
    """The list holds only disagreements that still exist: fixed ones must leave it."""
    raw = known.example.encode("utf-8", "surrogateescape")
    assert known.applies(raw)
    assert (well_formed_code(known.example) is not None) == known.judge_accepts
    assert (netmail_code(raw) is not None) != known.judge_accepts


def mostly(usual: st.SearchStrategy[str], odd: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``usual`` nine times in ten, so that many replies are well formed but for one thing."""
    return st.integers(0, 9).flatmap(lambda roll: usual if roll else odd)


OCTETS = [*"az09 -.:<>@\t", "\x00", "\x1b", "\x7f", "\x85", "\u00e9", "\u20ac", "\U0001f600",
          "\u2028", "\udc80", "\udcff"]  # surrogate escapes: octets that are not UTF-8
texts = mostly(mostly(st.text(st.sampled_from(OCTETS), max_size=8),
                      st.text(st.sampled_from([*OCTETS, "\r", "\n"]), min_size=1, max_size=8)),
               st.sampled_from([513, MAX_LINE - 6, MAX_LINE - 5, MAX_LINE + 8])
               .map(lambda n: "x" * n))  # after "250 ", with CRLF: 4096 octets, 4097
own_code = st.integers(0, 999).map(lambda c: f"{c:03d}")
odd_code = st.sampled_from(["", "2", "25", "2500", "25a", "a50", " 250", "\uff12\uff15\uff10"])
odd_separator = st.sampled_from(["-", " ", "", "_", "\t", "0"])
ends = mostly(st.just("\r\n"), st.sampled_from(["\n", "\r", "", "\r\r\n", "\n\r"]))


@st.composite
def replies(draw: st.DrawFn) -> str:
    """A reply close to well formed, with things possibly wrong with it: line ends, codes
    (out of range, changing within the reply), separators, text octets, lengths."""
    code = draw(st.one_of(st.integers(200, 599).map(str), own_code))
    count = draw(st.integers(1, 4))
    padding = draw(st.sampled_from([0, 0, 0, MAX_LINES - 2, MAX_LINES - 1, MAX_LINES]))
    lines = [f"{code}-x\r\n"] * padding
    for index in range(count):
        last = index == count - 1
        line_code = draw(mostly(st.just(code), st.one_of(own_code, odd_code)))
        separator = draw(mostly(st.sampled_from([" ", ""] if last else ["-"]), odd_separator))
        lines.append(line_code + separator + draw(texts) + draw(ends))
    return "".join(lines) + draw(mostly(st.just(""), st.sampled_from(["250 ok\r\n", "x"])))


@settings(max_examples=2000, deadline=None, derandomize=True, database=None)
@given(raw=replies())
def test_judge_and_netmail_disagree_only_where_documented(raw: str) -> None:
    octets = raw.encode("utf-8", "surrogateescape")
    judge, netmail = well_formed_code(raw), netmail_code(octets)
    if judge == netmail:
        return
    assert judge is None or netmail is None, "both accept, with different codes"
    assert any(k.applies(octets) and k.judge_accepts == (judge is not None)
               for k in KNOWN_DIFFERENCES), (raw, judge, netmail)
