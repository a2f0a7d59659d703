"""Client throughput: netmail vs smtplib vs aiosmtplib, 1 KiB messages (issue 7, part 1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from . import SIZES
from .clients import (
    AiosmtplibFresh,
    AiosmtplibKept,
    NetmailFresh,
    NetmailKept,
    NetmailTasks,
    ServerFactory,
    SmtplibFresh,
    SmtplibKept,
    Threaded,
    Workload,
)
from .measure import bench
from .server import KINDS

KEPT: dict[str, Callable[[int], Workload]] = {
    "smtplib.send_message": SmtplibKept,
    "smtplib.sendmail-prerendered": lambda port: SmtplibKept(port, prerendered=True),
    "netmail.send": NetmailKept,
    "aiosmtplib.send_message": AiosmtplibKept,
}
FRESH: dict[str, Callable[[int], Workload]] = {
    "smtplib.send_message": SmtplibFresh,
    "netmail.send": NetmailFresh,
    "aiosmtplib.send": AiosmtplibFresh,
}
K = SIZES.concurrency
CONCURRENT: dict[str, Callable[[int], Workload]] = {
    "smtplib-threads": lambda port: Threaded("smtplib", [SmtplibKept(port) for _ in range(K)]),
    "netmail-threads": lambda port: Threaded("netmail", [NetmailKept(port) for _ in range(K)]),
    "aiosmtplib-tasks": lambda port: AiosmtplibKept(port, connections=K),
    "netmail-async-tasks": lambda port: NetmailTasks(port, K),
}


@pytest.mark.parametrize("pipelining", [False, True], ids=["plain", "pipelining"])
@pytest.mark.parametrize("contender", list(KEPT))
def test_kept_connection(benchmark: Any, server: ServerFactory, contender: str,
                         pipelining: bool) -> None:
    benchmark.group = f"1 KiB, kept connection, aiosmtpd{' +PIPELINING' if pipelining else ''}"
    bench(benchmark, KEPT[contender](server("aiosmtpd", pipelining).port), SIZES.messages)


@pytest.mark.parametrize("pipelining", [False, True], ids=["plain", "pipelining"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("contender", ["smtplib.send_message", "netmail.send"])
def test_ten_recipients(benchmark: Any, server: ServerFactory, contender: str, kind: str,
                        pipelining: bool) -> None:
    benchmark.group = f"10 recipients, {kind}{' +PIPELINING' if pipelining else ''}"
    port = server(kind, pipelining).port
    workload = NetmailKept(port, 10) if contender == "netmail.send" else SmtplibKept(port, 10)
    bench(benchmark, workload, SIZES.many_recipients)


@pytest.mark.benchmark(group="fresh connection per message")
@pytest.mark.parametrize("contender", list(FRESH))
def test_fresh_connection(benchmark: Any, server: ServerFactory, contender: str) -> None:
    bench(benchmark, FRESH[contender](server("aiosmtpd").port), SIZES.fresh, warm_up=5)


@pytest.mark.benchmark(group=f"{K} concurrent senders")
@pytest.mark.parametrize("contender", list(CONCURRENT))
def test_concurrent(benchmark: Any, server: ServerFactory, contender: str) -> None:
    bench(benchmark, CONCURRENT[contender](server("aiosmtpd").port), SIZES.messages)
