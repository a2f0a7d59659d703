"""``smtp-harness record`` as a user runs it: an external client (swaks) through the proxy,
``--client`` sending itself, and the errors a user meets."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from harness.loader import parse_server_script
from harness.server import shared_host

from ..real_programs import require
from .harness_cli import REPO, smtp_harness

REJECTING = {"rcpt": [{"match": "bad@example.com", "reply": "550 5.1.1 No such user"}]}


def test_swaks_through_the_proxy_then_the_user_completes_the_outcome(
        tmp_path: Path, pytestconfig: pytest.Config) -> None:
    require(None if shutil.which("swaks") else "swaks is not installed (apt-get install swaks)",
            pytestconfig)
    upstream = shared_host().start(parse_server_script(REJECTING))
    out = tmp_path / "recorded.yaml"
    process = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "record", "--listen", "127.0.0.1:0",
         "--upstream", f"127.0.0.1:{upstream.port}", "--out", str(out), "--id", "ours/swaks"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"on 127\.0\.0\.1:(\d+): point a client there", first)
        assert found, first
        swaks = subprocess.run(
            ["swaks", "--server", f"127.0.0.1:{found.group(1)}", "--from", "s@example.com",
             "--to", "ok@example.com,bad@example.com", "--timeout", "10"],
            capture_output=True, text=True, timeout=60, check=False)
        output, _ = process.communicate(timeout=60)
    finally:
        process.kill()
        upstream.stop()
    assert "<** 550 5.1.1 No such user" in swaks.stdout
    assert process.returncode == 0, output
    assert "S: 550 5.1.1 No such user" in output  # the live transcript
    text = out.read_text()
    assert "{match: bad@example.com, reply: 550 5.1.1 No such user}" in text
    assert "to: [ok@example.com, bad@example.com]" in text  # the envelope swaks sent
    # Until the user writes the outcome, the file is refused, at the line to edit.
    refused = smtp_harness("validate", str(out), cwd=tmp_path)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "raises: TO-BE-COMPLETED" in t)
    assert refused.returncode == 2
    assert f"recorded.yaml:{line}: expect.raises: left for you by smtp-harness record" in \
        refused.stdout + refused.stderr
    out.write_text(text.replace("TO-BE-COMPLETED", "SmtpFailedRecipientException"))
    judged = smtp_harness("run", str(out), "--client", "netmail", cwd=tmp_path)
    assert judged.returncode == 0, judged.stdout + judged.stderr


def test_record_with_a_client_checks_the_replay_and_profiles_the_departures(
        tmp_path: Path) -> None:
    upstream = shared_host().start(parse_server_script(REJECTING))
    try:
        result = smtp_harness("record", "--upstream", f"127.0.0.1:{upstream.port}",
                              "--client", "smtplib", "--to", "ok@example.com",
                              "--to", "bad@example.com", "--id", "ours/smtplib", cwd=tmp_path)
    finally:
        upstream.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replayed with netmail: the same outcome (SmtpFailedRecipientException" in \
        result.stdout
    assert "replayed with smtplib: the same outcome (success)" in result.stdout
    text = (tmp_path / "scenarios" / "ours" / "smtplib.yaml").read_text()
    assert "raises: SmtpFailedRecipientException" in text  # the reference's outcome
    assert "  smtplib:\n    why: " in text  # smtplib's departure, to be reviewed


def test_credentials_given_on_the_command_line_are_not_written(tmp_path: Path) -> None:
    upstream = shared_host().start(parse_server_script(
        {"sasl": {"mechanisms": ["LOGIN"], "users": {"mallory": "pa55-w0rd"}}}))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "harness.cli", "record", "--upstream",
             f"127.0.0.1:{upstream.port}", "--client", "netmail", "--user", "mallory",
             "--out", "r.yaml"], cwd=tmp_path, text=True, capture_output=True, timeout=120,
            env={**os.environ, "SMTP_PASSWORD": "pa55-w0rd"}, check=False)
    finally:
        upstream.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    text = (tmp_path / "r.yaml").read_text()
    assert "mallory" not in text and "pa55-w0rd" not in text
    assert "bWFsbG9yeQ" not in text  # base64 of the user name, as LOGIN sends it
    assert "users: {recorded-user: recorded-password}" in text


def test_the_errors_a_user_meets(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        unreachable = smtp_harness("record", "--upstream", f"127.0.0.1:{port}", "--client",
                                   "netmail", "--out", "x.yaml", cwd=tmp_path)
    assert unreachable.returncode == 2
    assert "could not connect to the server" in unreachable.stderr
    assert not (tmp_path / "x.yaml").exists()
    bad = smtp_harness("record", "--upstream", "nowhere", cwd=tmp_path)
    assert bad.returncode == 2 and "'nowhere': expected HOST:PORT" in bad.stderr
    (tmp_path / "taken.yaml").write_text("mine")
    taken = smtp_harness("record", "--upstream", "127.0.0.1:25", "--out", "taken.yaml",
                         cwd=tmp_path)
    assert taken.returncode == 2 and "exists (--force overwrites it)" in taken.stderr
    assert (tmp_path / "taken.yaml").read_text() == "mine"
