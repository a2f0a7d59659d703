"""A self-contained HTML report: the scenario x client matrix, one colour per verdict.

One file, no external assets: the data is embedded as JSON and a few lines of script draw the
matrix, filter it by verdict, condition or text, and show a cell's expected and actual outcome, the
differences and the full server transcript when it is clicked (or named in the URL:
``report.html#recipients/middle-rejected/dotnet``). Rows come worst first (a scenario with a
failure on any client, then errors, deviations, not runnable, passes; by id within each), so
what needs looking at is at the top; ``report.html?status=failures`` opens it filtered.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, PASS, Verdict
from .table import actual_text, expected_text

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>SMTP conformance report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
#summary { margin-bottom: 1em; color: #444; white-space: pre-wrap; }
#controls { margin-bottom: .8em; display: flex; gap: .8em; align-items: center; }
#layout { display: flex; gap: 1.2em; align-items: flex-start; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; white-space: nowrap; }
th { background: #f4f4f4; position: sticky; top: 0; }
td.cell { cursor: pointer; font-weight: 600; text-align: center; min-width: 5em; }
td.pass { background: #c8ecc8; } td.deviates { background: #f7e3a1; }
td.fail { background: #f5b5b5; } td.error { background: #e2b9f0; }
td.not-runnable { background: #cfe3f3; } td.selected { outline: 3px solid #333; }
td.condition { color: #666; } td.dim { opacity: .35; }
#shown { color: #666; }
#detail { flex: 1; min-width: 28em; position: sticky; top: 1em; }
#detail pre { background: #f7f7f7; padding: .6em; overflow: auto; max-height: 30em;
              font-size: 12px; }
.legend span { padding: 2px 8px; margin-right: 4px; border-radius: 3px; }
</style></head><body>
<h1>SMTP conformance report</h1>
<div id="summary"></div>
<div id="controls">
  <label>Verdict <select id="status"><option value="">all</option></select></label>
  <label>Condition <select id="condition"><option value="">all</option></select></label>
  <label>Find <input id="find" placeholder="scenario id"></label>
  <span id="shown"></span>
  <span class="legend"><span style="background:#f5b5b5">fail</span><span
    style="background:#e2b9f0">error</span><span style="background:#f7e3a1">deviates</span><span
    style="background:#cfe3f3">not runnable</span><span style="background:#c8ecc8">pass</span>
  </span>
</div>
<div id="layout"><table id="matrix"></table><div id="detail">Click a cell for details.</div></div>
<script id="data" type="application/json">__DATA__</script>
<script>
const data = JSON.parse(document.getElementById("data").textContent);
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",
  '"':"&quot;"}[c]));
const table = document.getElementById("matrix");
const select = document.getElementById("condition");
for (const c of data.conditions) select.insertAdjacentHTML("beforeend",
  `<option>${esc(c)}</option>`);
const status = document.getElementById("status");
for (const f of data.filters) status.insertAdjacentHTML("beforeend",
  `<option value="${esc(f.value)}">${esc(f.label)}</option>`);
// "?status=failures": a link from a CI log can open the report on what failed.
const asked = new URLSearchParams(location.search).get("status");
if (data.filters.some(f => f.value === asked)) status.value = asked;
document.getElementById("summary").textContent = data.summary;
function draw() {
  const condition = select.value, find = document.getElementById("find").value.toLowerCase();
  const chosen = data.filters.find(f => f.value === status.value);
  const keep = chosen ? new Set(chosen.statuses) : null;
  let shown = 0;
  let rows = `<tr><th>scenario</th><th>condition</th>${data.clients.map(c =>
    `<th>${esc(c)}</th>`).join("")}</tr>`;
  data.rows.forEach((row, r) => {
    if (condition && row.condition !== condition) return;
    if (find && !row.id.toLowerCase().includes(find)) return;
    // A row shows when any client's verdict is wanted; the others' are dimmed.
    if (keep && !Object.values(row.cells).some(cell => keep.has(cell.status))) return;
    shown++;
    rows += `<tr><td title="${esc(row.description)}">${esc(row.id)}</td>` +
      `<td class="condition">${esc(row.condition)}</td>` + data.clients.map(c => {
        const cell = row.cells[c];
        if (!cell) return "<td></td>";
        const dim = keep && !keep.has(cell.status) ? " dim" : "";
        return `<td class="cell ${cell.status}${dim}" data-row="${r}" data-client="${esc(c)}">`
          + `${esc(cell.status)}</td>`;
      }).join("") + "</tr>";
  });
  table.innerHTML = rows;
  document.getElementById("shown").textContent =
    `${shown} of ${data.rows.length} scenario${data.rows.length === 1 ? "" : "s"}`;
}
function show(td) {
  document.querySelectorAll("td.selected").forEach(x => x.classList.remove("selected"));
  td.classList.add("selected");
  const row = data.rows[td.dataset.row], cell = row.cells[td.dataset.client];
  document.getElementById("detail").innerHTML =
    `<h2>${esc(row.id)} [${esc(td.dataset.client)}]: ${esc(cell.status)}</h2>` +
    `<p>${esc(row.description)}</p><p><code>${esc(row.file)}</code></p>` +
    `<p><b>expected</b> ${esc(cell.expected)}${cell.why ? " &mdash; " + esc(cell.why) : ""}` +
    `<br><b>actual</b> ${esc(cell.actual)}</p>` +
    (cell.level ? `<p><b>departs from the documentation</b> (${esc(cell.level)})</p><ul>` +
      cell.departures.map(d => `<li>${esc(d)}</li>`).join("") + `</ul>` : "") +
    (cell.unchecked.length ? `<p><b>not checked for this client</b> ` +
      `${esc(cell.unchecked.join(", "))}</p>` : "") +
    (cell.message ? `<p><b>message</b> ${esc(cell.message)}</p>` : "") +
    (cell.differences.length ? `<ul>${cell.differences.map(d =>
      `<li>${esc(d)}</li>`).join("")}</ul>` : "") +
    `<h3>Transcript</h3><pre>${esc(cell.transcript || "(no server)")}</pre>`;
  history.replaceState(null, "", "#" + encodeURIComponent(row.id + "/" + td.dataset.client));
}
table.addEventListener("click", event => {
  const td = event.target.closest("td.cell");
  if (td) show(td);
});
select.addEventListener("change", draw);
status.addEventListener("change", draw);
document.getElementById("find").addEventListener("input", draw);
draw();
// "#scenario-id/client" opens that cell: a link from a CI log can point at one result.
const wanted = decodeURIComponent(location.hash.slice(1));
for (const td of document.querySelectorAll("td.cell")) {
  if (data.rows[td.dataset.row].id + "/" + td.dataset.client === wanted) show(td);
}
</script></body></html>
"""


