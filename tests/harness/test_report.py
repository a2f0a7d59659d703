"""Reports: the terminal table (one client, and the matrix), the HTML page's data and the
JSON document."""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import platform
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from harness.adapters import NetmailAdapter
from harness.manual import topic_path
from harness.model import FailedRecipient, Scenario
from harness.outcome import Outcome
from harness.report.fit import terminal_width
from harness.report.html import html_report
from harness.report.json_report import (
    SCHEMA,
    STATUSES,
    results_document,
    write_json,
)
from harness.report.progress import Progress
from harness.report.provenance import tool_version
from harness.report.result import Result
from harness.report.table import actual_text, expected_text, render_table, summary
from harness.runner import run_scenario
from harness.verdict import NOT_RUNNABLE, Verdict, harness_error, judge

MakeScenario = Callable[[str], Scenario]
ANSI = re.compile(r"\033\[\d+m")


@pytest.fixture
def verdicts(make_scenario: MakeScenario) -> dict[str, Verdict]:
    """One verdict of each status, judged from outcomes (no client needed)."""
    contract = make_scenario("""\
        id: report/connect-failed
        condition: connect-failed
        expect: {raises: SmtpException, status_code: GeneralFailure}
        profiles:
          quirky: {why: it reports the socket error, raises: OSError, status_code: -1}
        """)
    delivered = make_scenario("""\
        id: report/delivered
        condition: delivered
        expect: {raises: null}
        """)
    recipients = make_scenario("""\
        id: report/recipients
        condition: recipients-failed
        expect: {raises: SmtpFailedRecipientException, status_code: 550}
        """)
    refused = Outcome("SmtpException", -1, "Failure sending mail.", "ConnectionRefusedError")
    failed = Outcome("SmtpFailedRecipientsException", 550, "Unable to send to all recipients.",
                     failed_recipients=(FailedRecipient("<a@x>", 550),), seconds=0.25)
    return {
        "pass": judge(contract, "netmail", [refused], None, None, 0.1),
        "deviates": judge(contract, "quirky", [Outcome("OSError", -1)], None, None, 0.1),
        "fail": judge(recipients, "netmail", [failed], None, None, 0.3),
        "success": judge(delivered, "netmail", [Outcome()], None, None, 0.05),
        "error": harness_error(delivered, "netmail", "the client did not return within 13.0 s",
                               None, 26.0),
        "not-runnable": harness_error(recipients, "netmail", "not runnable: no TLS", None, 0.0,
                                      NOT_RUNNABLE),
    }


# -- cells --------------------------------------------------------------------------------


def test_expected_and_actual_text(verdicts: dict[str, Verdict]) -> None:
    assert expected_text(verdicts["pass"]) == "SmtpException(GeneralFailure)"
    assert actual_text(verdicts["pass"]) == "SmtpException(GeneralFailure)"
    assert expected_text(verdicts["success"]) == "success"
    assert actual_text(verdicts["success"]) == "success"
    assert expected_text(verdicts["fail"]) == "SmtpFailedRecipientException(MailboxUnavailable)"
    assert actual_text(verdicts["fail"]) == "SmtpFailedRecipientsException(MailboxUnavailable)"
    assert expected_text(verdicts["deviates"]) == (
        "SmtpException(GeneralFailure) [profile: OSError(GeneralFailure)]")
    assert actual_text(verdicts["error"]) == "the client did not return within 13.0 s"


# -- the table ----------------------------------------------------------------------------


