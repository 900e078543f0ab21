"""Explanations for people: why a lead is (not) an MQL, SLA clocks in words, a lead's status."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from leadpipeline import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Party,
    Pipeline,
    Revenue,
    Source,
)
from leadpipeline.adapters import SimulatedClock
from leadpipeline.events import HandedOver, LeadCaptured
from leadpipeline.rules.calendar import STANDARD_CALENDAR
from leadpipeline.rules.qualification import DEFAULT_MQL, assess
from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL, score
from leadpipeline.rules.sla import DEFAULT_SLA_POLICIES, breaches, deadlines

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fair_lead(lead_id: str = "L-1", *, volume: float | None = 500.0) -> Lead:
    """A manufacturing lead met at a trade fair, with a form submit the same day."""
    return Lead(
        id=lead_id,
        source=Source(channel="exhibition", campaign="fair-2026", captured_at=MONDAY),
        contact=Contact(
            first_name="Ada", last_name="Lind", email="ada@acme.example", job_title="Head of IT"
        ),
        company=Company(
            name="Acme",
            industry="manufacturing",
            employees=800,
            country="DE",
            annual_revenue=Revenue(amount=40e6, source="address-broker"),
        ),
        needs=Needs(
            budget=90_000,
            purchase_decision=date(2026, 9, 1),
            expected_volume=volume,
            current_product="legacy suite",
        ),
        interactions=(
            Interaction(kind=InteractionKind.EXHIBITION, at=MONDAY - timedelta(days=3)),
            Interaction(kind=InteractionKind.FORM_SUBMIT, at=MONDAY - timedelta(days=1)),
        ),
    )


class TestAssessmentExplain:
    def test_names_what_is_missing_with_the_value_seen(self) -> None:
        """A lead without expected volume is not an MQL, and the text says that is why."""
        text = assess(
            fair_lead(volume=None), DEFAULT_MQL, DEFAULT_SCORING_MODEL, now=MONDAY
        ).explain()
        first, *rest = text.splitlines()
        assert first == "L-1 is not mql as of 2026-03-02 09:00 UTC: 1 criterion missing"
        assert "  missing: needs.expected_volume known (seen: missing)" in rest
        assert any(line.startswith("  met:     score >= 50") for line in rest)

    def test_a_qualified_lead_says_so_with_its_top_reasons(self) -> None:
        """A full lead is an MQL; the score line lists the contributions that moved it most."""
        result = assess(fair_lead(), DEFAULT_MQL, DEFAULT_SCORING_MODEL, now=MONDAY)
        text = result.explain()
        assert text.startswith("L-1 is mql as of 2026-03-02 09:00 UTC\n")
        top = result.score_card.top_reasons()
        assert f"top reasons: +{round(top[0].points)} {top[0].rule}" in text

    def test_numbers_are_rounded_for_people(self) -> None:
        """No figure in the explanation carries more than one decimal."""
        text = assess(fair_lead(), DEFAULT_MQL, DEFAULT_SCORING_MODEL, now=MONDAY).explain()
        assert re.search(r"\d\.\d\d", text) is None


class TestScoreCardExplain:
    def test_total_and_points_are_rounded(self) -> None:
        """`card.explain()` shows whole points (tenths below ten), never 56.9543."""
        later = MONDAY + timedelta(days=17, hours=5)  # touches have decayed to odd fractions
        card = score(fair_lead(), DEFAULT_SCORING_MODEL, now=later)
        assert card.total != round(card.total)  # the exact figure has decimals
        text = card.explain()
        assert re.search(r"\d\.\d\d", text) is None
        assert f"total {round(card.total)} " in text


def _handed_over_history() -> tuple:
    lead = fair_lead()
    return (
        LeadCaptured(lead_id="L-1", at=MONDAY, actor=Party.marketing(), lead=lead),
        HandedOver(
            lead_id="L-1",
            at=MONDAY,
            actor=Party.marketing(),
            to_owner=Party.sales(team="inside-sales"),
        ),
    )


class TestDeadlineInWords:
    def test_due_in_hours_on_the_clock(self) -> None:
        """Five hours into an eight-hour wall-clock window the clock is "due in 3 h"."""
        mql = next(
            d for d in deadlines(_handed_over_history(), DEFAULT_SLA_POLICIES, STANDARD_CALENDAR)
        )
        assert mql.explain(now=mql.due_at - timedelta(hours=3)) == "due in 3 h"

    def test_working_days_overdue_skip_the_weekend(self) -> None:
        """Due Tuesday, seen the next Monday at the same hour: 4 working days overdue, not 6."""
        mql = next(
            d for d in deadlines(_handed_over_history(), DEFAULT_SLA_POLICIES, STANDARD_CALENDAR)
        )
        seen = mql.due_at + timedelta(days=6)
        assert mql.explain(now=seen, calendar=STANDARD_CALENDAR) == "4 working days overdue"
        assert mql.explain(now=seen) == "6 days overdue"

    def test_a_breach_in_words(self) -> None:
        """A breach seen two working days after its due time says so."""
        history = _handed_over_history()
        due = next(d for d in deadlines(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR)).due_at
        found = breaches(
            history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=due + timedelta(days=2)
        )
        mql = next(b for b in found if b.policy == "mql_handover_response")
        assert mql.explain(calendar=STANDARD_CALENDAR) == "2 working days overdue"


class TestPipelineStatus:
    def test_status_after_a_handover(self) -> None:
        """After a handover the status names stage, owner, MQL verdict and the open clock."""
        clock = SimulatedClock(MONDAY)
        pipeline = Pipeline(clock=clock)
        pipeline.capture(fair_lead())
        pipeline.qualify("L-1")
        pipeline.hand_over("L-1", to=Party.sales(team="inside-sales"))
        clock.advance(timedelta(hours=2))
        status = pipeline.status("L-1")
        assert status.stage == "mql"
        assert status.owner == "sales/inside-sales"
        assert status.mql.qualified
        assert status.score == status.mql.score_card.total
        text = status.explain()
        assert (
            text.splitlines()[0]
            == "L-1: mql, owned by sales/inside-sales (as of 2026-03-02 11:00 UTC)"
        )
        assert "  mql: qualified" in text
        handover = next(c for c in status.clocks if c.policy == "mql_handover_response")
        assert handover.state == "due in 6 working hours"
        assert f"  SLA: due in 6 working hours: {handover.description}" in text

    def test_status_as_of_a_given_instant(self) -> None:
        """`now=` asks as of another instant: a day and a half later the clock is overdue."""
        clock = SimulatedClock(MONDAY)
        pipeline = Pipeline(clock=clock)
        pipeline.capture(fair_lead())
        pipeline.qualify("L-1")
        pipeline.hand_over("L-1", to=Party.sales(team="inside-sales"))
        later = MONDAY + timedelta(days=2)
        status = pipeline.status("L-1", now=later)
        assert status.at == later
        assert any(c.state.endswith("overdue") for c in status.clocks)
