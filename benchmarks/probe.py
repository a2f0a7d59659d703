"""Measurements that need a process of their own, because peak RSS only ever grows.

``python -m benchmarks.probe scale N``: run N generated scenarios against netmail.
``python -m benchmarks.probe large CLIENT PORT MIB``: send one large message to PORT.
Each prints one JSON line: seconds and memory.
``python -m benchmarks.probe send CLIENT PORT N``: send N 1 KiB messages on one kept
connection, for callgrind to count (``benchmarks.instructions``); prints nothing.
"""

from __future__ import annotations

import argparse
import json
import smtplib
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from dataclasses import asdict
from email import policy

import netmail

from . import ROOT
from .clients import (
    CLIENTS,
    SENDER,
    TIMEOUT,
    by_name,
    email_message,
    netmail_message,
    recipients,
)
from .server import HOST, peak_rss_kib

LARGE_CLIENTS = ("netmail.send", "smtplib.send_message", "smtplib.sendmail (pre-rendered)")


def peak_rss_mib() -> float:
    return peak_rss_kib() / 1024


def large_body(mib: int) -> str:
    """``mib`` MiB of ordinary 62-character lines (no line starts with a dot)."""
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit 000000\n"
    return line * (mib * 2**20 // len(line))


def send_large(client: str, port: int, mib: int, traced: bool = False) -> dict[str, float]:
    """Build and send one large message on an open connection, timed; memory is the peak
    growth over the idle process, the body string itself (``mib`` MiB) included.

    ``traced``: also the peak of Python allocations (tracemalloc), which counts the copies
    of the body exactly but slows the send, so its time is not the one to quote.
    """
    to = recipients(1)
    before = peak_rss_mib()
    if traced:
        tracemalloc.start()
    body = large_body(mib)
    if client == "netmail.send":
        with netmail.SmtpClient(HOST, port, timeout=TIMEOUT) as mailer:
            mailer.send(netmail_message(to, "warm-up\n"))  # connect outside the clock
            started = time.perf_counter()
            mailer.send(netmail_message(to, body))
            seconds = time.perf_counter() - started
    else:
        with smtplib.SMTP(HOST, port, local_hostname="localhost", timeout=TIMEOUT) as smtp:
            if client == "smtplib.send_message":
                started = time.perf_counter()
                smtp.send_message(email_message(to, body))
            else:
                data = email_message(to, body).as_bytes(policy=policy.SMTP)
                started = time.perf_counter()
                smtp.sendmail(SENDER, to, data)
            seconds = time.perf_counter() - started
    result = {"seconds": seconds, "rss_growth_mib": peak_rss_mib() - before}
    if traced:
        result["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


def large_point(client: str, port: int, mib: int, traced: bool = False) -> dict[str, float]:
    """``send_large`` in a fresh process (from the measuring side)."""
    command = [sys.executable, "-m", "benchmarks.probe", "large", client, str(port), str(mib)]
    output = subprocess.run([*command, *(["--traced"] if traced else [])], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def run_scale(n: int) -> dict[str, float]:
    from .harness_bench import ScalePoint, delay_free, generated, load_suite, run_suite

    scenarios = generated(delay_free(load_suite()), n)
    before = peak_rss_mib()
    run = run_suite(scenarios)
    failures = Counter(v.scenario.id.partition("~")[0] for v in run.verdicts if not v.passed)
    point = ScalePoint(n, run.seconds, run.passed, peak_rss_mib(), peak_rss_mib() - before,
                       dict(failures))
    return asdict(point)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    scale = commands.add_parser("scale")
    scale.add_argument("n", type=int)
    large = commands.add_parser("large")
    large.add_argument("client", choices=LARGE_CLIENTS)
    large.add_argument("port", type=int)
    large.add_argument("mib", type=int)
    large.add_argument("--traced", action="store_true", help="also the tracemalloc peak")
    send = commands.add_parser("send")
    send.add_argument("client", choices=CLIENTS)
    send.add_argument("port", type=int)
    send.add_argument("n", type=int)
    args = parser.parse_args(argv)
    if args.command == "scale":
        print(json.dumps(run_scale(args.n)))
    elif args.command == "send":
        sender = by_name(args.client, args.port)
        sender.open()
        sender.run(args.n)
        sender.close()
    else:
        print(json.dumps(send_large(args.client, args.port, args.mib, args.traced)))


if __name__ == "__main__":
    main()
