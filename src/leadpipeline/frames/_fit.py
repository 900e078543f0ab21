"""Fit and negative rules on columns: which rows each rule's match accepts.

Why: a rule means one thing, written once in the reference scorer's matchers
(`leadpipeline.rules.scoring._reference._predicate`). Columns are tested with those same
Python tests, applied once per distinct value (a dictionary of a column's values), and the
answers are spread over the rows; only numeric ranges and presence, whose meaning is plain
arithmetic, are computed on whole arrays. So a rule cannot mean one thing in a `Lead` and
another in a column.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.errors import ValidationError
from leadpipeline.lead import Lead
from leadpipeline.rules.scoring._reference import _predicate
from leadpipeline.rules.scoring.model import _FieldKind, _resolve, _unwrap_optional
from leadpipeline.rules.scoring.rules import DomainIn, InRange, Match, Missing, Present

__all__ = ["Columns", "rule_mask"]

# Python's own whitespace (str.isspace): a text of these alone is blank, as on a lead.
_SPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
_REQUIRED = frozenset({"id", "source.channel", "source.captured_at"})


@functools.cache
def _steps(path: str) -> tuple[tuple[str, type, Any], ...]:
    """Each segment of a path with its owner class and its default on that class."""
    cls: Any = Lead
    out = []
    for segment in path.split("."):
        attribute = attrs.fields_dict(cls)[segment]
        default: Any = attribute.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # attrs types Factory loosely
            default = default.factory()
        elif default is attrs.NOTHING:  # required inside an optional record: absent with it
            default = None
        out.append((segment, cls, default))
        cls = _unwrap_optional(typing.get_type_hints(cls)[segment])[0]
    return tuple(out)


@functools.cache
def _records_on_the_way(path: str) -> tuple[str, ...]:
    """The optional records `path` passes through (``company.annual_revenue``)."""
    records = []
    prefix = ""
    for segment, _, _ in _steps(path)[:-1]:
        prefix = f"{prefix}.{segment}" if prefix else segment
        if _unwrap_optional(typing.get_type_hints(_steps(prefix)[-1][1])[segment])[1]:
            records.append(prefix)
    return tuple(records)


@functools.cache
def _anchor(record: str) -> str | None:
    """The first required leaf of an optional record: the record exists when it has a value."""
    cls = _unwrap_optional(typing.get_type_hints(_steps(record)[-1][1])[record.rpartition(".")[2]])[
        0
    ]
    for attribute in attrs.fields(cls):
        if attribute.default is attrs.NOTHING:
            return f"{record}.{attribute.name}"
    return None


class Columns:
    """The lead columns a model reads, each converted once however many rules read it."""

    def __init__(self, columns: Mapping[str, pa.Array], n: int, touch_leads: np.ndarray) -> None:
        self.columns = columns
        self.n = n
        self._touch_leads = touch_leads
        self._numbers: dict[str, np.ndarray] = {}
        self._valid: dict[str, np.ndarray] = {}
        self._encoded: dict[tuple[str, bool], pa.DictionaryArray] = {}

    @functools.cached_property
    def touch_counts(self) -> np.ndarray:
        """How many touches each row has, counted only for a rule on ``interactions``."""
        return np.bincount(self._touch_leads, minlength=self.n)

    def encoded(self, name: str, *, domains: bool = False) -> pa.DictionaryArray:
        """Column `name` as distinct values and indices (of the part after the last "@")."""
        key = (name, domains)
        if key not in self._encoded:
            column = self.columns[name]
            if domains and not pa.types.is_dictionary(column.type):
                column = _after_last_at(column)  # far fewer distinct domains than addresses
            if not pa.types.is_dictionary(column.type):
                column = pc.dictionary_encode(column)
            self._encoded[key] = column
        return self._encoded[key]

    def valid(self, name: str) -> np.ndarray:
        """Which rows hold a value in column `name` (NaN is no value)."""
        if name not in self._valid:
            column = self.columns[name]
            if pa.types.is_floating(column.type):  # a null is NaN among the numbers
                valid = ~np.isnan(self.numbers(name))
            elif column.null_count:
                valid = ~np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            else:
                valid = np.ones(self.n, dtype=bool)
            self._valid[name] = valid
        return self._valid[name]

    def numbers(self, name: str) -> np.ndarray:
        """Column `name` as floats, NaN where it holds no value."""
        if name not in self._numbers:
            column = self.columns[name]
            if column.type != pa.float64():
                column = pc.cast(column, pa.float64())
            if column.null_count:
                column = pc.fill_null(column, np.nan)
            values = np.asarray(column.to_numpy(zero_copy_only=False))
            self._numbers[name] = values
        return self._numbers[name]

    def present(self, path: str) -> np.ndarray:
        """Which rows have every optional record on the way to `path`."""
        rows = np.ones(self.n, dtype=bool)
        for record in _records_on_the_way(path):
            anchor = _anchor(record)
            if anchor is None or anchor not in self.columns:
                return np.zeros(self.n, dtype=bool)
            rows &= self.valid(anchor)
        return rows


def _after_last_at(column: pa.Array) -> pa.Array:
    """Each text's part after its last "@" (``str.rpartition("@")[2]``), null for null."""
    parts = pc.split_pattern(column, pattern="@", max_splits=1, reverse=True)
    last = np.asarray(parts.offsets.to_numpy())[1:] - 1
    missing = np.asarray(parts.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return parts.values.take(pa.array(np.maximum(last, 0), mask=missing))


def _bools(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=bool)


def _np(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _on_values(values: pa.Array, test: Any) -> np.ndarray:
    """`test` applied once per distinct value, spread over the rows (None for a null)."""
    encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
    answers = np.array([bool(test(v)) for v in encoded.dictionary.to_pylist()] + [bool(test(None))])
    index = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))
    found: np.ndarray = answers[index]
    return found


