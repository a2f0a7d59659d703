"""Scripted fake SMTP servers on aiosmtpd, many to one event loop."""

from .certificates import ca_file
from .host import HOST, RunningServer, ServerHost, shared_host
from .transcript import Transcript

__all__ = ["HOST", "RunningServer", "ServerHost", "Transcript", "ca_file", "shared_host"]
