"""Pickup-directory delivery: one ``.eml`` file per message, written atomically.

The file appears under its final name only when complete (written to a hidden temporary file
in the same directory, flushed, then renamed), so a pickup service never reads half a message.
The envelope travels in ``X-Sender``/``X-Receiver`` lines, as IIS pickup files carry it, so Bcc
recipients are not lost.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from .errors import SmtpException
from .session import Envelope


def write_pickup_file(directory: str | None, envelope: Envelope,
                      content: bytes | bytearray) -> Path:
    if not directory or not os.path.isabs(directory):
        raise SmtpException("Only absolute directories are allowed for pickup directory.")
    head = b"X-Sender: " + envelope.sender.address.encode() + b"\r\n" + b"".join(
        b"X-Receiver: " + r.address.encode() + b"\r\n" for r in envelope.recipients
    )
    fd, temporary = tempfile.mkstemp(prefix=".netmail-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(head)
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        final = Path(directory) / f"{uuid.uuid4()}.eml"
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return final
