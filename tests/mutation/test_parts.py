"""The mutation tooling's own parts: annotations found, the equivalence list checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from cosmic_ray.work_item import MutationSpec

from mutation.equivalence import EquivalenceError, load, stale
from mutation.mutants import Mutant, in_annotation

SOURCE = '''from __future__ import annotations


def f(value: int | None = None) -> str | bytes:
    total: int | str = 1 | 2
    return str(value | 4)
'''


def spec(tmp_path: Path, line: int, column: int) -> MutationSpec:
    (tmp_path / "m.py").write_text(SOURCE)
    return MutationSpec(tmp_path / "m.py", "core/ReplaceBinaryOperator_BitOr_Add", 0,
                        (line, column), (line, column + 1))


@pytest.mark.parametrize(("line", "column", "annotation"), [
    (4, 17, True),   # int | None, an argument's annotation
    (4, 38, True),   # str | bytes, the return annotation
    (5, 13, True),   # int | str, a variable's annotation
    (5, 23, False),  # 1 | 2, the value: evaluated
    (6, 21, False),  # value | 4
])
def test_only_annotations_are_never_evaluated(tmp_path: Path, line: int, column: int,
                                              annotation: bool) -> None:
    item = spec(tmp_path, line, column)
    assert in_annotation(Path("/"), item) is annotation


def mutant(code: str, operator: str = "NumberReplacer") -> Mutant:
    return Mutant("job", "netmail/transport.py", 24, 13, operator, code)


def test_equivalence_entries_match_by_file_code_and_operator(tmp_path: Path) -> None:
    path = tmp_path / "equivalent.yaml"
    path.write_text("- at: netmail/transport.py:20\n  code: '_READ_SIZE = 65536'\n"
                    "  operator: NumberReplacer\n  why: a buffer size\n")
    (entry,) = load(path)
    assert entry.matches(mutant("_READ_SIZE = 65536"))  # the line moved: still matches
    assert not entry.matches(mutant("_READ_SIZE = 65536", "AddNot"))
    assert stale((entry,), [mutant("_READ_SIZE = 65536")]) == []
    assert stale((entry,), [mutant("_COALESCE = 65536")]) == [entry]


def test_an_entry_may_list_operators_for_one_reason(tmp_path: Path) -> None:
    path = tmp_path / "equivalent.yaml"
    path.write_text("- at: netmail/transport.py:20\n  code: '_READ_SIZE = 65536'\n"
                    "  operator: [NumberReplacer, AddNot]\n  why: a buffer size\n")
    entries = load(path)
    assert [e.operator for e in entries] == ["NumberReplacer", "AddNot"]
    assert all(e.why == "a buffer size" for e in entries)
    assert [any(e.matches(mutant("_READ_SIZE = 65536", op)) for e in entries)
            for op in ("AddNot", "AddPlus")] == [True, False]


def test_column_and_to_pick_one_of_several_mutations_of_a_line(tmp_path: Path) -> None:
    """``x = 1 + 1``: NumberReplacer mutates each 1 two ways; ``column`` names the node and
    ``to`` the mutation, each checked against cosmic-ray's own mutated source."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    x = 1 + 1\n")
    path = tmp_path / "equivalent.yaml"
    path.write_text("- {at: m.py:2, code: 'x = 1 + 1', operator: NumberReplacer, column: 8,\n"
                    "   to: 'x = 1 + 2', why: the second 1 made 2}\n")
    (entry,) = load(path)
    mutants = [Mutant("job", "m.py", 2, column, "NumberReplacer", "x = 1 + 1", 4, module,
                      occurrence) for occurrence, column in enumerate((8, 8, 12, 12))]
    assert [m.mutated for m in mutants] == ["x = 2 + 1", "x = 0 + 1", "x = 1 + 2", "x = 1 + 0"]
    assert [entry.matches(m) for m in mutants] == [False, False, True, False]


@pytest.mark.parametrize("text", ["{}", "- at: x\n", "- {at: a, code: b, operator: c, why: ''}",
                                  "- {at: a, code: b, operator: c, why: d, column: -1}",
                                  "- {at: a, code: b, operator: c, why: d, to: ''}",
                                  "- {at: a, code: b, operator: c, why: d, occurrence: 1}",
                                  "- {at: a, code: b, operator: [], why: d}",
                                  "- {at: a, code: b, operator: [c, ''], why: d}"])
def test_malformed_equivalence_entries_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "equivalent.yaml"
    path.write_text(text)
    with pytest.raises(EquivalenceError):
        load(path)
