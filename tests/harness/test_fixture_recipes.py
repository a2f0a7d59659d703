"""Every recipe in the fixture reference (``smtp-harness docs fixtures``) runs as written."""

from __future__ import annotations

import re

import pytest

from harness.manual import topic_path

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:xdist", "-p", "no:randomly")


def recipes() -> list[str]:
    """The Python blocks of the "Recipes" section, each a complete test module."""
    text = topic_path("fixtures").read_text(encoding="utf-8")
    section = text.split("\n## Recipes\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_there_are_recipes_for_each_behaviour() -> None:
    names = re.findall(r"^def (test_\w+)", "\n".join(recipes()), re.MULTILINE)
    for behaviour in ("partial_rcpt_reject", "auth_reject", "no_starttls", "slow_reply",
                      "starttls_trusted"):
        assert any(behaviour in name for name in names), behaviour


def test_every_recipe_passes(pytester: pytest.Pytester) -> None:
    blocks = recipes()
    for number, block in enumerate(blocks):
        pytester.makepyfile(**{f"test_recipe_{number}": block})
    tests = sum(len(re.findall(r"^def test_", block, re.MULTILINE)) for block in blocks)
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=tests)
