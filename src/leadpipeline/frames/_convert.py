"""One column of an export made into one canonical column, with every bad cell found.

Why: the door checks a whole column at once (Arrow compute kernels over a million cells)
instead of one cell at a time, yet must refuse exactly the cells a value's constructor
would: missing tokens become null, value maps apply, numbers and dates parse strictly,
and the invariants of the field (not negative, positive) hold. A kernel that is lenient
(Arrow's ``strptime`` turns 30 February into 2 March) is checked by writing the result
back and comparing; cells it cannot vouch for are parsed by Python, which decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leadpipeline.frames._fields import Check, Kind
from leadpipeline.frames.mapping import Unmapped

__all__ = ["ARROW_TYPES", "Problems", "Reading", "convert"]

ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.TEXT: pa.string(),
    Kind.INT: pa.int64(),
    Kind.FLOAT: pa.float64(),
    Kind.DATE: pa.date32(),
    Kind.DATETIME: pa.timestamp("us", tz="UTC"),
    Kind.TEXTS: pa.list_(pa.string()),
}
"""The Arrow type of each kind of canonical column: instants are microseconds in UTC."""

Problems = list[tuple[np.ndarray, str]]
"""Bad cells: a mask over the column's rows and the message for every row it marks."""

_INT = r"^[+-]?[0-9]+(\.0*)?$"
_FLOAT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ISO_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?"
_ZONE = r"(Z|[+-][0-9]{2}:[0-9]{2})$"
_LARGEST_EXACT = 2.0**53
_EXPECTED = {
    Kind.TEXT: "text",
    Kind.INT: "a whole number",
    Kind.FLOAT: "a number",
    Kind.DATE: "a date",
    Kind.DATETIME: "a date-time",
    Kind.TEXTS: "a list of texts",
}


@attrs.frozen(kw_only=True)
class Reading:
    """How to read one column: the field's kind and checks, and the mapping's options."""

    kind: Kind
    checks: frozenset[Check] = frozenset()
    values: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    unmapped: Unmapped = Unmapped.REFUSE
    separator: str = ";"
    formats: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    time_zone: str = "UTC"
    decimal: str = "."
    thousands: str | None = None