def _text_mask(columns: Columns, field: str, match: Match, kind: _FieldKind) -> np.ndarray:
    column = columns.columns[field]
    if isinstance(match, Present | Missing) and not pa.types.is_dictionary(column.type):
        present = _np(pc.greater(pc.binary_length(pc.utf8_ltrim(column, _SPACE)), 0))
        return _bools(present if isinstance(match, Present) else ~present)
    encoded = columns.encoded(field, domains=isinstance(match, DomainIn))
    return _on_values(encoded, _predicate(match, kind))


def _texts_mask(column: pa.Array, match: Match, kind: _FieldKind) -> np.ndarray:
    """A list of texts: presence is a non-empty list; a text match is any item matching."""
    column = pc.fill_null(column, pa.scalar([], column.type))
    lengths = np.asarray(pc.list_value_length(column).to_numpy(zero_copy_only=False))
    if isinstance(match, Present):
        return _bools(lengths > 0)
    if isinstance(match, Missing):
        return _bools(lengths == 0)
    test = _predicate(match, kind)
    items = pc.list_flatten(column)
    hits = _on_values(items, lambda t: t is not None and test((t,)))
    parents = np.asarray(pc.list_parent_indices(column).to_numpy(zero_copy_only=False))
    return np.bincount(parents[hits], minlength=len(column)) > 0


def rule_mask(columns: Columns, field: str, match: Match, where: str) -> np.ndarray:
    """The rows whose `field` the rule's `match` accepts, exactly as on a `Lead`.

    A field with no column holds what a lead built without it holds (its default); a
    field inside an optional record (``company.annual_revenue.currency``) is unknown on
    rows without the record, as on a lead.

    Raises:
        ValidationError: the rule reads a field every lead has (``source.channel``) and
            the frame has no column for it; `where` names the rule.
    """
    kind, _ = _resolve(field)
    n = columns.n
    if field == "interactions":
        test = _predicate(match, kind)
        has = columns.touch_counts > 0
        return np.where(has, test((None,)), test(()))
    if field not in columns.columns and _anchor_of(field, columns) is None:
        if field in _REQUIRED:
            raise ValidationError.at(where, f"reads {field!r}, and the frame has no such column")
        default = _steps(field)[-1][2]
        inside = columns.present(field)
        test = _predicate(match, kind)
        return np.where(inside, bool(test(default)), bool(test(None)))
    inside = columns.present(field)
    if kind is _FieldKind.RECORD:
        anchor = _anchor_of(field, columns)
        has = inside & (columns.valid(anchor) if anchor else np.zeros(n, dtype=bool))
        return _bools(has if isinstance(match, Present) else ~has)
    column = columns.columns[field]
    if kind is _FieldKind.TEXT:
        mask = _text_mask(columns, field, match, kind)
    elif kind in (_FieldKind.TEXTS, _FieldKind.ITEMS):
        mask = _texts_mask(column, match, kind)
        if isinstance(match, Missing):
            return _bools(mask | ~inside)
        return _bools(mask & inside)
    elif isinstance(match, InRange):
        values = columns.numbers(field)
        low = -np.inf if match.at_least is None else match.at_least
        high = np.inf if match.at_most is None else match.at_most
        mask = (values >= low) & (values <= high)
    else:
        mask = columns.valid(field)
        if isinstance(match, Missing):
            mask = ~mask
    if not _records_on_the_way(field):  # every row has the way to the field
        return _bools(mask)
    if isinstance(match, Missing):
        return _bools(mask | ~inside)
    return _bools(mask & inside)


def _anchor_of(field: str, columns: Columns) -> str | None:
    """For a record field (``company.annual_revenue``), the column saying it exists."""
    kind, _ = _resolve(field)
    if kind is not _FieldKind.RECORD:
        return None
    anchor = _anchor(field)
    return anchor if anchor in columns.columns else None
