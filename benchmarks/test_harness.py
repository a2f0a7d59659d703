"""The harness's own costs: server start, a scenario, the suite, the scale curve (parts 3-5)."""

from __future__ import annotations

from typing import Any

import pytest

from . import SIZES
from .harness_bench import (
    ControllerStartStop,
    ScriptedStartStop,
    delay_free,
    load_suite,
    per_scenario_seconds,
    run_suite,
    scale_point,
)
from .measure import bench


@pytest.mark.benchmark(group="start+stop one server")
def test_scripted_server_start_stop(benchmark: Any) -> None:
    bench(benchmark, ScriptedStartStop(), SIZES.controller_starts, warm_up=2)


@pytest.mark.benchmark(group="start+stop one server")
def test_controller_start_stop(benchmark: Any) -> None:
    bench(benchmark, ControllerStartStop(), SIZES.controller_starts, warm_up=1)


@pytest.mark.benchmark(group="scenarios")
def test_delay_free_scenarios_one_by_one(benchmark: Any) -> None:
    scenarios = delay_free(load_suite())
    benchmark.extra_info["n"] = len(scenarios)
    benchmark.pedantic(per_scenario_seconds, args=(scenarios,), rounds=SIZES.rounds)


@pytest.mark.benchmark(group="scenarios")
def test_suite(benchmark: Any) -> None:
    scenarios = load_suite()
    run = benchmark.pedantic(run_suite, args=(scenarios,), rounds=SIZES.rounds)
    benchmark.extra_info.update(n=len(scenarios), passed=run.passed)
    assert len(run.verdicts) == len(scenarios)


@pytest.mark.benchmark(group="scale curve (each size in a fresh process)")
@pytest.mark.parametrize("n", SIZES.scale)
def test_scale(benchmark: Any, n: int) -> None:
    point = benchmark.pedantic(scale_point, args=(n,), rounds=1)
    benchmark.extra_info.update(n=n, seconds=point.seconds, passed=point.passed,
                                peak_rss_mib=point.peak_rss_mib,
                                rss_growth_mib=point.rss_growth_mib)
