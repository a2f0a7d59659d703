"""The judge stands apart from the client it judges.

``harness`` imports ``netmail`` only in its netmail adapter, and the oracle's reply tables are
written from the documentation, not copied. This test lists, as data, every point where the
oracle's tables and netmail's differ over the steps the oracle covers: none are expected, and
a change to either side shows up here as a named difference, not as a silent agreement.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from harness import oracle
from netmail import steps

REPO = Path(__file__).resolve().parents[1]
NETMAIL_STEP = {"greeting": steps.Step.GREETING, "ehlo": steps.Step.EHLO,
                "helo": steps.Step.HELO, "mail": steps.Step.MAIL, "rcpt": steps.Step.RCPT,
                "data": steps.Step.DATA, "end_of_data": steps.Step.END_OF_DATA}


def table_differences() -> list[str]:
    """Each (table, step, code) on which the oracle and netmail disagree."""
    found = []
    for name, step in NETMAIL_STEP.items():
        pairs = [("accepted", oracle.ACCEPTED.get(name, set()), steps.ACCEPTED.get(step, set())),
                 ("recorded", oracle.RECORDED if name == "rcpt" else set(),
                  steps.RECORDED.get(step, set())),
                 ("fallback", oracle.FALLBACK.get(name, set()), steps.FALLBACK.get(step, set()))]
        for table, ours, theirs in pairs:
            found += [f"{table} {name} {code}: oracle only" for code in sorted(ours - theirs)]
            found += [f"{table} {name} {code}: netmail only" for code in sorted(theirs - ours)]
    return found


def test_the_oracle_and_netmail_tables_do_not_differ() -> None:
    assert table_differences() == []


def test_a_difference_would_be_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(steps.RECORDED, steps.Step.RCPT, frozenset({450, 550, 451}))
    monkeypatch.setitem(oracle.FALLBACK, "ehlo", {500})
    assert table_differences() == [
        "fallback ehlo 502: netmail only",
        "recorded rcpt 452: oracle only", "recorded rcpt 551: oracle only",
        "recorded rcpt 552: oracle only", "recorded rcpt 553: oracle only",
        "recorded rcpt 451: netmail only"]


def netmail_imports(path: Path) -> list[int]:
    """The lines of ``path`` that import netmail (an import, not a word in a comment)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        if any(name == "netmail" or name.startswith("netmail.") for name in names):
            lines.append(node.lineno)
    return lines


def test_no_harness_module_imports_netmail_statically() -> None:
    importing = {str(path.relative_to(REPO)): lines
                 for path in sorted((REPO / "harness").rglob("*.py"))
                 if (lines := netmail_imports(path))}
    assert importing == {}


LOADS_NETMAIL = """
import importlib, pkgutil, sys
import harness
for module in pkgutil.walk_packages(harness.__path__, "harness."):
    importlib.import_module(module.name)
print(sorted(name for name in sys.modules if name.split(".")[0] == "netmail"))
from harness.adapters import NetmailAdapter
NetmailAdapter()
print("netmail" in sys.modules)
"""


def test_importing_all_of_harness_loads_no_netmail() -> None:
    """Only building the netmail adapter loads netmail (it imports it by name, at run time);
    the second line shows the check can see a load."""
    result = subprocess.run([sys.executable, "-c", LOADS_NETMAIL], cwd=REPO, text=True,
                            capture_output=True, check=True, timeout=60)
    assert result.stdout.split("\n")[:2] == ["[]", "True"], result.stdout + result.stderr
