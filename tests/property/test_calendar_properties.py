"""Properties of business-time arithmetic: add and between agree, and measuring adds up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipeline.rules.calendar import STANDARD_CALENDAR, BusinessCalendar, Weekday, WeekHours

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC")
QUARTER = timedelta(minutes=15)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def day_hours(draw: st.DrawFn, *, away_from_changes: bool = False) -> tuple[tuple[str, str], ...]:
    """Zero to three ordered, non-overlapping intervals on a quarter-hour grid."""
    low = 16 if away_from_changes else 0  # 04:00: clock changes happen before it
    cuts = sorted(draw(st.sets(st.integers(low, 96), max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return tuple((_hhmm(cuts[i] * 15), _hhmm(cuts[i + 1] * 15)) for i in range(0, len(cuts), 2))


@st.composite
def calendars(draw: st.DrawFn, *, away_from_changes: bool = False) -> BusinessCalendar:
    """Any valid calendar: some hours on some days, a few holidays, one of several zones."""
    week = {d.value: draw(day_hours(away_from_changes=away_from_changes)) for d in Weekday}
    if not any(week.values()):
        week["monday"] = (("09:00", "17:00"),)
    holidays = draw(
        st.frozensets(
            st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)), max_size=8
        )
    )
    return BusinessCalendar(
        hours=WeekHours(**week), time_zone=draw(st.sampled_from(ZONES)), holidays=holidays
    )


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))


def brute_force_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """The oracle: walk real time in quarter hours and ask the local clock if it is open."""
    zone = ZoneInfo(cal.time_zone)
    total = timedelta(0)
    at = start
    while at < end:
        local = at.astimezone(zone)
        minute = local.hour * 60 + local.minute
        spans = cal.hours.on(tuple(Weekday)[local.weekday()])
        if local.date() not in cal.holidays and any(
            int(s[:2]) * 60 + int(s[3:]) <= minute < int(e[:2]) * 60 + int(e[3:]) for s, e in spans
        ):
            total += QUARTER
        at += QUARTER
    return total


class TestBusinessTimeProperties:
    @given(cal=calendars(), start=instants, duration=durations)
    def test_adding_then_measuring_returns_the_duration(
        self, cal: BusinessCalendar, start: datetime, duration: timedelta
    ) -> None:
        """Measuring from an instant to that instant plus a business duration gives it back."""
        due = cal.add(start, duration)
        assert due >= start
        assert cal.between(start, due) == duration

    @given(cal=calendars(), a=instants, b=instants, c=instants)
    def test_measuring_is_additive(
        self, cal: BusinessCalendar, a: datetime, b: datetime, c: datetime
    ) -> None:
        """Business time from a to b plus b to c equals a to c, in any order."""
        assert cal.between(a, b) + cal.between(b, c) == cal.between(a, c)

    @given(cal=calendars(), start=instants, d1=durations, d2=durations)
    def test_adding_in_two_steps_is_adding_the_sum(
        self, cal: BusinessCalendar, start: datetime, d1: timedelta, d2: timedelta
    ) -> None:
        """Adding one duration and then another lands where adding their sum lands."""
        assert cal.add(cal.add(start, d1), d2) == cal.add(start, d1 + d2)

    @given(start=instants, duration=durations)
    def test_result_is_working_time_or_closing_time(
        self, start: datetime, duration: timedelta
    ) -> None:
        """A positive business duration always ends inside working hours or at closing."""
        due = STANDARD_CALENDAR.add(start, duration + timedelta(seconds=1))
        local = due.astimezone(ZoneInfo("Europe/Berlin"))
        assert local.weekday() < 5
        assert (9, 0) <= (local.hour, local.minute) <= (17, 0)

    @settings(max_examples=60)
    @given(
        cal=calendars(away_from_changes=True),
        start=st.integers(0, 365 * 24 * 4),
        quarters=st.integers(0, 4 * 24 * 10),
    )
    def test_between_agrees_with_a_quarter_hour_walk(
        self, cal: BusinessCalendar, start: int, quarters: int
    ) -> None:
        """The jumping measurement equals walking real time quarter hour by quarter hour."""
        a = datetime(2026, 1, 1, tzinfo=UTC) + start * QUARTER
        b = a + quarters * QUARTER
        assert cal.between(a, b) == brute_force_between(cal, a, b)


def day_walk_add(cal: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The reference for `add`: walk the local days one by one, interval by interval."""
    if not duration:
        return start.astimezone(cal.zone)
    at, day, remaining = start.astimezone(UTC), start.astimezone(cal.zone).date(), duration
    while True:
        for s, e in cal._bounds(day):
            if e <= at:
                continue
            begin = max(s, at)
            if remaining <= e - begin:
                return (begin + remaining).astimezone(cal.zone)
            remaining -= e - begin
        day += timedelta(days=1)


def day_walk_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """The reference for `between` (start first): sum each local day's overlap."""
    a, b = start.astimezone(UTC), end.astimezone(UTC)
    day = start.astimezone(cal.zone).date() - timedelta(days=1)
    total = timedelta(0)
    while day <= end.astimezone(cal.zone).date() + timedelta(days=1):
        for s, e in cal._bounds(day):
            total += max(timedelta(0), min(e, b) - max(s, a))
        day += timedelta(days=1)
    return total


grid_instants = st.integers(0, 365 * 24 * 4).map(
    lambda q: datetime(2026, 1, 1, tzinfo=UTC) + q * QUARTER
)
"""Instants on the quarter hour, so results land exactly on opening and closing times."""
grid_durations = st.integers(0, 4 * 24 * 60).map(lambda q: q * QUARTER)


class TestWeekTablesAgreeWithADayWalk:
    @settings(max_examples=300)
    @given(
        cal=calendars(),
        start=instants | grid_instants,
        duration=durations | grid_durations,
        zone=st.sampled_from(ZONES),
    )
    def test_add_matches_walking_the_days(
        self, cal: BusinessCalendar, start: datetime, duration: timedelta, zone: str
    ) -> None:
        """Adding on the week tables lands on the same instant, in the same zone, as a walk."""
        start = start.astimezone(ZoneInfo(zone))
        found, expected = cal.add(start, duration), day_walk_add(cal, start, duration)
        assert found == expected
        assert found.isoformat() == expected.isoformat()

    @settings(max_examples=200)
    @given(
        cal=calendars(),
        a=instants | grid_instants,
        b=instants | grid_instants,
        zone=st.sampled_from(ZONES),
    )
    def test_between_matches_walking_the_days(
        self, cal: BusinessCalendar, a: datetime, b: datetime, zone: str
    ) -> None:
        """Measuring on the week tables equals summing each day's working time."""
        a, b = sorted((a, b))
        expected = day_walk_between(cal, a, b)
        assert cal.between(a.astimezone(ZoneInfo(zone)), b) == expected
        assert cal.between(b, a.astimezone(ZoneInfo(zone))) == -expected
