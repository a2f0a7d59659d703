"""pytest-benchmark fixtures: server processes shared by the whole session.

``pytest benchmarks/ --benchmark-only`` runs these; the project's own ``pytest`` never
collects them (its testpaths are ``tests`` and ``scenarios``). Nothing here asserts a speed:
on a shared machine that would only make CI flaky. ``python -m benchmarks`` gives the
side-by-side table with ratios. ``--strict-programs`` (or ``CI=true``): a benchmark whose real
program is missing (Postfix's smtp-sink) fails instead of skipping, as in tests/.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests import real_programs

from .clients import ServerFactory, ServerProcess


def pytest_addoption(parser: pytest.Parser) -> None:
    real_programs.add_option(parser)


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """As in tests/: a leaked socket is blamed on the benchmark that leaked it."""
    yield
    gc.collect()


@pytest.fixture(scope="session")
def server() -> Iterator[ServerFactory]:
    """``server(kind, pipelining=False)``: a server process, started once per session."""
    running: dict[tuple[str, bool], ServerProcess] = {}
    with ExitStack() as stack:

        def get(kind: str, pipelining: bool = False) -> ServerProcess:
            key = (kind, pipelining)
            if key not in running:
                running[key] = stack.enter_context(ServerProcess(kind, pipelining=pipelining))
            return running[key]

        yield get
