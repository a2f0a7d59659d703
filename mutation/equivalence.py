"""The reviewed equivalence list: mutants that no client could observe, each with why.

An entry names the file (``at: netmail/x.py:LINE``; the line is for the reader), the mutated
source line as it stands (``code``), the ``operator`` (or a list of them, for one reason) and
``why``. It matches a mutant by file, code and operator, so it follows the line when code above
it moves; where the operator applies
more than once on the line and not every place is equivalent, ``column`` (where in ``code`` the
mutated node starts, from 0) names the one, and ``to`` (the line as the mutation leaves it)
one of several mutations of the same node (NumberReplacer adds 1, or takes 1 away). An entry
that matches no mutant any more is stale and is an error, so the list cannot silently cover
new code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .mutants import Mutant


@dataclass(frozen=True)
class Equivalent:
    at: str
    code: str
    operator: str
    why: str
    column: int | None = None
    to: str | None = None

    @property
    def module(self) -> str:
        return self.at.partition(":")[0]

    def matches(self, mutant: Mutant) -> bool:
        return (mutant.module, mutant.code, mutant.operator) == (
            self.module, self.code, self.operator) and self.column in (None, mutant.offset) and (
            self.to is None or self.to == mutant.mutated)


class EquivalenceError(ValueError):
    """The equivalence file is malformed or names mutants that no longer exist."""


def load(path: Path) -> tuple[Equivalent, ...]:
    if not path.is_file():
        return ()
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise EquivalenceError(f"{path}: expected a list of entries")
    return tuple(e for number, entry in enumerate(entries, 1)
                 for e in _entry(entry, f"{path}: entry {number}"))


def _entry(entry: object, where: str) -> list[Equivalent]:
    """One entry of the file: one ``Equivalent`` per operator it names."""
    keys, optional = {"at", "code", "why"}, {"column", "to"}
    if not isinstance(entry, dict) or not keys | {"operator"} <= set(entry) <= (
            keys | optional | {"operator"}):
        raise EquivalenceError(f"{where}: needs exactly at, code, operator, why (operator may "
                               "be a list; column and to are optional)")
    operators = entry["operator"] if isinstance(entry["operator"], list) else [entry["operator"]]
    if not operators or not all(isinstance(entry[k], str) and entry[k].strip() for k in keys) \
            or not all(isinstance(o, str) and o.strip() for o in operators):
        raise EquivalenceError(f"{where}: at, code, operator and why must be non-empty strings")
    column, to = entry.get("column"), entry.get("to")
    if column is not None and (type(column) is not int or column < 0):
        raise EquivalenceError(f"{where}: column must be a whole number >= 0")
    if to is not None and not (isinstance(to, str) and to.strip()):
        raise EquivalenceError(f"{where}: to must be the mutated line")
    return [Equivalent(**{k: entry[k].strip() for k in keys}, operator=operator.strip(),
                       column=column, to=to.strip() if to else None) for operator in operators]


def stale(entries: tuple[Equivalent, ...], mutants: list[Mutant]) -> list[Equivalent]:
    """Entries that match none of the session's mutants."""
    return [e for e in entries if not any(e.matches(m) for m in mutants)]
