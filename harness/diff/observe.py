"""Each client's observation of a case, normalised to what any two clients can express.

A send case is observed through the scripted server and the outcomes: the exception class and
status code of every send, the failed recipients, what the server received (commands,
envelope, the message as the stdlib parser reads it) and the pickup files. Exception
messages and inner exception types are not compared: each runtime words and nests its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from ..address import AddressRequest
from ..delivered import body_text, header_values, leaf_parts, lines, parse, unstuff
from ..loader import scenario_from_data
from ..model import Scenario
from ..outcome import status_name
from ..verdict import ERROR, NOT_RUNNABLE, Verdict
from .cases import CUSTOM_HEADERS, Case

_HEADERS = ("From", "To", "Cc", "Bcc", "Subject", "Reply-To", *CUSTOM_HEADERS)


def scenario(case: Case, case_id: str) -> Scenario:
    """The send case as a scenario with an empty expectation (only its outcome is wanted)."""
    data = {"id": case_id, "condition": "delivered", **case.data, "expect": {}}
    return scenario_from_data(data, Path(f"<{case_id}>"))


def address_request(case: Case) -> AddressRequest:
    data = case.data
    return (AddressRequest(data["address"]) if "display_name" not in data
            else AddressRequest(data["address"], data["display_name"]))


def observe(verdict: Verdict) -> dict[str, Any]:
    """The comparable facts of one client's run of a send case."""
    if verdict.status in (ERROR, NOT_RUNNABLE):
        return {"error": f"{verdict.status}: {'; '.join(verdict.differences)}"}
    facts: dict[str, Any] = {"outcomes": [[o.exception, status_name(o.status_code)]
                                          for o in verdict.outcomes]}
    if any(o.reported_by for o in verdict.outcomes):
        facts["reported_by"] = [o.reported_by for o in verdict.outcomes]
    last = verdict.actual
    if last is not None and last.failed_recipients:
        facts["failed_recipients"] = [[r.address, status_name(r.status_code)]
                                      for r in last.failed_recipients]
    transcript = verdict.transcript
    if transcript is not None:
        server = transcript.facts()
        facts["commands"] = server["commands"]
        facts["connections"] = server["connections"]
        facts["delivered_to"] = server["delivered_to"]
        facts["messages"] = server["messages"]
        mail_from = cast("list[str]", server["mail_from"])
        facts["mail_from"] = [a.partition(" ")[0] for a in mail_from]
        facts["mail_parameters"] = [a.partition(" ")[2] for a in mail_from]
        facts["rcpt_to"] = server["rcpt_to"]
        delivered = [m.raw for m in transcript.messages if m.delivered]
        if delivered:
            facts["message"] = message_facts(unstuff(delivered[0]))
    if verdict.pickup_files is not None:
        facts["pickup_files"] = verdict.pickup_files
        if verdict.pickup_contents:
            facts["message"] = message_facts(verdict.pickup_contents[0])
    return facts


def message_facts(data: bytes) -> dict[str, Any]:
    """What a receiver recovers from a message: decoded headers, body text, leaf parts."""
    try:
        message = parse(data)
        headers = {name: values for name in _HEADERS
                   if (values := header_values(message, name))}
        leaves = leaf_parts(message)
        body = body_text(leaves)
        return {"headers": headers, "content_type": message.get_content_type(),
                "body": None if body is None else lines(body),
                "parts": [[p.get_content_type(), p.get_filename(), p.get_param("name")]
                          for p in leaves]}
    except Exception as exc:  # a header the parser cannot read: the observation says so
        return {"unparsable": f"{type(exc).__name__}: {exc}"}
