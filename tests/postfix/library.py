"""The recorded Postfix library, ``scenarios/servers/postfix/``: what each session sends to
which configuration, and the tool that records them again.

``python -m tests.postfix.library`` starts a throwaway Postfix (``instance.py``), sends each
entry's message with netmail through the recording proxy, and writes one scenario per entry:
the server side is Postfix's session, ``expect`` what netmail (the reference client) did. Run
it after a Postfix upgrade or a configuration change, and review the diff: the realism check
(test_library.py) holds every file to the live Postfix.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.adapters import make_adapter
from harness.library import builtin_dir
from harness.loader import scenario_from_data
from harness.model import Scenario
from harness.profiles import with_profile
from harness.record.live import LiveRun, send_through_proxy, upstream_context
from harness.record.write import compose, scenario_text
from harness.server import ca_file

from .instance import CONFIGURATIONS, HOST, SASL_PASSWORD, SASL_USER, SIZE_LIMIT, Postfix

DIRECTORY = builtin_dir() / "servers" / "postfix"


@dataclass(frozen=True)
class Entry:
    name: str
    configuration: str
    condition: str
    description: str
    client: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] = field(default_factory=dict)
    timing: bool = False

    @property
    def scenario_id(self) -> str:
        return f"servers/postfix/{self.name}"

    def scenario(self) -> Scenario:
        """The client and message, as a scenario the proxy can send."""
        return scenario_from_data({"id": self.scenario_id, "condition": self.condition,
                                   "client": self.client, "message": self.message,
                                   "expect": {"raises": None}}, Path(f"<{self.name}>"))


THREE = ["a@example.com", "b@example.com", "c@example.com"]
ENTRIES = (
    Entry("delivered", "accept", "delivered", "Postfix accepts the message."),
    Entry("recipient-unknown", "recipient-unknown", "recipients-failed",
          "One of three recipients is unknown to Postfix: 550 5.1.1 at its RCPT; the others "
          "get the message.",
          message={"to": ["a@example.com", "bad@example.com", "c@example.com"]}),
    Entry("all-recipients-unknown", "recipient-unknown", "recipients-failed",
          "Every recipient is unknown to Postfix: nothing is sent.",
          message={"to": ["nobody@example.com", "bad@example.com"]}),
    Entry("recipient-deferred", "recipient-deferred", "recipients-failed",
          "Postfix defers one recipient with 450 4.2.1 at RCPT; the other gets the message.",
          message={"to": ["a@example.com", "busy@example.com"]}),
    Entry("recipient-limit", "recipient-limit", "recipients-failed",
          "Postfix takes two recipients per message: the third gets 452 4.5.3.",
          message={"to": THREE}),
    Entry("message-too-big", "size-limit", "server-reply-failed",
          f"Postfix's message_size_limit is {SIZE_LIMIT} bytes; the client declares a larger "
          "SIZE= and MAIL gets 552 5.3.4.",
          message={"body": {"repeat": "0123456789", "times": 2 * SIZE_LIMIT // 10}}),
    Entry("sender-refused", "sender-refused", "server-reply-failed",
          "Postfix refuses the sender, but (smtpd_delay_reject = yes, its default) at RCPT: "
          "554 5.7.1 to the recipient, after 250 to MAIL. A 554 to RCPT is fatal in .NET's "
          "contract (not a failed recipient): SmtpException(TransactionFailed).",
          message={"from": "refused@example.com"}),
    Entry("sender-refused-at-mail", "sender-refused-at-mail", "server-reply-failed",
          "Postfix with smtpd_delay_reject = no refuses the sender at MAIL: 554 5.7.1.",
          message={"from": "refused@example.com"}),
    Entry("slow-greeting-timeout", "slow-greeting", "timeout",
          "Postfix waits 4 s before its greeting (smtpd_client_restrictions = sleep 4); the "
          "client's 2 s timeout ends the send.", client={"timeout": 2}, timing=True),
    Entry("slow-greeting-within-timeout", "slow-greeting", "delivered",
          "Postfix waits 4 s before its greeting; the client's timeout is longer, so the "
          "message goes.", client={"timeout": 10}, timing=True),
    Entry("starttls", "starttls", "delivered",
          "Postfix offers STARTTLS; the client starts TLS and sends.",
          client={"enable_ssl": True}),
    Entry("starttls-not-offered", "accept", "ssl-no-starttls",
          "The client requires TLS and Postfix does not offer STARTTLS: nothing is sent.",
          client={"enable_ssl": True}),
    Entry("starttls-required", "starttls-required", "server-reply-failed",
          "Postfix requires TLS (smtpd_tls_security_level = encrypt); a client without it "
          "gets 530 5.7.0 to MAIL.", client={"enable_ssl": False}),
    Entry("no-pipelining", "no-pipelining", "delivered",
          "Postfix does not offer PIPELINING (and would hang up on a client that pipelines "
          "anyway): commands go one at a time.", message={"to": THREE}),
    Entry("client-rejected", "client-rejected", "server-reply-failed",
          "Postfix rejects the client at connect (smtpd_client_restrictions = reject, "
          "smtpd_delay_reject = no): a 554 greeting."),
    Entry("auth", "auth", "delivered", "Postfix offers AUTH (Cyrus SASL); the client logs in "
          "and sends.", client={"credentials": {"user": SASL_USER, "password": SASL_PASSWORD}}),
    Entry("auth-failed", "auth", "auth-failed", "Postfix refuses the password: 535 5.7.8.",
          client={"credentials": {"user": SASL_USER, "password": "wrong"}}),
    Entry("auth-not-offered", "accept", "delivered",
          "The client has credentials and Postfix offers no AUTH: it sends without logging "
          "in.", client={"credentials": {"user": SASL_USER, "password": SASL_PASSWORD}}),
)


def send(postfix: Postfix, entry: Entry, client: str = "netmail") -> LiveRun:
    """``entry``'s message, sent with ``client`` to its configuration through the proxy."""
    scenario, configuration = entry.scenario(), entry.configuration
    adapter = make_adapter(client)
    adapter.start()
    try:
        return send_through_proxy(adapter, scenario, (HOST, postfix.port(configuration)),
                                  upstream_context(ca_file()), "localhost")
    finally:
        adapter.close()


