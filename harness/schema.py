"""The JSON Schema of a scenario file; ``smtp-harness schema`` prints it.

``docs/scenario.schema.json`` is this schema written out for editors and other tools; a test
keeps the two identical.
"""

from __future__ import annotations

from typing import Any

from smtp_contract import ARGUMENT_EXCEPTIONS, CONDITIONS, CONTRACT_EXCEPTIONS, SmtpStatusCode

from .model import ASYNC_STATES, ATTACHMENT_SOURCES, REFERENCE_CLIENTS, STEPS, UNCHECKABLE

STATUS_CODE = {
    "oneOf": [
        {"type": "integer", "minimum": -99999, "maximum": 99999},
        {"enum": [member.name for member in SmtpStatusCode]},
        {"type": "null"},
    ],
    "description": "An SmtpStatusCode name (MailboxUnavailable) or a number (550; a client "
                   "that does not check reply digits may report others); null: the exception "
                   "carries no status code.",
}
MAX_REPLY_LINE, MAX_REPLY_LINES, MAX_RAW = 4096, 100, 65536
"""The longest reply line, the most lines of a ``reply``, the longest ``raw`` piece."""
REPLY_LINE = {"type": "string", "maxLength": MAX_REPLY_LINE,
              "pattern": r"^[0-9]{3}([ -]|$)",
               "description": "A reply line starts with its three-digit code; bytes that are "
                              "not a reply go in raw."}
_IDENTIFIER = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.]*$", "maxLength": 200}

_ACTION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "reply": {
            "description": "Reply line(s), code included: '550 5.1.1 No such user'.",
            "oneOf": [REPLY_LINE, {"type": "array", "items": REPLY_LINE, "minItems": 1,
                                    "maxItems": MAX_REPLY_LINES}],
        },
        "raw": {"description": "Bytes sent exactly as written (no CRLF added); a list: "
                               "pieces written one by one, interval seconds apart.",
                "oneOf": [{"type": "string", "maxLength": MAX_RAW},
                          {"type": "array", "minItems": 2, "maxItems": 100,
                           "items": {"type": "string", "maxLength": MAX_RAW}}]},
        "interval": {"type": "number", "minimum": 0, "maximum": 60,
                     "description": "Seconds between the pieces of a raw list."},
        "delay": {"type": "number", "minimum": 0, "maximum": 60,
                  "description": "Seconds to wait before acting."},
        "read_pause": {"type": "number", "exclusiveMinimum": 0, "maximum": 60,
                       "description": "On data: seconds the server reads nothing after its "
                                      "354 (the body fills the socket buffers)."},
        "drop": {"enum": ["before", "after", "reset"],
                 "description": "Close the connection before or after replying, or reset it."},
        "match": {"type": "string", "maxLength": 512,
                  "description": "Only for commands whose address is this one."},
        "pattern": {"type": "string", "maxLength": 512,
                    "description": "Only for commands whose address matches this regex."},
    },
}
_STEP = {"oneOf": [_ACTION, {"type": "array", "items": _ACTION, "maxItems": 1000}]}

_SERVER = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "properties": {
        "extensions": {"type": "array", "items": {"type": "string", "maxLength": 200},
                       "maxItems": 100},
        "tls": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"certificate": {"enum": ["trusted", "unknown-ca", "wrong-host",
                                                    "expired"]}},
        },
        "sasl": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "mechanisms": {"type": "array", "maxItems": 20,
                               "description": "Advertised; PLAIN, LOGIN and CRAM-MD5 work, "
                                              "others are refused with 504.",
                               "items": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,20}$"}},
                "users": {"type": "object", "maxProperties": 100,
                          "additionalProperties": {"type": "string"}},
                "required": {"type": "boolean"},
                "reject": REPLY_LINE,
            },
        },
        **{step: _STEP for step in STEPS},
    },
}

