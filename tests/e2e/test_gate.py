"""The CI gate as a user drives it: reports, a baseline, a regression caught, a fix reported."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from .harness_cli import copy_scenarios, smtp_harness

CHOSEN = ("recipients/first-rejected", "contract/ssl-no-starttls", "replies/mail/fatal-552")


def test_reports_are_written(tmp_path: Path) -> None:
    copy_scenarios(tmp_path, *CHOSEN)
    result = smtp_harness("run", "--junit", "r/j.xml", "--html", "r/r.html", "--markdown",
                          "r/s.md", "--json", "r/r.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    cases = ET.parse(tmp_path / "r/j.xml").getroot().iter("testcase")
    assert sorted(c.get("name") for c in cases) == sorted(f"{n}[netmail]" for n in CHOSEN)
    assert "| netmail | 3/3 | 0 (0) | 0 | 3 | 0 | 0 | 0 | 0 |" in (tmp_path / "r/s.md").read_text()
    page = (tmp_path / "r/r.html").read_text()
    assert "recipients/first-rejected" in page and "<script" in page
    assert len(json.loads((tmp_path / "r/r.json").read_text())["results"]) == 3


def test_baseline_catches_a_regression_and_reports_a_fix(tmp_path: Path) -> None:
    scenarios = copy_scenarios(tmp_path, *CHOSEN)
    assert smtp_harness("run", "--baseline", "baseline.json", "--update-baseline",
                        cwd=tmp_path).returncode == 0
    baseline = (tmp_path / "baseline.json").read_text()
    assert json.loads(baseline)["results"]["recipients/first-rejected [netmail]"] == {
        "outcome": "SmtpFailedRecipientException(MailboxUnavailable)", "status": "pass"}

    broken = scenarios / "recipients/first-rejected.yaml"
    original = broken.read_text()
    broken.write_text(original.replace("status_code: MailboxUnavailable",
                                       "status_code: MailboxBusy"))
    result = smtp_harness("run", "--baseline", "baseline.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "REGRESSION: recipients/first-rejected [netmail]: pass -> fail" in result.stdout

    # record the broken state as the baseline, then mend it: the gate passes and says "fixed"
    smtp_harness("run", "--baseline", "baseline.json", "--update-baseline", cwd=tmp_path)
    broken.write_text(original)
    result = smtp_harness("run", "--baseline", "baseline.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "fixed: recipients/first-rejected [netmail]: fail -> pass" in result.stdout


def test_baseline_file_is_sorted_and_stable(tmp_path: Path) -> None:
    copy_scenarios(tmp_path, *CHOSEN)
    for name in ("a.json", "b.json"):
        smtp_harness("run", "--baseline", name, "--update-baseline", cwd=tmp_path)
    first, second = (tmp_path / "a.json").read_text(), (tmp_path / "b.json").read_text()
    assert first == second
    keys = list(json.loads(first)["results"])
    assert keys == sorted(keys)


def test_updating_a_selection_keeps_the_rest_of_the_baseline(tmp_path: Path) -> None:
    copy_scenarios(tmp_path, *CHOSEN)
    smtp_harness("run", "--baseline", "baseline.json", "--update-baseline", cwd=tmp_path)
    before = json.loads((tmp_path / "baseline.json").read_text())["results"]
    result = smtp_harness("run", "-k", "first-rejected", "--baseline", "baseline.json",
                          "--update-baseline", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 result(s) recorded, 2 kept" in result.stdout
    assert json.loads((tmp_path / "baseline.json").read_text())["results"] == before


def test_baseline_mistakes_are_usage_errors_before_anything_runs(tmp_path: Path) -> None:
    copy_scenarios(tmp_path, *CHOSEN)
    missing = smtp_harness("run", "--baseline", "nope.json", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == ("error: baseline nope.json: no such file "
                                      "(make one with --update-baseline)")
    assert "recipients/first-rejected" not in missing.stdout  # nothing ran
    alone = smtp_harness("run", "--update-baseline", cwd=tmp_path)
    assert (alone.returncode, alone.stderr.strip()) == (
        2, "error: --update-baseline needs --baseline FILE")
    (tmp_path / "other.json").write_text('{"version": 1, "results": []}')
    wrong = smtp_harness("run", "--baseline", "other.json", "--update-baseline", cwd=tmp_path)
    assert wrong.returncode == 2 and "not a baseline file" in wrong.stderr
    assert (tmp_path / "other.json").read_text() == '{"version": 1, "results": []}'
    assert "recipients/first-rejected" not in wrong.stdout  # found before the run
    (tmp_path / "corrupt.json").write_text('{"version": 1, "results": {')
    for update in ([], ["--update-baseline"]):
        corrupt = smtp_harness("run", "--baseline", "corrupt.json", *update, cwd=tmp_path)
        assert corrupt.returncode == 2 and corrupt.stderr.startswith("error: baseline corrupt")
        assert "recipients/first-rejected" not in corrupt.stdout


def test_new_writes_a_valid_template(tmp_path: Path) -> None:
    result = smtp_harness("new", "mine/first-try", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert smtp_harness("validate", cwd=tmp_path).returncode == 0
    run = smtp_harness("run", cwd=tmp_path)
    assert run.returncode == 0 and "mine/first-try" in run.stdout
    assert smtp_harness("new", "mine/first-try", cwd=tmp_path).returncode == 2


def test_new_for_another_condition_starts_from_a_scenario_of_that_condition(
        tmp_path: Path) -> None:
    copy_scenarios(tmp_path, "contract/ssl-no-starttls")
    result = smtp_harness("new", "mine/no-tls", "--condition", "ssl-no-starttls", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "from contract/ssl-no-starttls" in result.stdout
    written = (tmp_path / "scenarios/mine/no-tls.yaml").read_text()
    assert "id: mine/no-tls" in written and "profiles" not in written
    run = smtp_harness("run", "-k", "mine", cwd=tmp_path)
    assert run.returncode == 0 and "1 scenario x 1 client: 1 pass" in run.stdout
    library = smtp_harness("new", "mine/slow", "--condition", "timeout", cwd=tmp_path)
    assert library.returncode == 0, library.stderr  # none here: the built-in library has one
    assert "from client/timeout-zero (" in library.stdout
    assert "condition: timeout" in (tmp_path / "scenarios/mine/slow.yaml").read_text()
