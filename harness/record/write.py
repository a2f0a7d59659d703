"""The recorded scenario file: the replayed server, the client and message that met it, and
an expectation to review.

With a client run (``record --client``), ``expect`` is what that client did; the header says
to edit it to what the contract says. Without one, the proxy cannot know what the client
raised: ``expect.raises`` is left for the user to fill in, and the file does not validate
until they do (a recording cannot pass by default).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml

from ..model import TO_COMPLETE
from ..outcome import Outcome, status_name
from ..server.script import address_of
from ..server.transcript import Transcript
from .script import PLACEHOLDER_CREDENTIALS, Replay, replay_script
from .session import Recording


def recorded_header(recording: Recording, replay: Replay, *, server: str | None,
                    configuration: str | None, client: str | None,
                    timing: bool) -> dict[str, Any]:
    """The file's ``recorded`` mapping."""
    named = server or _shortened(recording.greeting) or recording.upstream
    header: dict[str, Any] = {"server": named}
    if configuration:
        header["configuration"] = configuration
    header |= {"upstream": recording.upstream, "date": datetime.now(UTC).date().isoformat(),
               "client": client or "external", "timing": timing}
    if replay.notes:
        header["notes"] = replay.notes
    return header


def _shortened(text: str | None, limit: int = 120) -> str | None:
    """A greeting as the server's name: its first ``limit`` characters."""
    return text if text is None or len(text) <= limit else text[:limit - 3] + "..."


def expectation(outcomes: list[Outcome] | None, transcript: Transcript) -> dict[str, Any]:
    """``expect``: what the client did (its last send), and what the server accepted."""
    expect: dict[str, Any]
    if outcomes:
        last = outcomes[-1]
        expect = {"raises": last.exception}
        if last.exception is not None and last.status_code is not None:
            expect["status_code"] = status_name(last.status_code)
        if last.failed_recipients:
            expect["failed_recipients"] = [
                {"address": r.address, "status_code": status_name(r.status_code)}
                for r in last.failed_recipients]
    else:
        expect = {"raises": TO_COMPLETE}
    facts = transcript.facts()
    # Not data_sent: a client that pipelines sends DATA even after MAIL fails (RFC 2920).
    expect["server"] = {"delivered_to": facts["delivered_to"], "messages": facts["messages"]}
    return expect


def seen_client(replay: Replay, timeout: float) -> dict[str, Any]:
    """For a recording without a client: the settings the session shows it used."""
    client: dict[str, Any] = {"timeout": timeout}
    if replay.uses_tls:
        client["enable_ssl"] = True
    if replay.uses_auth:
        client["credentials"] = dict(PLACEHOLDER_CREDENTIALS)
    return client


def seen_message(transcript: Transcript) -> dict[str, Any]:
    """For a recording without a client: the envelope it sent (every RCPT, in order)."""
    senders = transcript.mail_arguments("MAIL FROM:")
    recipients = transcript.mail_arguments("RCPT TO:")
    message: dict[str, Any] = {}
    if senders:
        message["from"] = address_of(senders[0])
    if recipients:
        message["to"] = [address_of(r) for r in recipients]
    return message


def condition_of(expect: dict[str, Any]) -> str:
    """A first guess at the documented condition, from the outcome (the user may correct it)."""
    raises = expect.get("raises")
    if raises is None:
        return "delivered"
    if raises in ("SmtpFailedRecipientException", "SmtpFailedRecipientsException"):
        return "recipients-failed"
    return "server-reply-failed"


def scenario_text(document: dict[str, Any], client: str | None) -> str:
    """The file: a header saying what to review, then the scenario."""
    who = (f"# expect is what {client} did: edit it to what the contract says.\n"
           if client else f"# fill in expect.raises ({TO_COMPLETE} until then): the outcome "
                          "the contract says.\n")
    header = ("# Recorded by smtp-harness record: the server's side replays the recorded\n"
              "# session. Review client and message;\n" + who
              + "# recorded.notes lists what the replay cannot reproduce.\n")
    return header + "".join(
        yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=100,
                       default_flow_style=None if isinstance(value, dict | list)
                       and key != "recorded" else False)
        for key, value in document.items())



def compose(recording: Recording, transcript: Transcript, outcomes: list[Outcome] | None, *,
            scenario_id: str, timing: bool, client: str | None = None,
            condition: str | None = None, description: str | None = None,
            server: str | None = None, configuration: str | None = None,
            client_data: dict[str, Any] | None = None,
            message_data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The scenario document for a recorded session. ``client_data`` and ``message_data``
    are what the client was given (scenario syntax); without them, what the session shows.
    Credentials given to the client are replaced by placeholders, used or not."""
    replay = replay_script(recording, timing)
    expect = expectation(outcomes, transcript)
    client_data = dict(client_data) if client_data is not None else seen_client(replay, 3.0)
    if "credentials" in client_data:
        client_data["credentials"] = dict(PLACEHOLDER_CREDENTIALS)
    header = recorded_header(recording, replay, server=server, configuration=configuration,
                             client=client, timing=timing)
    return {
        "id": scenario_id,
        "condition": condition or condition_of(expect),
        "description": description or f"Recorded from {header['server']}.",
        "recorded": header,
        "server": replay.server,
        "client": client_data,
        "message": message_data if message_data is not None else seen_message(transcript),
        "expect": expect,
    }
