"""Addresses and messages are validated when made: nothing malformed can reach the wire."""

from __future__ import annotations

import io

import pytest

from netmail import (
    ArgumentException,
    ArgumentNullException,
    Attachment,
    FormatException,
    MailAddress,
    MailMessage,
    SmtpClient,
    SmtpDeliveryMethod,
    SmtpException,
)


@pytest.mark.parametrize(("text", "address", "name"), [
    ("a@example.com", "a@example.com", ""),
    ("Ann <a@example.com>", "a@example.com", "Ann"),
    ('"Doe, Jane" <j@example.com>', "j@example.com", "Doe, Jane"),
    ('"quoted local"@example.com', '"quoted local"@example.com', ""),
    ("u@[192.0.2.1]", "u@[192.0.2.1]", ""),
    ("jörg@exämple.de", "jörg@exämple.de", ""),
])
def test_address_forms(text: str, address: str, name: str) -> None:
    parsed = MailAddress(text)
    assert (parsed.address, parsed.display_name) == (address, name)


@pytest.mark.parametrize("text", [
    "a@example.com\r\nRCPT TO:<evil@x>", "a@exa\nmple.com", "a\r@example.com",
    "foo@[\r\n bar]", "a\0@example.com",
])
def test_line_breaks_are_refused(text: str) -> None:
    with pytest.raises(FormatException):
        MailAddress(text)


@pytest.mark.parametrize(("text", "parts"), [
    ("a b@example.com", ("a", "b", "example.com")),  # a display name, then the address
    ("a..b@example.com", ("", "a..b", "example.com")),
    ("a@example..com", ("", "a", "example..com")),
    ("(comment) a@b.c (more)", ("", "a", "b.c")),
])
def test_what_dotnet_accepts(text: str, parts: tuple[str, str, str]) -> None:
    address = MailAddress(text)
    assert (address.display_name, address.user, address.host) == parts


def test_none_and_empty_raise_what_dotnet_raises() -> None:
    with pytest.raises(ArgumentNullException):
        MailAddress(None)  # type: ignore[arg-type]
    with pytest.raises(ArgumentException) as empty:
        MailAddress("")
    assert type(empty.value) is ArgumentException


def test_display_name_with_line_break_is_refused() -> None:
    with pytest.raises(FormatException):
        MailAddress("a@example.com", "Evil\r\nBcc: x@y")


@pytest.mark.parametrize("text", ["plain", "@example.com", "a@", " ", ".a@example.com",
                                  "a@exa mple.com", "a@[1.2.3.4", "(a@b.c", "a@b.c>"])
def test_malformed_addresses(text: str) -> None:
    with pytest.raises(FormatException):
        MailAddress(text)


def test_smtp_path_uses_idna_for_a_non_ascii_domain_unless_utf8() -> None:
    address = MailAddress("a@exämple.de")
    assert address.smtp_path(utf8=False) == "<a@xn--exmple-cua.de>"
    assert address.smtp_path(utf8=True) == "<a@exämple.de>"
    assert MailAddress("jörg@x.de").needs_smtputf8


def test_collections_coerce_strings_and_split_lists() -> None:
    message = MailMessage("s@x.test", 'a@x.test, "B, b" <b@x.test>')
    message.cc.append("c@x.test")
    message.bcc += ["d@x.test"]
    assert [a.address for a in message.recipients] == ["a@x.test", "b@x.test", "c@x.test",
                                                       "d@x.test"]
    assert all(isinstance(a, MailAddress) for a in message.recipients)


def test_list_splitting_honours_quoted_pairs() -> None:
    message = MailMessage("s@x.test", r'"Doe \", J" <a@x.test>, b@x.test')
    assert [(a.display_name, a.address) for a in message.to] == [('Doe \\", J', "a@x.test"),
                                                                  ("", "b@x.test")]


def test_subject_and_headers_refuse_line_breaks() -> None:
    message = MailMessage("s@x.test", "a@x.test")
    with pytest.raises(ArgumentException):
        message.subject = "hi\r\nBcc: evil@x.test"
    with pytest.raises(ArgumentException):
        message.headers["X-Test"] = "a\nb"
    with pytest.raises(ArgumentException):
        message.headers["Bad Name"] = "v"


def test_attachment_sources(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF")
    assert Attachment(path).media_type == "application/pdf"
    assert Attachment(path).data == b"%PDF" and Attachment(path).name == "report.pdf"
    assert Attachment(io.BytesIO(b"xy"), "a.bin").data == b"xy"
    with pytest.raises(ArgumentException):
        Attachment(b"x", "a\r\nb.txt")


class _Failing(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        raise OSError("the disk is gone")


def test_a_stream_is_read_when_sent_and_its_failure_is_the_sends() -> None:
    """As .NET reads an attachment's ContentStream while sending: the constructor does not
    read, and the failure surfaces from the send as SmtpException, with the cause inside."""
    message = MailMessage("s@x.test", "a@x.test", "s", "b")
    message.attachments.append(Attachment(_Failing(), "a.bin"))  # nothing read yet
    client = SmtpClient(delivery_method=SmtpDeliveryMethod.SpecifiedPickupDirectory,
                        pickup_directory_location="/nonexistent-but-never-reached")
    with pytest.raises(SmtpException) as failure:
        client.send(message)
    assert isinstance(failure.value.__cause__, OSError)
    assert "disk is gone" in str(failure.value.__cause__)
