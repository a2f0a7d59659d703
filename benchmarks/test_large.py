"""A large message: send time and memory, netmail vs smtplib (issue 7, part 6)."""

from __future__ import annotations

from typing import Any

import pytest

from . import SIZES
from .clients import ServerProcess
from .probe import LARGE_CLIENTS, large_point


@pytest.mark.benchmark(group=f"{SIZES.large_mb} MiB message (client in a fresh process)")
@pytest.mark.parametrize("client", LARGE_CLIENTS)
def test_large_message(benchmark: Any, client: str) -> None:
    with ServerProcess("aiosmtpd") as server:
        point = benchmark.pedantic(large_point, args=(client, server.port, SIZES.large_mb),
                                   rounds=1)
        benchmark.extra_info.update(point, server_rss_growth_mib=server.stats().rss_growth_mib)
