"""Guards for reading JSON from outside: numbers too long to read, nesting too deep.

Both reach the reader as errors without a path (`ValueError`, `RecursionError`); these
helpers keep the long number for a refusal at its field path, and find the path where a
document nests too deeply.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LongNumber", "parse_int", "too_deep"]


class LongNumber(str):
    """The digits of a JSON number too long to be read as one, kept to say so at its path."""

    __slots__ = ()


_MAX_DIGITS = 4_300
"""Python reads at most this many digits as an integer; a longer literal is refused."""


def parse_int(digits: str) -> int | LongNumber:
    """Read a JSON integer literal, keeping one too long to read for a refusal at its path."""
    return int(digits) if len(digits) <= _MAX_DIGITS else LongNumber(digits)


_DEPTH = 100
"""Nesting deeper than any value of this library needs; the path shown stops here."""


def too_deep(text: str | bytes) -> str:
    """The path of the first container nested deeper than `_DEPTH` levels, for the refusal.

    Example:
        >>> too_deep('{"a": [' + "[" * 200)[:12]
        'a[0][0][0][0'
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    levels: list[list[Any]] = []  # per open container: kind, key or index, expecting a key
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if levels and levels[-1][0] == "{" and levels[-1][2]:
                levels[-1][1], levels[-1][2] = text[i + 1 : j], False
            i = j + 1
            continue
        if c in "[{":
            levels.append([c, 0 if c == "[" else "", c == "{"])
            if len(levels) > _DEPTH:
                break
        elif c in "]}" and levels:
            levels.pop()
        elif c == "," and levels:
            if levels[-1][0] == "[":
                levels[-1][1] += 1
            else:
                levels[-1][2] = True
        i += 1
    path = ""
    for kind, key, _ in levels[:-1]:
        path = f"{path}[{key}]" if kind == "[" else f"{path}.{key}" if path else str(key)
    return path or "(document)"
