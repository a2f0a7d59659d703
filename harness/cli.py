"""``smtp-harness``: run SMTP conformance scenarios against clients, and work with them.

Exit codes: 0 when every scenario passes (or deviates as its profile records), 1 when any
fails, 2 for a usage error or an invalid scenario file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from smtp_contract import CONDITIONS

from .adapters import Adapter, canonical, make_adapter
from .adapters.process import AdapterError, ClientUnavailable
from .diff.command import add_parser as add_diff_parser
from .gate import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Outputs, Run, check_baseline, conclude
from .keyword import keyword_filter
from .library import PROJECT_DIRECTORY, builtin_dir, find_scenario, project_dir, select
from .loader import ScenarioError, load_scenario, load_scenarios
from .manual import topic_path, topics
from .merge import MergeError, merge
from .model import REFERENCE_CLIENTS, Expectation, Scenario
from .profiles import departure_kinds, observe, reason_for, write_profile
from .record.command import add_parser as add_record_parser
from .report.progress import Progress
from .report.provenance import tool_version
from .report.result import Result
from .runner import DEFAULT_JOBS, each_verdict, run_all
from .schema import SCENARIO_SCHEMA
from .server import ca_file, shared_host
from .server.transcript import render_event
from .shard import Shard, cut, parse_shard
from .template import starting_point
from .verdict import DEVIATES, Verdict

_INSTALLED = {"site-packages", "dist-packages"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `smtp-harness list | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smtp-harness", description="Run SMTP conformance scenarios against clients "
        "(run), gate CI on a baseline (run --baseline), serve one scripted server (serve), "
        "and write, list, validate and profile scenario files.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {tool_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run scenarios against clients and print verdicts",
                              epilog=_RUN_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_selection(run)
    run.add_argument("--client", action="append", default=[], metavar="NAME",
                     help="client to certify, repeatable: a known client or NAME=cmd:COMMAND "
                          "(below); default: netmail")
    run.add_argument("-j", "--jobs", type=_positive, default=DEFAULT_JOBS,
                     help=f"scenarios run at once (default {DEFAULT_JOBS})")
    _add_outputs(run)
    run.add_argument("--reference", action="append", default=[], metavar="NAME",
                     help="hold this client to the documentation too: a profile for it is an "
                          "error (netmail and netmail-async always are)")
    run.add_argument("--contract-only", action="store_true",
                     help="judge only what the contract promises (exception, status code, "
                          "failed recipients, delivery); details such as message text, inner "
                          "exception, QUIT and connection reuse are not judged")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="explain failures with the full server transcript")
    run.add_argument("-x", "--exitfirst", action="store_true",
                     help="stop at the first failure or error (what has not run is not "
                          "reported; no baseline is written)")
    run.add_argument("--shard", type=_shard, metavar="K/N",
                     help="run part K of N of the selection (balanced by each scenario's "
                          "waits; the same parts on every machine); merge the parts' --json "
                          "with smtp-harness merge")
    run.set_defaults(command=_run)

    merging = commands.add_parser(
        "merge", help="combine the --json results of shards (run --shard K/N) into one run's "
                      "verdicts, reports and gate", epilog=_MERGE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    merging.add_argument("parts", nargs="+", type=Path, metavar="PART",
                         help="each shard's --json file, every part exactly once")
    _add_outputs(merging)
    merging.add_argument("-v", "--verbose", action="store_true",
                         help="explain failures with the full server transcript")
    merging.set_defaults(command=_merge)

    listing = commands.add_parser("list", help="list the scenarios")
    _add_selection(listing)
    listing.set_defaults(command=_list)

    validate = commands.add_parser("validate", help="check scenario files against the schema")
    _add_paths(validate)
    validate.set_defaults(command=_validate)

    schema = commands.add_parser("schema", help="print the scenario JSON Schema")
    schema.set_defaults(command=_schema)

    serve = commands.add_parser("serve", help="run one scenario's scripted server in the "
                                              "foreground, printing the transcript live")
    serve.add_argument("scenario", help="a scenario file, or the id of a scenario in the "
                                        "project's scenarios/ or the built-in library")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=2525,
                       help="port (default 2525; 0: any free port)")
    serve.set_defaults(command=_serve)

    profile = commands.add_parser(
        "profile", help="record a client's observed deviations as profiles in the files")
    _add_selection(profile)
    profile.add_argument("--client", required=True, metavar="NAME", help="the client run")
    profile.add_argument("--why", metavar="TEXT",
                         help="why the client departs from the documentation, for each profile "
                              "without a --why-for match or a reason of its own already; "
                              "refused when those profiles record more than one kind of "
                              "departure (one reason per cause)")
    profile.add_argument("--why-for", nargs=2, action="append", default=[],
                         metavar=("GLOB", "TEXT"),
                         help="the reason for the scenarios whose id matches GLOB (one cause, "
                              "one reason); repeatable, the first match wins")
    profile.add_argument("--reference", action="append", default=[], metavar="NAME",
                         help="another client held to the documentation (no profile allowed)")
    profile.add_argument("--dry-run", action="store_true", help="show, do not write")
    profile.add_argument("--runs", type=int, default=2, metavar="N",
                         help="observe N runs and pin only what they all agree on (default 2)")
    profile.add_argument("--replace", action="store_true",
                         help="record again the deviations already in profiles, from this run")
    profile.set_defaults(command=_profile)

    new = commands.add_parser("new", help="write a scenario file to start from")
    new.add_argument("id", help="scenario id, e.g. recipients/my-case")
    new.add_argument("--condition", default="recipients-failed", choices=sorted(CONDITIONS),
                     help="recipients-failed (default) writes a template; any other condition "
                          "copies the first scenario of that condition under --dir")
    new.add_argument("--dir", type=Path,
                     help="where to write, and the first place to look for a scenario of the "
                          "condition (default: the project's scenarios/; then the built-in "
                          "library)")
    new.set_defaults(command=_new)
    docs = commands.add_parser("docs", help="read the documentation that ships with the "
                                            "package (the scenario format, the adapter "
                                            "protocol, the pytest fixture, the JSON report)")
    docs.add_argument("topic", nargs="?", help="the topic to print (default: list them)")
    docs.add_argument("--path", action="store_true", help="print the file's path instead")
    docs.set_defaults(command=_docs)
    add_diff_parser(commands)
    add_record_parser(commands)
    return parser


_RUN_EPILOG = """\
clients (--client, repeatable):
  netmail, netmail-async    the reference client (blocking send(), asyncio send_mail_async())
  dotnet8, dotnet31, mono   System.Net.Mail's SmtpClient on .NET 8 / .NET Core 3.1 (pip install
                            'smtp-conformance[dotnet]') and on Mono (mono-runtime, mono-mcs)
  smtplib, aiosmtplib       Python's clients (aiosmtplib: pip install 'smtp-conformance[clients]')
  NAME=cmd:COMMAND          any client in any language, through a driver program that speaks
                            the JSON-lines adapter protocol on stdin/stdout, e.g.
                            --client "mine=cmd:python3 my_driver.py --verbose"
                            (smtp-harness docs adapter-protocol; an example driver:
                            python -m harness.adapters.example_driver)

