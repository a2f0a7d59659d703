"""Whether a replay gave the outcome the live session gave: the same exception class and
status code, the same failed recipients with their codes, the same recipients delivered to."""

from __future__ import annotations

from ..outcome import Outcome
from ..server.transcript import Transcript


def outcome_differences(live: list[Outcome], live_server: Transcript,
                        replayed: list[Outcome], replay_server: Transcript | None) -> list[str]:
    """What differs between the live run and the replay (empty: the same outcome)."""
    differences = []
    if len(live) != len(replayed):
        return [f"sends: live {len(live)}, replay {len(replayed)}"]
    for number, (was, now) in enumerate(zip(live, replayed, strict=True), 1):
        where = f"send {number}: " if len(live) > 1 else ""
        if (was.exception, was.status_code) != (now.exception, now.status_code):
            differences.append(f"{where}live {was.describe()}, replay {now.describe()}")
        if was.failed_recipients != now.failed_recipients:
            differences.append(f"{where}failed recipients: live {_shown(was)}, "
                               f"replay {_shown(now)}")
    delivered = replay_server.delivered_to if replay_server is not None else []
    if live_server.delivered_to != delivered:
        differences.append(f"delivered to: live {live_server.delivered_to}, "
                           f"replay {delivered}")
    return differences


def _shown(outcome: Outcome) -> str:
    return str([(r.address, r.status_code) for r in outcome.failed_recipients])
