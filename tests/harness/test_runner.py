"""Running scenarios: real scripted servers, the netmail adapter, ordering and time bounds."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import runner
from harness.adapters import ClientRequest, NetmailAdapter
from harness.adapters.process import NotRunnable
from harness.model import Scenario
from harness.outcome import Outcome
from harness.runner import budget, run_all, run_scenario
from harness.server import HOST, ca_file
from harness.verdict import ERROR, FAIL, PASS, Verdict

MakeScenario = Callable[[str], Scenario]

DELIVERED = """\
    id: run/delivered
    condition: delivered
    server: {}
    message: {from: s@example.com, to: [a@example.com, b@example.com]}
    expect:
      raises: null
      server:
        connections: 1
        commands: [EHLO, MAIL, RCPT, RCPT, DATA, QUIT]
        delivered_to: [a@example.com, b@example.com]
        messages: 1
        data_contains: ["From: s@example.com"]
    """


class Recording:
    """A real adapter in between: keeps every request, and the pickup directory's contents."""

    def __init__(self, inner: NetmailAdapter | None = None) -> None:
        self.inner = inner or NetmailAdapter()
        self.name = self.inner.name
        self.requests: list[ClientRequest] = []
        self.pickup_seen: list[str] = []

    def start(self) -> None:
        self.inner.start()

    def run(self, request: ClientRequest) -> list[Outcome]:
        self.requests.append(request)
        outcomes = self.inner.run(request)
        if request.pickup_directory and os.path.isdir(request.pickup_directory):
            self.pickup_seen = sorted(os.listdir(request.pickup_directory))
        return outcomes

    def close(self) -> None:
        self.inner.close()


class Hung:
    """An adapter whose client never returns (until the test lets it go)."""

    name = "hung"

    def __init__(self) -> None:
        self.release = threading.Event()

    def start(self) -> None:
        pass

    def run(self, request: ClientRequest) -> list[Outcome]:
        self.release.wait(30)
        return [Outcome()]

    def close(self) -> None:
        self.release.set()


class Broken:
    name = "broken"

    def start(self) -> None:
        pass

    def run(self, request: ClientRequest) -> list[Outcome]:
        raise ValueError("the adapter itself is broken")

    def close(self) -> None:
        pass


class Unable:
    """A client that cannot run this kind of request here (its runtime lacks TLS, say)."""

    name = "unable"
    lacks = frozenset({"tls"})

    def start(self) -> None:
        pass

    def run(self, request: ClientRequest) -> list[Outcome]:
        raise NotRunnable("no TLS in this runtime")

    def close(self) -> None:
        pass


class Writer:
    """Writes files into the pickup directory, to check what the runner counts."""

    name = "writer"

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def start(self) -> None:
        pass

    def run(self, request: ClientRequest) -> list[Outcome]:
        assert request.pickup_directory is not None
        for name in self.names:
            Path(request.pickup_directory, name).write_text("x")
        return [Outcome()]

    def close(self) -> None:
        pass


# -- run_scenario with netmail ------------------------------------------------------------


def test_delivered_scenario_passes(make_scenario: MakeScenario) -> None:
    verdict = run_scenario(make_scenario(DELIVERED), NetmailAdapter())
    assert verdict.status == PASS, verdict.explain()
    assert verdict.client == "netmail"
    assert verdict.transcript is not None
    assert verdict.transcript.delivered_to == ["a@example.com", "b@example.com"]
    assert verdict.actual is not None and verdict.actual.exception is None
    assert 0 < verdict.seconds < 2


def test_failing_expectation_fails(make_scenario: MakeScenario) -> None:
    scenario = make_scenario(DELIVERED.replace("raises: null", "raises: SmtpException"))
    verdict = run_scenario(scenario, NetmailAdapter())
    assert verdict.status == FAIL
    assert verdict.differences == ("raises: expected SmtpException, got success",)


def test_no_server_means_a_refused_port(make_scenario: MakeScenario) -> None:
    scenario = make_scenario("""\
        id: run/refused
        condition: connect-failed
        server: null
        expect:
          raises: SmtpException
          status_code: GeneralFailure
          inner: ConnectionRefusedError
        """)
    adapter = Recording()
    verdict = run_scenario(scenario, adapter)
    assert verdict.status == PASS, verdict.explain()
    assert verdict.transcript is None
    request = adapter.requests[0]
    assert request.host == HOST and request.port > 0
    assert request.ca_file is None


