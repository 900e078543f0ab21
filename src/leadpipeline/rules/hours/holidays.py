"""Holidays by rule and half days: what a calendar adds to its weekly hours.

Why by rule: a playbook runs for years, and Easter Monday, Whit Monday or Corpus Christi
move every year; a list typed in once silently stops knowing them. A calendar that names a
country (and a subdivision, such as ``DE``/``BY``) asks the well-kept `holidays` package
(the ``holidays`` extra) for each year's public holidays on demand. The calendar stays
plain data: only the country and subdivision codes are stored, never the dates.

Half days (24 and 31 December until noon) are shortened hours on named dates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from types import ModuleType

import attrs

from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError
from leadpipeline.rules.hours.week import _minute

__all__ = ["HalfDay", "rule_holidays", "supported_subdivisions"]

_EXTRA = "pip install 'leadpipeline[holidays]'"
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@attrs.frozen(kw_only=True, field_transformer=typed)
class HalfDay:
    """Shortened hours on a named date: the office closes at `until` that day.

    `on` is ``"MM-DD"`` for every year (``"12-24"``) or ``"YYYY-MM-DD"`` for one date. The
    day's usual hours are cut at `until`; a date that is a holiday or a day off stays off.

    Example:
        >>> HalfDay(on="12-24", until="12:00").cut_at
        datetime.timedelta(seconds=43200)
    """

    on: str
    until: str = "12:00"

    @property
    def cut_at(self) -> timedelta:
        """`until` as time after local midnight."""
        return timedelta(minutes=_minute(self.until, "until", is_end=True))

    def key(self) -> tuple[int, int] | date:
        """``(month, day)`` for a yearly half day, the date for a one-off; refused if neither.

        Raises:
            ConfigurationError: `on` is neither ``"MM-DD"`` nor ``"YYYY-MM-DD"``, or no date.
        """
        found = _MONTH_DAY.match(self.on)
        try:
            if found is not None:
                month, day = int(found.group(1)), int(found.group(2))
                date(2000, month, day)  # a leap year: 29 February is a fine yearly date
                return (month, day)
            full = _FULL_DATE.match(self.on)
            if full is not None:
                return date(int(full.group(1)), int(full.group(2)), int(full.group(3)))
        except ValueError:
            pass
        raise ConfigurationError.at(
            "on", f"expected 'MM-DD' (every year) or 'YYYY-MM-DD' (once), got {self.on!r}"
        )


def _package() -> ModuleType:
    """The `holidays` package, imported only when a calendar names a country."""
    try:
        import holidays  # noqa: PLC0415  # optional extra, never imported by the core itself
    except ImportError:
        raise ConfigurationError.at(
            "country", f"calendars by country need the holidays extra: {_EXTRA}"
        ) from None
    return holidays


def supported_subdivisions(country: str) -> tuple[str, ...]:
    """The subdivision codes the `holidays` package knows for `country`.

    Raises:
        ConfigurationError: the package is missing, or it does not know `country`.
    """
    known: Mapping[str, list[str]] = _package().list_supported_countries()
    if country not in known:
        raise ConfigurationError.at(
            "country",
            f"unknown country {country!r}: use an ISO 3166-1 alpha-2 code such as 'DE' or 'AT'",
        )
    return tuple(known[country])


def check_rule(country: str, subdivision: str) -> None:
    """Refuse a country or subdivision the `holidays` package does not know, by its path."""
    if not country:
        if subdivision:
            raise ConfigurationError.at("subdivision", "a subdivision needs a country")
        return
    subdivisions = supported_subdivisions(country)
    if subdivision and subdivision not in subdivisions:
        raise ConfigurationError.at(
            "subdivision",
            f"unknown subdivision {subdivision!r} of {country}; expected one of "
            f"{', '.join(subdivisions)}",
        )


def rule_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    """The public holidays of one year in a country (and subdivision), by its rules.

    Example:
        >>> from datetime import date
        >>> date(2026, 6, 4) in rule_holidays("DE", "BY", 2026)  # Corpus Christi
        True
        >>> date(2026, 6, 4) in rule_holidays("DE", "BE", 2026)
        False
    """
    found = _package().country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(d for d in found if d.year == year)
