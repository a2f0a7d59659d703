"""Real programs the tests drive (swaks, Chromium, Mono, Postfix, ...): a skip on a machine
without them, a failure in CI.

A developer without Chromium should still be able to run the suite; but in CI, where
``.ci/run`` installs every one of them, a skip would let the job pass without testing anything
(issue 12: CI that cannot pass by accident). Shared by ``tests/`` and ``benchmarks/``.
"""

from __future__ import annotations

import os

import pytest

OPTION = "--strict-programs"
GROUP = "real programs"


def in_ci() -> bool:
    """The ``CI`` environment variable is ``true`` or ``1`` (any case), as CI services set it."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def strict(config: pytest.Config | None) -> bool:
    """A missing program fails: in CI, or with ``--strict-programs``."""
    return in_ci() or bool(config is not None and config.getoption("strict_programs", False))


def require(reason: str | None, config: pytest.Config | None) -> None:
    """Stop the calling test when ``reason`` (why a real program cannot run) is not None.

    It skips with the reason, or fails when :func:`strict`. ``config`` is the test's
    ``request.config`` (None: only the environment decides).
    """
    if reason is None:
        return
    if strict(config):
        pytest.fail(f"missing real program in CI: {reason}", pytrace=False)
    # The project's only skip: a real program that this machine lacks (the reason names it).
    # Nothing else may skip a test; a check that fails is a failure.
    pytest.skip(reason)


def add_option(parser: pytest.Parser) -> None:
    """``--strict-programs``, for ``pytest_addoption`` of each conftest that needs it; adding it
    twice (``pytest tests benchmarks`` loads both conftests) is harmless."""
    group = parser.getgroup(GROUP)
    if any(OPTION in option.names() for option in group.options):
        return
    group.addoption(OPTION, action="store_true", default=False,
                    help="fail, rather than skip, a test whose real program (swaks, Chromium, "
                         "Mono, Postfix, libssl.so.1.1, ...) is missing; implied by CI=true")
