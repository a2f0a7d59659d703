"""Fitting a table to a width without hiding what it asserts.

A cell is a run of pieces, each knowing how it may shorten: a name loses its middle
(``Smtp…sException``: the end, where ``FailedRecipient`` and ``FailedRecipients`` differ,
stays), free text its end, and what the harness asserts (a status code, a verdict) never
shortens at all. Columns shrink only to fit a terminal; with no width (a CI log, a pipe)
nothing is cut. When even the narrowest cells would not fit, nothing is cut either: a line
that wraps anyway is better wrapped whole.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

NAME, TEXT, KEEP = "name", "text", "keep"
_LEAST = {NAME: 15, TEXT: 12}
"""The narrowest a piece gets: 15 keeps ``Smtp…sException``'s telling letter before the
suffix; 12 keeps the first words of a message."""


@dataclass(frozen=True)
class Piece:
    text: str
    kind: str = KEEP
    least: int | None = None
    """The narrowest this piece may get; None for its kind's default."""

    @property
    def narrowest(self) -> int:
        if self.kind == KEEP:
            return len(self.text)
        return min(len(self.text), self.least if self.least is not None else _LEAST[self.kind])


Cell = tuple[Piece, ...]


def plain(cell: Cell) -> str:
    return "".join(piece.text for piece in cell)


def narrowest(cell: Cell) -> int:
    return sum(piece.narrowest for piece in cell)


def shorten(piece: Piece, width: int) -> str:
    """The piece in ``width`` characters (never fewer than it allows)."""
    width = max(width, piece.narrowest)
    if len(piece.text) <= width:
        return piece.text
    if piece.kind == TEXT:
        return piece.text[: width - 1] + "…"
    head = max(1, (width - 1) // 3)
    return piece.text[:head] + "…" + piece.text[len(piece.text) - (width - 1 - head):]


def fit_cell(cell: Cell, width: int) -> str:
    """The cell in at most ``width`` characters if it can be, the longest piece giving way
    first, so that two names in one cell shorten alike."""
    sizes = [len(piece.text) for piece in cell]
    while sum(sizes) > width:
        room = [(size, i) for i, (size, piece) in enumerate(zip(sizes, cell, strict=True))
                if size > piece.narrowest]
        if not room:
            break
        sizes[max(room)[1]] -= 1
    return "".join(shorten(piece, size) for piece, size in zip(cell, sizes, strict=True))


def column_widths(header: Sequence[str], rows: Sequence[Sequence[Cell]], width: int | None,
                  shrink: Sequence[Sequence[int]]) -> list[int]:
    """Each column as wide as its content; with a ``width`` the line cannot reach, the
    columns in ``shrink`` give way group by group (the first group to its narrowest before
    the next), the widest of a group first. Only if that makes the line fit: a line that
    wraps anyway wraps with every cell whole."""
    widths = [max([len(h), *(len(plain(r[i])) for r in rows)]) for i, h in enumerate(header)]
    if width is None:
        return widths
    least = [max([len(h), *(narrowest(r[i]) for r in rows)]) for i, h in enumerate(header)]
    excess = sum(widths) + 2 * (len(widths) - 1) - width
    if excess > sum(widths[i] - least[i] for group in shrink for i in group):
        return widths
    for group in shrink:
        while excess > 0:
            room = [(widths[i], i) for i in group if widths[i] > least[i]]
            if not room:
                break
            widths[max(room)[1]] -= 1
            excess -= 1
    return widths


def terminal_width(stream: TextIO) -> int | None:
    """The width to fit a table printed on ``stream``: the terminal's (``COLUMNS`` wins), or
    None when it is not a terminal, so that a log or a pipe gets every cell whole."""
    return shutil.get_terminal_size().columns if stream.isatty() else None
