"""The process adapter: real driver processes over JSON lines, honest, lying and broken."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from harness.adapters import make_adapter
from harness.adapters.process import DID_NOT_RETURN, ClientUnavailable, ProcessAdapter
from harness.loader import load_scenarios
from harness.runner import run_all
from harness.verdict import ERROR, FAIL, PASS

SCENARIOS = Path(__file__).parents[2] / "scenarios"
DRIVER = "-m harness.adapters.example_driver"


def recipient_scenarios() -> list:  # type: ignore[type-arg]
    scenarios, errors = load_scenarios([SCENARIOS / "recipients"])
    assert not errors and scenarios
    return scenarios[:6]


def test_an_honest_driver_passes_like_the_in_process_client() -> None:
    adapter = make_adapter(f"honest=cmd:{sys.executable} {DRIVER}")
    adapter.start()
    try:
        verdicts = run_all(recipient_scenarios(), [adapter], jobs=4)
    finally:
        adapter.close()
    assert [v.status for v in verdicts] == [PASS] * len(verdicts)
    assert adapter.description == "netmail via JSON lines"  # type: ignore[attr-defined]


def test_a_lying_driver_is_caught_and_the_scenario_named() -> None:
    adapter = make_adapter(f"liar=cmd:{sys.executable} {DRIVER} --lie")
    try:
        verdicts = run_all(recipient_scenarios(), [adapter], jobs=2)
    finally:
        adapter.close()
    caught = [v for v in verdicts if v.status == FAIL]
    assert caught, "the lie went unnoticed"
    for verdict in caught:
        assert any("raises: expected SmtpFailedRecipient" in d and "got SmtpException" in d
                   for d in verdict.differences)
        assert verdict.scenario.id in verdict.explain()


def driver_script(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "driver.py"
    script.write_text("import json, sys, time\n" + body)
    return [sys.executable, str(script)]


HELLO = 'print(json.dumps({"hello": {"client": "t", "protocol": 1}}), flush=True)\n'


@pytest.mark.parametrize(("body", "problem"), [
    (HELLO + "for line in sys.stdin:\n    print('not json', flush=True)\n", "not JSON"),
    (HELLO + "for line in sys.stdin:\n    sys.exit(3)\n", "exited"),
    (HELLO + "for line in sys.stdin:\n    print(json.dumps({'id': -1, 'outcomes': []}), "
             "flush=True)\n", "answered id"),
])
def test_a_broken_driver_is_an_error_not_a_pass(tmp_path: Path, body: str, problem: str) -> None:
    adapter = ProcessAdapter("broken", driver_script(tmp_path, body), workers=1)
    try:
        verdicts = run_all(recipient_scenarios()[:2], [adapter], jobs=1)
    finally:
        adapter.close()
    assert [v.status for v in verdicts] == [ERROR, ERROR]
    assert problem in verdicts[0].differences[0]


def test_unavailable_requests_are_not_runnable(tmp_path: Path) -> None:
    body = HELLO + ("for line in sys.stdin:\n    m = json.loads(line)\n"
                    "    print(json.dumps({'id': m['id'], 'unavailable': 'no TLS here'}), "
                    "flush=True)\n")
    adapter = ProcessAdapter("partial", driver_script(tmp_path, body), workers=1)
    try:
        verdicts = run_all(recipient_scenarios()[:1], [adapter], jobs=1)
    finally:
        adapter.close()
    assert verdicts[0].status == ERROR  # not for a declared lack: fail closed
    assert "no TLS here" in verdicts[0].differences[0]


def test_a_missing_program_is_reported_before_any_scenario() -> None:
    adapter = ProcessAdapter("ghost", ["/nonexistent/driver"])
    with pytest.raises(ClientUnavailable, match="cannot start"):
        adapter.start()


def test_a_client_that_never_returns_is_an_outcome_not_a_hang(tmp_path: Path) -> None:
    """Mono's SmtpClient ignores Timeout; a send that never returns must be reported, and
    the driver replaced, without waiting for ever."""
    body = HELLO + "for line in sys.stdin:\n    time.sleep(60)\n"
    adapter = ProcessAdapter("sleepy", driver_script(tmp_path, body), workers=1)
    scenario = recipient_scenarios()[0]
    fast = replace(scenario, client=replace(scenario.client, timeout=0.2))
    try:
        verdicts = run_all([fast], [adapter], jobs=1)
    finally:
        adapter.close()
    assert verdicts[0].status == FAIL
    assert verdicts[0].actual is not None
    assert verdicts[0].actual.exception == DID_NOT_RETURN
    assert verdicts[0].seconds < 15
