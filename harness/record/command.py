"""``smtp-harness record``: record a real server's side of a session as a scenario."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import ssl
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ..adapters import canonical, make_adapter
from ..adapters.process import AdapterError, ClientUnavailable
from ..library import find_scenario, project_dir
from ..loader import ScenarioError, load_scenario, load_scenario_text, scenario_from_data
from ..model import REFERENCE_CLIENTS, TO_COMPLETE
from ..profiles import observed_profile, with_profile
from ..runner import run_scenario
from ..server import ca_file, shared_host
from ..server.transcript import render_event
from ..verdict import PASS, judge
from .fidelity import outcome_differences
from .live import LiveRun, send_through_proxy, upstream_context
from .proxy import RecordingProxy
from .write import compose, scenario_text

EPILOG = """\
Without --client, point any client at --listen; the session is relayed to --upstream and
recorded, and the file is written when --sessions connections have ended (or on Ctrl-C).
The proxy's STARTTLS certificate chains to the harness CA (its file is printed): the client
must trust it. The file's expect.raises is left to fill in: the proxy cannot see what the
client raised.

With --client NAME, the harness sends the message itself through the proxy with that client
(--from/--to/--enable-ssl/--user, or --like SCENARIO for a scenario's client and message),
writes what it did as expect, then replays the file with the same client and says whether
the replay gave the same outcome.

Credentials never reach the file: AUTH is recorded as the exchange's shape and the server's
replies, and the replay logs in with placeholder credentials.
Exit status: 0 written (and, with --client, replayed to the same outcome), 1 the replay
differed, 2 bad arguments, an unreachable server or a client that cannot run.
"""


def add_parser(commands: Any) -> None:
    record = commands.add_parser(
        "record", help="record a real server's side of a session as a scenario",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    record.add_argument("--upstream", required=True, metavar="HOST:PORT",
                        help="the real SMTP server")
    record.add_argument("--listen", default="127.0.0.1:2525", metavar="HOST:PORT",
                        help="where the proxy listens (default 127.0.0.1:2525; port 0: any)")
    record.add_argument("--out", type=Path, help="the scenario file to write (default: "
                        "scenarios/ID.yaml of the project)")
    record.add_argument("--force", action="store_true", help="overwrite --out")
    record.add_argument("--id", help="the scenario id (default recorded/HOST-TIME)")
    record.add_argument("--condition", help="the documented condition (default: guessed "
                        "from the outcome)")
    record.add_argument("--description")
    record.add_argument("--server-name", help="the server's name and version for the file "
                        "(default its greeting)")
    record.add_argument("--configuration", help="the server's configuration, for the file")
    record.add_argument("--timing", action="store_true",
                        help="replay the server's delays as recorded")
    record.add_argument("--sessions", type=int, default=1, metavar="N",
                        help="without --client: write after N connections ended (default 1)")
    tls = record.add_argument_group("TLS towards the upstream")
    tls.add_argument("--upstream-ca", metavar="FILE", help="trust this CA (default: the "
                     "system's trust store)")
    tls.add_argument("--upstream-name", metavar="NAME", help="the name its certificate must "
                     "carry (default the upstream host)")
    tls.add_argument("--upstream-insecure", action="store_true",
                     help="accept any certificate from the upstream")
    client = record.add_argument_group("sending with a client (--client)")
    client.add_argument("--client", help="send through the proxy with this client")
    client.add_argument("--reference", default="netmail", help="with a --client that is not "
                        "a reference client: the client whose outcome is expect (default "
                        "netmail); --client's departures become its profile")
    client.add_argument("--like", metavar="SCENARIO", help="the client settings and message "
                        "of this scenario (an id or a file)")
    client.add_argument("--from", dest="sender", default="sender@example.com")
    client.add_argument("--to", action="append", default=[], metavar="ADDRESS",
                        help="a recipient (repeatable; default rcpt@example.com)")
    client.add_argument("--enable-ssl", action="store_true", help="STARTTLS")
    client.add_argument("--user", help="log in as this user")
    client.add_argument("--password-env", metavar="VAR", default="SMTP_PASSWORD",
                        help="the environment variable holding --user's password "
                             "(default SMTP_PASSWORD)")
    client.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    record.set_defaults(command=record_command)


def record_command(args: argparse.Namespace) -> int:
    try:
        upstream, listen = _address(args.upstream), _address(args.listen)
        tls = upstream_context(args.upstream_ca, not args.upstream_insecure)
        scenario_id = args.id or f"recorded/{upstream[0]}-" \
                                 f"{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
        out = args.out or (project_dir() or Path("scenarios")) / f"{scenario_id}.yaml"
        if out.exists() and not args.force:
            raise ValueError(f"{out} exists (--force overwrites it)")
    except (ValueError, OSError, ssl.SSLError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    labels = {"scenario_id": scenario_id, "timing": args.timing, "condition": args.condition,
              "description": args.description, "server": args.server_name,
              "configuration": args.configuration}
    if args.client:
        return _with_client(args, upstream, tls, out, labels)
    return _listening(args, upstream, listen, tls, out, labels)


def _with_client(args: argparse.Namespace, upstream: tuple[str, int], tls: ssl.SSLContext,
                 out: Path, labels: dict[str, Any]) -> int:
    """Send with the client through the proxy and write the file. A client that is not a
    reference one sends after the reference (``--reference``, netmail): the reference's session
    is the recording and its outcome ``expect`` (the contract as it implements it), and the
    client's departures from it are written as its profile."""
    names = [canonical(args.client)]
    if names[0] not in REFERENCE_CLIENTS:
        names.insert(0, canonical(args.reference))
    try:
        client_data, message_data = _client_and_message(args)
        scenario = scenario_from_data({"id": labels["scenario_id"], "condition": "delivered",
                                       "client": client_data, "message": message_data,
                                       "expect": {"raises": None}}, Path("<record>"))
        adapters = [make_adapter(name) for name in names]
        for adapter in adapters:
            adapter.start()
    except (ScenarioError, ValueError, ClientUnavailable, AdapterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        lives = [send_through_proxy(a, scenario, upstream, tls, args.upstream_name)
                 for a in adapters]
        if any(_unreachable(live) for live in lives):
            return 2
        reference = lives[0]
        document = compose(reference.recording, reference.transcript, reference.outcomes,
                           client=names[0], client_data=client_data,
                           message_data=message_data, **labels)
        text = scenario_text(document, names[0])
        for name, live in zip(names[1:], lives[1:], strict=True):
            text = _with_departures(text, out, name, live, document["recorded"]["server"])
        _write(out, text)
        written = load_scenario(out)
        verdicts = [run_scenario(written, adapter) for adapter in adapters]
    except ScenarioError as error:
        print(f"error: the written file does not load (a harness bug): {error}",
              file=sys.stderr)
        return 2
    finally:
        for adapter in adapters:
            adapter.close()
    status = 0
    for name, live, verdict in zip(names, lives, verdicts, strict=True):
        _summary(live, out, name)
        differences = outcome_differences(live.outcomes, live.transcript,
                                          list(verdict.outcomes), verdict.transcript)
        if differences:
            print(f"the replay did NOT give {name} its live outcome: " + "; ".join(differences))
            status = 1
        else:
            print(f"replayed with {name}: the same outcome "
                  f"({verdict.outcomes[-1].describe()}), verdict {verdict.status}")
    print(f"wrote {out}")
    return status


def _with_departures(text: str, out: Path, name: str, live: LiveRun, server: str) -> str:
    """``text`` with a profile for ``name`` if its live run departs from ``expect``."""
    scenario = load_scenario_text(text, out)
    verdict = judge(scenario, name, live.outcomes, live.transcript, None, live.seconds)
    if verdict.status == PASS:
        return text
    fields = observed_profile(verdict)
    why = f"observed while recording {server}: review, and say why"
    return with_profile(text, name, {"why": why, **fields})


def _client_and_message(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """The client settings and message, in scenario syntax: a scenario's, or the flags'."""
    if args.like:
        path = find_scenario(args.like).path
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return dict(data.get("client") or {}), dict(data.get("message") or {})
    client: dict[str, Any] = {"timeout": args.timeout}
    if args.enable_ssl:
        client["enable_ssl"] = True
    if args.user:
        password = os.environ.get(args.password_env)
        if password is None:
            raise ValueError(f"--user needs the password in ${args.password_env}")
        client["credentials"] = {"user": args.user, "password": password}
    return client, {"from": args.sender, "to": args.to or ["rcpt@example.com"]}


def _listening(args: argparse.Namespace, upstream: tuple[str, int], listen: tuple[str, int],
               tls: ssl.SSLContext, out: Path, labels: dict[str, Any]) -> int:
    ended = threading.Semaphore(0)
    proxy = RecordingProxy(upstream, tls, args.upstream_name,
                           listener=lambda event: print(render_event(event), flush=True),
                           on_closed=ended.release)
    host = shared_host()
    try:
        port = host.call(proxy.start(*listen))
    except OSError as error:
        print(f"error: cannot listen on {args.listen}: {error}", file=sys.stderr)
        return 2
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _interrupt)
    print(f"recording {proxy.recording.upstream} on {listen[0]}:{port}: point a client "
          f"there; STARTTLS: trust {ca_file()}; writes after {args.sessions} session(s) "
          "or Ctrl-C", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        for _ in range(args.sessions):
            while not ended.acquire(timeout=0.25):
                pass
    host.call(proxy.stop(settle=0.5))
    if not proxy.recording.connections:
        print("nothing recorded: no client connected", file=sys.stderr)
        return 2
    document = compose(proxy.recording, proxy.transcript, None, **labels)
    _write(out, scenario_text(document, None))
    print(f"wrote {out}: {len(proxy.recording.connections)} connection(s); fill in "
          f"expect.raises ({TO_COMPLETE}), then: smtp-harness validate {out}")
    return 0


def _unreachable(live: LiveRun) -> bool:
    """Nothing worth writing: the server was not reached, the client never came, or the
    proxy itself failed (its recording cannot be trusted)."""
    notes = [n for c in live.recording.connections for n in c.notes
             if n.startswith("could not connect")]
    problems = notes + live.transcript.harness_errors
    if problems or not live.recording.connections:
        print(f"error: {problems[0] if problems else 'the client never connected to the proxy'}",
              file=sys.stderr)
        return True
    return False


def _summary(live: LiveRun, out: Path, client: str) -> None:
    print(f"{client}: {live.outcomes[-1].describe() if live.outcomes else '?'} against "
          f"{live.recording.greeting or live.recording.upstream}")
    for connection in live.recording.connections:
        for note in connection.notes:
            print(f"  note: {note}")


def _write(out: Path, text: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r}: expected HOST:PORT")
    return host.strip("[]"), int(port)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt
