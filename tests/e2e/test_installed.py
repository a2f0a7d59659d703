"""The package as a pip user gets it: the wheel built from this tree, installed (not editable)
into a fresh virtual environment in a directory outside the repository, and used there.

This is what the tree cannot show: that the scenario library, the documentation and the
example driver are in the wheel, that the plugin leaves an unrelated project's tests alone,
and that the fixture recipes of the docs pass against the installed code.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.library import builtin_dir
from harness.loader import scenario_files

from ..fixture_recipes import defined_tests, recipe_modules
from .harness_cli import REPO

_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "reports", "build", "dist", "*.egg-info",
                                     "__pycache__", ".hypothesis", ".benchmarks", ".pytest_cache",
                                     ".ruff_cache", ".mypy_cache", "mutation-work*")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    bin: Path
    project: Path
    """A scratch project directory outside the repository, with no scenarios of its own."""
    install_seconds: float

    def run(self, *args: str, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        return subprocess.run([str(self.bin / args[0]), *args[1:]], cwd=cwd or self.project,
                              capture_output=True, text=True, timeout=timeout, check=False,
                              env={**env, "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    source = base / "source"
    shutil.copytree(REPO, source, ignore=_NOT_SOURCE)  # a build writes into its source tree
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(base / "dist"), str(source)], check=True, timeout=600)
    (wheel,) = (base / "dist").glob("*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, timeout=300)
    started = time.monotonic()
    subprocess.run([str(base / "venv" / "bin" / "python"), "-m", "pip", "install", "-q",
                    str(wheel), "pytest"], check=True, timeout=900)
    project = base / "project"
    project.mkdir()
    return Installed(wheel, base / "venv" / "bin", project, time.monotonic() - started)


def test_the_wheel_carries_the_library_the_docs_and_every_module(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for package in ("harness", "netmail", "smtp_contract"):
        for path in (REPO / package).rglob("*.py"):
            assert path.relative_to(REPO).as_posix() in names, path
    library = {f"smtp_scenarios/{p.relative_to(builtin_dir()).as_posix()}"
               for p in scenario_files([builtin_dir()])}
    assert library <= names and len(library) > 300
    assert {"smtp_scenarios/mail_address.jsonl", "netmail/py.typed", "harness/py.typed",
            "harness/docs/scenarios.md", "harness/docs/fixtures.md",
            "harness/adapters/dotnet/driver.cs", "harness/diff/departures.yaml"} <= names
    assert not any(name.startswith(("tests/", "scenarios/", "docs/")) for name in names)


def test_run_from_anywhere_runs_the_builtin_library(installed: Installed) -> None:
    started = time.monotonic()
    result = installed.run("smtp-harness", "run")
    seconds = time.monotonic() - started
    count = len(scenario_files([builtin_dir()]))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stderr.startswith("scenarios: the built-in library (")
    assert "site-packages/smtp_scenarios" in result.stderr.splitlines()[0]
    assert f"{count} scenarios x 1 client: {count} pass, 0 deviate" in result.stdout
    print(f"install {installed.install_seconds:.1f} s, then the first run {seconds:.1f} s "
          f"(wheel {installed.wheel.stat().st_size} bytes)")


def test_the_commands_a_new_user_tries(installed: Installed) -> None:
    docs = installed.run("smtp-harness", "docs")
    assert docs.returncode == 0
    assert {"scenarios", "adapter-protocol", "fixtures"} <= {
        line.split()[0] for line in docs.stdout.splitlines() if line.strip()}
    fixtures = installed.run("smtp-harness", "docs", "fixtures")
    assert fixtures.stdout.startswith("# The pytest plugin and the `smtp_server` fixture")
    new = installed.run("smtp-harness", "new", "mine/slow", "--condition", "timeout")
    assert new.returncode == 0, new.stderr
    assert (installed.project / "scenarios" / "mine" / "slow.yaml").is_file()
    mine = installed.run("smtp-harness", "run", "-k", "mine")
    assert mine.returncode == 0 and "1 scenario x 1 client: 1 pass" in mine.stdout
    shutil.rmtree(installed.project / "scenarios")
    profile = installed.run("smtp-harness", "profile", "--client", "smtplib")
    assert profile.returncode == 2
    assert "is part of an installed package; name your own scenario files" in profile.stderr
    netmail = installed.run("python", "-m", "netmail", "--help")
    assert netmail.returncode == 0 and "usage: python -m netmail" in netmail.stdout


def test_serve_a_builtin_scenario_by_id(installed: Installed) -> None:
    server = subprocess.Popen([str(installed.bin / "smtp-harness"), "serve",
                               "recipients/middle-rejected", "--port", "0"],
                              cwd=installed.project, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert re.match(r"serving recipients/middle-rejected on 127\.0\.0\.1:\d+ ", line), line
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert server.returncode == 0


def test_an_unrelated_project_and_the_fixture_recipes(installed: Installed) -> None:
    """pytest in a project that never asked for scenarios: its YAML is left alone, and every
    recipe of the fixture reference passes against the installed package."""
    tests = installed.project / "tests"
    (tests / "scenarios").mkdir(parents=True)
    (tests / "scenarios" / "x.yaml").write_text("users: 100\nramp: 10s\n", encoding="utf-8")
    (tests / "test_plain.py").write_text("def test_plain():\n    pass\n", encoding="utf-8")
    docs = Path(installed.run("smtp-harness", "docs", "fixtures", "--path").stdout.strip())
    recipes = recipe_modules(docs.read_text(encoding="utf-8"))
    for number, recipe in enumerate(recipes):
        (tests / f"test_recipe_{number}.py").write_text(recipe, encoding="utf-8")
    expected = 1 + len(defined_tests(recipes))
    result = installed.run("pytest", "-q", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(rf"^{expected} passed in ", result.stdout, re.MULTILINE), result.stdout
    builtin = installed.run("pytest", "-v", "-p", "no:cacheprovider", "--smtp-scenarios",
                            "builtin", "-k", "plain or middle-rejected", "tests/test_plain.py")
    assert builtin.returncode == 0, builtin.stdout[-3000:]
    assert re.search(r"^recipients/middle-rejected\.yaml::"
                     r"recipients/middle-rejected\[netmail\] PASSED", builtin.stdout, re.MULTILINE)
    shutil.rmtree(tests)
