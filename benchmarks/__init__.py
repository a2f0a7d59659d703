"""Benchmarks: netmail and the harness measured side by side with the tools people use instead.

Run ``python -m benchmarks`` for the comparison table, or ``pytest benchmarks/ --benchmark-only``
for the pytest-benchmark suite. ``SMTP_BENCH_SHORT=1`` shrinks every workload so CI can run the
suite once in seconds; the figures then only show that nothing rotted, not how fast it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SHORT = os.environ.get("SMTP_BENCH_SHORT", "") not in ("", "0")


@dataclass(frozen=True)
class Sizes:
    """How much work each figure does; the short mode keeps CI well under a minute."""

    messages: int  # 1 KB messages on one kept connection, per contender and round
    many_recipients: int  # 10-recipient messages, per contender and round
    fresh: int  # messages with a fresh connection each
    concurrency: int  # senders (threads or tasks) at once
    ingest: int  # messages a fake server takes per round
    starts: int  # scripted-server start/stop cycles per round
    controller_starts: int  # aiosmtpd Controller start/stop cycles per round
    scale: tuple[int, ...]  # generated-scenario suite sizes
    large_mb: int  # the large message
    rounds: int  # side-by-side rounds; the table quotes the median
    counted: tuple[int, int]  # messages of the short and the long callgrind run


FULL = Sizes(messages=2000, many_recipients=500, fresh=300, concurrency=8, ingest=2000,
             starts=200, controller_starts=20, scale=(100, 1000, 10000), large_mb=10, rounds=5,
             counted=(50, 250))
QUICK = Sizes(messages=200, many_recipients=50, fresh=30, concurrency=4, ingest=200,
              starts=20, controller_starts=3, scale=(100, 1000), large_mb=10, rounds=1,
              counted=(10, 30))
SIZES = QUICK if SHORT else FULL
