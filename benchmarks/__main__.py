"""``python -m benchmarks``: every figure of issue 7 from one run, as one comparison table.

Contenders of a group run side by side (interleaved rounds, same server process), and the
table quotes medians and the ratio to the group's baseline, because on a shared machine only
ratios measured together mean anything. ``SMTP_BENCH_SHORT=1`` for a quick smoke run.

The exit status is 1 when a section raised, or, with ``--strict`` or ``CI=true``, when a figure
was skipped because its real program (Postfix's smtp-sink, valgrind) is missing: CI must not
pass with a figure silently gone. The sections that worked are still printed and written.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, fields, replace

from harness.shard import scripted_wait
from tests.real_programs import in_ci

from . import SHORT, SIZES, Sizes
from .clients import (
    AiosmtplibFresh,
    AiosmtplibKept,
    NetmailFresh,
    NetmailKept,
    NetmailTasks,
    ServerProcess,
    SmtplibFresh,
    SmtplibKept,
    Threaded,
    Workload,
)
from .harness_bench import (
    ControllerStartStop,
    LoopRoundTrip,
    ScriptedStartStop,
    delay_free,
    load_suite,
    per_scenario_seconds,
    run_suite,
    scale_point,
    time_alone,
)
from .instructions import MISSING as COUNTING_MISSING
from .instructions import VALGRIND, client_sends, count_all, server_ingest
from .measure import Result, compare
from .postfix import MISSING, SINK, SOURCE, SinkProcess, SmtpSource
from .probe import LARGE_CLIENTS, large_point


@dataclass(frozen=True)
class Row:
    case: str
    contender: str
    n: str
    per_item: str
    rate: str
    ratio: str
    client: str = ""
    server: str = ""
    note: str = ""


HEADER = Row("case", "contender", "N", "median/item", "per second", "ratio", "client CPU",
             "server CPU", "note")
Section = tuple[str, list[Row]]
SKIPPED = "skipped: "  # the note of a row whose real program is missing


def skipped(case: str, program: str, reason: str) -> Row:
    """The row standing for a figure whose real program is missing (a failure with --strict)."""
    return Row(case, program, "-", "-", "-", "-", note=f"{SKIPPED}{reason}")


def missing_programs(sections: list[Section]) -> list[str]:
    """``program: reason`` for each skipped row of ``sections``."""
    return [f"{row.contender}: {row.note.removeprefix(SKIPPED)}"
            for _, table in sections for row in table if row.note.startswith(SKIPPED)]


def duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def rows(case: str, results: list[Result], baseline: str | Result,
         unit: str = "msg/s") -> list[Row]:
    """One row per contender; ratio = how many times the baseline's throughput."""
    base = baseline if isinstance(baseline, Result) else next(
        r for r in results if r.name == baseline)
    out = []
    for result in results:
        busy = result.server_busy
        ratio = base.per_item / result.per_item
        out.append(Row(case, result.name, str(result.n), duration(result.per_item),
                       f"{result.per_second:,.0f} {unit}", f"{ratio:.2f}x",
                       f"{result.client_busy:.0%}", f"{busy:.0%}" if busy is not None else ""))
    return out


def client_throughput(sizes: Sizes) -> list[Section]:
    """1 KiB messages: one kept connection, PIPELINING, a fresh connection, concurrency."""
    sections = []
    k = sizes.concurrency
    with ServerProcess("aiosmtpd") as plain, ServerProcess("aiosmtpd", pipelining=True) as piped:
        kept: list[Workload] = [SmtplibKept(plain.port), SmtplibKept(plain.port, prerendered=True),
                                NetmailKept(plain.port), AiosmtplibKept(plain.port)]
        results = compare(kept, sizes.messages, sizes.rounds, servers=[plain] * len(kept))
        pipelined: list[Workload] = [SmtplibKept(piped.port),
                                     SmtplibKept(piped.port, prerendered=True),
                                     NetmailKept(piped.port)]
        results_p = compare(pipelined, sizes.messages, sizes.rounds,
                            servers=[piped] * len(pipelined))
        sections.append(("1. Client throughput, 1 KiB, 1 recipient, one kept connection "
                         "(bare aiosmtpd server process); ratio to smtplib.send_message",
                         rows("no PIPELINING", results, "smtplib.send_message")
                         + rows("PIPELINING offered", results_p, "smtplib.send_message")))
        fresh: list[Workload] = [SmtplibFresh(plain.port), NetmailFresh(plain.port),
                                 AiosmtplibFresh(plain.port)]
        results = compare(fresh, sizes.fresh, sizes.rounds, warm_up=5,
                          servers=[plain] * len(fresh))
        sections.append(("1. A fresh connection per message (connect, EHLO, send, QUIT); "
                         "ratio to smtplib.send_message",
                         rows("fresh connection", results, "smtplib.send_message")))
        concurrent: list[Workload] = [
            Threaded(f"smtplib.send_message x{k} threads",
                     [SmtplibKept(plain.port) for _ in range(k)]),
            Threaded(f"netmail.send x{k} threads", [NetmailKept(plain.port) for _ in range(k)]),
            AiosmtplibKept(plain.port, connections=k, name=f"aiosmtplib.send_message x{k} tasks"),
            NetmailTasks(plain.port, k, name=f"netmail.send_mail_async x{k} tasks"),
        ]
        results = compare(concurrent, sizes.messages, sizes.rounds,
                          servers=[plain] * len(concurrent))
        sections.append((f"1. {k} concurrent senders, one kept connection each; "
                         f"ratio to smtplib threads",
                         rows("concurrent", results, f"smtplib.send_message x{k} threads")))
    return sections


