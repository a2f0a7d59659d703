"""The recording proxy between real clients and scripted servers standing in for real ones.

Two properties, over scenarios that cover every step and way a server can behave: the proxy
is transparent (judged on the live session through it, each scenario gets the contract
verdict it gets directly), and the recording is faithful (its replay gives the client the
outcome the live session gave).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from harness.adapters import make_adapter
from harness.library import find_scenario
from harness.record.fidelity import outcome_differences
from harness.record.live import send_through_proxy, upstream_context
from harness.runner import run_scenario
from harness.server import ca_file, shared_host
from harness.verdict import judge

from .recording import record

COVERED = (
    "replies/ehlo/accepted-extra-keywords", "recipients/middle-rejected",
    "recipients/pipelining-middle-rejected",
    "transport/many-all-rejected-pipelining", "contract/auth-failed", "auth/login",
    "auth/cram-md5", "auth/plain", "auth/login-wrong-password", "auth/step-454",
    "tls/starttls-success", "tls/starttls-refused-454", "tls/ehlo-after-tls-554",
    "tls/auth-before-tls", "contract/ssl-no-starttls",
    "replies/greeting/fatal-421", "replies/greeting/drop-before", "replies/greeting/drop-reset",
    "replies/greeting/malformed-bare-lf", "replies/greeting/overlong-tail-unterminated",
    "replies/greeting/accepted-256-lines", "replies/ehlo/fallback-500",
    "replies/data/fatal-554", "replies/data/drop-after", "replies/data/slow-timeout",
    "replies/data/stalled-body-timeout", "replies/end_of_data/fatal-552",
    "replies/end_of_data/drop-before", "replies/end_of_data/malformed-mixed-codes",
    "replies/mail/fatal-550", "replies/mail/drop-reset", "reuse/two-sends-one-connection",
    "reuse/stray-bytes-after-reply", "reuse/server-closed-after-first",
    "transport/greeting-delay-2s-timeout-5s", "integrity/envelope/smtputf8-local-part",
    "contract/timeout-greeting",
)
"""Scenarios whose server the proxy must relay and record faithfully."""
UNRELAYABLE = {
    "tls/unknown-ca": "the proxy verifies the server's certificate itself",
    "tls/expired": "the proxy verifies the server's certificate itself",
    "tls/wrong-host": "the proxy verifies the server's certificate itself",
    "tls/starttls-response-injection": "bytes after the 220 break the proxy's own TLS",
    "tls/handshake-not-started": "a 220 with no TLS after it breaks the proxy's own TLS",
}
"""Where the proxy necessarily differs from the server it relays (docs/recording.md)."""


@pytest.mark.parametrize("client", ["netmail", "smtplib"])
@pytest.mark.parametrize("scenario_id", COVERED)
def test_transparent_and_faithful(scenario_id: str, client: str, tmp_path: Path) -> None:
    adapter = make_adapter(client)
    adapter.start()
    scenario = find_scenario(scenario_id)
    recorded = record(scenario, adapter, tmp_path,
                      client_data={"timeout": scenario.client.timeout})
    assert not recorded.live.transcript.harness_errors
    # On the contract's fields: message texts are details, and some vary with timing.
    direct = run_scenario(scenario, adapter, contract_only=True)
    through = judge(scenario, client, recorded.live.outcomes, recorded.live.transcript, None,
                    0.0, contract_only=True)
    assert through.status == direct.status, (through.differences, direct.differences)
    replayed = run_scenario(recorded.written, adapter)
    assert not outcome_differences(recorded.live.outcomes, recorded.live.transcript,
                                   list(replayed.outcomes), replayed.transcript), \
        recorded.text


@pytest.mark.parametrize("scenario_id", sorted(UNRELAYABLE))
def test_a_certificate_the_proxy_refuses_resets_the_client_and_says_why(scenario_id: str,
                                                                          tmp_path: Path) -> None:
    adapter = make_adapter("netmail")
    recorded = record(find_scenario(scenario_id), adapter, tmp_path)
    notes = recorded.written.recorded.notes if recorded.written.recorded else ()
    assert any("then TLS with it failed" in note for note in notes), notes
    assert recorded.live.outcomes[-1].exception == "SmtpException"
    replayed = run_scenario(recorded.written, adapter)
    assert not outcome_differences(recorded.live.outcomes, recorded.live.transcript,
                                   list(replayed.outcomes), replayed.transcript)


def test_verification_can_be_turned_off_for_a_server_with_a_self_signed_certificate(
        tmp_path: Path) -> None:
    scenario = find_scenario("tls/unknown-ca")
    assert scenario.server is not None
    upstream = shared_host().start(scenario.server)
    try:
        live = send_through_proxy(make_adapter("netmail"), scenario,
                                  (upstream.address, upstream.port),
                                  upstream_context(verify=False))
    finally:
        upstream.stop()
    assert live.outcomes[-1].exception is None  # the client trusts the proxy's certificate
    assert live.recording.upstream_certificate == "not verified"


SECRETS = ("alice", "s3cr3t-Pa55")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
@pytest.mark.parametrize("accepted", [True, False])
def test_credentials_never_reach_the_file_or_the_transcript(mechanism: str, accepted: bool,
                                                            tmp_path: Path) -> None:
    from harness.loader import scenario_from_data

    scenario = scenario_from_data({
        "id": "record/credentials", "condition": "delivered",
        "server": {"sasl": {"mechanisms": [mechanism],
                            "users": {SECRETS[0]: SECRETS[1] if accepted else "other"}}},
        "client": {"credentials": {"user": SECRETS[0], "password": SECRETS[1]}},
        "expect": {"raises": None}}, tmp_path / "credentials.yaml")
    recorded = record(scenario, make_adapter("netmail"), tmp_path,
                      client_data={"credentials": {"user": SECRETS[0],
                                                   "password": SECRETS[1]}})
    assert (recorded.live.outcomes[-1].exception is None) == accepted
    shown = recorded.text + recorded.live.transcript.render()
    for secret in _encodings(*SECRETS):
        assert secret not in shown, secret
    assert "recorded-user" in recorded.text
    replayed = run_scenario(recorded.written, make_adapter("netmail"))
    assert not outcome_differences(recorded.live.outcomes, recorded.live.transcript,
                                   list(replayed.outcomes), replayed.transcript)


def _encodings(user: str, password: str) -> list[str]:
    """The secrets as they cross the wire: plain, in base64 alone, as PLAIN's one blob, and
    the start of CRAM-MD5's answer ("alice <digest>": six bytes, two whole base64 groups)."""
    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()
    return [password, b64(user), b64(password), b64(f"\0{user}\0{password}"),
            b64(f"{user}\0{user}\0{password}"), b64(f"{user} ")]