def _mask(array: pa.Array) -> np.ndarray:
    """A boolean Arrow array as a numpy mask, null counting as False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _nulls_where(array: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return array
    return pc.if_else(pa.array(mask), pa.nulls(len(array), array.type), array)


def convert(raw: pa.Array, reading: Reading) -> tuple[pa.Array, Problems]:
    """The canonical column for `raw` and its bad cells (which are null in the result).

    Example:
        >>> col, problems = convert(pa.array(["12", " 7 ", "Select", "lots", "-3"]),
        ...                         Reading(kind=Kind.INT, checks=frozenset({Check.NON_NEGATIVE}),
        ...                                 missing=("", "Select")))
        >>> col.to_pylist()
        [12, 7, None, None, None]
        >>> [(np.flatnonzero(mask).tolist(), message) for mask, message in problems]
        [([3], 'expected a whole number'), ([4], 'must not be negative')]
    """
    if pa.types.is_dictionary(raw.type):
        return _through_dictionary(raw, reading)
    problems: Problems = []
    typ = raw.type
    if pa.types.is_null(typ):
        out = pa.nulls(len(raw), ARROW_TYPES[reading.kind])
    elif pa.types.is_string(typ) or pa.types.is_large_string(typ) or reading.values:
        out = _from_text(_as_text(raw, reading, problems), reading, problems)
    else:
        out = _from_typed(raw, reading, problems)
    if reading.kind is Kind.TEXTS and out.null_count:
        out = pc.fill_null(out, pa.scalar([], pa.list_(pa.string())))
    out = _check(out, reading, problems)
    return out, problems


def _through_dictionary(raw: pa.Array, reading: Reading) -> tuple[pa.Array, Problems]:
    """Convert each distinct value once, then spread the results over the rows."""
    assert isinstance(raw, pa.DictionaryArray)
    values, problems = convert(raw.dictionary, reading)
    indices = raw.indices
    out = values.take(indices)
    if reading.kind is Kind.TEXTS and out.null_count:
        out = pc.fill_null(out, pa.scalar([], pa.list_(pa.string())))
    index = np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False))
    valid = index >= 0
    spread = []
    for mask, message in problems:
        rows = np.zeros(len(raw), dtype=bool)
        rows[valid] = mask[index[valid]]
        spread.append((rows, message))
    return out, spread


def _as_text(raw: pa.Array, reading: Reading, problems: Problems) -> pa.Array:
    """A text column (from any input type a value map may read) with its texts trimmed."""
    typ = raw.type
    if pa.types.is_floating(typ):
        raw = _nulls_where(raw, _mask(pc.is_nan(raw)))
        whole = _mask(pc.equal(pc.floor(raw), raw))
        valid = _mask(pc.is_valid(raw))
        problems.append((valid & ~whole, f"expected {_EXPECTED[reading.kind]}, got a number"))
        raw = pc.cast(_nulls_where(raw, valid & ~whole), pa.int64())
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        if not (pa.types.is_integer(raw.type)):
            valid = _mask(pc.is_valid(raw))
            problems.append((valid, f"expected {_EXPECTED[reading.kind]}, got {typ}"))
            return pa.nulls(len(raw), pa.string())
        raw = pc.cast(raw, pa.string())
    text = pc.utf8_trim_whitespace(pc.cast(raw, pa.string()))
    missing = _mask(pc.is_in(text, value_set=pa.array(["", *reading.missing], pa.string())))
    return _nulls_where(text, missing)


def _from_text(text: pa.Array, reading: Reading, problems: Problems) -> pa.Array:
    if reading.values:
        text = _apply_values(text, reading, problems)
    match reading.kind:
        case Kind.TEXT:
            return text
        case Kind.TEXTS:
            return _split(text, reading)
        case Kind.INT | Kind.FLOAT:
            return _numbers(text, reading, problems)
        case Kind.DATE | Kind.DATETIME:
            return _instants(text, reading, problems)


def _apply_values(text: pa.Array, reading: Reading, problems: Problems) -> pa.Array:
    keys = pa.array(list(reading.values), pa.string())
    targets = pa.array([v.strip() or None for v in reading.values.values()], pa.string())
    index = pc.index_in(text, value_set=keys)
    mapped = targets.take(index)
    unknown = _mask(pc.and_(pc.is_valid(text), pc.is_null(index)))
    if not unknown.any():
        return mapped
    if reading.unmapped is Unmapped.KEEP:
        return pc.if_else(pa.array(unknown), text, mapped)
    if reading.unmapped is Unmapped.REFUSE:
        known = ", ".join(repr(k) for k in reading.values)
        problems.append((unknown, f"unknown value; the mapping knows {known}"))
    return mapped


def _split(text: pa.Array, reading: Reading) -> pa.Array:
    """A list column: each cell split, its items trimmed, blanks and missing tokens dropped."""
    parts = pc.split_pattern(pc.fill_null(text, ""), pattern=reading.separator)
    items = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    parents = np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False))
    drop = pc.is_in(items, value_set=pa.array(["", *reading.missing], pa.string()))
    keep = ~_mask(drop)
    counts = np.bincount(parents[keep], minlength=len(text))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), items.filter(pa.array(keep)))


def _numbers(text: pa.Array, reading: Reading, problems: Problems) -> pa.Array:
    if reading.thousands:
        text = pc.replace_substring(text, pattern=reading.thousands, replacement="")
    if reading.decimal != ".":
        text = pc.replace_substring(text, pattern=reading.decimal, replacement=".")
    whole = reading.kind is Kind.INT
    try:  # the common case: every cell a plain number; a failure falls back to checking each
        fast = pc.cast(text, pa.int64() if whole else pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        fast = None
    if fast is not None and (whole or not _mask(pc.invert(pc.is_finite(fast))).any()):
        # unsafe: a whole number past 2**53 is rounded here and refused as too large there
        return _finish_numbers(pc.cast(fast, pa.float64(), safe=False), reading, problems)
    valid = _mask(pc.is_valid(text))
    ok = _mask(pc.match_substring_regex(text, pattern=_INT if whole else _FLOAT))
    bad = valid & ~ok
    problems.append((bad, f"expected {_EXPECTED[reading.kind]}"))
    numbers = pc.cast(_nulls_where(text, bad), pa.float64())
    return _finish_numbers(numbers, reading, problems)


def _finish_numbers(numbers: pa.Array, reading: Reading, problems: Problems) -> pa.Array:
    values = np.asarray(pc.fill_null(numbers, 0.0).to_numpy(zero_copy_only=False))
    limit = _LARGEST_EXACT if reading.kind is Kind.INT else np.inf
    bad = ~(np.abs(values) < limit)
    if bad.any():
        problems.append((bad, "expected a finite number" if limit == np.inf else "too large"))
        numbers = _nulls_where(numbers, bad)
    if reading.kind is Kind.INT:
        return pc.cast(numbers, pa.int64())
    return numbers


def _from_typed(raw: pa.Array, reading: Reading, problems: Problems) -> pa.Array:
    """Typed input (records, DataFrames, Arrow): take what fits the field, refuse the rest."""
    typ, kind = raw.type, reading.kind
    valid = _mask(pc.is_valid(raw))
    if kind in (Kind.INT, Kind.FLOAT) and (pa.types.is_integer(typ) or pa.types.is_floating(typ)):
        numbers = pc.cast(raw, pa.float64())
        nan = _mask(pc.is_nan(numbers))
        numbers = _nulls_where(numbers, nan)
        if kind is Kind.INT:
            fraction = valid & ~nan & ~_mask(pc.equal(pc.floor(numbers), numbers))
            fraction &= _mask(pc.is_finite(numbers))
            problems.append((fraction, "expected a whole number"))
            numbers = _nulls_where(numbers, fraction)
        return _finish_numbers(numbers, reading, problems)
    if kind is Kind.TEXT and pa.types.is_integer(typ):
        return _as_text(raw, reading, problems)
    if kind is Kind.TEXT and pa.types.is_floating(typ):
        nan = _mask(pc.is_nan(raw))
        problems.append((valid & ~nan, "expected text, got a number"))
        return pa.nulls(len(raw), pa.string())
    if kind is Kind.DATETIME and pa.types.is_timestamp(typ):
        return _to_utc(raw, reading, problems)
    if kind is Kind.DATETIME and pa.types.is_date(typ):
        return _to_utc(pc.cast(pc.cast(raw, pa.date32()), pa.timestamp("us")), reading, problems)
    if kind is Kind.DATE and pa.types.is_date(typ):
        return pc.cast(raw, pa.date32())
    if kind is Kind.DATE and pa.types.is_timestamp(typ):
        if typ.tz is not None:
            raw = pc.local_timestamp(raw)
        day = pc.cast(pc.cast(raw, pa.date32()), pa.timestamp(typ.unit))
        timed = valid & ~_mask(pc.equal(day, raw))
        problems.append((timed, "expected a date without a time"))
        return pc.cast(_nulls_where(raw, timed), pa.date32())
    if kind is Kind.TEXTS and (pa.types.is_list(typ) or pa.types.is_large_list(typ)):
        items = pc.list_flatten(raw)
        if pa.types.is_string(items.type) or pa.types.is_large_string(items.type):
            return _clean_lists(raw, reading)
    problems.append((valid, f"expected {_EXPECTED[kind]}, got {typ}"))
    return pa.nulls(len(raw), ARROW_TYPES[kind])


def _clean_lists(raw: pa.Array, reading: Reading) -> pa.Array:
    items = pc.utf8_trim_whitespace(pc.cast(pc.list_flatten(raw), pa.string()))
    parents = np.asarray(pc.list_parent_indices(raw).to_numpy(zero_copy_only=False))
    drop = pc.is_in(items, value_set=pa.array(["", *reading.missing], pa.string()))
    keep = ~_mask(drop)
    counts = np.bincount(parents[keep], minlength=len(raw))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), items.filter(pa.array(keep)))


# --- dates and times ----------------------------------------------------------------------

Stamps = tuple[pa.Array, np.ndarray]
"""Naive stamps and which of them were given with an offset (those are already UTC)."""


def _instants(text: pa.Array, reading: Reading, problems: Problems) -> pa.Array:
    """Dates or date-times from text: the given formats in order, else ISO 8601."""
    date_only = reading.kind is Kind.DATE
    if reading.formats:
        stamps = _with_formats(text, reading, problems)
    else:
        stamps = _iso(text, date_only=date_only, problems=problems)
    if date_only:
        return pc.cast(stamps[0], pa.date32())
    return _localize(stamps, reading, problems)


def _python_parse(
    text: pa.Array, rows: np.ndarray, parse: Callable[[str], datetime | None]
) -> list[datetime | None]:
    """Parse the cells at `rows` one by one in Python: the final word on a doubtful cell."""
    seen: dict[str, datetime | None] = {}
    out = []
    for cell in text.take(pa.array(rows)).to_pylist():
        if cell not in seen:
            seen[cell] = parse(cell)
        out.append(seen[cell])
    return out


def _place(
    rows: np.ndarray,
    parsed: list[datetime | None],
    result: np.ndarray,
    aware: np.ndarray,
    left: np.ndarray,
) -> None:
    """Put Python's parses into the result; aware ones as UTC, marked."""
    for row, value in zip(rows, parsed, strict=True):
        if value is None:
            continue
        naive = value
        if value.tzinfo is not None:
            naive = value.astimezone(UTC).replace(tzinfo=None)
            aware[row] = True
        result[row] = np.datetime64(naive, "us")
        left[row] = False