def many_recipients(sizes: Sizes) -> list[Section]:
    """10 recipients, PIPELINING offered or not, on both kinds of server, all interleaved."""
    configs = [(kind, piped) for kind in ("aiosmtpd", "harness") for piped in (False, True)]
    with ExitStack() as stack:
        servers = [stack.enter_context(ServerProcess(kind, pipelining=piped))
                   for kind, piped in configs]
        workloads: list[Workload] = []
        for (kind, piped), server in zip(configs, servers, strict=True):
            label = f"{kind}{' +PIPELINING' if piped else ''}"
            workloads += [SmtplibKept(server.port, 10), NetmailKept(server.port, 10)]
            workloads[-2].name = f"{label}: smtplib.send_message"
            workloads[-1].name = f"{label}: netmail.send"
        results = compare(workloads, sizes.many_recipients, sizes.rounds,
                          servers=[s for s in servers for _ in (0, 1)])
    table = []
    for index, (kind, piped) in enumerate(configs):
        pair = results[2 * index: 2 * index + 2]
        case = f"{kind}, {'PIPELINING' if piped else 'no PIPELINING'}"
        table += rows(case, pair, pair[0].name)
    plain, piped_ = results[1], results[3]
    table[3] = replace(table[3], note=f"{plain.per_item / piped_.per_item:.2f}x netmail "
                                      f"without PIPELINING")
    return [("1. 10 recipients, one kept connection; ratio to smtplib.send_message on the same "
             "server", table)]


def ingest(sizes: Sizes) -> list[Section]:
    """Messages/second a fake server takes, each server in its own process."""
    from .clients import RawAsyncDriver

    k = 8
    with ServerProcess("aiosmtpd") as bare, ServerProcess("harness") as scripted:
        workloads: list[Workload] = [
            RawAsyncDriver(bare.port, k, name=f"aiosmtpd Controller <- asyncio x{k}"),
            RawAsyncDriver(scripted.port, k, name=f"harness scripted <- asyncio x{k}"),
            SmtplibKept(bare.port, prerendered=True),
            SmtplibKept(scripted.port, prerendered=True),
        ]
        workloads[2].name = "aiosmtpd Controller <- smtplib.sendmail x1"
        workloads[3].name = "harness scripted <- smtplib.sendmail x1"
        results = compare(workloads, sizes.ingest, sizes.rounds,
                          servers=[bare, scripted, bare, scripted])
    table = rows(f"{k} connections", results[:2], results[0].name)
    table += rows("1 connection", results[2:], results[2].name)
    if SINK and SOURCE:
        with (SinkProcess() as sink, ServerProcess("aiosmtpd") as bare,
              ServerProcess("harness") as scripted):
            results = compare([SmtpSource(bare.port, k, "aiosmtpd Controller <- smtp-source"),
                               SmtpSource(scripted.port, k, "harness scripted <- smtp-source"),
                               SmtpSource(sink.port, k, "smtp-sink <- smtp-source")],
                              sizes.ingest, sizes.rounds, warm_up=0,
                              servers=[bare, scripted, None])
        table += rows(f"smtp-source x{k}", results, results[0].name)
    elif SINK:
        with SinkProcess() as sink, ServerProcess("aiosmtpd") as bare:
            results = compare([RawAsyncDriver(bare.port, k, name="aiosmtpd Controller"),
                               RawAsyncDriver(sink.port, k, name="smtp-sink")],
                              sizes.ingest, sizes.rounds)
        table += rows("Postfix smtp-sink", results, results[0].name)
    else:
        table.append(skipped("Postfix smtp-sink", "smtp-sink / smtp-source", MISSING))
    return [("2. Fake-server ingest, 1 KiB messages from the same fast client; ratio to bare "
             "aiosmtpd", table)]


