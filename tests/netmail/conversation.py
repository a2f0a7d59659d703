"""Playing a sans-IO conversation from a list of reply lines, with no socket at all."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

from netmail.actions import Receive, Send, StartTls
from netmail.replies import Reply, ReplyParser


def parse(text: str) -> Reply:
    parser = ReplyParser()
    parser.feed(text.encode())
    reply = parser.next_reply()
    assert reply is not None, text
    return reply


def play(conversation: Generator[Any, Reply, Any], replies: Iterable[str],
         writes: list[bytes] | None = None) -> tuple[list[bytes], Any]:
    """Run ``conversation``; each ``Receive`` gets the next reply. Returns (writes, result).

    ``writes`` holds every ``Send`` joined into one bytes value, and ``b"<TLS>"`` for StartTls;
    pass a list to keep them when the conversation raises.
    """
    pending = list(replies)
    writes = [] if writes is None else writes
    value: Reply | None = None
    while True:
        try:
            action = conversation.send(value)  # type: ignore[arg-type]
        except StopIteration as done:
            assert not pending, f"replies left over: {pending}"
            return writes, done.value
        value = None
        if isinstance(action, Send):
            writes.append(b"".join(action.chunks))
        elif isinstance(action, StartTls):
            writes.append(b"<TLS>")
        elif isinstance(action, Receive):
            assert pending, "the conversation asked for more replies than the script has"
            value = parse(pending.pop(0))
