"""``smtp-harness``: run, list and validate scenarios; print the schema.

Exit codes: 0 when every scenario passes (or deviates as its profile records), 1 when any
fails, 2 for a usage error or an invalid scenario file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .adapters import KNOWN, make_adapter
from .adapters.process import AdapterError, ClientUnavailable
from .loader import ScenarioError, load_scenarios
from .model import Scenario
from .report.json_report import write_json
from .report.table import render_table, summary
from .runner import DEFAULT_JOBS, run_all
from .schema import SCENARIO_SCHEMA
from .verdict import ERROR, FAIL, Verdict

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smtp-harness", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run scenarios against clients and print verdicts")
    _add_selection(run)
    run.add_argument("--client", action="append", default=[], metavar="NAME",
                     help=f"client to certify, repeatable (known: {', '.join(KNOWN)}; "
                          "default: netmail)")
    run.add_argument("-j", "--jobs", type=int, default=DEFAULT_JOBS,
                     help=f"scenarios run at once (default {DEFAULT_JOBS})")
    run.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="explain failures with the full server transcript")
    run.set_defaults(command=_run)

    listing = commands.add_parser("list", help="list the scenarios")
    _add_selection(listing)
    listing.set_defaults(command=_list)

    validate = commands.add_parser("validate", help="check scenario files against the schema")
    validate.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")])
    validate.set_defaults(command=_validate)

    schema = commands.add_parser("schema", help="print the scenario JSON Schema")
    schema.set_defaults(command=_schema)
    return parser


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")],
                        help="scenario files or directories (default: scenarios/)")
    parser.add_argument("-k", dest="keyword", metavar="EXPR",
                        help="only scenarios whose id or condition matches, e.g. "
                             "'recipients and not all'")


def _selected(args: argparse.Namespace) -> list[Scenario] | None:
    try:
        scenarios, errors = load_scenarios(args.paths)
        keep = _keyword_filter(args.keyword) if args.keyword else (lambda _: True)
    except (ScenarioError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        return None
    return [s for s in scenarios if keep(f"{s.id} {s.condition}")]


def _run(args: argparse.Namespace) -> int:
    scenarios = _selected(args)
    if scenarios is None:
        return EXIT_USAGE
    adapters = []
    try:
        for name in dict.fromkeys(args.client or ["netmail"]):
            adapters.append(make_adapter(name))
            adapters[-1].start()
    except (ValueError, ClientUnavailable, AdapterError) as error:
        print(f"error: client {name!r}: {error}", file=sys.stderr)
        for adapter in adapters:
            adapter.close()
        return EXIT_USAGE
    if not scenarios:
        print("no scenarios selected", file=sys.stderr)
        return EXIT_USAGE
    started = time.monotonic()
    progress = _progress(len(scenarios) * len(adapters))
    try:
        verdicts = run_all(scenarios, adapters, args.jobs, on_verdict=progress)
    finally:
        for adapter in adapters:
            adapter.close()
    elapsed = time.monotonic() - started
    _print_results(verdicts, elapsed, args.verbose)
    if args.json:
        write_json(verdicts, args.json)
        print(f"results written to {args.json}")
    return EXIT_FAILED if any(v.status in (FAIL, ERROR) for v in verdicts) else EXIT_OK


def _print_results(verdicts: list[Verdict], elapsed: float, verbose: bool) -> None:
    print(render_table(verdicts, colour=_colour()))
    failed = [v for v in verdicts if not v.passed]
    for verdict in failed:
        print()
        text = verdict.explain()
        print(text if verbose else text.split("\n  transcript:")[0])
    print()
    print(summary(verdicts, elapsed))


def _progress(total: int) -> Callable[[Verdict], None]:
    done = 0

    def report(_: Verdict) -> None:
        nonlocal done
        done += 1
        if sys.stderr.isatty():
            print(f"\r{done}/{total} scenarios", end="" if done < total else "\n",
                  file=sys.stderr, flush=True)
    return report


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _list(args: argparse.Namespace) -> int:
    scenarios = _selected(args)
    if scenarios is None:
        return EXIT_USAGE
    for scenario in scenarios:
        print(f"{scenario.id:50} {scenario.condition:22} {scenario.path}")
    print(f"{len(scenarios)} scenarios")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    try:
        scenarios, errors = load_scenarios(args.paths)
    except ScenarioError as error:
        errors, scenarios = [error], []
    for error in errors:
        print(error)
    print(f"{len(scenarios)} valid, {len(errors)} invalid")
    return EXIT_USAGE if errors else EXIT_OK


def _schema(_: argparse.Namespace) -> int:
    print(json.dumps(SCENARIO_SCHEMA, indent=2, sort_keys=True))
    return EXIT_OK


_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def _keyword_filter(expression: str) -> Callable[[str], bool]:
    """pytest-style ``-k``: words match substrings; ``and``, ``or``, ``not`` and parentheses."""
    tokens = _TOKEN.findall(expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ValueError(f"-k {expression!r}: the expression ends too early")
        position += 1
        return tokens[position - 1]

    def either() -> Callable[[str], bool]:
        left = both()
        while peek() == "or":
            take()
            right, first = both(), left
            left = lambda text, a=first, b=right: a(text) or b(text)  # noqa: E731
        return left

    def both() -> Callable[[str], bool]:
        left = negation()
        while peek() == "and":
            take()
            right, first = negation(), left
            left = lambda text, a=first, b=right: a(text) and b(text)  # noqa: E731
        return left

    def negation() -> Callable[[str], bool]:
        if peek() == "not":
            take()
            inner = negation()
            return lambda text: not inner(text)
        token = take()
        if token == "(":
            inner = either()
            if take() != ")":
                raise ValueError(f"-k {expression!r}: missing ')'")
            return inner
        if token in ("and", "or", ")"):
            raise ValueError(f"-k {expression!r}: unexpected {token!r}")
        return lambda text: token.lower() in text.lower()

    matcher = either()
    if position != len(tokens):
        raise ValueError(f"-k {expression!r}: unexpected {tokens[position]!r}")
    return matcher


if __name__ == "__main__":
    sys.exit(main())
