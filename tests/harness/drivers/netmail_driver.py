"""A process-protocol driver for netmail, for testing the process adapter.

It runs each request through the in-process netmail adapter and answers in JSON lines.
``--lie`` makes it report SmtpException wherever netmail raised a recipient exception: the
harness must catch that.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

from harness.adapters import NetmailAdapter
from harness.adapters.base import request_from_json


def main() -> None:
    lie = "--lie" in sys.argv
    adapter = NetmailAdapter()
    print(json.dumps({"hello": {"client": "netmail via JSON lines", "protocol": 1}}), flush=True)
    for line in sys.stdin:
        message = json.loads(line)
        outcomes = adapter.run(request_from_json(message["request"]))
        if lie:
            outcomes = [replace(o, exception="SmtpException")
                        if o.exception and "Recipient" in o.exception else o for o in outcomes]
        answer = {"id": message["id"], "outcomes": [
            {**o.to_json(), "status_code": o.status_code, "inner_bases": list(o.inner_bases),
             "failed_recipients": [{"address": r.address, "status_code": r.status_code}
                                   for r in o.failed_recipients]} for o in outcomes]}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
