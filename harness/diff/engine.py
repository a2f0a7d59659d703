"""Running cases on two clients, and shrinking a disagreement to its smallest case.

Send cases run as scenarios through the ordinary runner (many at once, each with its own
scripted server); address cases are one ``parse_address`` call on each client.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, Protocol, cast

from ..adapters.base import Adapter
from ..address import AddressOutcome, AddressRequest
from ..loader import ScenarioError
from ..runner import run_all
from .cases import Case, well_formed
from .compare import Comparison, compare
from .departures import Departure
from .observe import address_request, observe, scenario

SHRINK_ATTEMPTS = 240
"""At most this many simpler candidates are run per disagreement."""
_BATCH = 12
REPRODUCE_RUNS = 3
"""How many more times a shrunk disagreement is run before it counts as a finding."""


class _ParsesAddresses(Protocol):
    """An adapter that takes address cases (netmail's and the process adapter do)."""

    def parse_address(self, request: AddressRequest) -> AddressOutcome: ...


class Pair:
    """The client under test and the reference, and how to observe a batch of cases."""

    def __init__(self, client: Adapter, reference: Adapter, against: str,
                 departures: tuple[Departure, ...], jobs: int = 16) -> None:
        self.client, self.reference, self.against = client, reference, against
        self.departures, self.jobs = departures, jobs

    def compare(self, cases: Sequence[Case]) -> list[Comparison]:
        """Each case run on both clients and compared, in input order."""
        observed: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        sends = [(i, c) for i, c in enumerate(cases) if c.axis != "addresses"]
        for i, case in enumerate(cases):
            if case.axis == "addresses":
                request = address_request(case)
                client = cast("_ParsesAddresses", self.client)
                reference = cast("_ParsesAddresses", self.reference)
                observed[i] = (client.parse_address(request).comparable(),
                               reference.parse_address(request).comparable())
        scenarios = [scenario(case, f"diff/{case.axis}/{i}") for i, case in sends]
        verdicts = run_all(scenarios, [self.client, self.reference], jobs=self.jobs)
        for n, (i, _) in enumerate(sends):
            observed[i] = (observe(verdicts[2 * n]), observe(verdicts[2 * n + 1]))
        return [compare(case, *observed[i], self.departures, self.against)
                for i, case in enumerate(cases)]

    def shrink(self, found: Comparison, attempts: int = SHRINK_ATTEMPTS) -> Comparison:
        """The simplest case found that still disagrees the same way: greedily, the first
        one-step-simpler candidate that does replaces the case, until none does or
        ``attempts`` candidates have been run."""
        best, improved = found, True
        while improved and attempts > 0:
            improved = False
            candidates = (Case(best.case.axis, data) for data in simpler(best.case.data))
            while attempts > 0 and (batch := list(islice(filter(_valid, candidates),
                                                         _BATCH))):
                attempts -= len(batch)
                keep = next((c for c in self.compare(batch)
                             if c.signature == found.signature), None)
                if keep is not None:
                    best, improved = keep, True
                    break
        return best

    def reproduces(self, found: Comparison, runs: int = REPRODUCE_RUNS) -> bool:
        """Whether the case disagrees the same way every time, with the reference doing the
        same each time (a real runtime can race with itself: .NET's SendAsync does)."""
        again = self.compare([found.case] * runs)
        return all(c.signature == found.signature and c.reference == found.reference
                   for c in again)


def simpler(value: Any) -> Iterator[Any]:
    """Values one step simpler than ``value``: a key or item dropped, a string cut."""
    if isinstance(value, dict):
        for key in value:
            yield {k: v for k, v in value.items() if k != key}
        for key, item in value.items():
            for smaller in simpler(item):
                yield {**value, key: smaller}
    elif isinstance(value, list):
        for index in range(len(value)):
            yield value[:index] + value[index + 1:]
        for index, item in enumerate(value):
            for smaller in simpler(item):
                yield [*value[:index], smaller, *value[index + 1:]]
    elif isinstance(value, str) and value:
        half = len(value) // 2
        yield from dict.fromkeys(
            s for s in ("", value[:half], value[half:],
                        *(value[:i] + value[i + 1:] for i in range(min(len(value), 16))))
            if s != value)


def _valid(case: Case) -> bool:
    """A candidate that is still a valid scenario (dropping a required key is not)."""
    if case.axis == "addresses":
        return "address" in case.data
    if not well_formed(case):
        return False
    try:
        scenario(case, "diff/candidate")
    except ScenarioError:
        return False
    return True
