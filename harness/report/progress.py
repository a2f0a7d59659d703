"""Progress while scenarios run: a bar on a terminal, a plain line every tenth elsewhere.

A CI log then shows that a long run (five clients, or a slow runtime) is moving and whether
anything has failed yet, without a redrawn line full of carriage returns.
"""

from __future__ import annotations

from typing import TextIO

from ..verdict import ERROR, FAIL, Verdict

_WIDTH = 30


class Progress:
    """Called with each verdict as it is known (``run_all``'s ``on_verdict``)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self._total, self._stream = total, stream
        self._terminal = stream.isatty()
        self._done = self._failing = 0
        self._next_line = 1

    def __call__(self, verdict: Verdict) -> None:
        self._done += 1
        self._failing += verdict.status in (FAIL, ERROR)
        if self._terminal:
            filled = _WIDTH * self._done // self._total
            self._stream.write(f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {self._text()}"
                               + ("\n" if self._done == self._total else ""))
        elif self._done * 10 >= self._next_line * self._total:
            self._next_line = self._done * 10 // self._total + 1
            self._stream.write(f"progress: {self._text()}\n")
        self._stream.flush()

    def _text(self) -> str:
        return f"{self._done}/{self._total} scenarios, {self._failing} failing"
