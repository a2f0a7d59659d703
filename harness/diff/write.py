"""A disagreement written down for good: a scenario file whose ``expect`` is what the
reference client did, or (for a MailAddress case) one line of a JSON-lines data file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from smtp_contract import ARGUMENT_EXCEPTIONS, CONTRACT_EXCEPTIONS

from .compare import Comparison

_MESSAGE_FIELDS = ("commands", "connections", "rcpt_to")


class Unwritable(Exception):
    """The reference's outcome cannot be an expectation (it erred, or raised a class the
    schema does not take); the reason says which."""


def case_digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]


def address_line(found: Comparison, against: str) -> str:
    """``{"address": ..., "display_name": ..., "expect": {...}, "against": "dotnet8"}``."""
    return json.dumps({**found.case.data, "expect": found.reference, "against": against})


def scenario_document(found: Comparison, against: str, client: str) -> dict[str, Any]:
    """The case as a scenario file's content, expecting what ``against`` did."""
    reference, case = found.reference, found.case
    if "error" in reference:
        raise Unwritable(f"{against} did not run it: {reference['error']}")
    outcomes = reference["outcomes"]
    for exception, _ in outcomes:
        if exception is not None and exception not in (*CONTRACT_EXCEPTIONS,
                                                         *ARGUMENT_EXCEPTIONS):
            raise Unwritable(f"{against} raised {exception}, which no scenario can expect")
    expect: dict[str, Any] = _outcome(outcomes[-1])
    if len(outcomes) > 1:
        expect["earlier"] = [_outcome(o) for o in outcomes[:-1]]
    if "reported_by" in found.unexplained and reference.get("reported_by", [None])[-1]:
        expect["reported_by"] = reference["reported_by"][-1]
    if "failed_recipients" in reference:
        expect["failed_recipients"] = [{"address": a, "status_code": c}
                                       for a, c in reference["failed_recipients"]]
    server: dict[str, Any] = {}
    if case.data.get("server") is not None and "delivered_to" in reference:
        server = {"delivered_to": reference["delivered_to"], "messages": reference["messages"]}
        server.update({k: reference[k] for k in _MESSAGE_FIELDS if k in found.unexplained})
    if "message" in found.unexplained and "unparsable" not in reference.get("message", {}):
        facts = _message_facts(reference.get("message"))
        if "pickup_files" in reference:
            expect["pickup_message"] = facts
        elif facts:
            server["message"] = facts
    if "pickup_files" in reference:
        expect["pickup_files"] = reference["pickup_files"]
    if server:
        expect["server"] = server
    fields = ", ".join(found.unexplained)
    shown = json.dumps(case.data, ensure_ascii=False).encode("utf-8", "backslashreplace")
    return {
        "id": f"diff/{case.axis}/{case_digest(case.data)}",
        "condition": _condition(reference, case.data),
        "description": f"Found by smtp-harness diff ({case.axis}) with {shown.decode()}: "
                       f"{against} {_did(outcomes[-1])}, and {client} differed in {fields}. "
                       f"The expectation is what {against} did.",
        **case.data,
        "expect": expect,
    }


def write_scenario(document: dict[str, Any], directory: Path) -> Path:
    path = directory / f"{document['id'].removeprefix('diff/')}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: YAML's own \u escapes instead
        data = yaml.safe_dump(document, sort_keys=False, width=100).encode("ascii")
    path.write_bytes(data)
    return path


def _did(outcome: list[Any]) -> str:
    exception, status = outcome
    if exception is None:
        return "succeeded"
    return f"raised {exception}" + (f" ({status})" if status is not None else "")


def _outcome(outcome: list[Any]) -> dict[str, Any]:
    exception, status = outcome
    if exception is None:
        return {"raises": None}
    return {"raises": exception, **({"status_code": status} if status is not None else {})}


def _message_facts(message: dict[str, Any] | None) -> dict[str, Any]:
    if not message:
        return {}
    facts: dict[str, Any] = {"headers": {name: values[0] if len(values) == 1 else values
                                         for name, values in message["headers"].items()},
                             "content_type": message["content_type"]}
    if message["body"] is not None:
        facts["body"] = message["body"]
    facts["parts"] = [{"content_type": t, **({"filename": f} if f is not None else {})}
                      for t, f, _ in message["parts"]]
    return facts


def _condition(reference: dict[str, Any], data: dict[str, Any]) -> str:
    exception = reference["outcomes"][-1][0]
    client = data.get("client") or {}
    if exception is None:
        return "delivered"
    if exception in ARGUMENT_EXCEPTIONS:
        return "invalid-argument"
    if exception.startswith("SmtpFailedRecipient"):
        return "recipients-failed"
    if exception == "ObjectDisposedException":
        return "disposed"
    if exception == "SmtpException":
        if client.get("delivery_method", "network") != "network":
            return "pickup-failed"
        return "server-reply-failed" if data.get("server") is not None else "connect-failed"
    return "protocol-violation" if data.get("server") is not None else "invalid-argument"