def _iso(text: pa.Array, *, date_only: bool, problems: Problems) -> Stamps:
    """ISO 8601: one cast per group of cells, and Python for a group Arrow refuses."""
    n = len(text)
    for typ, zoned in ((pa.timestamp("us", tz="UTC"), True), (pa.timestamp("us"), False)):
        if date_only:
            break
        try:  # the common case: every cell alike, all with an offset or none
            cast = pc.cast(text, typ)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return cast.cast(pa.timestamp("us")), np.full(n, zoned)
    valid = _mask(pc.is_valid(text))
    pattern = _ISO_DATE if date_only else _ISO_TIME + "(" + _ZONE + "|$)"
    shaped = valid & _mask(pc.match_substring_regex(text, pattern=pattern))
    if date_only:
        groups = [(shaped, pa.date32())]
    else:
        zoned = shaped & _mask(pc.match_substring_regex(text, pattern=_ZONE))
        groups = [(shaped & ~zoned, pa.timestamp("us")), (zoned, pa.timestamp("us", tz="UTC"))]
    result = np.zeros(n, dtype="datetime64[us]")
    aware = np.zeros(n, dtype=bool)
    left = valid.copy()
    for rows_mask, typ in groups:
        rows = np.flatnonzero(rows_mask)
        if not len(rows):
            continue
        try:
            cast = pc.cast(text.take(pa.array(rows)), typ)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parse = _parse_date if date_only else _parse_datetime
            _place(rows, _python_parse(text, rows, parse), result, aware, left)
            continue
        naive = pc.cast(cast, pa.timestamp("us")) if date_only else cast.cast(pa.timestamp("us"))
        result[rows] = np.asarray(naive.to_numpy(zero_copy_only=False), "datetime64[us]")
        aware[rows] = pa.types.is_timestamp(typ) and typ.tz is not None
        left[rows] = False
    if date_only:
        expected = "an ISO 8601 date (2026-03-01)"
    else:
        expected = "an ISO 8601 date-time (2026-03-01T10:00:00+01:00)"
    problems.append((left, f"expected {expected}"))
    return pa.array(result, pa.timestamp("us"), mask=~(valid & ~left)), aware


