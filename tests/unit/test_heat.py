"""Unit tests for hot leads and stale leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.events import Event, InteractionRecorded, LeadCaptured
from leadpipeline.lead import Interaction, InteractionKind, Lead, Party, Source
from leadpipeline.rules.heat import HeatLevel, HeatPolicy, heat
from leadpipeline.rules.scoring import EngagementRule, HalfLife, ScoringModel
from leadpipeline.rules.stale import StalePolicy, is_stale

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
K = InteractionKind
POLICY = HeatPolicy()


def lead(*touches: tuple[float, InteractionKind]) -> Lead:
    return Lead(
        id="L-1",
        source=Source(channel="web", captured_at=NOW - timedelta(days=30)),
        interactions=tuple(Interaction(kind=k, at=NOW - timedelta(hours=h)) for h, k in touches),
    )


BUSY = ((60, K.SITE_VISIT), (40, K.EMAIL_CLICK), (20, K.SOCIAL), (3, K.SITE_VISIT))


class TestHeat:
    def test_frequent_recent_touches_are_hot(self) -> None:
        """Five touches in two weeks, the last one recent, make a hot lead."""
        result = heat(lead(*BUSY, (1, K.EMAIL_OPEN)), POLICY, now=NOW)
        assert (result.level, result.touches, result.call_within) == (HeatLevel.HOT, 5, None)

    def test_form_submit_by_hot_lead_wants_a_call_within_five_minutes(self) -> None:
        """A hot lead whose latest touch is a form submit is flagged for a five-minute call."""
        result = heat(lead(*BUSY, (0, K.FORM_SUBMIT)), POLICY, now=NOW)
        assert result.is_hot
        assert result.call_within == timedelta(minutes=5)
        assert result.call_by == NOW + timedelta(minutes=5)

    def test_form_submit_by_a_cold_lead_is_not_flagged(self) -> None:
        """A single form submit is not hot and gets no call flag."""
        result = heat(lead((0, K.FORM_SUBMIT)), POLICY, now=NOW)
        assert (result.level, result.call_within) == (HeatLevel.COLD, None)

    def test_old_bursts_are_only_warm(self) -> None:
        """Many touches that stopped five days ago are warm, not hot."""
        touches = [(120 + h, K.SITE_VISIT) for h in range(6)]
        assert heat(lead(*touches), POLICY, now=NOW).level is HeatLevel.WARM

    def test_no_touches_is_cold(self) -> None:
        """A lead that never touched us is cold, with no last touch."""
        result = heat(lead(), POLICY, now=NOW)
        assert (result.level, result.last_touch) == (HeatLevel.COLD, None)

    def test_uncounted_kinds_do_not_heat(self) -> None:
        """Only the policy's kinds count towards heat."""
        policy = HeatPolicy(kinds=frozenset({K.CALL}))
        assert heat(lead(*BUSY, (1, K.EMAIL_OPEN)), policy, now=NOW).level is HeatLevel.COLD

    def test_inconsistent_policy_is_refused(self) -> None:
        """Warm needing more touches than hot is refused."""
        with pytest.raises(ConfigurationError):
            HeatPolicy(hot_touches=2, warm_touches=3)

    def test_naive_now_is_refused(self) -> None:
        """A naive instant is refused."""
        with pytest.raises(ValidationError):
            heat(lead(), POLICY, now=datetime(2026, 3, 4))


MODEL = ScoringModel(
    engagement=(
        EngagementRule(name="visits", kind=K.SITE_VISIT, points=10, decay=HalfLife(days=30)),
    )
)
START = NOW - timedelta(days=120)


def history(*visits_days_after_start: float) -> list[Event]:
    first = Lead(id="L-1", source=Source(channel="web", captured_at=START))
    events: list[Event] = [
        LeadCaptured(lead_id="L-1", at=START, actor=Party.marketing(), lead=first)
    ]
    for day in visits_days_after_start:
        at = START + timedelta(days=day)
        events.append(
            InteractionRecorded(
                lead_id="L-1",
                at=at,
                actor=Party.marketing(),
                interaction=Interaction(kind=K.SITE_VISIT, at=at),
            )
        )
    return events


STALE = StalePolicy()


class TestIsStale:
    def test_no_progress_for_the_period_is_stale(self) -> None:
        """A lead whose only touches are older than the period has decayed: stale."""
        assert is_stale(history(1, 2), STALE, MODEL, now=NOW)

    def test_recent_progress_is_not_stale(self) -> None:
        """A new touch within the period raised the score: not stale."""
        assert not is_stale(history(1, 115), STALE, MODEL, now=NOW)

    def test_young_lead_is_never_stale(self) -> None:
        """A lead captured within the period has not had time to progress."""
        policy = StalePolicy(without_progress=timedelta(days=200))
        assert not is_stale(history(), policy, MODEL, now=NOW)

    def test_events_after_now_are_ignored(self) -> None:
        """Replaying at a past instant ignores touches that came later."""
        assert is_stale(history(1, 2, 200), STALE, MODEL, now=NOW)

    def test_progress_threshold_is_configurable(self) -> None:
        """A small rise counts as progress only when it reaches min_progress."""
        events = history(119.99)
        assert not is_stale(events, StalePolicy(min_progress=5), MODEL, now=NOW)
        assert is_stale(events, StalePolicy(min_progress=50), MODEL, now=NOW)
