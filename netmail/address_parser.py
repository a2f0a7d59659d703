"""Parsing an address the way .NET's ``MailAddress`` does: right to left, RFC 5322 with
.NET's own corners (a bare ``Name addr@host`` is a display name and an address; comments are
dropped; quoted local parts and domain literals are kept exactly as written).

Every failure is ``FormatException``. The grammar is .NET 8's (its documented behaviour, and
what the real runtime does in ``smtp-harness diff``); the one intended difference is that CR,
LF and NUL are refused anywhere (``MailAddress`` checks that before parsing).
"""

from __future__ import annotations

import re
import unicodedata

from .errors import FormatException

Parsed = tuple[str, str, str]
"""(display name, user, host)."""


def _table(ranges: tuple[tuple[int, int], ...], singles: str = "") -> frozenset[str]:
    return frozenset({chr(c) for a, b in ranges for c in range(a, b + 1)} | set(singles))


_ATEXT = _table(((48, 57), (65, 90), (97, 122)), "!#$%&'*+-/=?^_`{|}~")
_QTEXT = _table(((1, 9), (11, 12), (14, 33), (35, 91), (93, 127)))
_DTEXT = _table(((1, 8), (11, 12), (14, 31), (33, 90), (94, 127)))
_CTEXT = _table(((1, 8), (11, 12), (14, 31), (33, 39), (42, 91), (93, 127)))


def parse_address(text: str) -> Parsed:
    """One address, all of ``text`` (a single parse reads to the start or fails)."""
    return _Reader(text, False).address(len(text) - 1)[0]


def parse_addresses(text: str) -> list[Parsed]:
    """A comma-separated list, as ``MailAddressCollection.Add(string)`` takes it."""
    found: list[Parsed] = []
    reader, index = _Reader(text, True), len(text) - 1
    while index >= 0:
        parsed, index = reader.address(index)
        found.insert(0, parsed)
        index -= 1  # the comma
    return found


def normalized(text: str) -> str:
    """NFC, as .NET normalises each part; a lone surrogate is malformed."""
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise FormatException(f"The string holds a lone surrogate: {text!r}.")
    return unicodedata.normalize("NFC", text)


def unescaped(text: str) -> str:
    """A parsed part with its quoted pairs undone (``\\"`` is ``"``): what it says, for a
    header writer that quotes it again."""
    return _QUOTED_PAIR.sub(r"\1", text)


_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)


def _error(text: str, why: str = "") -> FormatException:
    return FormatException("The specified string is not in the form required for an e-mail "
                           f"address{': ' + why if why else ''}: {text!r}.")


