"""``smtp-harness profile``: a client's observed deviation recorded, then judged "deviates"."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from .harness_cli import copy_scenarios, smtp_harness

LIAR = f"liar=cmd:{sys.executable} -m harness.adapters.example_driver --lie"


def test_record_then_deviate_then_nothing_left(tmp_path: Path) -> None:
    scenarios = copy_scenarios(tmp_path, "recipients/middle-rejected",
                               "contract/ssl-no-starttls")
    before = smtp_harness("run", "--client", LIAR, cwd=tmp_path)
    assert before.returncode == 1

    recorded = smtp_harness("profile", "--client", LIAR, "--why",
                            "reports SmtpException for recipient failures", cwd=tmp_path)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "1 profile(s) written; 0 not stable on a third run" in recorded.stdout

    data = yaml.safe_load((scenarios / "recipients/middle-rejected.yaml").read_text())
    assert data["profiles"]["liar"]["raises"] == "SmtpException"
    assert data["profiles"]["liar"]["why"] == "reports SmtpException for recipient failures"
    untouched = yaml.safe_load((scenarios / "contract/ssl-no-starttls.yaml").read_text())
    assert "liar" not in untouched.get("profiles", {})

    after = smtp_harness("run", "--client", LIAR, "--client", "netmail", cwd=tmp_path)
    assert after.returncode == 0, after.stdout
    assert "1 deviate" in after.stdout
    again = smtp_harness("profile", "--client", LIAR, "--why", "x", cwd=tmp_path)
    assert "0 profile(s) to write" in again.stdout


def test_one_reason_per_cause(tmp_path: Path) -> None:
    """``--why-for GLOB TEXT`` gives each cause its own reason; a deviation that no glob
    matches and no ``--why`` covers writes nothing at all."""
    scenarios = copy_scenarios(tmp_path, "recipients/middle-rejected",
                               "recipients/first-rejected", "recipients/all-rejected-one")
    unexplained = smtp_harness("profile", "--client", LIAR, "--why-for", "*/first-*",
                               "first", cwd=tmp_path)
    assert unexplained.returncode != 0
    assert "no reason given" in unexplained.stderr
    assert "liar" not in (scenarios / "recipients/first-rejected.yaml").read_text()

    recorded = smtp_harness("profile", "--client", LIAR, "--why-for", "*/first-*", "first",
                            "--why-for", "*/all-*", "all", "--why", "the rest",
                            cwd=tmp_path)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    whys = {name: yaml.safe_load((scenarios / f"recipients/{name}.yaml").read_text())
            ["profiles"]["liar"]["why"]
            for name in ("middle-rejected", "first-rejected", "all-rejected-one")}
    assert whys == {"middle-rejected": "the rest", "first-rejected": "first",
                    "all-rejected-one": "all"}


def test_a_profile_with_alternatives_is_never_rewritten(tmp_path: Path) -> None:
    """Alternatives are written by hand from runs showing each outcome; ``profile`` would lose
    them by rewriting the entry from one run, so it refuses and writes nothing."""
    scenarios = copy_scenarios(tmp_path, "recipients/middle-rejected")
    path = scenarios / "recipients/middle-rejected.yaml"
    path.write_text(path.read_text() + (
        "  liar:\n    why: races\n    raises: ObjectDisposedException\n"
        "    alternatives:\n      - {raises: ArgumentNullException}\n"))
    before = path.read_text()
    refused = smtp_harness("profile", "--client", LIAR, "--why", "x", cwd=tmp_path)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "profiles.liar has alternatives" in refused.stderr
    assert "0 without a reason, 1 with alternatives" in refused.stdout
    assert path.read_text() == before


def test_one_why_for_different_departures_is_refused(tmp_path: Path) -> None:
    """``--why`` names one cause: given to departures of different kinds (smtplib's
    SMTPRecipientsRefused and its SMTPServerDisconnected), it is refused and nothing is
    written, with the kinds listed."""
    scenarios = copy_scenarios(tmp_path, "recipients/all-rejected-one",
                               "replies/greeting/drop-reset")
    for path in scenarios.rglob("*.yaml"):  # no reasons of their own to fall back on
        data = yaml.safe_load(path.read_text())
        del data["profiles"]
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    before = {p: p.read_text() for p in scenarios.rglob("*.yaml")}
    refused = smtp_harness("profile", "--client", "smtplib", "--why", "one reason",
                           cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--why would give 2 different departures one reason" in refused.stderr
    assert "raises SMTPRecipientsRefused" in refused.stderr
    assert "raises SMTPServerDisconnected" in refused.stderr
    assert {p: p.read_text() for p in scenarios.rglob("*.yaml")} == before
