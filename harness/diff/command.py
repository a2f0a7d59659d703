"""``smtp-harness diff``: the differential run from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..adapters import canonical, make_adapter
from ..adapters.process import AdapterError, ClientUnavailable
from . import AXES
from .departures import DEPARTURES_FILE, DepartureError, load_departures

EPILOG = f"""\
Every generated case runs on both clients; each distinct disagreement is shrunk and written
under --out: a scenario file (scenarios/AXIS/DIGEST.yaml, expecting what --against did) or,
for a MailAddress case, a line of mail_address.jsonl. A disagreement that an entry of
{DEPARTURES_FILE.name} covers (an intentional departure, with its reason) is counted as such.
Exit status: 0 no unexplained disagreement, 1 some, 2 a client cannot run or bad arguments.
"""


def add_parser(commands: Any) -> None:
    diff = commands.add_parser(
        "diff", help="run generated cases on two clients and write down every disagreement",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    diff.add_argument("--client", default="netmail", help="the client under test "
                      "(default netmail)")
    diff.add_argument("--against", default="dotnet8", help="the reference client (default "
                      "dotnet8: real .NET 8; dotnet31 is the legacy one)")
    diff.add_argument("--examples", type=int, default=500, metavar="N",
                      help="cases to generate, shared over the axes (default 500)")
    diff.add_argument("--seed", type=int, default=1, help="hypothesis seed (default 1)")
    diff.add_argument("--axis", action="append", choices=AXES, default=[],
                      help="only these axes (repeatable; default all)")
    diff.add_argument("--out", type=Path, default=Path("reports/diff"),
                      help="where findings go (default reports/diff)")
    diff.add_argument("--no-shrink", action="store_true", help="write findings as found")
    diff.add_argument("--departures", type=Path, default=DEPARTURES_FILE,
                      help="the departures file (default: the packaged one)")
    diff.add_argument("-j", "--jobs", type=int, default=16, help="cases at once (default 16)")
    diff.set_defaults(command=diff_command)


def diff_command(args: argparse.Namespace) -> int:
    from .engine import Pair  # hypothesis, and the runner: only when diff runs
    from .session import render, run_diff

    try:
        departures = load_departures(args.departures)
        client, reference = make_adapter(args.client), make_adapter(args.against)
        client.start()
        reference.start()
    except (DepartureError, ValueError, ClientUnavailable, AdapterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        pair = Pair(client, reference, canonical(args.against), departures, args.jobs)
        report = run_diff(pair, args.examples, args.seed, args.out,
                          tuple(args.axis) or AXES, shrink=not args.no_shrink)
    finally:
        client.close()
        reference.close()
    print(render(report))
    print(f"findings: {args.out}/")
    return 1 if report.unexplained else 0
