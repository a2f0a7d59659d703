"""The loader: scenario files become the model, and every problem is one located line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path

import pytest

from harness.loader import (
    ScenarioError,
    file_problems,
    load_scenario,
    load_scenarios,
    parse_server_script,
    scenario_files,
)
from harness.model import (
    NO_INNER,
    OUTCOME_FIELDS,
    SERVER_FIELDS,
    Action,
    AttachmentSpec,
    ClientSpec,
    Expectation,
    FailedRecipient,
    MessageSpec,
    Scenario,
    ServerFacts,
)

WriteFile = Callable[[str, str], Path]
REPO = Path(__file__).resolve().parents[2]
MINIMAL = "id: a/b\ncondition: delivered\nexpect: {raises: null}\n"


def error_of(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def assert_located(error: ScenarioError, path: Path, line: int, field: str = "") -> str:
    """The error is one line starting ``path:line:`` (and naming ``field``); returns it."""
    text = str(error)
    assert "\n" not in text, text
    assert "Traceback" not in text
    assert text.startswith(f"{path}:{line}: "), text
    assert error.path == path
    assert error.line == line
    if field:
        assert text.startswith(f"{path}:{line}: {field}: "), text
        assert error.field == field
    return text


# -- a valid file becomes the model -------------------------------------------------------


def test_full_scenario_builds_the_model(write_file: WriteFile) -> None:
    path = write_file("scenarios/full.yaml", """\
        id: recipients/full
        condition: recipients-failed
        description: everything at once
        server:
          extensions: [PIPELINING, "SIZE 1000"]
          tls: {certificate: wrong-host}
          sasl: {mechanisms: [plain, CRAM-MD5], users: {bob: pw, alice: secret}, required: true}
          greeting: {delay: 0.25}
          rcpt:
            - {match: bad@example.com, reply: "550 5.1.1 No such user"}
            - {pattern: "^x.*", reply: ["451-a", "451 b"]}
            - {raw: "250 ok\\n"}
            - {drop: after, reply: "250 fine"}
        client:
          timeout: 2
          credentials: {user: alice, password: secret}
          sends: 2
        message:
          from: s@example.com
          to: [a@example.com]
          cc: [c@example.com]
          bcc: [d@example.com]
          headers: {X-Test: "1"}
          attachments: [{name: a.txt, content: hi}]
        expect:
          raises: SmtpFailedRecipientException
          status_code: MailboxUnavailable
          failed_recipients: ["<bad@example.com>", {address: "<x@y>", status_code: 451}]
          inner: null
          server: {connections: 1, commands: [EHLO, QUIT], data_sent: true}
        profiles:
          zeta: {why: z, raises: SmtpException}
          alpha: {why: a, status_code: 451}
        """)
    scenario = load_scenario(path)
    assert scenario.id == "recipients/full"
    assert scenario.condition == "recipients-failed"
    assert scenario.path == path and scenario.line == 1
    server = scenario.server
    assert server is not None
    assert server.extensions == ("PIPELINING", "SIZE 1000")
    assert server.certificate == "wrong-host"
    assert server.sasl is not None
    assert server.sasl.mechanisms == ("PLAIN", "CRAM-MD5")
    assert server.sasl.users == (("alice", "secret"), ("bob", "pw"))
    assert server.sasl.required is True
    assert server.actions("greeting") == (Action(delay=0.25),)
    rcpt = server.actions("rcpt")
    assert rcpt[0] == Action(reply=("550 5.1.1 No such user",), match="bad@example.com")
    assert rcpt[1] == Action(reply=("451-a", "451 b"), pattern="^x.*")
    assert rcpt[2] == Action(raw="250 ok\n")
    assert rcpt[3] == Action(reply=("250 fine",), drop="after")
    assert scenario.client == ClientSpec(timeout=2.0, credentials=("alice", "secret"), sends=2)
    assert isinstance(scenario.client.timeout, float)
    assert scenario.message == MessageSpec(
        from_="s@example.com", to=("a@example.com",), cc=("c@example.com",),
        bcc=("d@example.com",), headers=(("X-Test", "1"),),
        attachments=(AttachmentSpec("a.txt", "application/octet-stream", "hi"),))
    expect = scenario.expect
    assert expect.raises == "SmtpFailedRecipientException"
    assert expect.status_code == 550
    assert expect.failed_recipients == (FailedRecipient("<bad@example.com>"),
                                        FailedRecipient("<x@y>", 451))
    assert expect.inner == NO_INNER
    assert expect.server.connections == 1
    assert expect.server.commands == ("EHLO", "QUIT")
    assert expect.server.data_sent is True
    # Profiles are sorted by client and inherit every field they do not set.
    assert [name for name, _ in scenario.profiles] == ["alpha", "zeta"]
    alpha = dict(scenario.profiles)["alpha"]
    assert alpha.status_code == 451 and alpha.raises == "SmtpFailedRecipientException"
    assert alpha.why == "a" and alpha.failed_recipients == expect.failed_recipients
    zeta, is_profile = scenario.expectation_for("zeta")
    assert is_profile and zeta.raises == "SmtpException" and zeta.status_code == 550
    assert scenario.expectation_for("netmail") == (expect, False)


def test_defaults_and_nulls(write_file: WriteFile) -> None:
    """Omitted parts take the documented defaults; ``null`` means "none" where allowed."""
    bare = load_scenario(write_file("bare.yaml", MINIMAL))
    assert bare.server is None
    assert bare.client == ClientSpec()
    assert bare.message == MessageSpec()
    assert bare.description == ""
    assert bare.profiles == ()
    nulls = load_scenario(write_file("nulls.yaml", """\
        id: nulls
        condition: message-null
        server: {}
        client: {host: null, port: 0, state: null}
        message: null
        expect: {raises: ArgumentNullException, inner: null}
        """))
    assert nulls.server is not None and nulls.server.steps == ()
    assert nulls.server.certificate is None and nulls.server.sasl is None
    assert nulls.client.host is None and nulls.client.port == 0
    assert nulls.message is None
    assert nulls.expect.inner == NO_INNER
    no_from = load_scenario(write_file("nofrom.yaml", MINIMAL.replace(
        "condition: delivered", "condition: from-null\nmessage: {from: null}")))
    assert no_from.message is not None and no_from.message.from_ is None


def test_status_code_by_number_and_profile_raising_null(write_file: WriteFile) -> None:
    scenario = load_scenario(write_file("s.yaml", """\
        id: s
        condition: auth-failed
        expect: {raises: SmtpException, status_code: 535}
        profiles:
          other: {why: it succeeds, raises: null}
        """))
    assert scenario.expect.status_code == 535
    other, _ = scenario.expectation_for("other")
    assert other.raises is None and other.status_code == 535


def test_yml_extension_and_recursive_directories(write_file: WriteFile, tmp_path: Path) -> None:
    write_file("scenarios/b/two.yml", MINIMAL.replace("a/b", "two"))
    write_file("scenarios/a/one.yaml", MINIMAL.replace("a/b", "one"))
    write_file("scenarios/a/notes.txt", "not a scenario")
    files = scenario_files([tmp_path / "scenarios"])
    assert [p.name for p in files] == ["one.yaml", "two.yml"]
    scenarios, errors = load_scenarios([tmp_path / "scenarios"])
    assert errors == []
    assert [s.id for s in scenarios] == ["one", "two"]


def test_missing_path_is_a_located_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ScenarioError, match="no such file or directory") as info:
        scenario_files([missing])
    assert str(info.value).startswith(f"{missing}: ")


# -- every problem: one line, path:line:, never a traceback -------------------------------


def test_bad_yaml_syntax(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\nexpect: {raises: null\n")
    text = assert_located(error_of(path), path, 4)
    assert "invalid YAML" in text


def test_bad_indentation_names_its_line(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\nexpect:\n  raises: null\n"
                                  " status_code: 550\n")
    assert "invalid YAML" in assert_located(error_of(path), path, 5)


def test_unknown_top_level_field(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", MINIMAL + "bogus: 1\n")
    text = assert_located(error_of(path), path, 4, "bogus")
    assert "unknown field" in text and "condition" in text


def test_unknown_nested_field_names_field_and_line(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", """\
        id: a
        condition: delivered
        expect:
          raises: null
          server:
            connections: 1
            bogus: 2
        """)
    text = assert_located(error_of(path), path, 7, "expect.server.bogus")
    assert "unknown field" in text and "connections" in text


def test_unknown_field_in_an_action_of_a_list(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", """\
        id: a
        condition: delivered
        server:
          rcpt:
            - {match: a@example.com, reply: "550 no"}
            - {replay: "550 typo"}
        expect: {raises: null}
        """)
    assert_located(error_of(path), path, 6, "server.rcpt[1].replay")


def test_wrong_type(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", """\
        id: a
        condition: delivered
        client:
          timeout: fast
        expect: {raises: null}
        """)
    text = assert_located(error_of(path), path, 4, "client.timeout")
    assert "'fast'" in text and "number" in text


def test_unknown_exception_name(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\nexpect:\n"
                                  "  raises: SmtpExceptoin\n")
    text = assert_located(error_of(path), path, 4, "expect.raises")
    assert text.endswith("'SmtpExceptoin' is not one of the allowed values; "
                         "did you mean SmtpException?")


def test_far_off_exception_name_lists_the_allowed_ones(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\nexpect:\n  raises: Banana\n")
    text = assert_located(error_of(path), path, 4, "expect.raises")
    assert "'Banana' is not one of the allowed values (allowed: " in text
    assert "SmtpFailedRecipientsException" in text and "null" in text


def test_unknown_condition(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: sunny\nexpect: {raises: null}\n")
    assert "'sunny' is not one of" in assert_located(error_of(path), path, 2, "condition")


def test_unknown_status_code_name(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\nexpect:\n"
                                  "  raises: SmtpException\n  status_code: MailboxGone\n")
    assert "MailboxGone" in assert_located(error_of(path), path, 5, "expect.status_code")


def test_unknown_status_code_in_a_failed_recipient(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", """\
        id: a
        condition: recipients-failed
        expect:
          raises: SmtpFailedRecipientException
          failed_recipients:
            - "<a@x>"
            - {address: "<b@x>", status_code: Nope}
        """)
    error = error_of(path)
    assert_located(error, path, 7)
    assert error.field.startswith("expect.failed_recipients[1]")


def test_bad_regex_in_pattern(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", """\
        id: a
        condition: delivered
        server:
          rcpt:
            - {match: a@example.com, reply: "550 no"}
            - pattern: "(unclosed"
              reply: "550 no"
        expect: {raises: null}
        """)
    text = assert_located(error_of(path), path, 6, "server.rcpt[1].pattern")
    assert "not a regular expression" in text


@pytest.mark.parametrize(("server", "line", "field", "problem"), [
    ('  mail:\n    reply: "250 ok"\n    raw: "250 ok\\r\\n"\n', 6, "server.mail.raw",
     "either reply or raw"),
    ('  greeting:\n    raw: "220 ok\\r\\n"\n    interval: 0.5\n', 6,
     "server.greeting.interval", "give raw as a list"),
    ("  mail: {read_pause: 1}\n", 4, "server.mail.read_pause", "data step only"),
])
def test_an_action_whose_fields_do_not_go_together(write_file: WriteFile, server: str,
                                                   line: int, field: str, problem: str) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\nserver:\n" + server
                      + "expect: {raises: null}\n")
    assert problem in assert_located(error_of(path), path, line, field)


def test_raw_pieces_and_a_repeated_body(write_file: WriteFile) -> None:
    scenario = load_scenario(write_file("ok.yaml", """\
        id: a
        condition: delivered
        server:
          greeting: {raw: ["220 a", "b\\r\\n"], interval: 0.2}
          data: {read_pause: 0.5}
        message: {body: {repeat: "ab\\n", times: 3}}
        expect: {raises: null}
        """))
    assert scenario.server is not None and scenario.message is not None
    greeting = dict(scenario.server.steps)["greeting"][0]
    assert (greeting.raw, greeting.pieces, greeting.interval) == ("220 ab\r\n",
                                                                  ("220 a", "b\r\n"), 0.2)
    assert dict(scenario.server.steps)["data"][0].read_pause == 0.5
    assert scenario.message.body == "ab\nab\nab\n"


def test_a_repeated_body_has_the_same_limit(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", """\
        id: a
        condition: delivered
        message:
          body: {repeat: "01234567890123456789", times: 600000}
        expect: {raises: null}
        """)
    assert "more than 10,000,000 characters" in assert_located(error_of(path), path, 4,
                                                               "message.body")


def test_yaml_alias_is_refused(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: &name a\ncondition: delivered\ndescription: *name\n"
                                  "expect: {raises: null}\n")
    assert "aliases are not allowed" in assert_located(error_of(path), path, 3)


def test_yaml_merge_key_is_refused(write_file: WriteFile) -> None:
    """A merge key needs an alias, so it is refused the same way."""
    path = write_file("bad.yaml", """\
        id: a
        condition: delivered
        expect: &base {raises: null}
        profiles:
          x:
            <<: *base
            why: w
        """)
    assert "aliases are not allowed" in assert_located(error_of(path), path, 6)


def test_billion_laughs_is_refused_quickly(write_file: WriteFile) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = write_file("bomb.yaml", "\n".join(lines) + "\n")
    assert "aliases are not allowed" in assert_located(error_of(path), path, 2)


def test_duplicate_keys(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\nexpect: {raises: null}\n"
                                  "id: b\n")
    assert "duplicate key 'id'" in assert_located(error_of(path), path, 4)


def test_nested_duplicate_keys(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\nexpect:\n  raises: null\n"
                                  "  raises: SmtpException\n")
    assert "duplicate key 'raises'" in assert_located(error_of(path), path, 5)


def test_non_string_key(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", MINIMAL + "1: one\n")
    assert "keys must be strings" in assert_located(error_of(path), path, 4)


@pytest.mark.parametrize("text", ["- id: a\n- id: b\n", "just a string\n", "42\n"])
def test_non_mapping_document(write_file: WriteFile, text: str) -> None:
    path = write_file("bad.yaml", text)
    assert "must be a mapping" in assert_located(error_of(path), path, 1)


@pytest.mark.parametrize(("text", "found"), [
    (MINIMAL + "---\n" + MINIMAL.replace("a/b", "c/d"), 2),
    ("", 0),
    ("# only a comment\n", 0),
])
def test_not_exactly_one_document(write_file: WriteFile, text: str, found: int) -> None:
    path = write_file("bad.yaml", text)
    text = assert_located(error_of(path), path, 1)
    assert f"expected one scenario, found {found}" in text


def test_missing_required_field(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\n")
    assert assert_located(error_of(path), path, 1, "expect").endswith(
        "expect: this field is required")


def test_profile_without_why(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", MINIMAL + "profiles:\n  dotnet31:\n    raises: SmtpException\n")
    assert "this field is required" in assert_located(error_of(path), path, 5,
                                                      "profiles.dotnet31.why")


def test_why_belongs_to_profiles_not_to_the_contract(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: a\ncondition: delivered\nexpect:\n  raises: null\n"
                                  "  why: the documentation says so\n")
    assert "unknown field" in assert_located(error_of(path), path, 5, "expect.why")


def test_bad_id(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", "id: Not Valid\ncondition: delivered\nexpect: {raises: null}\n")
    assert_located(error_of(path), path, 1, "id")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: a\ncondition: delivered\ndescription: caf\xe9\n"
                     b"expect: {raises: null}\n")
    assert "not UTF-8" in assert_located(error_of(path), path, 1)


def test_control_character_is_a_located_one_line_error(tmp_path: Path) -> None:
    """A control character is valid UTF-8 but not YAML: still one line, at its own line."""
    path = tmp_path / "control.yaml"
    path.write_bytes(b"id: a\ncondition: delivered\nexpect: {raises: null}\n"
                     b"description: \"bell \x07\"\n")
    assert "invalid YAML" in assert_located(error_of(path), path, 4)


def test_too_deep_nesting(write_file: WriteFile) -> None:
    path = write_file("deep.yaml", MINIMAL + "description: " + "[" * 3000 + "]" * 3000 + "\n")
    assert_located(error_of(path), path, 1)


def test_duplicate_id_across_two_files(write_file: WriteFile, tmp_path: Path) -> None:
    first = write_file("scenarios/1-first.yaml", MINIMAL)
    second = write_file("scenarios/2-second.yaml", "# the same id again\n\n" + MINIMAL)
    scenarios, errors = load_scenarios([tmp_path / "scenarios"])
    assert [s.path for s in scenarios] == [first]
    assert len(errors) == 1
    text = assert_located(errors[0], second, 3, "id")
    assert "'a/b' is already used by" in text and str(first) in text


def test_load_scenarios_collects_every_error_and_keeps_the_good(
        write_file: WriteFile, tmp_path: Path) -> None:
    write_file("scenarios/good.yaml", MINIMAL)
    write_file("scenarios/bad1.yaml", MINIMAL + "bogus: 1\n")
    write_file("scenarios/bad2.yaml", "id: [\n")
    scenarios, errors = load_scenarios([tmp_path / "scenarios"])
    assert [s.id for s in scenarios] == ["a/b"]
    assert sorted(e.path.name for e in errors) == ["bad1.yaml", "bad2.yaml"]
    assert all(re.match(r"^\S+:\d+: ", str(e)) and "\n" not in str(e) for e in errors)


# -- parse_server_script: the fixture's entry point ---------------------------------------


def test_parse_server_script_builds_and_validates() -> None:
    script = parse_server_script({"rcpt": [{"match": "a@b", "reply": "550 no"}, {}],
                                  "extensions": ["SMTPUTF8"]})
    assert script.extensions == ("SMTPUTF8",)
    assert script.actions("rcpt") == (Action(reply=("550 no",), match="a@b"), Action())
    with pytest.raises(ScenarioError, match=r"^fixture: server\.rcpt"):
        parse_server_script({"rcpt": {"reply": 550}}, "fixture")
    with pytest.raises(ScenarioError, match=r"^fixture: server\.rcpt\.pattern: not a regular"):
        parse_server_script({"rcpt": {"pattern": "("}}, "fixture")


def test_a_server_script_given_as_a_dict_gets_the_same_errors() -> None:
    """The ``smtp_server`` fixture's dict is checked like a file's ``server`` part."""
    with pytest.raises(ScenarioError) as info:
        parse_server_script({"rcpt": [{"mach": "bad@example.com"}]}, "smtp_server()")
    assert str(info.value) == ("smtp_server(): server.rcpt[0].mach: unknown field; "
                               "did you mean match?")


@pytest.mark.parametrize(("text", "line", "field", "problem"), [
    ("server:\n  rcpt: {reply: 'no such user'}\n", 4, "server.rcpt.reply",
     "'no such user' does not start with a three-digit reply code (bytes that are not a "
     "reply go in raw:)"),
    ("server:\n  rcpt: {reply: ['250-ok', 'oops']}\n", 4, "server.rcpt.reply[1]",
     "'oops' does not start with a three-digit reply code"),
    ("server: {}\n", 4, "expect.status_code",
     "'MailboxUnavaliable' is not an SmtpStatusCode name; did you mean MailboxUnavailable?"),
])
def test_replies_and_status_codes_are_checked_with_a_helpful_message(
        write_file: WriteFile, text: str, line: int, field: str, problem: str) -> None:
    expect = ("expect: {raises: SmtpException, status_code: MailboxUnavaliable}\n"
              if "status_code" in field else "expect: {raises: null}\n")
    path = write_file("bad.yaml", "id: a/b\ncondition: delivered\n" + text + expect)
    message = assert_located(error_of(path), path, line, field)
    assert problem in message


# -- profiles narrow field by field -------------------------------------------------------

CHECKED = """\
id: a/checked
condition: recipients-failed
server: {}
expect:
  raises: SmtpFailedRecipientException
  status_code: 550
  inner: null
  earlier: [{raises: SmtpException, status_code: 421}]
  server:
    commands: []
    delivered_to: [a@example.com]
    data_excludes: ["Bcc:"]
