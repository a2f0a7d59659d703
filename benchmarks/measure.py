"""Side-by-side timing: every contender runs once per round, rounds interleaved.

On a shared, noisy machine a burst of load then hits every contender of a round alike, so
the ratios of medians hold up even when the absolute figures wander.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from . import SIZES
from .clients import ServerProcess, Workload

WARM_UP = 20
"""Messages each contender sends before the clock starts (imports, caches, TCP windows)."""


@dataclass
class Result:
    name: str
    n: int
    seconds: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)
    """CPU seconds this (the client's) process spent in each timed round."""
    server_cpu: list[float] = field(default_factory=list)
    """CPU seconds the server process spent in each timed round, when it was watched."""

    @property
    def median(self) -> float:
        """Median seconds of one round (``n`` items)."""
        return statistics.median(self.seconds)

    @property
    def per_item(self) -> float:
        return self.median / self.n

    @property
    def per_second(self) -> float:
        return self.n / self.median

    @property
    def client_busy(self) -> float:
        """The share of one core the client used while it ran (1.0: saturated)."""
        return _share(self.client_cpu, self.seconds)

    @property
    def server_busy(self) -> float | None:
        """The share of one core the server used while this contender ran (1.0: saturated)."""
        return _share(self.server_cpu, self.seconds) if self.server_cpu else None


def _share(cpu: list[float], wall: list[float]) -> float:
    return statistics.median(c / w for c, w in zip(cpu, wall, strict=True))


def timed(workload: Workload, n: int) -> tuple[float, float]:
    """Wall seconds and the client's CPU seconds for one batch: this process's, plus that of
    child processes that ran and ended within it (``smtp-source``)."""
    cpu, started = client_cpu_seconds(), time.perf_counter()
    workload.run(n)
    return time.perf_counter() - started, client_cpu_seconds() - cpu


def client_cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def compare(workloads: Sequence[Workload], n: int | Sequence[int], rounds: int,
            warm_up: int = WARM_UP,
            servers: Sequence[ServerProcess | None] = ()) -> list[Result]:
    """Open every contender, warm each up, then time ``rounds`` interleaved rounds.

    ``n`` is the batch per round, for all or for each contender. ``servers`` (one per
    contender, or none) are watched: each round records the CPU its server burnt.
    """
    sizes = [n] * len(workloads) if isinstance(n, int) else list(n)
    watched = list(servers) or [None] * len(workloads)
    results = [Result(w.name, k) for w, k in zip(workloads, sizes, strict=True)]
    with ExitStack() as stack:
        for workload in workloads:
            workload.open()
            stack.callback(workload.close)
        for workload in workloads:
            if warm_up:
                workload.run(warm_up)
        entries = list(zip(workloads, results, watched, strict=True))
        for index in range(rounds):
            # Alternate the order, so no contender always runs right after the same one.
            for workload, result, server in entries if index % 2 == 0 else entries[::-1]:
                before = server.stats().cpu_seconds if server else 0.0
                wall, cpu = timed(workload, result.n)
                result.seconds.append(wall)
                result.client_cpu.append(cpu)
                if server:
                    result.server_cpu.append(server.stats().cpu_seconds - before)
    return results


def bench(benchmark: Any, workload: Workload, n: int, warm_up: int = WARM_UP) -> None:
    """For pytest-benchmark: open, warm up, then time ``SIZES.rounds`` batches of ``n``."""
    workload.open()
    try:
        if warm_up:
            workload.run(warm_up)
        benchmark.extra_info["n"] = n
        benchmark.pedantic(workload.run, args=(n,), rounds=SIZES.rounds, iterations=1)
        benchmark.extra_info["per_second"] = round(n / benchmark.stats.stats.median, 1)
    finally:
        workload.close()
