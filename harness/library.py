"""Where scenarios come from when none are named: the project's own, or the built-in library.

The built-in library ships in the package (as ``smtp_scenarios``), so an installed harness runs
it from any directory. A project's ``scenarios/`` directory is looked for at the project's root
(the nearest directory, from the current one up, with a ``pyproject.toml``, ``setup.cfg``,
``setup.py`` or ``.git``), not only in the current directory, so a command gives the same
answer from any subdirectory of the project.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .loader import ScenarioError, load_scenario, scenario_files
from .model import Scenario

_PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
PROJECT_DIRECTORY = "scenarios"


def builtin_dir() -> Path:
    """The directory of the built-in scenario library (a real directory: wheels unpack)."""
    root = Path(str(importlib.resources.files("smtp_scenarios")))
    if not root.is_dir():  # a zipped install: the loader reads files from a directory
        raise RuntimeError(f"the built-in scenario library is not a directory: {root}")
    return root


def project_root(start: Path | None = None) -> Path | None:
    """The nearest directory from ``start`` (default: the current one) up that is a project."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if any((directory / marker).exists() for marker in _PROJECT_MARKERS):
            return directory
    return None


def project_dir(start: Path | None = None) -> Path | None:
    """The project's ``scenarios/``: in the current directory, else at the project root;
    relative to the current directory, as a user would type it."""
    here = start or Path.cwd()
    if (here / PROJECT_DIRECTORY).is_dir():
        return Path(os.path.relpath(here / PROJECT_DIRECTORY))
    root = project_root(here)
    if root is None or not (root / PROJECT_DIRECTORY).is_dir():
        return None
    return Path(os.path.relpath(root / PROJECT_DIRECTORY))


@dataclass(frozen=True)
class Selection:
    """The paths a command reads, and how they were chosen (said to the user once)."""

    paths: list[Path]
    origin: str
    """``named``, ``project`` or ``builtin`` (the latter two when no path was given)."""

    def describe(self) -> str:
        """What a command says on stderr when it fell back to the built-in library (the one
        default a user might not expect); nothing otherwise."""
        return f"scenarios: the built-in library ({self.paths[-1]})" \
            if self.origin == "builtin" else ""


def select(paths: Sequence[Path], builtin: bool) -> Selection:
    """What a command reads: the paths given, replacing the default; with ``builtin``, the
    built-in library as well; with neither, the project's ``scenarios/`` or else the library."""
    if builtin:
        return Selection([*paths, builtin_dir()], "builtin" if not paths else "named")
    if paths:
        return Selection(list(paths), "named")
    project = project_dir()
    if project is not None:
        return Selection([project], "project")
    return Selection([builtin_dir()], "builtin")


def find_scenario(name: str) -> Scenario:
    """The scenario a file path names, or else the scenario with that id in the project's
    ``scenarios/`` or the built-in library (``smtp-harness serve recipients/middle-rejected``)."""
    path = Path(name)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return load_scenario(path)
    directories = [d for d in (project_dir(), builtin_dir()) if d is not None]
    stem = name.rsplit("/", 1)[-1]
    for directory in directories:
        for candidate in scenario_files([directory]):
            if candidate.stem == stem and (scenario := load_scenario(candidate)).id == name:
                return scenario
    raise ScenarioError(path, 0, "", "no such file, and no scenario with that id in "
                        f"{' or '.join(str(d) for d in directories)}")


def mail_address_cases() -> Path:
    """The recorded MailAddress cases that ``smtp-harness diff`` replays."""
    return builtin_dir() / "mail_address.jsonl"
