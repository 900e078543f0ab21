"""Calendars for real countries, and each party working to its own calendar."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import holidays
import pytest

from leadpipeline import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.cli.demo_playbook import AUSTRIA_2026, demo_playbook
from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.events import HandedOver, Offered, PartnerAccepted
from leadpipeline.lead import Party
from leadpipeline.rules.calendar import BusinessCalendar, HalfDay
from leadpipeline.rules.partners import Partner
from leadpipeline.rules.sla import DEFAULT_SLA_POLICIES, PartyCalendars, breaches, deadlines
from leadpipeline.serialization import from_json, from_toml, to_json, to_toml

VIENNA_ZONE = ZoneInfo("Europe/Vienna")
BERLIN_ZONE = ZoneInfo("Europe/Berlin")
NEW_YORK_ZONE = ZoneInfo("America/New_York")
BERLIN = BusinessCalendar.weekly(country="DE", subdivision="BE", name="berlin")
VIENNA = BusinessCalendar.weekly(country="AT", time_zone="Europe/Vienna", name="vienna")
NEW_YORK = BusinessCalendar.weekly(
    country="US", subdivision="NY", time_zone="America/New_York", name="new-york"
)
PLAYBOOK = attrs.evolve(
    DEFAULT_PLAYBOOK,
    calendar=BERLIN,
    calendars=(VIENNA, NEW_YORK),
    partners=(
        Partner(id="p-7", name="Wiener Systemhaus", grade="gold", capacity=5, calendar="vienna"),
        Partner(id="p-1", name="Spree IT", grade="silver", capacity=5),
    ),
    team_calendars=(("sales/new-york", "new-york"),),
)
# Monday 7 December 2026, 16:00 in Vienna and Berlin; 8 December is the Immaculate
# Conception, an Austrian public holiday and an ordinary working day in Germany.
MONDAY = datetime(2026, 12, 7, 16, 0, tzinfo=VIENNA_ZONE)


def offered(partner_id: str, at: datetime = MONDAY) -> Offered:
    return Offered(
        lead_id="L-1",
        at=at,
        actor=Party.sales(team="inside-sales"),
        partner_id=partner_id,
        expires_at=at + timedelta(days=7),
    )


def handed_over(team: str, at: datetime = MONDAY) -> HandedOver:
    return HandedOver(
        lead_id="L-1", at=at, actor=Party.marketing(), to_owner=Party.sales(team=team)
    )


class TestHolidaysByRule:
    @pytest.mark.parametrize(
        ("country", "subdivision"),
        [("DE", "BY"), ("DE", "BE"), ("AT", ""), ("CH", "ZH"), ("US", "NY")],
    )
    def test_holidays_equal_the_holidays_package_for_years(
        self, country: str, subdivision: str
    ) -> None:
        """For 2025-2030 a country calendar's holidays are the package's, year by year."""
        cal = BusinessCalendar.weekly(country=country, subdivision=subdivision)
        for year in range(2025, 2031):
            expected = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
            assert cal.holidays_in(year) == frozenset(expected)
            assert cal.holidays_in(year)  # every one of these places has public holidays

    def test_the_demo_lists_austrias_holidays_as_the_rule_gives_them(self) -> None:
        """The demo's partner in Vienna works to listed dates: the same the AT rule computes."""
        ruled = BusinessCalendar.weekly(country="AT", time_zone="Europe/Vienna")
        assert set(AUSTRIA_2026) == set(ruled.holidays_in(2026))
        assert demo_playbook().party_calendars.for_partner("p-3").holidays == set(AUSTRIA_2026)

    def test_bavaria_keeps_corpus_christi_and_berlin_works(self) -> None:
        """Corpus Christi (4 June 2026) is off in Bavaria and a working day in Berlin."""
        munich = BusinessCalendar.weekly(country="DE", subdivision="BY")
        thursday = datetime(2026, 6, 4, 10, tzinfo=BERLIN_ZONE)
        assert not munich.is_working_time(thursday)
        assert BERLIN.is_working_time(thursday)

    def test_movable_feasts_are_known_in_years_nobody_typed(self) -> None:
        """Easter Monday 2030 (22 April) is a holiday without anyone listing it."""
        assert date(2030, 4, 22) in BERLIN.holidays_in(2030)
        assert BERLIN.is_holiday(date(2030, 4, 22))

    def test_listed_dates_add_to_and_remove_from_the_rule(self) -> None:
        """A company day off is added; a rule holiday the office works anyway is removed."""
        cal = BusinessCalendar(
            hours=BERLIN.hours,
            country="DE",
            subdivision="BE",
            holidays=frozenset({date(2026, 12, 24)}),
            holiday_exceptions=frozenset({date(2026, 3, 8)}),  # Women's Day in Berlin
        )
        assert cal.is_holiday(date(2026, 12, 24))
        assert not cal.is_holiday(date(2026, 3, 8))
        assert cal.is_holiday(date(2026, 12, 25))

    def test_half_days_close_at_noon(self) -> None:
        """On 24 and 31 December the office closes at noon: three hours of a 09-17 day."""
        cal = attrs.evolve(
            BERLIN, half_days=(HalfDay(on="12-24"), HalfDay(on="12-31", until="12:00"))
        )
        eve = datetime(2026, 12, 24, tzinfo=BERLIN_ZONE)
        assert cal.between(eve, eve + timedelta(days=1)) == timedelta(hours=3)
        assert not cal.is_working_time(eve + timedelta(hours=13))
        new_year_eve = datetime(2027, 12, 31, tzinfo=BERLIN_ZONE)
        assert cal.between(new_year_eve, new_year_eve + timedelta(days=1)) == timedelta(hours=3)

    def test_a_one_off_half_day_applies_once(self) -> None:
        """A half day on 2026-07-03 shortens that Friday only."""
        cal = attrs.evolve(BERLIN, half_days=(HalfDay(on="2026-07-03", until="13:30"),))
        friday = datetime(2026, 7, 3, tzinfo=BERLIN_ZONE)
        assert cal.between(friday, friday + timedelta(days=1)) == timedelta(hours=4, minutes=30)
        week_later = friday + timedelta(days=7)
        assert cal.between(week_later, week_later + timedelta(days=1)) == timedelta(hours=8)

    def test_round_trips_as_plain_data(self) -> None:
        """The rule is stored, not its dates: JSON and TOML give the same calendar back."""
        cal = attrs.evolve(VIENNA, half_days=(HalfDay(on="12-24"),))
        assert from_json(to_json(cal), BusinessCalendar) == cal
        assert from_toml(to_toml(cal), BusinessCalendar) == cal
        assert "2026" not in to_json(cal)

    @pytest.mark.parametrize(
        ("fields", "path"),
        [
            ({"country": "XX"}, "country"),
            ({"country": "DE", "subdivision": "ZZ"}, "subdivision"),
            ({"subdivision": "BY"}, "subdivision"),
            ({"half_days": (HalfDay(on="24.12."),)}, "half_days[0].on"),
            ({"half_days": (HalfDay(on="12-24", until="noon"),)}, "half_days[0].until"),
            ({"half_days": (HalfDay(on="12-24"), HalfDay(on="12-24"))}, "half_days[1].on"),
        ],
    )
    def test_unknown_places_and_bad_half_days_are_refused(
        self, fields: dict[str, object], path: str
    ) -> None:
        """An unknown country or subdivision, or a malformed half day, is refused at its path."""
        with pytest.raises(ConfigurationError) as info:
            BusinessCalendar.weekly(**fields)  # type: ignore[arg-type]
        assert info.value.paths == (path,)


