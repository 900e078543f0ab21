"""Durations and numbers rounded for people: "3 h", "2 working days", "57".

Why: explanations and reports are read by managers, not parsers; ``1 day, 3:12:07.5``
and ``56.9543`` say more digits than anyone acts on. Pure text formatting, no clock.
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["duration_in_words", "number_in_words", "working_day_of"]

_MINUTE, _HOUR, _DAY = 60.0, 3600.0, 86_400.0


def _unit(value: float, singular: str, plural: str | None = None) -> str:
    rounded = round(value)
    if abs(value) < 10 and abs(value - rounded) >= 0.05:  # 1.5 days reads well
        return f"{value:.1f} {plural or singular}"
    return f"{rounded} {singular if rounded == 1 else plural or singular}"


def duration_in_words(duration: timedelta, *, working_day: timedelta | None = None) -> str:
    """A duration in its largest sensible unit; with `working_day`, days are working days.

    Example:
        >>> duration_in_words(timedelta(hours=3, minutes=10))
        '3.2 h'
        >>> duration_in_words(timedelta(hours=16), working_day=timedelta(hours=8))
        '2 working days'
        >>> duration_in_words(timedelta(minutes=5))
        '5 min'
    """
    seconds = abs(duration.total_seconds())
    if working_day is not None:
        day = working_day.total_seconds()
        if seconds >= day:
            return _unit(seconds / day, "working day", "working days")
        if seconds >= _HOUR:
            return _unit(seconds / _HOUR, "working hour", "working hours")
        return _unit(seconds / _MINUTE, "working min")
    if seconds >= 2 * _DAY:
        return _unit(seconds / _DAY, "day", "days")
    if seconds >= _HOUR:
        return _unit(seconds / _HOUR, "h")
    if seconds >= _MINUTE:
        return _unit(seconds / _MINUTE, "min")
    return _unit(seconds, "s")


def number_in_words(value: float) -> str:
    """A score or points for people: whole numbers, one decimal below ten.

    Example:
        >>> number_in_words(56.9543), number_in_words(1.95432), number_in_words(-1.44)
        ('57', '2', '-1.4')
    """
    tenth = round(value, 1)
    if abs(value) >= 10 or tenth == round(tenth):  # tenths matter below ten
        return f"{round(value)}"
    return f"{tenth:.1f}"


def working_day_of(week_total: timedelta, working_days: int) -> timedelta:
    """One working day of a calendar: its weekly hours over its working days.

    Example:
        >>> working_day_of(timedelta(hours=40), 5)
        datetime.timedelta(seconds=28800)
    """
    return week_total / max(working_days, 1)
