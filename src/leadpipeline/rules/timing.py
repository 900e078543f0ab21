"""Handover timing: when sales should take a lead over, given its purchase decision.

Sales should join about one sales cycle before the purchase decision, with a third of a
cycle of slack: a six-month cycle means six to eight months before the decision, three
months means three to four, twelve means twelve to sixteen. Before that window a lead is
too early for sales however high it scores; after it, sales comes late.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from leadpipeline._checks import require_aware
from leadpipeline._typed import typed
from leadpipeline.errors import ValidationError
from leadpipeline.lead import Lead

__all__ = ["HandoverWindow", "TimingStatus", "TimingVerdict", "handover_window", "timing"]

_SLACK = 4 / 3
_DAYS_PER_MONTH = 30.436875


def _months_before(day: date, months: float) -> date:
    whole = int(months)
    rest = round((months - whole) * _DAYS_PER_MONTH)
    return day - relativedelta(months=whole) - timedelta(days=rest)


@attrs.frozen(kw_only=True, field_transformer=typed)
class HandoverWindow:
    """The dates (both inclusive) between which sales should take the lead over."""

    opens: date
    closes: date
    decision: date
    cycle_months: float

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.opens <= day <= self.closes


def handover_window(decision: date, cycle_months: float) -> HandoverWindow:
    """The window for handing a lead to sales before its purchase decision.

    It opens 4/3 of a sales cycle before the decision and closes one cycle before it;
    whole months are calendar months, a fraction of a month is counted in days.

    Raises:
        ValidationError: the cycle is not a positive number of months.

    Example:
        >>> w = handover_window(date(2027, 1, 15), 6)
        >>> w.opens.isoformat(), w.closes.isoformat()
        ('2026-05-15', '2026-07-15')
    """
    if isinstance(cycle_months, bool) or not cycle_months > 0:
        raise ValidationError.at("cycle_months", f"must be positive, got {cycle_months!r}")
    return HandoverWindow(
        opens=_months_before(decision, cycle_months * _SLACK),
        closes=_months_before(decision, cycle_months),
        decision=decision,
        cycle_months=cycle_months,
    )


class TimingStatus(enum.StrEnum):
    """Where today falls against the handover window."""

    TOO_EARLY = "too_early"
    IN_WINDOW = "in_window"
    LATE = "late"
    UNKNOWN = "unknown"


@attrs.frozen(kw_only=True, field_transformer=typed)
class TimingVerdict:
    """Whether now is the time to hand the lead to sales, and why."""

    status: TimingStatus
    window: HandoverWindow | None
    reason: str

    @property
    def in_window(self) -> bool:
        """True only when sales should take over now."""
        return self.status is TimingStatus.IN_WINDOW


def timing(
    lead: Lead, default_cycle_months: float | None = None, *, now: datetime
) -> TimingVerdict:
    """Judge the handover timing from the lead's purchase decision and sales cycle.

    The lead's own `needs.sales_cycle_months` wins over `default_cycle_months`. Without a
    decision date or any cycle length the verdict is UNKNOWN.

    Example:
        >>> from datetime import timezone
        >>> from leadpipeline.lead import Lead, Needs, Source
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now),
        ...             needs=Needs(purchase_decision=date(2027, 3, 1)))
        >>> timing(lead, default_cycle_months=6, now=now).status.value
        'too_early'
    """
    require_aware("now", now)
    decision = lead.needs.purchase_decision
    cycle = lead.needs.sales_cycle_months or default_cycle_months
    if decision is None:
        return TimingVerdict(
            status=TimingStatus.UNKNOWN, window=None, reason="purchase decision date unknown"
        )
    if cycle is None:
        return TimingVerdict(
            status=TimingStatus.UNKNOWN, window=None, reason="sales cycle length unknown"
        )
    window = handover_window(decision, cycle)
    today = now.date()
    if today < window.opens:
        return TimingVerdict(
            status=TimingStatus.TOO_EARLY,
            window=window,
            reason=f"window opens {window.opens.isoformat()}, {(window.opens - today).days} days"
            f" from now ({cycle:g}-month cycle, decision {decision.isoformat()})",
        )
    if today > window.closes:
        return TimingVerdict(
            status=TimingStatus.LATE,
            window=window,
            reason=f"window closed {window.closes.isoformat()}, {(today - window.closes).days}"
            f" days ago ({cycle:g}-month cycle, decision {decision.isoformat()})",
        )
    return TimingVerdict(
        status=TimingStatus.IN_WINDOW,
        window=window,
        reason=f"in window {window.opens.isoformat()} to {window.closes.isoformat()}"
        f" ({cycle:g}-month cycle, decision {decision.isoformat()})",
    )