profiles:
"""


def test_a_profile_keeps_every_check_it_does_not_name(write_file: WriteFile) -> None:
    path = write_file("p.yaml", CHECKED + "  mono:\n    why: w\n    status_code: 451\n"
                                          "    server: {commands: [EHLO]}\n"
                                          "    earlier: [{status_code: 451}]\n")
    scenario = load_scenario(path)
    mono, expect = dict(scenario.profiles)["mono"], scenario.expect
    assert (mono.status_code, mono.raises, mono.inner) == (451, expect.raises, NO_INNER)
    assert mono.server.commands == ("EHLO",)
    assert mono.server.delivered_to == ("a@example.com",)
    assert mono.server.data_excludes == ("Bcc:",)
    assert [(e.raises, e.status_code) for e in mono.earlier] == [("SmtpException", 451)]
    assert mono.unchecked == ()


def test_unchecked_is_the_only_way_to_drop_a_check(write_file: WriteFile) -> None:
    path = write_file("p.yaml", CHECKED + "  mono:\n    why: w\n    unchecked: [inner, "
                                          "server.commands, server.data_excludes]\n")
    mono = dict(load_scenario(path).profiles)["mono"]
    assert mono.unchecked == ("inner", "server.commands", "server.data_excludes")
    assert (mono.inner, mono.server.commands, mono.server.data_excludes) == (None, None, ())
    assert mono.server.delivered_to == ("a@example.com",) and mono.status_code == 550


@pytest.mark.parametrize(("profile", "line", "field", "problem"), [
    ("  mono:\n    why: w\n    unchecked: [message_contains]\n", 16,
     "profiles.mono.unchecked[0]", "expect does not check message_contains"),
    ("  mono:\n    why: w\n    status_code: 451\n    unchecked: [inner, status_code]\n", 17,
     "profiles.mono.unchecked[1]", "status_code is both given and unchecked"),
    ("  mono:\n    why: w\n    server: {commands: []}\n    unchecked: [server.commands]\n",
     17, "profiles.mono.unchecked[0]", "server.commands is both given and unchecked"),
    ("  mono:\n    why: w\n    unchecked: [raises]\n", 16, "profiles.mono.unchecked[0]",
     "'raises' is not one of the allowed values"),
    ("  netmail:\n    why: w\n    status_code: 451\n", 14, "profiles.netmail",
     "netmail is a reference client"),
    ("  netmail-async: {why: w, status_code: 451}\n", 14, "profiles.netmail-async",
     "netmail-async is a reference client"),
])
def test_profile_problems_are_located(write_file: WriteFile, profile: str, line: int,
                                      field: str, problem: str) -> None:
    path = write_file("p.yaml", CHECKED + profile)
    assert problem in assert_located(error_of(path), path, line, field)


def _unchecked_value(expectation: Expectation, name: str) -> bool:
    """Whether ``expectation`` leaves ``name`` unchecked, judged from the model's defaults
    (an independent statement of what "checks" means, not the loader's)."""
    owner, attribute = ((expectation.server, name.removeprefix("server."))
                        if name.startswith("server.") else (expectation, name))
    default = next(f.default for f in fields(owner) if f.name == attribute)
    return getattr(owner, attribute) == default


def _dropped_checks(expect: Expectation, profile: Expectation, where: str = "") -> list[str]:
    """The fields ``expect`` checks that ``profile`` neither checks nor lists in
    ``unchecked`` (earlier sends included), and those it unchecks that expect never checked.
    ``raises`` is always checked: its ``None`` means "succeeds"."""
    dropped = []
    for name in (*OUTCOME_FIELDS, *(f"server.{n}" for n in SERVER_FIELDS)):
        expected_checks = not _unchecked_value(expect, name)
        profile_checks = not _unchecked_value(profile, name)
        if name in profile.unchecked:
            if not expected_checks or profile_checks:
                dropped.append(f"{where}{name} (unchecked)")
        elif expected_checks and not profile_checks:
            dropped.append(f"{where}{name}")
    for index, earlier in enumerate(expect.earlier):
        dropped += _dropped_checks(earlier, profile.earlier[index], f"earlier[{index}].")
    return dropped


SCENARIOS = load_scenarios([REPO / "scenarios"])[0]


def test_the_repository_has_profiles_to_check() -> None:
    assert sum(len(s.profiles) for s in SCENARIOS) > 300


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_every_profile_in_the_repository_keeps_the_checks_of_expect(scenario: Scenario
                                                                    ) -> None:
    """For every scenario file: each profile checks every field ``expect`` checks, except
    those it lists in ``unchecked``, and unchecks only what ``expect`` checks."""
    for client, profile in scenario.profiles:
        assert _dropped_checks(scenario.expect, profile) == [], (scenario.path, client)


def test_the_profile_check_sees_a_dropped_check() -> None:
    expect = Expectation(raises="SmtpException", inner="OSError",
                         server=ServerFacts(data_excludes=("Bcc:",)),
                         earlier=(Expectation(raises="SmtpException", status_code=421),))
    silent = replace(expect, server=ServerFacts(), earlier=(Expectation(raises="X"),))
    assert _dropped_checks(expect, silent) == ["server.data_excludes",
                                               "earlier[0].status_code"]
    assert _dropped_checks(expect, replace(expect, unchecked=("message_contains",))) == [
        "message_contains (unchecked)"]


def test_an_empty_list_is_a_check_that_can_be_unchecked(write_file: WriteFile) -> None:
    """``failed_recipients: []`` checks that none failed: a profile may uncheck it."""
    path = write_file("p.yaml", "id: a/b\ncondition: delivered\nexpect:\n  raises: null\n"
                                "  failed_recipients: []\nprofiles:\n"
                                "  mono: {why: w, unchecked: [failed_recipients]}\n")
    mono = dict(load_scenario(path).profiles)["mono"]
    assert mono.failed_recipients is None and mono.unchecked == ("failed_recipients",)


def test_profile_alternatives_narrow_expect_each(write_file: WriteFile) -> None:
    scenario = load_scenario(write_file("s.yaml", """\
id: a/b
condition: timeout
server: {}
expect: {raises: SmtpException, status_code: GeneralFailure, server: {messages: 0}}
profiles:
  racy:
    why: races
    alternatives:
      - raises: null
        server: {messages: 1}
"""))
    profile = dict(scenario.profiles)["racy"]
    assert profile.raises == "SmtpException"
    (alternative,) = profile.alternatives
    assert (alternative.raises, alternative.server.messages, alternative.why) == (None, 1, "races")
    assert alternative.status_code == scenario.expect.status_code


def test_an_alternative_has_no_why_of_its_own(write_file: WriteFile) -> None:
    path = write_file("bad.yaml", MINIMAL + "profiles:\n  racy:\n    why: races\n"
                                            "    alternatives:\n      - {raises: null, why: x}\n")
    text = assert_located(error_of(path), path, 8)
    assert "profiles.racy.alternatives[0]" in text and "why" in text


def test_a_profile_under_an_old_client_name_is_refused(write_file: WriteFile) -> None:
    """``dotnet`` now names .NET Core 3.1 only as an alias: a profile under it would never be
    used, so the loader says where it belongs."""
    path = write_file("bad.yaml", MINIMAL + "profiles:\n  dotnet:\n    why: x\n    raises: null\n")
    assert assert_located(error_of(path), path, 5, "profiles.dotnet").endswith(
        "dotnet is the old name of dotnet31: write profiles.dotnet31")


def test_every_problem_of_a_file_in_line_order(tmp_path: Path) -> None:
    """``validate`` lists each problem of a file, not only the first."""
    path = tmp_path / "bad.yaml"
    path.write_text("id: v/bad\ncondition: delivred\nserver:\n  rcpt: {drop: sideways}\n"
                    "client: {timeout: fast}\nexpect:\n  raises: SmtpExcepton\n  bogus: 1\n",
                    encoding="utf-8")
    problems = [str(error) for error in file_problems(path)]
    assert [p.split(": ")[0] for p in problems] == [f"{path}:{n}" for n in (2, 4, 5, 7, 8)]
    assert problems[0].endswith("did you mean delivered?")
    assert "expect.bogus: unknown field" in problems[-1]
    _, errors = load_scenarios([tmp_path])
    assert [str(e) for e in errors] == [str(load_error(path))]
    _, every = load_scenarios([tmp_path], every_problem=True)
    assert [str(e) for e in every] == problems


def test_a_file_valid_to_the_schema_reports_its_model_problem(tmp_path: Path) -> None:
    path = tmp_path / "regex.yaml"
    path.write_text("id: v/regex\ncondition: delivered\nserver:\n  rcpt: {pattern: '('}\n"
                    "expect: {raises: null}\n", encoding="utf-8")
    (problem,) = file_problems(path)
    assert problem.line == 4 and problem.field.startswith("server.rcpt")


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value
