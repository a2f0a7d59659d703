"""Loading scenario files: YAML with line numbers, schema validation, then the model.

Every problem becomes one ``ScenarioError`` that names the file, the line and the field, never
a traceback: a YAML syntax error, an alias (refused: no YAML bombs), a duplicate key, a schema
violation (unknown field, wrong type, unknown exception name), or a bad regular expression.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from smtp_contract import SmtpStatusCode

from .model import (
    CLIENT_ALIASES,
    NO_INNER,
    NO_STATUS,
    REFERENCE_CLIENTS,
    TO_COMPLETE,
    Action,
    AttachmentSpec,
    ClientSpec,
    Expectation,
    FailedRecipient,
    MessageFacts,
    MessageSpec,
    PartFacts,
    Recorded,
    Sasl,
    Scenario,
    ServerFacts,
    ServerScript,
)
from .schema import REPLY_LINE, SCENARIO_SCHEMA, STATUS_CODE

MAX_FILE_BYTES = 1_000_000
_VALIDATOR = jsonschema.Draft202012Validator(SCENARIO_SCHEMA)
_SERVER_VALIDATOR = jsonschema.Draft202012Validator(SCENARIO_SCHEMA["properties"]["server"])


class ScenarioError(Exception):
    """A scenario file is not valid; ``str()`` is one line: ``path:line: field: problem``."""

    def __init__(self, path: Path | str, line: int, field: str, problem: str) -> None:
        self.path, self.line, self.field, self.problem = Path(path), line, field, problem
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")


class _Mapping(dict[Hashable, Any]):  # as SafeLoader's; the keys are str (checked)
    line = 1
    key_lines: dict[str, int]


class _Sequence(list[Any]):
    line = 1
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """A safe loader that remembers where each key and item stands, and refuses aliases."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(None, None, "YAML aliases are not allowed", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _Mapping:
        result = _Mapping()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.MarkedYAMLError(None, None, f"keys must be strings, not {key!r}",
                                           key_node.start_mark)
            if key in result:
                raise yaml.MarkedYAMLError(None, None, f"duplicate key {key!r}",
                                           key_node.start_mark)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> _Sequence:
        result = _Sequence(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)


def load_scenario_text(text: str, path: Path) -> Scenario:
    """A scenario from its text, located as if it were the file ``path``."""
    return scenario_from_data(_parse_yaml(text, path), path)


def load_scenario(path: Path) -> Scenario:
    """Read, validate and build one scenario file."""
    return scenario_from_data(_read_yaml(path), path)


def scenario_from_data(data: Any, path: Path) -> Scenario:
    """Validate and build one scenario given as data (as read from ``path``)."""
    _validate(path, data)
    try:
        return _build(path, data)
    except _FieldProblem as problem:
        raise ScenarioError(path, _line_of(data, problem.at), _dotted(problem.at),
                            problem.message) from None


