"""Recording a client's observed deviation as a profile in the scenario file.

A profile is written only from runs, and it narrows ``expect`` only where it must: it names
the fields the client was seen to get wrong, with the values it produced, and lists in
``unchecked`` the fields that cannot be pinned (they vary between runs, or no value can be
written for them: ``server.data_contains``). Everything else stays checked as ``expect``
checks it. Several runs are merged here; the file is edited through a round-trip YAML
library, so its comments, key order and flow style survive.
"""

from __future__ import annotations

import fcntl
import fnmatch
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from .adapters.base import Adapter
from .model import UNCHECKABLE, Scenario
from .outcome import Outcome, status_name
from .server.transcript import Transcript
from .verdict import DEVIATES, FAIL, Verdict, compare

_WRITTEN_AS_UNCHECKED = ("server.data_contains", "server.data_excludes", "server.message",
                         "pickup_message")
"""Checks no observed value can stand for: a client that fails them is not held to them."""


@dataclass
class Observed:
    """What a scenario's profile must say, merged over the runs seen so far."""

    scenario: Scenario
    fields: dict[str, Any]
    varying: list[str] = field(default_factory=list)
    """Fields that differed between runs and could not be left unchecked (``raises``)."""


def observed_profile(verdict: Verdict) -> dict[str, Any]:
    """The profile fields (without ``why``) that make this verdict deviate: each field where
    the outcome departs from ``expect``, with what was observed."""
    expect = verdict.scenario.expect
    outcomes = list(verdict.outcomes)
    differing = {d.field.removesuffix(".order") for d in compare(
        expect, outcomes, verdict.transcript, verdict.pickup_files,
        pickup_contents=verdict.pickup_contents)}
    fields: dict[str, Any] = {"raises": outcomes[-1].exception if outcomes else None}
    unchecked = sorted(differing & set(_WRITTEN_AS_UNCHECKED))
    fields |= _outcome_fields(outcomes[-1], differing) if outcomes else {}
    if "pickup_files" in differing:
        fields["pickup_files"] = verdict.pickup_files
    earlier = [_outcome_fields(o, {n.split(".", 1)[1] for n in differing
                                   if n.startswith(f"earlier[{i}].")}, always_raises=False)
               for i, o in enumerate(outcomes[:-1])]
    if any(earlier):
        fields["earlier"] = earlier
    server = _server_fields(verdict.transcript, differing)
    if server:
        fields["server"] = server
    if "message_contains" in fields and not fields["message_contains"]:
        del fields["message_contains"]
        unchecked.append("message_contains")
    if unchecked:
        fields["unchecked"] = sorted(unchecked)
    return fields


def _outcome_fields(outcome: Outcome, differing: set[str],
                    always_raises: bool = True) -> dict[str, Any]:
    observed: dict[str, Any] = {
        "raises": outcome.exception,
        "status_code": status_name(outcome.status_code),
        "message_contains": _stable_part(outcome.message or ""),
        "failed_recipients": [{"address": r.address, "status_code": status_name(r.status_code)}
                              for r in outcome.failed_recipients],
        "inner": outcome.inner,
        "reported_by": outcome.reported_by,
    }
    return {name: value for name, value in observed.items()
            if name in differing or (name == "raises" and always_raises)}


def _server_fields(transcript: Transcript | None, differing: set[str]) -> dict[str, Any]:
    if transcript is None:
        return {}
    return {name: value for name, value in transcript.facts().items()
            if f"server.{name}" in differing}


def _stable_part(message: str) -> str:
    """The message's first line, up to the first long number (a port, a process id): the
    parts that change from run to run are left out."""
    first_line = re.split(r"[\r\n]", message, maxsplit=1)[0]
    return re.split(r"\d{4,}", first_line, maxsplit=1)[0].rstrip(" :[(")


