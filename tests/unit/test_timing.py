"""Unit tests for handover timing against the sales cycle."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadpipeline.errors import ValidationError
from leadpipeline.lead import Lead, Needs, Source
from leadpipeline.rules.timing import TimingStatus, handover_window, timing

DECISION = date(2027, 6, 15)


def lead(decision: date | None = DECISION, cycle: int | None = None) -> Lead:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Lead(
        id="L-1",
        source=Source(channel="web", captured_at=at),
        needs=Needs(purchase_decision=decision, sales_cycle_months=cycle),
    )


def on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


class TestHandoverWindow:
    @pytest.mark.parametrize(
        ("cycle", "opens", "closes"),
        [
            (3, date(2027, 2, 15), date(2027, 3, 15)),
            (6, date(2026, 10, 15), date(2026, 12, 15)),
            (12, date(2026, 2, 15), date(2026, 6, 15)),
        ],
    )
    def test_window_scales_with_the_cycle(self, cycle: int, opens: date, closes: date) -> None:
        """3, 6 and 12-month cycles open 4, 8 and 16 months and close 3, 6, 12 months before."""
        window = handover_window(DECISION, cycle)
        assert (window.opens, window.closes) == (opens, closes)

    def test_fractional_months_are_counted_in_days(self) -> None:
        """A 5-month cycle opens 6 months and about 20 days before the decision."""
        window = handover_window(DECISION, 5)
        assert window.opens == date(2026, 11, 25)
        assert window.closes == date(2027, 1, 15)

    def test_non_positive_cycle_is_refused(self) -> None:
        """A cycle of zero months has no window."""
        with pytest.raises(ValidationError):
            handover_window(DECISION, 0)


class TestTiming:
    def test_before_the_window_is_too_early(self) -> None:
        """Nine months before a decision on a six-month cycle is too early."""
        verdict = timing(lead(cycle=6), now=on(date(2026, 9, 15)))
        assert verdict.status is TimingStatus.TOO_EARLY

    def test_inside_the_window(self) -> None:
        """Seven months before the decision on a six-month cycle is the time to hand over."""
        verdict = timing(lead(cycle=6), now=on(date(2026, 11, 15)))
        assert verdict.in_window

    def test_window_edges_are_inclusive(self) -> None:
        """The first and last day of the window are both in it."""
        assert timing(lead(cycle=6), now=on(date(2026, 10, 15))).in_window
        assert timing(lead(cycle=6), now=on(date(2026, 12, 15))).in_window

    def test_after_the_window_is_late(self) -> None:
        """Three months before the decision on a six-month cycle is late."""
        verdict = timing(lead(cycle=6), now=on(date(2027, 3, 15)))
        assert verdict.status is TimingStatus.LATE

    def test_default_cycle_applies_when_the_lead_has_none(self) -> None:
        """Without a cycle on the lead, the default cycle decides."""
        verdict = timing(lead(), default_cycle_months=6, now=on(date(2026, 11, 15)))
        assert verdict.in_window

    def test_unknown_without_decision_or_cycle(self) -> None:
        """No decision date, or no cycle at all, gives an unknown verdict with the reason."""
        assert timing(lead(decision=None, cycle=6), now=on(DECISION)).status is TimingStatus.UNKNOWN
        verdict = timing(lead(), now=on(DECISION))
        assert (verdict.status, verdict.reason) == (
            TimingStatus.UNKNOWN,
            "sales cycle length unknown",
        )
