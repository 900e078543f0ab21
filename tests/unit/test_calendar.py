"""Business calendars: adding and measuring business time at the edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.rules.calendar import (
    STANDARD_CALENDAR,
    BusinessCalendar,
    Weekday,
    WeekHours,
    annual_holidays,
)
from leadpipeline.serialization import from_json, structure, to_json, unstructure

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_SIX = BusinessCalendar.weekly(hours=(("09:00", "18:00"),))
SPLIT_DAY = BusinessCalendar.weekly(hours=(("08:00", "12:00"), ("13:00", "18:00")))
ROUND_THE_CLOCK_BERLIN = BusinessCalendar.weekly(days=tuple(Weekday), hours=(("00:00", "24:00"),))
ROUND_THE_CLOCK_NEW_YORK = BusinessCalendar.weekly(
    days=tuple(Weekday), hours=(("00:00", "24:00"),), time_zone="America/New_York"
)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def new_york(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


class TestAdd:
    def test_friday_evening_rolls_over_the_weekend(self) -> None:
        """Friday 17:59 plus five business minutes is Monday 09:04 when the office closes at 18."""
        due = NINE_TO_SIX.add(berlin(2026, 3, 6, 17, 59), timedelta(minutes=5))
        assert due == berlin(2026, 3, 9, 9, 4)

    def test_landing_on_closing_time_stays_on_the_same_day(self) -> None:
        """A duration that ends exactly at closing time is due at closing, not next morning."""
        due = STANDARD_CALENDAR.add(berlin(2026, 3, 4, 9), timedelta(hours=8))
        assert due == berlin(2026, 3, 4, 17)

    def test_lunch_break_does_not_count(self) -> None:
        """Five minutes from 11:58 with a lunch break from 12 to 13 end at 13:03."""
        due = SPLIT_DAY.add(berlin(2026, 3, 4, 11, 58), timedelta(minutes=5))
        assert due == berlin(2026, 3, 4, 13, 3)

    def test_before_opening_starts_at_opening(self) -> None:
        """A lead handed over at 06:30 starts its clock when the office opens."""
        due = STANDARD_CALENDAR.add(berlin(2026, 3, 4, 6, 30), timedelta(minutes=30))
        assert due == berlin(2026, 3, 4, 9, 30)

    def test_monday_holiday_is_skipped(self) -> None:
        """With Easter Monday off, one hour after Friday 16:30 is Tuesday 09:30."""
        easter = STANDARD_CALENDAR.weekly(holidays=(date(2026, 4, 6),))
        due = easter.add(berlin(2026, 4, 3, 16, 30), timedelta(hours=1))
        assert due == berlin(2026, 4, 7, 9, 30)

    def test_whole_weeks_are_jumped(self) -> None:
        """Three working weeks from Monday 09:00 end at Friday 17:00 of the third week."""
        due = STANDARD_CALENDAR.add(berlin(2026, 3, 2, 9), timedelta(hours=120))
        assert due == berlin(2026, 3, 20, 17)

    def test_a_year_of_business_time(self) -> None:
        """Fifty-two working weeks from a Monday morning end on a Friday evening, DST included."""
        due = STANDARD_CALENDAR.add(berlin(2026, 1, 5, 9), timedelta(hours=40 * 52))
        assert due == berlin(2027, 1, 1, 17)

    def test_holiday_inside_a_long_span_is_skipped(self) -> None:
        """A holiday in the middle of a multi-week span adds one working day."""
        with_holiday = BusinessCalendar.weekly(holidays=(date(2026, 3, 11),))
        start = berlin(2026, 3, 2, 9)
        assert with_holiday.add(start, timedelta(hours=120)) == berlin(2026, 3, 23, 17)

    def test_zero_is_the_same_instant(self) -> None:
        """Adding nothing returns the instant itself, even outside working hours."""
        sunday = berlin(2026, 3, 8, 12)
        assert STANDARD_CALENDAR.add(sunday, timedelta(0)) == sunday

    def test_result_is_in_the_calendar_zone(self) -> None:
        """The due instant reads in the calendar's local time."""
        due = STANDARD_CALENDAR.add(datetime(2026, 3, 4, 8, tzinfo=UTC), timedelta(hours=1))
        assert due.tzinfo == BERLIN
        assert due.isoformat() == "2026-03-04T10:00:00+01:00"

    def test_negative_duration_is_refused(self) -> None:
        """Business time only moves forward."""
        with pytest.raises(ValidationError) as info:
            STANDARD_CALENDAR.add(berlin(2026, 3, 4, 9), timedelta(minutes=-1))
        assert info.value.paths == ("duration",)

    def test_naive_instant_is_refused(self) -> None:
        """An instant without a zone is ambiguous across offices, so it is refused."""
        with pytest.raises(ValidationError) as info:
            STANDARD_CALENDAR.add(datetime(2026, 3, 4, 9), timedelta(hours=1))
        assert info.value.paths == ("instant",)