class TestEachPartysCalendar:
    def test_vienna_partner_skips_the_austrian_holiday_berlin_does_not(self) -> None:
        """Offered the day before 8 December, the Vienna partner's deadline skips it."""
        history = (offered("p-7"), offered("p-1"), handed_over("inside-sales"))
        found = {
            (d.policy, d.partner_id): d
            for d in deadlines(history, DEFAULT_SLA_POLICIES, PLAYBOOK.party_calendars)
        }
        vienna = found[("partner_offer_response", "p-7")]
        berlin = found[("partner_offer_response", "p-1")]
        sales = found[("mql_handover_response", None)]
        # three working days of eight hours from Monday 16:00
        assert vienna.due_at == datetime(2026, 12, 11, 16, tzinfo=VIENNA_ZONE)  # Friday
        assert berlin.due_at == datetime(2026, 12, 10, 16, tzinfo=BERLIN_ZONE)  # Thursday
        # sales in Berlin: one working day, due on the Austrian holiday itself
        assert sales.due_at == datetime(2026, 12, 8, 16, tzinfo=BERLIN_ZONE)
        assert (vienna.calendar, berlin.calendar, sales.calendar) == ("vienna", "berlin", "berlin")

    def test_new_york_sales_team_works_new_york_hours(self) -> None:
        """A handover to the New York team at Berlin 16:00 is due a New York working day on."""
        (deadline,) = deadlines(
            (handed_over("new-york"),), DEFAULT_SLA_POLICIES, PLAYBOOK.party_calendars
        )
        assert deadline.calendar == "new-york"
        # 10:00 in New York on Monday: seven hours that day, one on Tuesday
        assert deadline.due_at == datetime(2026, 12, 8, 10, tzinfo=NEW_YORK_ZONE)

    def test_breaches_name_the_calendar(self) -> None:
        """A Vienna partner late on its offer is told which calendar counted the time."""
        now = datetime(2026, 12, 14, 9, tzinfo=VIENNA_ZONE)
        found = breaches((offered("p-7"),), DEFAULT_SLA_POLICIES, PLAYBOOK.party_calendars, now=now)
        (breach,) = found
        assert breach.calendar == "vienna"
        assert breach.late == timedelta(days=2, hours=17)

    def test_wall_clock_clocks_name_no_calendar(self) -> None:
        """A wall-clock policy counts real time: its deadline names no calendar."""
        accepted = PartnerAccepted(
            lead_id="L-1", at=MONDAY, actor=Party.partner("p-7"), partner_id="p-7"
        )
        found = deadlines((accepted,), DEFAULT_SLA_POLICIES, PLAYBOOK.party_calendars)
        by_policy = {d.policy: d.calendar for d in found}
        assert by_policy == {"partner_status_report": "vienna", "partner_completion": ""}

    def test_most_specific_party_wins(self) -> None:
        """A rep of the New York team finds the team's calendar; other sales the default."""
        book = PartyCalendars(default=BERLIN, parties=(("sales/new-york", NEW_YORK),))
        assert book.for_party(Party.sales(team="new-york", rep="ann")) is NEW_YORK
        assert book.for_party(Party.sales(team="inside-sales")) is BERLIN
        assert book.for_partner("p-9") is BERLIN


