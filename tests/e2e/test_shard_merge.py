"""The acceptance test of sharding: three shards in their own processes, merged, are one run.

The whole suite runs once unsharded and once as three shards side by side; the merge gives
the same verdicts, the same JUnit (times aside), the same exit code and the same baseline
result. Then one scenario regresses: only the shard that holds it runs again, and the merge of
it with the two earlier parts fails exactly as the unsharded run does.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.loader import load_scenarios
from harness.shard import Shard, cut

from .harness_cli import REPO, smtp_harness

PLANTED = "recipients/first-rejected"


def _shards(directory: Path, scenarios: Path, indexes: list[int], status: int = 0) -> list[str]:
    def one(index: int) -> subprocess.CompletedProcess[str]:
        return smtp_harness("run", str(scenarios), "--shard", f"{index}/3", "--json",
                            f"part-{index}.json", cwd=directory, timeout=300)
    with ThreadPoolExecutor(len(indexes)) as pool:
        done = list(pool.map(one, indexes))
    assert [p.returncode for p in done] == [status] * len(indexes), [p.stderr for p in done]
    return [p.stderr for p in done]


def _statuses(path: Path) -> dict[tuple[str, str], str]:
    results = json.loads(path.read_text())["results"]
    return {(r["scenario"], r["client"]): r["status"] for r in results}


def _junit(path: Path) -> str:
    """The JUnit file without what differs between any two runs: times, and the ports and
    times inside messages and transcripts."""
    text = re.sub(r'time="[0-9.]+"', "", path.read_text())
    text = re.sub(r"\[ *[0-9.]+s #", "[T #", text)
    return re.sub(r"127\.0\.0\.1:\d+|port \d+", "ADDRESS", text)


def _gate_lines(output: str) -> list[str]:
    return [line for line in output.splitlines()
            if line.startswith(("REGRESSION", "fixed:", "baseline "))]


def test_three_shards_merged_are_one_run(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    one = smtp_harness("run", str(scenarios), "--json", "one.json", "--junit", "one.xml",
                       "--baseline", "baseline.json", "--update-baseline", cwd=tmp_path,
                       timeout=300)
    assert one.returncode == 0, one.stdout[-3000:]

    said = _shards(tmp_path, scenarios, [1, 2, 3])
    assert all(re.search(r"shard \d/3: \d+ of 357 scenarios", text) for text in said)
    parts = [f"part-{i}.json" for i in (1, 2, 3)]
    merged = smtp_harness("merge", *parts, "--json", "merged.json", "--junit", "merged.xml",
                          "--baseline", "baseline.json", cwd=tmp_path)
    assert merged.returncode == 0, merged.stdout[-3000:] + merged.stderr
    assert _statuses(tmp_path / "merged.json") == _statuses(tmp_path / "one.json")
    assert len(_statuses(tmp_path / "one.json")) == 357
    assert _junit(tmp_path / "merged.xml") == _junit(tmp_path / "one.xml")
    assert _gate_lines(merged.stdout) == ["baseline baseline.json: 0 regression(s), 0 fixed"]

    # A regression in one shard: the scenario now expects what netmail does not do.
    planted = scenarios / f"{PLANTED}.yaml"
    planted.write_text(planted.read_text().replace(
        "raises: SmtpFailedRecipientException", "raises: SmtpException"))
    loaded, errors = load_scenarios([scenarios])
    assert not errors
    holder = next(i for i in (1, 2, 3)
                  if PLANTED in {s.id for s in cut(loaded, Shard(i, 3))[0]})
    _shards(tmp_path, scenarios, [holder], status=1)  # the shard fails, ungated
    unsharded = smtp_harness("run", str(scenarios), "--json", "one.json", "--baseline",
                             "baseline.json", cwd=tmp_path, timeout=300)
    regressed = smtp_harness("merge", *parts, "--json", "merged.json", "--baseline",
                             "baseline.json", cwd=tmp_path)
    assert unsharded.returncode == regressed.returncode == 1, regressed.stdout[-3000:]
    assert _gate_lines(regressed.stdout) == _gate_lines(unsharded.stdout)
    assert _gate_lines(regressed.stdout)[0].startswith(
        f"REGRESSION: {PLANTED} [netmail]: pass -> fail")
    assert f"FAIL: netmail {PLANTED}: raises: expected SmtpException" in regressed.stdout
    assert _statuses(tmp_path / "merged.json") == _statuses(tmp_path / "one.json")


def test_merge_refuses_an_incomplete_set_of_parts(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios" / "recipients", scenarios / "recipients")
    _shards(tmp_path, scenarios, [1, 3])
    missing = smtp_harness("merge", "part-1.json", "part-3.json", "--junit", "m.xml",
                           cwd=tmp_path)
    assert missing.returncode == 2
    assert "missing part(s) 2 of 3" in missing.stderr
    assert not (tmp_path / "m.xml").exists()  # nothing written for a run that is not whole
    twice = smtp_harness("merge", "part-1.json", "part-1.json", "part-3.json", cwd=tmp_path)
    assert twice.returncode == 2 and "part 1/3 twice" in twice.stderr
