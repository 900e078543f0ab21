"""The readers: CSV files, records, DataFrames and Arrow tables in, a checked `LeadFrame` out.

Why: there is one door for tabular data. Every source becomes a raw Arrow table, every
mapped column is converted at once (`_convert`), and a row with any bad cell is refused
whole, with its row, column and field path; the others go on unless the caller asks to
stop. Nothing is half-imported: a lead whose touch is refused is refused with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.errors import ConfigurationError
from leadpipeline.frames._cells import Refusals, convert_column, few_values, reading_for
from leadpipeline.frames._convert import ARROW_TYPES, Problems, convert
from leadpipeline.frames._counts import counted_touches
from leadpipeline.frames._fields import Check, Kind, lead_fields, spec_of
from leadpipeline.frames._sources import arrow_table, csv_batches, csv_table, records_table
from leadpipeline.frames._touches import TouchReader, touch_headers, wide_touches
from leadpipeline.frames.frame import LeadFrame
from leadpipeline.frames.mapping import Column, ColumnMapping
from leadpipeline.frames.refusals import RowRefusal, RowsRefusedError

__all__ = ["read_arrow", "read_csv", "read_pandas", "read_records", "stream_csv"]

_RESULTS = {
    "won": "won",
    "lost": "lost",
    "open": "open",
    "Won": "won",
    "Lost": "lost",
    "Open": "open",
}
Source = Any
"""A CSV path, records, a pandas or polars DataFrame, or an Arrow table."""


def _headers(mapping: ColumnMapping) -> list[str]:
    headers = [
        mapping.id,
        *(c.header for c in mapping.columns),
        *(t.header for t in mapping.touches),
        *(t.header for t in mapping.counts),
    ]
    if mapping.outcome is not None:
        headers += [h for h, _, _ in mapping.outcome.columns()]
    return list(dict.fromkeys(headers))


def _constant(mapping: ColumnMapping, path: str, n: int) -> pa.Array:
    spec = lead_fields()[path]
    value, problems = convert(
        pa.array([mapping.constants[path]]), reading_for(mapping, spec.kind, checks=spec.checks)
    )
    if any(mask.any() for mask, _ in problems):
        message = next(m for mask, m in problems if mask.any())
        raise ConfigurationError([(f"constants.{path}", message)])
    return pa.repeat(value[0], n) if n else pa.nulls(0, value.type)


def _mapped_column(
    raw: pa.Table, mapping: ColumnMapping, column: Column
) -> tuple[pa.Array, pa.Array, Problems]:
    """One mapped column's cells, its canonical column and its bad cells."""
    spec = lead_fields()[column.field]
    reading = reading_for(
        mapping,
        spec.kind,
        checks=spec.checks,
        values=column.values,
        unmapped=column.unmapped,
        separator=column.separator,
        formats=column.formats or mapping.date_formats,
    )
    cells = raw.column(column.header).combine_chunks()
    return (cells, *convert_column(cells, reading))


def _leads_columns(
    raw: pa.Table, mapping: ColumnMapping, refusals: Refusals, seen: set[str] | None
) -> dict[str, pa.Array]:
    """Every canonical column of the lead table; bad cells are in `refusals`.

    The columns are converted side by side on the cores (Arrow and numpy release the
    interpreter's lock); their refusals are gathered in the mapping's order.
    """
    n = raw.num_rows
    columns: dict[str, pa.Array] = {}
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 4)) as pool:
        converted = [pool.submit(_mapped_column, raw, mapping, c) for c in mapping.columns]
        raw_id = raw.column(mapping.id).combine_chunks()
        ids, problems = convert(
            raw_id, reading_for(mapping, Kind.TEXT, checks=frozenset({Check.NOT_BLANK}))
        )
        problems.append(
            (
                ~np.asarray(pc.is_valid(ids).to_numpy(zero_copy_only=False)),
                "required: the cell is empty",
            )
        )
        refusals.add(problems, raw_id, mapping.id, "id")
        refusals.add(_duplicates(ids, refusals.first_row, seen), raw_id, mapping.id, "id")
        columns["id"] = ids
        for column, future in zip(mapping.columns, converted, strict=True):
            cells, values, problems = future.result()
            refusals.add(problems, cells, column.header, column.field)
            columns[column.field] = values
    for path in mapping.constants:
        columns[path] = _constant(mapping, path, n)
    for spec in lead_fields().values():
        if not spec.required or spec.path not in columns:
            continue
        empty = ~np.asarray(pc.is_valid(columns[spec.path]).to_numpy(zero_copy_only=False))
        if spec.within is not None:
            anchor = next(
                s for s in lead_fields().values() if s.within == spec.within and s.required
            )
            if anchor.path == spec.path:
                continue
            empty &= np.asarray(pc.is_valid(columns[anchor.path]).to_numpy(zero_copy_only=False))
            message = f"required with {anchor.path}: the cell is empty"
        else:
            message = "required: the cell is empty"
        empty &= ~refusals.bad
        feeding = mapping.column_for(spec.path)
        header = feeding.header if feeding is not None else ""
        raw_cells = raw.column(header).combine_chunks() if header else None
        refusals.add([(empty, message)], raw_cells, header, spec.path)
    if mapping.outcome is not None:
        for header, name, values in mapping.outcome.columns():
            outcome_spec = spec_of(name)
            assert outcome_spec is not None
            options: dict[str, Any] = {"checks": outcome_spec.checks}
            if name == "outcome.result":
                options["values"] = values or _RESULTS
            elif values:
                options["values"] = values
            cells = raw.column(header).combine_chunks()
            converted, problems = convert(cells, reading_for(mapping, outcome_spec.kind, **options))
            if name == "outcome.result":
                converted = pc.if_else(
                    pc.equal(converted, "open"), pa.nulls(n, pa.string()), converted
                )
            refusals.add(problems, cells, header, name)
            columns[name] = converted
    return columns


