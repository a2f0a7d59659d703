"""The mutants of one session, each with where it is and why it is not run (if it is not).

A mutant is not run when it sits in a type annotation (never evaluated: every netmail module
has ``from __future__ import annotations``), when the reviewed equivalence list names it, when
``--where`` leaves it out, or when it is not in the ``--sample``. The sample is chosen by a hash
of the mutant's file, operator, source line and column, so it stays the same from run to run
while the code does not change.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator
from cosmic_ray.work_item import MutationSpec, WorkItem

ANNOTATION = "annotation"
EQUIVALENT = "equivalent"
UNSELECTED = "not selected"
UNSAMPLED = "not sampled"


@dataclass(frozen=True)
class Mutant:
    job_id: str
    module: str
    line: int
    column: int
    operator: str
    code: str
    indent: int = 0
    """How far the source line is indented: ``column - indent`` is the place in ``code``."""
    source: Path | None = None
    occurrence: int = 0

    @functools.cached_property
    def mutated(self) -> str:
        """The source line as the mutation leaves it (stripped); worked out on demand: a
        parse of the whole module per mutant would slow every session's creation."""
        assert self.source is not None
        code = mutate_code(self.source.read_text(encoding="utf-8"),
                           get_operator(f"core/{self.operator}")(), self.occurrence)
        lines = (code or "").splitlines()
        return lines[self.line - 1].strip() if self.line <= len(lines) else ""

    @property
    def at(self) -> str:
        return f"{self.module}:{self.line}"

    @property
    def sample_key(self) -> str:
        text = f"{self.module}|{self.operator}|{self.code}|{self.column}"
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def offset(self) -> int:
        """Where in ``code`` (the stripped line) the mutated node starts."""
        return self.column - self.indent

    def is_at(self, where: str) -> bool:
        """``netmail/x.py`` or ``netmail/x.py:LINE``."""
        module, _, line = where.partition(":")
        return self.module == module and (not line or self.line == int(line))


def mutant(root: Path, item: WorkItem) -> Mutant:
    (spec,) = item.mutations
    line, column = spec.start_pos
    lines = _lines(root / spec.module_path)
    source = lines[line - 1] if line <= len(lines) else ""
    return Mutant(item.job_id, spec.module_path.as_posix(), line, column,
                  spec.operator_name.removeprefix("core/"), source.strip(),
                  len(source) - len(source.lstrip()), root / spec.module_path, spec.occurrence)


def in_annotation(root: Path, spec: MutationSpec) -> bool:
    """True when the mutated node lies inside a type annotation."""
    position = spec.start_pos
    return any(start <= position < end
               for start, end in _annotation_spans(root / spec.module_path))


@cache
def _lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8").splitlines())


@cache
def _annotation_spans(path: Path) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            nodes.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            nodes.append(node.returns)
    return tuple(((n.lineno, n.col_offset), (n.end_lineno or n.lineno, n.end_col_offset or 0))
                 for n in nodes)
