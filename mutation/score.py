"""The score of a session and its report: every survivor by file and line.

The score is killed / (killed + survived) over the mutants that ran. Mutants skipped as
equivalent, in annotations, or outside the sample or selection are counted and named in the
report but are not in the score; a mutant that could not be judged (cosmic-ray reports it
incompetent or abnormal) is also counted apart, and a session with such mutants or pending
ones is not complete, which ``check`` treats as a failure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome

from . import ROOT
from .equivalence import Equivalent
from .mutants import EQUIVALENT, Mutant, mutant


@dataclass
class Score:
    killed: Counter[str] = field(default_factory=Counter)  # by module
    survived: list[tuple[Mutant, str]] = field(default_factory=list)  # (mutant, mutated line)
    skipped: Counter[str] = field(default_factory=Counter)  # by reason
    unjudged: list[Mutant] = field(default_factory=list)
    pending: int = 0
    killed_equivalents: list[Mutant] = field(default_factory=list)
    """Mutants the equivalence list calls invisible that a scenario killed: a wrong entry."""

    @property
    def judged(self) -> int:
        return sum(self.killed.values()) + len(self.survived)

    @property
    def percent(self) -> float:
        return 100.0 * sum(self.killed.values()) / self.judged if self.judged else 0.0

    @property
    def complete(self) -> bool:
        return not self.pending and not self.unjudged and self.judged > 0


def read(session: Path, equivalents: tuple[Equivalent, ...] = ()) -> Score:
    """The session's score; a mutant the equivalence list names counts as equivalent whatever
    its result (so entries added after a run apply to it)."""
    score = Score()
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            found = mutant(ROOT, item)
            if any(e.matches(found) for e in equivalents):
                score.skipped[EQUIVALENT] += 1
                if result.test_outcome == TestOutcome.KILLED:
                    score.killed_equivalents.append(found)
            elif result.worker_outcome == WorkerOutcome.SKIPPED:
                score.skipped[(result.output or "").partition(":")[0]] += 1
            elif result.test_outcome == TestOutcome.KILLED:
                score.killed[found.module] += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                score.survived.append((found, _mutated_line(result.diff or "")))
            else:
                score.unjudged.append(found)
        score.pending = len(list(db.pending_work_items))
    score.survived.sort(key=lambda s: (s[0].module, s[0].line, s[0].column, s[0].operator))
    return score


def summary(score: Score) -> str:
    skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(score.skipped.items()))
    text = (f"{score.percent:.1f}% killed: {sum(score.killed.values())} of {score.judged} "
            f"judged mutants ({len(score.survived)} survived)")
    if skipped:
        text += f"; not run: {skipped}"
    if score.unjudged:
        text += f"; {len(score.unjudged)} could not be judged"
    if score.pending:
        text += f"; {score.pending} still pending"
    if score.killed_equivalents:
        text += (f"; {len(score.killed_equivalents)} listed as equivalent were killed (review: "
                 + ", ".join(f"{m.at} {m.operator}" for m in score.killed_equivalents) + ")")
    return text


def markdown(score: Score, title: str) -> str:
    by_module: dict[str, list[tuple[Mutant, str]]] = defaultdict(list)
    for survivor in score.survived:
        by_module[survivor[0].module].append(survivor)
    modules = sorted(set(score.killed) | set(by_module))
    lines = [f"# {title}", "", summary(score) + ".", "",
             "| module | killed | survived | score |", "|---|---:|---:|---:|"]
    for module in modules:
        killed, survived = score.killed[module], len(by_module[module])
        lines.append(f"| `{module}` | {killed} | {survived} | "
                     f"{100.0 * killed / (killed + survived):.0f}% |")
    for module in modules:
        if not by_module[module]:
            continue
        lines += ["", f"## `{module}`", "", "| line | operator | mutated to |", "|---:|---|---|"]
        for found, mutated in by_module[module]:
            lines.append(f"| {found.line} | {found.operator} | `{_cell(mutated)}` |")
    for found in score.unjudged:
        lines.append(f"\n- could not be judged: {found.at} {found.operator}")
    return "\n".join(lines) + "\n"


def _mutated_line(diff: str) -> str:
    added = [line[1:] for line in diff.splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    return added[0].strip() if added else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")
