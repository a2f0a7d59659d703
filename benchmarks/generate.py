"""Generate N scenario files from the project's own, for measuring the harness at scale.

``python -m benchmarks.generate N OUTDIR [--seed S]`` writes N files under OUTDIR, in the same
subdirectories as their sources (``OUTDIR/recipients/...``). Copies of one file would let a
cache or a dictionary keyed on text look cheaper than it is, so each copy differs where a
scenario may differ without changing what it tests:

- its id: the source's, a word and the copy's number (unique by the number);
- the human text of its scripted replies (after the code and any enhanced status code), word
  by word with words of the same length, so a limit on line length still bites;
- its addresses: the ASCII letters of every local part go through one letter permutation of
  the file (case kept, no letter left as it was, so lengths and character classes stay),
  everywhere the address is written: message, server matches, replies, expectations,
  profiles, descriptions.

What is kept exactly, because an expectation or the client depends on it: reply codes and
enhanced codes; EHLO/HELO 250 lines (extension keywords); 334 lines (SASL challenges, base64);
``raw`` bytes (malformed replies are byte-exact); any reply text that a ``message_contains``
(of ``expect``, an earlier send or a profile) contains or is contained in; reply text that is
not printable ASCII; address tokens inside replies (renamed like every other address); domains
(IDN and punycode forms must keep matching each other). Profiles of other clients are kept,
with their addresses renamed like the rest, so the loader's profile work is measured too.

Addresses are found as a local part of atext characters (and any non-ASCII character) before
``@`` and a domain character (spaces between: ``J @0`` is ``J@0`` to a parser); a quoted
local part is left alone everywhere. A ``pattern`` (a regex matched against addresses) gets
the same permutation for its unescaped letters before any ``@``, so ``^bad`` keeps matching
``bad@...`` once both are renamed. The defaults of ``message`` (``sender@example.com`` to
``rcpt@example.com``) are written out first, so that an expectation naming them is renamed
with them.

The same (count, seed) always writes the same bytes.
"""

from __future__ import annotations

import argparse
import random
import re
import string
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from harness.loader import load_scenario, scenario_files
from harness.model import MessageSpec

from . import SCENARIOS

Permutation = dict[str, str]

_WORDS = ("I", "a", "an", "as", "at", "be", "by", "do", "go", "is", "it", "no", "of", "ok", "on",
          "so", "to", "up", "we", "and", "can", "due", "end", "few", "for", "may", "new", "not",
          "now", "off", "old", "one", "out", "set", "the", "try", "two", "you", "busy", "done",
          "fine", "full", "gone", "held", "here", "host", "lost", "mail", "name", "okay", "path",
          "send", "sent", "user", "again", "delay", "later", "limit", "local", "queue", "quota",
          "relay", "spool", "ignored", "mailbox", "message", "pending", "refused", "service",
          "shortly", "accepted", "finished", "received", "rejected", "available", "permanent",
          "temporary", "transient", "maintenance", "unavailable", "unauthorised")
_BY_LENGTH: dict[int, list[str]] = {}
for _word in _WORDS:
    _BY_LENGTH.setdefault(len(_word), []).append(_word.lower())

_ID_WORDS = ("amber", "birch", "cedar", "delta", "ember", "fjord", "gale", "heron", "iris",
             "juniper", "kestrel", "larch", "maple", "nimbus", "onyx", "pine", "quartz",
             "rowan", "sable", "tundra", "umber", "vale", "willow", "yarrow", "zephyr")

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\u0080-\U0010ffff"
ADDRESS = re.compile(rf"(?<![{_ATEXT}])([{_ATEXT}]+)(?=[ \t]*@[A-Za-z0-9\[\u0080-\U0010ffff])")
"""A local part: the run of address characters before ``@`` and a domain character (white
space between them is allowed: ``J @0`` is the address ``J@0`` to a parser)."""

REPLY_LINE = re.compile(r"(\d{3}[ -]?)(\d\.\d{1,3}\.\d{1,3}(?: |$))?(.*)", re.DOTALL)
"""A reply line: its code (and separator), any enhanced status code, then the text."""

_KEEP_STEPS = ("ehlo", "helo")  # their 250 lines are extension keywords and a domain


