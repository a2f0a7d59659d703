"""One differential run: generate, compare, shrink each distinct disagreement, write it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import AXES
from .cases import generate, share
from .compare import Comparison
from .engine import Pair
from .write import Unwritable, address_line, scenario_document, write_scenario


@dataclass
class Finding:
    """A distinct disagreement: its shrunk case, how many generated cases showed it, and
    where it was written (or why it could not be)."""

    comparison: Comparison
    count: int
    written: Path | None = None
    unwritable: str | None = None
    unstable: bool = False
    """The case does not disagree the same way every time (the reference's outcome races):
    reported, written, but not counted as unexplained."""


@dataclass
class DiffReport:
    client: str
    against: str
    seed: int
    axes: dict[str, Counter[str]] = field(default_factory=dict)
    """Per axis: ``cases``, ``agree``, ``explained`` (all differences departures),
    ``disagree`` (unexplained) and ``unstable`` (a disagreement that does not reproduce)."""
    departures: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    @property
    def unexplained(self) -> int:
        return sum(counts["disagree"] for counts in self.axes.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client, "against": self.against, "seed": self.seed,
            "axes": {axis: dict(counts) for axis, counts in self.axes.items()},
            "departures": dict(self.departures),
            "findings": [{"axis": f.comparison.case.axis, "fields": f.comparison.unexplained,
                          "count": f.count, "case": f.comparison.case.data,
                          "client": f.comparison.client, "reference": f.comparison.reference,
                          "written": str(f.written) if f.written else None,
                          "unwritable": f.unwritable, "unstable": f.unstable}
                         for f in self.findings]}


def run_diff(pair: Pair, examples: int, seed: int, out: Path | None,
             axes: tuple[str, ...] = AXES, shrink: bool = True) -> DiffReport:
    report = DiffReport(pair.client.name, pair.against, seed)
    groups: dict[tuple[Any, ...], list[Comparison]] = {}
    for axis, count in share(examples, axes).items():
        comparisons = pair.compare(generate(axis, count, seed))
        counts: Counter[str] = Counter(cases=len(comparisons))
        for comparison in comparisons:
            if not comparison.agrees:
                counts["disagree"] += 1
                groups.setdefault(comparison.signature, []).append(comparison)
            elif comparison.explained:
                counts["explained"] += 1
            else:
                counts["agree"] += 1
            report.departures.update({d for _, d in comparison.explained})
        report.axes[axis] = counts
    for members in groups.values():
        first = min(members, key=lambda c: len(json.dumps(c.case.data)))
        found = pair.shrink(first) if shrink else first
        finding = Finding(found, len(members), unstable=not pair.reproduces(found))
        if finding.unstable:
            counts = report.axes[found.case.axis]
            counts["disagree"] -= len(members)
            counts["unstable"] += len(members)
        report.findings.append(finding)
    if out is not None:
        _write(report, out)
    return report


def _write(report: DiffReport, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for finding in report.findings:
        found = finding.comparison
        if found.case.axis == "addresses":
            lines.append(address_line(found, report.against))
            continue
        try:
            document = scenario_document(found, report.against, report.client)
        except Unwritable as why:
            finding.unwritable = str(why)
            continue
        finding.written = write_scenario(document, out / "scenarios")
    if lines:
        (out / "mail_address.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(report.to_json(), indent=1),
                                      encoding="utf-8")


def render(report: DiffReport) -> str:
    """The run as text: a row per axis, the departures used, then each finding."""
    rows = [f"diff {report.client} against {report.against} (seed {report.seed})",
            f"{'axis':<18} {'cases':>6} {'agree':>6} {'departures':>10} {'unstable':>8} "
            f"{'unexplained':>11}"]
    total = Counter[str]()
    for axis, counts in [*report.axes.items(), ("total", total)]:
        rows.append(f"{axis:<18} {counts['cases']:>6} {counts['agree']:>6} "
                    f"{counts['explained']:>10} {counts['unstable']:>8} "
                    f"{counts['disagree']:>11}")
        if axis != "total":
            total.update(counts)
    if report.departures:
        rows.append("departures (listed in departures.yaml): " + ", ".join(
            f"{name} x{count}" for name, count in report.departures.most_common()))
    for finding in report.findings:
        found = finding.comparison
        label = "UNSTABLE (the reference varies between runs)" if finding.unstable else (
            "UNEXPLAINED")
        rows.append(f"{label} [{found.case.axis}] x{finding.count}: "
                    f"{', '.join(found.unexplained)} for {_short(found.case.data, 400)}")
        for name in found.unexplained:
            rows.append(f"    {name}: {report.client}={_short(found.client.get(name))} "
                        f"{report.against}={_short(found.reference.get(name))}")
        if finding.written:
            rows.append(f"    written: {finding.written}")
        if finding.unwritable:
            rows.append(f"    not written: {finding.unwritable}")
    rows.append(f"{report.unexplained} unexplained disagreement(s) in {total['cases']} cases"
                + (f" ({total['unstable']} more that did not reproduce)"
                   if total["unstable"] else ""))
    return "\n".join(rows)


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace").decode()
    return text if len(text) <= limit else text[:limit - 3] + "..."