def _parse_date(cell: str) -> datetime | None:
    try:
        day = date.fromisoformat(cell)
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day)


def _parse_datetime(cell: str) -> datetime | None:
    try:
        return datetime.fromisoformat(cell)
    except ValueError:
        return None


def _with_formats(text: pa.Array, reading: Reading, problems: Problems) -> Stamps:
    """Each format in turn on the cells still unparsed; Arrow first, checked by writing back."""
    n = len(text)
    valid = _mask(pc.is_valid(text))
    left = valid.copy()
    result = np.zeros(n, dtype="datetime64[us]")
    aware = np.zeros(n, dtype=bool)
    for fmt in reading.formats:
        rows = np.flatnonzero(left)
        if not len(rows):
            break
        subset = text.take(pa.array(rows))
        parsed = pc.strptime(subset, format=fmt, unit="us", error_is_null=True)
        if parsed.type.tz is None:  # an offset cannot be written back as it was given
            same = _mask(pc.equal(pc.strftime(parsed, format=fmt), subset))
            done = rows[same]
            stamps = parsed.filter(pa.array(same)).to_numpy(zero_copy_only=False)
            result[done] = np.asarray(stamps, "datetime64[us]")
            left[done] = False
            rows = rows[~same]
        if len(rows):

            def parse(cell: str, fmt: str = fmt) -> datetime | None:
                try:
                    return datetime.strptime(cell, fmt)
                except ValueError:
                    return None

            _place(rows, _python_parse(text, rows, parse), result, aware, left)
    problems.append((left, f"expected a date like {' or '.join(reading.formats)}"))
    return pa.array(result, pa.timestamp("us"), mask=~(valid & ~left)), aware


