"""Raw Arrow tables from what a host has: a CSV file, records, a DataFrame, an Arrow table.

Why: the door works on one shape, an Arrow table of the export's columns as they are, so
each kind of source needs only to become that. CSV cells stay text (the mapping decides
what they mean); records and frames keep their types, and a column of mixed types
(a number here, "lots" there) becomes text, so each cell is judged on its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv

from leadpipeline.errors import ValidationError

__all__ = ["arrow_table", "csv_batches", "csv_table", "records_table"]


def _require(headers: Sequence[str], present: Iterable[str], where: str) -> None:
    missing = sorted(set(headers) - set(present))
    if missing:
        known = ", ".join(repr(h) for h in present)
        raise ValidationError.at(
            where, f"no column {', '.join(repr(m) for m in missing)} (the columns are {known})"
        )


def _csv_options(path: Path, headers: Sequence[str]) -> tuple[Any, Any]:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as file:
            first = file.readline()
    except OSError as exc:
        raise ValidationError.at(str(path), f"cannot read: {exc.strerror}") from None
    present = next(iter(_header_row(first)), [])
    _require(headers, present, str(path))
    convert = pcsv.ConvertOptions(
        include_columns=list(headers),
        column_types=dict.fromkeys(headers, pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    return pcsv.ReadOptions(block_size=1 << 24), convert


def _header_row(line: str) -> Iterator[list[str]]:
    import csv  # noqa: PLC0415  # only the header line is parsed this way

    yield from csv.reader([line])


def csv_table(path: str | Path, headers: Sequence[str]) -> pa.Table:
    """The named columns of a CSV file, every cell as text (multi-threaded)."""
    file = Path(path)
    read, convert = _csv_options(file, headers)
    try:
        return pcsv.read_csv(file, read_options=read, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise ValidationError.at(str(file), f"not a readable CSV file: {exc}") from None


def csv_batches(path: str | Path, headers: Sequence[str], rows: int) -> Iterator[pa.Table]:
    """The named columns of a CSV file, `rows` records at a time, streamed."""
    file = Path(path)
    read, convert = _csv_options(file, headers)
    try:
        reader = pcsv.open_csv(file, read_options=read, convert_options=convert)
        pending: list[pa.RecordBatch] = []
        count = 0
        for batch in reader:
            pending.append(batch)
            count += batch.num_rows
            while count >= rows:
                table = pa.Table.from_batches(pending)
                yield table.slice(0, rows)
                rest = table.slice(rows)
                pending = rest.to_batches()
                count = rest.num_rows
        if count:
            yield pa.Table.from_batches(pending, schema=reader.schema)
    except pa.ArrowInvalid as exc:
        raise ValidationError.at(str(file), f"not a readable CSV file: {exc}") from None


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: object) -> str | None:
    if _missing(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _array(values: list[Any]) -> pa.Array:
    """One column of Python values: typed if Arrow can, else each cell as its text."""
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return pa.array([_text(v) for v in values], pa.string())


def records_table(records: Iterable[Mapping[str, Any]], headers: Sequence[str]) -> pa.Table:
    """The named fields of Python records (dicts); a record without a field holds None."""
    columns: dict[str, list[Any]] = {h: [] for h in headers}
    for record in records:
        for header, values in columns.items():
            values.append(record.get(header))
    return pa.table({h: _array(v) for h, v in columns.items()})


def arrow_table(source: Any, headers: Sequence[str]) -> pa.Table:
    """The named columns of an Arrow table, a pandas or polars DataFrame, or an Arrow stream."""
    if isinstance(source, pa.Table):
        table = source
    elif isinstance(source, pa.RecordBatch):
        table = pa.Table.from_batches([source])
    elif _is_pandas(source):
        present = [str(c) for c in source.columns]
        _require(headers, present, "frame")
        return pa.table({h: _pandas_column(source[h]) for h in headers})
    else:
        try:
            table = pa.table(source)
        except (TypeError, pa.ArrowInvalid) as exc:
            raise ValidationError.at("frame", f"not a table Arrow can read: {exc}") from None
    _require(headers, table.column_names, "table")
    return table.select(list(headers))


def _is_pandas(source: Any) -> bool:
    return type(source).__module__.startswith("pandas") and hasattr(source, "iloc")


def _pandas_column(series: Any) -> pa.Array:
    try:
        return pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return _array(series.tolist())
