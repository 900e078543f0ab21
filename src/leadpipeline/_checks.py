"""Validators shared by the value classes: the invariants every boundary guards."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import attrs

from leadpipeline.errors import ValidationError


def as_float(value: Any) -> Any:
    """Store whole numbers given for float fields as floats, so every store reads back alike."""
    return float(value) if type(value) is int else value


def aware(_: Any, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """Refuse naive datetimes: an instant without a zone is ambiguous across offices."""
    if value is None:
        return
    if not isinstance(value, datetime):
        raise ValidationError.at(attribute.name, f"expected a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.at(
            attribute.name,
            f"naive datetime {value.isoformat()} refused: give a timezone-aware datetime",
        )


def non_negative(_: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    """Counts, amounts and durations are never negative."""
    if value is None:
        return
    if not math.isfinite(value):
        raise ValidationError.at(attribute.name, f"expected a finite number, got {value!r}")
    if value < 0:
        raise ValidationError.at(attribute.name, f"must not be negative, got {value!r}")


def positive(_: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    """Sizes and durations that must be above zero."""
    if value is None:
        return
    if not math.isfinite(value):
        raise ValidationError.at(attribute.name, f"expected a finite number, got {value!r}")
    if value <= 0:
        raise ValidationError.at(attribute.name, f"must be positive, got {value!r}")


def not_blank(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    """Identifiers and reasons carry meaning; an empty one is a mistake."""
    if value is not None and not value.strip():
        raise ValidationError.at(attribute.name, "must not be blank")


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""The first instant the decisions accept as `now`."""

LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""No `now` at or after this: deadlines, offers and backoffs add up to a century to it, and
the calendar stops at the year 9999."""


def require_aware(path: str, value: datetime) -> None:
    """Refuse a naive `now` or instant passed to a pure function, or one out of range.

    An instant before 1900 or from the year 9000 on is refused (`EARLIEST`, `LATEST`):
    every duration the library adds to `now` is at most a century, so the arithmetic
    never leaves the calendar.
    """
    if not isinstance(value, datetime):
        raise ValidationError.at(path, f"expected a datetime, got {type(value).__name__}")
    if type(value) is datetime and 1900 < value.year < 8999 and value.utcoffset() is not None:
        return  # within a day of the range's ends an offset could matter: compared below
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.at(
            path, f"naive datetime {value.isoformat()} refused: give a timezone-aware datetime"
        )
    if not EARLIEST <= value < LATEST:
        raise ValidationError.at(
            path,
            f"{value.isoformat()} is out of range: give an instant from {EARLIEST.year} "
            f"up to the year {LATEST.year - 1}",
        )