def test_single_client_table(verdicts: dict[str, Verdict]) -> None:
    rows = [verdicts[k] for k in ("pass", "fail", "success", "error")]
    lines = render_table(rows).split("\n")
    assert lines[0].split() == ["condition", "scenario", "expected", "actual", "verdict"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + len(rows)
    # Every column starts where its header does.
    starts = [lines[0].index(h) for h in ("scenario", "expected", "actual", "verdict")]
    for line, verdict in zip(lines[2:], rows, strict=True):
        assert line.startswith(verdict.scenario.condition)
        assert line[starts[0]:].startswith(verdict.scenario.id)
        assert line[starts[3]:].rstrip() == verdict.status
        assert line[starts[1]:].startswith(expected_text(verdict))
        assert line[starts[2]:].startswith(actual_text(verdict))
    assert "…" not in "\n".join(lines)
    assert "\033" not in "\n".join(lines)


def test_without_a_width_nothing_is_cut(make_scenario: MakeScenario) -> None:
    """A CI log or a pipe: every cell whole, however long."""
    long_id = "report/" + "x" * 60
    scenario = make_scenario(f"id: {long_id}\ncondition: delivered\nexpect: {{raises: null}}\n")
    lines = render_table([judge(scenario, "netmail", [Outcome()], None, None, 0)]).split("\n")
    assert lines[2].split()[1] == long_id


@pytest.fixture
def recipients(make_scenario: MakeScenario) -> list[Verdict]:
    """Two results whose classes differ in one letter and whose codes are long."""
    scenario = make_scenario("""\
        id: report/recipients-one-of-two-rejected-with-a-long-name
        condition: recipients-failed
        expect: {raises: SmtpFailedRecipientException, status_code: 551}
        """)
    one = Outcome("SmtpFailedRecipientException", 551)
    many = Outcome("SmtpFailedRecipientsException", 551)
    return [judge(scenario, "netmail", [one], None, None, 0),
            judge(scenario, "netmail", [many], None, None, 0)]


def test_a_terminal_shortens_the_class_never_the_code(recipients: list[Verdict]) -> None:
    whole = render_table(recipients).split("\n")
    width = max(map(len, whole)) - 30
    lines = render_table(recipients, width=width).split("\n")
    assert max(map(len, lines)) <= width
    code = "(UserNotLocalTryAlternatePath)"
    assert all(line.count(code) == 2 for line in lines[2:])
    # The class loses its middle, not the letter that tells one recipient from several.
    assert lines[2].split()[-2].endswith("tException" + code)
    assert lines[3].split()[-2].endswith("sException" + code)
    assert "…" in lines[2] and lines[2].split()[-1] == "pass" and lines[3].split()[-1] == "fail"


def test_a_terminal_wide_enough_changes_nothing(recipients: list[Verdict]) -> None:
    whole = render_table(recipients)
    assert render_table(recipients, width=max(map(len, whole.split("\n")))) == whole


def test_a_line_that_must_wrap_anyway_wraps_whole(recipients: list[Verdict]) -> None:
    """Cutting cells that still do not fit would lose text and save no line."""
    assert render_table(recipients, width=60) == render_table(recipients)


def test_the_condition_gives_way_before_the_id(recipients: list[Verdict]) -> None:
    whole = render_table(recipients).split("\n")
    lines = render_table(recipients, width=max(map(len, whole)) - 5).split("\n")
    assert lines[2].split()[0] == "recipients-…"
    assert lines[2].split()[1] == recipients[0].scenario.id


def test_a_narrow_matrix_keeps_every_verdict(verdicts: dict[str, Verdict],
                                             make_scenario: MakeScenario) -> None:
    long_id = "report/" + "a-rather-long-scenario-name-" * 2 + "end"
    scenario = make_scenario(f"id: {long_id}\ncondition: delivered\nexpect: {{raises: null}}\n")
    rows = [verdicts["pass"], verdicts["deviates"],
            judge(scenario, "netmail", [Outcome()], None, None, 0)]
    lines = render_table(rows, width=60).split("\n")
    assert max(map(len, lines)) <= 60
    assert lines[3].split()[-2:] == ["pass", "-"]
    assert lines[3].split()[1].startswith("report/a") and lines[3].split()[1].endswith("name-end")


def test_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "97")
    assert terminal_width(Terminal()) == 97
    assert terminal_width(io.StringIO()) is None


def test_colour_paints_only_the_verdict(verdicts: dict[str, Verdict]) -> None:
    rows = [verdicts[k] for k in ("pass", "fail", "error")]
    text = render_table(rows, colour=True)
    lines = text.split("\n")
    assert "\033[32mpass" in lines[2]
    assert "\033[31mfail" in lines[3]
    assert "\033[35merror" in lines[4]
    plain = [line.rstrip() for line in ANSI.sub("", text).split("\n")]
    assert plain == render_table(rows, colour=False).split("\n")
    assert all(len(ANSI.findall(line)) == 2 for line in lines[2:])
    matrix = render_table([verdicts["pass"], verdicts["deviates"]], colour=True)
    assert "\033[32mpass" in matrix and "\033[33mdeviates" in matrix


def test_matrix_for_several_clients(verdicts: dict[str, Verdict]) -> None:
    rows = [verdicts["pass"], verdicts["deviates"], verdicts["success"]]
    lines = render_table(rows).split("\n")
    assert lines[0].split() == ["condition", "scenario", "netmail", "quirky"]
    assert lines[2].split() == ["connect-failed", "report/connect-failed", "pass", "deviates"]
    assert lines[3].split() == ["delivered", "report/delivered", "pass", "-"]
    assert len(lines) == 4


