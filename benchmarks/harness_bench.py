"""The harness's own costs: starting a server, one scenario, the suite, a generated suite.

Each is measured in this process (the figure is the harness's own overhead, in the process
that runs it), except the scale curve, whose sizes each run in a fresh process so that its
peak resident memory belongs to that size alone.
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import cycle, islice

from aiosmtpd.controller import Controller

from harness.adapters import NetmailAdapter
from harness.loader import load_scenarios
from harness.model import Scenario, ServerScript
from harness.runner import run_all, run_scenario
from harness.server import shared_host
from harness.verdict import Verdict

from . import ROOT, SCENARIOS
from .server import HOST, AcceptAll, free_port

SCRIPT = ServerScript()


class ScriptedStartStop:
    """Start and stop one scripted server on the shared loop: a ``create_server`` call."""

    name = "harness: ServerHost start+stop"

    def open(self) -> None:
        shared_host().start(SCRIPT).stop()  # the loop thread starts on first use

    def run(self, n: int) -> None:
        host = shared_host()
        for _ in range(n):
            host.start(SCRIPT).stop()

    def close(self) -> None:
        pass


class LoopRoundTrip:
    """A no-op coroutine on the shared loop from this thread: the floor under every
    ``start`` and ``stop``, each of which is one such cross-thread call."""

    name = "harness: ServerHost.call(no-op)"

    def open(self) -> None:
        shared_host().call(_nothing())

    def run(self, n: int) -> None:
        host = shared_host()
        for _ in range(n):
            host.call(_nothing())

    def close(self) -> None:
        pass


async def _nothing() -> None:
    pass


class ControllerStartStop:
    """aiosmtpd's threaded ``Controller``: a new loop and thread, and a probe connection
    (``_trigger_server``) so its factory runs, per start; a thread join per stop."""

    name = "aiosmtpd: Controller start+stop"

    def open(self) -> None:
        pass

    def run(self, n: int) -> None:
        for _ in range(n):
            controller = Controller(AcceptAll(), hostname=HOST, port=free_port())
            controller.start()
            controller.stop()

    def close(self) -> None:
        pass


def load_suite() -> list[Scenario]:
    """The scenarios in ``scenarios/``; a file that does not load is left out, and said so."""
    scenarios, errors = load_scenarios([SCENARIOS])
    for error in errors:
        print(f"benchmarks: left out: {error}", file=sys.stderr)
    return scenarios


@contextmanager
def quiet_asyncio() -> Iterator[None]:
    """Some TLS scenarios leave an aiosmtpd future whose failure asyncio logs; not ours."""
    logger = logging.getLogger("asyncio")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass(frozen=True)
class SuiteRun:
    seconds: float
    verdicts: list[Verdict]

    @property
    def passed(self) -> int:
        return sum(v.passed for v in self.verdicts)


def run_suite(scenarios: list[Scenario]) -> SuiteRun:
    """``run_all`` against netmail, as ``smtp-harness run`` does, timed from outside."""
    with quiet_asyncio():
        started = time.perf_counter()
        verdicts = run_all(scenarios, [NetmailAdapter()])
        return SuiteRun(time.perf_counter() - started, verdicts)


def time_alone(scenario: Scenario) -> float:
    """One scenario's wall time when nothing else runs."""
    with quiet_asyncio():
        started = time.perf_counter()
        run_all([scenario], [NetmailAdapter()])
        return time.perf_counter() - started


def delay_free(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios whose server never waits on purpose."""
    return [s for s in scenarios if s.server is None or s.server.max_delay == 0]


def per_scenario_seconds(scenarios: list[Scenario]) -> list[float]:
    """Each scenario's wall time run one after another: the harness cost plus the send."""
    adapter = NetmailAdapter()
    times = []
    with quiet_asyncio():
        for scenario in scenarios:
            started = time.perf_counter()
            run_scenario(scenario, adapter)
            times.append(time.perf_counter() - started)
    return times


def generated(base: list[Scenario], count: int) -> list[Scenario]:
    """``count`` scenarios: copies of ``base`` in turn, each with its own id."""
    return [replace(s, id=f"{s.id}~{i}") for i, s in enumerate(islice(cycle(base), count))]


@dataclass(frozen=True)
class ScalePoint:
    n: int
    seconds: float
    passed: int
    peak_rss_mib: float
    rss_growth_mib: float  # peak during run_all minus peak before it (scenarios built)
    failures: dict[str, int]  # scenarios that did not pass, by the id they were copied from

    @property
    def per_scenario_ms(self) -> float:
        return 1000 * self.seconds / self.n


def scale_point(n: int) -> ScalePoint:
    """Run ``n`` generated scenarios in a fresh process (``benchmarks.probe scale``)."""
    output = subprocess.run([sys.executable, "-m", "benchmarks.probe", "scale", str(n)],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return ScalePoint(**json.loads(output.splitlines()[-1]))


def median(values: list[float]) -> float:
    return statistics.median(values)
