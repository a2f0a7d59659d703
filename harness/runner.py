"""Running scenarios: start the scripted server, run the client, judge, in parallel.

Scenarios mostly wait (delays, timeouts), so many run at once on a thread pool while their
servers share one event loop. Every run is bounded: a client that does not return within its
timeout plus the script's delays plus a margin is reported as an error, never waited for.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import socket
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, InvalidStateError, wait
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from .adapters.base import Adapter, ClientRequest
from .adapters.process import NotRunnable
from .model import Scenario
from .server import HOST, ca_file, shared_host
from .server.certificates import server_context
from .server.transcript import Transcript
from .verdict import ERROR, FAIL, NOT_RUNNABLE, Verdict, harness_error, judge

DEFAULT_JOBS = 16
Queued = tuple[Scenario, Adapter, Future[Verdict]] | None
"""A worker's queue item: a scenario, the client to run it and where its verdict goes; None
ends the worker."""
_MARGIN = 10.0
"""Seconds beyond a scenario's own timeouts and delays before it counts as hung."""


def budget(scenario: Scenario) -> float:
    """The longest a scenario may take before it counts as hung."""
    delays = scenario.server.max_delay if scenario.server else 0.0
    return (scenario.client.timeout + delays) * scenario.client.sends + _MARGIN


def run_scenario(scenario: Scenario, adapter: Adapter, contract_only: bool = False) -> Verdict:
    """Run one scenario against one client and judge it (``contract_only``: on the contract's
    fields alone)."""
    started = time.monotonic()
    server = shared_host().start(scenario.server) if scenario.server else None
    try:
        with _closed_port() as unused_port, _pickup_directory(scenario) as pickup:
            request = request_for(scenario, server.port if server else unused_port, pickup)
            try:
                outcomes = adapter.run(request)
            except NotRunnable as reason:
                transcript = server.stop() if server else None
                server = None
                return _not_runnable(scenario, adapter, str(reason), transcript,
                                     time.monotonic() - started)
            except Exception as exc:  # an adapter bug; the client's own errors are outcomes
                transcript = server.stop() if server else None
                server = None
                return harness_error(scenario, adapter.name,
                                     f"the adapter failed: {type(exc).__name__}: {exc}",
                                     transcript, time.monotonic() - started)
            files = sorted(Path(pickup).glob("*.eml")) if pickup else []
            pickup_files = len(files) if pickup else None
            pickup_contents = tuple(path.read_bytes() for path in files)
    finally:
        transcript = server.stop() if server else None
    if transcript is not None and transcript.harness_errors:  # never judged: the server broke
        return harness_error(scenario, adapter.name, "the scripted server failed: "
                             + "; ".join(transcript.harness_errors), transcript,
                             time.monotonic() - started)
    return judge(scenario, adapter.name, outcomes, transcript, pickup_files,
                 time.monotonic() - started, contract_only, pickup_contents)


def _not_runnable(scenario: Scenario, adapter: Adapter, reason: str,
                  transcript: Transcript | None, seconds: float) -> Verdict:
    """Not runnable when the client declares it lacks what the scenario needs; otherwise an
    error (a runtime without TLS, a driver that cannot read the request): fail closed."""
    explained = sorted(scenario.needs & adapter.lacks)
    if explained:
        return harness_error(scenario, adapter.name, f"not runnable: {reason}", transcript,
                             seconds, NOT_RUNNABLE)
    needs = ", ".join(sorted(scenario.needs)) or "nothing a client may lack"
    return harness_error(scenario, adapter.name,
                         f"not runnable, and not for what {adapter.name} declares it lacks "
                         f"({', '.join(sorted(adapter.lacks)) or 'nothing'}; the scenario "
                         f"needs {needs}): {reason}", transcript, seconds)


def run_all(scenarios: Sequence[Scenario], adapters: Sequence[Adapter],
            jobs: int = DEFAULT_JOBS,
            on_verdict: Callable[[Verdict], None] | None = None,
            contract_only: bool = False, exitfirst: bool = False) -> list[Verdict]:
    """Every verdict of ``each_verdict``, in a list."""
    return list(each_verdict(scenarios, adapters, jobs, on_verdict, contract_only, exitfirst))