class _Reader:
    """Reads one address leftwards from an index, returning where it stopped."""

    def __init__(self, text: str, multiple: bool) -> None:
        self.text, self.multiple = text, multiple

    def fail(self, why: str) -> FormatException:
        return _error(self.text, why)

    def address(self, i: int) -> tuple[Parsed, int]:
        text = self.text
        i = self.cfws(i, needed=True)
        angle = text[i] == ">"
        if angle:
            i -= 1
        i = self.cfws(i, needed=True)
        end = i
        i = self.domain_literal(i) if text[i] == "]" else self.dot_atom(i)
        host = normalized(text[i + 1:end + 1])
        i = self.cfws(i, needed=True)
        if text[i] != "@":
            raise self.fail("no @ before the domain")
        i = self.cfws(i - 1, needed=True)
        end = i
        if text[i] == '"':
            i = self.quoted(i)
        else:
            i = self.dot_atom(i)
            if i >= 0 and not (text[i] in ' \t\r\n)"' or (angle and text[i] == "<")
                               or (self.multiple and text[i] == ",")):
                raise self.fail(f"{text[i]!r} before the local part")
        user = normalized(text[i + 1:end + 1])
        i = self.cfws(i)
        if angle:
            if i < 0 or text[i] != "<":
                raise self.fail("a '>' without its '<'")
            i = self.whitespace(i - 1)
        name = ""
        if i >= 0 and not (self.multiple and text[i] == ","):
            name, i = self.display_name(i)
        return (normalized(name), user, host), i

    def display_name(self, i: int) -> tuple[str, int]:
        text = self.text
        first = self.cfws(i)
        if first >= 0 and text[first] == '"':
            i = self.quoted(first)
            name = text[i + 2:first]
            i = self.cfws(i)
            if i >= 0 and not (self.multiple and text[i] == ","):
                raise self.fail("text before a quoted display name")
            return name, i
        end = i
        while (i := self.whitespace(i)) >= 0:
            if skip := self.escaped(i):
                i -= skip
            elif self.multiple and text[i] == ",":
                break
            elif not _qtext(text[i]):
                raise self.fail(f"{text[i]!r} in the display name")
            else:
                i -= 1
        return _strip(text[i + 1:end + 1]), i

    def whitespace(self, i: int) -> int:
        """Skip spaces, tabs and CRLF pairs leftwards (a lone CR or LF is malformed)."""
        text, want_cr = self.text, False
        while i >= 0:
            c = text[i]
            if c == "\r" and want_cr:
                want_cr = False
            elif c == "\r" or want_cr:
                raise self.fail("a CR or LF that is not a CRLF pair")
            elif c == "\n":
                want_cr = True
            elif c not in " \t":
                break
            i -= 1
        if want_cr:
            raise self.fail("an LF without its CR")
        return i

    def escaped(self, i: int, unicode: bool = True) -> int:
        """How many characters the quoted pair ending at ``i`` spans (0: none)."""
        text, count, j = self.text, 0, i - 1
        while j >= 0 and text[j] == "\\":
            count, j = count + 1, j - 1
        if count % 2 == 0:
            return 0
        if not unicode and not text[i].isascii():
            raise self.fail("an escaped non-ASCII character")
        return count + 1

    def cfws(self, i: int, needed: bool = False) -> int:
        """Skip whitespace and (nested) comments leftwards."""
        text, depth = self.text, 0
        i = self.whitespace(i)
        while i >= 0:
            c = text[i]
            if depth > 0 and (skip := self.escaped(i)):
                i -= skip
            elif c == ")":
                depth, i = depth + 1, i - 1
            elif c == "(":
                if depth == 0:
                    raise self.fail("a '(' without its ')'")
                depth, i = depth - 1, i - 1
            elif depth > 0 and (not c.isascii() or c in _CTEXT):
                i -= 1
            elif depth > 0:
                raise self.fail(f"{c!r} in a comment")
            else:
                break
            i = self.whitespace(i)
        if depth > 0:
            raise self.fail("a ')' without its '('")
        if needed and i < 0:
            raise self.fail("it ends too soon")
        return i

    def dot_atom(self, i: int) -> int:
        text, start = self.text, i
        while i >= 0 and (not text[i].isascii() or text[i] == "." or text[i] in _ATEXT):
            i -= 1
        if i == start:
            raise self.fail(f"{text[i]!r} where an atom should be")
        if text[i + 1] == ".":
            raise self.fail("an atom starts with a dot")
        return i

    def quoted(self, i: int) -> int:
        """From the closing quote at ``i`` to the index before the opening one."""
        text = self.text
        i -= 1
        while (i := self.whitespace(i)) >= 0:
            if skip := self.escaped(i):
                i -= skip
            elif text[i] == '"':
                return i - 1
            elif not _qtext(text[i]):
                raise self.fail(f"{text[i]!r} in a quoted string")
            else:
                i -= 1
        raise self.fail("a quoted string without its opening quote")

    def domain_literal(self, i: int) -> int:
        text = self.text
        i -= 1
        while (i := self.whitespace(i)) >= 0:
            if skip := self.escaped(i, unicode=False):
                i -= skip
            elif text[i] == "[":
                return i - 1
            elif not text[i].isascii() or text[i] not in _DTEXT:
                raise self.fail(f"{text[i]!r} in a domain literal")
            else:
                i -= 1
        raise self.fail("a domain literal without its '['")


def _qtext(c: str) -> bool:
    return not c.isascii() or c in _QTEXT


def _strip(text: str) -> str:
    """Trim what .NET's ``char.IsWhiteSpace`` calls white space (more than ``str.strip``'s
    ASCII set and less than its Unicode one: no U+001C-001F)."""
    start, end = 0, len(text)
    while start < end and _white(text[start]):
        start += 1
    while end > start and _white(text[end - 1]):
        end -= 1
    return text[start:end]


def _white(c: str) -> bool:
    return c in "\t\n\x0b\x0c\r\x85" or unicodedata.category(c) in ("Zs", "Zl", "Zp")