def test_recipient_rejected_with_scripted_server(make_scenario: MakeScenario) -> None:
    scenario = make_scenario("""\
        id: run/some-rejected
        condition: recipients-failed
        server:
          rcpt: [{match: bad@example.com, reply: "550 5.1.1 No such user"}]
        message: {from: s@example.com, to: [a@example.com, bad@example.com]}
        expect:
          raises: SmtpFailedRecipientException
          status_code: MailboxUnavailable
          failed_recipients: ["<bad@example.com>"]
          server: {delivered_to: [a@example.com], data_sent: true}
        """)
    verdict = run_scenario(scenario, NetmailAdapter())
    assert verdict.status == PASS, verdict.explain()


def test_request_is_resolved_from_the_scenario(make_scenario: MakeScenario) -> None:
    scenario = make_scenario("""\
        id: run/request
        condition: port-invalid
        server: {tls: {certificate: trusted}}
        client: {host: "", port: 70000, timeout: 1.5, enable_ssl: true, sends: 2,
                 credentials: {user: u, password: p}}
        expect: {raises: InvalidOperationException}
        """)
    adapter = Recording()
    verdict = run_scenario(scenario, adapter)
    request = adapter.requests[0]
    assert (request.host, request.port, request.timeout, request.sends) == ("", 70000, 1.5, 2)
    assert request.enable_ssl and request.credentials == ("u", "p")
    assert request.ca_file == ca_file()
    assert request.scenario == "run/request"
    assert request.to_json()["credentials"] == {"user": "u", "password": "p"}
    # Both sends fail the documented host check; the first failure is reported too.
    assert [o.exception for o in verdict.outcomes] == ["InvalidOperationException"] * 2
    assert verdict.differences == ("send 1 of 2: raises: expected success, got "
                                   "InvalidOperationException",)


def test_sends_share_one_client(make_scenario: MakeScenario) -> None:
    scenario = make_scenario("""\
        id: run/reuse
        condition: connection-reuse
        server: {}
        client: {sends: 2}
        expect: {raises: null, server: {messages: 2}}
        """)
    verdict = run_scenario(scenario, NetmailAdapter())
    assert verdict.status == PASS, verdict.explain()
    assert len(verdict.outcomes) == 2


# -- pickup directory ---------------------------------------------------------------------

PICKUP = """\
    id: run/pickup
    condition: delivered
    client: {delivery_method: pickup, pickup_directory: absolute, sends: 2}
    expect: {raises: null, pickup_files: 2}
    """


def test_pickup_files_are_counted_and_the_directory_removed(make_scenario: MakeScenario) -> None:
    adapter = Recording()
    verdict = run_scenario(make_scenario(PICKUP), adapter)
    assert verdict.status == PASS, verdict.explain()
    directory = adapter.requests[0].pickup_directory
    assert directory is not None and os.path.isabs(directory)
    assert [name.endswith(".eml") for name in adapter.pickup_seen] == [True, True]
    assert not os.path.exists(directory)


def test_only_eml_files_count(make_scenario: MakeScenario) -> None:
    verdict = run_scenario(make_scenario(PICKUP),
                           Writer(["a.eml", "b.eml", "c.eml", ".x.tmp", "notes.txt"]))
    assert verdict.differences == ("pickup_files: expected 2, got 3",)


def test_pickup_directory_given_as_is(make_scenario: MakeScenario) -> None:
    scenario = make_scenario("""\
        id: run/pickup-relative
        condition: delivered
        client: {delivery_method: pickup, pickup_directory: relative/dir}
        expect: {raises: SmtpException, message_contains: absolute}
        """)
    adapter = Recording()
    verdict = run_scenario(scenario, adapter)
    assert adapter.requests[0].pickup_directory == "relative/dir"
    assert verdict.status == PASS, verdict.explain()


