"""The judge's own reply grammar (RFC 5321 section 4.2), independent of any client under test.

The scripted server asks it whether a scripted reply is well formed (a well-formed 2xx after
the data is a delivery) and the oracle what the contract then requires (a malformed reply is
a ``FormatException``). It is written from the RFC, not from netmail's parser, so that a
client whose parser drifts is caught instead of redefining "well formed" for everyone.

The RFC's ABNF, for reference::

    Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
    Reply-code = %x32-35 %x30-35 %x30-39
    textstring = 1*(%d09 / %d32-126)

Where the RFC leaves room, the judge reads it as a receiver (the client) must, and decides:

- Line end: CRLF only. A bare LF does not end a line and a bare CR may not appear inside one
  (2.3.8: implementations MUST NOT recognize any other sequence as a line terminator, a
  MUST that the robustness principle does not override).
- First digit: 2 to 5 only. 4.2.1 lists 1yz but SMTP has no command that allows it, the ABNF
  excludes it, and 4.2.1 tells clients to treat out-of-range first digits as fatal errors.
- Second digit: 0 to 9, wider than the ABNF's 0 to 5. 4.2 says a receiver SHOULD act on the
  first digit (the severity); "out of range" is only defined for the first digit, and a code
  like 270 is a positive completion of a category not yet assigned (4.2.1). Refusing it would
  make the contract ask every client to reject codes RFC 5321 tells them to read by severity.
- Third digit: 0 to 9 (the ABNF).
- After the code: "-" continues the reply; SP or nothing (the line end) ends it. Anything
  else is malformed ("2500 ok" is not code 250 with text "0 ok"; "250ok" has no separator).
- A bare code ("250") is a complete reply: senders SHOULD NOT send one, but 4.2 says any
  text, "including no text at all", MUST be acceptable. "250 " (SP, empty text) and "250-"
  (empty continuation) are accepted for the same reason, though the ABNF's textstring is 1*.
- Text: any octets but CR and LF. 4.2 requires a client to accept any text, so the judge does
  not hold the server to textstring: UTF-8 (RFC 6531, SMTPUTF8), other 8-bit octets and
  control characters other than CR and LF are all text.
- Same code on every line of a multi-line reply (4.2: each line begins with "the reply
  code"); a change of code within one reply is malformed.
- Length: no limit on a line or on the number of lines. 4.5.3.1.5's 512 octets is a size
  every receiver MUST accept, and 4.5.3.1 asks for implementations without limits, so the
  robustness principle wins: a longer line is still one reply. (A client's own limit far
  above 512 is listed as a known difference in tests/harness/test_grammar.py.)
- Text is not inspected: the greeting's and EHLO reply's Domain (4.2, 4.1.1.1) are not
  required, since a client acts on the code alone (4.2).
- Exactly one reply: nothing before it, nothing after its last line, and no partial reply.
"""

from __future__ import annotations

import re

_REPLY = re.compile(r"([2-5][0-9][0-9])(?:-[^\r\n]*\r\n\1)*(?: [^\r\n]*)?\r\n")
"""One reply: continuation lines repeating the first line's code, then a last line. Text
excludes CR and LF, and a line must end where they appear, so matching cannot backtrack
far: the server calls this for every scripted reply."""


def well_formed_code(raw: str) -> int | None:
    """The code of ``raw`` if it is exactly one well-formed reply, else None.

    ``raw`` is text as a scenario spells it (undecodable octets as surrogate escapes): the
    grammar only looks for ASCII digits, separators, CR and LF, which are the same as chars
    and as octets, so it needs no encoding.
    """
    match = _REPLY.fullmatch(raw)
    return int(match[1]) if match else None
