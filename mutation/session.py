"""A mutation session: cosmic-ray's database of mutants, with the ones not to run marked.

``create`` asks cosmic-ray for every mutant of netmail, then marks as skipped (with the reason
as the result's output) those in annotations, in the equivalence list, outside ``--where`` and
outside the ``--sample``; what is left pending is what ``execute`` runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkItem, WorkResult

from . import CONFIG, ROOT
from .equivalence import EquivalenceError, Equivalent, stale
from .mutants import ANNOTATION, EQUIVALENT, UNSAMPLED, UNSELECTED, in_annotation, mutant


class SessionMismatch(ValueError):
    """``--keep-kills`` names a session whose mutants are not this netmail's."""


def create(path: Path, equivalents: tuple[Equivalent, ...], where: list[str],
           sample: int | None, kills_from: Path | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "init", str(CONFIG), str(path)],
                   cwd=ROOT, check=True)
    with use_db(str(path), WorkDB.Mode.open) as db:
        items = list(db.work_items)
        mutants = {item.job_id: mutant(ROOT, item) for item in items}
        gone = stale(equivalents, list(mutants.values()))
        if gone:
            raise EquivalenceError("stale entries in the equivalence list (no such mutant): "
                                   + "; ".join(f"{e.at} {e.operator} {e.code!r}" for e in gone))
        skipped: dict[str, list[str]] = {}
        candidates = []
        for item in items:
            found = mutants[item.job_id]
            equivalent = next((e for e in equivalents if e.matches(found)), None)
            if in_annotation(ROOT, item.mutations[0]):
                skipped.setdefault(ANNOTATION, []).append(item.job_id)
            elif equivalent is not None:
                skipped.setdefault(f"{EQUIVALENT}: {equivalent.why}", []).append(item.job_id)
            elif where and not any(found.is_at(w) for w in where):
                skipped.setdefault(UNSELECTED, []).append(item.job_id)
            else:
                candidates.append(found)
        if sample is not None:
            candidates.sort(key=lambda m: (m.sample_key, m.line))
            skipped[UNSAMPLED] = [m.job_id for m in candidates[sample:]]
        for reason, job_ids in skipped.items():
            db.set_multiple_results(job_ids, WorkResult(worker_outcome=WorkerOutcome.SKIPPED,
                                                        output=reason))
        if kills_from is not None:
            _keep_kills(db, kills_from)


def _keep_kills(db: WorkDB, earlier: Path) -> None:
    """Copy the kills of an earlier session of the same netmail: a scenario suite that has
    only grown kills them still, so only the survivors need judging again."""
    with use_db(str(earlier), WorkDB.Mode.open) as old:
        kills = {_key(item): result for item, result in old.completed_work_items
                 if result.test_outcome == TestOutcome.KILLED}
        mutants = {_key(item) for item in old.work_items}
    items = list(db.pending_work_items)
    if not {_key(item) for item in db.work_items} == mutants:
        raise SessionMismatch(f"{earlier} is a session of another netmail: its mutants differ")
    for item in items:
        if _key(item) in kills:
            db.set_result(item.job_id, kills[_key(item)])


def _key(item: WorkItem) -> tuple[str, str, int, tuple[int, ...]]:
    """A mutant's identity across sessions: changed code moves positions and occurrences."""
    (spec,) = item.mutations
    return (spec.module_path.as_posix(), spec.operator_name, spec.occurrence,
            tuple(spec.start_pos))
