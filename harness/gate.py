"""What a finished set of results means: the table, the reports, the baseline and the exit code.

``smtp-harness run`` and ``smtp-harness merge`` both end here, with the same results, so a
merge of shards prints, writes and gates exactly as one run of the whole selection would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .report.baseline import compare, read_baseline, update_baseline
from .report.fit import terminal_width
from .report.html import write_html
from .report.json_report import write_json
from .report.junit import write_junit
from .report.markdown import write_markdown
from .report.result import Result
from .report.table import causes_text, render_table, summary
from .shard import Shard
from .verdict import ERROR, FAIL

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class Outputs:
    """Where the reports go (None: not written), and the baseline to gate on or update."""

    json: Path | None = None
    junit: Path | None = None
    html: Path | None = None
    markdown: Path | None = None
    baseline: Path | None = None
    update_baseline: bool = False


@dataclass(frozen=True)
class Run:
    """What the reports say of the run itself, beside its results."""

    began: datetime | None
    elapsed: float
    contract_only: bool
    shard: Shard | None = None
    parts: Sequence[Mapping[str, Any]] = field(default=())
    clients: Sequence[str] | None = None
    """The clients run, in the order named (None: those the results name)."""


def check_baseline(outputs: Outputs) -> tuple[dict[str, dict[str, str]] | None, str | None]:
    """The baseline's entries before anything runs (a corrupt one is found first, not after
    the run), or the usage problem with the options; (None, None) without a baseline."""
    path = outputs.baseline
    if outputs.update_baseline and path is None:
        return None, "--update-baseline needs --baseline FILE"
    if path is None:
        return None, None
    if not outputs.update_baseline and not path.is_file():
        return None, f"baseline {path}: no such file (make one with --update-baseline)"
    if not path.exists():
        return None, None
    try:
        return read_baseline(path), None
    except (OSError, ValueError) as error:
        return None, f"baseline {path}: {error}"


def conclude(results: Sequence[Result], run: Run, outputs: Outputs,
             baseline: dict[str, dict[str, str]] | None, verbose: bool = False) -> int:
    """Print the table and the failures, write the reports, then update the baseline or gate
    on it (or on the verdicts alone); the exit code."""
    _print_results(results, run.elapsed, verbose)
    _write_reports(results, run, outputs)
    unjudged = unjudged_clients(results)
    if unjudged and outputs.update_baseline:
        print(f"FAILED: {unjudged}: no baseline recorded")
        return EXIT_FAILED
    if outputs.update_baseline and outputs.baseline is not None:
        try:
            kept = update_baseline(results, outputs.baseline)
        except (OSError, ValueError) as error:
            print(f"error: baseline {outputs.baseline}: {error}", file=sys.stderr)
            return EXIT_USAGE
        print(f"baseline {outputs.baseline}: {len(results)} result(s) recorded, {kept} kept "
              f"from scenarios or clients not in this run")
        return EXIT_OK
    if baseline is None or outputs.baseline is None:
        status = EXIT_FAILED if any(r.status in (FAIL, ERROR) for r in results) else EXIT_OK
    else:
        status = _gate(outputs.baseline, baseline, results)
    if unjudged:  # even a baseline that records it: a client that ran nothing checks nothing
        print(f"FAILED: {unjudged}")
        return EXIT_FAILED
    return status


def unjudged_clients(results: Sequence[Result]) -> str:
    """Which clients had no scenario judged at all (every result not runnable or an error),
    said as a sentence; empty when every client was judged somewhere."""
    clients = dict.fromkeys(r.client for r in results)
    judged = {r.client for r in results if r.judged}
    unjudged = [client for client in clients if client not in judged]
    if not unjudged:
        return ""
    return (f"nothing was judged for {', '.join(unjudged)}: every result is not runnable "
            "or an error, so nothing was checked")


def _write_reports(results: Sequence[Result], run: Run, outputs: Outputs) -> None:
    text = summary(results, run.elapsed)
    writers = [(outputs.json, lambda path: write_json(
                   results, path, started=run.began, elapsed=run.elapsed,
                   contract_only=run.contract_only, shard=run.shard, parts=run.parts,
                   clients=run.clients)),
               (outputs.junit, lambda path: write_junit(results, path)),
               (outputs.html, lambda path: write_html(results, text, path)),
               (outputs.markdown, lambda path: write_markdown(results, path))]
    for path, write in writers:
        if path is not None:
            write(path)
            print(f"wrote {path}")


def _gate(path: Path, baseline: dict[str, dict[str, str]], results: Sequence[Result]) -> int:
    comparison = compare(baseline, results)
    for line in comparison.fixed:
        print(f"fixed: {line}")
    for regression in comparison.regressions:
        print(f"REGRESSION: {regression}")
    print(f"baseline {path}: {len(comparison.regressions)} regression(s), "
          f"{len(comparison.fixed)} fixed")
    return EXIT_FAILED if comparison.regressions else EXIT_OK


def _print_results(results: Sequence[Result], elapsed: float, verbose: bool) -> None:
    print(render_table(results, colour=_colour(), width=terminal_width(sys.stdout)))
    failed = [r for r in results if not r.passed]
    for result in failed:
        print()
        print(result.explain(transcript=verbose))
    causes = causes_text(results)
    if causes:
        print()
        print(causes)
    print()
    print(summary(results, elapsed))
    # Named again last, so a log cut to its tail (a CI job's) still says which ones failed.
    for result in (r for r in failed if r.status in (FAIL, ERROR)):
        first = result.differences[0] if result.differences else ""
        print(f"{result.status.upper()}: {result.client} {result.scenario}: {first}")


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
