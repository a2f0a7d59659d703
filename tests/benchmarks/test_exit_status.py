"""``python -m benchmarks`` cannot pass by accident: a section that raises, or (in CI) a figure
skipped for a missing real program, makes the exit status 1; the other sections still print.

Fast: the sections used are the callgrind one without valgrind (it returns at once) and the
scale curve broken on purpose before it starts a single process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import benchmarks.__main__ as bench_main

REPO = Path(__file__).parents[2]

# Runs the real ``python -m benchmarks`` (its ``if __name__ == "__main__"`` included) with the
# scale section's worker replaced by one that raises.
BREAK_SCALE = """\
import runpy
import benchmarks.harness_bench as harness_bench

def broken(n):
    raise RuntimeError("broken on purpose")

harness_bench.scale_point = broken
runpy.run_module("benchmarks", run_name="__main__", alter_sys=True)
"""


def run_benchmarks(tmp_path: Path, *args: str, ci: str | None = None
                   ) -> subprocess.CompletedProcess[str]:
    """The module run from the repository; PATH is an empty directory, so no valgrind."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(tmp_path / "empty-path")
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-c", BREAK_SCALE, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_raising_section_fails_the_run_and_the_others_are_kept(tmp_path: Path) -> None:
    markdown = tmp_path / "b.md"
    result = run_benchmarks(tmp_path, "--only", "instructions,scale", "--markdown",
                            str(markdown))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "RuntimeError: broken on purpose" in result.stderr  # the traceback
    failed = "FAILED section scale: RuntimeError: broken on purpose"
    assert failed in result.stdout
    assert "7. Instructions per message" in result.stdout  # the section that worked
    assert "skipped: not installed" in result.stdout  # outside CI, a skip stays a skip
    assert "missing real program" not in result.stdout
    written = markdown.read_text()
    assert "**7. Instructions per message" in written and failed in written


@pytest.mark.parametrize(("ci", "flag"), [("true", None), ("1", None), (None, "--strict")])
def test_a_missing_program_fails_in_ci(tmp_path: Path, ci: str | None, flag: str | None
                                       ) -> None:
    result = run_benchmarks(tmp_path, "--only", "instructions", *([flag] if flag else []),
                            ci=ci)
    assert result.returncode == 1, result.stdout + result.stderr
    assert ("FAILED section instructions: missing real program in CI: valgrind: not installed"
            in result.stdout)


def test_outside_ci_a_missing_program_is_a_skip(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(bench_main, "VALGRIND", None)
    assert bench_main.main(["--only", "instructions"]) == 0
    out = capsys.readouterr().out
    assert "valgrind" in out and "skipped: not installed" in out and "FAILED" not in out


def test_ci_false_is_not_ci(monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CI", "false")
    monkeypatch.setattr(bench_main, "VALGRIND", None)
    assert bench_main.main(["--only", "instructions"]) == 0
    assert "FAILED" not in capsys.readouterr().out
