"""Working hours: the weekly table an author writes, and when it shows on a real clock.

`week` holds the plain data (`WeekHours`, `Weekday`, `Span`) and its checks; `_local`
turns one local day's hours into the exact real intervals whose wall-clock time lies
inside them, on the nights the clocks change as on any other.
"""

from leadpipeline.rules.hours.week import WORKDAYS, Span, Weekday, WeekHours

__all__ = ["WORKDAYS", "Span", "WeekHours", "Weekday"]
