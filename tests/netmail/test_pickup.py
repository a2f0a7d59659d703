"""Pickup-directory delivery: one whole .eml per message, the envelope kept, SSL refused."""

from __future__ import annotations

import email
import email.policy
import threading
from pathlib import Path

import pytest

from netmail import SmtpClient, SmtpDeliveryMethod, SmtpException, SmtpStatusCode

from .servers import simple_message

PICKUP = SmtpDeliveryMethod.SpecifiedPickupDirectory


def test_writes_one_complete_file_with_the_envelope(tmp_path: Path) -> None:
    message = simple_message("a@example.com")
    message.bcc.append("hidden@example.com")
    client = SmtpClient(delivery_method=PICKUP, pickup_directory_location=str(tmp_path))
    client.send(message)
    files = list(tmp_path.iterdir())
    assert [f.suffix for f in files] == [".eml"]
    data = files[0].read_bytes()
    assert data.startswith(b"X-Sender: sender@example.com\r\nX-Receiver: a@example.com\r\n"
                           b"X-Receiver: hidden@example.com\r\n")
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["To"] == "a@example.com" and "Bcc" not in parsed


def test_not_dot_stuffed(tmp_path: Path) -> None:
    message = simple_message()
    message.body = ".leading dot\n"
    SmtpClient(delivery_method=PICKUP, pickup_directory_location=str(tmp_path)).send(message)
    assert b"\r\n.leading dot\r\n" in next(tmp_path.iterdir()).read_bytes()


@pytest.mark.parametrize("location", [None, "", "relative/dir"])
def test_relative_or_missing_directory(location: str | None) -> None:
    client = SmtpClient(delivery_method=PICKUP, pickup_directory_location=location)
    with pytest.raises(SmtpException, match="Only absolute directories"):
        client.send(simple_message())


def test_absent_directory_wraps_the_os_error(tmp_path: Path) -> None:
    client = SmtpClient(delivery_method=PICKUP,
                        pickup_directory_location=str(tmp_path / "absent"))
    with pytest.raises(SmtpException) as caught:
        client.send(simple_message())
    assert isinstance(caught.value.inner_exception, FileNotFoundError)


@pytest.mark.parametrize("method", [PICKUP, SmtpDeliveryMethod.PickupDirectoryFromIis])
def test_ssl_with_a_pickup_directory_writes_nothing(tmp_path: Path,
                                                    method: SmtpDeliveryMethod) -> None:
    client = SmtpClient(delivery_method=method, pickup_directory_location=str(tmp_path),
                        enable_ssl=True)
    with pytest.raises(SmtpException, match="SSL must not be enabled") as caught:
        client.send(simple_message())
    assert caught.value.status_code is SmtpStatusCode.GeneralFailure
    assert list(tmp_path.iterdir()) == []


def test_iis_is_not_implemented(tmp_path: Path) -> None:
    client = SmtpClient(delivery_method=SmtpDeliveryMethod.PickupDirectoryFromIis)
    with pytest.raises(SmtpException) as caught:
        client.send(simple_message())
    assert isinstance(caught.value.inner_exception, NotImplementedError)


def test_send_async_writes_the_file_before_it_returns(tmp_path: Path) -> None:
    """As .NET's SendAsync: a pickup delivery is done in the call, so a bad directory is
    raised from it, and the handlers still hear the end of a good one."""
    bad = SmtpClient(delivery_method=SmtpDeliveryMethod.SpecifiedPickupDirectory,
                     pickup_directory_location=str(tmp_path / "missing"))
    heard: list[object] = []
    bad.send_completed.append(lambda sender, args: heard.append(args))
    with pytest.raises(SmtpException):
        bad.send_async(simple_message())
    assert not heard
    good = SmtpClient(delivery_method=SmtpDeliveryMethod.SpecifiedPickupDirectory,
                      pickup_directory_location=str(tmp_path))
    done = threading.Event()
    good.send_completed.append(lambda sender, args: done.set())
    good.send_async(simple_message())
    assert len(list(tmp_path.glob("*.eml"))) == 1  # written before the call returned
    assert done.wait(5)
