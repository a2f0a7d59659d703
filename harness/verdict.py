"""Judging an outcome: the expectation (or the client's profile) against what happened.

Each field the expectation sets is compared; every difference becomes one readable line that
knows its field and whether that field is the contract or a detail (``smtp_contract``). A
client that matches its profile "deviates" (a known, recorded departure from the
documentation); one that matches neither fails, and a profile the client no longer needs is
reported too. Whatever the status, a verdict keeps the outcome's departures from the
documentation itself, so a report can say how far a client conforms to the contract.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from itertools import zip_longest
from typing import cast

from smtp_contract import CONTRACT, DETAIL, field_level

from .delivered import differences as message_differences
from .delivered import unstuff
from .model import (
    NO_INNER,
    NO_STATUS,
    OUTCOME_FIELDS,
    SERVER_FIELDS,
    Expectation,
    FailedRecipient,
    MessageFacts,
    Scenario,
    ServerFacts,
)
from .outcome import Outcome, status_name
from .server.transcript import Transcript

PASS, DEVIATES, FAIL, ERROR = "pass", "deviates", "fail", "error"
NOT_RUNNABLE = "not-runnable"
"""The client cannot express this scenario (it declares it has no pickup directory, say):
neither pass nor fail. A client that is not runnable for any other reason is an error."""


@dataclass(frozen=True)
class Difference:
    """One field that differs: ``earlier[0].inner``, ``server.commands``; and its level."""

    field: str
    level: str
    text: str


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
    departures: tuple[Difference, ...] = ()
    """How the outcome departs from the documentation (``expect``), whatever the status."""
    pickup_contents: tuple[bytes, ...] = ()
    """The bytes of each file the pickup directory held afterwards."""

    @property
    def passed(self) -> bool:
        return self.status in (PASS, DEVIATES)

    @property
    def actual(self) -> Outcome | None:
        return self.outcomes[-1] if self.outcomes else None

    @cached_property
    def level(self) -> str | None:
        """``contract`` when the client breaks the contract here (or is not held to a contract
        field), ``detail`` when it differs only in details, None when it conforms fully or
        was not judged."""
        if not self.outcomes:
            return None
        levels = {d.level for d in self.departures}
        levels |= {field_level(name, self.scenario.condition) for name in self.expected.unchecked}
        return CONTRACT if CONTRACT in levels else DETAIL if levels else None

    @property
    def conforms(self) -> bool:
        """Judged, and nothing the contract promises differs from the documentation."""
        return bool(self.outcomes) and self.level != CONTRACT

    def explain(self) -> str:
        """The differences, the outcome and the server transcript, for a failure report."""
        scenario = self.scenario
        return explanation(f"{scenario.id} [{self.client}]: {self.status}",
                           f"{scenario.path}:{scenario.line}", scenario.condition,
                           self.differences, self.actual.message if self.actual else None,
                           self.transcript.render() if self.transcript else None)


def explanation(title: str, place: str, condition: str, differences: Sequence[str],
                message: str | None, transcript: str | None) -> str:
    """A verdict explained: where its scenario is, how it differs, the outcome's message and
    the transcript (None: leave it out); for a verdict and for a report's result alike."""
    lines = [title, f"  scenario file: {place}", f"  condition: {condition}",
             *(f"  - {d}" for d in differences)]
    if message:
        lines.append(f"  message: {message}")
    if transcript is not None:
        lines += ["  transcript:", *("    " + t for t in transcript.split("\n"))]
    return "\n".join(lines)


def judge(scenario: Scenario, client: str, outcomes: list[Outcome],
          transcript: Transcript | None, pickup_files: int | None, seconds: float,
          contract_only: bool = False, pickup_contents: tuple[bytes, ...] = ()) -> Verdict:
    """The verdict for what a client did; ``contract_only`` judges contract fields alone (a
    profile that departs only in details is then not needed)."""
    def differ(expectation: Expectation) -> list[Difference]:
        found = compare(expectation, outcomes, transcript, pickup_files, scenario.condition,
                        pickup_contents)
        return [d for d in found if d.level == CONTRACT] if contract_only else found

    departures = differ(scenario.expect)
    expected, is_profile = scenario.expectation_for(client)
    if is_profile and contract_only and not _contract_fields(expected, scenario):
        expected, is_profile = scenario.expect, False
    differences = [d.text for d in (differ(expected) if is_profile else departures)]
    if differences and is_profile:
        # A racing client may give any of its recorded alternatives instead.
        matching = next((alt for alt in expected.alternatives if not differ(alt)), None)
        if matching is not None:
            expected, differences = matching, []
    if not differences:
        status = DEVIATES if is_profile else PASS
    else:
        status = FAIL
        if is_profile and not departures:
            differences.append("the client now honours the documented contract: "
                               f"remove its profile ({expected.why})")
    return Verdict(scenario, client, status, tuple(differences), expected, tuple(outcomes),
                   transcript, seconds, pickup_files, tuple(departures), pickup_contents)


