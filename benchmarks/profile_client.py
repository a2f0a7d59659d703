"""Profile one contender's send loop with cProfile, the server in its own process.

``python -m benchmarks.profile_client [--client netmail] [--rcpts 10] [--pipelining]`` prints
the wall time, the server's CPU share, and the top functions by own time and by cumulative
time. Time the client spends blocked in ``recv`` is time it waits for the server: round trips.
``--profile-server`` profiles the server's loop thread instead (``--client raw-asyncio`` is
the ingest driver: 8 connections).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

from .clients import CLIENTS, ServerProcess, by_name
from .server import KINDS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=CLIENTS, default="netmail")
    parser.add_argument("--server", choices=KINDS, default="aiosmtpd")
    parser.add_argument("--rcpts", type=int, default=1)
    parser.add_argument("--pipelining", action="store_true")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--profile-server", action="store_true",
                        help="profile the server's loop thread, not the client")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server_stats = str(Path(tmp) / "server.prof") if args.profile_server else None
        with ServerProcess(args.server, pipelining=args.pipelining,
                           profile=server_stats) as server:
            sender = by_name(args.client, server.port, args.rcpts)
            sender.open()
            sender.run(20)
            cpu = server.stats().cpu_seconds
            profile = cProfile.Profile()
            started = time.perf_counter()
            if server_stats:
                sender.run(args.n)
            else:
                profile.runcall(sender.run, args.n)
            wall = time.perf_counter() - started
            cpu = server.stats().cpu_seconds - cpu
            sender.close()
        stats = pstats.Stats(server_stats) if server_stats else pstats.Stats(profile)
    print(f"{args.client} -> {args.server}{' +PIPELINING' if args.pipelining else ''}, "
          f"{args.rcpts} recipient(s), {args.n} messages: {wall:.3f} s, "
          f"{1e6 * wall / args.n:.0f} us/message; server CPU {1e6 * cpu / args.n:.0f} "
          f"us/message ({cpu / wall:.0%} of one core); profiled: "
          f"{'server loop thread' if server_stats else 'client'}")
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(key).print_stats(args.top)
        print(out.getvalue().split("\n", 4)[-1].rstrip())


if __name__ == "__main__":
    main()
