"""Contract conformance per client: the two figures every report gives, and the causes.

A client's verdicts split three ways against the documentation: those that conform fully,
those that differ only in details the contract does not promise (message text, inner
exception, QUIT, connection reuse), and those that break the contract. Contract deviations
are grouped by cause, the profile's *why*; a failure with no profile is its own cause.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from smtp_contract import CONTRACT, DETAIL

from ..verdict import DEVIATES, ERROR, NOT_RUNNABLE
from .result import Result

UNRECORDED = "(no profile: the verdict fails)"


@dataclass(frozen=True)
class Conformance:
    client: str
    scenarios: int
    conform: int
    """Judged, and nothing the contract promises departs from the documentation."""
    details: int
    """Of those, how many differ in details only."""
    causes: tuple[tuple[str, int], ...]
    """Contract deviations by cause (the profile's why), most frequent first."""
    not_runnable: int
    errors: int

    @property
    def contract_deviations(self) -> int:
        return sum(count for _, count in self.causes)

    def line(self) -> str:
        """``149/172 conform to the contract; 23 contract deviations in 6 causes; ...``."""
        causes = len(self.causes)
        text = (f"{self.conform}/{self.scenarios} conform to the contract; "
                f"{self.contract_deviations} contract deviation"
                f"{'s' if self.contract_deviations != 1 else ''} in {causes} "
                f"cause{'s' if causes != 1 else ''}; {self.details} detail "
                f"difference{'s' if self.details != 1 else ''}")
        extra = [f"{n} {what}" for n, what in ((self.not_runnable, "not runnable"),
                                              (self.errors, "error(s)")) if n]
        return text + (f"; {', '.join(extra)}" if extra else "")


def conformance(verdicts: Sequence[Result]) -> list[Conformance]:
    """One ``Conformance`` per client, in the order the clients first appear."""
    clients = list(dict.fromkeys(v.client for v in verdicts))
    return [_one(client, [v for v in verdicts if v.client == client]) for client in clients]


def cause(result: Result) -> str:
    """Why a result departs from the documentation: its profile's reason, or that it fails."""
    return (result.why or "") if result.status == DEVIATES else UNRECORDED


def _one(client: str, mine: list[Result]) -> Conformance:
    causes = Counter(cause(v) for v in mine if v.judged and v.level == CONTRACT)
    return Conformance(
        client=client,
        scenarios=len(mine),
        conform=sum(v.conforms for v in mine),
        details=sum(v.level == DETAIL for v in mine),
        causes=tuple(sorted(causes.items(), key=lambda item: (-item[1], item[0]))),
        not_runnable=sum(v.status == NOT_RUNNABLE for v in mine),
        errors=sum(v.status == ERROR for v in mine),
    )
