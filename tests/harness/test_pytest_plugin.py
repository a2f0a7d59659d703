"""The pytest plugin, run inside pytester: scenario items, ids, -k, junitxml, the fixture, and
staying out of the way of a project that did not ask for it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

OK = """\
    id: x/ok
    condition: delivered
    server: {}
    expect: {raises: null, server: {delivered_to: [rcpt@example.com]}}
    """
BAD = """\
    id: x/bad
    condition: recipients-failed
    description: Expects a failure the server never causes.
    server: {}
    expect:
      raises: SmtpFailedRecipientException
      status_code: MailboxUnavailable
    """
REJECTED = """\
    id: y/rejected
    condition: server-reply-failed
    server: {mail: {reply: "553 5.1.8 bad sender"}}
    expect: {raises: SmtpException, status_code: MailboxNameNotAllowed}
    """


QUIET = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:xdist", "-p", "no:randomly")
"""Plugins this suite does not need; hypothesis alone adds half a second to every run."""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*QUIET, *args)


def write(pytester: pytest.Pytester, name: str, text: str) -> Path:
    path = pytester.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def scenarios(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nsmtp_scenarios = scenarios\n")
    write(pytester, "scenarios/x/ok.yaml", OK)
    write(pytester, "scenarios/x/bad.yaml", BAD)
    write(pytester, "scenarios/y/rejected.yml", REJECTED)
    return pytester


def test_outcomes_of_passing_and_failing_scenarios(scenarios: pytest.Pytester) -> None:
    result = run(scenarios)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*FAILED scenarios/x/bad.yaml::x/bad[[]netmail[]]*",
    ])
    text = result.stdout.str()
    assert "x/bad [netmail]: fail" in text
    assert "raises: expected SmtpFailedRecipientException, got success" in text
    assert "transcript:" in text and "C: EHLO" in text
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_item_ids(scenarios: pytest.Pytester) -> None:
    result = run(scenarios, "--collect-only", "-q")
    result.assert_outcomes()
    ids = [line for line in result.stdout.lines if "::" in line]
    assert sorted(ids) == ["scenarios/x/bad.yaml::x/bad[netmail]",
                           "scenarios/x/ok.yaml::x/ok[netmail]",
                           "scenarios/y/rejected.yml::y/rejected[netmail]"]


def test_one_item_per_client(scenarios: pytest.Pytester) -> None:
    result = run(scenarios, "--collect-only", "-q", "--smtp-client", "netmail",
                                 "--smtp-client", "smtplib")
    ids = [line.split("::")[1] for line in result.stdout.lines if "::" in line]
    assert sorted(ids) == ["x/bad[netmail]", "x/bad[smtplib]", "x/ok[netmail]",
                           "x/ok[smtplib]", "y/rejected[netmail]", "y/rejected[smtplib]"]


def test_keyword_selection(scenarios: pytest.Pytester) -> None:
    result = run(scenarios, "-k", "ok or rejected", "-v")
    result.assert_outcomes(passed=2, deselected=1)
    result.stdout.fnmatch_lines(["*x/ok[[]netmail[]] PASSED*",
                                 "*y/rejected[[]netmail[]] PASSED*"])
    assert "x/bad" not in result.stdout.str().replace("deselected", "")
    result = run(scenarios, "-k", "not bad")
    result.assert_outcomes(passed=2, deselected=1)
    result = run(scenarios, "-k", "x and not ok")
    result.assert_outcomes(failed=1, deselected=2)


def test_scenario_marker(scenarios: pytest.Pytester) -> None:
    write(scenarios, "test_plain.py", "def test_plain():\n    pass\n")
    result = run(scenarios, "-m", "smtp_scenario", "--strict-markers", "-k", "not bad")
    result.assert_outcomes(passed=2, deselected=2)
    result = run(scenarios, "-m", "not smtp_scenario", "--strict-markers")
    result.assert_outcomes(passed=1, deselected=3)


def test_junitxml_contains_the_ids(scenarios: pytest.Pytester) -> None:
    report = scenarios.path / "out" / "junit.xml"
    result = run(scenarios, f"--junitxml={report}")
    result.assert_outcomes(passed=2, failed=1)
    cases = ET.parse(report).getroot().iter("testcase")
    by_name = {case.get("name"): case for case in cases}
    assert set(by_name) == {"x/ok[netmail]", "x/bad[netmail]", "y/rejected[netmail]"}
    assert by_name["x/bad[netmail]"].find("failure") is not None
    assert by_name["x/ok[netmail]"].find("failure") is None
    failure = by_name["x/bad[netmail]"].find("failure")
    assert failure is not None
    assert "raises: expected SmtpFailedRecipientException" in (failure.text or "") + \
        (failure.get("message") or "")


def test_broken_file_is_a_one_line_collection_error(scenarios: pytest.Pytester) -> None:
    broken = write(scenarios, "scenarios/z/broken.yaml", """\
        id: z/broken
        condition: delivered
        expect:
          raises: null
          server: {bogus: 1}
        """)
    result = run(scenarios)
    result.assert_outcomes(errors=1)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    text = result.stdout.str()
    assert "Traceback" not in text
    message = f"{broken}:5: expect.server.bogus: unknown field"
    lines = [line for line in result.stdout.lines if message in line]
    assert lines, text
    # The error section holds that one line and nothing more.
    section = text.split("ERROR collecting scenarios/z/broken.yaml")[1].split("=====")[0]
    body = [line for line in section.split("\n")[1:] if line.strip() and not
            set(line.strip()) <= {"_"}]
    assert len(body) == 1 and message in body[0], section
    # The other files still run when asked to go on.
    result = run(scenarios, "--continue-on-collection-errors")
    result.assert_outcomes(passed=2, failed=1, errors=1)


def test_collection_error_for_bad_yaml(pytester: pytest.Pytester) -> None:
    broken = write(pytester, "bad.smtp.yaml", "id: a\ncondition: [\n")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    assert any(line.strip().startswith(f"{broken}:") and "invalid YAML" in line
               for line in result.stdout.lines), result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_an_unrelated_project_is_left_alone(pytester: pytest.Pytester) -> None:
    """Installed, the plugin collects nothing nobody asked for: not even a directory named
    scenarios, or YAML that happens to look like a scenario."""
    write(pytester, "tests/scenarios/load.yaml", "users: 100\nramp: 10s\n")
    write(pytester, "scenarios/ok.yaml", OK)
    write(pytester, "tests/test_plain.py", "def test_plain():\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK


def test_ini_option_names_the_scenario_paths(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsmtp_scenarios = contract other/ok.yaml\n")
    write(pytester, "contract/ok.yaml", OK)
    write(pytester, "other/ok.yaml", OK.replace("x/ok", "x/other"))
    write(pytester, "scenarios/bad.yaml", BAD)
    result = run(pytester)
    result.assert_outcomes(passed=2)


def test_a_file_can_declare_itself_a_scenario(pytester: pytest.Pytester) -> None:
    write(pytester, "tests/smtp/ok.smtp.yaml", OK)
    write(pytester, "tests/smtp/other.yaml", BAD)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*ok.smtp.yaml::x/ok[[]netmail[]] PASSED*"])


def test_command_line_paths_run_in_addition(pytester: pytest.Pytester) -> None:
    write(pytester, "elsewhere/ok.yaml", OK)
    write(pytester, "tests/test_plain.py", "def test_plain():\n    pass\n")
    result = run(pytester, "tests", "--smtp-scenarios", "elsewhere")
    result.assert_outcomes(passed=2)
    result = run(pytester, "--smtp-scenarios", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--smtp-scenarios nowhere: no such file or directory" in result.stderr.str()


def test_the_builtin_library_on_request(pytester: pytest.Pytester) -> None:
    from harness.library import builtin_dir
    from harness.loader import scenario_files

    result = run(pytester, "--smtp-scenarios", "builtin", "--collect-only", "-q")
    ids = [line for line in result.stdout.lines if "::" in line]
    assert len(ids) == len(scenario_files([builtin_dir()])) > 300
    assert any(line.endswith("::recipients/middle-rejected[netmail]") for line in ids)


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    """pytest imports every installed plugin at start-up: this one must cost nothing and
    change no global state (the scripted server's settings are its own)."""
    code = ("import sys, harness.pytest_plugin\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('aiosmtpd', 'netmail', 'yaml', 'jsonschema', 'ruamel', 'trustme') "
            "or m.startswith('harness.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "['harness.pytest_plugin']"


def test_smtp_server_fixture_in_a_test_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_uses_fixture="""
        import smtplib


        def test_rejects_bad(smtp_server):
            server = smtp_server({"rcpt": [{"match": "bad@example.com",
                                            "reply": "550 5.1.1 No such user"}]})
            with smtplib.SMTP(server.address, server.port, timeout=3) as client:
                client.ehlo()
                client.mail("a@example.com")
                assert client.rcpt("bad@example.com")[0] == 550
                assert client.rcpt("good@example.com")[0] == 250
                client.data(b"Subject: t\\r\\n\\r\\nhi\\r\\n")
            assert server.stop().delivered_to == ["good@example.com"]


        def test_default_script(smtp_server):
            server = smtp_server()
            with smtplib.SMTP(server.address, server.port, timeout=3) as client:
                assert client.ehlo()[0] == 250
            assert server.transcript.commands == ["EHLO", "QUIT"]


        def test_bad_script(smtp_server):
            smtp_server({"rcpt": {"drop": "sideways"}})
        """)
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*ScenarioError: smtp_server(): server.rcpt*"])


def test_a_failing_fixture_test_shows_the_transcript(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fails="""
        import smtplib


        def test_expects_the_wrong_code(smtp_server):
            server = smtp_server({"mail": {"reply": "553 5.1.8 bad sender"}})
            with smtplib.SMTP(server.address, server.port, timeout=3) as client:
                client.ehlo()
                assert client.mail("a@example.com")[0] == 250


        def test_passes(smtp_server):
            server = smtp_server()
            with smtplib.SMTP(server.address, server.port, timeout=3) as client:
                client.noop()
        """)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*smtp_server transcript (1 of 1, 127.0.0.1:*)*",
                                 "*S: 220 *", "*C: mail FROM:<a@example.com>*",
                                 "*S: 553 5.1.8 bad sender*"])
    assert result.stdout.str().count("smtp_server transcript") == 1