scenarios: the PATHS given; else the project's scenarios/ (at the project root); else the
built-in library. --builtin adds the library to PATHS. Format: smtp-harness docs scenarios.
reports: --json is documented in smtp-harness docs json-report.
exit status: 0 every scenario passes or deviates as its profile records; 1 a failure, an
error, a regression against --baseline, or a client with nothing judged; 2 a usage error, an
invalid scenario file, or a client that cannot start.
"""


_MERGE_EPILOG = """\
The merge prints, writes and gates as one run of the whole selection would: the same table,
reports, --baseline semantics and exit codes (0 pass, 1 a failure, an error or a regression).
Exit 2, with nothing written: a part missing or given twice, parts of different selections,
clients, harness versions or --contract-only, or a part that did not run its whole share (-x).
One unsharded run's --json merges alone (part 1/1), to write its reports again.
"""


def _add_outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    parser.add_argument("--html", type=Path, metavar="FILE",
                        help="write the HTML matrix report")
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--baseline", type=Path, metavar="FILE",
                        help="fail only on regressions against this baseline file")
    parser.add_argument("--update-baseline", action="store_true",
                        help="write the results into the --baseline file")


def _outputs(args: argparse.Namespace) -> Outputs:
    return Outputs(args.json, args.junit, args.html, args.markdown, args.baseline,
                   args.update_baseline)


def _shard(text: str) -> Shard:
    try:
        return parse_shard(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _port(text: str) -> int:
    """A TCP port number for argparse: 0 to 65535 (the socket layer would wrap 99999)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return int(text)


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path,
                        help="scenario files or directories (default: the project's "
                             "scenarios/ if there is one, else the built-in library)")
    parser.add_argument("--builtin", action="store_true",
                        help="the built-in scenario library, as well as any PATHS")


