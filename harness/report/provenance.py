"""Where a run's results come from: the harness's version and the machine it ran on.

A results file read weeks later, or beside another machine's, must say what produced it: a
speed or a timeout verdict means little without the CPU count, a regression little without
the harness version.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import socket

DISTRIBUTION = "smtp-conformance"
NOT_INSTALLED = "(not installed)"


def tool_version() -> str:
    """The installed harness's version; ``(not installed)`` when run from a bare checkout."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


def machine() -> dict[str, str | int | None]:
    """The Python, the platform, the CPU count (None if unknown) and, when it has one, the
    host name."""
    found: dict[str, str | int | None] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    hostname = socket.gethostname()
    if hostname:
        found["hostname"] = hostname
    return found
