"""JUnit XML: one testcase per scenario x client, for any CI that reads JUnit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from ..verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, Verdict
from .result import Result, as_results


def junit_xml(items: Sequence[Verdict | Result]) -> bytes:
    verdicts = as_results(items)
    suite = ET.Element("testsuite", {
        "name": "smtp-conformance",
        "tests": str(len(verdicts)),
        "failures": str(sum(v.status == FAIL for v in verdicts)),
        "errors": str(sum(v.status == ERROR for v in verdicts)),
        "skipped": str(sum(v.status == NOT_RUNNABLE for v in verdicts)),
        "time": f"{sum(v.seconds for v in verdicts):.3f}",
    })
    for verdict in verdicts:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"{verdict.client}.{verdict.condition}",
            "name": f"{verdict.scenario}[{verdict.client}]",
            "file": verdict.file,
            "line": str(verdict.line),
            "time": f"{verdict.seconds:.3f}",
        })
        detail = "\n".join(verdict.differences)
        if verdict.status == FAIL:
            ET.SubElement(case, "failure", {"message": verdict.differences[0]}).text = detail
        elif verdict.status == ERROR:
            ET.SubElement(case, "error", {"message": verdict.differences[0]}).text = detail
        elif verdict.status == NOT_RUNNABLE:
            ET.SubElement(case, "skipped", {"message": verdict.differences[0]})
        elif verdict.status == DEVIATES:
            properties = ET.SubElement(case, "properties")
            ET.SubElement(properties, "property", {"name": "deviation",
                                                   "value": verdict.why or ""})
            ET.SubElement(properties, "property", {"name": "level",
                                                   "value": verdict.level or "none"})
            if verdict.unchecked:
                ET.SubElement(properties, "property", {
                    "name": "unchecked", "value": ", ".join(verdict.unchecked)})
        if verdict.status in (FAIL, ERROR) and verdict.transcript is not None:
            ET.SubElement(case, "system-out").text = verdict.transcript
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_junit(verdicts: Sequence[Verdict | Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(junit_xml(verdicts))
