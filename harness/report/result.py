"""A result: what every report needs to know of one verdict, as plain data.

Reports are written from results, never from verdicts, so that a run and a merge of shards
(``smtp-harness merge``) write the same reports by construction: a run turns its verdicts into
results (``Result.of``), a shard writes them into its JSON document (``to_json``), and the
merge reads them back (``from_json``) exactly as they were. A result keeps the rendered
transcript rather than the events, and status codes by name, as the JSON document does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..outcome import status_name
from ..verdict import DEVIATES, PASS, Difference, Verdict, explanation


@dataclass(frozen=True)
class Held:
    """An expectation as reports show it: the exception and the status code's name."""

    exception: str | None
    status_code: str | int | None


@dataclass(frozen=True)
class Result:
    scenario: str
    condition: str
    description: str
    file: str
    line: int
    client: str
    status: str
    differences: tuple[str, ...]
    expected: Held
    """What the client is held to: its profile's expectation when it has one."""
    documented: Held
    """What the documentation expects (``expect``)."""
    profiled: bool
    why: str | None
    unchecked: tuple[str, ...]
    actual: Mapping[str, Any] | None
    """The last send's outcome (``Outcome.to_json``); None when the client did not run."""
    level: str | None
    conforms: bool
    departures: tuple[Difference, ...]
    transcript: str | None
    seconds: float

    @classmethod
    def of(cls, verdict: Verdict) -> Result:
        scenario, expected, actual = verdict.scenario, verdict.expected, verdict.actual
        return cls(
            scenario=scenario.id, condition=scenario.condition,
            description=scenario.description, file=str(scenario.path), line=scenario.line,
            client=verdict.client, status=verdict.status, differences=verdict.differences,
            expected=Held(expected.raises, status_name(expected.status_code)),
            documented=Held(scenario.expect.raises, status_name(scenario.expect.status_code)),
            profiled=expected is not scenario.expect, why=expected.why,
            unchecked=tuple(expected.unchecked),
            actual=actual.to_json() if actual else None,
            level=verdict.level, conforms=verdict.conforms, departures=verdict.departures,
            transcript=verdict.transcript.render() if verdict.transcript else None,
            seconds=round(verdict.seconds, 4))

    @property
    def passed(self) -> bool:
        return self.status in (PASS, DEVIATES)

    @property
    def judged(self) -> bool:
        """The client ran and reported an outcome (not an error or not runnable)."""
        return self.actual is not None

    @property
    def key(self) -> str:
        """``scenario [client]``: how the baseline and a merge name one result."""
        return f"{self.scenario} [{self.client}]"

    def outcome(self) -> str:
        """``SmtpException(MailboxUnavailable)``, ``success``, or ``-`` when not run."""
        if self.actual is None:
            return "-"
        exception, code = self.actual["exception"], self.actual["status_code"]
        if exception is None:
            return "success"
        return exception if code is None else f"{exception}({code})"

    def explain(self, transcript: bool = True) -> str:
        """The differences, the outcome's message and (``transcript``) the server transcript,
        for a failure report."""
        return explanation(f"{self.key}: {self.status}", f"{self.file}:{self.line}",
                           self.condition, self.differences,
                           self.actual.get("message") if self.actual else None,
                           self.transcript if transcript else None)

    def to_json(self) -> dict[str, Any]:
        """The JSON report's result object (``results.schema.json``), keys sorted."""
        actual = dict(self.actual) if self.actual is not None else {
            "exception": None, "status_code": None, "message": self.differences[0]}
        row = {
            "scenario": self.scenario, "condition": self.condition, "client": self.client,
            "file": self.file, "line": self.line, "description": self.description,
            "passed": self.passed, "status": self.status, "judged": self.judged,
            "expected": {"exception": self.expected.exception,
                         "status_code": self.expected.status_code, "why": self.why},
            "documented": {"exception": self.documented.exception,
                           "status_code": self.documented.status_code},
            "profiled": self.profiled,
            "actual": actual,
            "differences": list(self.differences),
            "level": self.level, "conforms": self.conforms,
            "departures": [{"field": d.field, "level": d.level, "text": d.text}
                           for d in self.departures],
            "unchecked": list(self.unchecked),
            "transcript": self.transcript,
            "seconds": self.seconds,
        }
        return _sorted_keys(row)

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Result:
        """A result read back from its JSON object; ``KeyError`` or ``TypeError`` when the
        object lacks what a merge needs (a document older than ``judged`` and
        ``transcript``)."""
        expected, documented = row["expected"], row["documented"]
        return cls(
            scenario=row["scenario"], condition=row["condition"],
            description=row["description"], file=row["file"], line=row["line"],
            client=row["client"], status=row["status"],
            differences=tuple(row["differences"]),
            expected=Held(expected["exception"], expected["status_code"]),
            documented=Held(documented["exception"], documented["status_code"]),
            profiled=row["profiled"], why=expected["why"], unchecked=tuple(row["unchecked"]),
            actual=row["actual"] if row["judged"] else None,
            level=row["level"], conforms=row["conforms"],
            departures=tuple(Difference(d["field"], d["level"], d["text"])
                             for d in row["departures"]),
            transcript=row["transcript"], seconds=row["seconds"])


def as_result(item: Verdict | Result) -> Result:
    """A result for a report, from a verdict or a result (a library caller may pass either)."""
    return item if isinstance(item, Result) else Result.of(item)


def as_results(items: Sequence[Verdict | Result]) -> list[Result]:
    return [as_result(item) for item in items]


def _sorted_keys(value: Any) -> Any:
    """The value with every object's keys sorted, so that two runs' files diff well."""
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value
