"""Selecting scenarios with ``-k``, as pytest does: words match substrings of the id and the
condition; ``and``, ``or``, ``not`` and parentheses combine them."""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def keyword_filter(expression: str) -> Callable[[str], bool]:
    """pytest-style ``-k``: words match substrings; ``and``, ``or``, ``not`` and parentheses."""
    tokens = _TOKEN.findall(expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ValueError(f"-k {expression!r}: the expression ends too early")
        position += 1
        return tokens[position - 1]

    def either() -> Callable[[str], bool]:
        left = both()
        while peek() == "or":
            take()
            left = _or(left, both())
        return left

    def both() -> Callable[[str], bool]:
        left = negation()
        while peek() == "and":
            take()
            left = _and(left, negation())
        return left

    def negation() -> Callable[[str], bool]:
        if peek() == "not":
            take()
            inner = negation()
            return lambda text: not inner(text)
        token = take()
        if token == "(":
            inner = either()
            if take() != ")":
                raise ValueError(f"-k {expression!r}: missing ')'")
            return inner
        if token in ("and", "or", ")"):
            raise ValueError(f"-k {expression!r}: unexpected {token!r}")
        return lambda text: token.lower() in text.lower()

    matcher = either()
    if position != len(tokens):
        raise ValueError(f"-k {expression!r}: unexpected {tokens[position]!r}")
    return matcher


def _or(a: Callable[[str], bool], b: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda text: a(text) or b(text)


def _and(a: Callable[[str], bool], b: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda text: a(text) and b(text)