def test_no_pickup_directory_means_no_count(make_scenario: MakeScenario) -> None:
    verdict = run_scenario(make_scenario(DELIVERED.replace("raises: null",
                                                           "raises: null\n      pickup_files: 0")),
                           NetmailAdapter())
    assert verdict.differences == ("pickup_files: expected 0, got None",)


# -- run_all ------------------------------------------------------------------------------


def slow(make_scenario: MakeScenario, name: str, delay: float) -> Scenario:
    return make_scenario(f"""\
        id: run/{name}
        condition: delivered
        server: {{greeting: {{delay: {delay}}}}}
        expect: {{raises: null}}
        """)


def test_run_all_keeps_input_order(make_scenario: MakeScenario) -> None:
    """The slow scenario finishes last but is reported first, as it was given."""
    scenarios = [slow(make_scenario, "slow", 0.5), slow(make_scenario, "fast", 0),
                 make_scenario(DELIVERED)]
    seen: list[Verdict] = []
    verdicts = run_all(scenarios, [NetmailAdapter(), NetmailAdapter(name="second")], jobs=6,
                       on_verdict=seen.append)
    assert [(v.scenario.id, v.client) for v in verdicts] == [
        ("run/slow", "netmail"), ("run/slow", "second"),
        ("run/fast", "netmail"), ("run/fast", "second"),
        ("run/delivered", "netmail"), ("run/delivered", "second")]
    assert seen == verdicts
    assert all(v.status == PASS for v in verdicts), [v.explain() for v in verdicts]


def test_run_all_runs_in_parallel(make_scenario: MakeScenario) -> None:
    scenarios = [slow(make_scenario, f"p{i}", 0.4) for i in range(6)]
    started = time.monotonic()
    verdicts = run_all(scenarios, [NetmailAdapter()], jobs=6)
    assert time.monotonic() - started < 1.4  # 6 x 0.4 s one after another would be 2.4 s
    assert [v.status for v in verdicts] == [PASS] * 6


def test_run_all_jobs_one_is_sequential(make_scenario: MakeScenario) -> None:
    scenarios = [slow(make_scenario, f"s{i}", 0.25) for i in range(3)]
    started = time.monotonic()
    verdicts = run_all(scenarios, [NetmailAdapter()], jobs=1)
    assert time.monotonic() - started >= 0.7
    assert [v.status for v in verdicts] == [PASS] * 3


def failing(make_scenario: MakeScenario, name: str) -> Scenario:
    return make_scenario(f"""\
        id: run/{name}
        condition: delivered
        server: {{}}
        expect: {{raises: SmtpException}}
        """)


def test_exitfirst_stops_at_the_first_failure(make_scenario: MakeScenario) -> None:
    """A failure that finishes while an earlier, slow scenario still runs ends the run: the
    verdicts so far, ending with the failure; what had not started is never run."""
    scenarios = [slow(make_scenario, "slow", 1.0), failing(make_scenario, "wrong"),
                 *(slow(make_scenario, f"later{i}", 0) for i in range(6))]
    seen: list[Verdict] = []
    verdicts = run_all(scenarios, [NetmailAdapter()], jobs=2, on_verdict=seen.append,
                       exitfirst=True)
    assert [(v.scenario.id, v.status) for v in verdicts] == [("run/wrong", FAIL)]
    assert seen == verdicts


def test_exitfirst_without_failures_runs_everything(make_scenario: MakeScenario) -> None:
    scenarios = [slow(make_scenario, f"ok{i}", 0) for i in range(4)]
    verdicts = run_all(scenarios, [NetmailAdapter()], jobs=2, exitfirst=True)
    assert [v.status for v in verdicts] == [PASS] * 4


def test_run_all_with_nothing() -> None:
    assert run_all([], [NetmailAdapter()]) == []


def test_broken_adapter_is_an_error_with_the_transcript(make_scenario: MakeScenario) -> None:
    [verdict] = run_all([make_scenario(DELIVERED)], [Broken()])
    assert verdict.status == ERROR
    assert verdict.differences == (
        "the adapter failed: ValueError: the adapter itself is broken",)
    assert verdict.transcript is not None and verdict.transcript.connections == 0