def _add_selection(parser: argparse.ArgumentParser) -> None:
    _add_paths(parser)
    parser.add_argument("-k", dest="keyword", metavar="EXPR",
                        help="only scenarios whose id or condition matches, e.g. "
                             "'recipients and not all'")


def _paths(args: argparse.Namespace) -> list[Path]:
    """The paths a command reads (``library.select``), saying where a default came from."""
    selection = select(args.paths, args.builtin)
    if selection.describe():
        print(selection.describe(), file=sys.stderr)
    return selection.paths


def _selected(args: argparse.Namespace) -> list[Scenario] | None:
    try:
        scenarios, errors = load_scenarios(_paths(args))
        keep = keyword_filter(args.keyword) if args.keyword else (lambda _: True)
    except (ScenarioError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    for problem in errors:
        print(f"error: {problem}", file=sys.stderr)
    if errors:
        return None
    return [s for s in scenarios if keep(f"{s.id} {s.condition}")]


def _run(args: argparse.Namespace) -> int:
    outputs = _outputs(args)
    if args.exitfirst and args.baseline is not None:  # a partial run cannot be gated
        print("error: --exitfirst cannot be used with --baseline", file=sys.stderr)
        return EXIT_USAGE
    baseline, problem = check_baseline(outputs)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    selected = _selected(args)
    if selected is None:
        return EXIT_USAGE
    scenarios, shard = cut(selected, args.shard or Shard(1, 1))
    if args.shard is not None:
        print(f"shard {shard}: {len(scenarios)} of {len(selected)} scenarios "
              f"(selection {shard.selection})", file=sys.stderr)
    profiled = _profiled_references(selected, set(args.reference))
    for problem in profiled:
        print(f"error: {problem}", file=sys.stderr)
    if profiled:
        return EXIT_USAGE
    adapters = []
    try:
        for name in dict.fromkeys(canonical(n) for n in args.client or ["netmail"]):
            adapters.append(make_adapter(name))
            adapters[-1].start()
    except (ValueError, ClientUnavailable, AdapterError) as error:
        print(f"error: client {name!r}: {error}", file=sys.stderr)
        for adapter in adapters:
            adapter.close()
        return EXIT_USAGE
    if not selected:
        print("no scenarios selected", file=sys.stderr)
        return EXIT_USAGE
    began, started = datetime.now(UTC), time.monotonic()
    progress = Progress(len(scenarios) * len(adapters), sys.stderr)
    try:  # each verdict becomes its result at once: the messages received are not kept
        results = [Result.of(verdict) for verdict in each_verdict(
            scenarios, adapters, args.jobs, on_verdict=progress,
            contract_only=args.contract_only, exitfirst=args.exitfirst)]
    finally:
        for adapter in adapters:
            adapter.close()
    run = Run(began, time.monotonic() - started, args.contract_only, shard,
              clients=[adapter.name for adapter in adapters])
    return conclude(results, run, outputs, baseline, args.verbose)


def _merge(args: argparse.Namespace) -> int:
    outputs = _outputs(args)
    baseline, problem = check_baseline(outputs)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        merged = merge(args.parts)
    except MergeError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"merged {len(args.parts)} part(s): {len(merged.results)} results of "
          f"{merged.shard.scenarios} scenarios (selection {merged.shard.selection})",
          file=sys.stderr)
    run = Run(merged.began, merged.elapsed, merged.contract_only, merged.shard, merged.parts,
              merged.clients)
    return conclude(merged.results, run, outputs, baseline, args.verbose)


