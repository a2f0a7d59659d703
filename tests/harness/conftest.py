"""Shared helpers for the harness tests: scenario files written to a temporary directory."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.loader import load_scenario
from harness.model import Scenario

WriteFile = Callable[[str, str], Path]
MakeScenario = Callable[[str], Scenario]


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """Write dedented text to ``tmp_path/name`` (parents created) and return the path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_scenario(write_file: WriteFile) -> MakeScenario:
    """Load a scenario from YAML text, through the real loader."""
    counter = 0

    def make(text: str) -> Scenario:
        nonlocal counter
        counter += 1
        return load_scenario(write_file(f"made/s{counter}.yaml", text))

    return make
