"""The mutation gate fails when the suite loses a scenario that kills mutants.

The gate is run as CI runs it (``python -m mutation``), on the mutants of one line of
netmail's reply parser (the line-length check): judged by one scenario, then with
``replies/greeting/overlong-line`` added (keeping the first session's kills, so only its
survivors are judged again). The second score is higher, and the first session, gated at the
second score, fails: removing the killing scenario is caught, and the survivors are named.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]
KILLER = "replies/greeting/overlong-line"
BYSTANDER = "recipients/order-delivered"


def mutation(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mutation", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)


def judge(tmp_path: Path, scenarios: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    directory = tmp_path / f"scenarios-{len(scenarios)}"
    for name in scenarios:
        target = directory / f"{name}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "scenarios" / f"{name}.yaml", target)
    line = next(number for number, text in enumerate(
        (REPO / "netmail" / "replies.py").read_text().splitlines(), 1)
        if "if end + 1 > MAX_LINE:" in text)
    return mutation("run", "--where", f"netmail/replies.py:{line}", "--scenarios",
                    str(directory), "--session", str(tmp_path / f"{len(scenarios)}.sqlite"),
                    *extra)


def score(run: subprocess.CompletedProcess[str]) -> float:
    found = re.search(r"^([\d.]+)% killed", run.stdout, re.MULTILINE)
    assert found, run.stdout + run.stderr
    return float(found.group(1))


def test_removing_a_killing_scenario_fails_the_gate(tmp_path: Path) -> None:
    without = judge(tmp_path, [BYSTANDER], "--fail-under", "0")
    assert without.returncode == 0, without.stdout + without.stderr

    both = judge(tmp_path, [KILLER, BYSTANDER], "--keep-kills", str(tmp_path / "1.sqlite"))
    assert both.returncode == 0, both.stdout + both.stderr
    recorded = score(both)
    assert recorded > score(without)

    gated = mutation("report", "--session", str(tmp_path / "1.sqlite"), "--fail-under",
                     str(recorded), "--markdown", str(tmp_path / "survivors.md"))
    assert gated.returncode == 1, gated.stdout + gated.stderr
    assert f"below --fail-under {recorded}" in gated.stderr
    assert "netmail/replies.py" in (tmp_path / "survivors.md").read_text()


def test_kept_kills_must_come_from_the_same_netmail(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "init",
                    str(REPO / "mutation" / "cosmic-ray.toml"), str(other)], cwd=REPO,
                   check=True, capture_output=True)
    # The same mutant positions, but no record of the sources they came from ...
    run = judge(tmp_path, [BYSTANDER], "--keep-kills", str(other))
    assert run.returncode == 2 and "another netmail" in run.stderr, run.stderr
    # ... or sources that differ where no position moves (a changed constant, say).
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE netmail_source (sha256 TEXT NOT NULL)")
        db.execute("INSERT INTO netmail_source VALUES (?)", ("0" * 64,))
    run = judge(tmp_path, [BYSTANDER], "--keep-kills", str(other))
    assert run.returncode == 2 and "another netmail" in run.stderr, run.stderr
    report = mutation("report", "--session", str(other))
    assert report.returncode == 2 and "another netmail" in report.stderr, report.stderr