def test_summary(verdicts: dict[str, Verdict]) -> None:
    text = summary([verdicts[k] for k in ("pass", "deviates", "fail", "success", "error")],
                   3.14159)
    assert text.split("\n") == [
        "3 scenarios x 2 clients: 2 pass, 1 deviate (recorded in profiles), 1 fail, 1 error, "
        "in 3.1 s",
        "  netmail  2 pass, 0 deviate, 1 fail, 1 error",
        "           2/4 conform to the contract; 1 contract deviation in 1 cause; "
        "0 detail differences; 1 error(s)",
        "  quirky   0 pass, 1 deviate, 0 fail, 0 error",
        "           0/1 conform to the contract; 1 contract deviation in 1 cause; "
        "0 detail differences"]
    assert summary([verdicts["pass"]], 0).startswith("1 scenario x 1 client: 1 pass")


def test_summary_counts_not_runnable(verdicts: dict[str, Verdict]) -> None:
    unable = verdicts["not-runnable"]
    text = summary([verdicts["pass"], unable], 1.0)
    first = text.split("\n")[0]
    assert first == ("2 scenarios x 1 client: 1 pass, 0 deviate (recorded in profiles), "
                    "0 fail, 0 error, 1 not runnable, in 1.0 s")
    assert "\033[36mnot-runnable" in render_table([unable], colour=True)


def test_table_of_a_real_run(make_scenario: MakeScenario) -> None:
    scenario = make_scenario("""\
        id: report/real
        condition: server-reply-failed
        server: {mail: {reply: "451 4.3.0 try later"}}
        expect: {raises: SmtpException, status_code: LocalErrorInProcessing}
        """)
    verdict = run_scenario(scenario, NetmailAdapter())
    line = render_table([verdict]).split("\n")[2]
    assert line.split() == ["server-reply-failed", "report/real",
                            "SmtpException(LocalErrorInProcessing)",
                            "SmtpException(LocalErrorInProcessing)", "pass"]


# -- JSON ---------------------------------------------------------------------------------

REQUIRED = {"scenario", "condition", "client", "passed", "expected", "actual"}


def test_json_values(verdicts: dict[str, Verdict]) -> None:
    row = Result.of(verdicts["fail"]).to_json()
    assert row["scenario"] == "report/recipients"
    assert row["condition"] == "recipients-failed"
    assert row["client"] == "netmail"
    assert row["passed"] is False and row["status"] == "fail"
    assert row["file"] == str(verdicts["fail"].scenario.path)
    assert row["expected"] == {"exception": "SmtpFailedRecipientException",
                               "status_code": "MailboxUnavailable", "why": None}
    assert row["actual"]["exception"] == "SmtpFailedRecipientsException"
    assert row["actual"]["status_code"] == "MailboxUnavailable"
    assert row["actual"]["failed_recipients"] == [{"address": "<a@x>",
                                                   "status_code": "MailboxUnavailable"}]
    assert row["actual"]["seconds"] == 0.25
    assert row["differences"] == list(verdicts["fail"].differences)
    deviates = Result.of(verdicts["deviates"]).to_json()
    assert deviates["passed"] is True and deviates["status"] == "deviates"
    assert deviates["expected"]["why"] == "it reports the socket error"
    success = Result.of(verdicts["success"]).to_json()
    assert success["expected"]["exception"] is None
    assert success["actual"]["exception"] is None and success["actual"]["status_code"] is None


@pytest.mark.parametrize("status", ["pass", "deviates", "fail", "success", "error",
                                    "not-runnable"])
def test_json_shape_is_the_same_for_every_status(verdicts: dict[str, Verdict],
                                                 status: str) -> None:
    """Consumers read ``row["actual"]["exception"]`` for every row, errors included."""
    row = Result.of(verdicts[status]).to_json()
    assert set(row) >= REQUIRED
    assert {"exception", "status_code"} <= set(row["expected"])
    assert isinstance(row["actual"], dict), row["actual"]
    assert {"exception", "status_code"} <= set(row["actual"])


def written(verdicts: list[Verdict], path: Path, **header: Any) -> dict[str, Any]:
    write_json(verdicts, path, **header)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    document: dict[str, Any] = json.loads(text)
    return document