PLAYBOOK_FILE = """
name = "dach"

[calendar]
name = "berlin"
country = "DE"
subdivision = "BE"
time_zone = "Europe/Berlin"
hours = { monday = [["09:00", "17:00"]], tuesday = [["09:00", "17:00"]] }

[calendars.vienna]
country = "AT"
time_zone = "Europe/Vienna"
half_days = [{ on = "12-24", until = "12:00" }]
hours = { monday = [["08:00", "16:00"]], friday = [["08:00", "12:00"]] }

[calendars.zurich]
country = "CH"
subdivision = "ZH"
time_zone = "Europe/Zurich"
hours = { wednesday = [["08:00", "17:00"]] }

[team_calendars]
"sales/zurich" = "zurich"

[[partners]]
id = "p-7"
name = "Wiener Systemhaus"
grade = "gold"
capacity = 5
calendar = "vienna"
"""

ZURICH_TEAM = '"sales/zurich" = "zurich"'


class TestThePlaybookFile:
    def test_named_calendars_partners_and_teams_load(self) -> None:
        """`[calendars.vienna]` and `calendar = "vienna"` on a partner say it plainly."""
        playbook = from_toml(PLAYBOOK_FILE, Playbook)
        assert [c.name for c in playbook.calendars] == ["vienna", "zurich"]
        assert playbook.party_calendars.for_partner("p-7").country == "AT"
        zurich = playbook.party_calendars.for_party(Party.sales(team="zurich"))
        assert (zurich.name, zurich.subdivision) == ("zurich", "ZH")
        assert from_toml(to_toml(playbook), Playbook) == playbook
        assert from_json(to_json(playbook), Playbook) == playbook

    @pytest.mark.parametrize(
        ("old", "new", "path"),
        [
            ('country = "AT"', 'country = "AX-"', "calendars.vienna.country"),
            ('subdivision = "ZH"', 'subdivision = "XX"', "calendars.zurich.subdivision"),
            ('calendar = "vienna"', 'calendar = "wien"', "partners[0].calendar"),
            (
                '"sales/zurich" = "zurich"',
                '"sales/zurich" = "basel"',
                "team_calendars.sales/zurich",
            ),
            ('"sales/zurich" = "zurich"', '"desk/zurich" = "zurich"', "team_calendars.desk/zurich"),
            ('"sales/zurich" = "zurich"', '"sales/zurich" = 7', "team_calendars.sales/zurich"),
            ('on = "12-24"', 'on = "Christmas Eve"', "calendars.vienna.half_days[0].on"),
        ],
    )
    def test_unknown_names_are_refused_with_their_path(self, old: str, new: str, path: str) -> None:
        """An unknown country, subdivision, calendar or party is refused where it is written."""
        assert old in PLAYBOOK_FILE
        with pytest.raises(ValidationError) as info:
            from_toml(PLAYBOOK_FILE.replace(old, new), Playbook)
        assert info.value.paths == (path,)

    def test_a_name_inside_the_table_must_match(self) -> None:
        """`[calendars.vienna]` with `name = "graz"` inside is refused at that name."""
        text = PLAYBOOK_FILE.replace("[calendars.vienna]\n", '[calendars.vienna]\nname = "graz"\n')
        with pytest.raises(ValidationError) as info:
            from_toml(text, Playbook)
        assert info.value.paths == ("calendars.vienna.name",)


class TestTheOptionalExtra:
    def test_the_core_does_not_import_the_holidays_package(self) -> None:
        """Importing the library and using a calendar without a country loads no `holidays`."""
        code = (
            "import sys, datetime, leadpipeline, leadpipeline.rules;"
            "from leadpipeline.rules import STANDARD_CALENDAR as c;"
            "c.add(datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC),"
            " datetime.timedelta(hours=9));"
            "print('holidays' in sys.modules)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "False"

    def test_without_the_extra_a_country_is_refused_saying_what_to_install(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without the `holidays` package, a country calendar names the extra to install."""
        monkeypatch.setitem(sys.modules, "holidays", None)  # import now raises ImportError
        with pytest.raises(ConfigurationError) as info:
            BusinessCalendar.weekly(country="AT")
        assert info.value.paths == ("country",)
        assert "leadpipeline[holidays]" in str(info.value)
        assert BusinessCalendar.weekly(holidays=(date(2026, 12, 8),)).is_holiday(date(2026, 12, 8))