def _duplicates(ids: pa.Array, first_row: int, seen: set[str] | None) -> Problems:
    """Rows whose id came before (in this batch or, when streaming, an earlier one)."""
    n = len(ids)
    encoded = pc.dictionary_encode(ids)
    codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))
    valid = codes >= 0
    first = np.full(len(encoded.dictionary), n, dtype=np.int64)
    np.minimum.at(first, codes[valid], np.flatnonzero(valid))
    later = np.zeros(n, dtype=bool)
    later[valid] = first[codes[valid]] < np.flatnonzero(valid)
    problems: Problems = []
    if later.any():
        for row in np.flatnonzero(later):
            mask = np.zeros(n, dtype=bool)
            mask[row] = True
            problems.append(
                (mask, f"duplicate id: first given on row {first_row + first[codes[row]]}")
            )
    if seen is not None:
        before = (
            np.asarray(
                pc.is_in(ids, value_set=pa.array(list(seen), pa.string())).to_numpy(
                    zero_copy_only=False
                )
            )
            if seen
            else np.zeros(n, dtype=bool)
        )
        problems.append((before & valid, "duplicate id: given in an earlier batch"))
        seen.update(v for v in encoded.dictionary.to_pylist() if v is not None)
    return problems


def _compact(values: pa.Array) -> pa.Array:
    """A text column with few distinct values as a dictionary, each value tested once."""
    encoded = few_values(values)
    return values if encoded is None else encoded


def _assemble(
    columns: dict[str, pa.Array],
    touches: list[pa.Table],
    refusals: Refusals,
    *,
    mapping: ColumnMapping,
    read: int,
    extra: list[RowRefusal],
    stop: bool,
) -> LeadFrame:
    """The accepted rows and their touches; refused rows are left out whole."""
    refused = tuple(refusals.refusals() + extra)
    if stop and refused:
        raise RowsRefusedError(refused)
    accepted = ~refusals.bad
    everyone = not refusals.bad.any()
    chosen = pa.array(accepted)
    n = len(accepted)
    rows = np.arange(refusals.first_row, refusals.first_row + n, dtype=np.int64)
    leads = pa.table(
        {
            name: _compact(values if everyone else values.filter(chosen))
            for name, values in ({"id": columns["id"], "row": pa.array(rows)} | columns).items()
        }
    )
    new_index = np.cumsum(accepted, dtype=np.int64) - 1
    parts = [t.select(["lead", "kind", "at"]) for t in touches if t.num_rows]
    if parts:
        joined = pa.concat_tables(parts)
        lead = np.asarray(joined.column("lead").to_numpy())
        keep = accepted[lead]
        order = np.argsort(new_index[lead[keep]], kind="stable")
        kept = joined.filter(pa.array(keep)).take(pa.array(order))
        touches_table = pa.table(
            {
                "lead": pa.array(new_index[lead[keep]][order], pa.int32()),
                "kind": kept.column("kind").combine_chunks().dictionary_encode(),
                "at": kept.column("at"),
            }
        )
    else:
        touches_table = pa.table(
            {
                "lead": pa.array([], pa.int32()),
                "kind": pa.array([], pa.string()).dictionary_encode(),
                "at": pa.array([], ARROW_TYPES[Kind.DATETIME]),
            }
        )
    return LeadFrame(
        leads=leads, touches=touches_table, mapping=mapping, read=read, refused=refused
    )


