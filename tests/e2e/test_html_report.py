"""The HTML report renders its matrix in a real browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from harness.adapters import NetmailAdapter
from harness.loader import load_scenarios
from harness.report.html import write_html
from harness.report.result import Result
from harness.report.table import summary
from harness.runner import run_all
from harness.verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, PASS, Verdict

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
def verdicts() -> list[Verdict]:
    scenarios, errors = load_scenarios([REPO / "scenarios" / "recipients"])
    assert not errors
    return run_all(scenarios[:5], [NetmailAdapter()])


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, verdicts: list[Verdict]) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_html(verdicts, summary(verdicts, 1.0), path)
    return path


MIXED = (PASS, FAIL, NOT_RUNNABLE, ERROR, DEVIATES)
"""A second client's verdicts on the five scenarios, in their (alphabetical) order."""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory,
          verdicts: list[Verdict]) -> tuple[Path, dict[str, str]]:
    """netmail passing everything, and "other" with one of each status; the ids by the
    status "other" has for them."""
    other = [replace(v, client="other", status=s) for v, s in zip(verdicts, MIXED, strict=True)]
    path = tmp_path_factory.mktemp("mixed") / "report.html"
    write_html([*verdicts, *other], summary([*verdicts, *other], 1.0), path)
    return path, {v.status: v.scenario.id for v in other}


def matrix(dom: str) -> str:
    """The matrix as the browser drew it (the page's script, which builds it, is elsewhere)."""
    table = re.search(r'<table id="matrix">(.*?)</table>', dom, re.S)
    assert table is not None, dom[:2000]
    return table.group(1)


def row_ids(dom: str) -> list[str]:
    """The scenario ids of the matrix's rows, top to bottom."""
    return re.findall(r'<tr><td title="[^"]*">([^<]+)</td>', matrix(dom))


def shown(count: int) -> str:
    return f'<span id="shown">{count} of 5 scenarios</span>'


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


def test_rows_come_worst_first(mixed: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, ids = mixed
    dom = chromium("--dump-dom", path.as_uri(), profile=tmp_path / "profile").stdout
    assert row_ids(dom) == [ids[s] for s in (FAIL, ERROR, DEVIATES, NOT_RUNNABLE, PASS)]
    assert shown(5) in dom and " dim" not in matrix(dom)


def test_a_link_opens_the_report_on_the_failures(mixed: tuple[Path, dict[str, str]],
                                                 tmp_path: Path) -> None:
    path, ids = mixed
    dom = chromium("--dump-dom", path.as_uri() + "?status=failures",
                   profile=tmp_path / "profile").stdout
    assert row_ids(dom) == [ids[FAIL], ids[ERROR]]
    assert shown(2) in dom
    # In the rows shown, the client that passes is dimmed, the failing one is not.
    drawn = matrix(dom)
    assert drawn.count('class="cell pass dim"') == 2
    assert drawn.count('class="cell fail"') == 1 and drawn.count('class="cell error"') == 1
    unknown = chromium("--dump-dom", path.as_uri() + "?status=bogus",
                       profile=tmp_path / "profile").stdout
    assert len(row_ids(unknown)) == 5


def test_choosing_a_verdict_filters_the_rows(mixed: tuple[Path, dict[str, str]],
                                             tmp_path: Path) -> None:
    """The filter as a user drives it: a choice in the select, then its change event."""
    path, ids = mixed
    choose = """<script>
    const pick = document.getElementById("status");
    pick.value = "deviations";
    pick.dispatchEvent(new Event("change"));
    </script></body>"""
    driven = tmp_path / "driven.html"
    driven.write_text(path.read_text(encoding="utf-8").replace("</body>", choose),
                      encoding="utf-8")
    dom = chromium("--dump-dom", driven.as_uri(), profile=tmp_path / "profile").stdout
    assert row_ids(dom) == [ids[DEVIATES]]
    assert shown(1) in dom and matrix(dom).count('class="cell pass dim"') == 1
    assert '<option value="failures">failures (fail, error)</option>' in dom


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory, verdicts: list[Verdict]) -> Path:
    """10,000 scenarios x 2 clients, made from one real result (a run of 10,000 is a
    benchmark: benchmarks/scale_cli.py)."""
    one = Result.of(verdicts[0])
    results = [replace(one, scenario=f"scale/s{n:05}", client=client)
               for n in range(10_000) for client in ("netmail", "other")]
    path = tmp_path_factory.mktemp("large") / "report.html"
    write_html(results, summary(results, 1.0), path)
    return path


def test_a_large_report_draws_one_page(large: Path, tmp_path: Path) -> None:
    dom = chromium("--dump-dom", large.as_uri(), profile=tmp_path / "profile").stdout
    assert row_ids(dom) == [f"scale/s{n:05}" for n in range(200)]
    assert '<span id="shown">10000 of 10000 scenarios</span>' in dom
    assert '<span id="page">page 1 of 50</span>' in dom


def test_paging_and_a_link_reach_every_row(large: Path, tmp_path: Path) -> None:
    turn = """<script>
    for (let i = 0; i < 3; i++) document.getElementById("next").click();
    document.getElementById("previous").click();
    </script></body>"""
    driven = tmp_path / "driven.html"
    driven.write_text(large.read_text(encoding="utf-8").replace("</body>", turn),
                      encoding="utf-8")
    dom = chromium("--dump-dom", driven.as_uri(), profile=tmp_path / "profile").stdout
    assert row_ids(dom) == [f"scale/s{n:05}" for n in range(400, 600)]
    linked = chromium("--dump-dom", large.as_uri() + "#scale%2Fs09999%2Fother",
                      profile=tmp_path / "profile").stdout
    assert row_ids(linked)[-1] == "scale/s09999"
    assert "page 50 of 50" in linked and "<h2>scale/s09999 [other]: pass</h2>" in linked
    find = """<script>
    const box = document.getElementById("find");
    box.value = "s0999";
    box.dispatchEvent(new Event("input"));
    </script></body>"""
    driven.write_text(large.read_text(encoding="utf-8").replace("</body>", find),
                      encoding="utf-8")
    found = chromium("--dump-dom", driven.as_uri(), profile=tmp_path / "profile").stdout
    assert row_ids(found) == [f"scale/s0999{n}" for n in range(10)]
    assert 'id="pages" hidden=""' in found