_MESSAGE = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "properties": {
        "from": {"type": ["string", "null"], "maxLength": 1000},
        "to": {"type": "array", "items": {"type": "string"}, "maxItems": 1000},
        "cc": {"type": "array", "items": {"type": "string"}, "maxItems": 1000},
        "bcc": {"type": "array", "items": {"type": "string"}, "maxItems": 1000},
        "subject": {"type": ["string", "null"], "maxLength": 10000},
        "body": {"oneOf": [
            {"type": ["string", "null"], "maxLength": 10_000_000},
            {"type": "object", "additionalProperties": False, "required": ["repeat", "times"],
             "description": "A large body without a large file: TEXT written N times.",
             "properties": {"repeat": {"type": "string", "minLength": 1, "maxLength": 10_000},
                            "times": {"type": "integer", "minimum": 1,
                                      "maximum": 1_000_000}}},
        ]},
        "html": {"type": "boolean"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"},
                    "maxProperties": 100},
        "attachments": {
            "type": "array", "maxItems": 50,
            "items": {
                "type": "object", "additionalProperties": False, "required": ["name"],
                "properties": {"name": {"type": "string"}, "media_type": {"type": "string"},
                               "content": {"type": "string", "maxLength": 10_000_000},
                               "source": {"enum": list(ATTACHMENT_SOURCES)}},
            },
        },
    },
}

_CLIENT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "host": {"type": ["string", "null"], "maxLength": 255},
        "port": {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
        "enable_ssl": {"type": "boolean"},
        "timeout": {"type": "number", "minimum": -600, "maximum": 600,
                    "description": "Seconds; a negative one is for the client to refuse."},
        "credentials": {
            "type": "object", "additionalProperties": False,
            "required": ["user", "password"],
            "properties": {"user": {"type": "string"}, "password": {"type": "string"}},
        },
        "delivery_method": {"enum": ["network", "pickup", "pickup-iis"]},
        "pickup_directory": {"type": ["string", "null"], "maxLength": 4096,
                             "description": "'absolute' gives a fresh directory."},
        "state": {"enum": ["disposed", *ASYNC_STATES, None]},
        "sends": {"type": "integer", "minimum": 1, "maximum": 100},
        "configure": {"enum": ["constructor", "properties"],
                      "description": "properties: SmtpClient(), then Host, Port and Timeout "
                                     "set one by one (default: the (host, port) constructor)."},
        "api": {"enum": ["send", "send_async"],
                "description": "send_async: send with the event-based SendAsync and wait for "
                               "SendCompleted (default: send)."},
    },
}

_FAILED_RECIPIENT = {
    "oneOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": False, "required": ["address"],
         "properties": {"address": {"type": "string"}, "status_code": STATUS_CODE}},
    ]
}
_MESSAGE_FACTS = {
    "type": "object",
    "additionalProperties": False,
    "description": "The message as the stdlib parser reads it (smtp-harness docs scenarios).",
    "properties": {
        "headers": {"type": "object", "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}},
        "content_type": {"type": "string", "pattern": r"^[a-z0-9.+-]+/[a-z0-9.+-]+$"},
        "body": {"type": "string"},
        "parts": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "properties": {"content_type": {"type": "string"}, "filename": {"type": "string"},
                           "text": {"type": "string"}, "name": {"type": "string"}}}},
        "defects": {"type": "integer", "minimum": 0},
        "line_limit": {"type": "integer", "minimum": 1},
    },
}
_SERVER_FACTS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "connections": {"type": "integer", "minimum": 0},
        "commands": {"type": "array", "items": {"type": "string"}},
        "data_sent": {"type": "boolean"},
        "delivered_to": {"type": "array", "items": {"type": "string"}},
        "messages": {"type": "integer", "minimum": 0},
        "data_contains": {"type": "array", "items": {"type": "string"}},
        "data_excludes": {"type": "array", "items": {"type": "string"}},
        "mail_from": {"type": "array", "items": {"type": "string"}},
        "rcpt_to": {"type": "array", "items": {"type": "string"}},
        "message_connections": {"type": "array", "items": {"type": "integer", "minimum": 1}},
        "message": _MESSAGE_FACTS,
    },
}


