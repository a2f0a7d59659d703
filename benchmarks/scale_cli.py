"""The CLI at scale: ``list``, ``validate``, ``run`` with its reports, shards and ``merge`` on
100 to 10,000 generated scenarios, each command in a fresh process.

``python -m benchmarks.scale_cli [--counts 100,1000,10000] [--markdown FILE]``

Each command runs as a child of this process and is measured alone: wall time from start to
reaping, and the child's own peak resident memory from ``os.wait4`` (its rusage, not this
process's, and not that of earlier children, which ``RUSAGE_CHILDREN`` would mix in). The
scenarios come from ``benchmarks.generate``, so every size is made of varied copies of the
real suite. A command or option that this checkout's CLI does not have yet (``run --shard``,
``merge``) is reported as not available instead of stopping the measurement.

Whether a cost is linear is judged from the marginal cost per scenario between successive
sizes (start-up is paid once, so the cost per scenario at 100 says little): a marginal cost
that more than doubles from one interval to the next is reported as growing faster than
linearly.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .generate import generate

HARNESS = (sys.executable, "-m", "harness")
"""``smtp-harness`` itself: the console script runs exactly this module's ``main``."""

LINEAR_SLACK = 2.0
"""How much the marginal cost may grow between intervals before it is called non-linear:
a shared two-core machine moves timings by tens of percent, a quadratic term by the ratio of
the sizes (10x)."""


@dataclass
class Measure:
    """One command's run: what it cost and what it wrote."""

    count: int
    command: str
    kind: str  # list, validate, run, shard N, merge N: the rows compared across counts
    scenarios: int
    seconds: float | None = None
    peak_rss_kib: int | None = None
    reports: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def per_scenario_ms(self) -> float | None:
        if self.seconds is None or not self.scenarios:
            return None
        return 1000 * self.seconds / self.scenarios


@dataclass(frozen=True)
class Child:
    seconds: float
    peak_rss_kib: int
    returncode: int
    stderr: str


def run_child(args: Sequence[str], cwd: Path, timeout: float) -> Child:
    """Run ``args`` to the end; its wall time and its own peak RSS (``ru_maxrss``, KiB on
    Linux). Output goes to files, never a pipe that a long listing could fill."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(list(args), cwd=cwd, stdout=out, stderr=err)
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        err.seek(0)
        return Child(seconds, usage.ru_maxrss, child.returncode,
                     err.read().decode("utf-8", "replace"))


def available(subcommand: str, option: str | None, cwd: Path) -> bool:
    """Whether this checkout's CLI has ``subcommand`` (and ``option`` in its help)."""
    result = subprocess.run([*HARNESS, subcommand, "--help"], cwd=cwd, capture_output=True,
                            text=True, check=False)
    return result.returncode == 0 and (option is None or option in result.stdout)


