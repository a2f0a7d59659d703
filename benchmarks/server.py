"""A fake SMTP server in its own process, so that it does not share the client's GIL.

``python -m benchmarks.server KIND [--pipelining]`` starts a server on 127.0.0.1 and an
ephemeral port and prints ``PORT <n>``. KIND is ``aiosmtpd`` (a bare aiosmtpd ``Controller``
with a handler that accepts everything) or ``harness`` (a scripted harness server on its
``ServerHost`` loop, the default script). Both serve from an event loop in a background thread.
On stdin, the line ``stats`` answers ``STATS <peak RSS KiB> <peak RSS KiB once listening>
<CPU seconds>``, so the client side can tell a busy server from a slow client; end of input
stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import resource
import socket
import sys
from collections.abc import Callable
from typing import Any

HOST = "127.0.0.1"
KINDS = ("aiosmtpd", "harness")


class AcceptAll:
    """The trivial aiosmtpd handler: take every message, keep nothing."""

    def __init__(self, pipelining: bool = False) -> None:
        self._pipelining = pipelining

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        if self._pipelining:  # aiosmtpd reads pipelined commands fine; it just never says so
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def free_port() -> int:
    """A port free right now; aiosmtpd's ``Controller`` needs a real one for its probe."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def peak_rss_kib() -> int:
    """This process's peak resident memory (KiB), from ``VmHWM`` where Linux has it.

    Not ``getrusage``: its ``ru_maxrss`` survives exec, so a child started by a big parent
    reports the parent's peak as its own.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


Started = tuple[int, Callable[[Callable[[], None]], None], Callable[[], None]]
"""The port, how to call a function on the thread that serves it, and how to stop it."""


def start_aiosmtpd(pipelining: bool) -> Started:
    from aiosmtpd.controller import Controller

    controller = Controller(AcceptAll(pipelining), hostname=HOST, port=free_port(),
                            data_size_limit=64 * 2**20)
    controller.start()

    def in_loop(function: Callable[[], None]) -> None:
        asyncio.run_coroutine_threadsafe(_call(function), controller.loop).result()

    return controller.port, in_loop, controller.stop


def start_harness(pipelining: bool) -> Started:
    from harness.loader import parse_server_script
    from harness.server import ServerHost

    extensions = ["SIZE 67108864", "8BITMIME", *(["PIPELINING"] if pipelining else [])]
    host = ServerHost()
    server = host.start(parse_server_script({"extensions": extensions}), host=HOST, port=0)

    def stop() -> None:
        server.stop(settle=0.5)
        host.close()

    return server.port, lambda function: host.call(_call(function)), stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--pipelining", action="store_true", help="advertise PIPELINING")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the server's loop thread, stats to FILE at exit")
    args = parser.parse_args(argv)
    start = start_aiosmtpd if args.kind == "aiosmtpd" else start_harness
    port, in_loop, stop = start(args.pipelining)
    profile = cProfile.Profile()
    if args.profile:  # enable() profiles the thread that calls it: the loop's own
        in_loop(profile.enable)
    at_start = peak_rss_kib()
    print(f"PORT {port}", flush=True)
    for line in sys.stdin:
        if line.strip() == "stats":
            print(f"STATS {peak_rss_kib()} {at_start} {cpu_seconds():.6f}", flush=True)
    if args.profile:
        in_loop(profile.disable)
        profile.dump_stats(args.profile)
    stop()


async def _call(function: Callable[[], None]) -> None:
    function()


if __name__ == "__main__":
    main()