class TestBetween:
    def test_over_a_weekend(self) -> None:
        """Friday 16:00 to Monday 10:00 holds two business hours."""
        assert STANDARD_CALENDAR.between(berlin(2026, 3, 6, 16), berlin(2026, 3, 9, 10)) == (
            timedelta(hours=2)
        )

    def test_within_one_day_outside_hours_is_zero(self) -> None:
        """An evening holds no business time."""
        assert STANDARD_CALENDAR.between(berlin(2026, 3, 4, 18), berlin(2026, 3, 4, 23)) == (
            timedelta(0)
        )

    def test_reversed_order_is_negative(self) -> None:
        """Measuring backwards gives the negative of measuring forwards."""
        a, b = berlin(2026, 3, 4, 10), berlin(2026, 3, 5, 10)
        assert STANDARD_CALENDAR.between(b, a) == -STANDARD_CALENDAR.between(a, b)

    def test_many_weeks_with_holidays(self) -> None:
        """Ten weeks minus two holidays are 48 working days."""
        cal = BusinessCalendar.weekly(holidays=(date(2026, 4, 3), date(2026, 4, 6)))
        assert cal.between(berlin(2026, 3, 2, 0), berlin(2026, 5, 11, 0)) == timedelta(hours=8 * 48)

    def test_naive_end_is_refused(self) -> None:
        """Both instants must carry a zone; the error names the naive one."""
        with pytest.raises(ValidationError) as info:
            STANDARD_CALENDAR.between(berlin(2026, 3, 4, 9), datetime(2026, 3, 5, 9))
        assert info.value.paths == ("end",)


