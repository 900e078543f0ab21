"""Working hours as plain data: the intervals of each weekday, and how they are read.

Why apart from the calendar: a `WeekHours` table is what a playbook author writes; a
`BusinessCalendar` reads it (checking ordering, overlaps and format, naming a bad
interval by its path) and does the time arithmetic.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterable

import attrs

from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError

__all__ = ["WORKDAYS", "Span", "WeekHours", "Weekday"]

Span = tuple[str, str]
"""One working interval as local ``("HH:MM", "HH:MM")``; ``"24:00"`` ends at midnight."""
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")


class Weekday(enum.StrEnum):
    """The days of the week, named as in `WeekHours` (Monday is weekday 0)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """The `date.weekday()` number of this day (Monday is 0)."""
        return _WEEKDAYS.index(self)


_WEEKDAYS = tuple(Weekday)
WORKDAYS = _WEEKDAYS[:5]


@attrs.frozen(kw_only=True, field_transformer=typed)
class WeekHours:
    """Working intervals per weekday, as local ``("HH:MM", "HH:MM")`` pairs.

    Plain data; a `BusinessCalendar` checks it (ordering, overlaps, format) and names the
    bad interval by its path, such as ``hours.monday[1]``.

    Example:
        >>> week = WeekHours.uniform((("08:00", "12:00"), ("13:00", "18:00")))
        >>> week.on(Weekday.FRIDAY)
        (('08:00', '12:00'), ('13:00', '18:00'))
        >>> week.on(Weekday.SUNDAY)
        ()
    """

    monday: tuple[Span, ...] = ()
    tuesday: tuple[Span, ...] = ()
    wednesday: tuple[Span, ...] = ()
    thursday: tuple[Span, ...] = ()
    friday: tuple[Span, ...] = ()
    saturday: tuple[Span, ...] = ()
    sunday: tuple[Span, ...] = ()

    def on(self, day: Weekday) -> tuple[Span, ...]:
        """The intervals of one weekday."""
        spans: tuple[Span, ...] = getattr(self, day.value)
        return spans

    @classmethod
    def uniform(cls, spans: Iterable[Span], days: Iterable[Weekday | str] = WORKDAYS) -> WeekHours:
        """The same intervals on each of `days` (Monday to Friday unless told)."""
        chosen = tuple(spans)
        return cls(**{Weekday(d).value: chosen for d in days})


def _minute(text: object, path: str, *, is_end: bool) -> int:
    match = _HHMM.match(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigurationError.at(path, f"expected a local time 'HH:MM', got {text!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not is_end)):
        allowed = "00:00 to 24:00" if is_end else "00:00 to 23:59"
        raise ConfigurationError.at(path, f"time {text!r} out of range ({allowed})")
    return hours * 60 + minutes


def _is_pair(value: object) -> bool:
    return isinstance(value, tuple | list) and len(value) == 2  # start, end


def _parse_week(hours: WeekHours) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Minute pairs per weekday, refusing inverted, overlapping or malformed intervals."""
    week: list[tuple[tuple[int, int], ...]] = []
    for day in _WEEKDAYS:
        parsed: list[tuple[int, int, int]] = []
        for i, span in enumerate(hours.on(day)):
            path = f"hours.{day.value}[{i}]"
            if not _is_pair(span):
                raise ConfigurationError.at(path, f"expected a (start, end) pair, got {span!r}")
            start = _minute(span[0], path, is_end=False)
            end = _minute(span[1], path, is_end=True)
            if end <= start:
                raise ConfigurationError.at(
                    path,
                    f"interval {span[0]}-{span[1]} ends before it starts; split hours that "
                    "cross midnight into two days",
                )
            parsed.append((start, end, i))
        parsed.sort()
        for (_, prev_end, prev_i), (start, _, i) in itertools.pairwise(parsed):
            if start < prev_end:
                raise ConfigurationError.at(
                    f"hours.{day.value}[{i}]",
                    f"overlaps hours.{day.value}[{prev_i}]",
                )
        week.append(tuple((s, e) for s, e, _ in parsed))
    if not any(week):
        raise ConfigurationError.at("hours", "a calendar needs working hours on at least one day")
    return tuple(week)