def each_verdict(scenarios: Sequence[Scenario], adapters: Sequence[Adapter],
                 jobs: int = DEFAULT_JOBS,
                 on_verdict: Callable[[Verdict], None] | None = None,
                 contract_only: bool = False, exitfirst: bool = False) -> Iterator[Verdict]:
    """Run every scenario against every client, ``jobs`` at a time, yielding the verdicts in
    input order. The runner lets go of each verdict once it is yielded, so a caller that keeps
    less than the verdict (a report's ``Result``: the transcript as text, not the messages the
    server received) runs 10,000 scenarios in the memory of what it keeps.

    ``exitfirst``: stop at the first failing verdict (fail or error), cancel what has not
    started and return the verdicts so far, ending with that one: for a caller that only
    needs to know whether anything fails (mutation testing judges thousands of mutants).

    Workers are daemon threads, so a client that never returns is reported and left behind:
    it cannot keep the process alive. (Starting the scenarios that wait first would end the
    suite sooner, but it starts the 0.3 s timeout scenarios together in the busiest moment,
    and on a loaded machine their sends then time out before reaching the slow step.)
    """
    warm_up(scenarios)
    work: queue.Queue[Queued] = queue.Queue()
    futures: deque[tuple[Scenario, Adapter, Future[Verdict]]] = deque()
    failed: Future[Verdict] = Future()
    for scenario in scenarios:
        for adapter in adapters:
            future: Future[Verdict] = Future()
            if exitfirst:
                future.add_done_callback(lambda done: _note_failure(done, failed))
            futures.append((scenario, adapter, future))
            work.put((scenario, adapter, future))
    for _ in range(max(1, min(jobs, len(futures)))):
        work.put(None)
        threading.Thread(target=work_through, args=(work, contract_only), name="scenario",
                         daemon=True).start()
    while futures:
        scenario, adapter, future = futures.popleft()
        patience = budget(scenario)
        if exitfirst:  # the budget is spent here, waking early if any scenario fails
            wait([future, failed], timeout=patience, return_when=FIRST_COMPLETED)
            if failed.done() and not future.done():  # a later scenario failed first
                future = failed
            patience = 0.0
        verdict = await_verdict(scenario, adapter.name, future, patience)
        if on_verdict is not None:
            on_verdict(verdict)
        del future
        if exitfirst and verdict.status in (FAIL, ERROR):
            for _, _, pending in futures:
                pending.cancel()
            yield verdict
            return
        yield verdict


def _note_failure(done: Future[Verdict], failed: Future[Verdict]) -> None:
    """Done callback: the first failing verdict (in completion order) settles ``failed``."""
    if done.cancelled() or done.exception() is not None:
        return  # a harness error is raised, in input order, by the main loop
    if done.result().status in (FAIL, ERROR):
        with contextlib.suppress(InvalidStateError):  # only the first failure counts
            failed.set_result(done.result())


def warm_up(scenarios: Sequence[Scenario]) -> None:
    """Do the once-per-process work before any scenario's clock runs: the server loop, and
    the TLS certificates (each RSA key costs tens of milliseconds of CPU under the GIL)."""
    shared_host()
    for kind in sorted({s.server.certificate for s in scenarios
                        if s.server is not None and s.server.certificate}):
        server_context(kind)
        ca_file()


def work_through(work: queue.Queue[Queued] | queue.SimpleQueue[Queued],
                 contract_only: bool = False) -> None:
    """A worker thread: run each queued scenario onto its future, until a None."""
    while (item := work.get()) is not None:
        scenario, adapter, future = item
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(run_scenario(scenario, adapter, contract_only))
            except BaseException as exc:  # a harness bug: report it on the future
                future.set_exception(exc)


def await_verdict(scenario: Scenario, client: str, future: Future[Verdict],
                  patience: float) -> Verdict:
    """The verdict of a run on another thread, or an error once ``patience`` is spent: a
    client that never returns is reported, never waited for."""
    started = time.monotonic()
    try:
        return future.result(timeout=patience)
    except FutureTimeout:
        return harness_error(scenario, client,
                             f"the client did not return within {budget(scenario):.1f} s",
                             None, time.monotonic() - started)


def request_for(scenario: Scenario, port: int, pickup: str | None) -> ClientRequest:
    """What the client is asked to do for ``scenario``, its server at ``port``."""
    spec = scenario.client
    directory = pickup if spec.pickup_directory == "absolute" else spec.pickup_directory
    return ClientRequest(
        scenario=scenario.id,
        host=HOST if spec.host is ... else spec.host,
        port=port if spec.port is ... else spec.port,
        enable_ssl=spec.enable_ssl,
        timeout=spec.timeout,
        credentials=spec.credentials,
        delivery_method=spec.delivery_method,
        pickup_directory=directory,
        state=spec.state,
        sends=spec.sends,
        api=spec.api,
        configure=spec.configure,
        ca_file=ca_file() if scenario.server and scenario.server.certificate else None,
        message=scenario.message,
    )


@contextlib.contextmanager
def _closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused, and nobody else gets it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]


@contextlib.contextmanager
def _pickup_directory(scenario: Scenario) -> Iterator[str | None]:
    if scenario.client.pickup_directory != "absolute":
        yield None
        return
    directory = tempfile.mkdtemp(prefix="smtp-harness-pickup-")
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