def test_unknown_client_is_a_usage_error(scenarios: pytest.Pytester) -> None:
    result = run(scenarios, "--smtp-client", "nosuch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: --smtp-client: unknown client 'nosuch'" in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_client_missing_here_is_skipped_with_the_reason(scenarios: pytest.Pytester) -> None:
    result = run(scenarios, "--smtp-client", "gone=cmd:/nonexistent/driver", "-k", "ok", "-rs")
    result.assert_outcomes(skipped=1, deselected=2)
    result.stdout.fnmatch_lines(
        ["*gone=cmd:/nonexistent/driver cannot run here: cannot start /nonexistent/driver*"])
    every = run(scenarios, "--smtp-client", "gone=cmd:/nonexistent/driver")
    every.assert_outcomes(skipped=3)


def test_a_scenario_the_client_cannot_express_is_skipped_with_the_reason(
        pytester: pytest.Pytester) -> None:
    """smtplib has no pickup-directory delivery: ``smtp-harness run`` says "not runnable"."""
    write(pytester, "scenarios/pickup.smtp.yaml", """\
        id: p/pickup
        condition: delivered
        client: {delivery_method: pickup, pickup_directory: absolute}
        expect: {raises: null, pickup_files: 1}
        """)
    result = run(pytester, "--smtp-client", "smtplib", "--smtp-client", "netmail", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*smtplib cannot run this scenario: *pickup*"])


def test_a_server_that_broke_itself_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken_server="""
        import smtplib

        from harness.server.smtp import ScriptedSMTP


        def test_passes_on_a_broken_server(smtp_server, monkeypatch):
            async def broken(self, envelope):
                raise KeyError("a harness bug")

            monkeypatch.setattr(ScriptedSMTP, "end_of_data", broken)
            server = smtp_server()
            with smtplib.SMTP(server.address, server.port, timeout=3) as client:
                try:
                    client.sendmail("a@example.com", ["b@example.com"], b"hi")
                except smtplib.SMTPDataError:
                    pass  # a test that accepts any refusal would pass here
        """)
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the scripted server failed: KeyError: 'a harness bug'*"])


SLOW = """\
    id: w/slow-{n}
    condition: delivered
    description: A greeting one second late, well within the client's timeout.
    server: {{greeting: {{delay: 1.0}}}}
    client: {{timeout: 5}}
    expect: {{raises: null, server: {{delivered_to: [rcpt@example.com]}}}}
    """
WAITING = 6


@pytest.fixture
def waiting(pytester: pytest.Pytester) -> pytest.Pytester:
    """Six scenarios that each wait a second, and a failing one among them."""
    pytester.makeini("[pytest]\nsmtp_scenarios = scenarios\n")
    for n in range(WAITING):
        write(pytester, f"scenarios/w/slow-{n}.yaml", SLOW.format(n=n))
    write(pytester, "scenarios/w/slow-3b.yaml", BAD.replace("x/bad", "w/slow-3b"))
    return pytester


def test_waiting_scenarios_overlap_and_keep_their_own_verdicts(waiting: pytest.Pytester) -> None:
    """The waits overlap: six one-second greetings take well under six seconds (serially they
    cannot take less), and the one failing scenario among them is the one reported."""
    result = run(waiting, "-v")
    result.assert_outcomes(passed=WAITING, failed=1)
    result.stdout.fnmatch_lines(["*w/slow-3b[[]netmail[]] FAILED*"])
    assert "w/slow-3b [netmail]: fail" in result.stdout.str()
    for n in range(WAITING):
        result.stdout.fnmatch_lines([f"*w/slow-{n}[[]netmail[]] PASSED*"])
    assert result.duration < WAITING - 2, result.stdout.str()


def test_one_job_runs_each_item_in_its_turn(waiting: pytest.Pytester) -> None:
    result = run(waiting, "--smtp-jobs", "1", "-k", "not 3b")
    result.assert_outcomes(passed=WAITING, deselected=1)
    assert result.duration >= WAITING  # one greeting delay after another
    result = run(waiting, "--smtp-jobs", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--smtp-jobs: 0: must be 1 or more" in result.stderr.str()


def test_exitfirst_stops_at_the_first_failure(waiting: pytest.Pytester) -> None:
    """-x reports the first failing item and stops: the runs started ahead of the items it
    never reaches are not waited for."""
    write(waiting, "scenarios/a/bad.yaml", BAD)
    result = run(waiting, "-x")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAILED scenarios/a/bad.yaml::x/bad[[]netmail[]]*"])
    assert result.duration < WAITING - 2


def test_selection_of_single_items_and_last_failed(waiting: pytest.Pytester) -> None:
    result = run(waiting, "scenarios/w/slow-2.yaml::w/slow-2[netmail]", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*w/slow-2[[]netmail[]] PASSED*"])
    # In a process of its own: the cache must not be the outer run's (which may disable it).
    quiet = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:xdist")
    waiting.runpytest_subprocess(*quiet).assert_outcomes(passed=WAITING, failed=1)
    again = waiting.runpytest_subprocess(*quiet, "--lf", "-v")
    again.assert_outcomes(failed=1)  # the files that passed are not even collected
    again.stdout.fnmatch_lines(["*w/slow-3b[[]netmail[]] FAILED*"])


def test_scenarios_never_run_alongside_other_tests(pytester: pytest.Pytester) -> None:
    """Runs start ahead only within an unbroken series of scenario items: a Python test in
    between (which may patch what a scenario uses) runs alone."""
    pytester.makeini("[pytest]\nsmtp_scenarios = a c\n")
    write(pytester, "a/ok.yaml", OK)
    write(pytester, "c/ok.yaml", OK.replace("x/ok", "x/later"))
    write(pytester, "b/test_between.py", "def test_alone():\n    pass\n")
    pytester.makeconftest("""\
        import harness.pytest_plugin as plugin

        SEEN = []


        def pytest_runtest_call(item):
            if item.name == "test_alone":
                ahead = item.config.stash.get(plugin._AHEAD, None)
                SEEN.append(ahead is None or "x/later" not in str(list(ahead._futures)))


        def pytest_sessionfinish(session):
            assert SEEN == [True], SEEN
        """)
    result = run(pytester, "a", "b", "c", "-p", "no:randomly")
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.OK


def test_under_xdist(scenarios: pytest.Pytester) -> None:
    """-n 2: every item still gets its own verdict, reported on the right item."""
    result = scenarios.runpytest_subprocess("-p", "no:hypothesispytest", "-p", "no:benchmark",
                                            "-n", "2", "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*FAILED scenarios/x/bad.yaml::x/bad[[]netmail[]]*"])
    assert "raises: expected SmtpFailedRecipientException, got success" in result.stdout.str()