def _read(
    raw: pa.Table,
    mapping: ColumnMapping,
    *,
    first_row: int = 1,
    touches: TouchReader | None = None,
    seen: set[str] | None = None,
    stop: bool = False,
    final: bool = True,
) -> LeadFrame:
    refusals = Refusals(raw.num_rows, first_row)
    columns = _leads_columns(raw, mapping, refusals, seen)
    tables = wide_touches(raw, mapping, refusals)
    for count in mapping.counts:
        cells = raw.column(count.header).combine_chunks()
        reading = reading_for(mapping, Kind.FLOAT, checks=frozenset({Check.NON_NEGATIVE}))
        counted, problems = counted_touches(cells, count, reading, columns["source.captured_at"])
        refusals.add(problems, cells, count.header, "interactions")
        tables.append(counted)
    extra: list[RowRefusal] = []
    if touches is not None:
        tables.append(touches.join(columns["id"], refusals))
        if final:
            extra = touches.refused + touches.unmatched()
    return _assemble(
        columns, tables, refusals, mapping=mapping, read=raw.num_rows, extra=extra, stop=stop
    )


def _touches_of(source: Source | None, mapping: ColumnMapping) -> TouchReader | None:
    if source is None:
        return None
    headers = touch_headers(mapping)
    return TouchReader(_raw(source, headers), mapping)


def _raw(source: Source, headers: list[str]) -> pa.Table:
    if isinstance(source, str | Path):
        return csv_table(source, headers)
    if (
        isinstance(source, Iterable)
        and not hasattr(source, "__arrow_c_stream__")
        and not (type(source).__module__.startswith(("pandas", "polars", "pyarrow")))
    ):
        return records_table(source, headers)
    return arrow_table(source, headers)


def read_csv(
    path: str | Path,
    mapping: ColumnMapping,
    *,
    touches: Source | None = None,
    stop_on_refusal: bool = False,
) -> LeadFrame:
    """Read a CSV export (and optionally its long table of touches) into a `LeadFrame`.

    `touches` may be a CSV path or any source the other readers take. Every cell is read
    as text and converted by the mapping; a refused row is reported in
    `LeadFrame.refused` and the others are read, unless `stop_on_refusal` is set.

    Raises:
        RowsRefusedError: with `stop_on_refusal`, when any row is refused.
        ValidationError: the file is unreadable or lacks a mapped column.
    """
    return _read(
        csv_table(path, _headers(mapping)),
        mapping,
        touches=_touches_of(touches, mapping),
        stop=stop_on_refusal,
    )


def stream_csv(
    path: str | Path,
    mapping: ColumnMapping,
    *,
    touches: Source | None = None,
    batch_rows: int = 100_000,
    stop_on_refusal: bool = False,
) -> Iterator[LeadFrame]:
    """Read a CSV export of any size as `LeadFrame` batches of `batch_rows` records.

    Ids are checked for duplicates across batches. The long table of touches, if any,
    is read once and joined to each batch; touches no batch claimed are reported with
    the last batch.
    """
    prepared = _touches_of(touches, mapping)
    seen: set[str] = set()
    previous: tuple[pa.Table, int] | None = None
    first_row = 1
    for raw in csv_batches(path, _headers(mapping), batch_rows):
        if previous is not None:
            yield _read(
                previous[0],
                mapping,
                first_row=previous[1],
                touches=prepared,
                seen=seen,
                stop=stop_on_refusal,
                final=False,
            )
        previous = (raw, first_row)
        first_row += raw.num_rows
    if previous is not None:
        yield _read(
            previous[0],
            mapping,
            first_row=previous[1],
            touches=prepared,
            seen=seen,
            stop=stop_on_refusal,
        )


def read_records(
    records: Iterable[Mapping[str, Any]],
    mapping: ColumnMapping,
    *,
    touches: Source | None = None,
    stop_on_refusal: bool = False,
) -> LeadFrame:
    """Read Python records (dicts keyed by column) into a `LeadFrame`.

    NaN and None are missing; a field a record lacks is missing.
    """
    return _read(
        records_table(records, _headers(mapping)),
        mapping,
        touches=_touches_of(touches, mapping),
        stop=stop_on_refusal,
    )


def read_pandas(
    frame: Any,
    mapping: ColumnMapping,
    *,
    touches: Source | None = None,
    stop_on_refusal: bool = False,
) -> LeadFrame:
    """Read a pandas DataFrame into a `LeadFrame`; NaN never reaches a lead."""
    return _read(
        arrow_table(frame, _headers(mapping)),
        mapping,
        touches=_touches_of(touches, mapping),
        stop=stop_on_refusal,
    )


def read_arrow(
    table: Any,
    mapping: ColumnMapping,
    *,
    touches: Source | None = None,
    stop_on_refusal: bool = False,
) -> LeadFrame:
    """Read an Arrow table (or a polars DataFrame, or any Arrow stream) into a `LeadFrame`."""
    return _read(
        arrow_table(table, _headers(mapping)),
        mapping,
        touches=_touches_of(touches, mapping),
        stop=stop_on_refusal,
    )