def letter_permutation(rng: random.Random) -> Permutation:
    """A permutation of a-z with no fixed point, so every letter of every address changes."""
    letters = list(string.ascii_lowercase)
    while True:
        shuffled = rng.sample(letters, len(letters))
        if all(a != b for a, b in zip(letters, shuffled, strict=True)):
            return dict(zip(letters, shuffled, strict=True))


def _permute(text: str, permutation: Permutation) -> str:
    return "".join(permutation[c] if c in permutation
                   else permutation[c.lower()].upper() if c.lower() in permutation and c.isascii()
                   else c for c in text)


def rename_addresses(text: str, permutation: Permutation) -> str:
    """``text`` with the local part of every address permuted (domains as they were)."""
    return ADDRESS.sub(lambda found: _permute(found[1], permutation), text)


def rename_pattern(pattern: str, permutation: Permutation) -> str:
    """A regex matched against addresses: its unescaped letters before any ``@`` permuted."""
    local, at, rest = pattern.partition("@")
    pieces = re.split(r"(\\.|\(\?[a-zA-Z]+[:)]|\{[^}]*\}|\[:[a-z]+:\])", local)
    renamed = "".join(piece if index % 2 else _permute(piece, permutation)
                      for index, piece in enumerate(pieces))
    return renamed + at + rename_addresses(rest, permutation)


def _protected_texts(document: Any) -> list[str]:
    """Every non-empty ``message_contains`` in the document (expect, earlier, profiles)."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "message_contains" and isinstance(value, str) and value:
                found.append(value)
            else:
                found += _protected_texts(value)
    elif isinstance(document, list):
        for item in document:
            found += _protected_texts(item)
    return found


def _word_like(original: str, rng: random.Random) -> str:
    """A word of ``original``'s length and capitalisation, another one when there is one."""
    choices = [w for w in _BY_LENGTH.get(len(original), []) if w != original.lower()]
    word = (rng.choice(choices) if choices
            else "".join(rng.choice(string.ascii_lowercase) for _ in original))
    if original.isupper() and len(original) > 1:
        return word.upper()
    return word.capitalize() if original[0].isupper() else word


def vary_reply_line(line: str, step: str, protected: Sequence[str],
                    rng: random.Random) -> str:
    """One reply line with its human text reworded, or unchanged when its text must stay."""
    found = REPLY_LINE.fullmatch(line)
    if found is None:
        return line
    code, enhanced, text = found[1], found[2] or "", found[3]
    number = code[:3]
    if (not text or number == "334" or (step in _KEEP_STEPS and number.startswith("2"))
            or not (text.isascii() and text.isprintable())):
        return line
    keep = [False] * len(text)
    lowered = text.lower()
    for needle in protected:
        if text in needle or (enhanced + text) in needle:
            return line
        start = lowered.find(needle.lower())
        while start >= 0:
            keep[start:start + len(needle)] = [True] * len(needle)
            start = lowered.find(needle.lower(), start + 1)
    for address in re.finditer(r"\S*@\S*", text):
        keep[address.start():address.end()] = [True] * (address.end() - address.start())
    words = []
    last = 0
    for run in re.finditer(r"[A-Za-z]+", text):
        words.append(text[last:run.start()])
        kept = any(keep[run.start():run.end()])
        words.append(run[0] if kept else _word_like(run[0], rng))
        last = run.end()
    words.append(text[last:])
    return code + enhanced + "".join(words)


def _vary_reply(reply: Any, step: str, protected: Sequence[str], rng: random.Random) -> Any:
    if isinstance(reply, str):
        return vary_reply_line(reply, step, protected, rng)
    if isinstance(reply, list):
        return [vary_reply_line(line, step, protected, rng) if isinstance(line, str) else line
                for line in reply]
    return reply


def vary_replies(server: dict[str, Any], protected: Sequence[str], rng: random.Random) -> None:
    """Reword the scripted replies of ``server`` in place (and the SASL rejection)."""
    for step, value in server.items():
        if step in ("extensions", "tls"):
            continue
        if step == "sasl":
            if isinstance(value, dict) and "reject" in value:
                value["reject"] = _vary_reply(value["reject"], "auth", protected, rng)
            continue
        for action in value if isinstance(value, list) else [value]:
            if isinstance(action, dict) and "reply" in action:
                action["reply"] = _vary_reply(action["reply"], step, protected, rng)