class TestDaylightSaving:
    def test_berlin_spring_forward_day_has_23_hours(self) -> None:
        """Round the clock, the last Sunday of March in Berlin holds 23 hours."""
        cal = ROUND_THE_CLOCK_BERLIN
        assert cal.between(berlin(2026, 3, 29), berlin(2026, 3, 30)) == timedelta(hours=23)
        assert cal.add(berlin(2026, 3, 29), timedelta(hours=24)) == berlin(2026, 3, 30, 1)

    def test_berlin_fall_back_day_has_25_hours(self) -> None:
        """Round the clock, the last Sunday of October in Berlin holds 25 hours."""
        cal = ROUND_THE_CLOCK_BERLIN
        assert cal.between(berlin(2026, 10, 25), berlin(2026, 10, 26)) == timedelta(hours=25)
        assert cal.add(berlin(2026, 10, 25), timedelta(hours=24)) == berlin(2026, 10, 25, 23)

    def test_new_york_spring_forward_and_fall_back(self) -> None:
        """New York's clock changes (8 March, 1 November 2026) shorten and lengthen the day."""
        cal = ROUND_THE_CLOCK_NEW_YORK
        assert cal.between(new_york(2026, 3, 8), new_york(2026, 3, 9)) == timedelta(hours=23)
        assert cal.between(new_york(2026, 11, 1), new_york(2026, 11, 2)) == timedelta(hours=25)

    def test_weekday_hours_across_the_new_york_change(self) -> None:
        """Office hours straddling the DST weekend keep their local opening time."""
        cal = BusinessCalendar.weekly(time_zone="America/New_York")
        due = cal.add(new_york(2026, 3, 6, 16), timedelta(hours=2))
        assert due.isoformat() == "2026-03-09T10:00:00-04:00"

    def test_hours_spanning_the_spring_gap(self) -> None:
        """Sunday hours 01:00-04:00 hold only two real hours on the day the clock jumps."""
        cal = BusinessCalendar(hours=WeekHours(sunday=(("01:00", "04:00"),)))
        assert cal.between(berlin(2026, 3, 29), berlin(2026, 3, 30)) == timedelta(hours=2)
        assert cal.add(berlin(2026, 3, 29), timedelta(hours=2)) == berlin(2026, 3, 29, 4)

    def test_hours_starting_inside_the_gap_start_at_the_jump(self) -> None:
        """An opening time the clock skips opens at the jump, 03:00 summer time."""
        cal = BusinessCalendar(hours=WeekHours(sunday=(("02:30", "05:00"),)))
        assert cal.add(berlin(2026, 3, 29), timedelta(minutes=1)) == berlin(2026, 3, 29, 3, 1)

    def test_hours_spanning_the_autumn_overlap(self) -> None:
        """Sunday hours 00:00-03:00 hold four real hours when 02:00-03:00 repeats."""
        cal = BusinessCalendar(hours=WeekHours(sunday=(("00:00", "03:00"),)))
        assert cal.between(berlin(2026, 10, 25), berlin(2026, 10, 26)) == timedelta(hours=4)

    def test_new_york_hours_spanning_the_autumn_overlap(self) -> None:
        """New York repeats 01:00-02:00 on 1 November; hours 00:00-03:00 then hold four."""
        cal = BusinessCalendar(
            hours=WeekHours(sunday=(("00:00", "03:00"),)), time_zone="America/New_York"
        )
        assert cal.between(new_york(2026, 11, 1), new_york(2026, 11, 2)) == timedelta(hours=4)


