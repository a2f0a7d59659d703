"""The pytest plugin: scenario files as test items where asked, and the ``smtp_server`` fixture.

Installing the package changes nothing in another project's test run. Scenario files are
collected only from the paths in the ini option ``smtp_scenarios``, from ``--smtp-scenarios
PATH`` (``builtin``: the built-in library; these run in addition to pytest's own arguments),
and from files named ``*.smtp.yaml``; every other YAML file is left alone. Importing the plugin
imports pytest and the standard library only: the harness loads when a scenario is collected
or the fixture is used. Items have ids like ``recipients/middle-rejected[netmail]``; ``-k``,
``-n`` (xdist) and ``--junitxml`` work as for any test. A failing item prints the differences
and the server transcript; a scenario the client cannot express ("not runnable" in
``smtp-harness run``) is skipped with the reason. ``smtp-harness docs fixtures`` documents it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .adapters import Adapter
    from .model import Scenario
    from .server import RunningServer
    from .verdict import Verdict

_ADAPTERS = pytest.StashKey[dict[str, "Adapter"]]()
_UNAVAILABLE = pytest.StashKey[dict[str, str]]()
"""Clients that could not start here, with the reason: asked once, not once per item."""
_ROOTS = pytest.StashKey[list[Path]]()
"""Where scenario files are collected from (resolved)."""
_SERVERS = pytest.StashKey[list["RunningServer"]]()
"""The servers a test started through the fixture, for its failure report."""
_SUFFIXES = (".yaml", ".yml")
_DECLARED = (".smtp.yaml", ".smtp.yml")
BUILTIN = "builtin"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smtp-conformance")
    group.addoption("--smtp-client", action="append", default=[], dest="smtp_clients",
                    metavar="NAME", help="client to run scenarios against, repeatable "
                                         "(default: netmail)")
    group.addoption("--smtp-scenarios", action="append", default=[], dest="smtp_scenarios",
                    metavar="PATH", help="run the scenario files under PATH as tests, in "
                                         "addition to the other arguments; 'builtin' is the "
                                         "built-in library; repeatable")
    parser.addini("smtp_scenarios", type="paths", default=[],
                  help="files or directories whose YAML files are scenarios (relative to the "
                       "ini file); collected where pytest's own collection reaches them")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ADAPTERS] = {}
    config.stash[_UNAVAILABLE] = {}
    clients = config.getoption("smtp_clients")
    if clients:
        from .adapters import check_client

        for name in clients:
            try:
                check_client(name)
            except ValueError as error:
                raise pytest.UsageError(f"--smtp-client: {error}") from None
    named = [_option_path(config, text) for text in config.getoption("smtp_scenarios")]
    config.stash[_ROOTS] = [path.resolve() for path in (*config.getini("smtp_scenarios"),
                                                        *named)]
    arguments = [_argument_path(config, arg) for arg in config.args]
    config.args += [str(path) for path in named
                    if not any(path.resolve().is_relative_to(arg) for arg in arguments)]
    config.addinivalue_line("markers", "smtp_scenario: an item collected from a scenario file")


def _option_path(config: pytest.Config, text: str) -> Path:
    if text == BUILTIN:
        from .library import builtin_dir

        return builtin_dir()
    path = config.invocation_params.dir / text
    if not path.exists():
        raise pytest.UsageError(f"--smtp-scenarios {text}: no such file or directory")
    return path


def _argument_path(config: pytest.Config, arg: str) -> Path:
    return (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()


def pytest_unconfigure(config: pytest.Config) -> None:
    for adapter in config.stash.get(_ADAPTERS, {}).values():
        adapter.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in _SUFFIXES:
        return None
    roots = parent.config.stash[_ROOTS]
    resolved = file_path.resolve()
    if file_path.name.endswith(_DECLARED) or any(resolved.is_relative_to(r) for r in roots):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from .adapters import canonical
        from .loader import ScenarioError, load_scenario

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
        from .adapters import make_adapter
        from .adapters.process import ClientUnavailable
        from .runner import run_scenario
        from .verdict import NOT_RUNNABLE

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
def smtp_server(request: pytest.FixtureRequest) -> Iterator[Callable[..., RunningServer]]:
    """Start a scripted server: ``smtp_server({"rcpt": [{"match": ..., "reply": ...}]})``.

    The dict is the ``server`` part of a scenario file. The server listens on 127.0.0.1
    (``.address``, ``.port``), records ``.transcript``, and stops when the test ends; a
    failing test's report shows each server's transcript, and a server that failed itself
    (a harness bug, not the client's doing) fails the test.
    """
    from .loader import parse_server_script
    from .server import shared_host

    started = request.node.stash.setdefault(_SERVERS, [])

    def start(script: dict[str, Any] | None = None) -> RunningServer:
        server = shared_host().start(parse_server_script(script or {}, "smtp_server()"))
        started.append(server)
        return server

    yield start
    failures = [problem for server in started for problem in server.stop().harness_errors]
    if failures:  # the test met a server its script did not ask for: it proved nothing
        pytest.fail(f"the scripted server failed: {'; '.join(failures)}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    servers = item.stash.get(_SERVERS, [])
    if report.failed and report.when == "call" and servers:
        for number, server in enumerate(servers, 1):
            report.sections.append((
                f"smtp_server transcript ({number} of {len(servers)}, "
                f"{server.address}:{server.port})",
                server.transcript.render() or "(nothing: no client connected)"))
    return report
