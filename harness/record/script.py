"""From a recorded session to the server script that replays it, and what it cannot replay.

Each step's replies are replayed in the order they came, across connections, as a scenario's
sequences run; a recipient whose every RCPT got one same reply is matched by its address
instead, so that a client which names the recipients in another order meets the same server.
The scripted server answers what the recording does not cover (a NOOP, a second message) as
it always does, and ``notes`` says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..model import STEPS
from ..schema import MAX_RAW, MAX_REPLY_LINE, MAX_REPLY_LINES
from .session import Exchange, Recording, Reply

MIN_DELAY = 0.05
"""Delays below this are the network's and the machine's, not the server's: not replayed."""
NOTABLE_DELAY = 0.5
"""A delay recorded without ``--timing`` that the notes mention."""
PLACEHOLDER_CREDENTIALS = {"user": "recorded-user", "password": "recorded-password"}
"""What a replay logs in with: the real credentials are never written."""
_SASL_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")
"""Mechanisms the scripted server can carry out."""


@dataclass
class Replay:
    """The ``server`` mapping of a scenario, and what about the session it cannot replay."""

    server: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    uses_tls: bool = False
    uses_auth: bool = False


def replay_script(recording: Recording, timing: bool) -> Replay:
    notes: list[str] = []
    server: dict[str, Any] = {"extensions": _behaviour_keywords(recording)}
    tls = any(e.final is not None and e.final.code == 220 for e in recording.exchanges("starttls"))
    if tls:
        server["tls"] = {"certificate": "trusted"}
        said = {e.final.lines[-1] for e in recording.exchanges("starttls")
                if e.final is not None and e.final.code == 220}
        notes.append("STARTTLS is replayed with a harness certificate"
                     + (f" (the server's named {recording.upstream_certificate})"
                        if recording.upstream_certificate else "")
                     + f", and the scripted server's own 220 (the server said "
                       f"{' / '.join(sorted(said))!r}).")
    sasl = _sasl(recording, notes)
    if sasl is not None:
        server["sasl"] = sasl
    for step in STEPS:
        actions = list(_actions(recording, step, timing, notes))
        if actions:
            server[step] = actions[0] if len(actions) == 1 and "match" not in actions[0] \
                else actions
    notes += _unscripted(recording)
    if any(e.reset_after_reply for c in recording.connections for e in c.exchanges):
        notes.append("the server reset the connection after a reply: the replay closes it "
                     "instead (a script resets only in place of a reply).")
    notes += _abandoned(recording)
    notes += _slow(recording, timing)
    for connection in recording.connections:
        notes += [f"connection {connection.number}: {note}" for note in connection.notes]
    if len(recording.connections) > 1:
        notes.append(f"{len(recording.connections)} connections: each step's replies are "
                     "replayed in order across them.")
    return Replay(server, notes, tls, bool(recording.exchanges("auth")))


def _actions(recording: Recording, step: str, timing: bool,
             notes: list[str]) -> Iterator[dict[str, Any]]:
    exchanges = recording.exchanges(step)
    matched = _matched_recipients(exchanges) if step == "rcpt" else {}
    for address, exchange in matched.items():
        yield {"match": address, **_action(exchange, timing)}
    actions = [{} if _by_sasl(e) or _starts_tls(e) else _action(e, timing)
               for e in exchanges if e.address not in matched]
    while actions and not actions[-1]:  # the scripted server's own behaviour, as after a list
        actions.pop()
    yield from actions
    if step == "end_of_data" and any(e.final is not None and (e.final.code or 0) >= 400
                                     for e in exchanges):
        notes.append("the server refused a message after reading it: the replay refuses "
                     "every message the same way at that point, whatever it holds (the real "
                     "server may have judged its size or content).")


def _matched_recipients(exchanges: list[Exchange]) -> dict[str, Exchange]:
    """Recipients whose every RCPT got one same reply (and no drop): matched by address."""
    by_address: dict[str, list[Exchange]] = {}
    for exchange in exchanges:
        if exchange.address is not None:
            by_address.setdefault(exchange.address, []).append(exchange)
    return {address: found[0] for address, found in by_address.items()
            if all(e.drop is None and e.final == found[0].final for e in found)}


def _behaviour_keywords(recording: Recording) -> list[str]:
    """The EHLO keywords that change how the scripted server itself reads the client:
    SMTPUTF8 (otherwise it refuses a command that is not ASCII). The EHLO reply is the
    recorded one; SIZE and the rest only change what the scripted server would say itself,
    and the recorded replies say it instead."""
    offered = {line[4:].split(" ", 1)[0].upper() for e in recording.exchanges("ehlo")
               if e.final for line in e.final.lines}
    return ["SMTPUTF8"] if "SMTPUTF8" in offered else []


