"""The shared helper for tests that drive a real program: a skip on a developer's machine,
a failure in CI (``CI=true``) or with ``--strict-programs``."""

from __future__ import annotations

import textwrap

import pytest

from .real_programs import in_ci, require

pytest_plugins = ["pytester"]
REASON = "swaks is not installed (apt-get install swaks)"


@pytest.mark.parametrize("value", ["true", "TRUE", "True", "1"])
def test_in_ci_a_missing_program_fails(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci()
    with pytest.raises(pytest.fail.Exception) as failed:
        require(REASON, None)
    assert failed.value.msg == f"missing real program in CI: {REASON}"


@pytest.mark.parametrize("value", [None, "", "false", "0", "no"])
def test_outside_ci_a_missing_program_skips_with_its_reason(
        monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert not in_ci()
    with pytest.raises(pytest.skip.Exception) as skipped:
        require(REASON, None)
    assert skipped.value.msg == REASON


def test_a_present_program_neither_skips_nor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    require(None, None)


def test_the_strict_programs_option_fails_outside_ci(pytester: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makeconftest(textwrap.dedent("""\
        from tests import real_programs

        def pytest_addoption(parser):
            real_programs.add_option(parser)
            real_programs.add_option(parser)  # a second conftest adding it is harmless
        """))
    pytester.makepyfile(textwrap.dedent(f"""\
        from tests.real_programs import require

        def test_needs_swaks(pytestconfig):
            require({REASON!r}, pytestconfig)
        """))
    skipped = pytester.runpytest("-rs", "-p", "no:cacheprovider")
    skipped.assert_outcomes(skipped=1)
    skipped.stdout.fnmatch_lines([f"*{REASON}*"])
    failed = pytester.runpytest("--strict-programs", "-p", "no:cacheprovider")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines([f"*missing real program in CI: {REASON}*"])
