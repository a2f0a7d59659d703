"""``smtp-harness serve`` with a real external client: swaks sends through a scripted server."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ..real_programs import require
from .harness_cli import REPO

REJECTING = """\
id: serve/reject-one
condition: recipients-failed
server:
  rcpt:
    - {match: bad@example.com, reply: "550 5.1.1 No such user"}
expect: {raises: SmtpFailedRecipientException}
"""


def start_serve(scenario: Path, *, as_background_job: bool = False
                ) -> tuple[subprocess.Popen[str], int]:
    """``as_background_job``: started as ``cmd &`` in a script is, with SIGINT ignored."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "serve", str(scenario), "--port", "0"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        if as_background_job else None)
    assert process.stdout is not None
    first = process.stdout.readline()
    found = re.search(r"on 127\.0\.0\.1:(\d+) \(Ctrl-C to stop\)", first)
    assert found, first
    return process, int(found.group(1))


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_swaks_sees_the_rejection_and_the_transcript_is_printed_live(
        tmp_path: Path, stop: signal.Signals, pytestconfig: pytest.Config) -> None:
    require(None if shutil.which("swaks") else "swaks is not installed (apt-get install swaks)",
            pytestconfig)
    scenario = tmp_path / "reject.yaml"
    scenario.write_text(REJECTING)
    process, port = start_serve(scenario)
    try:
        swaks = subprocess.run(
            ["swaks", "--server", f"127.0.0.1:{port}", "--from", "s@example.com",
             "--to", "ok@example.com,bad@example.com", "--timeout", "10"],
            capture_output=True, text=True, timeout=60, check=False)
    finally:
        process.send_signal(stop)
        output, _ = process.communicate(timeout=30)
    assert "<** 550 5.1.1 No such user" in swaks.stdout
    assert process.returncode == 0
    assert "C: RCPT TO:<bad@example.com>" in output
    assert "S: 550 5.1.1 No such user" in output
    assert "stopped: 1 connection(s), delivered to ['ok@example.com']" in output


def test_a_scenario_without_a_server_cannot_be_served(tmp_path: Path) -> None:
    scenario = tmp_path / "none.yaml"
    scenario.write_text("id: x/none\ncondition: connect-failed\nserver: null\n"
                        "expect: {raises: SmtpException}\n")
    result = subprocess.run([sys.executable, "-m", "harness.cli", "serve", str(scenario)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "has no server" in result.stderr


def test_a_background_serve_stops_on_sigint_too(tmp_path: Path) -> None:
    scenario = tmp_path / "reject.yaml"
    scenario.write_text(REJECTING)
    process, port = start_serve(scenario, as_background_job=True)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        assert client.recv(100).startswith(b"220 ")
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "stopped: 1 connection(s), delivered to nobody" in output


def test_a_signal_right_after_serving_is_announced_stops_it_cleanly(tmp_path: Path) -> None:
    """Whoever reads the "serving" line may stop the server at once: never a hang (a signal
    landing just before a wait without end), never an "interrupted" exit."""
    scenario = tmp_path / "reject.yaml"
    scenario.write_text(REJECTING)
    for stop in [signal.SIGINT, signal.SIGTERM] * 4:
        process, _ = start_serve(scenario)
        process.send_signal(stop)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, (stop, output)
        assert "stopped: 0 connection(s), delivered to nobody" in output
