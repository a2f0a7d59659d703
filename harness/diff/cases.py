"""The generated cases, by axis, as hypothesis strategies.

A send case is a scenario file's content (``server``, ``client``, ``message``) without its
``expect``, so whatever it finds is written back as a scenario unchanged; an address case is
one ``MailAddress(...)`` construction. Each axis varies one thing the contract touches and
keeps the rest ordinary, so a disagreement says what caused it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from . import AXES

WEIGHTS = {"addresses": 8, "message-addresses": 2, "messages": 3, "settings": 2,
           "servers": 3, "sequences": 2}
"""How an ``--examples`` total is shared out: address cases cost a millisecond, the others
a server each."""


CUSTOM_HEADERS = ("X-Tag", "Keywords", "X-Empty")
"""The custom headers messages are given (``observe`` compares these as delivered)."""


@dataclass(frozen=True)
class Case:
    axis: str
    data: dict[str, Any]
    """A scenario's ``server``/``client``/``message`` (or, for ``addresses``: ``address`` and
    perhaps ``display_name``)."""


# -- addresses: an RFC 5322 grammar, with the hostile corners .NET's parser has -------------

_ATEXT = "abcxyzABZ019!#$%&'*+-/=?^_`{|}~"
_UNICODE = "éüßñ中文дя€"
_atom = st.text(st.sampled_from(_ATEXT + _UNICODE[:2]), min_size=1, max_size=8)
_dot_atom = st.lists(_atom, min_size=1, max_size=3).map(".".join)
_odd_dots = st.sampled_from([".a", "a.", "a..b", "."])
_qtext = st.text(st.sampled_from('ab @,.<>()[]:;' + '\\"' + "é\t"), max_size=8)
_quoted = st.one_of(_qtext.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
                    _qtext.map(lambda t: '"' + t + '"'),  # unescaped: maybe unbalanced
                    st.sampled_from(['"a"."b"', '"a""b"', '"', '"a', 'a"b"']))
_comment = st.one_of(st.text(st.sampled_from("ab ()\\é"), max_size=6).map(lambda t: f"({t})"),
                     st.sampled_from(["(a(b)c)", "(", ")", "(\\))"]))
_cfws = st.one_of(st.just(""), st.just(" "), st.just("\t"), _comment,
                  st.tuples(st.just(" "), _comment).map("".join))
_label = st.text(st.sampled_from("abcz09-" + "éü中"), min_size=1, max_size=10)
_domain = st.one_of(
    st.lists(_label, min_size=1, max_size=3).map(".".join),
    st.sampled_from(["example.com", "EXAMPLE.com", "xn--bcher-kva.example", "bücher.example",
                     "a.b.", ".a.b", "a..b", "[127.0.0.1]", "[IPv6:::1]", "[a[b]", "[a\\]]",
                     "[é]", "[]", "-a.com", "a-.com", "a_b.com", "localhost"]),
    st.text(st.sampled_from("ab.[]\\é"), min_size=1, max_size=8).map(lambda t: f"[{t}]"))
_local = st.one_of(_dot_atom, _odd_dots, _quoted)
_addr_spec = st.builds(lambda a, local, b, d, c: f"{a}{local}{b}@{c}{d}{a}", _cfws, _local, _cfws,
                       _domain, _cfws)
_display = st.one_of(
    st.text(st.sampled_from("abJoe Smith.,'" + "éü中"), min_size=1, max_size=12),
    _quoted, st.sampled_from(["Joe", "Joe Q. Public", "Smith, J", "a@b", "=?utf-8?q?x?=",
                              " ", "(comment) Joe"]))
_mailbox = st.one_of(
    _addr_spec,
    st.builds(lambda n, s, a: f"{n}{s}<{a}>", _display, st.sampled_from(["", " ", "  "]),
              _addr_spec),
    st.builds(lambda n, a: f"{n} {a}", _display, _addr_spec),  # a name, then a bare address
    st.builds(lambda a, b: f"{a}{b}", _addr_spec, st.sampled_from(
        [">", "<", " x", ",", ";", "\r\n", "\n", "\0", "\ud800", "@", " <a@b.c>"])),
    st.sampled_from(["", " ", "@", "a@", "@b", "<>", "<a@b>", "a@b@c", "a b@c", "a\rb@c",
                     "a@b\n", "\ud83d\ude00@example.com", "\udc00a@b.c", "x" * 70 + "@y.com",
                     "a@" + "b" * 300 + ".com"]))


def _address_case() -> st.SearchStrategy[Case]:
    plain = st.builds(lambda a: {"address": a}, st.one_of(_mailbox, st.none()))
    named = st.builds(lambda a, n: {"address": a, "display_name": n},
                      _mailbox, st.one_of(st.none(), st.just(""), _display,
                                          st.sampled_from(["a\r\nb", "é", '"q"'])))
    return st.one_of(plain, named).map(lambda d: Case("addresses", d))


# -- sends ----------------------------------------------------------------------------------

_SIMPLE_MESSAGE = {"from": "sender@example.com", "to": ["rcpt@example.com"]}
_text = st.one_of(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]),
                          max_size=20),
                  st.sampled_from(["", "plain", "naïve ü", "line\nline", "a\r\nb", ".\r\n.",
                                   "x" * 200, "=?utf-8?q?x?=", "\t", "long " * 400,
                                   "ü" * 1000]))


def _message_case() -> st.SearchStrategy[Case]:
    attachment = st.fixed_dictionaries(
        {"name": st.sampled_from(["a.txt", "report.pdf", "naïve.txt", "a b.txt", "noext"]),
         "content": st.sampled_from(["", "words", "ü"])},
        optional={"media_type": st.sampled_from(["text/plain", "application/pdf",
                                                 "image/png"]),
                  "source": st.sampled_from(["stream", "file", "failing-stream"])})
    message = st.fixed_dictionaries(
        {"from": st.sampled_from(["sender@example.com", '"S, T" <s@example.com>', None])},
        optional={
            "to": st.lists(st.sampled_from(["a@example.com", "b@example.com",
                                            "a@example.com, b@example.com"]), max_size=2),
            "cc": st.lists(st.just("c@example.com"), max_size=1),
            "bcc": st.lists(st.just("d@example.com"), max_size=1),
            "subject": st.one_of(st.none(), _text),
            "body": st.one_of(st.none(), _text),
            "html": st.booleans(),
            "headers": st.dictionaries(st.sampled_from(CUSTOM_HEADERS),
                                       st.sampled_from(["", "v", "ü"]), max_size=2),
            "attachments": st.lists(attachment, max_size=2)})
    return st.builds(lambda m: {"server": {}, "message": m}, message).map(
        lambda d: Case("messages", d))


def _message_address_case() -> st.SearchStrategy[Case]:
    return st.builds(
        lambda f, t: {"server": {}, "message": {"from": f, "to": t}},
        _mailbox, st.lists(_mailbox, min_size=1, max_size=2)).map(
        lambda d: Case("message-addresses", d))


def _settings_case() -> st.SearchStrategy[Case]:
    client = st.fixed_dictionaries({}, optional={
        "host": st.sampled_from([None, "", " ", "  ", " 127.0.0.1", "127.0.0.1 ", "\t"]),
        "port": st.sampled_from([0, -1, 1, 65535, 65536, 2**31 - 1]),
        "timeout": st.sampled_from([0, 0.5, 5]),
        "enable_ssl": st.booleans(),
        "credentials": st.sampled_from([{"user": "alice", "password": "secret"},
                                        {"user": "", "password": ""}]),
        "delivery_method": st.sampled_from(["network", "pickup", "pickup-iis"]),
        "pickup_directory": st.sampled_from(["absolute", "relative/dir", "", None,
                                             "/nonexistent/smtp-harness"]),
        "api": st.sampled_from(["send", "send_async"])})
    server = st.sampled_from([{}, {"tls": {"certificate": "trusted"}}, None])
    return st.builds(lambda c, s: {"server": s, "client": c, "message": _SIMPLE_MESSAGE},
                     client, server).map(lambda d: Case("settings", d))


_REPLIES = {
    "greeting": ["220 ready", "421 busy", "554 no", "250 odd"],
    "ehlo": ["250 ok", "500 unknown", "502 no", "421 bye", "550 no"],
    "mail": ["250 ok", "451 later", "452 full", "501 syntax", "530 auth", "550 no", "552 big",
             "553 bad"],
    "rcpt": ["250 ok", "251 forward", "252 cannot verify", "450 busy", "451 later",
             "452 too many", "501 bad", "550 no user", "551 not local", "553 bad", "554 no"],
    "data": ["354 go", "451 later", "503 order", "554 no"],
    "auth": ["504 5.5.4 mechanism not supported", "535 5.7.8 bad", "454 4.7.0 later",
             "334 VXNlcm5hbWU6", "235 2.7.0 ok"],
    "end_of_data": ["250 queued", "451 later", "452 full", "552 big", "554 no"],
}


def _server_case() -> st.SearchStrategy[Case]:
    def action(step: str) -> st.SearchStrategy[dict[str, Any]]:
        return st.one_of(
            st.builds(lambda r: {"reply": r}, st.sampled_from(_REPLIES[step])),
            st.builds(lambda d: {"drop": d}, st.sampled_from(["before", "after"])),
            st.just({"delay": 0.05}))
    steps = st.fixed_dictionaries({}, optional={
        step: st.one_of(action(step), st.lists(action(step), min_size=1, max_size=2))
        for step in _REPLIES})
    sasl = st.fixed_dictionaries(
        {"mechanisms": st.lists(st.sampled_from(["PLAIN", "LOGIN", "CRAM-MD5"]), min_size=1,
                                max_size=3, unique=True),
         "users": st.just({"alice": "secret"})},
        optional={"required": st.booleans(),
                  "reject": st.sampled_from(["535 5.7.8 bad", "454 4.7.0 later",
                                             "504 5.5.4 unsupported mechanism"])})
    server = st.builds(lambda s, a: {**s, **({"sasl": a} if a else {})}, steps,
                       st.one_of(st.none(), sasl))
    client = st.fixed_dictionaries({}, optional={
        "credentials": st.sampled_from([{"user": "alice", "password": "secret"},
                                        {"user": "alice", "password": "wrong"}])})
    recipients = st.sampled_from([["a@example.com"], ["a@example.com", "b@example.com"],
                                  ["a@example.com", "b@example.com", "c@example.com"]])
    return st.builds(
        lambda s, c, r: {"server": s, "client": {"timeout": 5, **c},
                         "message": {"from": "sender@example.com", "to": r}},
        server, client, recipients).map(lambda d: Case("servers", d))


def _sequence_case() -> st.SearchStrategy[Case]:
    client = st.fixed_dictionaries({"timeout": st.just(5)}, optional={
        "sends": st.integers(1, 3),
        "state": st.sampled_from(["disposed", "cancelled"]),
        "api": st.sampled_from(["send", "send_async"])})
    server = st.fixed_dictionaries({}, optional={
        "greeting": st.sampled_from([[{"delay": 1.0}], [{"reply": "421 busy"}]]),
        "rcpt": st.sampled_from([[{"reply": "550 no"}], [{"reply": "451 later"}, {}]]),
        "end_of_data": st.sampled_from([[{"drop": "before"}], [{"reply": "554 no"}]])})
    return st.builds(_held, client, server).map(lambda d: Case("sequences", d))


def _held(client: dict[str, Any], server: dict[str, Any]) -> dict[str, Any]:
    """A sequence case; a SendAsync to cancel is held at the greeting (as send-in-progress
    scenarios hold it), so the cancel lands before it has sent anything."""
    if client.get("state") == "cancelled":
        server = {**server, "greeting": [_HOLD]}
    return {"server": server, "client": client, "message": _SIMPLE_MESSAGE}


_HOLD = {"delay": 1.0}


def well_formed(case: Case) -> bool:
    """Whether a case keeps what its axis promises (a shrunk one must too): a SendAsync
    that is cancelled is held until the cancel lands, or the case races."""
    data = case.data
    if (data.get("client") or {}).get("state") != "cancelled":
        return True
    greeting = (data.get("server") or {}).get("greeting")
    return isinstance(greeting, list) and greeting[:1] == [_HOLD]


STRATEGIES: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "addresses": _address_case, "message-addresses": _message_address_case,
    "messages": _message_case, "settings": _settings_case, "servers": _server_case,
    "sequences": _sequence_case}


def generate(axis: str, examples: int, seed_value: int) -> list[Case]:
    """``examples`` cases of one axis, the same for the same seed (and hypothesis version);
    distinct cases only, so fewer when the axis has fewer."""
    found: list[Case] = []
    seen: set[str] = set()

    @seed(seed_value)
    @settings(max_examples=examples, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(STRATEGIES[axis]())
    def collect(case: Case) -> None:
        key = repr(case.data)
        if key not in seen:
            seen.add(key)
            found.append(case)

    collect()
    return found


def share(examples: int, axes: tuple[str, ...] = AXES) -> dict[str, int]:
    """``examples`` shared out over ``axes`` by weight (each at least one)."""
    total = sum(WEIGHTS[a] for a in axes)
    return {axis: max(1, examples * WEIGHTS[axis] // total) for axis in axes}
