"""Judging an outcome: the expectation (or the client's profile) against what happened.

Each field the expectation sets is compared; every difference becomes one readable line.
A client that matches its profile "deviates" (a known, recorded departure from the
documentation); one that matches neither fails, and a profile the client no longer needs
is reported too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import NO_INNER, NO_STATUS, Expectation, Scenario
from .outcome import Outcome, status_name
from .server.transcript import Transcript

PASS, DEVIATES, FAIL, ERROR = "pass", "deviates", "fail", "error"
NOT_RUNNABLE = "not-runnable"
"""The client cannot run this scenario here (a runtime lacks TLS, say): neither pass nor fail."""


@dataclass(frozen=True)
class Verdict:
    scenario: Scenario
    client: str
    status: str
    differences: tuple[str, ...]
    expected: Expectation
    outcomes: tuple[Outcome, ...]
    transcript: Transcript | None
    seconds: float
    pickup_files: int | None = None

    @property
    def passed(self) -> bool:
        return self.status in (PASS, DEVIATES)

    @property
    def actual(self) -> Outcome | None:
        return self.outcomes[-1] if self.outcomes else None

    def explain(self) -> str:
        """The differences, the outcome and the server transcript, for a failure report."""
        lines = [f"{self.scenario.id} [{self.client}]: {self.status}",
                 f"  scenario file: {self.scenario.path}:{self.scenario.line}",
                 f"  condition: {self.scenario.condition}",
                 *(f"  - {d}" for d in self.differences)]
        if self.actual is not None and self.actual.message:
            lines.append(f"  message: {self.actual.message}")
        if self.transcript is not None:
            lines += ["  transcript:", *("    " + t for t in self.transcript.render().split("\n"))]
        return "\n".join(lines)


def judge(scenario: Scenario, client: str, outcomes: list[Outcome],
          transcript: Transcript | None, pickup_files: int | None, seconds: float) -> Verdict:
    expected, is_profile = scenario.expectation_for(client)
    differences = compare(expected, outcomes, transcript, pickup_files)
    if not differences:
        status = DEVIATES if is_profile else PASS
    else:
        status = FAIL
        if is_profile and not compare(scenario.expect, outcomes, transcript, pickup_files):
            differences.append("the client now honours the documented contract: "
                               f"remove its profile ({expected.why})")
    return Verdict(scenario, client, status, tuple(differences), expected, tuple(outcomes),
                   transcript, seconds, pickup_files)


def harness_error(scenario: Scenario, client: str, problem: str,
                  transcript: Transcript | None, seconds: float,
                  status: str = ERROR) -> Verdict:
    """A verdict for a run that could not be judged (the client hung, the adapter broke), or
    that the client cannot run here (``status=NOT_RUNNABLE``)."""
    expected, _ = scenario.expectation_for(client)
    return Verdict(scenario, client, status, (problem,), expected, (), transcript, seconds)


def compare(expected: Expectation, outcomes: list[Outcome], transcript: Transcript | None,
            pickup_files: int | None) -> list[str]:
    if not outcomes:
        return ["the client reported no outcome"]
    differences = []
    for index, outcome in enumerate(outcomes[:-1]):
        wanted = expected.earlier[index] if index < len(expected.earlier) else Expectation()
        differences += [f"send {index + 1} of {len(outcomes)}: {d}"
                        for d in _compare_outcome(wanted, outcome)]
    actual = outcomes[-1]
    differences += _compare_outcome(expected, actual)
    if expected.pickup_files is not None and expected.pickup_files != pickup_files:
        differences.append(f"pickup_files: expected {expected.pickup_files}, got {pickup_files}")
    differences += _compare_server(expected, transcript)
    return differences


def _compare_outcome(expected: Expectation, actual: Outcome) -> list[str]:
    differences = []
    if expected.raises != actual.exception:
        differences.append(f"raises: expected {expected.raises or 'success'}, "
                           f"got {actual.exception or 'success'}")
    wanted_status = None if expected.status_code == NO_STATUS else expected.status_code
    if expected.status_code is not None and wanted_status != actual.status_code:
        differences.append(f"status_code: expected {_code(expected.status_code)}, "
                           f"got {_code(actual.status_code)}")
    if expected.message_contains and expected.message_contains not in (actual.message or ""):
        differences.append(f"message: expected it to contain {expected.message_contains!r}, "
                           f"got {actual.message!r}")
    differences += _compare_recipients(expected, actual)
    differences += _compare_inner(expected, actual)
    return differences


def _code(code: int | None) -> str:
    if code is None or code == NO_STATUS:
        return "none"
    name = status_name(code)
    return f"{name} ({code})" if isinstance(name, str) else str(name)


def _compare_recipients(expected: Expectation, actual: Outcome) -> list[str]:
    if expected.failed_recipients is None:
        return []
    want = [r.address for r in expected.failed_recipients]
    got = [r.address for r in actual.failed_recipients]
    if want != got:
        return [f"failed_recipients: expected {want}, got {got}"]
    return [
        f"failed_recipients[{i}].status_code: expected {_code(w.status_code)}, "
        f"got {_code(g.status_code)}"
        for i, (w, g) in enumerate(zip(expected.failed_recipients, actual.failed_recipients,
                                       strict=True))
        if w.status_code is not None
        and (None if w.status_code == NO_STATUS else w.status_code) != g.status_code
    ]


def _compare_inner(expected: Expectation, actual: Outcome) -> list[str]:
    if expected.inner is None:
        return []
    if expected.inner == NO_INNER:
        return [] if actual.inner is None else [f"inner: expected none, got {actual.inner}"]
    if expected.inner == actual.inner or expected.inner in actual.inner_bases:
        return []
    return [f"inner: expected {expected.inner}, got {actual.inner or 'none'}"]


def _compare_server(expected: Expectation, transcript: Transcript | None) -> list[str]:
    facts = expected.server
    if transcript is None:
        checked = [name for name in ("connections", "commands", "data_sent", "delivered_to",
                                     "messages") if getattr(facts, name) is not None]
        checked += ["data_contains"] if facts.data_contains else []
        return [f"server.{name}: the scenario has no server" for name in checked]
    differences = []
    commands = transcript.commands
    delivered = transcript.delivered_to
    actual = {
        "connections": transcript.connections,
        "commands": list(commands),
        "data_sent": "DATA" in commands,
        "delivered_to": delivered,
        "messages": sum(1 for m in transcript.messages if m.delivered),
    }
    for name, got in actual.items():
        want = getattr(facts, name)
        if want is not None and (list(want) if isinstance(want, tuple) else want) != got:
            differences.append(f"server.{name}: expected {_show(want)}, got {_show(got)}")
    data = b"".join(m.raw for m in transcript.messages).decode("utf-8", "replace")
    differences += [f"server.data_contains: {text!r} not in the received data"
                    for text in facts.data_contains if text not in data]
    differences += [f"server.data_excludes: {text!r} found in the received data"
                    for text in facts.data_excludes if text in data]
    return differences


def _show(value: object) -> str:
    return str(list(value)) if isinstance(value, tuple) else str(value)