def test_an_unreachable_server_is_a_note_and_the_client_is_reset(tmp_path: Path) -> None:
    from harness.loader import scenario_from_data

    scenario = scenario_from_data({"id": "record/nobody", "condition": "connect-failed",
                                   "expect": {"raises": "SmtpException"}},
                                  tmp_path / "nobody.yaml")
    live = send_through_proxy(make_adapter("netmail"), scenario, ("127.0.0.1", 9),
                              upstream_context(ca_file()))
    assert live.outcomes[-1].exception == "SmtpException"
    assert live.recording.connections[0].notes[0].startswith("could not connect")


def test_a_failure_of_the_proxy_itself_is_a_harness_error_and_nothing_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.cli import main
    from harness.record import proxy

    def broken(*_: object) -> None:
        raise RuntimeError("planted")

    monkeypatch.setattr(proxy._Relay, "_answered", broken)
    scenario = find_scenario("recipients/middle-rejected")
    assert scenario.server is not None
    upstream = shared_host().start(scenario.server)
    try:
        live = send_through_proxy(make_adapter("netmail"), scenario,
                                  (upstream.address, upstream.port), upstream_context())
        out = tmp_path / "never.yaml"
        status = main(["record", "--upstream", f"127.0.0.1:{upstream.port}", "--client",
                       "netmail", "--out", str(out)])
    finally:
        upstream.stop()
    assert live.transcript.harness_errors == [
        "the recording proxy failed: RuntimeError: planted"]
    assert status == 2 and not out.exists()
