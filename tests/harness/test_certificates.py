"""Certificates for STARTTLS: the trusted one verifies, each broken kind fails as named."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.server import RunningServer, ca_file
from harness.server.certificates import server_context

StartServer = Callable[..., RunningServer]


def starttls(server: RunningServer) -> smtplib.SMTP:
    client = smtplib.SMTP(server.address, server.port, timeout=3)
    client.ehlo()
    client.starttls(context=ssl.create_default_context(cafile=ca_file()))
    return client


def test_ca_file_is_a_pem_certificate() -> None:
    text = Path(ca_file()).read_text()
    assert text.startswith("-----BEGIN CERTIFICATE-----")
    assert ca_file() == ca_file()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_trusted_certificate_verifies(smtp_server: StartServer, host: str) -> None:
    server = smtp_server({"tls": {"certificate": "trusted"}})
    with smtplib.SMTP(host, server.port, timeout=3) as client:
        client.ehlo()
        client.starttls(context=ssl.create_default_context(cafile=ca_file()))
        assert client.ehlo()[0] == 250
        assert client.sock.version() is not None


@pytest.mark.parametrize(("kind", "reason"), [
    ("unknown-ca", "unable to get local issuer certificate"),
    ("wrong-host", "IP address mismatch"),
    ("expired", "certificate has expired"),
])
def test_untrusted_certificates_fail_verification(smtp_server: StartServer, kind: str,
                                                  reason: str) -> None:
    server = smtp_server({"tls": {"certificate": kind}})
    with pytest.raises(ssl.SSLCertVerificationError, match=reason):
        starttls(server).close()
    assert server.stop().commands[:2] == ["EHLO", "STARTTLS"]


def test_server_contexts_are_cached_and_unknown_kind_refused() -> None:
    assert server_context("trusted") is server_context("trusted")
    assert server_context("trusted") is not server_context("expired")
    with pytest.raises(ValueError, match="unknown certificate kind"):
        server_context("self-signed")