def _contract_fields(profile: Expectation, scenario: Scenario) -> bool:
    """Whether a profile departs from ``expect`` in a contract field (or unchecks one)."""
    expect = scenario.expect
    named = [name for name in ("raises", *OUTCOME_FIELDS)
             if getattr(profile, name) != getattr(expect, name)]
    for index, (mine, theirs) in enumerate(zip_longest(profile.earlier, expect.earlier,
                                                       fillvalue=Expectation())):
        named += [f"earlier[{index}].{name}" for name in ("raises", *OUTCOME_FIELDS)
                  if getattr(mine, name) != getattr(theirs, name)]
    named += [f"server.{name}" for name in SERVER_FIELDS
              if getattr(profile.server, name) != getattr(expect.server, name)]
    named += list(profile.unchecked)
    if any(_contract_fields(alternative, scenario) for alternative in profile.alternatives):
        return True
    return any(field_level(name, scenario.condition) == CONTRACT for name in named)


def harness_error(scenario: Scenario, client: str, problem: str,
                  transcript: Transcript | None, seconds: float,
                  status: str = ERROR) -> Verdict:
    """A verdict for a run that could not be judged (the client hung, the adapter broke), or
    that the client cannot run here (``status=NOT_RUNNABLE``)."""
    expected, _ = scenario.expectation_for(client)
    return Verdict(scenario, client, status, (problem,), expected, (), transcript, seconds)


def compare(expected: Expectation, outcomes: list[Outcome], transcript: Transcript | None,
            pickup_files: int | None, condition: str = "delivered",
            pickup_contents: tuple[bytes, ...] = ()) -> list[Difference]:
    """Every difference between ``expected`` and what happened, each with its level."""
    if not outcomes:
        return [Difference("outcomes", CONTRACT, "the client reported no outcome")]
    found: list[tuple[str, str]] = []
    for index, outcome in enumerate(outcomes[:-1]):
        wanted = expected.earlier[index] if index < len(expected.earlier) else Expectation()
        found += [(f"earlier[{index}].{name}", f"send {index + 1} of {len(outcomes)}: {text}")
                  for name, text in _compare_outcome(wanted, outcome)]
    found += _compare_outcome(expected, outcomes[-1])
    if expected.pickup_files is not None and expected.pickup_files != pickup_files:
        found.append(("pickup_files",
                      f"pickup_files: expected {expected.pickup_files}, got {pickup_files}"))
    if expected.pickup_message is not None:
        found += [("pickup_message", text) for text in _compare_messages(
            expected.pickup_message, list(pickup_contents), "pickup_message", "pickup file")]
    found += _compare_server(expected, transcript)
    return [Difference(name, field_level(name, condition), text) for name, text in found]


def _compare_outcome(expected: Expectation, actual: Outcome) -> list[tuple[str, str]]:
    differences = []
    if expected.raises != actual.exception:
        differences.append(("raises", f"raises: expected {expected.raises or 'success'}, "
                                      f"got {actual.exception or 'success'}"))
    wanted_status = None if expected.status_code == NO_STATUS else expected.status_code
    if expected.status_code is not None and wanted_status != actual.status_code:
        differences.append(("status_code", f"status_code: expected {_code(expected.status_code)}"
                                           f", got {_code(actual.status_code)}"))
    if expected.message_contains and expected.message_contains not in (actual.message or ""):
        differences.append(("message_contains",
                            f"message: expected it to contain {expected.message_contains!r}, "
                            f"got {actual.message!r}"))
    if expected.reported_by is not None and expected.reported_by != actual.reported_by:
        differences.append(("reported_by", f"reported_by: expected {expected.reported_by}, "
                                           f"got {actual.reported_by or 'neither'}"))
    differences += _compare_recipients(expected, actual)
    differences += [("inner", text) for text in _compare_inner(expected, actual)]
    return differences


def _code(code: int | None) -> str:
    if code is None or code == NO_STATUS:
        return "none"
    name = status_name(code)
    return f"{name} ({code})" if isinstance(name, str) else str(name)