def merge_runs(first: dict[str, Any], second: dict[str, Any]) -> tuple[dict[str, Any],
                                                                        list[str]]:
    """What two observed profiles agree on. A field they disagree on (or that only one names)
    goes into ``unchecked``; the names of those that cannot (``raises``, an earlier send's
    outcome) are returned: such a deviation is not stable enough to record."""
    kept: dict[str, Any] = {}
    unchecked = set(first.get("unchecked", ())) | set(second.get("unchecked", ()))
    varying: list[str] = []
    for key in dict.fromkeys([*first, *second]):
        if key == "unchecked":
            continue
        if key == "server":
            mine, theirs = first.get(key, {}), second.get(key, {})
            same = {k: v for k, v in mine.items() if theirs.get(k, object()) == v}
            unchecked |= {f"server.{k}" for k in {*mine, *theirs} if k not in same}
            if same:
                kept[key] = same
        elif first.get(key, object()) == second.get(key, object()):
            kept[key] = first[key]
        elif key in UNCHECKABLE:
            unchecked.add(key)
        else:
            varying.append(key)
    if unchecked:
        kept["unchecked"] = sorted(unchecked)
    return kept, varying


def observe(scenarios: Sequence[Scenario], adapter: Adapter, runs: int,
            run: Callable[[Sequence[Scenario], Adapter], list[Verdict]],
            again: bool = False) -> list[Observed]:
    """Run the scenarios ``runs`` times and merge what each failing (with ``again``: also
    deviating) one was seen to do."""
    wanted = (FAIL, DEVIATES) if again else (FAIL,)
    found = {v.scenario.id: Observed(v.scenario, observed_profile(v))
             for v in run(scenarios, adapter) if v.status in wanted}
    for _ in range(max(1, runs) - 1):
        for verdict in run([s for s in scenarios if s.id in found], adapter):
            entry = found[verdict.scenario.id]
            entry.fields, differ = merge_runs(entry.fields, observed_profile(verdict))
            entry.varying += differ
    return list(found.values())


def reason_for(scenario: Scenario, client: str, whys: Sequence[tuple[str, str]],
               default: str | None) -> str | None:
    """The reason a profile is written with: the first ``(glob, why)`` whose glob matches the
    scenario id, else the reason its profile already gives, else ``default``."""
    for pattern, why in whys:
        if fnmatch.fnmatchcase(scenario.id, pattern):
            return why
    existing = dict(scenario.profiles).get(client)
    return existing.why if existing is not None and existing.why else default


def departure_kinds(entries: Sequence[Observed]) -> dict[str, list[Observed]]:
    """The entries grouped by the kind of departure their profiles record (the exception,
    the status code and which fields differ): one reason can honestly explain one kind."""
    kinds: dict[str, list[Observed]] = {}
    for entry in entries:
        fields = entry.fields
        kind = (f"raises {fields.get('raises', '(as expected)')}, status "
                f"{fields.get('status_code', '(as expected)')}, differs in "
                f"{', '.join(sorted(fields))}")
        kinds.setdefault(kind, []).append(entry)
    return kinds


def write_profile(path: Path, client: str, fields: dict[str, Any]) -> None:
    """Add or replace ``profiles.<client>`` in the scenario file, keeping everything else.

    The file is locked while it is read and rewritten, so several clients can be profiled
    at once.
    """
    with path.open("r+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        text = with_profile(file.read(), client, fields)
        file.seek(0)
        file.truncate()
        file.write(text)


def with_profile(text: str, client: str, fields: dict[str, Any]) -> str:
    """``text`` with ``profiles.<client>`` set to ``fields`` (profiles kept in name order)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.representer.add_representer(type(None), _null)  # "raises: null" stays written out
    data = yaml.load(text)
    profiles = data.get("profiles")
    if profiles is None:
        profiles = data["profiles"] = CommentedMap()
    entry = CommentedMap()
    for key, value in fields.items():
        entry[key] = _flow(value)
    names = sorted({*profiles, client})
    if client in profiles:
        profiles[client] = entry
    else:
        profiles.insert(names.index(client), client, entry)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _null(representer: Any, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _flow(value: Any) -> Any:
    """Lists and mappings inside a profile in flow style: one field a line, as written by
    hand."""
    node: CommentedMap | CommentedSeq
    if isinstance(value, dict):
        node = CommentedMap((k, _flow(v)) for k, v in value.items())
    elif isinstance(value, list):
        node = CommentedSeq(_flow(v) for v in value)
    elif isinstance(value, str):
        return DoubleQuotedScalarString(value)
    else:
        return value
    node.fa.set_flow_style()
    return node