def _action(exchange: Exchange, timing: bool) -> dict[str, Any]:
    action: dict[str, Any] = {}
    body_left = exchange.left_in_message
    if exchange.abandoned:  # unanswered while the client waited
        action["delay"] = _longer(exchange.delay)
    elif timing and exchange.delay >= MIN_DELAY:
        action["delay"] = round(exchange.delay, 2)
    if exchange.stalled >= MIN_DELAY and (timing or body_left):
        action["read_pause"] = _longer(exchange.stalled) if body_left else round(
            exchange.stalled, 2)
    reply = exchange.final
    if reply is not None:
        action.update(_reply(reply))
    if exchange.drop is not None:
        action["drop"] = exchange.drop
    return action


def _longer(waited: float) -> float:
    """A wait the client gave up on, made long enough that the replay's client gives up
    too."""
    return round(max(2 * waited, waited + 1.0), 2)


def _reply(reply: Reply) -> dict[str, Any]:
    """A well-formed reply as its lines; anything else (or a reply longer than a script's
    lines may be) as its exact bytes, in pieces if need be."""
    fits = len(reply.lines) <= MAX_REPLY_LINES and all(len(line) <= MAX_REPLY_LINE
                                                       for line in reply.lines)
    if reply.well_formed and fits:
        return {"reply": reply.lines[0] if len(reply.lines) == 1 else list(reply.lines)}
    raw = reply.raw.decode("utf-8", "surrogateescape")
    if len(raw) <= MAX_RAW:
        return {"raw": raw}
    return {"raw": [raw[i:i + MAX_RAW] for i in range(0, len(raw), MAX_RAW)]}


def _starts_tls(exchange: Exchange) -> bool:
    """A 220 to STARTTLS: replayed by the scripted server's own, which starts TLS (a
    scripted reply would not)."""
    return exchange.step == "starttls" and exchange.final is not None and (
        exchange.final.code == 220)


def _by_sasl(exchange: Exchange) -> bool:
    """An AUTH exchange with challenges: replayed by the scripted server's SASL."""
    return exchange.step == "auth" and len(exchange.replies) > 1


def _sasl(recording: Recording, notes: list[str]) -> dict[str, Any] | None:
    """The scripted server's SASL, for AUTH exchanges with challenges: the mechanisms the
    server offered (those the scripted server can carry out), the placeholder account when an
    exchange succeeded, and the server's refusal when one failed."""
    challenged = [e for e in recording.exchanges("auth") if _by_sasl(e)]
    if not challenged:
        return None
    offered = _offered_mechanisms(recording)
    mechanisms = [m for m in offered if m in _SASL_MECHANISMS] or ["PLAIN", "LOGIN"]
    lost = [m for m in offered if m not in _SASL_MECHANISMS]
    if lost:
        notes.append(f"AUTH mechanisms the scripted server cannot carry out are offered in "
                     f"the replayed EHLO but refused: {', '.join(lost)}.")
    sasl: dict[str, Any] = {"mechanisms": mechanisms}
    succeeded = [e for e in challenged if e.final is not None and e.final.code == 235]
    if succeeded:
        sasl["users"] = {PLACEHOLDER_CREDENTIALS["user"]: PLACEHOLDER_CREDENTIALS["password"]}
    failed = [e.final for e in challenged if e.final is not None and e.final.code != 235]
    if failed and failed[0].well_formed and len(failed[0].lines) == 1:
        sasl["reject"] = failed[0].lines[0]
    notes.append("AUTH: the client's credentials were not recorded; the replay's SASL "
                 f"exchange is the scripted server's, with the account {PLACEHOLDER_CREDENTIALS}"
                 + (" (accepted, as the server accepted the real one)" if succeeded else
                    " refused as the server refused the real one"
                    if failed else "") + ".")
    return sasl


def _offered_mechanisms(recording: Recording) -> list[str]:
    for exchange in recording.exchanges("ehlo"):
        for line in exchange.final.lines if exchange.final else ():
            words = line[4:].split()
            if words and words[0].upper() in ("AUTH", "AUTH=PLAIN"):
                return [w.upper() for w in words[1:]]
    return []


def _unscripted(recording: Recording) -> list[str]:
    others = sorted({(e.command or "").split(" ", 1)[0].upper()
                     for e in recording.exchanges("other")})
    if not others:
        return []
    return [f"commands a script cannot answer were sent ({', '.join(others)}): the replay "
            "answers them as the scripted server does, not as the recorded server did."]


def _abandoned(recording: Recording) -> list[str]:
    exchanges = [e for c in recording.connections for e in c.exchanges
                 if e.abandoned or e.left_in_message]
    return [f"the server had read nothing of the message for {e.stalled:.2f} s when the "
            "client gave up: the replay stops reading for longer." if e.left_in_message else
            f"the server had not answered {e.command or e.step} after {e.delay:.2f} s, when "
            "the client gave up: the replay waits longer before it answers."
            for e in exchanges]


def _slow(recording: Recording, timing: bool) -> list[str]:
    if timing:
        return ["delays of the server are replayed as recorded (--timing)."]
    slow = [e for c in recording.connections for e in c.exchanges if e.delay >= NOTABLE_DELAY]
    return [f"the server took {e.delay:.2f} s to answer {e.command or e.step}; recorded "
            "without --timing, so the replay answers at once." for e in slow]
