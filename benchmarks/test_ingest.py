"""Fake-server ingest: the harness's scripted server vs bare aiosmtpd (issue 7, part 2)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.real_programs import require

from . import SIZES
from .clients import RawAsyncDriver, ServerFactory, SmtplibKept
from .measure import bench
from .postfix import MISSING, SINK, SinkProcess
from .server import KINDS


@pytest.mark.benchmark(group="ingest, 8 asyncio connections")
@pytest.mark.parametrize("kind", KINDS)
def test_ingest_asyncio(benchmark: Any, server: ServerFactory, kind: str) -> None:
    bench(benchmark, RawAsyncDriver(server(kind).port, 8, kind), SIZES.ingest)


@pytest.mark.benchmark(group="ingest, smtplib.sendmail on 1 connection")
@pytest.mark.parametrize("kind", KINDS)
def test_ingest_smtplib(benchmark: Any, server: ServerFactory, kind: str) -> None:
    bench(benchmark, SmtplibKept(server(kind).port, prerendered=True), SIZES.ingest)


@pytest.fixture
def smtp_sink(pytestconfig: pytest.Config) -> None:
    """A skip without Postfix's smtp-sink, a failure in CI; before ``benchmark`` is set up, or
    its "fixture was not used" warning would add an error to the failure."""
    require(None if SINK else f"smtp-sink {MISSING}", pytestconfig)


@pytest.mark.benchmark(group="ingest, 8 asyncio connections")
def test_ingest_smtp_sink(smtp_sink: None, benchmark: Any) -> None:
    with SinkProcess() as sink:
        bench(benchmark, RawAsyncDriver(sink.port, 8, "smtp-sink"), SIZES.ingest)
