"""The documentation that ships inside the package, for ``smtp-harness docs``.

A pip user has no checkout: the scenario format, the adapter protocol, the fixture reference
and the JSON report format travel with the code they describe (``harness/docs/*.md``).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def docs_dir() -> Path:
    return Path(str(importlib.resources.files("harness"))) / "docs"


def topics() -> dict[str, str]:
    """Each topic (a file name without ``.md``) and its title (the first heading)."""
    found = {}
    for path in sorted(docs_dir().glob("*.md")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        found[path.stem] = first.lstrip("# ").strip()
    return found


def topic_path(topic: str) -> Path:
    """The file of a topic; ``KeyError`` naming the topics there are."""
    path = docs_dir() / f"{topic.removesuffix('.md')}.md"
    if not path.is_file():
        raise KeyError(f"no topic {topic!r} (topics: {', '.join(topics())})")
    return path
