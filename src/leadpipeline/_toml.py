"""The TOML writer: `tomllib` reads TOML, and nothing in the standard library writes it.

`to_toml` is re-exported by `leadpipeline.serialization`, the public place to import it
from; the value goes through the one converter there and is written here as text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from leadpipeline.errors import ValidationError

__all__ = ["to_toml"]


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_toml_key(k)} = {_toml_scalar(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise ValidationError.at("", f"cannot write {type(value).__name__} to TOML")


_WIDTH = 100
"""A longer list is written one item a line."""


def _dotted(path: str) -> str:
    return ".".join(_toml_key(p) for p in path.split("."))


def _toml_table(
    data: dict[str, Any], prefix: str, comments: dict[str, str], out: list[str]
) -> None:
    """One table: its plain keys first, then its sub-tables, then its arrays of tables."""
    tables: list[tuple[str, dict[str, Any]]] = []
    arrays: list[tuple[str, list[dict[str, Any]]]] = []
    for key, value in data.items():
        if value is None:
            continue
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            tables.append((path, value))
        elif isinstance(value, list | tuple) and value and all(isinstance(v, dict) for v in value):
            arrays.append((path, list(value)))
        else:
            if path in comments:
                out.append(f"# {comments[path]}")
            line = f"{_toml_key(key)} = {_toml_scalar(value)}"
            if len(line) > _WIDTH and isinstance(value, list | tuple):  # one item a line
                line = "\n".join(
                    [f"{_toml_key(key)} = [", *(f"    {_toml_scalar(v)}," for v in value), "]"]
                )
            out.append(line)
    for path, table in tables:
        out.append("")
        if path in comments:
            out.append(f"# {comments[path]}")
        out.append(f"[{_dotted(path)}]")
        _toml_table(table, path, comments, out)
    for path, items in arrays:
        if path in comments:
            out += ["", f"# {comments[path]}"]
        for item in items:
            out += ["", f"[[{_dotted(path)}]]"]
            _toml_table(item, path, comments, out)


def to_toml(value: object, *, comments: dict[str, str] | None = None) -> str:
    """The value as TOML text, with optional comments keyed by dotted field path.

    Lists of tables are written as arrays of tables (``[[sla_policies]]``), one key per
    line; durations as ``"3d"``, ``"8h"``, ``"1h30m"``; None is omitted (TOML has no null),
    so write only values whose None is their default.

    Example:
        >>> from leadpipeline.lead import Revenue
        >>> print(to_toml(Revenue(amount=2.5e6, source="broker"), comments={"source": "who"}))
        amount = 2500000.0
        currency = "EUR"
        # who
        source = "broker"
    """
    # imported here: serialization imports this module to re-export `to_toml`
    from leadpipeline.serialization import unstructure_for_people  # noqa: PLC0415

    data = unstructure_for_people(value)
    if not isinstance(data, dict):
        raise ValidationError.at("", "only a table of fields can be written as TOML")
    out: list[str] = []
    _toml_table(data, "", comments or {}, out)
    return "\n".join(out).lstrip("\n") + "\n"