def parse_server_script(data: dict[str, Any], source: str = "<server script>") -> ServerScript:
    """A ``ServerScript`` from the ``server`` part of a scenario, given as a dict."""
    error = jsonschema.exceptions.best_match(_SERVER_VALIDATOR.iter_errors(data))
    if error is not None:
        at, message = _problem(error)
        raise ScenarioError(source, 0, _dotted(["server", *at]), message)
    try:
        return _server(data)
    except _FieldProblem as problem:
        raise ScenarioError(source, 0, _dotted(problem.at), problem.message) from None


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """The scenario files named by ``paths`` (files, or directories searched recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted((p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")),
                            key=lambda p: p.with_suffix("").parts)  # cram-md5 before cram-md5-x
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioError(path, 0, "", "no such file or directory")
    return found


def load_scenarios(paths: Iterable[Path], every_problem: bool = False,
                   ) -> tuple[list[Scenario], list[ScenarioError]]:
    """Every scenario under ``paths``, and the first error of each invalid file (with
    ``every_problem``, all of its errors); ids must be unique."""
    scenarios: list[Scenario] = []
    errors: list[ScenarioError] = []
    seen: dict[str, Scenario] = {}
    for path in scenario_files(paths):
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            errors.extend(file_problems(path) if every_problem else [error])
            continue
        if scenario.id in seen:
            first = seen[scenario.id]
            errors.append(ScenarioError(path, scenario.line, "id",
                                        f"{scenario.id!r} is already used by {first.path}"))
            continue
        seen[scenario.id] = scenario
        scenarios.append(scenario)
    return scenarios, errors


def file_problems(path: Path) -> list[ScenarioError]:
    """Every problem of one file in line order, not only the first: each schema violation,
    or when the schema is met, the first problem found while building the model."""
    try:
        data = _read_yaml(path)
    except ScenarioError as error:
        return [error]
    found: dict[str, ScenarioError] = {}
    for violation in _VALIDATOR.iter_errors(data):
        best = jsonschema.exceptions.best_match([violation])
        at, message = _problem(best if best is not None else violation)
        problem = ScenarioError(path, _line_of(data, at), _dotted(at), message)
        found.setdefault(str(problem), problem)
    if not found:
        try:
            scenario_from_data(data, path)
        except ScenarioError as error:
            return [error]
    return sorted(found.values(), key=lambda error: error.line)


def _read_yaml(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(path, 1, "", f"file is larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, 1, "", f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ScenarioError(path, 0, "", exc.strerror or str(exc)) from None
    return _parse_yaml(text, path)


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ScenarioError(path, line, "", f"invalid YAML: {exc.problem or exc}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise ScenarioError(path, line, "", f"invalid YAML: character {exc.character!r} "
                                            "is not allowed") from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise ScenarioError(path, 1, "", f"invalid YAML: {problem}") from None
    except RecursionError:
        raise ScenarioError(path, 1, "", "invalid YAML: nested too deeply") from None
    documents = [d for d in documents if d is not None]
    if len(documents) != 1:
        raise ScenarioError(path, 1, "", f"expected one scenario, found {len(documents)}")
    if not isinstance(documents[0], dict):
        raise ScenarioError(path, 1, "", "a scenario must be a mapping of fields")
    return documents[0]


def _validate(path: Path, data: Any) -> None:
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(data))
    if error is not None:
        at, message = _problem(error)
        raise ScenarioError(path, _line_of(data, at), _dotted(at), message)


def _problem(error: jsonschema.ValidationError) -> tuple[list[Any], str]:
    """Where a schema violation is (the field's path) and what it is, in the file's words."""
    at = list(error.absolute_path)
    message = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            at.append(extra[0])
            message = _unknown("unknown field", extra[0], sorted(allowed))
    elif error.validator == "enum" and at == ["expect", "raises"] and (
            error.instance == TO_COMPLETE):
        message = ("left for you by smtp-harness record, which cannot see what the client "
                   "raised: write the exception the contract says (null: the send succeeds)")
    elif error.validator == "enum":
        choices = ["null" if c is None else str(c) for c in error.validator_value]
        message = _unknown(f"{error.instance!r} is not one of the allowed values",
                           error.instance, choices)
    elif error.validator == "not" and error.instance in REFERENCE_CLIENTS:
        at.append(error.instance)
        message = (f"{error.instance} is a reference client: it is held to the documentation "
                   "itself and can have no profile")
    elif error.validator == "required" and isinstance(error.instance, dict):
        at.append(next(k for k in error.validator_value if k not in error.instance))
        message = "this field is required"
    elif error.validator == "pattern" and error.schema is REPLY_LINE:
        message = (f"{error.instance!r} does not start with a three-digit reply code "
                   f"(bytes that are not a reply go in raw:)")
    elif error.schema is STATUS_CODE and not isinstance(error.instance, str):
        message = f"{error.instance!r} is not an SmtpStatusCode name, a number or null"
    elif error.schema is STATUS_CODE:
        message = _unknown(f"{error.instance!r} is not an SmtpStatusCode name",
                           error.instance, [member.name for member in SmtpStatusCode])
    return at, message


def _unknown(problem: str, value: Any, choices: list[str]) -> str:
    """``problem``, then the closest choice when one is close, else every choice."""
    close = difflib.get_close_matches(value, choices, n=1) if isinstance(value, str) else []
    if close:
        return f"{problem}; did you mean {close[0]}?"
    return f"{problem} (allowed: {', '.join(choices)})"


def _line_of(data: Any, at: Sequence[Any]) -> int:
    line = getattr(data, "line", 1)
    node = data
    for key in at:
        if isinstance(node, _Mapping) and key in node.key_lines:
            line = node.key_lines[key]
        elif isinstance(node, _Sequence) and isinstance(key, int) and key < len(node):
            line = node.item_lines[key]
        else:
            break
        node = node[key]
    return line


def _dotted(at: Sequence[Any]) -> str:
    text = ""
    for key in at:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


class _FieldProblem(Exception):
    def __init__(self, at: list[Any], message: str) -> None:
        super().__init__(message)
        self.at, self.message = at, message


def _build(path: Path, data: dict[str, Any]) -> Scenario:
    expect = _expectation(data["expect"], ["expect"])
    if data.get("server") is None and expect.server != ServerFacts():
        raise _FieldProblem(["expect", "server"], "the scenario has no server to check: give "
                                                  "it one (server: {}) or drop this part")
    profiles = tuple((name, _profile(expect, fields, ["profiles", name]))
                     for name, fields in sorted(data.get("profiles", {}).items()))
    return Scenario(
        id=data["id"],
        condition=data["condition"],
        path=path,
        line=getattr(data, "line", 1),
        description=data.get("description", ""),
        server=_server(data["server"]) if data.get("server") is not None else None,
        client=_client(data.get("client", {})),
        message=_message(data["message"]) if "message" in data else MessageSpec(),
        expect=expect,
        profiles=profiles,
        recorded=_recorded(data["recorded"]) if "recorded" in data else None,
    )


def _recorded(data: dict[str, Any]) -> Recorded:
    return Recorded(**{**data, "notes": tuple(data.get("notes", ()))})


def _profile(expect: Expectation, data: dict[str, Any], at: list[Any]) -> Expectation:
    """A profile narrows ``expect`` field by field (server facts and earlier sends included):
    what it names replaces the documented value, what it lists in ``unchecked`` is not
    checked, and everything else is checked exactly as ``expect`` checks it."""
    if at[-1] in CLIENT_ALIASES:
        raise _FieldProblem(at, f"{at[-1]} is the old name of {CLIENT_ALIASES[at[-1]]}: "
                                f"write profiles.{CLIENT_ALIASES[at[-1]]}")
    if at[-1] in REFERENCE_CLIENTS:
        raise _FieldProblem(at, f"{at[-1]} is a reference client: it is held to the "
                                "documentation itself and can have no profile")
    alternatives = tuple(replace(_profile(expect, alternative, [*at, "alternatives", index]),
                                 why=data.get("why"))
                         for index, alternative in enumerate(data.get("alternatives", ())))
    fields = _expectation_fields({k: v for k, v in data.items() if k != "alternatives"}, at)
    server = fields.pop("server", {})
    earlier = fields.pop("earlier", ())
    unchecked = tuple(data.get("unchecked", ()))
    for index, name in enumerate(unchecked):
        where = [*at, "unchecked", index]
        field, _, server_field = name.partition(".")
        if (server_field or field) in (server if server_field else data):
            raise _FieldProblem(where, f"{name} is both given and unchecked: give one")
        if not _checks(expect, name):
            raise _FieldProblem(where, f"expect does not check {name}: nothing to uncheck")
        if server_field:
            server[server_field] = _default(ServerFacts, server_field)
        else:
            fields[field] = _default(Expectation, field)
    steps = max(len(expect.earlier), len(earlier))
    return replace(
        expect, **fields, unchecked=unchecked, line=getattr(data, "line", 0),
        alternatives=alternatives,
        server=replace(expect.server, **server),
        earlier=tuple(replace(expect.earlier[i] if i < len(expect.earlier) else Expectation(),
                              **(earlier[i] if i < len(earlier) else {}))
                      for i in range(steps)))


def _checks(expect: Expectation, name: str) -> bool:
    """Whether ``expect`` checks the field ``name`` (``inner``, ``server.commands``)."""
    field, _, server_field = name.partition(".")
    if server_field:
        return getattr(expect.server, server_field) != _default(ServerFacts, server_field)
    return getattr(expect, field) != _default(Expectation, field)


def _default(kind: type, name: str) -> Any:
    """The value that leaves a field unchecked (``commands: []`` is a check: none sent)."""
    return next(f.default for f in dataclasses.fields(kind) if f.name == name)


def _server(data: dict[str, Any]) -> ServerScript:
    fields: dict[str, Any] = {"steps": tuple(_steps(data))}
    if "extensions" in data:
        fields["extensions"] = tuple(data["extensions"])
    if "tls" in data:
        fields["certificate"] = data["tls"].get("certificate", "trusted")
    if "sasl" in data:
        sasl = data["sasl"]
        fields["sasl"] = Sasl(
            mechanisms=tuple(m.upper() for m in sasl.get("mechanisms", Sasl.mechanisms)),
            users=tuple(sorted(sasl.get("users", {}).items())),
            required=sasl.get("required", False),
            reject=sasl.get("reject", Sasl.reject),
        )
    return ServerScript(**fields)


def _steps(data: dict[str, Any]) -> Iterator[tuple[str, tuple[Action, ...]]]:
    for step, value in data.items():
        if step in ("extensions", "tls", "sasl"):
            continue
        items = value if isinstance(value, list) else [value]
        yield step, tuple(_action(item, ["server", step, i] if isinstance(value, list)
                                  else ["server", step]) for i, item in enumerate(items))


def _action(data: dict[str, Any], at: list[Any]) -> Action:
    reply, raw = data.get("reply"), data.get("raw")
    if "reply" in data and "raw" in data:
        raise _FieldProblem([*at, "raw"], "give either reply or raw, not both")
    if "interval" in data and not isinstance(raw, list):
        raise _FieldProblem([*at, "interval"], "interval is the time between the pieces of a "
                                               "raw list; give raw as a list")
    if "read_pause" in data and at[1] != "data":
        raise _FieldProblem([*at, "read_pause"], "read_pause applies to the data step only "
                                                 "(the server stops reading after its 354)")
    if "pattern" in data:
        try:
            re.compile(data["pattern"])
        except re.error as exc:
            raise _FieldProblem([*at, "pattern"], f"not a regular expression: {exc}") from None
    return Action(
        reply=None if reply is None else tuple([reply] if isinstance(reply, str) else reply),
        raw="".join(raw) if isinstance(raw, list) else raw,
        pieces=tuple(raw) if isinstance(raw, list) else (),
        interval=float(data.get("interval", 0)),
        delay=float(data.get("delay", 0)),
        drop=data.get("drop"),
        match=data.get("match"),
        pattern=data.get("pattern"),
        read_pause=float(data.get("read_pause", 0)),
    )


def _client(data: dict[str, Any]) -> ClientSpec:
    fields = {k: v for k, v in data.items() if k != "credentials"}
    if "credentials" in data:
        fields["credentials"] = (data["credentials"]["user"], data["credentials"]["password"])
    if "timeout" in fields:
        fields["timeout"] = float(fields["timeout"])
    return ClientSpec(**fields)


MAX_BODY = 10_000_000
"""The longest body a scenario may give, written out or repeated."""


def _message(data: dict[str, Any] | None) -> MessageSpec | None:
    if data is None:
        return None
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if key == "from":
            fields["from_"] = value
        elif key in ("to", "cc", "bcc"):
            fields[key] = tuple(value)
        elif key == "headers":
            fields[key] = tuple(value.items())
        elif key == "attachments":
            fields[key] = tuple(AttachmentSpec(**a) for a in value)
        elif key == "body" and isinstance(value, dict):  # {repeat: TEXT, times: N}
            if len(value["repeat"]) * value["times"] > MAX_BODY:
                raise _FieldProblem(["message", "body"], f"repeat x times makes more than "
                                                         f"{MAX_BODY:,} characters")
            fields[key] = value["repeat"] * value["times"]
        else:
            fields[key] = value
    return MessageSpec(**fields)


def _expectation(data: dict[str, Any], at: list[Any]) -> Expectation:
    fields = _expectation_fields(data, at)
    return Expectation(**{**fields, "line": getattr(data, "line", 0),
                          "server": ServerFacts(**fields.get("server", {})),
                          "earlier": tuple(Expectation(**item)
                                           for item in fields.get("earlier", ()))})


def _expectation_fields(data: dict[str, Any], at: list[Any]) -> dict[str, Any]:
    """The fields ``data`` gives, as model values; ``server`` and each of ``earlier`` stay
    mappings, so that a profile can lay them over ``expect`` field by field."""
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if key == "status_code":
            fields[key] = _status(value)
        elif key == "failed_recipients":
            fields[key] = tuple(
                FailedRecipient(r) if isinstance(r, str)
                else FailedRecipient(r["address"], _status(r["status_code"])
                                     if "status_code" in r else None)
                for r in value)
        elif key == "unchecked":
            continue
        elif key == "earlier":
            fields[key] = tuple(_expectation_fields(item, [*at, key, i])
                                for i, item in enumerate(value))
        elif key == "inner":
            fields[key] = NO_INNER if value is None else value
        elif key == "server":
            fields[key] = {k: _message_facts(v) if k == "message" else
                           tuple(v) if isinstance(v, list) else v for k, v in value.items()}
        elif key == "pickup_message":
            fields[key] = _message_facts(value)
        else:
            fields[key] = value
    return fields


def _message_facts(data: dict[str, Any]) -> MessageFacts:
    headers = tuple((name, value if isinstance(value, str) else tuple(value))
                    for name, value in data.get("headers", {}).items())
    parts = data.get("parts")
    return MessageFacts(
        headers=headers, content_type=data.get("content_type"), body=data.get("body"),
        parts=None if parts is None else tuple(PartFacts(**part) for part in parts),
        defects=data.get("defects"), line_limit=data.get("line_limit"))


def _status(value: int | str | None) -> int:
    if value is None:
        return NO_STATUS
    return int(SmtpStatusCode[value]) if isinstance(value, str) else value