def _to_utc(stamps: pa.Array, reading: Reading, problems: Problems) -> pa.Array:
    """Typed instants in UTC: aware ones as they are, naive ones read in the mapping's zone."""
    if stamps.type.tz is not None:
        return pc.cast(stamps, ARROW_TYPES[Kind.DATETIME])
    naive = pc.cast(stamps, pa.timestamp("us"))
    return _localize((naive, np.zeros(len(naive), dtype=bool)), reading, problems)


def _localize(stamps: Stamps, reading: Reading, problems: Problems) -> pa.Array:
    """Naive local stamps read in the mapping's zone; a wall time that never was is refused.

    A wall time that happened twice (when the clocks go back) is the first of the two,
    as Python reads it (``fold=0``).
    """
    naive, aware = stamps
    utc = ARROW_TYPES[Kind.DATETIME]
    if reading.time_zone == "UTC" or aware.all():
        return naive.cast(utc)
    local = _nulls_where(naive, aware)
    zone = reading.time_zone
    early = pc.assume_timezone(local, timezone=zone, ambiguous="earliest", nonexistent="earliest")
    late = pc.assume_timezone(local, timezone=zone, ambiguous="earliest", nonexistent="latest")
    gap = _mask(pc.not_equal(early, late))
    problems.append((gap, f"does not exist in {zone}: the clocks went forward"))
    early = _nulls_where(pc.cast(early, utc), gap)
    if not aware.any():
        return early
    return pc.if_else(pa.array(aware), naive.cast(utc), early)


def _check(out: pa.Array, reading: Reading, problems: Problems) -> pa.Array:
    """The field's invariants: cells that break one are refused and become null."""
    for check in sorted(reading.checks):
        if check is Check.NON_NEGATIVE and reading.kind in (Kind.INT, Kind.FLOAT):
            bad = _mask(pc.less(out, 0))
            message = "must not be negative"
        elif check is Check.POSITIVE and reading.kind in (Kind.INT, Kind.FLOAT):
            bad = _mask(pc.less_equal(out, 0))
            message = "must be positive"
        else:
            continue
        if bad.any():
            problems.append((bad, message))
            out = _nulls_where(out, bad)
    return out
