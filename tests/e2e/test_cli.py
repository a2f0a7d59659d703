"""``smtp-harness`` driven as a user would: a subprocess in a directory of scenarios."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.library import builtin_dir
from harness.loader import scenario_files
from harness.schema import SCENARIO_SCHEMA

from .harness_cli import copy_scenarios

SCENARIOS = scenario_files([builtin_dir()])

OK = """\
    id: cli/delivered
    condition: delivered
    server: {}
    expect: {raises: null, server: {delivered_to: [rcpt@example.com]}}
    """
REFUSED = """\
    id: cli/connect-failed
    condition: connect-failed
    server: null
    expect: {raises: SmtpException, status_code: GeneralFailure, inner: ConnectionError}
    """
FAILING = """\
    id: cli/wrongly-expected
    condition: recipients-failed
    server: {}
    expect: {raises: SmtpFailedRecipientException, status_code: MailboxUnavailable}
    """
BROKEN = """\
    id: cli/broken
    condition: delivered
    expect:
      raises: null
      status_code: NoSuchStatus
    """


def script() -> list[str]:
    """The installed console script, or the module when it is not on the PATH."""
    venv_script = Path(sys.executable).parent / "smtp-harness"
    found = shutil.which("smtp-harness") or (str(venv_script) if venv_script.exists() else None)
    return [found] if found else [sys.executable, "-m", "harness.cli"]


def harness(cwd: Path, *args: str, console: bool = False) -> subprocess.CompletedProcess[str]:
    command = script() if console else [sys.executable, "-m", "harness.cli"]
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=30, env=env, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory with ``scenarios/`` holding two passing scenarios."""
    write(tmp_path, "scenarios/delivered.yaml", OK)
    write(tmp_path, "scenarios/contract/refused.yaml", REFUSED)
    return tmp_path


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def table_ids(stdout: str) -> list[str]:
    lines = stdout.split("\n")
    assert lines[0].split() == ["condition", "scenario", "expected", "actual", "verdict"]
    rows = []
    for line in lines[2:]:
        if not line.strip():
            break
        rows.append(line.split()[1])
    return rows


