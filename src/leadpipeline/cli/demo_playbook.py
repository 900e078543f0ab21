"""The demo's playbook: five partners with regions and competences, one of them abroad."""

from __future__ import annotations

from datetime import date, timedelta

from leadpipeline.playbook import Playbook
from leadpipeline.rules.calendar import BusinessCalendar, HalfDay
from leadpipeline.rules.partners import Partner
from leadpipeline.rules.stale import StalePolicy

__all__ = ["AUSTRIA_2026", "REGIONS", "VIENNA", "demo_playbook"]

REGIONS = ("north", "south", "east", "west")
"""The regions the demo's leads come from and its partners cover."""

AUSTRIA_2026 = tuple(
    date(2026, month, day)
    for month, day in (
        (1, 1), (1, 6), (4, 6), (5, 1), (5, 14), (5, 25), (6, 4),
        (8, 15), (10, 26), (11, 1), (12, 8), (12, 25), (12, 26),
    )
)  # fmt: skip
"""Austria's public holidays in the demo's year, as `country="AT"` computes them (a test
holds the two equal): listed, so the demo runs on the core alone, without the holidays
extra. A playbook meant to run for years names the country instead."""

VIENNA = BusinessCalendar.weekly(
    hours=(("08:00", "12:00"), ("13:00", "17:00")),
    time_zone="Europe/Vienna",
    holidays=AUSTRIA_2026,
    half_days=(HalfDay(on="12-24"), HalfDay(on="12-31")),
    name="vienna",
)
"""The calendar of the demo's partner abroad: Austrian holidays, Vienna's hours."""


def demo_playbook() -> Playbook:
    """The default playbook with a five-partner roster of mixed grades, capacities and skills.

    Each partner knows two industries, so a return for "project does not fit" goes to one
    that knows the lead's. A lead marketing holds is stale after ten days without progress
    (the demo runs for weeks, not months).

    One partner works from Vienna: its SLA clocks count Austrian working days.

    Example:
        >>> [p.grade for p in demo_playbook().partners]
        ['gold', 'gold', 'silver', 'silver', 'bronze']
        >>> sorted(demo_playbook().partners[0].competences)
        ['logistics', 'manufacturing']
        >>> demo_playbook().party_calendars.for_partner("p-3").time_zone
        'Europe/Vienna'
    """
    roster = tuple(
        Partner(
            id=f"p-{n}",
            name=name,
            regions=frozenset(regions),
            grade=grade,
            capacity=capacity,
            competences=frozenset(skills),
            calendar=calendar,
        )
        for n, (name, regions, grade, capacity, skills, calendar) in enumerate(
            (
                (
                    "Nordlicht Systems",
                    ("north", "east"),
                    "gold",
                    40,
                    ("manufacturing", "logistics"),
                    "",
                ),
                ("Südwerk Partner", ("south", "west"), "gold", 30, ("retail", "healthcare"), ""),
                (
                    "Ostbrücke IT",
                    ("east", "south"),
                    "silver",
                    20,
                    ("energy", "manufacturing"),
                    "vienna",
                ),
                (
                    "Westhafen Solutions",
                    ("west", "north"),
                    "silver",
                    20,
                    ("logistics", "retail"),
                    "",
                ),
                ("Mitte Consulting", REGIONS, "bronze", 10, ("healthcare", "energy"), ""),
            ),
            start=1,
        )
    )
    return Playbook(
        name="demo",
        partners=roster,
        stale=StalePolicy(without_progress=timedelta(days=10)),
        calendars=(VIENNA,),
    )
