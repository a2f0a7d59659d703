"""A self-contained HTML report: the scenario x client matrix, one colour per verdict.

One file, no external assets: the data is embedded as JSON and a few lines of script draw the
matrix, filter it by verdict, condition or text, and show a cell's expected and actual outcome, the
differences and the full server transcript when it is clicked (or named in the URL:
``report.html#recipients/middle-rejected/dotnet``). Rows come worst first (a scenario with a
failure on any client, then errors, deviations, not runnable, passes; by id within each), so
what needs looking at is at the top; ``report.html?status=failures`` opens it filtered. The
matrix shows 200 rows a page, so that a report of 10,000 scenarios opens in a browser as fast
as one of 100 (docs/performance.md); the filters search every row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..verdict import DEVIATES, ERROR, FAIL, NOT_RUNNABLE, PASS, Verdict
from .result import Result, as_results
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
#shown, #page { color: #666; }
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
  <span id="pages"><button id="previous">&lsaquo; previous</button>
    <span id="page"></span> <button id="next">next &rsaquo;</button></span>
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
// One page of rows at a time: the DOM holds at most PAGE rows, so 10,000 scenarios draw and
// filter as fast as 100 (the filters and the find box still search every row).
const PAGE = 200;
let page = 0, matching = [];
function wanted() {
  const condition = select.value, find = document.getElementById("find").value.toLowerCase();
  const chosen = data.filters.find(f => f.value === status.value);
  const keep = chosen ? new Set(chosen.statuses) : null;
  const rows = [];
  data.rows.forEach((row, r) => {
    if (condition && row.condition !== condition) return;
    if (find && !row.id.toLowerCase().includes(find)) return;
    // A row shows when any client's verdict is wanted; the others' are dimmed.
    if (keep && !Object.values(row.cells).some(cell => keep.has(cell.status))) return;
    rows.push(r);
  });
  return [rows, keep];
}
function draw(keepPage) {
  let keep;
  [matching, keep] = wanted();
  const pages = Math.max(1, Math.ceil(matching.length / PAGE));
  page = keepPage ? Math.min(page, pages - 1) : 0;
  let rows = `<tr><th>scenario</th><th>condition</th>${data.clients.map(c =>
    `<th>${esc(c)}</th>`).join("")}</tr>`;
  for (const r of matching.slice(page * PAGE, (page + 1) * PAGE)) {
    const row = data.rows[r];
    rows += `<tr><td title="${esc(row.description)}">${esc(row.id)}</td>` +
      `<td class="condition">${esc(row.condition)}</td>` + data.clients.map(c => {
        const cell = row.cells[c];
        if (!cell) return "<td></td>";
        const dim = keep && !keep.has(cell.status) ? " dim" : "";
        return `<td class="cell ${cell.status}${dim}" data-row="${r}" data-client="${esc(c)}">`
          + `${esc(cell.status)}</td>`;
      }).join("") + "</tr>";
  }
  table.innerHTML = rows;
  document.getElementById("shown").textContent =
    `${matching.length} of ${data.rows.length} scenario${data.rows.length === 1 ? "" : "s"}`;
  document.getElementById("pages").hidden = pages === 1;
  document.getElementById("page").textContent = `page ${page + 1} of ${pages}`;
  document.getElementById("previous").disabled = page === 0;
  document.getElementById("next").disabled = page === pages - 1;
}
function turn(by) { page += by; draw(true); }
document.getElementById("previous").addEventListener("click", () => turn(-1));
document.getElementById("next").addEventListener("click", () => turn(1));
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
select.addEventListener("change", () => draw(false));
status.addEventListener("change", () => draw(false));
document.getElementById("find").addEventListener("input", () => draw(false));
draw(false);
// "#scenario-id/client" opens that cell, on its page: a link from a CI log can point at one
// result.
const linked = decodeURIComponent(location.hash.slice(1));
const at = matching.findIndex(r => data.clients.some(c => data.rows[r].id + "/" + c === linked));
if (at >= 0) {
  page = Math.floor(at / PAGE);
  draw(true);
  for (const td of document.querySelectorAll("td.cell")) {
    if (data.rows[td.dataset.row].id + "/" + td.dataset.client === linked) show(td);
  }
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


def html_report(items: Sequence[Verdict | Result], summary: str) -> str:
    verdicts = as_results(items)
    rows: dict[str, dict[str, Any]] = {}
    for verdict in verdicts:
        row = rows.setdefault(verdict.scenario, {
            "id": verdict.scenario, "condition": verdict.condition,
            "description": verdict.description, "file": f"{verdict.file}:{verdict.line}",
            "cells": {}})
        actual = verdict.actual
        row["cells"][verdict.client] = {
            "status": verdict.status,
            "expected": expected_text(verdict),
            "why": verdict.why,
            "actual": actual_text(verdict),
            "message": actual.get("message") if actual else None,
            "differences": list(verdict.differences),
            "level": verdict.level,
            "departures": [f"{d.level}: {d.text}" for d in verdict.departures],
            "unchecked": list(verdict.unchecked),
            "transcript": verdict.transcript,
        }
    data = {
        "summary": summary,
        "clients": list(dict.fromkeys(v.client for v in verdicts)),
        "conditions": sorted({v.condition for v in verdicts}),
        "filters": [{"value": value, "label": label, "statuses": list(statuses)}
                    for value, label, statuses in FILTERS],
        "rows": sorted(rows.values(), key=lambda row: (
            SEVERITY.index(worst([c["status"] for c in row["cells"].values()])), row["id"])),
    }
    # No "<" at all inside the script element, so no transcript can end it early.
    embedded = json.dumps(data).replace("<", "\\u003c")
    return _PAGE.replace("__DATA__", embedded)


def write_html(verdicts: Sequence[Verdict | Result], summary: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(verdicts, summary), encoding="utf-8")