def _profiled_references(scenarios: list[Scenario], references: set[str]) -> list[str]:
    """A located problem for each profile of a client marked ``--reference``."""
    return [f"{s.path}:{profile.line}: profiles.{name}: {name} is a reference client "
            "(--reference): it is held to the documentation itself and can have no profile"
            for s in scenarios for name, profile in s.profiles if name in references]


def _list(args: argparse.Namespace) -> int:
    scenarios = _selected(args)
    if scenarios is None:
        return EXIT_USAGE
    for scenario in scenarios:
        print(f"{scenario.id:50} {scenario.condition:22} {scenario.path}")
    print(f"{len(scenarios)} scenario{'s' if len(scenarios) != 1 else ''}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    try:
        scenarios, errors = load_scenarios(_paths(args), every_problem=True)
    except ScenarioError as error:
        errors, scenarios = [error], []
    for problem in errors:
        print(problem)
    invalid = len({problem.path for problem in errors})
    print(f"{len(scenarios)} valid, {invalid} invalid"
          + (f" ({len(errors)} problems)" if len(errors) > invalid else ""))
    return EXIT_USAGE if errors else EXIT_OK


def _schema(_: argparse.Namespace) -> int:
    print(json.dumps(SCENARIO_SCHEMA, indent=2, sort_keys=True))
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    try:
        scenario = find_scenario(args.scenario)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if scenario.server is None:
        print(f"error: {args.scenario}: the scenario has no server", file=sys.stderr)
        return EXIT_USAGE
    try:
        server = shared_host().start(scenario.server, host=args.host, port=args.port,
                                     listener=lambda event: print(render_event(event),
                                                                  flush=True))
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return EXIT_USAGE
    # Before the "serving" line: whoever reads it may stop us at once. SIGINT too: a shell's
    # background job starts with it ignored.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        print(f"serving {scenario.id} on {server.address}:{server.port} (Ctrl-C to stop)",
              flush=True)
        if scenario.server.certificate:
            print(f"STARTTLS certificate: {scenario.server.certificate}; CA to trust: "
                  f"{ca_file()}", flush=True)
        while True:  # not one endless wait: a signal landing just before it would go unseen
            time.sleep(0.25)
    transcript = server.stop(settle=0.5)
    print(f"stopped: {transcript.connections} connection(s), delivered to "
          f"{transcript.delivered_to or 'nobody'}", flush=True)
    return EXIT_OK


