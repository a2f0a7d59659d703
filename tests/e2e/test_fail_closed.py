"""The gate fails closed, driven through the CLI as a user (or a tired maintainer) would.

A lying client named ``netmail`` cannot be profiled green; a driver that runs nothing never
exits 0; and each kind of regression against a baseline is reported on its own line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from .harness_cli import copy_scenarios, smtp_harness

DRIVER = f"{sys.executable} -m harness.adapters.example_driver"
LYING_NETMAIL = f"netmail=cmd:{DRIVER} --lie"
UNAVAILABLE = f"nothing=cmd:{DRIVER} --unavailable"
NO_PICKUP = f"nopickup=cmd:{DRIVER} --lacks pickup"
RECIPIENTS = "recipients/middle-rejected"
PICKUP = "contract/pickup-success"


def test_a_lying_reference_client_cannot_be_profiled_green(tmp_path: Path) -> None:
    scenarios = copy_scenarios(tmp_path, RECIPIENTS, "contract/ssl-no-starttls")
    honest = smtp_harness("run", "--baseline", "b.json", "--update-baseline", cwd=tmp_path)
    assert honest.returncode == 0, honest.stdout + honest.stderr
    before = {p: p.read_text() for p in scenarios.rglob("*.yaml")}

    lying = smtp_harness("run", "--client", LYING_NETMAIL, "--baseline", "b.json",
                         cwd=tmp_path)
    assert lying.returncode == 1
    assert f"REGRESSION: {RECIPIENTS} [netmail]: pass -> fail" in lying.stdout

    profiled = smtp_harness("profile", "--client", LYING_NETMAIL, "--why", "it lies",
                            cwd=tmp_path)
    assert profiled.returncode != 0
    assert "reference client" in profiled.stdout + profiled.stderr
    assert {p: p.read_text() for p in scenarios.rglob("*.yaml")} == before

    # a profile for it written by hand is refused, with its place in the file
    _add_profile(scenarios / f"{RECIPIENTS}.yaml", "netmail")
    again = smtp_harness("run", "--client", LYING_NETMAIL, "--baseline", "b.json",
                         cwd=tmp_path)
    assert again.returncode == 2
    assert f"scenarios/{RECIPIENTS}.yaml:" in again.stderr
    assert "profiles.netmail: netmail is a reference client" in again.stderr


def test_a_client_marked_reference_cannot_be_profiled(tmp_path: Path) -> None:
    copy_scenarios(tmp_path, RECIPIENTS)
    profiled = smtp_harness("profile", "--client", f"mine=cmd:{DRIVER} --lie", "--reference",
                            "mine", "--why", "it lies", cwd=tmp_path)
    assert profiled.returncode != 0
    assert "reference client" in profiled.stdout + profiled.stderr


def test_a_driver_that_runs_nothing_never_passes(tmp_path: Path) -> None:
    copy_scenarios(tmp_path, RECIPIENTS, PICKUP)
    alone = smtp_harness("run", "--client", UNAVAILABLE, cwd=tmp_path)
    assert alone.returncode == 1, alone.stdout
    assert "0 pass" in alone.stdout and "2 error" in alone.stdout
    assert "not for what nothing declares it lacks" in alone.stdout
    assert "FAILED: nothing was judged for nothing" in alone.stdout
    recorded = smtp_harness("run", "--client", UNAVAILABLE, "--baseline", "b.json",
                            "--update-baseline", cwd=tmp_path)
    assert recorded.returncode == 1 and not (tmp_path / "b.json").exists()
    # a baseline that already accepts the errors does not make a run of nothing green
    _baseline(tmp_path, {f"{name} [nothing]": {"status": "error", "outcome": "-"}
                         for name in (RECIPIENTS, PICKUP)})
    gated = smtp_harness("run", "--client", UNAVAILABLE, "--baseline", "b.json", cwd=tmp_path)
    assert gated.returncode == 1, gated.stdout
    assert "0 regression(s)" in gated.stdout and "FAILED: nothing was judged" in gated.stdout


def test_a_declared_lack_is_not_runnable_and_the_rest_runs(tmp_path: Path) -> None:
    copy_scenarios(tmp_path, RECIPIENTS, PICKUP)
    result = smtp_harness("run", "--client", NO_PICKUP, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "1 pass" in result.stdout and "1 not runnable" in result.stdout
    only_lacking = smtp_harness("run", "--client", NO_PICKUP, "-k", "pickup", cwd=tmp_path)
    assert only_lacking.returncode == 1, only_lacking.stdout


def _add_profile(path: Path, client: str) -> None:
    """The profile ``--lie`` earns: SmtpException where a recipient exception is due."""
    data = yaml.safe_load(path.read_text())
    data.setdefault("profiles", {})[client] = {"why": "it lies", "raises": "SmtpException"}
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _baseline(tmp_path: Path, entries: dict[str, dict[str, str]]) -> None:
    (tmp_path / "b.json").write_text(json.dumps({"version": 2, "results": entries}))


def test_each_regression_kind_has_its_own_line(tmp_path: Path) -> None:
    """One run, eight regressions of seven kinds, each named on its own line; against a
    hand-written baseline of what an earlier run would have recorded."""
    scenarios = copy_scenarios(tmp_path, RECIPIENTS, "recipients/first-rejected",
                               "recipients/all-rejected-one", PICKUP)
    for name in ("recipients/first-rejected", "recipients/all-rejected-one"):
        _add_profile(scenarios / f"{name}.yaml", "liar")
    passed = {"status": "pass", "outcome": "-"}
    liar = f"liar=cmd:{DRIVER} --lie --lacks pickup"
    _baseline(tmp_path, {
        f"{RECIPIENTS} [liar]": {"status": "deviates", "outcome": "SmtpException",
                                 "why": "it lies"},
        "recipients/first-rejected [liar]": passed,
        "recipients/all-rejected-one [liar]": {
            "status": "deviates", "outcome": "SmtpException(MailboxUnavailable)",
            "why": "an older reason"},
        f"{PICKUP} [liar]": passed,
        f"{RECIPIENTS} [nothing]": passed,
        f"{PICKUP} [nothing]": {"status": "deviates", "outcome": "-", "why": "w"},
    })
    result = smtp_harness("run", "--client", liar, "--client", UNAVAILABLE,
                          "--baseline", "b.json", cwd=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("REGRESSION: ")]
    kinds = {line.split(": ")[1]: line.split(": ")[2] for line in lines}
    assert kinds == {
        f"{RECIPIENTS} [liar]": "deviates -> fail",
        "recipients/first-rejected [liar]": "pass -> deviates",
        "recipients/all-rejected-one [liar]": "deviation reason changed",
        f"{PICKUP} [liar]": "pass -> not-runnable",
        f"{RECIPIENTS} [nothing]": "pass -> error",
        f"{PICKUP} [nothing]": "deviates -> error",
        "recipients/first-rejected [nothing]": "new scenario error",
        "recipients/all-rejected-one [nothing]": "new scenario error",
    }, result.stdout
    assert "baseline b.json: 8 regression(s), 0 fixed" in result.stdout


def test_a_deviation_with_another_outcome_is_a_regression(tmp_path: Path) -> None:
    scenarios = copy_scenarios(tmp_path, "recipients/first-rejected")
    _add_profile(scenarios / "recipients/first-rejected.yaml", "liar")
    _baseline(tmp_path, {"recipients/first-rejected [liar]": {
        "status": "deviates", "outcome": "SmtpException(GeneralFailure)", "why": "it lies"}})
    result = smtp_harness("run", "--client", f"liar=cmd:{DRIVER} --lie", "--baseline",
                          "b.json", cwd=tmp_path)
    assert result.returncode == 1
    assert ("REGRESSION: recipients/first-rejected [liar]: deviates differently: "
            "SmtpException(GeneralFailure) -> SmtpException(MailboxUnavailable)"
            in result.stdout), result.stdout
