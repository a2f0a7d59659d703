"""SASL exchanges: PLAIN, LOGIN, CRAM-MD5, and a rejected AUTH raising with its code."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from netmail import NetworkCredential, SmtpException, SmtpStatusCode
from netmail.auth import authenticate

from .conversation import play

ALICE = NetworkCredential("alice", "s3cret")


def b64(text: str) -> bytes:
    return base64.b64encode(text.encode())


def test_login_is_preferred_as_dotnet_uses_it() -> None:
    writes, _ = play(authenticate(ALICE, ["PLAIN", "LOGIN"]),
                     ["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 ok\r\n"])
    assert writes[0] == b"AUTH LOGIN\r\n"


def test_plain_is_one_round_trip() -> None:
    writes, _ = play(authenticate(ALICE, ["PLAIN"]), ["235 ok\r\n"])
    assert writes == [b"AUTH PLAIN " + b64("\0alice\0s3cret") + b"\r\n"]


def test_a_504_moves_on_to_the_next_offered_mechanism() -> None:
    writes, _ = play(authenticate(ALICE, ["LOGIN", "PLAIN"]),
                     ["504 5.5.4 mechanism not supported\r\n", "235 ok\r\n"])
    assert writes == [b"AUTH LOGIN\r\n", b"AUTH PLAIN " + b64("\0alice\0s3cret") + b"\r\n"]


def test_a_504_to_the_last_mechanism_is_raised() -> None:
    with pytest.raises(SmtpException) as failure:
        play(authenticate(ALICE, ["PLAIN"]), ["504 5.5.4 mechanism not supported\r\n"])
    assert failure.value.status_code == 504


def test_login() -> None:
    writes, _ = play(authenticate(ALICE, ["login"]),
                     ["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 ok\r\n"])
    assert writes == [b"AUTH LOGIN\r\n", b64("alice") + b"\r\n", b64("s3cret") + b"\r\n"]


def test_cram_md5() -> None:
    nonce = b"<123@srv>"
    writes, _ = play(authenticate(ALICE, ["CRAM-MD5"]),
                     [f"334 {base64.b64encode(nonce).decode()}\r\n", "235 ok\r\n"])
    digest = hmac.new(b"s3cret", nonce, hashlib.md5).hexdigest()
    assert writes[1] == b64(f"alice {digest}") + b"\r\n"


@pytest.mark.parametrize(("reply", "code"), [("535 5.7.8 bad\r\n", 535),
                                             ("454 4.7.0 later\r\n", 454)])
def test_rejection_raises_with_the_servers_code(reply: str, code: int) -> None:
    with pytest.raises(SmtpException, match="Authentication failed") as caught:
        play(authenticate(ALICE, ["PLAIN"]), [reply])
    assert caught.value.status_code == code


def test_more_challenges_than_the_mechanism_has_is_a_failure() -> None:
    with pytest.raises(SmtpException) as caught:
        play(authenticate(ALICE, ["PLAIN"]), ["334 more?\r\n"])
    assert caught.value.status_code is SmtpStatusCode.GeneralFailure


def test_no_common_mechanism_names_the_offered_ones() -> None:
    with pytest.raises(SmtpException, match="XOAUTH2 GSSAPI"):
        play(authenticate(ALICE, ["XOAUTH2", "GSSAPI"]), [])


def test_a_credential_never_shows_its_password() -> None:
    """A credential logged or printed in a traceback shows its user, never its password."""
    credential = NetworkCredential("alice", "s3cret-pw")
    assert "alice" in repr(credential) and "s3cret-pw" not in repr(credential)
