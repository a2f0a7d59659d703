"""TLS certificates for scripted servers, made by trustme once per process.

``trusted`` chains to the harness CA, which clients are told to trust (``ca_file``);
``unknown-ca`` chains to another CA; ``wrong-host`` names another host; ``expired`` ended a year
ago. Certificates name 127.0.0.1 and localhost, where every scripted server listens. Keys and
protocol versions are chosen so that old clients (Mono) can be certified too.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import shutil
import ssl
import tempfile
import threading
import warnings
from pathlib import Path

import trustme

HOSTS = ("127.0.0.1", "localhost")
RSA = trustme.KeyType.RSA
"""RSA keys throughout: Mono's certificate code cannot read EC keys."""


_lock = threading.Lock()
_authorities: dict[str, trustme.CA] = {}


def _authority(name: str) -> trustme.CA:
    """One CA per name per process; locked, since clients and servers ask from many threads."""
    with _lock:
        if name not in _authorities:
            _authorities[name] = trustme.CA(organization_name=f"smtp-conformance {name} CA",
                                            key_type=trustme.KeyType.RSA)
        return _authorities[name]


@functools.cache
def _leaf(kind: str) -> trustme.LeafCert:
    """The leaf certificate of a kind, issued once per process: server contexts and PEM files
    (for real servers such as Postfix) then present the same certificate."""
    if kind == "trusted":
        return _authority("harness").issue_cert(*HOSTS, key_type=RSA)
    if kind == "unknown-ca":
        return _authority("unknown").issue_cert(*HOSTS, key_type=RSA)
    if kind == "wrong-host":
        return _authority("harness").issue_cert("wrong-host.invalid", key_type=RSA)
    if kind == "expired":
        now = datetime.datetime.now(datetime.UTC)
        return _authority("harness").issue_cert(
            *HOSTS, not_before=now - datetime.timedelta(days=730),
            not_after=now - datetime.timedelta(days=365), key_type=RSA)
    raise ValueError(f"unknown certificate kind {kind!r}")


@functools.cache
def server_context(kind: str) -> ssl.SSLContext:
    leaf = _leaf(kind)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Old clients must be able to connect to be certified: Mono's SmtpClient speaks only TLS 1.0.
    with warnings.catch_warnings():  # TLSv1 is deprecated, and that is the point here
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    leaf.configure_cert(context)
    return context


def pem_files(directory: Path, kind: str = "trusted") -> tuple[Path, Path]:
    """Write the private key and the certificate chain (leaf first) of a kind as PEM files in
    ``directory``, for a real server that reads files (Postfix); returns (key, chain)."""
    leaf = _leaf(kind)
    key, chain = directory / f"{kind}.key", directory / f"{kind}.pem"
    leaf.private_key_pem.write_to_path(str(key))
    key.chmod(0o600)
    chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    return key, chain


@functools.cache
def ca_file() -> str:
    """A PEM file holding the harness CA, for clients to trust."""
    directory = Path(tempfile.mkdtemp(prefix="smtp-harness-ca-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "harness-ca.pem"
    _authority("harness").cert_pem.write_to_path(str(path))
    return str(path)
