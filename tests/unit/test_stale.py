"""Stale leads are acted on: a low score without progress is recycled or dropped, with why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from leadpipeline import Interaction, InteractionKind, Lead, Party, Pipeline, Source
from leadpipeline.adapters import MemoryStore, SimulatedClock
from leadpipeline.errors import ValidationError
from leadpipeline.events import Disqualified, Event, LeadCaptured, Nurtured, replay
from leadpipeline.lead import Company
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.rules.scoring import Equals, FitRule, ScoringModel
from leadpipeline.rules.stale import StaleAction, StalePolicy, staleness
from leadpipeline.stages import SweepStale, decide

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = START + timedelta(days=61)
# a flat fit score: manufacturing earns 73.6 points that never decay
MODEL = ScoringModel(
    fit=(
        FitRule(
            name="industry",
            field="company.industry",
            match=Equals(value="manufacturing"),
            points=73.6,
        ),
    )
)
PLAYBOOK = attrs.evolve(DEFAULT_PLAYBOOK, scoring=MODEL)


def lead(lead_id: str = "L-1", industry: str = "retail") -> Lead:
    return Lead(
        id=lead_id,
        source=Source(channel="web", captured_at=START, source_id=f"src-{lead_id}"),
        company=Company(name=f"Co {lead_id}", industry=industry),
    )


def captured(value: Lead) -> tuple[Event, ...]:
    return (LeadCaptured(lead_id=value.id, at=START, actor=Party.marketing(), lead=value),)


class TestStaleness:
    def test_a_flat_high_score_is_not_stale(self) -> None:
        """A flat 73.6 is a good lead waiting, not a stale one: it is above the ceiling."""
        found = staleness(captured(lead(industry="manufacturing")), StalePolicy(), MODEL, now=LATER)
        assert not found.stale
        assert found.score == pytest.approx(73.6)
        assert "ceiling 50" in found.reason

    def test_a_flat_low_score_past_the_period_is_stale_and_says_why(self) -> None:
        """Zero points that did not move for sixty days is stale, with score and period named."""
        found = staleness(captured(lead()), StalePolicy(), MODEL, now=LATER)
        assert found.stale
        assert (found.score, found.score_then) == (0, 0)
        assert (
            found.reason == "score 0 rose by 0 in 60 days (less than 1) and is below the ceiling 50"
        )

    def test_a_lead_that_moved_stage_within_the_period_is_not_stale(self) -> None:
        """A lead recycled to nurture yesterday gets a full period before it is judged again."""
        policy = StalePolicy()
        history = captured(lead())
        events = decide(replay(history), SweepStale(), PLAYBOOK, now=LATER, history=history)
        moved = (*history, *events)
        assert not staleness(moved, policy, MODEL, now=LATER + timedelta(days=1)).stale
        assert staleness(moved, policy, MODEL, now=LATER + timedelta(days=61)).stale

    def test_the_ceiling_is_the_playbook_s_to_set(self) -> None:
        """Raise the ceiling above 73.6 and the flat lead counts as stale after all."""
        found = staleness(
            captured(lead(industry="manufacturing")),
            StalePolicy(score_ceiling=80),
            MODEL,
            now=LATER,
        )
        assert found.stale


class TestSweepStaleDecision:
    def test_a_stale_inquiry_is_recycled_to_nurture_with_the_reason(self) -> None:
        """The default action recycles: a Nurtured event marked 'stale', then the stage move."""
        history = captured(lead())
        events = decide(replay(history), SweepStale(), PLAYBOOK, now=LATER, history=history)
        assert [type(e).__name__ for e in events] == ["Nurtured", "StageChanged"]
        nurtured = events[0]
        assert isinstance(nurtured, Nurtured)
        assert nurtured.rule == "stale"
        assert nurtured.reason.startswith("stale: score 0 rose by 0 in 60 days")

    def test_a_recycled_lead_still_stale_a_period_later_is_dropped(self) -> None:
        """Recycling did not help: the next period without progress disqualifies it."""
        history = captured(lead())
        first = decide(replay(history), SweepStale(), PLAYBOOK, now=LATER, history=history)
        history = (*history, *first)
        again = LATER + timedelta(days=61)
        events = decide(replay(history), SweepStale(), PLAYBOOK, now=again, history=history)
        assert [type(e).__name__ for e in events] == ["Disqualified", "StageChanged"]
        assert "recycled before without progress" in events[0].reason  # type: ignore[union-attr]

    def test_the_disqualify_action_drops_at_once(self) -> None:
        """A playbook that says disqualify drops the stale inquiry straight away."""
        playbook = attrs.evolve(PLAYBOOK, stale=StalePolicy(action=StaleAction.DISQUALIFY))
        history = captured(lead())
        events = decide(replay(history), SweepStale(), playbook, now=LATER, history=history)
        assert isinstance(events[0], Disqualified)
        assert events[0].rule == "stale"

    def test_a_lead_sales_holds_is_never_swept(self) -> None:
        """Stale is marketing's rule for leads it works up: a lead with sales is left alone."""
        history = captured(lead())
        with_sales = attrs.evolve(replay(history), owner=Party.sales())
        assert decide(with_sales, SweepStale(), PLAYBOOK, now=LATER, history=history) == ()

    def test_a_lead_that_is_not_stale_is_left_as_it_is(self) -> None:
        """No events when the lead is not stale: the sweep is a no-op for it."""
        history = captured(lead(industry="manufacturing"))
        assert decide(replay(history), SweepStale(), PLAYBOOK, now=LATER, history=history) == ()

    def test_the_sweep_needs_the_whole_history(self) -> None:
        """Judging progress needs the history the lead was folded from; without it, refused."""
        with pytest.raises(ValidationError) as err:
            decide(replay(captured(lead())), SweepStale(), PLAYBOOK, now=LATER)
        assert err.value.paths == ("history",)


