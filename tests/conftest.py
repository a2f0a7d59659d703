"""Suite-wide: collect garbage after every test, so a leaked socket or transport is blamed
on the test that leaked it (``filterwarnings = error`` turns its ResourceWarning into an error);
``--strict-programs``: a missing real program fails instead of skipping (tests/real_programs.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from . import real_programs


def pytest_addoption(parser: pytest.Parser) -> None:
    real_programs.add_option(parser)


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()
