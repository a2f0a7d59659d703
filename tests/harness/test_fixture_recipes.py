"""Every recipe in the fixture reference (``smtp-harness docs fixtures``) runs as written."""

from __future__ import annotations

import pytest

from harness.manual import topic_path

from ..fixture_recipes import defined_tests, recipe_modules

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:xdist", "-p", "no:randomly")


def recipes() -> list[str]:
    return recipe_modules(topic_path("fixtures").read_text(encoding="utf-8"))


def test_there_are_recipes_for_each_behaviour() -> None:
    names = defined_tests(recipes())
    for behaviour in ("partial_rcpt_reject", "auth_reject", "no_starttls", "slow_reply",
                      "starttls_trusted"):
        assert any(behaviour in name for name in names), behaviour


def test_every_recipe_passes(pytester: pytest.Pytester) -> None:
    blocks = recipes()
    for number, block in enumerate(blocks):
        pytester.makepyfile(**{f"test_recipe_{number}": block})
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=len(defined_tests(blocks)))
