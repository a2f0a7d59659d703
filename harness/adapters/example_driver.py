"""An example driver of the JSON-lines adapter protocol: netmail, as a separate process.

``smtp-harness run --client "mine=cmd:python -m harness.adapters.example_driver"`` runs it.
It shows the protocol's whole loop (the hello, one request and one answer per line, flushed);
a driver for a client in another language has the same shape, with its own client in place of
the in-process netmail adapter (``smtp-harness docs adapter-protocol``). It can also misbehave,
to watch the harness refuse to call that green (and the tests use it so):

- ``--lie``: report SmtpException wherever netmail raised a recipient exception;
- ``--unavailable``: answer every request "unavailable" (the harness must not call that green);
- ``--lacks pickup``: declare, in its hello, that it has no pickup directory, and answer the
  pickup requests "unavailable" (which the harness then explains as "not runnable").
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from harness.adapters import NetmailAdapter
from harness.adapters.base import ClientRequest, request_from_json
from harness.outcome import Outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lie", action="store_true")
    parser.add_argument("--unavailable", action="store_true")
    parser.add_argument("--lacks", action="append", default=[])
    options = parser.parse_args()
    adapter = NetmailAdapter()
    print(json.dumps({"hello": {"client": "netmail via JSON lines", "protocol": 1,
                                "lacks": options.lacks}}), flush=True)
    for line in sys.stdin:
        message = json.loads(line)
        request = request_from_json(message["request"])
        if options.unavailable or _lacked(request, options.lacks):
            answer = {"id": message["id"], "unavailable": "this driver will not run it"}
        else:
            answer = {"id": message["id"], "outcomes": [
                _outcome_json(o) for o in _outcomes(adapter, request, options.lie)]}
        print(json.dumps(answer), flush=True)


def _lacked(request: ClientRequest, lacks: list[str]) -> bool:
    return "pickup" in lacks and request.delivery_method != "network"


def _outcomes(adapter: NetmailAdapter, request: ClientRequest, lie: bool) -> list[Outcome]:
    outcomes = adapter.run(request)
    if lie:
        outcomes = [replace(o, exception="SmtpException")
                    if o.exception and "Recipient" in o.exception else o for o in outcomes]
    return outcomes


def _outcome_json(outcome: Outcome) -> dict[str, object]:
    return {**outcome.to_json(), "status_code": outcome.status_code,
            "inner_bases": list(outcome.inner_bases),
            "failed_recipients": [{"address": r.address, "status_code": r.status_code}
                                  for r in outcome.failed_recipients]}


if __name__ == "__main__":
    main()