def harness_costs(sizes: Sizes) -> list[Section]:
    """Starting a server, one scenario, the whole suite against its slowest scenario."""
    results = compare([ControllerStartStop(), ScriptedStartStop(), LoopRoundTrip()],
                      [sizes.controller_starts, sizes.starts, sizes.starts], sizes.rounds,
                      warm_up=2)
    start_rows = rows("start+stop one server", results[:2], results[0], unit="/s")
    start_rows += rows("the floor of each", results[2:], results[0], unit="/s")
    scenarios = load_suite()
    serial = per_scenario_seconds(scenarios)
    without_delay = {s.id for s in delay_free(scenarios)}
    free = sorted(t for s, t in zip(scenarios, serial, strict=True) if s.id in without_delay)
    start_rows.append(Row("one scenario, alone", "run_scenario, no scripted delay", str(len(free)),
                          duration(statistics.median(free)),
                          f"{1 / statistics.median(free):,.0f} /s", "",
                          note=f"p90 {duration(free[int(0.9 * (len(free) - 1))])}, "
                               f"max {duration(free[-1])}; serial, client send included"))
    waited = sorted(t - wait for s, t in zip(scenarios, serial, strict=True)
                    if (wait := scripted_wait(s)))
    start_rows.append(Row("one scenario, alone", "run_scenario minus its scripted wait",
                          str(len(waited)), duration(statistics.median(waited)), "", "",
                          note=f"max {duration(waited[-1])}; wait = delays, or the client's "
                               f"timeout when shorter"))
    slowest_time, slowest = max(zip(serial, scenarios, strict=True), key=lambda p: p[0])
    suite_times, alone_times, passed = [], [], 0
    for _ in range(sizes.rounds):
        run = run_suite(scenarios)
        suite_times.append(run.seconds)
        passed = run.passed
        alone_times.append(time_alone(slowest))
    suite, alone = statistics.median(suite_times), statistics.median(alone_times)
    suite_rows = [
        Row("whole suite", f"run_all, {len(scenarios)} scenarios, netmail", "1",
            duration(suite), f"{len(scenarios) / suite:,.0f} scenarios/s",
            f"{suite / alone:.2f}x slowest",
            note=f"{passed}/{len(scenarios)} pass; one after another: {duration(sum(serial))}"),
        Row("slowest scenario", f"{slowest.id}, alone", "1", duration(alone), "", "1.00x",
            note=f"serial pass: {duration(slowest_time)}"),
    ]
    return [("3. Per-scenario overhead; ratio to aiosmtpd's Controller", start_rows),
            ("4. Suite wall time; ratio to the slowest single scenario (target <= 2x)",
             suite_rows)]


def scale(sizes: Sizes) -> list[Section]:
    """Generated suites, each size in a fresh process so peak RSS is its own."""
    points = [scale_point(n) for n in sizes.scale]
    first = points[0]
    table = [Row("generated scenarios", f"run_all, {p.n:,} scenarios", f"{p.n:,}",
                 duration(p.seconds / p.n), f"{p.n / p.seconds:,.0f} scenarios/s",
                 f"{p.per_scenario_ms / first.per_scenario_ms:.2f}x",
                 note=f"total {duration(p.seconds)}, {p.passed:,} pass, peak RSS "
                      f"{p.peak_rss_mib:.0f} MiB (+{p.rss_growth_mib:.0f} MiB in run_all)"
                      + (f"; failed: {failed(p.failures)}" if p.failures else ""))
             for p in points]
    return [(f"5. Scale curve (copies of the delay-free scenarios, one run each); ratio = cost "
             f"per scenario relative to {first.n}", table)]


def failed(failures: dict[str, int]) -> str:
    return ", ".join(f"{name} x{count}" for name, count in sorted(failures.items()))


def large(sizes: Sizes) -> list[Section]:
    """A large message: send time and peak memory of client and server, fresh processes."""
    mib = sizes.large_mb
    timings: dict[str, list[dict[str, float]]] = {c: [] for c in LARGE_CLIENTS}
    traced: dict[str, list[float]] = {c: [] for c in LARGE_CLIENTS}
    servers: dict[str, list[float]] = {c: [] for c in LARGE_CLIENTS}
    harness_server: list[float] = []
    for _ in range(min(sizes.rounds, 3)):
        for client in LARGE_CLIENTS:
            with ServerProcess("aiosmtpd") as server:
                timings[client].append(large_point(client, server.port, mib))
                servers[client].append(server.stats().rss_growth_mib)
                point = large_point(client, server.port, mib, traced=True)
                traced[client].append(point["traced_peak_mib"])
        with ServerProcess("harness") as server:
            large_point("netmail.send", server.port, mib)
            harness_server.append(server.stats().rss_growth_mib)
    base = statistics.median(p["seconds"] for p in timings["smtplib.send_message"])
    table = []
    for client, points in timings.items():
        seconds = statistics.median(p["seconds"] for p in points)
        client_rss = statistics.median(p["rss_growth_mib"] for p in points)
        client_heap = statistics.median(traced[client])
        server_rss = statistics.median(servers[client])
        table.append(Row(f"{mib} MiB message", client, "1", duration(seconds),
                         f"{mib / seconds:,.0f} MiB/s", f"{base / seconds:.2f}x",
                         note=f"client: Python heap peak {client_heap:.0f} MiB "
                              f"({client_heap / mib:.1f}x the body), RSS +{client_rss:.0f} MiB;"
                              f" aiosmtpd server RSS +{server_rss:.0f} MiB"))
    table.append(Row(f"{mib} MiB message", "harness scripted server <- netmail", "1", "", "",
                     "", note=f"server RSS +{statistics.median(harness_server):.0f} MiB "
                              f"(its transcript keeps the raw DATA)"))
    return [(f"6. A {mib} MiB message (short lines; message built and sent on an open "
             f"connection); ratio to smtplib.send_message; memory = peak growth", table)]