SEVERITY = (FAIL, ERROR, DEVIATES, NOT_RUNNABLE, PASS)
"""Worst first: a row's place is its worst verdict's."""
FILTERS = (("failures", "failures (fail, error)", (FAIL, ERROR)),
           ("deviations", "deviations", (DEVIATES,)),
           ("not-runnable", "not runnable", (NOT_RUNNABLE,)),
           ("not-pass", "anything but pass", (FAIL, ERROR, DEVIATES, NOT_RUNNABLE)))
"""The verdict filter's choices: the value (also ``?status=``), its label, what it keeps."""


def worst(statuses: Sequence[str]) -> str:
    return min(statuses, key=SEVERITY.index)


def html_report(verdicts: Sequence[Verdict], summary: str) -> str:
    rows: dict[str, dict[str, Any]] = {}
    for verdict in verdicts:
        scenario = verdict.scenario
        row = rows.setdefault(scenario.id, {
            "id": scenario.id, "condition": scenario.condition,
            "description": scenario.description, "file": f"{scenario.path}:{scenario.line}",
            "cells": {}})
        actual = verdict.actual
        row["cells"][verdict.client] = {
            "status": verdict.status,
            "expected": expected_text(verdict),
            "why": verdict.expected.why,
            "actual": actual_text(verdict),
            "message": actual.message if actual else None,
            "differences": list(verdict.differences),
            "level": verdict.level,
            "departures": [f"{d.level}: {d.text}" for d in verdict.departures],
            "unchecked": list(verdict.expected.unchecked),
            "transcript": verdict.transcript.render() if verdict.transcript else None,
        }
    data = {
        "summary": summary,
        "clients": list(dict.fromkeys(v.client for v in verdicts)),
        "conditions": sorted({v.scenario.condition for v in verdicts}),
        "filters": [{"value": value, "label": label, "statuses": list(statuses)}
                    for value, label, statuses in FILTERS],
        "rows": sorted(rows.values(), key=lambda row: (
            SEVERITY.index(worst([c["status"] for c in row["cells"].values()])), row["id"])),
    }
    # No "<" at all inside the script element, so no transcript can end it early.
    embedded = json.dumps(data).replace("<", "\\u003c")
    return _PAGE.replace("__DATA__", embedded)


def write_html(verdicts: Sequence[Verdict], summary: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(verdicts, summary), encoding="utf-8")

