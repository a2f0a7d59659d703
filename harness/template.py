"""Where ``smtp-harness new`` starts a scenario: a built-in template, or a scenario already
written for the condition asked for (the only honest template for most conditions is a
scenario that already passes for it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from .loader import load_scenarios
from .model import Scenario

_TEMPLATE = """\
id: {id}
condition: recipients-failed
description: What the server does, and why a client must handle it.
server:
  rcpt:
    - {{match: bad@example.com, reply: "550 5.1.1 No such user"}}
client: {{timeout: 3}}
message: {{from: sender@example.com, to: [ok@example.com, bad@example.com]}}
expect:
  raises: SmtpFailedRecipientException
  status_code: MailboxUnavailable
  failed_recipients: ["<bad@example.com>"]
  server: {{delivered_to: [ok@example.com]}}
"""


def starting_point(scenario_id: str, condition: str,
                   directories: Sequence[Path]) -> tuple[str, str]:
    """The text of a new scenario file and where it came from.

    ``recipients-failed`` uses the built-in template. Any other condition copies the first
    scenario (by id) with that condition under the first of ``directories`` that has one,
    without its profiles, since those record what other clients did in that other scenario.
    ``ValueError`` if none has.
    """
    if condition == "recipients-failed":
        return _TEMPLATE.format(id=scenario_id), "the built-in template"
    for directory in directories:
        scenarios, _ = load_scenarios([directory]) if directory.is_dir() else ([], [])
        examples = sorted((s for s in scenarios if s.condition == condition), key=lambda s: s.id)
        if examples:
            return _copy(examples[0], scenario_id)
    raise ValueError(f"no scenario with condition {condition!r} under "
                     f"{' or '.join(map(str, directories))} to start from; without "
                     "--condition, new writes a recipients-failed template")


def _copy(example: Scenario, scenario_id: str) -> tuple[str, str]:
    data = yaml.safe_load(example.path.read_text(encoding="utf-8"))
    data["id"] = scenario_id
    data.pop("profiles", None)
    text = yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True)
    return text, f"{example.id} ({example.path})"
