"""Suite-wide: collect garbage after every test, so a leaked socket or transport is blamed
on the test that leaked it (``filterwarnings = error`` turns its ResourceWarning into an error)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()
