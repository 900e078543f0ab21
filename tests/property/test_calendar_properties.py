"""Properties of business-time arithmetic: add and between agree, and measuring adds up.

Both count exactly the real minutes the office clock shows an opening hour, on every night
the clocks change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipeline.rules.calendar import STANDARD_CALENDAR, BusinessCalendar, Weekday, WeekHours
from tests.strategies import clock_changes

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


# --- every clock change of 2025-2027, against a count of real minutes --------------------

MINUTE = timedelta(minutes=1)


def _open_at(cal: BusinessCalendar, at: datetime) -> bool:
    """The oracle's question for one real minute: does the office clock show an open hour?"""
    local = at.astimezone(cal.zone)
    minute = local.hour * 60 + local.minute
    spans = cal.hours.on(tuple(Weekday)[local.weekday()])
    return local.date() not in cal.holidays and any(
        int(s[:2]) * 60 + int(s[3:]) <= minute < int(e[:2]) * 60 + int(e[3:]) for s, e in spans
    )


def minute_count_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """The oracle for `between`: count the real minutes from `start` to `end` that are open."""
    at, total = start.astimezone(UTC), timedelta(0)
    while at < end:
        total += MINUTE if _open_at(cal, at) else timedelta(0)
        at += MINUTE
    return total


def minute_count_add(cal: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The oracle for `add`: count open real minutes from `start` until `duration` is spent."""
    at, left = start.astimezone(UTC), duration
    while left:
        if _open_at(cal, at):
            left -= MINUTE
        at += MINUTE
    return at.astimezone(cal.zone)


@st.composite
def near_changes(draw: st.DrawFn) -> tuple[BusinessCalendar, datetime]:
    """A clock change of 2025-2027 and a calendar whose hours touch midnight and its hours.

    Opening and closing times are drawn from midnight, the wall-clock readings just before
    and after the change (and half an hour and an hour either side), and any minute.
    """
    name, change = draw(st.sampled_from(clock_changes()))
    zone = ZoneInfo(name)
    readings = set()
    for side in (change - MINUTE, change):
        local = side.astimezone(zone) + (MINUTE if side < change else timedelta(0))
        readings.add(local.hour * 60 + local.minute)
    pool = sorted(
        {0, 24 * 60}
        | {m + d for m in readings for d in (-60, -30, 0, 30, 60) if 0 <= m + d <= 24 * 60}
    )

    def day() -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
        cuts = st.sets(st.sampled_from(pool) | st.integers(0, 24 * 60), max_size=6)

        def spans(found: set[int]) -> tuple[tuple[str, str], ...]:
            points = sorted(found)[: len(found) // 2 * 2]
            return tuple((_hhmm(points[i]), _hhmm(points[i + 1])) for i in range(0, len(points), 2))

        return cuts.map(spans)

    week = {d.value: draw(day()) for d in Weekday}
    if not any(week.values()):
        week["sunday"] = (("00:00", "24:00"),)
    local_day = change.astimezone(zone).date()
    holidays = draw(
        st.frozensets(st.sampled_from([local_day + timedelta(days=n) for n in (-1, 0, 1)]))
    )
    cal = BusinessCalendar(hours=WeekHours(**week), time_zone=name, holidays=holidays)
    return cal, change


minutes_around = st.integers(-36 * 60, 36 * 60).map(lambda m: m * MINUTE)
"""An offset from a clock change, to the minute, within a day and a half either side."""


class TestClockChangesAgreeWithAMinuteCount:
    @settings(max_examples=300, deadline=None)
    @given(case=near_changes(), a=minutes_around, b=minutes_around, zone=st.sampled_from(ZONES))
    def test_between_counts_the_open_minutes(
        self, case: tuple[BusinessCalendar, datetime], a: timedelta, b: timedelta, zone: str
    ) -> None:
        """Business time between two instants near a change is the number of open minutes."""
        cal, change = case
        start, end = sorted((change + a, change + b))
        expected = minute_count_between(cal, start, end)
        assert cal.between(start.astimezone(ZoneInfo(zone)), end) == expected
        assert cal.between(end, start.astimezone(cal.zone)) == -expected

    @settings(max_examples=300, deadline=None)
    @given(
        case=near_changes(),
        a=minutes_around,
        minutes=st.integers(0, 8 * 60),
        zone=st.sampled_from(ZONES),
    )
    def test_add_lands_after_the_counted_minutes(
        self, case: tuple[BusinessCalendar, datetime], a: timedelta, minutes: int, zone: str
    ) -> None:
        """Adding business time near a change lands where counting open minutes lands."""
        cal, change = case
        start = (change + a).astimezone(ZoneInfo(zone))
        found = cal.add(start, minutes * MINUTE)
        expected = minute_count_add(cal, start, minutes * MINUTE)
        assert found == expected
        assert found.isoformat() == expected.isoformat()  # the same showing of the hour

    @settings(max_examples=300, deadline=None)
    @given(case=near_changes(), a=minutes_around)
    def test_working_time_is_the_open_minute(
        self, case: tuple[BusinessCalendar, datetime], a: timedelta
    ) -> None:
        """The office is open at an instant exactly when the oracle's minute is open."""
        cal, change = case
        at = change + a
        assert cal.is_working_time(at.astimezone(cal.zone)) == _open_at(cal, at)
