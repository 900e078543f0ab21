"""Touches from count columns: "TotalVisits" = 7 becomes seven site visits.

Why: public exports and many CRMs keep engagement as counts on the lead row, not as a
table of touches. A count has no times, so each touch is dated at the lead's capture; the
scoring model then reads them like any other touches, and a learned model can weigh them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.frames._convert import Problems, Reading, convert
from leadpipeline.frames.mapping import MOST_COUNTED, TouchCount

__all__ = ["counted_touches"]


def counted_touches(
    cells: pa.Array, count: TouchCount, reading: Reading, captured_at: pa.Array
) -> tuple[pa.Table, Problems]:
    """The touches one count column stands for, and its bad cells.

    `reading` reads the cells as non-negative numbers; `captured_at` is the lead's capture
    column (null on a row refused for it, which then gets no touches).

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.frames._fields import Check, Kind
        >>> from leadpipeline.lead import InteractionKind
        >>> at = pa.array([datetime(2026, 3, 1, tzinfo=timezone.utc)] * 3)
        >>> table, problems = counted_touches(
        ...     pa.array(["2", "", "125"]),
        ...     TouchCount(header="Seconds", kind=InteractionKind.SITE_VISIT, per=60),
        ...     Reading(kind=Kind.FLOAT, checks=frozenset({Check.NON_NEGATIVE})), at)
        >>> table.column("lead").to_pylist(), problems
        ([2, 2], [])
    """
    values, problems = convert(cells, reading)
    numbers = np.asarray(pc.fill_null(values, 0.0).to_numpy(zero_copy_only=False), dtype=float)
    many = np.floor(numbers / count.per)
    too_many = many > MOST_COUNTED
    if too_many.any():
        problems.append(
            (too_many, f"more than {MOST_COUNTED} touches in one cell: a typo or a bot")
        )
    dated = np.asarray(pc.is_valid(captured_at).to_numpy(zero_copy_only=False), dtype=bool)
    many = np.where(dated & (many <= MOST_COUNTED), many, 0).astype(np.int64)
    rows = np.repeat(np.arange(len(cells), dtype=np.int64), many)
    table = pa.table(
        {
            "lead": pa.array(rows, pa.int32()),
            "kind": pa.array([count.kind.value] * len(rows), pa.string()),
            "at": captured_at.take(pa.array(rows)),
        }
    )
    return table, problems
