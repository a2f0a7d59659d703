"""The departures file: a malformed entry is refused with where and what, and an entry covers
only the fields and cases it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.diff.cases import Case
from harness.diff.compare import compare
from harness.diff.departures import DepartureError, load_departures


def departures(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "departures.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "problem"), [
    ("- {id: a, reason: r}", "needs id, reason and fields"),
    ("- {id: a, reason: r, fields: [x], colour: red}", "unknown keys ['colour']"),
    ("- {id: a, reason: r, fields: [x]}\n- {id: a, reason: r, fields: [x]}", "used twice"),
    ("- {id: a, reason: r, fields: [x], when: {port: 0}}", "must start with case."),
    ("- {id: a, reason: r, fields: [x], when: {case.x: {pattern: '('}}}", "pattern"),
    ("{}", "expected a list"),
])
def test_malformed_entries_are_named(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(DepartureError) as error:
        load_departures(departures(tmp_path, text))
    assert problem in str(error.value)


def test_an_entry_covers_only_its_fields_and_cases(tmp_path: Path) -> None:
    listed = load_departures(departures(tmp_path, """
- id: port-zero
  reason: documented
  fields: [outcomes]
  against: [dotnet8]
  when: {case.client.port: 0, reference.commands: {lacks: AUTH}}
"""))
    case = Case("settings", {"client": {"port": 0}})
    client = {"outcomes": [["InvalidOperationException", None]], "commands": ["EHLO"]}
    reference = {"outcomes": [["SmtpException", "GeneralFailure"]], "commands": ["EHLO"]}
    found = compare(case, client, reference, listed, "dotnet8")
    assert found.agrees and found.explained == (("outcomes", "port-zero"),)
    assert not compare(case, client, reference, listed, "dotnet31").agrees  # another reference
    assert not compare(Case("settings", {"client": {"port": 1}}), client, reference, listed,
                       "dotnet8").agrees  # another case
    more = {**reference, "commands": ["EHLO", "AUTH"]}
    assert compare(case, client, more, listed, "dotnet8").unexplained == ("commands",
                                                                          "outcomes")


def test_any_looks_inside_lists_and_mappings(tmp_path: Path) -> None:
    listed = load_departures(departures(tmp_path, """
- {id: bare, reason: r, fields: [outcomes], when: {case.server: {any: {pattern: "^\\\\d{3}$"}}}}
"""))
    client, reference = {"outcomes": [["A", None]]}, {"outcomes": [["B", None]]}
    bare = Case("servers", {"server": {"rcpt": [{"reply": "550"}], "ehlo": {"delay": 0.05}}})
    texted = Case("servers", {"server": {"rcpt": [{"reply": "550 no"}]}})
    assert compare(bare, client, reference, listed, "dotnet8").agrees
    assert not compare(texted, client, reference, listed, "dotnet8").agrees


def test_the_packaged_file_loads_and_every_entry_has_a_reason() -> None:
    listed = load_departures()
    assert listed and all(len(d.reason) > 40 for d in listed)


def test_the_readme_lists_every_departure_and_no_other() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    table = readme.split("| departure |", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z0-9.-]+)`", "\n".join(
        row.split("|")[1] for row in table.splitlines()[2:] if row.startswith("|"))))
    assert named == {d.id for d in load_departures()}
