"""Hostile scenario files: whatever the bytes, the loader answers with one located line.

Truncations, random edits, wrong types, huge and deeply nested values and YAML bombs must all
end as a ``ScenarioError`` (``path:line: ...``, one line) or a valid scenario, never anything else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.loader import MAX_FILE_BYTES, ScenarioError, load_scenario

REPO = Path(__file__).parents[2]
SAMPLES = [(REPO / "scenarios" / name).read_text(encoding="utf-8") for name in (
    "recipients/middle-rejected.yaml", "contract/send-in-progress.yaml",
    "tls/auth-before-tls.yaml", "replies/greeting/malformed-bare-lf.yaml")]


def loads_or_locates(path: Path) -> None:
    try:
        load_scenario(path)
    except ScenarioError as error:
        text = str(error)
        assert "\n" not in text and text.startswith(f"{path}:"), text


edits = st.tuples(st.integers(0, 10_000), st.integers(0, 40),
                  st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=12))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(SAMPLES), cuts=st.lists(edits, max_size=4),
       truncate=st.integers(0, 10_000))
def test_mangled_files_give_a_located_line(tmp_path_factory: pytest.TempPathFactory,
                                           sample: str, cuts: list[tuple[int, int, str]],
                                           truncate: int) -> None:
    text = sample[:max(truncate, len(sample) // 3)]
    for at, length, insert in cuts:
        at %= len(text) + 1
        text = text[:at] + insert + text[at + length:]
    path = tmp_path_factory.mktemp("hostile") / "mangled.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    loads_or_locates(path)


@given(value=st.one_of(st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                       st.lists(st.integers(), max_size=3), st.text(max_size=20)))
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_value_in_any_field(tmp_path: Path, value: object) -> None:
    import json
    for field in ("condition", "client", "message", "expect", "server"):
        path = tmp_path / f"{field}.yaml"
        path.write_text(f"id: x/y\ncondition: timeout\nexpect: {{raises: null}}\n"
                        f"{field}: {json.dumps(value)}\n", encoding="utf-8")
        loads_or_locates(path)


def test_billion_laughs_is_refused_at_once(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol"]'] + [f"a{i}: &a{i} [*a{i-1},*a{i-1},*a{i-1},*a{i-1}]"
                                    for i in range(1, 30)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError, match="aliases are not allowed"):
        load_scenario(path)


def test_huge_and_deep_files(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("id: x/big\n# " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(ScenarioError, match="larger than"):
        load_scenario(big)
    deep = tmp_path / "deep.yaml"
    deep.write_text("id: " + "[" * 5000 + "]" * 5000 + "\n")
    loads_or_locates(deep)
    long_reply = tmp_path / "long.yaml"
    long_reply.write_text('id: x/long\ncondition: timeout\nexpect: {raises: null}\n'
                          f'server: {{greeting: {{reply: "{"2" * 100_000}"}}}}\n')
    with pytest.raises(ScenarioError, match="long"):
        load_scenario(long_reply)
