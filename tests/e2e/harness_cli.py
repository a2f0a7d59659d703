"""Running the console script as a user would: a subprocess in a scratch directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]


def smtp_harness(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=timeout, check=False)


def copy_scenarios(target: Path, *names: str) -> Path:
    """Copy some of the repository's scenarios (``recipients/first-rejected``...)."""
    for name in names:
        destination = target / "scenarios" / f"{name}.yaml"
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "scenarios" / f"{name}.yaml", destination)
    return target / "scenarios"
