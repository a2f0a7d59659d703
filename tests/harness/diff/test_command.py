"""``smtp-harness diff`` from the command line: no cost to the other commands, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness import cli


def test_the_command_line_does_not_import_hypothesis_until_diff_runs() -> None:
    code = "import sys, harness.cli; print('hypothesis' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_a_client_that_cannot_run_or_a_bad_departures_file_exits_2(tmp_path: Path,
                                                                    capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["diff", "--against", "no-such-client", "--out", str(tmp_path)]) == 2
    assert "unknown client 'no-such-client'" in capsys.readouterr().err
    broken = tmp_path / "departures.yaml"
    broken.write_text("- {id: a}\n", encoding="utf-8")
    assert cli.main(["diff", "--departures", str(broken), "--out", str(tmp_path)]) == 2
    assert "departure 1: needs id, reason and fields" in capsys.readouterr().err