def _map_strings(value: Any, rename: Callable[[str], str],
                 rename_regex: Callable[[str], str]) -> Any:
    """A copy of ``value`` with every string (keys included) renamed; regexes as regexes."""
    if isinstance(value, dict):
        return {(rename(k) if isinstance(k, str) else k):
                (rename_regex(v) if k == "pattern" and isinstance(v, str)
                 else _map_strings(v, rename, rename_regex))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, rename, rename_regex) for item in value]
    return rename(value) if isinstance(value, str) else value


def _with_default_addresses(document: dict[str, Any]) -> None:
    """Write out the message's default sender and recipient, which expectations may name."""
    if "message" not in document:
        document["message"] = {}
    message = document["message"]
    if isinstance(message, dict):
        defaults = MessageSpec()
        message.setdefault("from", defaults.from_)
        message.setdefault("to", list(defaults.to))


def variant(document: dict[str, Any], new_id: str, rng: random.Random) -> dict[str, Any]:
    """One varied copy of a scenario's mapping (the source is left as it was)."""
    copy: dict[str, Any] = _map_strings(document, str, str)  # a deep copy
    copy["id"] = new_id
    _with_default_addresses(copy)
    if isinstance(copy.get("server"), dict):
        vary_replies(copy["server"], _protected_texts(copy), rng)
    permutation = letter_permutation(rng)
    renamed: dict[str, Any] = _map_strings(copy, lambda s: rename_addresses(s, permutation),
                                           lambda s: rename_pattern(s, permutation))
    return renamed


def source_files(root: Path = SCENARIOS) -> list[Path]:
    """The scenario files copies are made from, in the loader's order."""
    return scenario_files([root])


def _sources_for(count: int, sources: Sequence[Path]) -> list[int]:
    """Which source each copy is made from: evenly spread when ``count`` is below the number
    of sources, every source in turn otherwise."""
    if count <= len(sources):
        return [index * len(sources) // count for index in range(count)]
    return [index % len(sources) for index in range(count)]


def generate(count: int, out_dir: Path, seed: int = 0,
             sources: Sequence[Path] | None = None) -> list[Path]:
    """Write ``count`` varied scenario files under ``out_dir``; the paths, in order.

    ``sources`` defaults to every file in the project's ``scenarios/``.
    """
    files = list(sources) if sources is not None else source_files()
    if count < 0:
        raise ValueError("count must not be negative")
    if count and not files:
        raise ValueError("no source scenarios to copy")
    documents: dict[int, dict[str, Any]] = {}
    width = len(str(max(count - 1, 0)))
    written: list[Path] = []
    for index, source_index in enumerate(_sources_for(count, files)):
        if source_index not in documents:
            documents[source_index] = yaml.load(files[source_index].read_text("utf-8"),
                                                Loader=yaml.CSafeLoader)
        source = documents[source_index]
        rng = random.Random(f"{seed}:{index}")
        new_id = f"{source['id']}-{rng.choice(_ID_WORDS)}-{index:0{width}d}"
        path = out_dir.joinpath(*new_id.split("/")).with_suffix(".yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.dump(variant(source, new_id, rng), Dumper=yaml.CSafeDumper,
                         sort_keys=False, allow_unicode=True, width=1_000_000,
                         default_flow_style=None)
        origin = files[source_index]
        if origin.is_relative_to(SCENARIOS.parent):
            origin = origin.relative_to(SCENARIOS.parent)
        path.write_text(f"# generated by benchmarks.generate from {origin.as_posix()} "
                        f"(seed {seed})\n{text}", encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate",
                                     description="write N varied scenario files under OUTDIR")
    parser.add_argument("count", type=int, metavar="N")
    parser.add_argument("out_dir", type=Path, metavar="OUTDIR")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true",
                        help="load every written file with the harness's loader")
    args = parser.parse_args(argv)
    paths = generate(args.count, args.out_dir, args.seed)
    if args.check:
        for path in paths:
            load_scenario(path)
    print(f"wrote {len(paths)} scenario files under {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
