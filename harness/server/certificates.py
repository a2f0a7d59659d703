"""TLS certificates for scripted servers, made by trustme once per process.

``trusted`` chains to the harness CA, which clients are told to trust (``ca_file``);
``unknown-ca`` chains to another CA; ``wrong-host`` names another host; ``expired`` ended a year
ago. Certificates name 127.0.0.1 and localhost, where every scripted server listens.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import shutil
import ssl
import tempfile
import threading
from pathlib import Path

import trustme

HOSTS = ("127.0.0.1", "localhost")


_lock = threading.Lock()
_authorities: dict[str, trustme.CA] = {}


def _authority(name: str) -> trustme.CA:
    """One CA per name per process; locked, since clients and servers ask from many threads."""
    with _lock:
        if name not in _authorities:
            _authorities[name] = trustme.CA(organization_name=f"smtp-conformance {name} CA")
        return _authorities[name]


@functools.cache
def server_context(kind: str) -> ssl.SSLContext:
    if kind == "trusted":
        leaf = _authority("harness").issue_cert(*HOSTS)
    elif kind == "unknown-ca":
        leaf = _authority("unknown").issue_cert(*HOSTS)
    elif kind == "wrong-host":
        leaf = _authority("harness").issue_cert("wrong-host.invalid")
    elif kind == "expired":
        now = datetime.datetime.now(datetime.UTC)
        leaf = _authority("harness").issue_cert(
            *HOSTS, not_before=now - datetime.timedelta(days=730),
            not_after=now - datetime.timedelta(days=365))
    else:
        raise ValueError(f"unknown certificate kind {kind!r}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    return context


@functools.cache
def ca_file() -> str:
    """A PEM file holding the harness CA, for clients to trust."""
    directory = Path(tempfile.mkdtemp(prefix="smtp-harness-ca-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "harness-ca.pem"
    _authority("harness").cert_pem.write_to_path(str(path))
    return str(path)
