"""The reply parser: well-formed replies in any chunking; anything malformed fails at once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netmail import FormatException
from netmail.replies import MAX_LINE, ReplyParser


def replies_of(*chunks: bytes) -> list[tuple[int, tuple[str, ...]]]:
    parser = ReplyParser()
    found = []
    for chunk in chunks:
        parser.feed(chunk)
        while (reply := parser.next_reply()) is not None:
            found.append((reply.code, reply.lines))
    return found


def test_single_and_multi_line() -> None:
    assert replies_of(b"220 ready\r\n250-a\r\n250-b c\r\n250 d\r\n") == [
        (220, ("ready",)), (250, ("a", "b c", "d"))]


def test_code_alone_is_a_complete_reply() -> None:
    assert replies_of(b"250\r\n") == [(250, ("",))]


def test_byte_by_byte() -> None:
    data = b"250-one\r\n250 two\r\n"
    assert replies_of(*(data[i:i + 1] for i in range(len(data)))) == [(250, ("one", "two"))]


def test_incomplete_reply_waits() -> None:
    parser = ReplyParser()
    parser.feed(b"250-one\r\n250 tw")
    assert parser.next_reply() is None and parser.pending


@pytest.mark.parametrize("data", [
    b"250 ok\n",            # bare LF
    b"250 o\rk\r\n",        # bare CR inside
    b"Go away\r\n",         # no code
    b"25\r\n",              # too short
    b"abc text\r\n",        # letters for digits
    b"2500 ok\r\n",         # no separator
    b"250_ok\r\n",          # wrong separator
    b"600 weird\r\n",       # outside 2xx-5xx
    b"150 weird\r\n",
    b"250-a\r\n251 b\r\n",  # code changes inside one reply
])
def test_malformed_fails_as_soon_as_the_line_is_complete(data: bytes) -> None:
    parser = ReplyParser()
    parser.feed(data)
    with pytest.raises(FormatException):
        while parser.next_reply() is None:
            pass


def test_endless_line_is_refused() -> None:
    parser = ReplyParser()
    with pytest.raises(FormatException):
        parser.feed(b"2" * (MAX_LINE + 1))


def test_endless_multiline_reply_is_refused() -> None:
    parser = ReplyParser()
    parser.feed(b"250-x\r\n" * 300)
    with pytest.raises(FormatException):
        parser.next_reply()


texts = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=60)


@given(code=st.integers(200, 599), lines=st.lists(texts, min_size=1, max_size=5),
       cut=st.integers(0, 400))
def test_any_well_formed_reply_round_trips(code: int, lines: list[str], cut: int) -> None:
    wire = "".join(f"{code}{'-' if i < len(lines) - 1 else ' '}{t}\r\n"
                   for i, t in enumerate(lines)).encode()
    cut = min(cut, len(wire))
    assert replies_of(wire[:cut], wire[cut:]) == [(code, tuple(lines))]


@given(length=st.sampled_from([MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, 5006]),
       after=st.booleans(), split=st.integers(min_value=0, max_value=6000))
def test_line_limit_does_not_depend_on_how_bytes_arrive(length: int, after: bool,
                                                        split: int) -> None:
    """A line over MAX_LINE octets (CRLF included) is refused whether it comes whole, in two
    reads, or after a short line; one within the limit is accepted in every case (the
    asyncio path once accepted a 5,006-octet greeting that the blocking path refused)."""
    line = b"220 " + b"x" * (length - 6) + b"\r\n"
    data = (b"220-short\r\n" if after else b"") + line
    split = min(split, len(data))
    if length > MAX_LINE:
        with pytest.raises(FormatException, match="longer than allowed"):
            replies_of(data[:split], data[split:])
    else:
        assert replies_of(data[:split], data[split:])[0][0] == 220
