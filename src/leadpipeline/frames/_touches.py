"""Touches in: from columns of the lead row, or from a long table joined by lead id."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.errors import ConfigurationError
from leadpipeline.frames._cells import Refusals, as_mask, reading_for
from leadpipeline.frames._convert import convert
from leadpipeline.frames._fields import Kind
from leadpipeline.frames.mapping import ColumnMapping
from leadpipeline.frames.refusals import RowRefusal
from leadpipeline.lead import InteractionKind

__all__ = ["TouchReader", "touch_headers", "wide_touches"]

KINDS = {k.value: k.value for k in InteractionKind}


def touch_headers(mapping: ColumnMapping) -> list[str]:
    table = mapping.touch_table
    if table is None:
        raise ConfigurationError([("touch_table", "touches were given; describe their columns")])
    return [h for h in (table.lead_id, table.kind, table.at, table.detail) if h is not None]


def wide_touches(raw: pa.Table, mapping: ColumnMapping, refusals: Refusals) -> list[pa.Table]:
    """Touches from columns of the lead row, one table per touch column."""
    out = []
    for touch in mapping.touches:
        cells = raw.column(touch.header).combine_chunks()
        reading = reading_for(mapping, Kind.DATETIME)
        if touch.separator is None:
            at, problems = convert(cells, reading)
            rows = np.arange(len(cells))
        else:
            parts = pc.split_pattern(
                pc.fill_null(pc.cast(cells, pa.string()), ""), pattern=touch.separator
            )
            items = pc.utf8_trim_whitespace(pc.list_flatten(parts))
            parents = np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False))
            keep = np.asarray(pc.not_equal(items, "").to_numpy(zero_copy_only=False))
            at, item_problems = convert(items.filter(pa.array(keep)), reading)
            rows = parents[keep]
            problems = []
            for mask, message in item_problems:
                rows_bad = np.zeros(len(cells), dtype=bool)
                rows_bad[rows[mask]] = True
                problems.append((rows_bad, message))
        refusals.add(problems, cells, touch.header, "interactions")
        present = np.asarray(pc.is_valid(at).to_numpy(zero_copy_only=False))
        out.append(
            pa.table(
                {
                    "lead": pa.array(rows[present], pa.int32()),
                    "kind": pa.array([touch.kind.value] * int(present.sum()), pa.string()),
                    "at": at.filter(pa.array(present)),
                }
            )
        )
    return out


class TouchReader:
    """The long table of touches, converted once; joined to each batch of leads by id."""

    def __init__(self, raw: pa.Table, mapping: ColumnMapping) -> None:
        table = mapping.touch_table
        assert table is not None
        n = raw.num_rows
        found = Refusals(n, 1, "touches")
        cells = {h: raw.column(h).combine_chunks() for h in raw.column_names}
        self.lead_ids, problems = convert(cells[table.lead_id], reading_for(mapping, Kind.TEXT))
        found.add(problems, cells[table.lead_id], table.lead_id, "id")
        skip = np.zeros(n, dtype=bool)
        if table.skip:
            trimmed = pc.utf8_trim_whitespace(pc.cast(cells[table.kind], pa.string()))
            skip = as_mask(pc.is_in(trimmed, value_set=pa.array(list(table.skip), pa.string())))
        kinds_reading = reading_for(mapping, Kind.TEXT, values=table.kinds or KINDS)
        self.kinds, problems = convert(cells[table.kind], kinds_reading)
        found.add(
            [(m & ~skip, msg) for m, msg in problems],
            cells[table.kind],
            table.kind,
            "interactions.kind",
        )
        self.at, problems = convert(cells[table.at], reading_for(mapping, Kind.DATETIME))
        found.add(
            [(m & ~skip, msg) for m, msg in problems], cells[table.at], table.at, "interactions.at"
        )
        for values, header, field in (
            (self.kinds, table.kind, "interactions.kind"),
            (self.at, table.at, "interactions.at"),
        ):
            empty = ~as_mask(pc.is_valid(values)) & ~found.bad & ~skip
            found.add([(empty, "required: the cell is empty")], cells[header], header, field)
        self.detail = None
        if table.detail is not None:
            self.detail = pc.fill_null(pc.cast(cells[table.detail], pa.string()), "")
        self.skip = skip
        self.bad = found.bad
        self.refused = found.refusals()
        self.matched = np.zeros(n, dtype=bool)
        self.header = table.lead_id
        self.lead_cells = cells[table.lead_id]

    def join(self, ids: pa.Array, refusals: Refusals) -> pa.Table:
        """This batch's touches; a lead with a refused touch is refused with it."""
        lead = pc.index_in(self.lead_ids, value_set=ids)
        matched = as_mask(pc.is_valid(lead))
        self.matched |= matched
        row_of = np.asarray(pc.fill_null(lead, -1).to_numpy(zero_copy_only=False))
        for touch_row in np.flatnonzero(self.bad & matched):
            mask = np.zeros(len(refusals.bad), dtype=bool)
            mask[row_of[touch_row]] = True
            message = f"its touch on touches row {touch_row + 1} is refused"
            refusals.add([(mask, message)], None, "", "interactions")
        keep = matched & ~self.bad & ~self.skip
        chosen = pa.array(keep)
        columns = {
            "lead": pa.array(row_of[keep], pa.int32()),
            "kind": self.kinds.filter(chosen),
            "at": self.at.filter(chosen),
        }
        if self.detail is not None:
            columns["detail"] = self.detail.filter(chosen)
        return pa.table(columns)

    def unmatched(self) -> list[RowRefusal]:
        """Touch rows no lead of any batch claimed (bad rows are reported already)."""
        lost = ~self.matched & ~self.bad & ~self.skip
        found = Refusals(len(lost), 1, "touches")
        found.add([(lost, "no lead with this id was read")], self.lead_cells, self.header, "id")
        return found.refusals()