def test_not_runnable_for_no_declared_lack_is_an_error(make_scenario: MakeScenario) -> None:
    """Fail closed: the scenario needs no TLS, so "no TLS" explains nothing."""
    [verdict] = run_all([make_scenario(DELIVERED)], [Unable()])
    assert verdict.status == ERROR
    assert "not for what unable declares it lacks" in verdict.differences[0]
    assert verdict.transcript is not None and verdict.transcript.connections == 0


# -- time bounds --------------------------------------------------------------------------


def test_budget(make_scenario: MakeScenario) -> None:
    scenario = make_scenario("""\
        id: run/budget
        condition: timeout
        server:
          greeting: {delay: 0.5}
          rcpt: [{delay: 0.25}, {delay: 1}]
        client: {timeout: 2, sends: 3}
        expect: {raises: null}
        """)
    assert budget(scenario) == pytest.approx((2 + 0.5 + 1) * 3 + runner._MARGIN)


def test_hung_adapter_is_an_error_within_its_budget(
        make_scenario: MakeScenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that never returns is reported once its budget is spent, not later.

    The budget is the client timeout plus delays plus a fixed margin; the margin (10 s) is
    made small here so the test stays fast.
    """
    monkeypatch.setattr(runner, "_MARGIN", 0.6)
    scenario = make_scenario("""\
        id: run/hung
        condition: timeout
        server: {}
        client: {timeout: 0.2}
        expect: {raises: SmtpException}
        """)
    limit = budget(scenario)
    assert limit == pytest.approx(0.8)
    adapter = Hung()
    try:
        started = time.monotonic()
        [verdict] = run_all([scenario], [adapter])
        elapsed = time.monotonic() - started
    finally:
        adapter.release.set()
    assert verdict.status == ERROR and not verdict.passed
    assert verdict.differences == (f"the client did not return within {limit:.1f} s",)
    assert elapsed < limit + 0.4, f"reported after {elapsed:.2f} s, budget {limit:.2f} s"
    assert verdict.seconds < limit + 0.4


def test_hung_client_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    """``never waited for``: once a hung client is reported, the process can still exit."""
    scenario = tmp_path / "hung.yaml"
    scenario.write_text("id: hung\ncondition: timeout\nclient: {timeout: 0.1}\n"
                        "expect: {raises: SmtpException}\n")
    script = tmp_path / "hang.py"
    script.write_text(textwrap.dedent("""\
        import sys, time
        from pathlib import Path
        from harness import runner
        from harness.loader import load_scenario

        runner._MARGIN = 0.2

        class Hung:
            name = "hung"
            def run(self, request):
                time.sleep(60)
            def close(self):
                pass

        [verdict] = runner.run_all([load_scenario(Path(sys.argv[1]))], [Hung()])
        print(verdict.status, flush=True)
        """))
    process = subprocess.Popen([sys.executable, str(script), str(scenario)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=4)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"the process did not exit after reporting {stdout.strip()!r}: "
                    "it waits for the hung client's thread")
    assert stdout.strip() == "error", stderr


def test_envelope_and_message_facts_are_judged(make_scenario: MakeScenario) -> None:
    """Command arguments match with parameters in any order and case and ``*`` wildcards;
    a wrong argument, a wrong header or a wrong connection fails with its field named."""
    def scenario(mail_from: str, header: str, connections: str) -> Scenario:
        return make_scenario(f"""\
            id: run/envelope
            condition: delivered
            server: {{extensions: [8BITMIME, "SIZE 1000000"]}}
            message: {{from: '"Ann" <ann@example.com>', to: [b@example.com]}}
            expect:
              server:
                mail_from: ["{mail_from}"]
                rcpt_to: ["<b@example.com>"]
                message_connections: {connections}
                message: {{headers: {{From: '{header}'}}, defects: 0}}
            """)
    good = run_scenario(scenario("<ann@example.com> size=*", "Ann <ann@example.com>", "[1]"),
                        NetmailAdapter())
    assert good.status == PASS, good.explain()
    bad = run_scenario(scenario("<ann@example.com> SIZE=1 BODY=8BITMIME", "Bob <ann@example.com>",
                                "[2]"), NetmailAdapter())
    assert bad.status == FAIL
    assert [d.split(":")[0] for d in bad.differences] == [
        "server.mail_from", "server.message_connections", "server.message.headers.From"]


REFUSED_AT_END = """\
    id: run/refused-at-end
    condition: server-reply-failed
    server: {end_of_data: {reply: "554 5.0.0 no"}}
    expect: {raises: SmtpException, status_code: TransactionFailed}
    """


def test_a_broken_server_is_an_error_not_a_verdict(make_scenario: MakeScenario,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the scripted server's own code becomes a 500 reply in aiosmtpd's hands; a
    client failing on it could match the expectation. The runner reports an error instead."""
    from harness.server.smtp import ScriptedSMTP

    scenario = make_scenario(REFUSED_AT_END)
    assert run_scenario(scenario, NetmailAdapter()).status == PASS

    async def broken(self: ScriptedSMTP, envelope: object) -> str:
        raise KeyError("a harness bug")

    monkeypatch.setattr(ScriptedSMTP, "end_of_data", broken)
    verdict = run_scenario(scenario, NetmailAdapter())
    assert verdict.status == ERROR
    assert verdict.differences == ("the scripted server failed: KeyError: 'a harness bug'",)
    assert verdict.transcript is not None
    assert "harness error: KeyError" in verdict.transcript.render()


# asyncio leaves the accepted socket to the garbage collector when the factory raises
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_server_that_cannot_serve_a_connection_is_an_error(
        make_scenario: MakeScenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """asyncio closes a connection whose protocol cannot be made, and says nothing: a client
    would see a server that hangs up, which some scenarios expect."""
    from harness.server.smtp import ScriptedSMTP

    def broken(self: ScriptedSMTP, *args: object) -> None:
        raise RuntimeError("cannot build")

    monkeypatch.setattr(ScriptedSMTP, "__init__", broken)
    verdict = run_scenario(make_scenario(DELIVERED), NetmailAdapter())
    assert verdict.status == ERROR
    assert verdict.differences[0].startswith(
        "the scripted server failed: cannot serve a connection: RuntimeError: cannot build")


def test_aiosmtpds_own_failure_stays_its_reply(make_scenario: MakeScenario) -> None:
    """An address aiosmtpd's parser cannot read makes aiosmtpd answer 500, as any aiosmtpd
    server would: the server's behaviour, judged as such, not a harness error."""
    scenario = make_scenario("""\
        id: run/unparsable
        condition: recipients-failed
        server: {}
        message: {from: s@example.com, to: ['a@example.com']}
        expect: {raises: null}
        """)
    verdict = run_scenario(scenario, SmtplibRcpt('()""@[\\\\]()'))
    assert verdict.status == FAIL
    assert verdict.transcript is not None and not verdict.transcript.harness_errors
    assert "S: 500 Error: (AttributeError)" in verdict.transcript.render()


class SmtplibRcpt:
    """A client that sends one RCPT TO with the argument as it is (as smtplib would)."""

    name = "raw-rcpt"

    def __init__(self, argument: str) -> None:
        self.argument = argument

    def start(self) -> None:
        pass

    def run(self, request: ClientRequest) -> list[Outcome]:
        import smtplib

        with smtplib.SMTP(request.host or "", request.port, timeout=5) as client:
            client.ehlo()
            client.mail("s@example.com")
            code, _ = client.rcpt(self.argument)
        return [Outcome(exception=None if code < 400 else "Refused", status_code=code)]

    def close(self) -> None:
        pass


def test_each_verdict_lets_go_of_what_it_yielded() -> None:
    """The CLI keeps a report row, not the verdict (its transcript holds every message the
    server received): once the caller drops a verdict, the runner must not hold it either."""
    import gc
    import weakref

    from harness.loader import load_scenarios

    scenarios, errors = load_scenarios([Path(__file__).parents[2] / "scenarios" / "recipients"])
    assert not errors
    seen: list[weakref.ref[Verdict]] = []
    for verdict in runner.each_verdict(scenarios[:6], [NetmailAdapter()], jobs=2):
        assert verdict.status == PASS, verdict.explain()
        gc.collect()  # mid-run, the generator still going: the earlier verdicts are gone
        assert [ref() for ref in seen] == [None] * len(seen)
        seen.append(weakref.ref(verdict))
        del verdict
    assert len(seen) == 6