def _json_results(path: Path) -> tuple[int, str]:
    """How many results a JSON report holds, and its statuses for the note."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return 0, "no readable JSON report"
    statuses = document.get("summary", {}).get("statuses", {})
    shown = ", ".join(f"{count} {name}" for name, count in statuses.items() if count)
    return len(document.get("results", [])), shown


class Session:
    """The measurements of one invocation, in the order they ran."""

    def __init__(self, work: Path, timeout: float) -> None:
        self.work, self.timeout = work, timeout
        self.measures: list[Measure] = []
        self._available: dict[tuple[str, str | None], bool] = {}

    def _has(self, subcommand: str, option: str | None) -> bool:
        key = (subcommand, option)
        if key not in self._available:
            self._available[key] = available(subcommand, option, self.work)
        return self._available[key]

    def measure(self, count: int, kind: str, args: Sequence[str], shown: str,
                scenarios: int, needs: tuple[str, str | None],
                reports: dict[str, Path] | None = None, ok: tuple[int, ...] = (0,),
                ) -> Measure:
        """Run one command (when the CLI has it) and record it."""
        measure = Measure(count, shown, kind, scenarios)
        self.measures.append(measure)
        if not self._has(*needs):
            measure.note = "not available"
            print(f"  {shown}: not available", file=sys.stderr)
            return measure
        child = run_child([*HARNESS, *args], self.work, self.timeout)
        measure.seconds, measure.peak_rss_kib = child.seconds, child.peak_rss_kib
        for name, path in (reports or {}).items():
            if path.exists():
                measure.reports[name] = path.stat().st_size
        if child.returncode not in ok:
            last = child.stderr.strip().splitlines()[-1:] or [""]
            measure.note = f"exit {child.returncode}: {last[0][:120]}"
        print(f"  {shown}: {child.seconds:.2f} s, {child.peak_rss_kib / 1024:.1f} MiB"
              f"{'; ' + measure.note if measure.note else ''}", file=sys.stderr)
        return measure


def measure_count(session: Session, count: int, seed: int, shards: Sequence[int],
                  only: set[str]) -> None:
    """Generate ``count`` scenarios and measure each command on them."""
    root = session.work / f"n{count}"
    scenarios = root / "scenarios"
    started = time.perf_counter()
    generate(count, scenarios, seed)
    print(f"{count}: generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    here = str(scenarios)
    if "list" in only:
        session.measure(count, "list", ["list", here], "smtp-harness list DIR", count,
                        ("list", None))
    if "validate" in only:
        session.measure(count, "validate", ["validate", here], "smtp-harness validate DIR",
                        count, ("validate", None))
    if "run" in only:
        reports = {"json": root / "run.json", "junit": root / "run.xml",
                   "html": root / "run.html"}
        measure = session.measure(
            count, "run", ["run", here, "--json", str(reports["json"]), "--junit",
                           str(reports["junit"]), "--html", str(reports["html"])],
            "smtp-harness run DIR --json --junit --html", count, ("run", "--junit"),
            reports, ok=(0, 1))
        _note_statuses(measure, reports["json"])
    for parts in shards:
        files = [root / f"part-{parts}-{index}.json" for index in range(1, parts + 1)]
        for index, part in enumerate(files, start=1):
            measure = session.measure(
                count, f"shard {index}/{parts}",
                ["run", here, "--shard", f"{index}/{parts}", "--json", str(part)],
                f"smtp-harness run DIR --shard {index}/{parts} --json PART_{index}.json",
                count // parts, ("run", "--shard"), {"json": part}, ok=(0, 1))
            if part.exists():
                measure.scenarios = _json_results(part)[0] or measure.scenarios
            _note_statuses(measure, part)
        merged = {"json": root / f"merged-{parts}.json", "junit": root / f"merged-{parts}.xml",
                  "html": root / f"merged-{parts}.html"}
        names = " ".join(f"PART_{index}.json" for index in range(1, parts + 1))
        if all(part.exists() for part in files):
            session.measure(count, f"merge {parts}",
                            ["merge", *map(str, files), "--json", str(merged["json"]),
                             "--junit", str(merged["junit"]), "--html", str(merged["html"])],
                            f"smtp-harness merge {names} --json --junit --html", count,
                            ("merge", None), merged, ok=(0, 1))
        else:
            session.measures.append(Measure(
                count, f"smtp-harness merge {names} --json --junit --html", f"merge {parts}",
                count, note="not available" if not session._has("merge", None)
                else "not run: a part is missing"))


def _note_statuses(measure: Measure, report: Path) -> None:
    if measure.seconds is None or not report.exists():
        return
    statuses = _json_results(report)[1]
    measure.note = "; ".join(filter(None, [statuses, measure.note]))


def _size(reports: dict[str, int]) -> str:
    return ", ".join(f"{name} {size:,} B" for name, size in reports.items())


def table(measures: Sequence[Measure]) -> str:
    """The measurements as a Markdown table."""
    lines = ["| count | command | wall s | per-scenario ms | peak RSS MiB | reports | note |",
             "|---:|---|---:|---:|---:|---|---|"]
    for m in measures:
        wall = "" if m.seconds is None else f"{m.seconds:.2f}"
        per = "" if m.per_scenario_ms is None else f"{m.per_scenario_ms:.2f}"
        rss = "" if m.peak_rss_kib is None else f"{m.peak_rss_kib / 1024:.1f}"
        lines.append(f"| {m.count:,} | `{m.command}` | {wall} | {per} | {rss} | "
                     f"{_size(m.reports)} | {m.note} |")
    return "\n".join(lines)


def linearity(measures: Sequence[Measure]) -> list[str]:
    """For each command measured at several sizes: the marginal time and memory per added
    scenario between successive sizes, and whether it stays flat (linear growth)."""
    verdicts = []
    kinds = dict.fromkeys(m.kind for m in measures if m.seconds is not None)
    for kind in kinds:
        points = sorted((m.count, m.seconds, m.peak_rss_kib) for m in measures
                        if m.kind == kind and m.seconds is not None
                        and m.peak_rss_kib is not None)
        if len(points) < 2:
            continue
        times, memory = [], []
        for (n1, t1, r1), (n2, t2, r2) in itertools.pairwise(points):
            times.append(1000 * (t2 - t1) / (n2 - n1))
            memory.append((r2 - r1) / (n2 - n1))
        spans = ", ".join(f"{a:,}->{b:,}" for (a, _, _), (b, _, _)
                          in itertools.pairwise(points))
        text = (f"- `{kind}` ({spans}): marginal {', '.join(f'{t:.2f}' for t in times)} ms "
                f"and {', '.join(f'{r:.1f}' for r in memory)} KiB per added scenario")
        if len(times) < 2:
            per = [1000 * t / n for n, t, _ in points]
            grows = per[-1] > LINEAR_SLACK * per[0]
            text += (f"; per scenario {per[0]:.2f} -> {per[-1]:.2f} ms: "
                     + ("grows faster than linearly" if grows
                        else "no sign of faster than linear growth (two sizes only)"))
        else:
            worse = [name for name, values, floor in (("time", times, 0.05),
                                                      ("memory", memory, 1.0))
                     if values[-1] > max(LINEAR_SLACK * values[-2], floor)]
            text += (f"; {' and '.join(worse)} grow{'s' if len(worse) == 1 else ''} faster "
                     "than linearly" if worse
                     else "; linear (the marginal cost does not grow with the size)")
        verdicts.append(text)
    return verdicts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_cli",
                                     description="the CLI's cost at 100 to 10,000 scenarios")
    parser.add_argument("--counts", default="100,1000,10000",
                        help="sizes, comma-separated (default 100,1000,10000)")
    parser.add_argument("--shards", default="1,2,4",
                        help="shard counts to run and merge at the shard size ('' for none)")
    parser.add_argument("--shard-count", type=int,
                        help="the size the shards run at (default: the largest count)")
    parser.add_argument("--only", default="list,validate,run",
                        help="which of list,validate,run to measure at every size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds before a command is killed")
    parser.add_argument("--markdown", type=Path, help="also write the table to FILE")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args(argv)
    counts = sorted({int(c) for c in args.counts.split(",") if c.strip()})
    shards = [int(s) for s in args.shards.split(",") if s.strip()]
    shard_count = args.shard_count or counts[-1]
    if shard_count not in counts:
        counts = sorted({*counts, shard_count})
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    with tempfile.TemporaryDirectory(prefix="scale-cli-") as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        session = Session(work, args.timeout)
        for count in counts:
            measure_count(session, count, args.seed, shards if count == shard_count else (),
                          only)
    text = "\n".join([table(session.measures), "", *linearity(session.measures)])
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
