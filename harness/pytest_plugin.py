"""The pytest plugin: scenario files as test items where asked, and the ``smtp_server`` fixture.

Installing the package changes nothing in another project's test run. Scenario files are
collected only from the paths in the ini option ``smtp_scenarios``, from ``--smtp-scenarios
PATH`` (``builtin``: the built-in library; these run in addition to pytest's own arguments),
and from files named ``*.smtp.yaml``; every other YAML file is left alone. Importing the plugin
imports pytest and the standard library only: the harness loads when a scenario is collected
or the fixture is used. Items have ids like ``recipients/middle-rejected[netmail]``; ``-k``,
``-n`` (xdist) and ``--junitxml`` work as for any test. A failing item prints the differences
and the server transcript; a scenario the client cannot express ("not runnable" in
``smtp-harness run``) is skipped with the reason. Scenarios mostly wait, so the runs of an
unbroken series of scenario items start together in the background (``--smtp-jobs``, 16 at
a time) and each item waits for its own verdict in its turn; an xdist worker looks one item
ahead. ``smtp-harness docs fixtures`` documents it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .adapters import Adapter
    from .model import Scenario
    from .runner import Queued
    from .server import RunningServer
    from .verdict import Verdict

_ADAPTERS = pytest.StashKey[dict[str, "Adapter"]]()
_UNAVAILABLE = pytest.StashKey[dict[str, str]]()
"""Clients that could not start here, with the reason: asked once, not once per item."""
_ROOTS = pytest.StashKey[list[Path]]()
"""Where scenario files are collected from (resolved)."""
_SERVERS = pytest.StashKey[list["RunningServer"]]()
"""The servers a test started through the fixture, for its failure report."""
_AHEAD = pytest.StashKey["_Ahead"]()
"""The scenario runs of this process started ahead of their items."""
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
    group.addoption("--smtp-jobs", type=int, default=None, dest="smtp_jobs", metavar="N",
                    help="scenario runs at a time in one process, started ahead of their "
                         "items so that their waits overlap (default: as many as "
                         "smtp-harness run, 16); 1 runs each item in its turn")
    parser.addini("smtp_scenarios", type="paths", default=[],
                  help="files or directories whose YAML files are scenarios (relative to the "
                       "ini file); collected where pytest's own collection reaches them")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ADAPTERS] = {}
    config.stash[_UNAVAILABLE] = {}
    jobs = config.getoption("smtp_jobs")
    if jobs is not None and jobs < 1:
        raise pytest.UsageError(f"--smtp-jobs: {jobs}: must be 1 or more")
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
    ahead = config.stash.get(_AHEAD, None)
    if ahead is not None:
        ahead.close()
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
            name = f"{scenario.id}[{client}]"
            # The id given as text, parsed as pytest parses the ids it stores (names, then
            # params in brackets): derived from the parent, pytest 9 keeps "[client]" in the
            # name, and --lf would never find the failures it recorded.
            yield ScenarioItem.from_parent(self, name=name, nodeid=f"{self.nodeid}::{name}",
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
        from .runner import run_scenario
        from .verdict import NOT_RUNNABLE

        adapter = _adapter(self.config, self.client)
        if adapter is None:
            pytest.skip(self.config.stash[_UNAVAILABLE][self.client])
        ahead = self.config.stash.get(_AHEAD, None)
        future = ahead.take(self) if ahead is not None else None
        if future is None:  # not started ahead (--smtp-jobs 1, or a rerun): run it here
            verdict = run_scenario(self.scenario, adapter)
        else:
            verdict = _verdict_of(self, future)
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


def _adapter(config: pytest.Config, client: str) -> Adapter | None:
    """The process's adapter for ``client``, started on first use; ``None`` if it cannot run
    here (the reason is in ``_UNAVAILABLE``): asked once, not once per item."""
    from .adapters import make_adapter
    from .adapters.process import ClientUnavailable

    adapters, unavailable = config.stash[_ADAPTERS], config.stash[_UNAVAILABLE]
    if client not in adapters and client not in unavailable:
        try:
            adapter = make_adapter(client)
            adapter.start()
            adapters[client] = adapter
        except ClientUnavailable as reason:  # a real program missing here: say which
            unavailable[client] = f"{client} cannot run here: {reason}"
    return adapters.get(client)


def _verdict_of(item: ScenarioItem, future: Future[Verdict]) -> Verdict:
    """Wait for a run started ahead, as ``smtp-harness run`` waits: at most the scenario's
    budget, so a client that never returns is an error on its own item, never a hang."""
    from .runner import await_verdict, budget

    return await_verdict(item.scenario, item.client, future, budget(item.scenario))


class _Ahead:
    """Scenario runs started before their items' turn, on daemon threads, ``jobs`` at a time.

    Scenarios mostly wait (delays, client timeouts); run one by one, a process sleeps through
    every wait in series. Each item still takes its own verdict from its own run, in its turn,
    so reports, ``-x`` and selection are pytest's as ever; a run not yet started when the
    session ends is cancelled, and a run still going is left behind (daemon threads).
    """

    def __init__(self, jobs: int) -> None:
        self._jobs = jobs
        self._work: queue.SimpleQueue[Queued] = queue.SimpleQueue()
        self._futures: dict[ScenarioItem, Future[Verdict]] = {}
        self._threads = 0

    def __contains__(self, item: object) -> bool:
        return item in self._futures

    def start(self, items: Sequence[ScenarioItem]) -> None:
        """Queue the runs of ``items`` (each once), in order."""
        from .runner import warm_up, work_through

        fresh = [item for item in dict.fromkeys(items) if item not in self._futures]
        runs = [(item, adapter) for item in fresh
                if (adapter := _adapter(item.config, item.client)) is not None]
        if not runs:
            return
        warm_up([item.scenario for item, _ in runs])  # before any run's clock
        for item, adapter in runs:
            future: Future[Verdict] = Future()
            self._futures[item] = future
            self._work.put((item.scenario, adapter, future))
        while self._threads < min(self._jobs, len(self._futures)):
            self._threads += 1
            threading.Thread(target=work_through, args=(self._work,), name="smtp-scenario",
                             daemon=True).start()

    def take(self, item: ScenarioItem) -> Future[Verdict] | None:
        """The run started for ``item``, handed over once (a rerun runs afresh)."""
        return self._futures.pop(item, None)

    def close(self) -> None:
        """Cancel the runs not started; the threads end when they find the queue's end."""
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()
        for _ in range(self._threads):
            self._work.put(None)
        self._threads = 0



