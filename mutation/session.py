"""A mutation session: cosmic-ray's database of mutants, with the ones not to run marked.

``create`` asks cosmic-ray for every mutant of netmail, then marks as skipped (with the reason
as the result's output) those in annotations, in the equivalence list, outside ``--where`` and
outside the ``--sample``; what is left pending is what ``execute`` runs.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkItem, WorkResult

from . import CONFIG, ROOT
from .equivalence import EquivalenceError, Equivalent, stale
from .mutants import ANNOTATION, EQUIVALENT, UNSAMPLED, UNSELECTED, in_annotation, mutant


class SessionMismatch(ValueError):
    """A session made from another netmail (or another configuration) than this tree's."""


def fingerprint() -> str:
    """What a session's mutants derive from: netmail's sources and the cosmic-ray
    configuration. Mutant positions alone would miss a changed constant or comparison."""
    digest = hashlib.sha256(CONFIG.read_bytes())
    for path in sorted((ROOT / "netmail").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def check_source(session: Path) -> None:
    """Refuse a session whose mutants were made from other sources than this tree's (its
    kills would be copied, or its survivors shown, against the wrong code)."""
    if not session.is_file():
        raise SessionMismatch(f"{session}: no such session")
    with sqlite3.connect(session) as db:
        try:
            (recorded,) = db.execute("SELECT sha256 FROM netmail_source").fetchone()
        except sqlite3.OperationalError:  # no such table: not made by ``create``
            recorded = None
    if recorded != fingerprint():
        raise SessionMismatch(f"{session} is a session of another netmail: its sources "
                              "differ from this tree's")


def create(path: Path, equivalents: tuple[Equivalent, ...], where: list[str],
           sample: int | None, kills_from: Path | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-m", "cosmic_ray.cli", "init", str(CONFIG), str(path)],
                   cwd=ROOT, check=True)
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE netmail_source (sha256 TEXT NOT NULL)")
        raw.execute("INSERT INTO netmail_source VALUES (?)", (fingerprint(),))
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
    check_source(earlier)
    with use_db(str(earlier), WorkDB.Mode.open) as old:
        kills = {_key(item): result for item, result in old.completed_work_items
                 if result.test_outcome == TestOutcome.KILLED}
    for item in list(db.pending_work_items):
        if _key(item) in kills:
            db.set_result(item.job_id, kills[_key(item)])


def _key(item: WorkItem) -> tuple[str, str, int, tuple[int, ...]]:
    """A mutant's identity between two sessions of the same sources."""
    (spec,) = item.mutations
    return (spec.module_path.as_posix(), spec.operator_name, spec.occurrence,
            tuple(spec.start_pos))
