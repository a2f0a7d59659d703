"""Soak: many sends with random faults, every outcome held to the contract oracle.

One ``SmtpClient`` sends N messages; before each, a scripted server with a random fault (reply
codes at any step, malformed replies, drops, resets, delays past the timeout, rejected
recipients) starts on the shared loop and the client is pointed at it. Each outcome must equal
what ``harness.oracle`` requires. At the end: sends, faults injected, outcomes matching the
oracle, file descriptors and threads leaked, and peak RSS.

    python -m benchmarks.soak            # 10,000 sends
    python -m benchmarks.soak --sends 500 --seed 7
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import threading
import time

from harness.adapters.netmail_adapter import describe_exception
from harness.model import Action, ServerScript
from harness.oracle import Session, expected_outcome
from harness.outcome import Outcome
from harness.server import HOST, shared_host
from harness.verdict import compare
from netmail import MailMessage, SmtpClient

TIMEOUT = 0.3
CODES = [220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 454, 500, 501, 502, 530, 550,
         551, 552, 553, 554, 299, 399, 599]
MALFORMED = ["Go away\r\n", "25\r\n", "250 ok\n", "600 weird\r\n", "250-a\r\n251 b\r\n"]
RECIPIENTS = ["a@example.com", "b@example.com", "c@example.com"]


def random_action(rng: random.Random, normal: float) -> Action:
    """A normal action with probability ``normal``, else one random fault."""
    if rng.random() < normal:
        return Action()
    kind = rng.choice(["reply", "reply", "raw", "drop", "reset", "after", "slow", "late"])
    if kind == "reply":
        return Action(reply=(f"{rng.choice(CODES)} scripted",))
    if kind == "raw":
        return Action(raw=rng.choice(MALFORMED))
    if kind in ("drop", "reset"):
        return Action(drop="before" if kind == "drop" else "reset")
    if kind == "after":
        return Action(drop="after")
    return Action(delay=0.01 if kind == "slow" else 1.0)  # "late": past the timeout


def random_session(rng: random.Random) -> tuple[Session, list[str]]:
    recipients = rng.sample(RECIPIENTS, rng.randint(1, 3))
    rcpt = tuple(Action(reply=(f"{rng.choice([250, 251, 252, 450, 452, 550, 553])} r",))
                 if rng.random() < 0.3 else random_action(rng, 0.9) for _ in recipients)
    session = Session(greeting=random_action(rng, 0.95), ehlo=random_action(rng, 0.95),
                      mail=random_action(rng, 0.95), rcpt=rcpt, data=random_action(rng, 0.95),
                      end_of_data=random_action(rng, 0.9))
    return session, recipients


def script_of(session: Session) -> ServerScript:
    steps = [(step, (getattr(session, step),)) for step in
             ("greeting", "ehlo", "mail", "data", "end_of_data")
             if getattr(session, step) != Action()]
    if session.rcpt:
        steps.append(("rcpt", session.rcpt))
    return ServerScript(steps=tuple(steps))


def soak(sends: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    host = shared_host()
    client = SmtpClient(HOST, 25, timeout=TIMEOUT)
    gc.collect()
    fds, threads = len(os.listdir("/proc/self/fd")), threading.active_count()
    faults = matches = 0
    mismatches: list[str] = []
    started = time.monotonic()
    for number in range(sends):
        session, recipients = random_session(rng)
        faults += any(a != Action() for _, actions in script_of(session).steps for a in actions)
        server = host.start(script_of(session))
        client.port = server.port  # one client throughout; a new port drops its connection
        try:
            client.send(MailMessage("s@example.com", recipients, "soak", "body\n"))
            outcome = Outcome()
        except Exception as exc:
            outcome = describe_exception(exc)
        transcript = server.stop(settle=0.05)  # a kept connection would otherwise hold it
        differences = compare(expected_outcome(session, recipients, TIMEOUT), [outcome],
                              transcript, None)
        if differences:
            mismatches.append(f"send {number}: {differences}")
        else:
            matches += 1
    elapsed = time.monotonic() - started
    client.dispose()
    gc.collect()
    time.sleep(0.2)
    for line in mismatches[:10]:
        print(line)
    return {
        "sends": sends,
        "faults injected": faults,
        "outcomes matching the oracle": matches,
        "leaked file descriptors": len(os.listdir("/proc/self/fd")) - fds,
        "leaked threads": threading.active_count() - threads,
        "peak RSS (MiB)": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    for name, value in soak(args.sends, args.seed).items():
        print(f"{name:30} {value:,.1f}" if isinstance(value, float) else f"{name:30} {value:,}")


if __name__ == "__main__":
    main()