class TestClockChangeNights:
    """Business time is exactly the real minutes the office clock shows an opening hour."""

    weekend_shift = BusinessCalendar(
        hours=WeekHours(saturday=(("18:00", "24:00"),), sunday=(("00:00", "02:00"),))
    )
    early_sunday = BusinessCalendar(hours=WeekHours(sunday=(("02:30", "04:30"),)))

    def test_shift_ending_as_the_hour_repeats_holds_eight_hours(self) -> None:
        """Saturday 18-24 and Sunday 0-2 on Berlin's fall-back night hold 6 + 2 = 8 hours."""
        saturday, monday = berlin(2026, 10, 24), berlin(2026, 10, 26)
        assert self.weekend_shift.between(saturday, monday) == timedelta(hours=8)
        due = self.weekend_shift.add(berlin(2026, 10, 24, 18), timedelta(hours=8))
        assert due.isoformat() == "2026-10-25T02:00:00+02:00"  # the first 02:00 closes it

    def test_the_repeated_two_oclock_is_after_closing(self) -> None:
        """At the second 02:00 (winter time) the Sunday shift has closed; at 01:59 it was open."""
        winter = timezone(timedelta(hours=1))
        summer = timezone(timedelta(hours=2))
        assert not self.weekend_shift.is_working_time(datetime(2026, 10, 25, 2, tzinfo=winter))
        assert self.weekend_shift.is_working_time(datetime(2026, 10, 25, 1, 59, tzinfo=summer))

    def test_hours_inside_the_repeated_hour_count_both_showings_only(self) -> None:
        """Open 02:30-04:30 on the fall-back Sunday: both 02:30-03:00 count, 02:00-02:30 not."""
        second_two = datetime(2026, 10, 25, 1, tzinfo=UTC)  # 02:00 winter time
        due = self.early_sunday.add(second_two, timedelta(minutes=30))
        assert due.isoformat() == "2026-10-25T03:00:00+01:00"
        day = self.early_sunday.between(berlin(2026, 10, 25), berlin(2026, 10, 26))
        assert day == timedelta(hours=2, minutes=30)

    def test_new_york_second_showing_of_one_oclock(self) -> None:
        """In New York, hours 01:00-01:30 on 1 November hold both showings: one real hour."""
        cal = BusinessCalendar(
            hours=WeekHours(sunday=(("01:00", "01:30"),)), time_zone="America/New_York"
        )
        assert cal.between(new_york(2026, 11, 1), new_york(2026, 11, 2)) == timedelta(hours=1)
        second = new_york(2026, 11, 1, 1, 22).replace(fold=1)  # the second 01:22, EST
        assert cal.is_working_time(second)
        assert cal.add(second, timedelta(minutes=8)).isoformat() == "2026-11-01T01:30:00-05:00"

    def test_midnight_change_repeats_the_evening_hour(self) -> None:
        """Santiago turns 24:00 back to 23:00 on 4 April 2026: Saturday 22-24 holds three hours."""
        cal = BusinessCalendar(
            hours=WeekHours(saturday=(("22:00", "24:00"),), sunday=(("00:00", "01:00"),)),
            time_zone="America/Santiago",
        )
        santiago = ZoneInfo("America/Santiago")
        saturday = datetime(2026, 4, 4, tzinfo=santiago)
        sunday = datetime(2026, 4, 5, tzinfo=santiago)
        assert cal.between(saturday, sunday) == timedelta(hours=3)
        assert cal.between(sunday, sunday + timedelta(days=1)) == timedelta(hours=1)

    def test_midnight_spring_gap_shortens_the_morning(self) -> None:
        """Santiago jumps from 00:00 to 01:00 on 6 September 2026: Sunday 00-02 holds one hour."""
        cal = BusinessCalendar(
            hours=WeekHours(sunday=(("00:00", "02:00"),)), time_zone="America/Santiago"
        )
        start = datetime(2026, 9, 5, 12, tzinfo=ZoneInfo("America/Santiago"))
        assert cal.between(start, start + timedelta(days=2)) == timedelta(hours=1)

    def test_a_bare_number_of_minutes_is_refused(self) -> None:
        """`add(t, 5)` names the duration and asks for a timedelta: 5 what?"""
        with pytest.raises(ValidationError) as info:
            STANDARD_CALENDAR.add(berlin(2026, 3, 4, 9), 5)  # type: ignore[arg-type]
        assert info.value.paths == ("duration",)
        assert "timedelta" in str(info.value)

    def test_an_instant_that_is_not_a_datetime_is_refused(self) -> None:
        """A date string for the instant is refused at `instant`, not with a TypeError."""
        with pytest.raises(ValidationError) as info:
            STANDARD_CALENDAR.add("2026-03-04T09:00", timedelta(hours=1))  # type: ignore[arg-type]
        assert info.value.paths == ("instant",)


class TestZones:
    def test_deadline_from_berlin_checked_in_new_york(self) -> None:
        """A due instant computed in Berlin is the same instant when read in New York."""
        due = STANDARD_CALENDAR.add(berlin(2026, 3, 6, 16), timedelta(hours=2))
        assert due == new_york(2026, 3, 9, 5)
        assert new_york(2026, 3, 9, 4, 59) < due < new_york(2026, 3, 9, 5, 1)

    def test_instants_in_other_zones_are_measured_in_the_calendar_zone(self) -> None:
        """Instants given in UTC and New York time count Berlin office hours."""
        start = datetime(2026, 3, 4, 8, tzinfo=UTC)  # 09:00 in Berlin
        end = new_york(2026, 3, 4, 6)  # 12:00 in Berlin
        assert STANDARD_CALENDAR.between(start, end) == timedelta(hours=3)

    def test_working_time_is_read_locally(self) -> None:
        """08:30 UTC in winter is 09:30 in Berlin: the office is open."""
        assert STANDARD_CALENDAR.is_working_time(datetime(2026, 1, 7, 8, 30, tzinfo=UTC))
        assert not STANDARD_CALENDAR.is_working_time(datetime(2026, 1, 7, 16, 30, tzinfo=UTC))


