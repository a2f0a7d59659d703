"""Instructions per message, counted by callgrind: figures a noisy machine cannot move.

On a shared 2-core VM a wall-clock ratio wanders by 0.1-0.3x between runs; the number of
instructions a process executes for the same work does not (valgrind's callgrind counts them
to within 1% run to run, whatever else the machine is doing). Each figure is the count of a
long run minus that of a short one, over the messages between them, so start-up, imports and
shutdown cancel out. The kernel's share (syscalls, page faults) and the cost of cache misses
are not counted: the timed tables are for those.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import ROOT
from .clients import RawAsyncDriver, ServerProcess

VALGRIND = shutil.which("valgrind")
MISSING = "not installed (callgrind comes with Debian's valgrind package)"


def callgrind(out: Path) -> list[str]:
    """The command prefix that counts a process's instructions into ``out``."""
    assert VALGRIND is not None
    return [VALGRIND, "--quiet", "--tool=callgrind", f"--callgrind-out-file={out}",
            "--dump-instr=no"]


def total(out: Path) -> int:
    """The instructions a callgrind run counted, from its output file."""
    for line in out.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise ValueError(f"{out}: no totals line")


def per_message(count: Callable[[int, Path], None], few: int, many: int) -> float:
    """(instructions of ``many`` messages - those of ``few``) / (many - few)."""
    with tempfile.TemporaryDirectory() as tmp:
        counts = []
        for n in (few, many):
            out = Path(tmp) / f"callgrind.{n}"
            count(n, out)
            counts.append(total(out))
    return (counts[1] - counts[0]) / (many - few)


def server_ingest(kind: str) -> Callable[[int, Path], None]:
    """A ``benchmarks.server`` under callgrind taking n messages on 8 connections."""

    def count(n: int, out: Path) -> None:
        with ServerProcess(kind, under=callgrind(out)) as server:
            driver = RawAsyncDriver(server.port, 8)
            driver.open()
            driver.run(n)
            driver.close()

    return count


def client_sends(client: str, port: int) -> Callable[[int, Path], None]:
    """``benchmarks.probe send``, under callgrind, sending n messages to ``port``."""

    def count(n: int, out: Path) -> None:
        subprocess.run([*callgrind(out), sys.executable, "-m", "benchmarks.probe", "send",
                        client, str(port), str(n)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    return count


def count_all(counts: dict[str, Callable[[int, Path], None]], few: int,
              many: int) -> dict[str, float]:
    """Instructions per message of each contender, two at a time (one per core)."""
    with ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(per_message, count, few, many)
                   for name, count in counts.items()}
        return {name: future.result() for name, future in futures.items()}
