"""The scenario JSON Schema: published copy, and what it accepts and refuses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harness.model import STEPS
from harness.schema import SCENARIO_SCHEMA
from netmail.errors import SmtpStatusCode
from smtp_contract import ARGUMENT_EXCEPTIONS, CONDITIONS, CONTRACT_EXCEPTIONS

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "docs" / "scenario.schema.json"
VALIDATOR = jsonschema.Draft202012Validator(SCENARIO_SCHEMA)
MINIMAL = {"id": "a/b", "condition": "delivered", "expect": {"raises": None}}


def test_published_schema_file_exists() -> None:
    assert PUBLISHED.is_file(), f"{PUBLISHED} is missing: run `smtp-harness schema > {PUBLISHED}`"


def test_published_schema_equals_the_code() -> None:
    """Editors use the file; the loader uses the dict. They must never drift apart."""
    with PUBLISHED.open(encoding="utf-8") as file:
        assert json.load(file) == SCENARIO_SCHEMA


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCENARIO_SCHEMA)
    assert SCENARIO_SCHEMA["$schema"].endswith("2020-12/schema")


def test_enums_follow_the_model() -> None:
    properties = SCENARIO_SCHEMA["properties"]
    assert properties["condition"]["enum"] == sorted(CONDITIONS)
    assert properties["expect"]["properties"]["raises"]["enum"] == [
        *CONTRACT_EXCEPTIONS, *ARGUMENT_EXCEPTIONS, None]
    server = properties["server"]["properties"]
    assert set(STEPS) <= set(server)
    status = properties["expect"]["properties"]["status_code"]["oneOf"][1]["enum"]
    assert status == [member.name for member in SmtpStatusCode]


def test_minimal_scenario_is_valid() -> None:
    assert list(VALIDATOR.iter_errors(MINIMAL)) == []


@pytest.mark.parametrize("change", [
    {"bogus": 1},
    {"expect": {"raises": "KeyError"}},
    {"expect": {"raises": None, "status_code": "Nope"}},
    {"expect": {"raises": None, "status_code": 100_000}},
    {"condition": "sunny"},
    {"id": "Upper/Case"},
    {"client": {"delivery_method": "carrier-pigeon"}},
    {"client": {"sends": 0}},
    {"server": {"mail": {"drop": "sideways"}}},
    {"server": {"mail": {"delay": -1}}},
    {"server": {"tls": {"certificate": "self-signed"}}},
    {"server": {"sasl": {"mechanisms": ["NOT A NAME"]}}},
    {"expect": {"raises": None, "earlier": [{"why": "not an outcome field"}]}},
    {"server": {"bogus_step": {}}},
    {"profiles": {"Dotnet": {"why": "x"}}},
    {"profiles": {"dotnet": {"raises": "SmtpException"}}},
])
def test_schema_refuses(change: dict[str, object]) -> None:
    assert list(VALIDATOR.iter_errors({**MINIMAL, **change})), change


@pytest.mark.parametrize("change", [
    {"server": None},
    {"message": None},
    {"expect": {"raises": "SmtpException", "status_code": "MailboxUnavailable"}},
    {"expect": {"raises": "SmtpException", "status_code": -1}},
    {"expect": {"raises": None, "inner": None}},
    {"profiles": {"dotnet": {"why": "observed", "raises": "FormatException"}}},
    {"server": {"rcpt": [{"match": "a@b", "reply": ["550-a", "550 b"]}, {"drop": "reset"}]}},
    {"server": {"sasl": {"mechanisms": ["XOAUTH2", "plain"]}}},
    {"client": {"sends": 2},
     "expect": {"raises": None, "earlier": [{"raises": "SmtpException", "status_code": 451}]}},
])
def test_schema_accepts(change: dict[str, object]) -> None:
    assert list(VALIDATOR.iter_errors({**MINIMAL, **change})) == []
