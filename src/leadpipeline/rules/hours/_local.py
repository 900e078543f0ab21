"""One local day's working hours as the real instants whose wall-clock time lies in them.

Why exact: business time counts the real minutes during which the office clock shows an
opening hour. On most days an interval of wall-clock time is one real interval, shifted
by the day's UTC offset. On the nights the clocks change it is not: a wall time inside a
spring-forward gap never shows, so an interval that reaches into the gap is shorter; a
wall time inside a fall-back overlap shows twice, so an interval that reaches into the
repeated hour holds both showings of that part, and an interval that ends inside the
repeated hour (or starts there) holds only the showings of its own wall times. Reading
the day piece by piece, one UTC offset at a time, gives each case without special rules,
in every zone, wherever the change falls (02:00, midnight, or any other time).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["day_intervals"]

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_PROBE = timedelta(hours=3)
"""Offsets are probed this far apart: no zone changes its clock twice within three hours."""
_Interval = tuple[datetime, datetime]


def _offset_at(instant: datetime, tz: ZoneInfo) -> timedelta:
    """The UTC offset in force at a real instant (an aware UTC datetime)."""
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always gives an offset
    return offset


def _change(lo: datetime, hi: datetime, before: timedelta, tz: ZoneInfo) -> datetime:
    """The first whole second after `lo` (up to `hi`) whose offset is no longer `before`."""
    while hi - lo > _SECOND:
        mid = lo + (hi - lo) // 2
        mid -= timedelta(microseconds=mid.microsecond)
        if mid <= lo:
            mid = lo + _SECOND
        if _offset_at(mid, tz) == before:
            lo = mid
        else:
            hi = mid
    return hi


def _pieces(lo: datetime, hi: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime, timedelta]]:
    """The real span from `lo` to `hi` cut where the offset changes, with each piece's."""
    pieces: list[tuple[datetime, datetime, timedelta]] = []
    start, offset = lo, _offset_at(lo, tz)
    probe = lo
    while probe < hi:
        nxt = min(probe + _PROBE, hi)
        found = _offset_at(nxt, tz)
        if found != offset:
            at = _change(probe, nxt, offset, tz)
            pieces.append((start, at, offset))
            start, offset = at, _offset_at(at, tz)
            probe = at
            continue
        probe = nxt
    pieces.append((start, hi, offset))
    return pieces


def day_intervals(
    day: date, spans: tuple[tuple[timedelta, timedelta], ...], tz: ZoneInfo
) -> tuple[_Interval, ...]:
    """The real intervals (aware UTC) during which the clock in `tz` shows `spans` of `day`.

    `spans` are ordered, non-overlapping intervals of time after local midnight; an end of
    a full day (24 hours) means the last instant the clock shows `day`.
    """
    if not spans:
        return ()
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    offset = midnight.utcoffset()
    nxt = day + _DAY
    if datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz).utcoffset() == offset:
        # No change between the two midnights: one offset for the whole day.
        base = midnight.astimezone(UTC)
        return tuple((base + s, base + e) for s, e in spans)
    wall = datetime(day.year, day.month, day.day, tzinfo=UTC)  # wall times, read as UTC
    result: list[_Interval] = []
    # Every real instant that shows `day` lies within a day either side of its wall time.
    for p0, p1, shift in _pieces(wall - _DAY, wall + 2 * _DAY, tz):
        for s, e in spans:
            lo, hi = max(p0, wall + s - shift), min(p1, wall + e - shift)
            if lo < hi:
                result.append((lo, hi))
    result.sort()
    merged: list[_Interval] = []
    for lo, hi in result:
        if merged and merged[-1][1] == lo:  # one wall interval across a change: one piece
            merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)
