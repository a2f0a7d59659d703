"""send_async (thread + send_completed), its cancellation, and send_mail_async (asyncio)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from harness.server import RunningServer
from netmail import (
    AsyncCompletedEventArgs,
    InvalidOperationException,
    MailMessage,
    SmtpClient,
    SmtpException,
    SmtpFailedRecipientException,
    SmtpStatusCode,
)

from .servers import client_for, simple_message

Server = Callable[..., RunningServer]


def completion(client: SmtpClient) -> tuple[threading.Event, list[AsyncCompletedEventArgs]]:
    done, seen = threading.Event(), []

    def handler(sender: SmtpClient, args: AsyncCompletedEventArgs) -> None:
        assert sender is client
        seen.append(args)
        done.set()
    client.send_completed.append(handler)
    return done, seen


def test_send_async_reports_success_with_the_token(smtp_server: Server) -> None:
    server = smtp_server()
    client = client_for(server)
    done, seen = completion(client)
    client.send_async(simple_message(), user_token="t-1")
    assert done.wait(5)
    assert seen == [AsyncCompletedEventArgs(None, False, "t-1")]
    client.dispose()
    assert server.transcript.delivered_to == ["rcpt@example.com"]


def test_send_async_reports_the_failure(smtp_server: Server) -> None:
    server = smtp_server({"rcpt": {"reply": "550 no"}})
    client = client_for(server)
    done, seen = completion(client)
    client.send_async(simple_message())
    assert done.wait(5)
    assert isinstance(seen[0].error, SmtpFailedRecipientException) and not seen[0].cancelled


def test_while_sending_async_send_and_setters_refuse(smtp_server: Server) -> None:
    server = smtp_server({"greeting": {"delay": 1.5}})
    client = client_for(server)
    done, seen = completion(client)
    client.send_async(simple_message())
    with pytest.raises(InvalidOperationException, match="already in progress"):
        client.send(simple_message())
    with pytest.raises(InvalidOperationException, match="while a message is being sent"):
        client.timeout = 1
    with pytest.raises(InvalidOperationException):
        client.enable_ssl = True
    client.send_async_cancel()
    assert done.wait(5)
    assert seen[0].cancelled and seen[0].error is None
    client.timeout = 1  # allowed again once the send has ended
    client.dispose()


def test_dispose_cancels_a_running_send_async(smtp_server: Server) -> None:
    server = smtp_server({"greeting": {"delay": 1.5}})
    client = client_for(server)
    done, seen = completion(client)
    client.send_async(simple_message())
    client.dispose()
    assert done.wait(5) and seen[0].cancelled


def test_send_mail_async(smtp_server: Server) -> None:
    server = smtp_server()

    async def main() -> None:
        async with client_for(server) as client:
            await client.send_mail_async(simple_message())
            await client.send_mail_async(simple_message())
    asyncio.run(main())
    assert server.transcript.delivered_to == ["rcpt@example.com"] * 2
    assert server.transcript.connections == 1
    assert server.transcript.commands[-1] == "QUIT"


def test_send_mail_async_keeps_the_contract(smtp_server: Server) -> None:
    server = smtp_server({"mail": {"reply": "552 5.3.4 too big"}, "tls": {}})

    async def main() -> SmtpException:
        client = client_for(server, enable_ssl=True)
        with pytest.raises(SmtpException) as caught:
            await client.send_mail_async(simple_message())
        await client.dispose_async()
        return caught.value
    error = asyncio.run(main())
    assert error.status_code is SmtpStatusCode.ExceededStorageAllocation


def test_send_mail_async_times_out(smtp_server: Server) -> None:
    server = smtp_server({"greeting": {"delay": 2}})

    async def main() -> None:
        client = client_for(server, timeout=0.3)
        with pytest.raises(SmtpException, match="timed out"):
            await client.send_mail_async(simple_message())
        client.dispose()
    asyncio.run(main())


def test_send_mail_async_streams_a_large_body_whole_over_tls(smtp_server: Server) -> None:
    """8 MiB is more than the transport buffers: writing waits for the server to drain it."""
    server = smtp_server({"tls": {}, "extensions": ["SIZE 67108864", "8BITMIME"]})
    body = "".join(f"line {i:07d} of a large body\n" for i in range(300_000))  # ~8.4 MiB

    async def main() -> None:
        async with client_for(server, enable_ssl=True, timeout=60) as client:
            await client.send_mail_async(MailMessage("s@example.com", "r@example.com", "big",
                                                     body))
    asyncio.run(main())
    [received] = server.stop().messages
    assert received.delivered
    text = received.raw.decode()
    assert "line 0000000 of a large body\r\n" in text
    assert text.endswith("line 0299999 of a large body\r\n")
    assert text.count(" of a large body\r\n") == 300_000
