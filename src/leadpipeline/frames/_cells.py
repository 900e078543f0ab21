"""What every reader shares: how a cell is read, and the refusals gathered per batch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.frames._convert import Problems, Reading, convert
from leadpipeline.frames._fields import Kind
from leadpipeline.frames.mapping import ColumnMapping
from leadpipeline.frames.refusals import RowRefusal

__all__ = ["Refusals", "as_mask", "convert_column", "few_values", "reading_for"]

_SAMPLE = 4096


def reading_for(mapping: ColumnMapping, kind: Kind, **options: Any) -> Reading:
    return Reading(
        kind=kind,
        missing=mapping.missing,
        time_zone=mapping.time_zone,
        decimal=mapping.decimal,
        thousands=mapping.thousands,
        **{"formats": mapping.date_formats, **options},
    )


class Refusals:
    """Bad cells gathered over one batch: which rows, and a refusal for each problem."""

    def __init__(self, n: int, first_row: int, table: str = "leads") -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.first_row = first_row
        self.table = table
        self.found: list[tuple[int, RowRefusal]] = []

    def add(self, problems: Problems, raw: pa.Array | None, column: str, field: str) -> None:
        for mask, message in problems:
            rows = np.flatnonzero(mask)
            if not len(rows):
                continue
            self.bad[rows] = True
            cells = raw.take(pa.array(rows)).to_pylist() if raw is not None else [None] * len(rows)
            for row, cell in zip(rows.tolist(), cells, strict=True):
                value = None if cell is None else str(cell)
                refusal = RowRefusal(
                    row=self.first_row + row,
                    column=column,
                    field=field,
                    message=message,
                    value=value,
                    table=self.table,
                )
                self.found.append((row, refusal))

    def refusals(self) -> list[RowRefusal]:
        return [r for _, r in sorted(self.found, key=lambda pair: pair[0])]


def as_mask(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def few_values(cells: pa.Array) -> pa.DictionaryArray | None:
    """The text column as a dictionary when it repeats its values (a quarter or fewer)."""
    n = len(cells)
    if not pa.types.is_string(cells.type) or n < 64:
        return None
    if n > _SAMPLE:  # a spread-out sample saves encoding a column of distinct values
        sample = cells.take(pa.array(np.linspace(0, n - 1, _SAMPLE).astype(np.int64)))
        if len(pc.unique(sample)) > _SAMPLE // 4:
            return None
    encoded = pc.dictionary_encode(cells)
    return encoded if len(encoded.dictionary) <= n // 4 else None


def convert_column(cells: pa.Array, reading: Reading) -> tuple[pa.Array, Problems]:
    """`convert` on a lead column, each distinct value converted once when values repeat.

    A text column comes back as a dictionary of its distinct converted values (none
    null, none twice); the problems are the ones `convert` finds, spread over the rows.
    """
    encoded = few_values(cells) if reading.kind is not Kind.TEXTS else None
    if encoded is None:
        return convert(cells, reading)
    values, found = convert(encoded.dictionary, reading)
    # an empty cell is null: index -1 picks the appended "no problem" and "no value"
    index = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))
    problems = [(np.append(mask, False)[index], message) for mask, message in found if mask.any()]
    if reading.kind is not Kind.TEXT:
        return values.take(encoded.indices), problems
    distinct = pc.dictionary_encode(values)
    codes = np.asarray(pc.fill_null(distinct.indices, -1).to_numpy(zero_copy_only=False))
    rows = np.append(codes, -1)[index]
    column = pa.DictionaryArray.from_arrays(
        pa.array(np.maximum(rows, 0).astype(np.int32), mask=rows < 0), distinct.dictionary
    )
    return column, problems
