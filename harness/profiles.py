"""Recording a client's observed deviation as a profile in the scenario file.

A profile is written only from a run: the fields the scenario's ``expect`` checks take the
values the client was seen to produce, and a human-written ``why`` explains them. The file's
other text is kept as it is; the ``profiles:`` block (always the file's last key) gets the
client's entry added or replaced.
"""

from __future__ import annotations

import fcntl
import json
import re
from pathlib import Path
from typing import Any

from .model import UNCHECKABLE
from .outcome import Outcome, status_name
from .server.transcript import Transcript
from .verdict import Verdict


def observed_profile(verdict: Verdict, why: str) -> dict[str, Any]:
    """The profile fields that make this verdict pass: what was observed, field by field."""
    expect = verdict.scenario.expect
    outcomes = list(verdict.outcomes)
    last = outcomes[-1]
    fields: dict[str, Any] = {"why": why, **_outcome_fields(expect, last)}
    if len(outcomes) > 1:
        fields["earlier"] = [_outcome_fields(expect, o, every=True) for o in outcomes[:-1]]
    if expect.pickup_files is not None:
        fields["pickup_files"] = verdict.pickup_files
    server = _server_fields(expect, verdict.transcript)
    if server:
        fields["server"] = server
    return fields


def _outcome_fields(expect: Any, outcome: Outcome, every: bool = False) -> dict[str, Any]:
    fields: dict[str, Any] = {"raises": outcome.exception}
    if (every and outcome.status_code is not None) or (not every and expect.status_code
                                                        is not None):
        fields["status_code"] = status_name(outcome.status_code)
    if expect.failed_recipients is not None or (every and outcome.failed_recipients):
        fields["failed_recipients"] = [
            {"address": r.address, "status_code": status_name(r.status_code)}
            for r in outcome.failed_recipients]
    if expect.inner is not None and not every:
        fields["inner"] = outcome.inner
    if expect.message_contains and expect.message_contains not in (outcome.message or ""):
        fields["message_contains"] = _stable_part(outcome.message or "")
    return {k: v for k, v in fields.items() if not (every and v is None and k != "raises")}


def _stable_part(message: str) -> str:
    """The message's first line, up to the first long number (a port, a process id): the
    parts that change from run to run are left out."""
    first_line = re.split(r"[\r\n]", message, maxsplit=1)[0]
    return re.split(r"\d{4,}", first_line, maxsplit=1)[0].rstrip(" :[(")


def common_fields(first: dict[str, Any], second: dict[str, Any]) -> tuple[dict[str, Any],
                                                                          list[str]]:
    """The fields two observed profiles agree on, and the names of those they do not."""
    kept: dict[str, Any] = {}
    varying: list[str] = []
    for key, value in first.items():
        if key == "server" and isinstance(second.get(key), dict):
            same = {k: v for k, v in value.items() if second[key].get(k) == v}
            varying += [f"server.{k}" for k in value if k not in same]
            kept[key] = same
        elif key == "unchecked":
            kept[key] = sorted(set(value) | set(second.get(key, ())))
        elif second.get(key) == value or key == "why":
            kept[key] = value
        else:
            varying.append(key)
    unchecked = sorted(set(kept.get("unchecked", ())) | (set(varying) & set(UNCHECKABLE)))
    if unchecked:
        kept["unchecked"] = unchecked
    return kept, varying


def _server_fields(expect: Any, transcript: Transcript | None) -> dict[str, Any]:
    facts = expect.server
    if transcript is None:
        return {}
    observed: dict[str, Any] = {
        "connections": transcript.connections,
        "commands": transcript.commands,
        "data_sent": "DATA" in transcript.commands,
        "delivered_to": transcript.delivered_to,
        "messages": sum(1 for m in transcript.messages if m.delivered),
    }
    return {name: value for name, value in observed.items() if getattr(facts, name) is not None}


def write_profile(path: Path, client: str, fields: dict[str, Any]) -> None:
    """Add or replace ``profiles.<client>`` at the end of the scenario file.

    The file is locked while it is read and rewritten, so several clients can be profiled
    at once.
    """
    with path.open("r+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        text = _with_profile(file.read(), client, fields)
        file.seek(0)
        file.truncate()
        file.write(text)


def _with_profile(text: str, client: str, fields: dict[str, Any]) -> str:
    lines = text.rstrip("\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "profiles:"), None)
    entries: dict[str, list[str]] = {}
    if start is not None:
        current = None
        for line in lines[start + 1:]:
            if line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(":"):
                current = line.strip()[:-1]
                entries[current] = []
            elif current is not None:
                entries[current].append(line)
        lines = lines[:start]
    entries[client] = ["    " + line for line in _yaml_lines(fields)]
    return "\n".join([*lines, "profiles:", *(f"  {name}:\n" + "\n".join(body)
                                                for name, body in sorted(entries.items()))]) + "\n"


def _yaml_lines(fields: dict[str, Any]) -> list[str]:
    """Flow-style YAML values (JSON is valid YAML), one key per line; null is kept: it says
    "none" (no exception, no status code, no inner exception)."""
    return [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]

