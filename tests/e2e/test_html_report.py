"""The HTML report renders its matrix in a real browser (headless Chromium)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.adapters import NetmailAdapter
from harness.loader import load_scenarios
from harness.report.html import write_html
from harness.report.table import summary
from harness.runner import run_all

from ..real_programs import require
from .harness_cli import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]



@pytest.fixture(scope="module", autouse=True)
def _chromium(pytestconfig: pytest.Config) -> None:
    """A skip without Chromium; a failure in CI, which installs it."""
    require(None if CHROMIUM else "chromium is not installed (apt-get install chromium)",
            pytestconfig)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenarios, errors = load_scenarios([REPO / "scenarios" / "recipients"])
    assert not errors
    verdicts = run_all(scenarios[:5], [NetmailAdapter()])
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_html(verdicts, summary(verdicts, 1.0), path)
    return path


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_matrix_is_drawn_by_the_page_script(report: Path, tmp_path: Path) -> None:
    dom = chromium("--dump-dom", report.as_uri(), profile=tmp_path / "profile").stdout
    assert dom.count('class="cell pass"') == 5
    assert "recipients/all-rejected-many" in dom
    assert "5 scenarios x 1 client: 5 pass" in dom


def test_a_screenshot_shows_the_page(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,500", report.as_uri(),
             profile=tmp_path / "profile")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