def _profile(args: argparse.Namespace) -> int:
    references = _references(args)
    if args.client.partition("=")[0] in references:
        print(f"error: client {args.client!r}: a reference client is held to the "
              "documentation itself and can have no profile", file=sys.stderr)
        return EXIT_USAGE
    scenarios = _selected(args)
    if scenarios is None:
        return EXIT_USAGE
    installed = [s.path for s in scenarios if _INSTALLED.intersection(s.path.parts)]
    if installed:
        print(f"error: {installed[0]}: profile writes into scenario files, and this one is "
              "part of an installed package; name your own scenario files (a copy of the "
              "library: smtp-harness new ID --condition C)", file=sys.stderr)
        return EXIT_USAGE
    try:
        adapter = make_adapter(args.client)
        adapter.start()
    except (ValueError, ClientUnavailable, AdapterError) as error:
        print(f"error: client {args.client!r}: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        found = observe(scenarios, adapter, args.runs, lambda s, a: run_all(s, [a]),
                        again=args.replace)
        if not found:
            print("0 profile(s) to write")
            return EXIT_OK
        own = [(entry, reason_for(entry.scenario, adapter.name, args.why_for, None))
               for entry in found]
        kinds = departure_kinds([entry for entry, why in own if why is None])
        if args.why is not None and len(kinds) > 1:
            print(f"error: --why would give {len(kinds)} different departures one reason; "
                  "give each its own with --why-for GLOB TEXT (or select one with -k):",
                  file=sys.stderr)
            for kind, entries in kinds.items():
                print(f"  {kind}: {', '.join(e.scenario.id for e in entries)}", file=sys.stderr)
            return EXIT_USAGE
        chosen = [(entry, why or args.why) for entry, why in own]
        unstable = [entry for entry in found if entry.varying]
        unexplained = [entry for entry, why in chosen if why is None]
        # Alternatives are written by hand from runs that show each outcome; rewriting the
        # profile from one run would drop them unseen.
        racing = [entry for entry in found if dict(entry.scenario.profiles).get(
            adapter.name, Expectation()).alternatives]
        for entry, why in chosen:
            fields = {"why": why, **entry.fields}
            note = (f" (not stable: {', '.join(entry.varying)} varies between runs)"
                    if entry.varying else "")
            print(f"{entry.scenario.path}: profiles.{adapter.name}: "
                  f"{json.dumps(fields, ensure_ascii=False)}{note}")
        for entry in unexplained:
            print(f"error: {entry.scenario.id}: no reason given (--why, or --why-for "
                  f"{entry.scenario.id} TEXT)", file=sys.stderr)
        for entry in racing:
            print(f"error: {entry.scenario.path}: profiles.{adapter.name} has alternatives "
                  "(a racing client, written by hand): edit it there", file=sys.stderr)
        if unstable or unexplained or racing:
            print(f"nothing written: {len(unstable)} not stable, {len(unexplained)} without a "
                  f"reason, {len(racing)} with alternatives")
            return EXIT_FAILED
        if args.dry_run:
            print(f"{len(found)} profile(s) to write")
            return EXIT_OK
        for entry, why in chosen:
            write_profile(entry.scenario.path, adapter.name, {"why": why, **entry.fields})
        rerun = _rerun([entry.scenario.path for entry in found], adapter)
    finally:
        adapter.close()
    unstable_now = [v for v in rerun if v.status != DEVIATES]
    for verdict in unstable_now:
        print(f"not stable: {verdict.scenario.id}: {verdict.status}: {verdict.differences}")
    print(f"{len(found)} profile(s) written; {len(unstable_now)} not stable on a third run")
    return EXIT_FAILED if unstable_now else EXIT_OK


def _references(args: argparse.Namespace) -> set[str]:
    return {*REFERENCE_CLIENTS, *getattr(args, "reference", ())}


def _rerun(paths: list[Path], adapter: Adapter) -> list[Verdict]:
    """Run the just-profiled scenarios again, from their rewritten files."""
    scenarios, errors = load_scenarios(paths)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return run_all(scenarios, [adapter])


def _docs(args: argparse.Namespace) -> int:
    if args.topic is None:
        for topic, title in topics().items():
            print(f"{topic:20} {title}")
        print("\nsmtp-harness docs TOPIC prints one (Markdown); --path gives its file")
        return EXIT_OK
    try:
        path = topic_path(args.topic)
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    print(path if args.path else path.read_text(encoding="utf-8"), end="" if not args.path
          else "\n")
    return EXIT_OK


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _new(args: argparse.Namespace) -> int:
    directory = args.dir or project_dir() or Path(PROJECT_DIRECTORY)
    path = directory / f"{args.id}.yaml"
    if path.exists():
        print(f"error: {path} exists already", file=sys.stderr)
        return EXIT_USAGE
    try:
        text, origin = starting_point(args.id, args.condition, [directory, builtin_dir()])
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioError as error:
        path.unlink()
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path} from {origin}: edit the server, message and expect parts "
          f"(smtp-harness docs scenarios)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
