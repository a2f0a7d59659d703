"""Two observations of one case, compared field by field, departures taken out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .cases import Case
from .departures import Departure


@dataclass(frozen=True)
class Comparison:
    case: Case
    client: dict[str, Any]
    reference: dict[str, Any]
    unexplained: tuple[str, ...] = ()
    """The fields that differ and no departure covers."""
    explained: tuple[tuple[str, str], ...] = ()
    """``(field, departure id)`` for each covered difference."""

    @property
    def agrees(self) -> bool:
        return not self.unexplained

    @property
    def signature(self) -> tuple[Any, ...]:
        """What makes two disagreements the same finding: the axis, the fields, and how the
        two outcomes (or parsed exceptions) differ."""
        outcome = ("outcomes" if "outcomes" in self.unexplained else
                   "exception" if "exception" in self.unexplained else None)
        pair = ((_head(self.client.get(outcome)), _head(self.reference.get(outcome)))
                if outcome else ())
        return (self.case.axis, self.unexplained, json.dumps(pair))


def compare(case: Case, client: dict[str, Any], reference: dict[str, Any],
            departures: tuple[Departure, ...], against: str) -> Comparison:
    differing = sorted(k for k in {*client, *reference} if client.get(k) != reference.get(k))
    facts = {"case": case.data, "client": client, "reference": reference}
    unexplained, explained = [], []
    for name in differing:
        covering = next((d for d in departures if d.covers(name, case.axis, against, facts)),
                        None)
        if covering is None:
            unexplained.append(name)
        else:
            explained.append((name, covering.id))
    return Comparison(case, client, reference, tuple(unexplained), tuple(explained))


def _head(value: Any) -> Any:
    """An outcome list's last entry (the send a scenario judges), or the value itself."""
    if isinstance(value, list):
        return value[-1] if value else None
    return value
