"""The pytest plugin: scenario files become test items, and ``smtp_server`` serves a script.

``pytest scenarios/`` collects every YAML file under a directory named ``scenarios`` (the ini
option ``smtp_scenario_dirs`` changes the name) as one item per scenario and client, with ids
like ``recipients/middle-rejected[netmail]``; ``-k``, ``-n`` (xdist) and ``--junitxml`` work as
for any test. A failing item prints the differences and the server transcript; a scenario the
client cannot express ("not runnable" in ``smtp-harness run``) is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .adapters import Adapter, canonical, check_client, make_adapter
from .adapters.process import ClientUnavailable
from .loader import ScenarioError, load_scenario, parse_server_script
from .model import Scenario
from .runner import run_scenario
from .server import RunningServer, shared_host
from .verdict import NOT_RUNNABLE, Verdict

_ADAPTERS = pytest.StashKey[dict[str, Adapter]]()
_UNAVAILABLE = pytest.StashKey[dict[str, str]]()
"""Clients that could not start here, with the reason: asked once, not once per item."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smtp-conformance")
    group.addoption("--smtp-client", action="append", default=[], dest="smtp_clients",
                    metavar="NAME", help="client to run scenarios against, repeatable "
                                         "(default: netmail)")
    parser.addini("smtp_scenario_dirs", type="args", default=["scenarios"],
                  help="names of directories whose YAML files are scenarios")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ADAPTERS] = {}
    config.stash[_UNAVAILABLE] = {}
    for name in config.getoption("smtp_clients"):
        try:
            check_client(name)
        except ValueError as error:
            raise pytest.UsageError(f"--smtp-client: {error}") from None
    config.addinivalue_line("markers", "smtp_scenario: an item collected from a scenario file")


def pytest_unconfigure(config: pytest.Config) -> None:
    for adapter in config.stash.get(_ADAPTERS, {}).values():
        adapter.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    directories = set(parent.config.getini("smtp_scenario_dirs"))
    if file_path.suffix in (".yaml", ".yml") and directories & set(file_path.parts[:-1]):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            scenario = load_scenario(self.path)
        except ScenarioError as error:
            raise self.CollectError(str(error)) from None
        clients = self.config.getoption("smtp_clients") or ["netmail"]
        for client in dict.fromkeys(canonical(name) for name in clients):
            yield ScenarioItem.from_parent(self, name=f"{scenario.id}[{client}]",
                                           scenario=scenario, client=client)


class ScenarioFailed(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.explain())
        self.verdict = verdict


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, client: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario, self.client = scenario, client
        self.add_marker(pytest.mark.smtp_scenario)

    def runtest(self) -> None:
        adapters, unavailable = self.config.stash[_ADAPTERS], self.config.stash[_UNAVAILABLE]
        if self.client not in adapters and self.client not in unavailable:
            try:
                adapter = make_adapter(self.client)
                adapter.start()
                adapters[self.client] = adapter
            except ClientUnavailable as reason:  # a real program missing here: say which
                unavailable[self.client] = f"{self.client} cannot run here: {reason}"
        if self.client in unavailable:
            pytest.skip(unavailable[self.client])
        verdict = run_scenario(self.scenario, adapters[self.client])
        if verdict.status == NOT_RUNNABLE:  # as `smtp-harness run` counts it: not a failure
            pytest.skip(f"{self.client} cannot run this scenario: {verdict.differences[0]}")
        if not verdict.passed:
            raise ScenarioFailed(verdict)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario {self.scenario.id} [{self.client}]"


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., RunningServer]]:
    """Start a scripted server: ``smtp_server({"rcpt": [{"match": ..., "reply": ...}]})``.

    The dict is the ``server`` part of a scenario file. The server listens on 127.0.0.1
    (``.address``, ``.port``), records ``.transcript``, and stops when the test ends.
    """
    started: list[RunningServer] = []

    def start(script: dict[str, Any] | None = None) -> RunningServer:
        server = shared_host().start(parse_server_script(script or {}, "smtp_server()"))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