class TestConfiguration:
    def test_overlapping_hours_are_refused(self) -> None:
        """Two Monday intervals that overlap are refused, naming the later one."""
        with pytest.raises(ConfigurationError) as info:
            BusinessCalendar(hours=WeekHours(monday=(("08:00", "12:00"), ("11:30", "17:00"))))
        assert info.value.paths == ("hours.monday[1]",)

    def test_inverted_hours_are_refused(self) -> None:
        """An interval that ends before it starts is refused with its path."""
        with pytest.raises(ConfigurationError) as info:
            BusinessCalendar(
                hours=WeekHours(tuesday=(("09:00", "17:00"),), friday=(("18:00", "09:00"),))
            )
        assert info.value.paths == ("hours.friday[0]",)

    def test_empty_interval_is_refused(self) -> None:
        """An interval with end equal to start is refused as inverted."""
        with pytest.raises(ConfigurationError) as info:
            BusinessCalendar.weekly(hours=(("09:00", "09:00"),))
        assert info.value.paths == ("hours.monday[0]",)

    def test_no_working_hours_are_refused(self) -> None:
        """A calendar without any working hours could never meet a deadline."""
        with pytest.raises(ConfigurationError) as info:
            BusinessCalendar(hours=WeekHours())
        assert info.value.paths == ("hours",)

    @pytest.mark.parametrize("bad", ["9:00", "25:00", "12:60", "noon"])
    def test_malformed_times_are_refused(self, bad: str) -> None:
        """Times must read 'HH:MM' within the day."""
        with pytest.raises(ConfigurationError) as info:
            BusinessCalendar(hours=WeekHours(wednesday=((bad, "17:00"),)))
        assert info.value.paths == ("hours.wednesday[0]",)

    def test_midnight_ends_but_never_starts_a_day(self) -> None:
        """'24:00' closes a day; as an opening time it is refused."""
        assert BusinessCalendar.weekly(hours=(("20:00", "24:00"),)).week_total == timedelta(
            hours=20
        )
        with pytest.raises(ConfigurationError):
            BusinessCalendar.weekly(hours=(("24:00", "24:00"),))

    def test_unknown_zone_is_refused(self) -> None:
        """A zone name that zoneinfo does not know is refused at `time_zone`."""
        with pytest.raises(ConfigurationError) as info:
            BusinessCalendar.weekly(time_zone="Europe/Atlantis")
        assert info.value.paths == ("time_zone",)


class TestPlainData:
    def test_round_trips_through_json(self) -> None:
        """A calendar with split hours and holidays survives JSON unchanged."""
        cal = BusinessCalendar.weekly(
            hours=(("08:00", "12:00"), ("13:00", "18:00")),
            time_zone="America/New_York",
            holidays=(date(2026, 12, 25), date(2026, 7, 3)),
            name="us-office",
        )
        again: BusinessCalendar = from_json(to_json(cal), BusinessCalendar)
        assert again == cal
        assert again.add(new_york(2026, 7, 2, 17, 30), timedelta(hours=1)) == new_york(
            2026, 7, 6, 8, 30
        )

    def test_holidays_unstructure_sorted(self) -> None:
        """Holidays are written in date order, so playbooks diff cleanly."""
        cal = BusinessCalendar.weekly(holidays=(date(2026, 12, 25), date(2026, 1, 1)))
        assert unstructure(cal)["holidays"] == ["2026-01-01", "2026-12-25"]

    def test_structure_names_the_bad_interval(self) -> None:
        """A calendar loaded from data names the overlapping interval by its path."""
        data = {"hours": {"thursday": [["08:00", "12:00"], ["10:00", "14:00"]]}}
        with pytest.raises(ValidationError) as info:
            structure(data, BusinessCalendar)
        assert info.value.paths == ("hours.thursday[1]",)

    def test_standard_calendar(self) -> None:
        """The standard calendar works Monday to Friday, 09:00-17:00, in Berlin."""
        assert STANDARD_CALENDAR.time_zone == "Europe/Berlin"
        assert STANDARD_CALENDAR.week_total == timedelta(hours=40)
        assert STANDARD_CALENDAR.hours.saturday == ()
        assert not STANDARD_CALENDAR.holidays

    def test_annual_holidays(self) -> None:
        """Fixed-date holidays repeat every year of the range."""
        days = annual_holidays([(5, 1)], first_year=2026, last_year=2028)
        assert days == {date(2026, 5, 1), date(2027, 5, 1), date(2028, 5, 1)}
