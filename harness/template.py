"""Where ``smtp-harness new`` starts a scenario: a built-in template, or a scenario already
written for the condition asked for (the only honest template for most conditions is a
scenario that already passes for it)."""

from __future__ import annotations

from pathlib import Path

import yaml

from .loader import load_scenarios

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


def starting_point(scenario_id: str, condition: str, directory: Path) -> tuple[str, str]:
    """The text of a new scenario file and where it came from.

    ``recipients-failed`` uses the built-in template. Any other condition copies the first
    scenario (by id) under ``directory`` with that condition, without its profiles, since
    those record what other clients did in that other scenario. ``ValueError`` if none.
    """
    if condition == "recipients-failed":
        return _TEMPLATE.format(id=scenario_id), "the built-in template"
    scenarios, _ = load_scenarios([directory]) if directory.is_dir() else ([], [])
    examples = sorted((s for s in scenarios if s.condition == condition), key=lambda s: s.id)
    if not examples:
        raise ValueError(f"no scenario with condition {condition!r} under {directory} to start "
                         f"from; without --condition, new writes a recipients-failed template")
    example = examples[0]
    data = yaml.safe_load(example.path.read_text(encoding="utf-8"))
    data["id"] = scenario_id
    data.pop("profiles", None)
    text = yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True)
    return text, f"{example.id} ({example.path})"