def test_write_json_file(verdicts: dict[str, Verdict], tmp_path: Path) -> None:
    target = tmp_path / "deep" / "dir" / "results.json"
    document = written([verdicts[k] for k in ("success", "fail", "deviates", "pass")], target)
    assert list(document) == ["format", "version", "run", "summary", "results"]
    assert (document["format"], document["version"]) == ("smtp-conformance-results", 2)
    rows = document["results"]
    assert [(r["scenario"], r["client"]) for r in rows] == [
        ("report/connect-failed", "netmail"), ("report/connect-failed", "quirky"),
        ("report/delivered", "netmail"), ("report/recipients", "netmail")]
    assert all(set(r) >= REQUIRED for r in rows)
    assert rows[3] == json.loads(json.dumps(Result.of(verdicts["fail"]).to_json()))
    assert all(list(r) == sorted(r) and list(r["actual"]) == sorted(r["actual"]) for r in rows)


def test_the_header_derived_from_the_verdicts(verdicts: dict[str, Verdict],
                                              tmp_path: Path) -> None:
    """Without the CLI's extra facts: the clients and counts from the verdicts, the rest
    null, never made up."""
    order = ("deviates", "pass", "fail", "not-runnable", "error")
    document = written([verdicts[k] for k in order], tmp_path / "r.json")
    run = document["run"]
    assert run["clients"] == ["quirky", "netmail"]
    assert run["started"] is None and run["seconds"] is None and run["contract_only"] is None
    assert run["tool"] == {"name": "smtp-conformance", "version": tool_version()}
    assert run["machine"]["python"] == platform.python_version()
    assert run["machine"]["cpus"] == os.cpu_count()
    assert document["summary"] == {
        "scenarios": 3, "results": 5,
        "statuses": {"pass": 1, "deviates": 1, "fail": 1, "error": 1, "not-runnable": 1},
        "clients": {
            "quirky": {"pass": 0, "deviates": 1, "fail": 0, "error": 0, "not-runnable": 0},
            "netmail": {"pass": 1, "deviates": 0, "fail": 1, "error": 1, "not-runnable": 1}}}


def test_the_header_the_cli_gives(verdicts: dict[str, Verdict], tmp_path: Path) -> None:
    paris = timezone(timedelta(hours=1))
    document = written([verdicts["pass"]], tmp_path / "r.json",
                       started=datetime(2025, 1, 31, 10, 30, 5, 999, tzinfo=paris),
                       elapsed=4.56789, contract_only=True)
    run = document["run"]
    assert (run["started"], run["seconds"], run["contract_only"]) == (
        "2025-01-31T09:30:05Z", 4.568, True)


def test_a_local_start_time_is_refused(verdicts: dict[str, Verdict]) -> None:
    """A naive datetime would be written as UTC whatever its zone: refuse it."""
    with pytest.raises(ValueError, match="timezone-aware"):
        results_document([verdicts["pass"]], started=datetime(2025, 1, 31, 10, 30))


def test_the_tool_version_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert tool_version() == "(not installed)"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(loaded)
    return loaded


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_document_is_valid_against_its_schema(verdicts: dict[str, Verdict], tmp_path: Path,
                                                  schema: dict[str, Any]) -> None:
    document = written(list(verdicts.values()), tmp_path / "r.json",
                       started=datetime.now(UTC), elapsed=1.5, contract_only=False)
    errors = [e.message for e in validator(schema).iter_errors(document)]
    assert errors == []
    assert written([], tmp_path / "empty.json")["summary"]["results"] == 0
    assert not list(validator(schema).iter_errors(written([], tmp_path / "empty.json")))


@pytest.mark.parametrize(("path", "value"), [
    (("version",), 1),
    (("format",), "junit"),
    (("run", "started"), "2025-01-31 09:30:05"),
    (("run", "machine", "cpus"), 0),
    (("summary", "statuses", "pass"), -1),
    (("results", 0, "status"), "passed"),
    (("results", 0, "actual", "status_code"), 5.5),
    (("results", 0, "departures"), [{"field": "raises", "level": "minor", "text": "x"}]),
])
def test_the_schema_rejects_what_the_format_does_not_allow(
        verdicts: dict[str, Verdict], tmp_path: Path, schema: dict[str, Any],
        path: tuple[str | int, ...], value: Any) -> None:
    document = written([verdicts["fail"]], tmp_path / "r.json")
    parent: Any = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    assert list(validator(schema).iter_errors(document))


def test_the_schema_requires_every_part(verdicts: dict[str, Verdict], tmp_path: Path,
                                        schema: dict[str, Any]) -> None:
    document = written([verdicts["fail"]], tmp_path / "r.json")
    for key in list(document):
        incomplete = {k: v for k, v in document.items() if k != key}
        assert list(validator(schema).iter_errors(incomplete)), key