def _compare_recipients(expected: Expectation, actual: Outcome) -> list[tuple[str, str]]:
    """The failed recipients and their codes; listed in another order, the same recipients
    with the same codes differ only in a detail (``failed_recipients.order``)."""
    if expected.failed_recipients is None:
        return []
    want = [r.address for r in expected.failed_recipients]
    got = [r.address for r in actual.failed_recipients]
    field = "failed_recipients"
    if want != got and sorted(want) == sorted(got):
        field += ".order"
        wanted = sorted(expected.failed_recipients, key=lambda r: r.address)
        seen = sorted(actual.failed_recipients, key=lambda r: r.address)
        differ = any(_code_differs(w, g) for w, g in zip(wanted, seen, strict=True))
        return [("failed_recipients" if differ else field,
                 f"{field}: expected {want}, got {got}")]
    if want != got:
        return [(field, f"failed_recipients: expected {want}, got {got}")]
    return [
        (field, f"failed_recipients[{i}].status_code: expected {_code(w.status_code)}, "
                f"got {_code(g.status_code)}")
        for i, (w, g) in enumerate(zip(expected.failed_recipients, actual.failed_recipients,
                                       strict=True))
        if _code_differs(w, g)
    ]


def _code_differs(wanted: FailedRecipient, got: FailedRecipient) -> bool:
    return wanted.status_code is not None and (
        None if wanted.status_code == NO_STATUS else wanted.status_code) != got.status_code


def _compare_inner(expected: Expectation, actual: Outcome) -> list[str]:
    if expected.inner is None:
        return []
    if expected.inner == NO_INNER:
        return [] if actual.inner is None else [f"inner: expected none, got {actual.inner}"]
    if expected.inner == actual.inner or expected.inner in actual.inner_bases:
        return []
    return [f"inner: expected {expected.inner}, got {actual.inner or 'none'}"]


def _compare_server(expected: Expectation, transcript: Transcript | None
                    ) -> list[tuple[str, str]]:
    facts = expected.server
    if transcript is None:  # the loader refuses this; a verdict still fails closed on it
        return [(f"server.{f.name}", f"server.{f.name}: the scenario has no server")
                for f in fields(ServerFacts) if getattr(facts, f.name) != f.default]
    actual = transcript.facts()
    differences = []
    for name, got in actual.items():
        want = getattr(facts, name)
        if want is None or (list(want) if isinstance(want, tuple) else want) == got:
            continue
        if name in _ARGUMENT_FIELDS and _arguments_match(want, cast("list[str]", got)):
            continue
        field = f"server.{name}"
        if name == "delivered_to" and sorted(want) == sorted(cast("list[str]", got)):
            field += ".order"  # the same recipients: only the order differs
        differences.append((field, f"{field}: expected {_show(want)}, got {_show(got)}"))
    data = b"".join(m.raw for m in transcript.messages).decode("utf-8", "replace")
    differences += [("server.data_contains",
                     f"server.data_contains: {text!r} not in the received data")
                    for text in facts.data_contains if text not in data]
    differences += [("server.data_excludes",
                     f"server.data_excludes: {text!r} found in the received data")
                    for text in facts.data_excludes if text in data]
    if facts.message is not None:
        delivered = [unstuff(m.raw) for m in transcript.messages if m.delivered]
        differences += [("server.message", text) for text in _compare_messages(
            facts.message, delivered, "server.message", "delivered message")]
    return differences


def _compare_messages(facts: MessageFacts, messages: list[bytes], where: str,
                      kind: str) -> list[str]:
    """The differences of every message from ``facts``; none at all is one."""
    if not messages:
        return [f"{where}: expected a {kind}, there is none"]
    found = []
    for index, data in enumerate(messages):
        label = where if len(messages) == 1 else f"{where}[{index}]"
        found += message_differences(facts, data, label)
    return found


_ARGUMENT_FIELDS = ("mail_from", "rcpt_to")
"""Command arguments: the path as written, then its parameters in any order, keywords in any
case (RFC 5321 4.1.2, RFC 1869); ``*`` stands for any run of non-space characters
(``SIZE=*``: the size depends on the Date and Message-ID)."""


def _arguments_match(want: tuple[str, ...], got: list[str]) -> bool:
    return len(want) == len(got) and all(
        _argument_matches(w, g) for w, g in zip(want, got, strict=True))


def _argument_matches(want: str, got: str) -> bool:
    (want_path, *want_params), (got_path, *got_params) = want.split(" "), got.split(" ")
    wanted, seen = dict(map(_parameter, want_params)), dict(map(_parameter, got_params))
    return (_wildcard(want_path, got_path) and len(seen) == len(got_params)
            and wanted.keys() == seen.keys()
            and all(_wildcard(wanted[key], seen[key]) for key in wanted))


def _parameter(text: str) -> tuple[str, str]:
    """``size=210`` as ``("SIZE", "210")``: keywords are case-insensitive."""
    key, _, value = text.partition("=")
    return key.upper(), value


def _wildcard(pattern: str, text: str) -> bool:
    return re.fullmatch(r"\S*".join(map(re.escape, pattern.split("*"))), text) is not None


def _show(value: object) -> str:
    return str(list(value)) if isinstance(value, tuple) else str(value)