def stocked_pipeline(playbook: Playbook = PLAYBOOK) -> tuple[Pipeline, SimulatedClock]:
    """Four leads captured at the start: two flat low, one flat high, one that keeps touching."""
    clock = SimulatedClock(START)
    pipeline = Pipeline(playbook, MemoryStore(), clock=clock)
    for lead_id, industry in (
        ("L-low", "retail"),
        ("L-low2", "energy"),
        ("L-high", "manufacturing"),
    ):
        pipeline.capture(lead(lead_id, industry))
    pipeline.capture(lead("L-busy"))
    return pipeline, clock


class TestPipelineSweepStale:
    def test_sweep_recycles_the_stale_leads_and_sums_up(self) -> None:
        """The three flat low leads are recycled with a reason each; the flat high one is kept."""
        pipeline, clock = stocked_pipeline()
        clock.set(LATER)
        report = pipeline.sweep_stale(now=LATER)
        assert report.checked == 4
        assert sorted(report.recycled) == ["L-busy", "L-low", "L-low2"]
        assert report.dropped == ()
        assert "3 recycled to nurture" in report.summary()
        for lead_id in report.recycled:
            reasons = [e for e in pipeline.history(lead_id) if isinstance(e, Nurtured)]
            assert [r.rule for r in reasons] == ["stale"]
            assert pipeline.get(lead_id).stage == "nurture"
        assert pipeline.get("L-high").stage == "inquiry"

    def test_a_lead_touching_us_is_not_stale(self) -> None:
        """Site visits within the period raise the score: the busy lead stays where it is."""
        pipeline, clock = stocked_pipeline(DEFAULT_PLAYBOOK)
        clock.set(LATER - timedelta(days=2))
        pipeline.record_interaction(
            "L-busy", Interaction(kind=InteractionKind.SITE_VISIT, at=clock.now())
        )
        clock.set(LATER)
        report = pipeline.sweep_stale()
        assert "L-busy" not in report.recycled
        assert pipeline.get("L-busy").stage == "inquiry"

    def test_a_second_sweep_finds_nothing_new_and_a_later_one_drops(self) -> None:
        """Sweeping twice at once changes nothing; a period later the recycled leads are dropped."""
        pipeline, clock = stocked_pipeline()
        clock.set(LATER)
        first = pipeline.sweep_stale(now=LATER)
        assert pipeline.sweep_stale(now=LATER).recycled == ()
        clock.set(LATER + timedelta(days=61))
        later = pipeline.sweep_stale()
        assert sorted(later.dropped) == sorted(first.recycled)
        for lead_id in later.dropped:
            assert pipeline.get(lead_id).stage == "disqualified"
