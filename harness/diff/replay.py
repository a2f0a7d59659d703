"""The recorded MailAddress cases (``scenarios/mail_address.jsonl``), replayed on a client.

Each line is one construction and what the reference (.NET 8) did with it, as ``smtp-harness
diff`` writes them. The scenario runner runs YAML scenarios only, so this is how the address
part of the library is held: by the tests, and by mutation testing's judge
(``python -m harness.diff.replay [FILE]``: exit 0 when netmail agrees with every line, or
differs only as a departure allows).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..adapters import NetmailAdapter
from ..library import mail_address_cases
from .cases import Case
from .compare import Comparison, compare
from .departures import Departure, load_departures
from .observe import address_request

CASES_FILE = mail_address_cases()


@dataclass(frozen=True)
class RecordedCase:
    line: int
    case: Case
    expect: dict[str, Any]
    against: str


def load_cases(path: Path = CASES_FILE) -> list[RecordedCase]:
    found = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            data = json.loads(text)
            found.append(RecordedCase(number, Case("addresses", {
                k: v for k, v in data.items() if k not in ("expect", "against")}),
                data["expect"], data["against"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a recorded MailAddress case: {exc}") \
                from None
    return found


def replay(adapter: Any, cases: Sequence[RecordedCase],
           departures: tuple[Departure, ...]) -> list[tuple[RecordedCase, Comparison]]:
    """The cases the client disagrees on (no departure covering it)."""
    failing = []
    for recorded in cases:
        got = adapter.parse_address(address_request(recorded.case)).comparable()
        found = compare(recorded.case, got, recorded.expect, departures, recorded.against)
        if not found.agrees:
            failing.append((recorded, found))
    return failing


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else CASES_FILE
    cases = load_cases(path)
    failing = replay(NetmailAdapter(), cases, load_departures())
    for recorded, found in failing:
        print(f"{path}:{recorded.line}: {json.dumps(recorded.case.data)}: "
              f"{', '.join(found.unexplained)} differ from {recorded.against}")
    print(f"{len(cases) - len(failing)} of {len(cases)} MailAddress cases agree")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
