"""Snapshot texts made field by field, reusing the JSON of what did not change.

A command changes a lead a little: its version, a stage, one more interaction. The
snapshot a store writes is the whole lead as JSON, and most of it is the text the
previous version had. `SnapshotTexts` remembers, per lead, each field's JSON and each
item's JSON of the tuples of values, and encodes only fields (and appended items) that
are new objects: frozen values that are the same object have the same text. The result
is exactly `to_json(lead)` (a property test checks it).
"""

from __future__ import annotations

import operator
import threading
import typing
from collections import OrderedDict
from typing import Any, NamedTuple

import attrs

from leadpipeline.lead import Lead
from leadpipeline.serialization import dumps, unstructure

__all__ = ["SnapshotTexts"]


def _layout() -> tuple[tuple[str, str, Any, bool], ...]:
    """Each field of `Lead`: its name, its JSON key, its type, whether a tuple of values."""
    hints = typing.get_type_hints(Lead)
    out = []
    for field in attrs.fields(Lead):
        tp = hints[field.name]
        args = typing.get_args(tp)
        of_values = (
            typing.get_origin(tp) is tuple
            and len(args) == 2
            and args[1] is ...
            and attrs.has(args[0])
        )
        out.append((field.name, dumps(field.name), args[0] if of_values else tp, of_values))
    return tuple(out)


_LAYOUT = _layout()


class _Known(NamedTuple):
    lead: Lead
    fields: tuple[str, ...]  # each field's JSON, in `_LAYOUT` order
    items: dict[str, tuple[str, ...]]  # each item's JSON, for the tuples of values


def _items(
    values: tuple[Any, ...], tp: Any, old: tuple[Any, ...], texts: tuple[str, ...]
) -> tuple[str, ...]:
    """The items' texts, reusing the old ones where `values` starts with the same objects."""
    kept = len(old) if len(values) >= len(old) and all(map(operator.is_, values, old)) else 0
    return texts[:kept] + tuple(dumps(unstructure(v, tp)) for v in values[kept:])


class SnapshotTexts:
    """A bounded memory of the last snapshot text made for each lead, field by field.

    `forget` a lead whose personal data was erased, so no copy of it stays in memory.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._known: OrderedDict[str, _Known] = OrderedDict()

    def text(self, lead: Lead) -> str:
        """``to_json(lead)``, encoding only what changed since the lead's last text here."""
        with self._lock:
            known = self._known.get(lead.id)
        fields: list[str] = []
        items: dict[str, tuple[str, ...]] = {}
        for i, (name, _, tp, of_values) in enumerate(_LAYOUT):
            value = getattr(lead, name)
            old = getattr(known.lead, name) if known is not None else None
            if of_values:
                texts = _items(value, tp, old or (), known.items[name] if known else ())
                items[name] = texts
                fields.append(f"[{', '.join(texts)}]")
            elif known is not None and value is old:
                fields.append(known.fields[i])
            else:
                fields.append(dumps(unstructure(value, tp)))
        if self._size > 0:
            with self._lock:
                self._known[lead.id] = _Known(lead, tuple(fields), items)
                self._known.move_to_end(lead.id)
                while len(self._known) > self._size:
                    self._known.popitem(last=False)
        parts = (f"{key}: {text}" for (_, key, _, _), text in zip(_LAYOUT, fields, strict=True))
        return f"{{{', '.join(parts)}}}"

    def forget(self, lead_id: str) -> None:
        """Drop what is remembered of a lead (after its erasure)."""
        with self._lock:
            self._known.pop(lead_id, None)
