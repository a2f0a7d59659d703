"""Run the pending mutants of a session, each in a private copy of netmail, in parallel.

cosmic-ray applies a mutation to the file in the working directory, runs the test command and
restores the file. Each worker process here gets its own copy of ``netmail/`` as its working
directory, first on ``PYTHONPATH`` (so the in-process netmail adapter imports the mutant while
the harness itself comes from this tree), so several mutants run at once without touching the
tree. Before any mutant, the unmutated copy must pass the same command: otherwise a broken
command would count every mutant as killed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from cosmic_ray.mutating import mutate_and_test
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkItem, WorkResult

from . import ROOT


class BaselineFailed(RuntimeError):
    """Unmutated netmail does not pass the judging command: no mutant can be judged."""


def judge_command(scenarios: list[Path]) -> list[str]:
    """The scenario suite, both netmail paths, stopping at the first failure, then the
    library's recorded MailAddress cases: exit 0 only if every scenario passes and every
    case agrees."""
    run = [sys.executable, "-m", "harness", "run", "--client", "netmail",
           "--client", "netmail-async", "--exitfirst", *(str(p.resolve()) for p in scenarios)]
    addresses = [sys.executable, "-m", "harness.diff.replay"]
    return ["sh", "-c", f"{shlex.join(run)} && {shlex.join(addresses)}"]


def execute(session: Path, command: list[str], workers: int, timeout: float,
            on_result: Callable[[int, int], None] = lambda done, total: None) -> None:
    with use_db(str(session), WorkDB.Mode.open) as db:
        pending = list(db.pending_work_items)
    with tempfile.TemporaryDirectory(prefix="netmail-mutants-") as root:
        _check_baseline(Path(root), command, timeout)
        with ProcessPoolExecutor(workers, initializer=_enter_copy, initargs=(root,)) as pool, \
                use_db(str(session), WorkDB.Mode.open) as db:
            futures = {pool.submit(_judge, item, shlex.join(command), timeout): item.job_id
                       for item in pending}
            for done, future in enumerate(as_completed(futures), 1):
                db.set_result(futures[future], future.result())
                on_result(done, len(pending))


def _copy(root: Path) -> Path:
    copy = Path(tempfile.mkdtemp(dir=root))
    shutil.copytree(ROOT / "netmail", copy / "netmail",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _check_baseline(root: Path, command: list[str], timeout: float) -> None:
    copy = _copy(root)
    env = {**os.environ, "PYTHONPATH": _search_path(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise BaselineFailed(f"unmutated netmail fails `{shlex.join(command)}` (exit "
                             f"{done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def _enter_copy(root: str) -> None:
    copy = _copy(Path(root))
    os.chdir(copy)
    os.environ["PYTHONPATH"] = _search_path(copy)


def _search_path(copy: Path) -> str:
    """The copy first, then whatever the caller had on ``PYTHONPATH``."""
    return os.pathsep.join(filter(None, [str(copy), os.environ.get("PYTHONPATH")]))


def _judge(item: WorkItem, command: str, timeout: float) -> WorkResult:
    return mutate_and_test(item.mutations, command, timeout)
