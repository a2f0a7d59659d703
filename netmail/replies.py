"""Parsing server replies (RFC 5321 section 4.2), sans-IO: bytes in, ``Reply`` values out.

The parser is strict on purpose: a reply that is not well formed raises ``FormatException`` as
soon as its first bad line is complete, so a broken server fails a send at once instead of
leaving the client waiting for a line ending that will never come.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import FormatException

MAX_LINE = 4096
"""Longest reply line accepted, CRLF included; RFC 5321 allows 512, real servers stay far
below this. Checked on each complete line and on the unterminated tail, so the verdict does
not depend on how the bytes were split into reads."""
MAX_LINES = 256
"""Most lines accepted in one multi-line reply."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One complete reply: its code and the text of each line, without code and separator."""

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The reply's text as .NET quotes it: the first line's text."""
        return self.lines[0]

    def __str__(self) -> str:
        return "\n".join(f"{self.code} {line}".rstrip() for line in self.lines)


class ReplyParser:
    """Accumulates bytes from the server and splits them into replies."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._code: int | None = None
        self._lines: list[str] = []

    @property
    def pending(self) -> bool:
        """True when bytes of a reply not yet complete are buffered."""
        return bool(self._buffer) or self._code is not None

    def feed(self, data: bytes | memoryview) -> None:
        self._buffer += data
        if len(self._buffer) - (self._buffer.rfind(b"\n") + 1) > MAX_LINE:
            raise _overlong()

    def next_reply(self) -> Reply | None:
        """The next complete reply, or None until more bytes arrive."""
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                return None
            if end + 1 > MAX_LINE:
                raise _overlong()
            raw = bytes(self._buffer[: end + 1])
            del self._buffer[: end + 1]
            code, final, text = _parse_line(raw)
            if self._code is not None and code != self._code:
                raise FormatException(
                    f"The server changed the reply code within one reply: {raw!r}."
                )
            self._code = code
            self._lines.append(text)
            if len(self._lines) > MAX_LINES:
                raise FormatException("The server sent a reply with too many lines.")
            if final:
                reply = Reply(code, tuple(self._lines))
                self._code, self._lines = None, []
                return reply


def _overlong() -> FormatException:
    return FormatException("The server sent a reply line longer than allowed.")


def _parse_line(raw: bytes) -> tuple[int, bool, str]:
    """Split one CRLF-terminated line into (code, is_last_line, text)."""
    if not raw.endswith(b"\r\n"):
        raise FormatException(f"The server ended a reply line with a bare LF: {raw!r}.")
    line = raw[:-2]
    if b"\r" in line or b"\n" in line:
        raise FormatException(f"The server sent a bare CR inside a reply line: {raw!r}.")
    digits = line[:3]
    if len(digits) < 3 or not digits.isdigit() or not 2 <= digits[0] - 0x30 <= 5:
        raise FormatException(f"Smtp server returned an invalid response: {raw!r}.")
    separator = line[3:4]
    if separator not in (b"", b" ", b"-"):
        raise FormatException(f"Smtp server returned an invalid response: {raw!r}.")
    text = line[4:].decode("utf-8", errors="replace")
    return int(digits), separator != b"-", text
