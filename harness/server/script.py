"""Choosing the action for each command: address matchers first, then the sequence.

Within one step, actions with ``match``/``pattern`` apply to every command whose address
matches; the others are used one per command, in order, and once they are used up the server
behaves normally. Cursors belong to one server, so a sequence runs across its connections.
"""

from __future__ import annotations

import re

from ..model import DEFAULT_ACTION, Action, ServerScript

_ADDRESS = re.compile(r"<([^<>]*)>")


class ScriptCursor:
    def __init__(self, script: ServerScript) -> None:
        self._matchers: dict[str, list[tuple[Action, re.Pattern[str] | None]]] = {}
        self._sequence: dict[str, list[Action]] = {}
        self._position: dict[str, int] = {}
        for step, actions in script.steps:
            self._matchers[step] = [
                (a, re.compile(a.pattern) if a.pattern is not None else None)
                for a in actions if a.is_matcher
            ]
            self._sequence[step] = [a for a in actions if not a.is_matcher]

    def next_action(self, step: str, argument: str | None) -> Action:
        address = address_of(argument)
        for action, pattern in self._matchers.get(step, ()):
            if action.match is not None and action.match.lower() == address.lower():
                return action
            if pattern is not None and pattern.search(address):
                return action
        sequence = self._sequence.get(step, [])
        position = self._position.get(step, 0)
        if position < len(sequence):
            self._position[step] = position + 1
            return sequence[position]
        return DEFAULT_ACTION


def address_of(argument: str | None) -> str:
    """The address in ``TO:<a@b> PARAMS`` (or the whole argument when there is none)."""
    if not argument:
        return ""
    found = _ADDRESS.search(argument)
    return found.group(1) if found else argument.partition(":")[2].strip() or argument