def document(postfix: Postfix, entry: Entry, live: LiveRun) -> dict[str, Any]:
    configuration = next(c for c in CONFIGURATIONS if c.name == entry.configuration)
    settings = "; ".join(f"{k} = {v}" for k, v in configuration.smtpd + configuration.cleanup)
    return compose(live.recording, live.transcript, live.outcomes,
                   scenario_id=entry.scenario_id, timing=entry.timing, client="netmail",
                   condition=entry.condition,
                   description=f"{entry.description} Recorded from Postfix's "
                               f"{configuration.name} configuration (tests/postfix/instance.py"
                               + (f": {settings})." if settings else ")."),
                   server=f"Postfix {postfix.version}", configuration=configuration.name,
                   client_data=entry.client, message_data=entry.message)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="smtp-postfix-") as directory:
        Path(directory).chmod(0o755)
        with Postfix(Path(directory)) as postfix:
            DIRECTORY.mkdir(parents=True, exist_ok=True)
            for entry in ENTRIES:
                live = send(postfix, entry)
                if live.transcript.harness_errors:
                    raise RuntimeError(f"{entry.name}: {live.transcript.harness_errors}")
                found = document(postfix, entry, live)
                del found["recorded"]["upstream"]  # an ephemeral port: noise in every diff
                text = scenario_text(found, "netmail")
                path = DIRECTORY / f"{entry.name}.yaml"
                if path.exists():  # other clients' profiles stay (smtp-harness profile)
                    old = yaml.safe_load(path.read_text(encoding="utf-8"))
                    for client, fields in sorted((old.get("profiles") or {}).items()):
                        text = with_profile(text, client, fields)
                path.write_text(text, encoding="utf-8")
                print(f"{entry.scenario_id}: {live.outcomes[-1].describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
