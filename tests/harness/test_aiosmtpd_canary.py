"""The private aiosmtpd and asyncio members the scripted server relies on, checked in the
installed versions: an upgrade that changes one fails here, naming the member, rather than as
scattered scenario failures.

The members are listed once, in ``PRIVATE_MEMBERS``; docs/aiosmtpd-internals.md explains
each, and must list exactly those.
"""

from __future__ import annotations

import asyncio
import inspect
import platform
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FunctionType

import aiosmtpd
import pytest
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP

from harness.server.smtp import PRIVATE_MEMBERS, PrivateMember, ScriptedSMTP

DOC = Path(__file__).resolve().parents[2] / "docs" / "aiosmtpd-internals.md"
INSTANCES: dict[type, Callable[[asyncio.AbstractEventLoop], object]] = {
    SMTP: lambda loop: SMTP(Sink(), hostname="canary.invalid", loop=loop),
    asyncio.StreamReader: lambda loop: asyncio.StreamReader(loop=loop),
}
"""How to make an instance of each owner whose instance attributes are checked."""


def changed(member: PrivateMember) -> str:
    package = member.owner.__module__.partition(".")[0]
    version = (aiosmtpd.__version__ if package == "aiosmtpd"
               else f"(Python {platform.python_version()})")
    return (f"{package} {version} changed {member}, which harness/server/smtp.py relies on; "
            "see docs/aiosmtpd-internals.md")


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.mark.parametrize("member", PRIVATE_MEMBERS, ids=str)
def test_private_member_is_as_expected(member: PrivateMember,
                                       loop: asyncio.AbstractEventLoop) -> None:
    if member.kind is FunctionType:
        found = inspect.getattr_static(member.owner, member.name, None)
        assert isinstance(found, FunctionType), changed(member)
        assert tuple(inspect.signature(found).parameters) == member.parameters, changed(member)
    else:
        instance = INSTANCES[member.owner](loop)
        assert isinstance(getattr(instance, member.name, None), member.kind), changed(member)


def test_the_doc_lists_exactly_the_members_relied_on() -> None:
    listed = re.findall(r"^## `([^`]+)`$", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    assert listed == [str(member) for member in PRIVATE_MEMBERS]


def test_every_aiosmtpd_command_runs_through_the_script() -> None:
    """A command aiosmtpd adds would otherwise bypass the script (a drop, say)."""
    commands = {name for name in dir(SMTP) if name.startswith("smtp_")}
    scripted = {name for name in vars(ScriptedSMTP) if name.startswith("smtp_")}
    assert commands <= scripted, (
        f"aiosmtpd {aiosmtpd.__version__} added {sorted(commands - scripted)}: override each "
        "in ScriptedSMTP (harness/server/smtp.py)")
