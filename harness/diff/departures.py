"""The intentional differences between netmail and real .NET, read from ``departures.yaml``.

Each departure names the fields of an observation it lets differ and when (conditions on the
case and on either client's observation), with the reason. ``smtp-harness diff`` reports a
disagreement a departure covers as that departure, never as a failure, and never silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEPARTURES_FILE = Path(__file__).with_name("departures.yaml")
_KEYS = {"id", "reason", "against", "axes", "fields", "when"}


class DepartureError(Exception):
    """``departures.yaml`` is malformed: says which entry and what."""


@dataclass(frozen=True)
class Departure:
    id: str
    reason: str
    fields: tuple[str, ...]
    against: tuple[str, ...] = ()
    """The reference clients it departs from (empty: any)."""
    axes: tuple[str, ...] = ()
    when: tuple[tuple[str, Any], ...] = ()
    """``(path, test)``: ``case.client.port``, ``reference.outcomes``, ``client.commands``; a
    test is a value to equal, or ``{pattern: regex}``, ``{in: [...]}``, ``{present: bool}``,
    ``{lacks: item}`` (a list without it), ``{any: test}`` (some value inside the list or
    mapping passes the test)."""

    def covers(self, field: str, axis: str, against: str, facts: dict[str, Any]) -> bool:
        return (field in self.fields and (not self.against or against in self.against)
                and (not self.axes or axis in self.axes)
                and all(_holds(_lookup(facts, path), test) for path, test in self.when))


def load_departures(path: Path = DEPARTURES_FILE) -> tuple[Departure, ...]:
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DepartureError(f"{path}: cannot read it: {exc}") from None
    if not isinstance(entries, list):
        raise DepartureError(f"{path}: expected a list of departures")
    departures, seen = [], set()
    for number, entry in enumerate(entries, 1):
        where = f"{path}: departure {number}"
        if not isinstance(entry, dict) or not {"id", "reason", "fields"} <= set(entry):
            raise DepartureError(f"{where}: needs id, reason and fields")
        if set(entry) - _KEYS:
            raise DepartureError(f"{where} ({entry['id']}): unknown keys "
                                 f"{sorted(set(entry) - _KEYS)}")
        if entry["id"] in seen:
            raise DepartureError(f"{where}: id {entry['id']!r} is used twice")
        seen.add(entry["id"])
        when = entry.get("when", {})
        for key, test in when.items():
            if key.split(".")[0] not in ("case", "reference", "client"):
                raise DepartureError(f"{where} ({entry['id']}): when.{key} must start with "
                                     "case., reference. or client.")
            if isinstance(test, dict) and "pattern" in test:
                try:
                    re.compile(test["pattern"])
                except re.error as exc:
                    raise DepartureError(f"{where} ({entry['id']}): when.{key}.pattern: "
                                         f"{exc}") from None
        departures.append(Departure(
            id=entry["id"], reason=" ".join(str(entry["reason"]).split()),
            fields=tuple(entry["fields"]), against=tuple(entry.get("against", ())),
            axes=tuple(entry.get("axes", ())), when=tuple(when.items())))
    return tuple(departures)


_MISSING = object()


def _lookup(facts: dict[str, Any], path: str) -> Any:
    value: Any = facts
    for key in path.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.lstrip("-").isdigit() and value:
            value = value[int(key)] if -len(value) <= int(key) < len(value) else _MISSING
        else:
            return _MISSING
    return value


def _holds(value: Any, test: Any) -> bool:
    if isinstance(test, dict) and "any" in test:
        return any(_holds(leaf, test["any"]) for leaf in _leaves(value))
    if isinstance(test, dict) and "present" in test:
        return (value is not _MISSING and value is not None) == test["present"]
    if value is _MISSING:
        return False
    if isinstance(test, dict) and "pattern" in test:
        return re.search(test["pattern"], _text(value)) is not None
    if isinstance(test, dict) and "in" in test:
        return value in test["in"]
    if isinstance(test, dict) and "lacks" in test:
        return isinstance(value, list) and test["lacks"] not in value
    return bool(value == test)


def _leaves(value: Any) -> list[Any]:
    """Every value inside a list or mapping, however deep (mapping values, not keys)."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [] if value is _MISSING else [value]


def _text(value: Any) -> str:
    """What a pattern is matched against: a string itself; the strings (and numbers) in a
    list or mapping, values and keys, joined by spaces."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(_text(x) for pair in value.items() for x in pair)
    if isinstance(value, list):
        return " ".join(_text(x) for x in value)
    return str(value)
