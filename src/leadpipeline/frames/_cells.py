"""What every reader shares: how a cell is read, and the refusals gathered per batch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.frames._convert import Problems, Reading
from leadpipeline.frames._fields import Kind
from leadpipeline.frames.mapping import ColumnMapping
from leadpipeline.frames.refusals import RowRefusal

__all__ = ["Refusals", "as_mask", "reading_for"]


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