def instructions(sizes: Sizes) -> list[Section]:
    """Instructions per message of the servers of section 2 and the clients of section 1."""
    title = ("7. Instructions per message, counted by callgrind (full mode: the same to within "
             "1% run to run); ratio = the baseline's count over this one's")
    if VALGRIND is None:
        return [(title, [skipped("callgrind", "valgrind", COUNTING_MISSING)])]
    few, many = sizes.counted
    servers = {"aiosmtpd Controller": "aiosmtpd", "harness scripted": "harness"}
    clients = {"smtplib.send_message": "smtplib",
               "smtplib.sendmail (pre-rendered)": "smtplib-prerendered",
               "netmail.send": "netmail", "aiosmtplib.send_message": "aiosmtplib"}
    with ServerProcess("aiosmtpd") as target:
        counts = count_all({**{name: server_ingest(kind) for name, kind in servers.items()},
                            **{name: client_sends(c, target.port) for name, c in clients.items()}},
                           few, many)

    def counted(case: str, names: list[str], note: str) -> list[Row]:
        base = counts[names[0]]
        return [Row(case, name, str(many - few), f"{counts[name] / 1e6:.3f} M instr", "",
                    f"{base / counts[name]:.2f}x", note=note) for name in names]

    return [(title, counted("server ingest, 8 connections", list(servers),
                            "the server process; the client is section 2's asyncio driver")
             + counted("client, kept connection", list(clients),
                       "the client process, 1 KiB, 1 recipient; server: bare aiosmtpd"))]


SECTIONS: dict[str, Callable[[Sizes], list[Section]]] = {
    "client": client_throughput, "recipients": many_recipients, "ingest": ingest,
    "harness": harness_costs, "scale": scale, "large": large, "instructions": instructions,
}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def render(sections: list[Section], markdown: bool) -> str:
    names = [f.name for f in fields(Row)]
    if markdown:
        lines = []
        for title, table in sections:
            lines += ["", f"**{title}**", "",
                      "| " + " | ".join(getattr(HEADER, f) for f in names) + " |",
                      "|" + "---|" * len(names)]
            lines += ["| " + " | ".join(getattr(r, f) for f in names) + " |" for r in table]
        return "\n".join(lines)
    every = [HEADER] + [r for _, table in sections for r in table]
    widths = {f: max(len(getattr(r, f)) for r in every) for f in names}
    lines = []
    for title, table in sections:
        lines += ["", title]
        for row in [HEADER, *table]:
            lines.append("  ".join(getattr(row, f).ljust(widths[f]) for f in names).rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections; 0 if every one worked (and, strict, none was skipped), else 1."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections (default: all of {', '.join(SECTIONS)})")
    parser.add_argument("--markdown", metavar="FILE",
                        help="also write the tables as Markdown to FILE")
    parser.add_argument("--strict", action="store_true",
                        help="a figure skipped for a missing real program (smtp-sink, valgrind) "
                             "fails the run (implied by CI=true)")
    args = parser.parse_args(argv)
    strict = args.strict or in_ci()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    sections: list[Section] = []
    failures: list[str] = []
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            produced = SECTIONS[name](SIZES)
        except Exception as exc:  # one broken figure must not lose the others
            traceback.print_exc()
            failures.append(f"FAILED section {name}: {type(exc).__name__}: {exc}")
            continue
        sections += produced
        if strict:
            failures += [f"FAILED section {name}: missing real program in CI: {missing}"
                         for missing in missing_programs(produced)]
    machine = (f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
               f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; "
               f"{'SHORT mode' if SHORT else 'full mode'}, {SIZES.rounds} round(s), medians; "
               f"took {time.perf_counter() - started:.0f} s")
    print(machine)
    print(render(sections, markdown=False))
    if failures:
        print("\n" + "\n".join(failures))
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(machine + "\n" + render(sections, markdown=True) + "\n")
            if failures:
                out.write("\n" + "".join(f"- **{line}**\n" for line in failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
