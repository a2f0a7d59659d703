"""Reports: the terminal table (one client, and the matrix) and the JSON file."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.adapters import NetmailAdapter
from harness.model import FailedRecipient, Scenario
from harness.outcome import Outcome
from harness.report.json_report import verdict_json, write_json
from harness.report.progress import Progress
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
    cut = "SmtpFailedRecipientsException(MailboxUnavailable)"[:39] + "…"
    assert lines[3][starts[2]:].startswith(cut)
    assert "\033" not in "\n".join(lines)


def test_long_cells_are_cut_to_width(make_scenario: MakeScenario) -> None:
    long_id = "report/" + "x" * 60
    scenario = make_scenario(f"id: {long_id}\ncondition: delivered\nexpect: {{raises: null}}\n")
    lines = render_table([judge(scenario, "netmail", [Outcome()], None, None, 0)]).split("\n")
    assert long_id not in lines[2]
    assert ("report/" + "x" * 36 + "…") in lines[2]


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
    row = verdict_json(verdicts["fail"])
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
    deviates = verdict_json(verdicts["deviates"])
    assert deviates["passed"] is True and deviates["status"] == "deviates"
    assert deviates["expected"]["why"] == "it reports the socket error"
    success = verdict_json(verdicts["success"])
    assert success["expected"]["exception"] is None
    assert success["actual"]["exception"] is None and success["actual"]["status_code"] is None


@pytest.mark.parametrize("status", ["pass", "deviates", "fail", "success", "error",
                                    "not-runnable"])
def test_json_shape_is_the_same_for_every_status(verdicts: dict[str, Verdict],
                                                 status: str) -> None:
    """Consumers read ``row["actual"]["exception"]`` for every row, errors included."""
    row = verdict_json(verdicts[status])
    assert set(row) >= REQUIRED
    assert {"exception", "status_code"} <= set(row["expected"])
    assert isinstance(row["actual"], dict), row["actual"]
    assert {"exception", "status_code"} <= set(row["actual"])


def test_write_json_file(verdicts: dict[str, Verdict], tmp_path: Path) -> None:
    target = tmp_path / "deep" / "dir" / "results.json"
    rows_in = [verdicts[k] for k in ("success", "fail", "deviates", "pass")]
    write_json(rows_in, target)
    text = target.read_text(encoding="utf-8")
    assert text.endswith("}\n]\n")
    rows: list[dict[str, Any]] = json.loads(text)
    assert [(r["scenario"], r["client"]) for r in rows] == [
        ("report/connect-failed", "netmail"), ("report/connect-failed", "quirky"),
        ("report/delivered", "netmail"), ("report/recipients", "netmail")]
    assert all(set(r) >= REQUIRED for r in rows)
    assert rows == json.loads(json.dumps(rows, sort_keys=True))


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
