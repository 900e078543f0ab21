"""Scalars from JSON and TOML, strictly: no silent coercion of one kind into another.

Why apart from the converter: these are the leaves every value is checked against, one
function per scalar type, registered on the converter in `serialization`.
"""

from __future__ import annotations

import enum
import functools
import math
from datetime import date, datetime, timedelta
from typing import Any

from leadpipeline._durations import parse_duration
from leadpipeline._json import LongNumber
from leadpipeline._paths import RefusedError

__all__ = [
    "expected",
    "structure_bool",
    "structure_date",
    "structure_datetime",
    "structure_enum",
    "structure_float",
    "structure_int",
    "structure_str",
    "structure_timedelta",
]


def expected(what: str, value: object) -> RefusedError:
    return RefusedError(f"expected {what}, got {type(value).__name__} {value!r}")


def structure_str(value: object, cls: type) -> Any:
    if cls is not str and issubclass(cls, enum.Enum):
        return structure_enum(value, cls)
    if type(value) is not str:
        raise expected("a string", value)
    return value


def structure_int(value: object, cls: type) -> Any:
    if cls is not int and issubclass(cls, enum.Enum):
        return structure_enum(value, cls)
    if type(value) is LongNumber:
        raise RefusedError(f"expected an integer, got a number of {len(value)} digits")
    if type(value) is not int:
        raise expected("an integer", value)
    return value


def structure_float(value: object, _: type) -> float:
    if type(value) is LongNumber:
        raise RefusedError(f"expected a number, got a number of {len(value)} digits")
    if type(value) not in (int, float):
        raise expected("a number", value)
    try:
        result = float(value)  # type: ignore[arg-type]  # checked just above
    except OverflowError:
        raise expected("a number that fits a float", value) from None
    if not math.isfinite(result):
        raise expected("a finite number", value)
    return result


def structure_bool(value: object, _: type) -> bool:
    if type(value) is not bool:
        raise expected("true or false", value)
    return value


def structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        result = value
    elif type(value) is str:
        try:
            result = datetime.fromisoformat(value)
        except ValueError:
            raise RefusedError(f"expected an ISO 8601 datetime, got {value!r}") from None
    else:
        raise expected("an ISO 8601 datetime string", value)
    if result.tzinfo is None or result.utcoffset() is None:
        raise RefusedError(f"naive datetime {value!r} refused: include a UTC offset")
    return result


def structure_date(value: object, _: type) -> date:
    if isinstance(value, datetime):
        raise expected("a date without time", value)
    if isinstance(value, date):
        return value
    if type(value) is str:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise RefusedError(f"expected an ISO 8601 date, got {value!r}") from None
    raise expected("an ISO 8601 date string", value)


def structure_timedelta(value: object, _: type) -> timedelta:
    if type(value) is str:  # "3d", "8h", "30m" or ISO 8601 "PT8H", as a playbook writes them
        try:
            return parse_duration(value)
        except (ValueError, OverflowError) as exc:
            raise RefusedError(str(exc)) from None
    seconds = structure_float(value, float)
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise expected("a number of seconds within 999999999 days", value) from None


def structure_enum(value: object, cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, cls):
        return value
    try:
        return _members(cls)[type(value), value]
    except (KeyError, TypeError):  # TypeError: a value no dict can hold (a list, say)
        allowed = ", ".join(repr(m.value) for m in cls)
        raise RefusedError(f"expected one of {allowed}, got {value!r}") from None


@functools.cache
def _members(cls: type[enum.Enum]) -> dict[tuple[type, object], enum.Enum]:
    """An enum's members by value and the value's exact type (``1`` is not ``True``)."""
    return {(type(m.value), m.value): m for m in cls}
