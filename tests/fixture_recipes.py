"""The recipes of the fixture reference (``smtp-harness docs fixtures``), read as test modules:
shared by the checkout's test and the installed-package test, which read different copies."""

from __future__ import annotations

import re


def recipe_modules(text: str) -> list[str]:
    """The Python blocks of the "Recipes" section, each a complete test module."""
    section = text.split("\n## Recipes\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def defined_tests(modules: list[str]) -> list[str]:
    """The names of the test functions the modules define."""
    return re.findall(r"^def (test_\w+)", "\n".join(modules), re.MULTILINE)
