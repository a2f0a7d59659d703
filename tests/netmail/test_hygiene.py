"""No leaks, no hangs: sends against faulty servers leave no socket or thread behind.

The suite already runs with ResourceWarning as an error and a garbage collection after every
test; this adds counts: file descriptors and threads after 120 faulty sends equal those before, for
blocking and for asyncio sends.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections.abc import Callable

import pytest

from harness.server import RunningServer
from netmail import SmtpException

from .servers import client_for, simple_message

Server = Callable[..., RunningServer]
FAULTS = [
    {"greeting": {"drop": "before"}},
    {"greeting": {"drop": "reset"}},
    {"ehlo": {"raw": "Go away\r\n"}},
    {"mail": {"reply": "451 try later"}},
    {"rcpt": {"drop": "after", "reply": "250 ok"}},
    {"data": {"raw": "354 go\n"}},
    {"end_of_data": {"delay": 0.5}},
    {"rcpt": {"reply": "550 no"}},
    {},
]


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc (Linux)")
@pytest.mark.parametrize("use_asyncio", [False, True], ids=["send", "send_mail_async"])
def test_faulty_sends_leak_nothing(smtp_server: Server, use_asyncio: bool) -> None:
    servers = [smtp_server(fault) for fault in FAULTS]  # started first: they own their sockets
    gc.collect()
    fds, threads = open_descriptors(), threading.active_count()
    loop = asyncio.new_event_loop()  # closed before the count again: its own descriptors too
    for round_ in range(120 // len(FAULTS)):
        for server in servers:
            client = client_for(server, timeout=0.2)
            started = time.monotonic()
            try:
                if use_asyncio:
                    loop.run_until_complete(client.send_mail_async(simple_message()))
                else:
                    client.send(simple_message())
            except SmtpException:
                pass
            finally:
                if use_asyncio:
                    loop.run_until_complete(client.dispose_async())
                client.dispose()
            assert time.monotonic() - started < 2.0, f"round {round_}: a send outlived its timeout"
    loop.run_until_complete(asyncio.sleep(0))  # let aborted transports finish closing
    loop.close()
    time.sleep(0.3)  # let the servers see the last closes
    gc.collect()
    assert open_descriptors() <= fds
    assert threading.active_count() <= threads
