"""The delivered message as the stdlib parser reads it, judged against ``MessageFacts``.

A client's rendering is judged by what a receiver recovers, not by its bytes: the decoded
value of each header, the content types of the leaf parts, attachment names, the decoded
text. The judge reads DATA's bytes itself (dot-unstuffed, RFC 5321 4.5.2) with
``email.policy.default``; nothing of the client under test is used.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from email.utils import collapse_rfc2231_value
from typing import cast

from .model import MessageFacts, PartFacts

_SPACE = re.compile(r"\s+")


def unstuff(raw: bytes) -> bytes:
    """DATA's bytes as the message: a leading dot removed from every line that has one."""
    return re.sub(rb"(?m)^\.", b"", raw)


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def differences(facts: MessageFacts, data: bytes, where: str) -> list[str]:
    """Each way the message in ``data`` is not what ``facts`` says, as readable lines."""
    found = []
    longest = max(map(len, data.split(b"\r\n")), default=0)
    if facts.line_limit is not None and longest > facts.line_limit:
        found.append(f"{where}.line_limit: a line of {longest} octets, more than "
                     f"{facts.line_limit}")
    try:
        return found + _differences(facts, parse(data), where)
    except Exception as exc:  # a header the parser cannot decode is the client's fault
        return [f"{where}: the stdlib parser fails on it: {type(exc).__name__}: {exc}"]


def _differences(facts: MessageFacts, message: EmailMessage, where: str) -> list[str]:
    found = []
    for name, want in facts.headers:
        got = header_values(message, name)
        wanted = [want] if isinstance(want, str) else list(want)
        if got != [_normal(w) for w in wanted]:
            found.append(f"{where}.headers.{name}: expected {_show(want)}, got {got}")
    if facts.content_type is not None and message.get_content_type() != facts.content_type:
        found.append(f"{where}.content_type: expected {facts.content_type}, got "
                     f"{message.get_content_type()}")
    leaves = leaf_parts(message)
    if facts.body is not None:
        body = body_text(leaves)
        if body is None or lines(body) != lines(facts.body):
            found.append(f"{where}.body: expected {facts.body!r}, got {body!r}")
    if facts.parts is not None:
        found += _part_differences(facts.parts, leaves, where)
    defects = sum(len(part.defects) for part in message.walk())
    if facts.defects is not None and defects != facts.defects:
        found.append(f"{where}.defects: expected {facts.defects}, got {defects} "
                     f"({[d for p in message.walk() for d in p.defects]})")
    return found


def _part_differences(wanted: tuple[PartFacts, ...], leaves: list[EmailMessage],
                      where: str) -> list[str]:
    if len(wanted) != len(leaves):
        return [f"{where}.parts: expected {len(wanted)} parts, got {len(leaves)} "
                f"({[p.get_content_type() for p in leaves]})"]
    found = []
    for index, (want, part) in enumerate(zip(wanted, leaves, strict=True)):
        got = PartFacts(part.get_content_type(), part.get_filename(), part_text(part),
                        _name_parameter(part))
        for name in ("content_type", "filename", "text", "name"):
            expected, actual = getattr(want, name), getattr(got, name)
            if expected is not None and (
                    lines(expected) != lines(actual or "") if name == "text"
                    else expected != actual):
                found.append(f"{where}.parts[{index}].{name}: expected {expected!r}, "
                             f"got {actual!r}")
    return found


def _name_parameter(part: EmailMessage) -> str | None:
    """The Content-Type's ``name`` parameter, decoded (RFC 2231 or an encoded word)."""
    value = part.get_param("name")
    return None if value is None else str(collapse_rfc2231_value(value))


def header_values(message: EmailMessage, name: str) -> list[str]:
    """Every value of a header, decoded, white space collapsed."""
    return [_normal(str(v)) for v in message.get_all(name, [])]


def leaf_parts(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.walk() if not part.is_multipart()]


def body_text(leaves: list[EmailMessage]) -> str | None:
    """The decoded text of the first text part that is not an attachment."""
    return next((part_text(p) for p in leaves if p.get_content_maintype() == "text"
                 and not p.is_attachment()), None)


def part_text(part: EmailMessage) -> str:
    # A leaf (not multipart) decodes to bytes; typeshed cannot tie the type to that.
    payload = cast("bytes | None", part.get_payload(decode=True)) or b""
    return payload.decode(part.get_content_charset() or "utf-8", "replace")


def lines(text: str) -> str:
    """Text compared by its lines: CRLF or LF, trailing line ends ignored."""
    return text.replace("\r\n", "\n").rstrip("\n")


def _normal(value: str) -> str:
    return _SPACE.sub(" ", value).strip()


def _show(value: str | tuple[str, ...]) -> str:
    return repr(value) if isinstance(value, str) else str(list(value))
