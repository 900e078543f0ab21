"""Tuples of values written as tables: named calendars, calendar names by party.

Why: a playbook file says ``[calendars.vienna] country = "AT"``, a table keyed by name,
while the value holds a tuple (values hold tuples, never dicts). A field's metadata asks
for it: ``table_key`` (values keyed by one of their fields) or ``table_pairs`` (pairs of
texts). `leadpipeline.serialization` uses these hooks; `leadpipeline.schema` reads the
same metadata.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import attrs
import cattrs
from cattrs.errors import AttributeValidationNote, ClassValidationError
from cattrs.gen import override

from leadpipeline._paths import RefusedError
from leadpipeline.errors import ValidationError

__all__: list[str] = []


def _expected(what: str, value: object) -> RefusedError:
    return RefusedError(f"expected {what}, got {type(value).__name__} {value!r}")


def _table_of(field: attrs.Attribute[Any]) -> str | None:
    """``"key"`` for values keyed by a field, ``"pairs"`` for pairs of texts, else None."""
    if field.metadata.get("table_key"):
        return "key"
    if field.metadata.get("table_pairs"):
        return "pairs"
    return None


def _table_overrides(conv: cattrs.Converter, cls: type, *, structure: bool) -> dict[str, Any]:
    """The structure or unstructure overrides of `cls`'s tuple fields written as tables."""
    found: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        table = _table_of(field)
        if table is None:
            continue
        if structure:
            struct_hook: Callable[[Any, Any], Any] = _pairs_in
            if table == "key":
                element = typing.get_args(hints[field.name])[0]
                struct_hook = _keyed_in(conv, element, field.metadata["table_key"])
            found[field.name] = override(struct_hook=struct_hook)
        else:
            unstruct_hook: Callable[[Any], Any] = _pairs_out
            if table == "key":
                element = typing.get_args(hints[field.name])[0]
                unstruct_hook = _keyed_out(conv, element, field.metadata["table_key"])
            found[field.name] = override(unstruct_hook=unstruct_hook)
    return found


def _pairs_in(value: Any, _: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise _expected("a table of names", value)
    errors: list[Exception] = []
    for name, item in value.items():
        if not isinstance(item, str):
            exc: Exception = _expected("a string", item)
            exc.__notes__ = [AttributeValidationNote(str(name), str(name), str)]
            errors.append(exc)
    if errors:
        raise ClassValidationError("while structuring a table", errors, dict)
    return tuple((str(k), v) for k, v in value.items())


def _pairs_out(value: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return dict(value)


def _keyed_in(conv: cattrs.Converter, element: type, key: str) -> Callable[[Any, Any], Any]:
    inner = conv.get_structure_hook(element)

    def hook(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, dict):
            raise _expected(f"a table of tables, one per {key}", value)
        items, errors = [], []
        for name, body in value.items():
            try:
                if isinstance(body, dict) and key in body and body[key] != name:
                    raise ValidationError.at(key, f"differs from the table's name {name!r}")
                fields = {**body, key: name} if isinstance(body, dict) else body
                items.append(inner(fields, element))
            except Exception as exc:  # collected, re-raised as a group below
                exc.__notes__ = [AttributeValidationNote(str(name), str(name), element)]
                errors.append(exc)
        if errors:
            raise ClassValidationError("while structuring a table", errors, element)
        return tuple(items)

    return hook


def _keyed_out(conv: cattrs.Converter, element: type, key: str) -> Callable[[Any], Any]:
    inner = conv.get_unstructure_hook(element)

    def hook(values: tuple[Any, ...]) -> dict[str, Any]:
        out = {}
        for value in values:
            body = inner(value)
            out[body.pop(key)] = body
        return out

    return hook
