"""Business calendars: working hours per weekday, holidays and a time zone.

An SLA promised "within one working day" runs only while the office is open. A
`BusinessCalendar` answers two questions exactly: which instant is a business duration
after a given instant (`add`), and how much business time lies between two instants
(`between`). Both read a table per UTC week (the working intervals with their running
business time, built once per week and kept, bounded) and answer with binary searches
instead of stepping minute by minute.

Business time is the real elapsed time during which the office clock (local wall-clock
time in the calendar's zone, on a working day) shows an opening hour; nothing else
counts. So a working interval that contains a daylight-saving change is one hour shorter
or longer than its wall-clock length: a wall time inside a spring-forward gap never
shows, and a wall time inside a fall-back overlap shows twice and counts both times,
while opening hours that end at or inside the repeated hour count only its showings of
their own wall times (`leadpipeline.rules.hours._local`). Instants are compared as real
instants, whatever zone they are written in and whichever showing of a repeated hour
they mean.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from dateutil.rrule import YEARLY, rrule

from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.rules.hours._local import day_intervals
from leadpipeline.rules.hours.holidays import HalfDay, check_rule, rule_holidays
from leadpipeline.rules.hours.week import WORKDAYS, Span, Weekday, WeekHours, _parse_week

__all__ = [
    "STANDARD_CALENDAR",
    "BusinessCalendar",
    "HalfDay",
    "Span",
    "WeekHours",
    "Weekday",
    "annual_holidays",
]

_UTC = UTC
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_ZERO = timedelta(0)
_BoundsUtc = tuple[tuple[datetime, datetime], ...]
"""Working intervals as aware UTC instants: same-zone arithmetic is exact and fast."""
_MEMO_LIMIT = 20_000
_BLOCK_LIMIT = 4_096
"""At most this many UTC weeks of working intervals are kept (about 78 years)."""
_REF = datetime(2001, 1, 1, tzinfo=UTC)
"""Where UTC week blocks are counted from (any UTC midnight would do)."""
_REF_DAY = _REF.toordinal()
_Block = tuple[list[datetime], list[datetime], list[timedelta], list[timedelta], timedelta]
"""One UTC week: interval starts, ends, business time before and up to the end of each
interval within the week, and the week's total."""


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigurationError.at(
            "time_zone", f"unknown time zone {name!r}; use an IANA name like 'Europe/Berlin'"
        ) from None


