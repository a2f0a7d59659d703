"""Where scenarios come from when none are named (``harness.library``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.library import builtin_dir, find_scenario, project_dir, project_root, select
from harness.loader import ScenarioError

REPO = Path(__file__).parents[2]


def test_the_builtin_library_is_this_trees_scenarios_in_a_checkout() -> None:
    assert builtin_dir().resolve() == (REPO / "scenarios").resolve()
    assert (builtin_dir() / "recipients" / "middle-rejected.yaml").is_file()


def test_project_root_is_the_nearest_directory_with_a_marker(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert project_root(tmp_path / "a" / "b") in (None, *tmp_path.parents)
    (tmp_path / "a" / "setup.cfg").write_text("", encoding="utf-8")
    assert project_root(tmp_path / "a" / "b") == (tmp_path / "a").resolve()


def test_project_dir_here_or_at_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path / "src")
    assert project_dir() is None
    (tmp_path / "scenarios").mkdir()
    assert project_dir() == Path("../scenarios")
    (tmp_path / "src" / "scenarios").mkdir()
    assert project_dir() == Path("scenarios")


def test_select(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine"
    assert select([], builtin=False).paths == [builtin_dir()]
    assert select([], builtin=False).origin == "builtin"
    assert select([mine], builtin=False).paths == [mine]
    assert select([mine], builtin=True).paths == [mine, builtin_dir()]
    (tmp_path / "scenarios").mkdir()
    assert select([], builtin=False).paths == [Path("scenarios")]
    assert select([], builtin=True).paths == [builtin_dir()]


def test_find_scenario_by_path_or_by_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_scenario("recipients/middle-rejected").id == "recipients/middle-rejected"
    path = builtin_dir() / "auth" / "plain.yaml"
    assert find_scenario(str(path)).path == path
    with pytest.raises(ScenarioError, match="no scenario with that id in"):
        find_scenario("recipients/no-such-one")
    with pytest.raises(ScenarioError, match=r"(?i)no such file or directory"):
        find_scenario("nowhere.yaml")
