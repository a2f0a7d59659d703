"""``postfix``: one real Postfix with every configuration, for the tests of this directory."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..real_programs import require
from .instance import Postfix, unavailable


@pytest.fixture(scope="session")
def postfix(request: pytest.FixtureRequest) -> Iterator[Postfix]:
    """Started once per session (per xdist worker); a skip without Postfix, a failure in CI.

    Its directory comes from tempfile, not tmp_path: Postfix's daemons, running as the postfix
    user, must be able to enter it, and pytest's base directory is 0700.
    """
    require(unavailable(), request.config)
    directory = Path(tempfile.mkdtemp(prefix="smtp-postfix-"))
    try:
        with Postfix(directory) as running:
            yield running
    finally:
        shutil.rmtree(directory, ignore_errors=True)