def _aware(path: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise ValidationError.at(path, f"expected a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.at(
            path, f"naive datetime {value.isoformat()} refused: give a timezone-aware datetime"
        )


def _utc(value: datetime) -> datetime:
    return value.astimezone(_UTC)


@attrs.frozen(kw_only=True, field_transformer=typed)
class BusinessCalendar:
    """When the office works: hours per weekday, holidays, and the zone they are read in.

    Holidays come from a rule, a list, or both: `country` (and `subdivision`) names the
    public holidays of every year by the `holidays` package (the ``holidays`` extra),
    computed per year on demand; `holidays` adds dates; `holiday_exceptions` are dates of
    the rule the office works anyway. `half_days` shorten the hours on named dates.

    Plain data: it round-trips through the converter. Refused with `ConfigurationError`
    when an interval is malformed, inverted (``end <= start``) or overlaps another, when
    no day has working hours, or when the zone, country or subdivision is unknown.

    Example:
        >>> from datetime import datetime, timedelta
        >>> from zoneinfo import ZoneInfo
        >>> berlin = ZoneInfo("Europe/Berlin")
        >>> friday = datetime(2026, 3, 6, 16, 30, tzinfo=berlin)
        >>> STANDARD_CALENDAR.add(friday, timedelta(hours=1))
        datetime.datetime(2026, 3, 9, 9, 30, tzinfo=zoneinfo.ZoneInfo(key='Europe/Berlin'))
        >>> STANDARD_CALENDAR.between(friday, datetime(2026, 3, 9, 9, 30, tzinfo=berlin))
        datetime.timedelta(seconds=3600)
    """

    hours: WeekHours
    time_zone: str = "Europe/Berlin"
    holidays: frozenset[date] = frozenset()
    name: str = ""
    country: str = ""
    """ISO 3166-1 alpha-2 code whose public holidays are days off (``"DE"``); empty: none."""
    subdivision: str = ""
    """The state, canton or region within `country` (``"BY"``, ``"ZH"``, ``"NY"``)."""
    holiday_exceptions: frozenset[date] = frozenset()
    """Holidays of the rule on which the office works anyway."""
    half_days: tuple[HalfDay, ...] = ()

    _spans: tuple[tuple[tuple[timedelta, timedelta], ...], ...] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )
    _tz: ZoneInfo = attrs.field(init=False, eq=False, repr=False, hash=False)
    _holiday_list: tuple[date, ...] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _week_total: timedelta = attrs.field(init=False, eq=False, repr=False, hash=False)
    _cuts: dict[tuple[int, int] | date, timedelta] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )
    # Each year's days off, computed on first use from the rule and the lists.
    _years: dict[int, frozenset[date]] = attrs.field(
        init=False, eq=False, repr=False, hash=False, factory=dict
    )
    # Memos of pure per-day answers (never observable, bounded): SLA checks over many
    # leads ask about the same few hundred days again and again.
    _days: dict[date, _BoundsUtc] = attrs.field(
        init=False, eq=False, repr=False, hash=False, factory=dict
    )
    # The working intervals of whole UTC weeks with their running business time, so
    # `add` and `between` are two binary searches instead of a walk over the days.
    _blocks: dict[int, _Block] = attrs.field(
        init=False, eq=False, repr=False, hash=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        week = _parse_week(self.hours)
        tz = _zone(self.time_zone)
        for d in self.holidays:
            if not _is_date(d):
                raise ConfigurationError.at("holidays", f"expected dates, got {d!r}")
        check_rule(self.country, self.subdivision)
        cuts: dict[tuple[int, int] | date, timedelta] = {}
        for i, half in enumerate(self.half_days):
            try:
                key, cut = half.key(), half.cut_at
            except ConfigurationError as exc:
                raise ConfigurationError(
                    [(f"half_days[{i}].{p}", m) for p, m in exc.problems]
                ) from None
            if key in cuts:
                raise ConfigurationError.at(f"half_days[{i}].on", f"{half.on!r} is listed twice")
            cuts[key] = cut
        object.__setattr__(self, "_cuts", cuts)
        spans = tuple(
            tuple((timedelta(minutes=s), timedelta(minutes=e)) for s, e in day) for day in week
        )
        total = sum((e - s for day in spans for s, e in day), _ZERO)
        object.__setattr__(self, "_spans", spans)
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_holiday_list", tuple(sorted(self.holidays)))
        object.__setattr__(self, "_week_total", total)

    def __reduce__(self) -> tuple[object, tuple[dict[str, object]]]:
        # The memos are rebuilt on demand: a pickled calendar (one a playbook sends to a
        # worker process) carries its definition only, however much it has been used.
        fields = {f.name: getattr(self, f.name) for f in attrs.fields(type(self)) if f.init}
        return (_calendar, (fields,))

    def holidays_in(self, year: int) -> frozenset[date]:
        """The days off of one year: the rule's holidays and the listed ones, less exceptions.

        Example:
            >>> from datetime import date
            >>> munich = BusinessCalendar.weekly(country="DE", subdivision="BY")
            >>> date(2026, 6, 4) in munich.holidays_in(2026)  # Corpus Christi
            True
        """
        known = self._years.get(year)
        if known is None:
            days = {d for d in self.holidays if d.year == year}
            if self.country:
                days |= rule_holidays(self.country, self.subdivision, year)
            known = frozenset(days - self.holiday_exceptions)
            self._years[year] = known
        return known

    def is_holiday(self, day: date) -> bool:
        """Whether `day` is a day off by the rule or the list (and not an exception)."""
        return day in self.holidays_in(day.year)

    @classmethod
    def weekly(
        cls,
        *,
        hours: Iterable[Span] = (("09:00", "17:00"),),
        days: Iterable[Weekday | str] = WORKDAYS,
        time_zone: str = "Europe/Berlin",
        holidays: Iterable[date] = (),
        name: str = "",
        country: str = "",
        subdivision: str = "",
        half_days: Iterable[HalfDay] = (),
    ) -> BusinessCalendar:
        """The common case: the same hours on each working day, plus holidays.

        Example:
            >>> cal = BusinessCalendar.weekly(hours=(("08:00", "12:00"), ("13:00", "18:00")),
            ...                               time_zone="America/New_York")
            >>> cal.hours.monday
            (('08:00', '12:00'), ('13:00', '18:00'))
        """
        return cls(
            hours=WeekHours.uniform(hours, days),
            time_zone=time_zone,
            holidays=frozenset(holidays),
            name=name,
            country=country,
            subdivision=subdivision,
            half_days=tuple(half_days),
        )

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return self._tz

    @property
    def week_total(self) -> timedelta:
        """Business time in a week without holidays or clock changes."""
        return self._week_total

    def is_working_time(self, instant: datetime) -> bool:
        """Whether the office is open at `instant` (interval start included, end excluded).

        Example:
            >>> from datetime import datetime, timezone
            >>> STANDARD_CALENDAR.is_working_time(datetime(2026, 3, 9, 8, tzinfo=timezone.utc))
            True
        """
        _aware("instant", instant)
        at = _utc(instant)
        day = instant.astimezone(self._tz).date()
        return any(s <= at < e for s, e in self._bounds(day))

    def add(self, instant: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of business time after `instant`, in the calendar's zone.

        Time outside working hours does not count; landing exactly on the end of an
        interval returns that end, not the next morning. Adding zero returns `instant`.

        Raises:
            ValidationError: `instant` is not an aware datetime, or `duration` is not a
                `timedelta` (a bare number has no unit) or is negative.

        Example:
            >>> from datetime import datetime, timedelta
            >>> from zoneinfo import ZoneInfo
            >>> cal = BusinessCalendar.weekly(hours=(("09:00", "18:00"),))
            >>> friday = datetime(2026, 3, 6, 17, 59, tzinfo=ZoneInfo("Europe/Berlin"))
            >>> cal.add(friday, timedelta(minutes=5)).isoformat()
            '2026-03-09T09:04:00+01:00'
        """
        _aware("instant", instant)
        if not isinstance(duration, timedelta):
            raise ValidationError.at(
                "duration",
                f"expected a timedelta, got {type(duration).__name__} {duration!r}: "
                "say timedelta(minutes=5), not 5",
            )
        if duration <= _ZERO:
            if duration < _ZERO:
                raise ValidationError.at("duration", f"must not be negative, got {duration}")
            return instant.astimezone(self._tz)
        at = instant if instant.tzinfo is _UTC else instant.astimezone(_UTC)
        return self._add_utc(at, duration).astimezone(self._tz)

    def _add_utc(self, at: datetime, duration: timedelta) -> datetime:
        """`add` for an aware UTC `at` and a positive `duration`, as an aware UTC instant.

        Unchecked, for callers that hold checked values (SLA evaluation, `add`).
        """
        blocks = self._blocks
        k = (at.toordinal() - _REF_DAY) // 7  # `at` is UTC: its date is the UTC date
        block = blocks.get(k) or self._block(k)
        starts, ends, before, upto, total = block
        i = bisect.bisect_right(ends, at)  # the first interval that ends after `at`
        if i < len(starts):
            s = starts[i]
            target = before[i] + (at - s if at > s else _ZERO) + duration
        else:
            target = total + duration
        while target > total:  # landing exactly on the week's last closing time stays
            target -= total
            k += 1
            block = blocks.get(k) or self._block(k)
            starts, ends, before, upto, total = block
        j = bisect.bisect_left(upto, target)  # the interval that contains the target
        return starts[j] + (target - before[j])

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end`; negative when `end` comes first.

        Measuring is additive: ``between(a, b) + between(b, c) == between(a, c)``.

        Raises:
            ValidationError: either instant is naive.

        Example:
            >>> from datetime import datetime
            >>> from zoneinfo import ZoneInfo
            >>> berlin = ZoneInfo("Europe/Berlin")
            >>> STANDARD_CALENDAR.between(datetime(2026, 3, 6, 16, tzinfo=berlin),
            ...                           datetime(2026, 3, 9, 10, tzinfo=berlin))
            datetime.timedelta(seconds=7200)
        """
        _aware("start", start)
        _aware("end", end)
        if end < start:
            return -self.between(end, start)
        a = start if start.tzinfo is _UTC else start.astimezone(_UTC)
        b = end if end.tzinfo is _UTC else end.astimezone(_UTC)
        return self._between_utc(a, b)

    def _between_utc(self, a: datetime, b: datetime) -> timedelta:
        """`between` for aware UTC instants with ``a <= b``; unchecked."""
        ka, at_a = self._position(a)
        kb, at_b = self._position(b)
        if ka == kb:
            return at_b - at_a
        blocks = self._blocks
        total = (blocks.get(ka) or self._block(ka))[4] - at_a + at_b
        for k in range(ka + 1, kb):
            total += (blocks.get(k) or self._block(k))[4]
        return total

    def _position(self, at: datetime) -> tuple[int, timedelta]:
        """The UTC week of `at` and the business time from that week's start to `at`."""
        k = (at.toordinal() - _REF_DAY) // 7  # `at` is UTC: its date is the UTC date
        starts, ends, before, _, total = self._blocks.get(k) or self._block(k)
        i = bisect.bisect_right(ends, at)
        if i == len(starts):
            return k, total
        s = starts[i]
        return k, before[i] + (at - s if at > s else _ZERO)

    def _block(self, k: int) -> _Block:
        """Build (and remember) UTC week `k`: its working intervals, clipped to the week."""
        lo = _REF + k * _WEEK
        hi = lo + _WEEK
        tz = self._tz
        day = lo.astimezone(tz).date() - _DAY  # every local day that may reach into the week
        last = hi.astimezone(tz).date() + _DAY
        intervals: list[tuple[datetime, datetime]] = []
        while day <= last:
            for begin, finish in self._compute_bounds(day):
                s, e = max(begin, lo), min(finish, hi)  # clipped to the week
                if e > s:
                    intervals.append((s, e))
            day += _DAY
        intervals.sort()
        starts: list[datetime] = []
        ends: list[datetime] = []
        before: list[timedelta] = []
        upto: list[timedelta] = []
        total = _ZERO
        for s, e in intervals:  # disjoint: each real instant shows one local day
            starts.append(s)
            ends.append(e)
            before.append(total)
            total += e - s
            upto.append(total)
        block: _Block = (starts, ends, before, upto, total)
        if len(self._blocks) >= _BLOCK_LIMIT:
            self._blocks.clear()
        self._blocks[k] = block
        return block

    def _bounds(self, day: date) -> _BoundsUtc:
        """The working intervals of one local day as UTC instants."""
        known = self._days.get(day)
        if known is None:
            known = self._compute_bounds(day)
            if len(self._days) >= _MEMO_LIMIT:
                self._days.clear()
            self._days[day] = known
        return known

    def _compute_bounds(self, day: date) -> _BoundsUtc:
        spans = self._spans[day.weekday()]
        if not spans or self.is_holiday(day):
            return ()
        if self._cuts:
            cut = self._cuts.get(day, self._cuts.get((day.month, day.day)))
            if cut is not None:  # a half day: the usual hours, closing at the cut
                spans = tuple((s, min(e, cut)) for s, e in spans if s < cut)
        return day_intervals(day, spans, self._tz)


def _calendar(fields: dict[str, Any]) -> BusinessCalendar:
    """A calendar rebuilt from its definition, for unpickling."""
    return BusinessCalendar(**fields)


def annual_holidays(
    month_days: Iterable[tuple[int, int]], *, first_year: int, last_year: int
) -> frozenset[date]:
    """Fixed-date holidays (such as 1 January, 25 and 26 December) for a range of years.

    Movable feasts (Easter) differ per region; add those dates yourself.

    Example:
        >>> days = annual_holidays([(12, 25), (1, 1)], first_year=2026, last_year=2027)
        >>> [d.isoformat() for d in sorted(days)]
        ['2026-01-01', '2026-12-25', '2027-01-01', '2027-12-25']
    """
    result: set[date] = set()
    for month, day in month_days:
        rule = rrule(
            YEARLY,
            bymonth=month,
            bymonthday=day,
            dtstart=datetime(first_year, 1, 1),
            until=datetime(last_year, 12, 31),
        )
        result.update(d.date() for d in rule)
    return frozenset(result)


STANDARD_CALENDAR = BusinessCalendar.weekly(name="standard")
"""Monday to Friday, 09:00-17:00, Europe/Berlin, no holidays."""