def _outcome(raises: dict[str, Any]) -> dict[str, Any]:
    """The fields that describe one send's outcome."""
    return {
        "raises": raises,
        "status_code": STATUS_CODE,
        "message_contains": {"type": "string"},
        "failed_recipients": {"type": "array", "items": _FAILED_RECIPIENT},
        "inner": {"type": ["string", "null"]},
        "reported_by": {"enum": ["call", "send_completed"],
                        "description": "with api: send_async, where the error came from"},
    }


def _expectation(raises: dict[str, Any], *, needs_why: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **_outcome(raises),
            "earlier": {
                "type": "array", "maxItems": 99,
                "description": "Outcomes of the sends before the last (default: success).",
                "items": {"type": "object", "additionalProperties": False,
                          "properties": _outcome(raises)},
            },
            "pickup_files": {"type": "integer", "minimum": 0},
            "pickup_message": _MESSAGE_FACTS,
            "server": _SERVER_FACTS,
        },
    }
    if needs_why:
        schema["properties"]["why"] = {"type": "string", "minLength": 1, "maxLength": 300}
        schema["properties"]["unchecked"] = {
            "type": "array", "uniqueItems": True,
            "description": "Fields of expect this client is not held to (it varies on them "
                           "between runs, or the field cannot be observed for it); every other "
                           "field expect checks is checked.",
            "items": {"enum": list(UNCHECKABLE)}}
        alternative = {key: value for key, value in schema.items() if key != "required"}
        alternative["properties"] = {key: value for key, value in schema["properties"].items()
                                     if key != "why"}
        schema["properties"]["alternatives"] = {
            "type": "array", "minItems": 1, "maxItems": 9,
            "description": "Other outcomes this client gives instead, from run to run, because "
                           "its own behaviour races (each narrows expect as the profile does; "
                           "the profile's why covers them all). The verdict deviates when the "
                           "outcome matches the profile or one of these.",
            "items": alternative}
        schema["required"] = ["why"]
    return schema


_RECORDED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["server"],
    "description": "Where a recorded scenario's server script came from (smtp-harness record).",
    "properties": {
        "server": {"type": "string", "minLength": 1, "maxLength": 500,
                   "description": "The real server: its name and version, or its greeting."},
        "configuration": {"type": "string", "maxLength": 200,
                          "description": "The server's configuration the session met."},
        "upstream": {"type": "string", "maxLength": 300},
        "date": {"type": "string", "maxLength": 40},
        "client": {"type": "string", "maxLength": 200,
                   "description": "The client that was recorded (its outcome is expect's "
                                  "starting point)."},
        "timing": {"type": "boolean", "description": "The server's delays are replayed."},
        "notes": {"type": "array", "maxItems": 100,
                  "items": {"type": "string", "maxLength": 2000},
                  "description": "What the replay cannot reproduce of the recorded session."},
    },
}

SCENARIO_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://smtp-conformance.invalid/scenario.schema.json",
    "title": "SMTP conformance scenario",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "condition", "expect"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_./-]*$", "maxLength": 200},
        "condition": {"enum": sorted(CONDITIONS)},
        "description": {"type": "string", "maxLength": 2000},
        "server": _SERVER,
        "client": _CLIENT,
        "message": _MESSAGE,
        "recorded": _RECORDED,
        "expect": _expectation({"enum": [*CONTRACT_EXCEPTIONS, *ARGUMENT_EXCEPTIONS, None]},
                              needs_why=False),
        "profiles": {
            "type": "object",
            "maxProperties": 50,
            "propertyNames": {"pattern": r"^[a-z0-9][a-z0-9_-]*$",
                              "not": {"enum": list(REFERENCE_CLIENTS)},
                              "description": "A client name; never a reference client."},
            "additionalProperties": _expectation({"oneOf": [_IDENTIFIER, {"type": "null"}]},
                                                 needs_why=True),
        },
    },
}