@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Start the runs of the scenario items that are sure to come next in this process.

    In a plain process that is the unbroken series of scenario items from this one on in
    ``session.items`` (the order pytest runs them in): runs never overlap another kind of
    test, which may patch what a scenario uses. An xdist worker is handed its items a few at
    a time by the controller, and under ``--dist worksteal`` may have them taken back; the
    one it is sure of is ``nextitem``, already taken off its queue: it looks one item ahead.
    """
    if not isinstance(item, ScenarioItem):
        return None
    config = item.config
    jobs = config.getoption("smtp_jobs")
    if jobs is None:
        from .runner import DEFAULT_JOBS

        jobs = DEFAULT_JOBS
    if jobs <= 1:
        return None
    ahead = config.stash.get(_AHEAD, None)
    if ahead is None:
        ahead = config.stash[_AHEAD] = _Ahead(jobs)
    if hasattr(config, "workerinput"):  # an xdist worker
        ahead.start([item, *([nextitem] if isinstance(nextitem, ScenarioItem) else [])])
    elif item not in ahead:
        ahead.start(_series_from(item))
    return None


def _series_from(item: ScenarioItem) -> list[ScenarioItem]:
    """``item`` and the scenario items that follow it in ``session.items`` without a break."""
    items = item.session.items
    try:
        first = items.index(item)
    except ValueError:  # run by something other than pytest's loop: this one alone
        return [item]
    series: list[ScenarioItem] = []
    for following in items[first:]:
        if not isinstance(following, ScenarioItem):
            break
        series.append(following)
    return series


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