def test_run_all_passing(project: Path) -> None:
    result = harness(project, "run", console=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert table_ids(result.stdout) == ["cli/connect-failed", "cli/delivered"]
    assert "SmtpException(GeneralFailure)" in result.stdout
    assert "2 scenarios x 1 client: 2 pass, 0 deviate (recorded in profiles), 0 fail, 0 error" \
        in result.stdout
    assert "\033[" not in result.stdout
    assert "Traceback" not in result.stderr


def test_run_with_a_failing_scenario(project: Path) -> None:
    write(project, "scenarios/failing.yaml", FAILING)
    result = harness(project, "run")
    assert result.returncode == 1
    assert "cli/wrongly-expected [netmail]: fail" in result.stdout
    assert "raises: expected SmtpFailedRecipientException, got success" in result.stdout
    assert "scenario file: scenarios/failing.yaml:1" in result.stdout
    assert "transcript:" not in result.stdout
    assert "1 fail" in result.stdout
    # the last line names the failure again, for a log read from its tail (a CI job's)
    assert result.stdout.rstrip().splitlines()[-1] == (
        "FAIL: netmail cli/wrongly-expected: raises: expected SmtpFailedRecipientException, "
        "got success")
    verbose = harness(project, "run", "-v")
    assert verbose.returncode == 1
    assert "transcript:" in verbose.stdout and "C: EHLO" in verbose.stdout


def test_broken_scenario_file(project: Path) -> None:
    write(project, "scenarios/broken.yaml", BROKEN)
    for command in ("run", "list"):
        result = harness(project, command)
        assert result.returncode == 2
        assert result.stderr.startswith("error: scenarios/broken.yaml:5: expect.status_code: ")
        assert "Traceback" not in result.stderr + result.stdout
        assert len(result.stderr.strip().split("\n")) == 1


def test_run_json(project: Path) -> None:
    write(project, "scenarios/failing.yaml", FAILING)
    result = harness(project, "run", "--json", "out/results.json")
    assert result.returncode == 1
    assert "wrote out/results.json" in result.stdout
    document = json.loads((project / "out" / "results.json").read_text(encoding="utf-8"))
    assert (document["format"], document["version"]) == ("smtp-conformance-results", 2)
    assert document["run"]["clients"] == ["netmail"]
    assert document["run"]["started"].endswith("Z") and document["run"]["seconds"] > 0
    assert document["run"]["contract_only"] is False
    assert document["summary"]["statuses"]["fail"] == 1
    rows = document["results"]
    assert [(r["scenario"], r["client"], r["passed"]) for r in rows] == [
        ("cli/connect-failed", "netmail", True),
        ("cli/delivered", "netmail", True),
        ("cli/wrongly-expected", "netmail", False)]
    refused = rows[0]
    assert refused["condition"] == "connect-failed"
    assert refused["expected"]["exception"] == "SmtpException"
    assert refused["expected"]["status_code"] == "GeneralFailure"
    assert refused["actual"]["exception"] == "SmtpException"
    assert refused["actual"]["status_code"] == "GeneralFailure"
    assert refused["actual"]["inner"] == "ConnectionRefusedError"
    assert rows[2]["differences"] == [
        "raises: expected SmtpFailedRecipientException, got success",
        "status_code: expected MailboxUnavailable (550), got none"]


@pytest.mark.parametrize(("expression", "ids"), [
    ("delivered", ["cli/delivered"]),
    ("not delivered", ["cli/connect-failed"]),
    ("connect-failed or delivered", ["cli/connect-failed", "cli/delivered"]),
    ("cli and not (refused or connect)", ["cli/delivered"]),
])
def test_keyword_selection(project: Path, expression: str, ids: list[str]) -> None:
    result = harness(project, "run", "-k", expression)
    assert result.returncode == 0, result.stderr
    assert table_ids(result.stdout) == ids


def test_keyword_selecting_nothing_or_malformed(project: Path) -> None:
    nothing = harness(project, "run", "-k", "nomatch")
    assert nothing.returncode == 2
    assert "no scenarios selected" in nothing.stderr
    malformed = harness(project, "run", "-k", "delivered and")
    assert malformed.returncode == 2
    assert "error: -k 'delivered and'" in malformed.stderr
    assert "Traceback" not in malformed.stderr


def test_list(project: Path) -> None:
    result = harness(project, "list", "-k", "not nothing")
    assert result.returncode == 0
    lines = result.stdout.strip().split("\n")
    assert lines[-1] == "2 scenarios"
    assert lines[0].split() == ["cli/connect-failed", "connect-failed",
                                "scenarios/contract/refused.yaml"]
    assert lines[1].split()[:2] == ["cli/delivered", "delivered"]


def test_list_explicit_path(project: Path) -> None:
    result = harness(project, "list", "scenarios/contract")
    assert result.returncode == 0
    assert result.stdout.strip().split("\n")[-1] == "1 scenario"


def test_validate(project: Path) -> None:
    good = harness(project, "validate")
    assert (good.returncode, good.stdout.strip()) == (0, "2 valid, 0 invalid")
    write(project, "scenarios/broken.yaml", BROKEN)
    write(project, "scenarios/dup.yaml", OK)
    bad = harness(project, "validate")
    assert bad.returncode == 2
    lines = bad.stdout.strip().split("\n")
    assert lines[-1] == "2 valid, 2 invalid"
    assert any(line.startswith("scenarios/broken.yaml:5: expect.status_code: ")
               for line in lines)
    assert any(line.startswith("scenarios/dup.yaml:1: id: ")
               and "already used" in line for line in lines)
    assert "Traceback" not in bad.stdout + bad.stderr


def test_validate_missing_directory(tmp_path: Path) -> None:
    result = harness(tmp_path, "validate", "nowhere")
    assert result.returncode == 2
    assert "nowhere: no such file or directory" in result.stdout



def test_outside_a_project_the_builtin_library_is_the_default(tmp_path: Path) -> None:
    """No path and no project scenarios/: the commands use the library in the package, and
    say so; in a project's subdirectory, the project's own scenarios/ is found."""
    listed = harness(tmp_path, "list")
    assert listed.returncode == 0
    assert listed.stderr.startswith("scenarios: the built-in library (")
    assert f"{len(SCENARIOS)} scenarios" in listed.stdout
    validated = harness(tmp_path, "validate")
    assert validated.stdout.endswith(f"{len(SCENARIOS)} valid, 0 invalid\n")
    project = tmp_path / "project"
    copy_scenarios(project, "recipients/first-rejected")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (project / "src" / "deep").mkdir(parents=True)
    inside = harness(project / "src" / "deep", "list")
    assert inside.stderr == "" and "1 scenario\n" in inside.stdout
    assert "../../scenarios/recipients/first-rejected.yaml" in inside.stdout
    both = harness(project / "src" / "deep", "list", "--builtin", "../../scenarios")
    assert both.returncode == 2 and "is already used by" in both.stderr


def test_schema(tmp_path: Path) -> None:
    result = harness(tmp_path, "schema", console=True)
    assert result.returncode == 0
    assert json.loads(result.stdout) == SCENARIO_SCHEMA


def test_unknown_client(project: Path) -> None:
    result = harness(project, "run", "--client", "nosuch")
    assert result.returncode == 2
    assert "unknown client 'nosuch'" in result.stderr
    assert "Traceback" not in result.stderr


def test_same_client_twice_runs_once(project: Path) -> None:
    """Naming the same client twice runs it once."""
    result = harness(project, "run", "--client", "netmail", "--client", "netmail")
    assert result.returncode == 0
    assert "2 scenarios x 1 client" in result.stdout


def test_usage_errors(tmp_path: Path) -> None:
    assert harness(tmp_path).returncode == 2
    assert harness(tmp_path, "frobnicate").returncode == 2
    assert harness(tmp_path, "run", "--jobs", "many").returncode == 2
    zero = harness(tmp_path, "run", "-j", "0")
    assert zero.returncode == 2
    assert "argument -j/--jobs: '0' is not a whole number of at least 1" in zero.stderr


def test_version(tmp_path: Path) -> None:
    result = harness(tmp_path, "--version")
    assert result.returncode == 0
    assert re.fullmatch(r"smtp-harness \d+\.\d+\.\d+\n", result.stdout)


@pytest.mark.parametrize("port", ["99999", "-1", "x"])
def test_serve_refuses_a_port_out_of_range(project: Path, port: str) -> None:
    result = harness(project, "serve", "scenarios/delivered.yaml", "--port", port)
    assert result.returncode == 2
    assert f"argument --port: {port!r} is not a port (0 to 65535)" in result.stderr


def test_list_into_a_closed_pipe_is_quiet(project: Path) -> None:
    for index in range(400):  # more output than a pipe buffer holds
        write(project, f"scenarios/many/s{index}.yaml", OK.replace("cli/delivered",
                                                                   f"cli/many-{index}"))
    command = [sys.executable, "-m", "harness.cli", "list"]
    with subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()  # like `| head -1`
        errors = process.stderr.read().decode()
        assert process.wait(timeout=30) == 0
    assert errors == ""