def declared(value: Any, node: dict[str, Any], schema: dict[str, Any], at: str) -> list[str]:
    """Where ``value`` has a key its schema ``node`` does not name: the schema lets
    consumers meet unknown keys, so only this test catches a key written undocumented."""
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    found: list[str] = []
    if isinstance(value, dict):
        names = node.get("properties")
        for key, item in value.items():
            if names is None:  # a map: summary.clients
                found += declared(item, node.get("additionalProperties", {}), schema,
                                  f"{at}.{key}")
            elif key in names:
                found += declared(item, names[key], schema, f"{at}.{key}")
            else:
                found.append(f"{at}.{key}")
    elif isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            found += declared(item, node["items"], schema, f"{at}[{index}]")
    return found


def test_every_key_written_is_declared(verdicts: dict[str, Verdict], tmp_path: Path,
                                       schema: dict[str, Any]) -> None:
    async_outcome = Outcome("SmtpException", 554, "no", reported_by="send_completed")
    scenario = verdicts["pass"].scenario
    everything = [*verdicts.values(), judge(scenario, "async", [async_outcome], None, None, 0)]
    document = written(everything, tmp_path / "r.json", started=datetime.now(UTC), elapsed=1.0,
                       contract_only=False)
    assert declared(document, schema, schema, "$") == []
    document["results"][0]["actual"]["surprise"] = 1
    assert declared(document, schema, schema, "$") == ["$.results[0].actual.surprise"]


def property_names(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*map(property_names, node))
    if not isinstance(node, dict):
        return set()
    own = set(node.get("properties", {}))
    return own | set().union(*map(property_names, node.values()))


def test_the_documentation_names_every_field(schema: dict[str, Any]) -> None:
    doc = topic_path("json-report").read_text(encoding="utf-8")
    missing = sorted(n for n in property_names(schema) if f"`{n}`" not in doc)
    assert missing == []
    assert all(f"`{status}`" in doc for status in STATUSES)
    assert "harness/report/results.schema.json" in doc


# -- HTML ---------------------------------------------------------------------------------


def page_data(page: str) -> dict[str, Any]:
    found = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_html_rows_come_worst_first(verdicts: dict[str, Verdict],
                                    make_scenario: MakeScenario) -> None:
    """By each row's worst verdict on any client (fail, error, deviates, not runnable,
    pass), then by id."""
    later = make_scenario("id: report/zz-failing\ncondition: delivered\nexpect: {raises: null}\n")
    failing = judge(later, "netmail", [Outcome("SmtpException", 554)], None, None, 0)
    everything = [verdicts[k] for k in ("pass", "deviates", "success", "not-runnable")]
    data = page_data(html_report([*everything, failing], "summary"))
    assert [row["id"] for row in data["rows"]] == [
        "report/zz-failing", "report/connect-failed", "report/recipients", "report/delivered"]
    ordered = page_data(html_report([verdicts["error"], verdicts["fail"]], "s"))["rows"]
    assert [row["id"] for row in ordered] == ["report/recipients", "report/delivered"]
    assert {f["value"]: f["statuses"] for f in data["filters"]} == {
        "failures": ["fail", "error"], "deviations": ["deviates"],
        "not-runnable": ["not-runnable"], "not-pass": ["fail", "error", "deviates",
                                                       "not-runnable"]}


# -- progress -----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_in_a_log_is_a_plain_line_every_tenth(verdicts: dict[str, Verdict]) -> None:
    log = io.StringIO()
    progress = Progress(20, log)
    for verdict in [verdicts["pass"]] * 13 + [verdicts["fail"]] + [verdicts["deviates"]] * 6:
        progress(verdict)
    lines = log.getvalue().splitlines()
    assert lines[0] == "progress: 2/20 scenarios, 0 failing"
    assert lines[6] == "progress: 14/20 scenarios, 1 failing"
    assert lines[-1] == "progress: 20/20 scenarios, 1 failing"
    assert len(lines) == 10 and "\r" not in log.getvalue()


def test_progress_on_a_terminal_is_one_redrawn_bar(verdicts: dict[str, Verdict]) -> None:
    terminal = Terminal()
    progress = Progress(3, terminal)
    for verdict in (verdicts["error"], verdicts["pass"], verdicts["pass"]):
        progress(verdict)
    frames = terminal.getvalue().split("\r")[1:]
    assert frames[0] == f"[{'#' * 10}{'.' * 20}] 1/3 scenarios, 1 failing"
    assert frames[-1] == f"[{'#' * 30}] 3/3 scenarios, 1 failing\n"
