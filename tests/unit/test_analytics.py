"""Funnel analytics on small hand-built histories with known counts and rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadpipeline.analytics import (
    ScoredOutcome,
    partner_scorecard,
    scored_outcomes,
    sla_attainment,
    source_attribution,
    suggest_threshold,
    threshold_sweep,
    velocity,
    waterfall,
    what_if,
)
from leadpipeline.errors import ValidationError
from leadpipeline.events import (
    Accepted,
    Completed,
    Event,
    HandedOver,
    InteractionRecorded,
    LeadCaptured,
    Offered,
    OfferWithdrawn,
    Outcome,
    OwnerChanged,
    PartnerAccepted,
    Reclaimed,
    Returned,
    StageChanged,
)
from leadpipeline.lead import Company, Interaction, InteractionKind, Lead, Party, Source
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.rules.calendar import STANDARD_CALENDAR
from leadpipeline.rules.scoring import EngagementRule, FitRule, InRange, OneOf, ScoringModel
from leadpipeline.rules.sla import EventMatch, SlaPolicy, TimeBasis

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def journey(
    lead_id: str,
    *,
    channel: str = "web",
    campaign: str | None = None,
    at: datetime = T0,
    steps: tuple[tuple[float, str], ...] = (),
    company: Company | None = None,
) -> list[Event]:
    """A captured lead moved through `steps` of (days after capture, stage)."""
    lead = Lead(
        id=lead_id,
        source=Source(channel=channel, captured_at=at, campaign=campaign),
        company=company or Company(),
    )
    events: list[Event] = [LeadCaptured(lead_id=lead_id, at=at, actor=Party.marketing(), lead=lead)]
    stage = "inquiry"
    for days, to_stage in steps:
        events.append(
            StageChanged(
                lead_id=lead_id,
                at=at + days * DAY,
                actor=Party.marketing(),
                from_stage=stage,
                to_stage=to_stage,
            )
        )
        stage = to_stage
    return events


def completed(
    lead_id: str, at: datetime, outcome: Outcome, *, revenue: float | None = None
) -> Completed:
    return Completed(lead_id=lead_id, at=at, actor=Party.sales(), outcome=outcome, revenue=revenue)


def funnel_histories() -> list[tuple[Event, ...]]:
    """Four leads: one won, one nurtured at SAL, one lost opportunity, one disqualified."""
    l1 = journey(
        "L-1",
        campaign="spring",
        steps=((2, "mql"), (3, "sal"), (5, "sql"), (10, "opportunity"), (20, "customer")),
    )
    l1.append(completed("L-1", T0 + 20 * DAY, Outcome.WON, revenue=10_000.0))
    l2 = journey("L-2", at=T0 + 10 * DAY, steps=((1, "mql"), (2, "sal"), (4, "nurture")))
    l3_at = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
    l3 = journey(
        "L-3",
        channel="exhibition",
        campaign="fair",
        at=l3_at,
        steps=((4, "mql"), (5, "sal"), (6, "sql"), (8, "opportunity")),
    )
    l3 += [
        completed("L-3", l3_at + 30 * DAY, Outcome.LOST, revenue=99.0),
        StageChanged(
            lead_id="L-3",
            at=l3_at + 30 * DAY,
            actor=Party.sales(),
            from_stage="opportunity",
            to_stage="nurture",
        ),
    ]
    l4 = journey(
        "L-4",
        channel="exhibition",
        at=datetime(2026, 2, 10, 9, 0, tzinfo=UTC),
        steps=((6, "disqualified"),),
    )
    return [tuple(h) for h in (l1, l2, l3, l4)]


class TestWaterfall:
    def test_counts_leads_reaching_each_stage(self) -> None:
        """Each lead counts once in every stage it was captured in or moved to."""
        result = waterfall(funnel_histories())
        assert [(r.stage, r.leads) for r in result.total.reached] == [
            ("inquiry", 4),
            ("mql", 3),
            ("sal", 3),
            ("sql", 2),
            ("opportunity", 2),
            ("customer", 1),
        ]
        assert result.total.leads == 4

    def test_conversion_between_consecutive_stages(self) -> None:
        """Each step's rate is the leads reaching the next stage over those reaching this one."""
        steps = waterfall(funnel_histories()).total.conversions
        assert [(c.from_stage, c.to_stage, c.rate) for c in steps] == [
            ("inquiry", "mql", 0.75),
            ("mql", "sal", 1.0),
            ("sal", "sql", pytest.approx(2 / 3)),
            ("sql", "opportunity", 1.0),
            ("opportunity", "customer", 0.5),
        ]

    def test_rate_spans_several_steps(self) -> None:
        """The rate from inquiry to customer is won leads over all leads."""
        assert waterfall(funnel_histories()).total.rate("inquiry", "customer") == 0.25

    def test_groups_by_source_channel(self) -> None:
        """Grouped by channel, each channel has its own counts."""
        result = waterfall(funnel_histories(), by="channel")
        assert [f.group for f in result.groups] == ["exhibition", "web"]
        web, fair = result.group("web"), result.group("exhibition")
        assert [r.leads for r in web.reached] == [2, 2, 2, 1, 1, 1]
        assert [r.leads for r in fair.reached] == [2, 1, 1, 1, 1, 0]
        assert fair.rate("opportunity", "customer") == 0.0

    def test_groups_by_campaign_with_none_as_its_own_group(self) -> None:
        """Leads without a campaign fall into the "(none)" group."""
        result = waterfall(funnel_histories(), by="campaign")
        assert [(f.group, f.leads) for f in result.groups] == [
            ("(none)", 2),
            ("fair", 1),
            ("spring", 1),
        ]

    def test_groups_by_month_of_capture(self) -> None:
        """The period is the month the lead was captured in."""
        result = waterfall(funnel_histories(), by="period")
        assert [(f.group, f.leads, f.count("sql")) for f in result.groups] == [
            ("2026-01", 2, 1),
            ("2026-02", 2, 1),
        ]

    def test_groups_by_a_segment_of_the_current_lead(self) -> None:
        """A segment function sees the lead as replayed from its history."""
        result = waterfall(funnel_histories(), by=lambda lead: lead.stage)
        assert result.by == "segment"
        assert [(f.group, f.leads) for f in result.groups] == [
            ("customer", 1),
            ("disqualified", 1),
            ("nurture", 2),
        ]

    def test_custom_stage_order(self) -> None:
        """A custom order counts only the named stages, in that order."""
        result = waterfall(funnel_histories(), stages=("inquiry", "sql", "customer"))
        assert [(c.from_stage, c.to_stage, c.rate) for c in result.total.conversions] == [
            ("inquiry", "sql", 0.5),
            ("sql", "customer", 0.5),
        ]

    def test_empty_stage_has_no_rate(self) -> None:
        """A step nobody started has no rate rather than a division by zero."""
        only_inquiry = [tuple(journey("L-9"))]
        steps = waterfall(only_inquiry).total.conversions
        assert steps[0].rate == 0.0
        assert steps[1].rate is None

    def test_unknown_grouping_is_refused(self) -> None:
        """An unknown grouping names the `by` argument."""
        with pytest.raises(ValidationError) as exc:
            waterfall(funnel_histories(), by="colour")
        assert exc.value.paths == ("by",)

    def test_history_must_start_with_capture(self) -> None:
        """A history that does not start with LeadCaptured is refused with its index."""
        histories = funnel_histories()
        broken = histories[1][1:]
        with pytest.raises(ValidationError) as exc:
            waterfall([histories[0], broken])
        assert exc.value.paths == ("histories[1]",)


class HalfTime:
    """A calendar where only half of every span is working time."""

    def between(self, start: datetime, end: datetime) -> timedelta:
        return (end - start) / 2


class TestVelocity:
    def test_median_and_p90_per_stage(self) -> None:
        """Finished stays give the median and the nearest-rank 90th percentile per stage."""
        result = velocity(funnel_histories())
        assert [(s.stage, s.stays, s.median, s.p90) for s in result.stages] == [
            ("inquiry", 4, 3 * DAY, 6 * DAY),
            ("mql", 3, DAY, DAY),
            ("sal", 3, 2 * DAY, 2 * DAY),
            ("sql", 2, 3.5 * DAY, 5 * DAY),
            ("opportunity", 2, 16 * DAY, 22 * DAY),
        ]
        assert result.business_time is False

    def test_open_stays_are_not_counted(self) -> None:
        """Stages a lead is still in have no finished stay."""
        assert velocity(funnel_histories()).of("customer") is None

    def test_business_time_through_a_calendar(self) -> None:
        """With a calendar every stay is measured by its `between`."""
        result = velocity(funnel_histories(), calendar=HalfTime())
        inquiry = result.of("inquiry")
        assert inquiry is not None
        assert (inquiry.median, inquiry.p90) == (1.5 * DAY, 3 * DAY)
        assert result.business_time is True

    def test_business_calendar_skips_the_weekend(self) -> None:
        """A stay from Friday 09:00 to Monday 09:00 is one working day on the standard calendar."""
        friday = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
        history = tuple(journey("L-1", at=friday, steps=((3, "mql"),)))
        inquiry = velocity([history], calendar=STANDARD_CALENDAR).of("inquiry")
        assert inquiry is not None
        assert inquiry.median == STANDARD_CALENDAR.between(friday, friday + 3 * DAY)
        assert inquiry.median < 3 * DAY


SLA_POLICY = SlaPolicy(
    name="accept_within_8h",
    starts_on="HandedOver",
    stops_on=(EventMatch(event="Accepted"),),
    allowed=8 * HOUR,
    basis=TimeBasis.WALL_CLOCK,
)


def handed_over(lead_id: str, at: datetime, accepted_after: timedelta | None) -> tuple[Event, ...]:
    events: list[Event] = journey(lead_id, at=at)
    events.append(
        HandedOver(lead_id=lead_id, at=at, actor=Party.marketing(), to_owner=Party.sales())
    )
    if accepted_after is not None:
        events.append(Accepted(lead_id=lead_id, at=at + accepted_after, actor=Party.sales()))
    return tuple(events)


class TestSlaAttainment:
    def test_on_time_late_and_open(self) -> None:
        """Clocks are on time, late, open and overdue, or open and not yet due."""
        now = T0 + DAY
        histories = [
            handed_over("L-1", T0, 2 * HOUR),
            handed_over("L-2", T0, 10 * HOUR),
            handed_over("L-3", T0, None),
            handed_over("L-4", now - HOUR, None),
        ]
        result = sla_attainment(histories, [SLA_POLICY], STANDARD_CALENDAR, now=now)
        stats = result.of("accept_within_8h")
        assert (stats.on_time, stats.late, stats.open, stats.overdue) == (1, 1, 2, 1)
        assert stats.attainment == pytest.approx(1 / 3)

    def test_answer_after_now_is_still_open(self) -> None:
        """Looking back at an earlier `now`, a later acceptance does not count yet."""
        history = handed_over("L-1", T0, 2 * HOUR)
        stats = sla_attainment([history], [SLA_POLICY], STANDARD_CALENDAR, now=T0 + HOUR)
        assert (stats.of("accept_within_8h").on_time, stats.of("accept_within_8h").open) == (0, 1)

    def test_policy_without_clocks_reports_zeros(self) -> None:
        """A policy no history started still appears, with no attainment."""
        stats = sla_attainment([tuple(journey("L-1"))], [SLA_POLICY], STANDARD_CALENDAR, now=T0)
        only = stats.of("accept_within_8h")
        assert (only.on_time, only.late, only.open, only.attainment) == (0, 0, 0, None)

    def test_naive_now_is_refused(self) -> None:
        """`now` must carry a timezone."""
        with pytest.raises(ValidationError):
            sla_attainment([], [SLA_POLICY], STANDARD_CALENDAR, now=datetime(2026, 1, 1))


def partner_histories() -> list[tuple[Event, ...]]:
    """Offers, accepts, a return, a reclaim and two completions across partners p-1, p-2."""
    p1, p2 = Party.partner("p-1"), Party.partner("p-2")
    sales = Party.sales()
    a = journey("A")
    a += [
        Offered(lead_id="A", at=T0, actor=sales, partner_id="p-1", expires_at=T0 + 2 * DAY),
        Offered(lead_id="A", at=T0, actor=sales, partner_id="p-2", expires_at=T0 + 2 * DAY),
        PartnerAccepted(lead_id="A", at=T0 + 2 * HOUR, actor=p1, partner_id="p-1"),
        OfferWithdrawn(lead_id="A", at=T0 + 2 * HOUR, actor=sales, partner_id="p-2", reason="won"),
        OwnerChanged(lead_id="A", at=T0 + 2 * HOUR, actor=p1, from_owner=sales, to_owner=p1),
        Completed(lead_id="A", at=T0 + 10 * DAY, actor=p1, outcome=Outcome.WON, revenue=5000.0),
    ]
    b = journey("B")
    b += [
        Offered(lead_id="B", at=T0, actor=sales, partner_id="p-1", expires_at=T0 + 2 * DAY),
        PartnerAccepted(lead_id="B", at=T0 + 6 * HOUR, actor=p1, partner_id="p-1"),
        Returned(
            lead_id="B",
            at=T0 + DAY,
            actor=p1,
            partner_id="p-1",
            reason="no lead",
            comment="nobody answers",
        ),
        OwnerChanged(lead_id="B", at=T0 + DAY, actor=p1, from_owner=p1, to_owner=sales),
        Offered(lead_id="B", at=T0 + DAY, actor=sales, partner_id="p-2", expires_at=T0 + 3 * DAY),
        PartnerAccepted(lead_id="B", at=T0 + DAY + HOUR, actor=p2, partner_id="p-2"),
        completed("B", T0 + 5 * DAY + HOUR, Outcome.LOST),
    ]
    c = journey("C")
    c += [
        PartnerAccepted(lead_id="C", at=T0, actor=p2, partner_id="p-2"),
        Reclaimed(lead_id="C", at=T0 + 20 * DAY, actor=sales, partner_id="p-2", reason="inactive"),
    ]
    d = journey("D")
    d += [
        Offered(lead_id="D", at=T0, actor=sales, partner_id="p-1", expires_at=T0 + DAY),
        OfferWithdrawn(lead_id="D", at=T0 + DAY, actor=sales, partner_id="p-1", reason="expired"),
    ]
    return [tuple(h) for h in (a, b, c, d)]


class TestPartnerScorecard:
    def test_offers_accepts_and_time_to_accept(self) -> None:
        """A partner's acceptance rate is accepts over offers, timed from the offer."""
        p1 = partner_scorecard(partner_histories()).of("p-1")
        assert (p1.offers, p1.accepts) == (3, 2)
        assert p1.acceptance_rate == pytest.approx(2 / 3)
        assert p1.median_time_to_accept == 4 * HOUR

    def test_direct_assignment_counts_as_offer_and_accept(self) -> None:
        """An accept without an open offer counts as an offer taken at once, untimed."""
        p2 = partner_scorecard(partner_histories()).of("p-2")
        assert (p2.offers, p2.accepts) == (3, 2)
        assert p2.median_time_to_accept == HOUR

    def test_returns_by_reason_and_reclaims(self) -> None:
        """Returns are counted per reason; reclaims separately."""
        card = partner_scorecard(partner_histories())
        p1, p2 = card.of("p-1"), card.of("p-2")
        assert p1.returns == 1
        assert [(r.reason, r.count) for r in p1.returns_by_reason] == [("no lead", 1)]
        assert (p2.returns, p2.reclaims) == (0, 1)

    def test_wins_for_the_completing_partner(self) -> None:
        """A partner's own completion counts for it, timed from its accept."""
        p1 = partner_scorecard(partner_histories()).of("p-1")
        assert (p1.completed, p1.wins, p1.win_rate) == (1, 1, 1.0)
        assert p1.median_time_to_complete == 10 * DAY - 2 * HOUR

    def test_completion_recorded_by_sales_counts_for_the_holder(self) -> None:
        """When sales records the completion, the partner holding the lead gets it."""
        p2 = partner_scorecard(partner_histories()).of("p-2")
        assert (p2.completed, p2.wins, p2.win_rate) == (1, 0, 0.0)
        assert p2.median_time_to_complete == 4 * DAY

    def test_partners_sorted_by_id(self) -> None:
        """Every partner seen appears once, sorted."""
        assert [p.partner_id for p in partner_scorecard(partner_histories()).partners] == [
            "p-1",
            "p-2",
        ]


class TestSourceAttribution:
    def test_per_channel_counts_and_revenue(self) -> None:
        """Won revenue is credited to the original channel; lost revenue is not."""
        result = source_attribution(funnel_histories())
        web, fair = result.of("web"), result.of("exhibition")
        assert (web.leads, web.reached_sql, web.won, web.conversion, web.revenue) == (
            2,
            1,
            1,
            0.5,
            10_000.0,
        )
        assert (fair.leads, fair.reached_sql, fair.won, fair.conversion, fair.revenue) == (
            2,
            1,
            0,
            0.0,
            0.0,
        )
        assert web.sql_rate == 0.5

    def test_unknown_channel_raises_key_error(self) -> None:
        """Asking for a channel with no leads is a KeyError."""
        with pytest.raises(KeyError):
            source_attribution(funnel_histories()).of("radio")


SCORED = [
    (90.0, True),
    (75.0, False),
    (75.0, True),
    (60.0, False),
    (40.0, True),
    (40.0, False),
    (10.0, False),
    (10.0, False),
]


class TestThresholdSweep:
    def test_every_distinct_score_is_a_candidate(self) -> None:
        """Thresholds ascend with cumulative volume and wins of scores at or above them."""
        sweep = threshold_sweep(SCORED, months=2)
        assert sweep.thresholds == (10.0, 40.0, 60.0, 75.0, 90.0)
        assert sweep.volumes == (8, 6, 4, 3, 1)
        assert sweep.wins == (3, 3, 2, 2, 1)
        assert sweep.base_rate == 3 / 8

    def test_point_has_conversion_recall_lift_and_monthly_volume(self) -> None:
        """At 75, two of three handed-over leads won, keeping two of three wins."""
        point = threshold_sweep(SCORED, months=2).at(75)
        assert point is not None
        assert point.conversion == pytest.approx(2 / 3)
        assert point.recall == pytest.approx(2 / 3)
        assert point.lift == pytest.approx(16 / 9)
        assert point.volume_per_month == 1.5

    def test_at_takes_the_next_candidate_up(self) -> None:
        """A threshold between candidates behaves like the next candidate above it."""
        sweep = threshold_sweep(SCORED)
        assert sweep.at(50) == sweep.at(60)
        assert sweep.at(91) is None

    def test_scored_outcomes_give_the_same_sweep(self) -> None:
        """ScoredOutcome values sweep exactly like (score, won) pairs."""
        outcomes = [ScoredOutcome(score=s, won=w) for s, w in SCORED]
        assert threshold_sweep(outcomes) == threshold_sweep(SCORED)

    def test_empty_input_gives_an_empty_sweep(self) -> None:
        """No scored leads: no candidates and no base rate."""
        sweep = threshold_sweep([])
        assert (len(sweep), sweep.base_rate, sweep.points) == (0, None, ())

    def test_non_finite_score_is_refused_with_its_index(self) -> None:
        """A NaN score names its position."""
        with pytest.raises(ValidationError) as exc:
            threshold_sweep([(1.0, True), (float("nan"), False)])
        assert exc.value.paths == ("scored[1]",)

    def test_months_must_be_positive(self) -> None:
        """A zero-month span is refused."""
        with pytest.raises(ValidationError) as exc:
            threshold_sweep(SCORED, months=0)
        assert exc.value.paths == ("months",)


class TestSuggestThreshold:
    def test_lowest_threshold_meeting_the_conversion(self) -> None:
        """The most volume whose conversion still reaches the target."""
        suggestion = suggest_threshold(threshold_sweep(SCORED), min_conversion=0.5, min_leads=1)
        assert suggestion.threshold == 40.0

    def test_lowest_threshold_within_capacity(self) -> None:
        """Sales taking two leads a month over two months gets threshold 60."""
        sweep = threshold_sweep(SCORED, months=2)
        suggestion = suggest_threshold(sweep, volume_per_month=2, min_leads=1)
        assert suggestion.threshold == 60.0
        assert suggestion.point is not None
        assert suggestion.point.volume == 4

    def test_both_targets_together(self) -> None:
        """With capacity and quality targets, both must hold."""
        sweep = threshold_sweep(SCORED, months=2)
        suggestion = suggest_threshold(sweep, volume_per_month=2, min_conversion=0.6, min_leads=1)
        assert suggestion.threshold == 75.0

    def test_unreachable_target_returns_none_with_reason(self) -> None:
        """No threshold fits: the suggestion says so instead of raising."""
        suggestion = suggest_threshold(threshold_sweep(SCORED), min_conversion=1.0, min_leads=2)
        assert suggestion.threshold is None
        assert "no threshold" in suggestion.reason

    def test_too_few_leads_are_not_judged(self) -> None:
        """By default a threshold needs 30 handed-over leads, so a 2-lead 100% is not taken."""
        few = [(90.0, True), (85.0, True)] + [(float(s), False) for s in range(40)]
        sweep = threshold_sweep(few)
        suggestion = suggest_threshold(sweep, min_conversion=0.9)
        assert suggestion.threshold is None
        assert suggestion.reason.endswith("on at least 30 leads")
        assert suggest_threshold(sweep, min_conversion=0.9, min_leads=2).threshold == 85.0

    def test_the_reason_states_the_threshold(self) -> None:
        """The suggestion's text begins with the threshold it suggests."""
        sweep = threshold_sweep([(float(s), s >= 20) for s in range(100)])
        suggestion = suggest_threshold(sweep, min_conversion=0.9)
        assert suggestion.threshold == 12.0
        assert suggestion.reason.startswith("hand over at score >= 12: ")

    @pytest.mark.parametrize("share", [-0.1, 1.5, 50.0])
    def test_a_conversion_outside_zero_to_one_is_refused(self, share: float) -> None:
        """50 is not 50%: a share above 1 (or below 0) is refused, naming the field."""
        with pytest.raises(ValidationError) as exc:
            suggest_threshold(threshold_sweep(SCORED), min_conversion=share)
        assert exc.value.paths == ("min_conversion",)

    def test_a_target_is_required(self) -> None:
        """Without any target there is nothing to suggest."""
        with pytest.raises(ValidationError):
            suggest_threshold(threshold_sweep(SCORED))

    def test_monthly_volume_needs_months(self) -> None:
        """A monthly target on a sweep without months is refused."""
        with pytest.raises(ValidationError) as exc:
            suggest_threshold(threshold_sweep(SCORED), volume_per_month=3)
        assert exc.value.paths == ("sweep.months",)


MODEL_A = ScoringModel(
    name="referrals",
    fit=(
        FitRule(
            name="referral",
            field="source.channel",
            match=OneOf(values=("referral",)),
            points=10,
        ),
    ),
)
MODEL_B = ScoringModel(
    name="big companies",
    fit=(FitRule(name="200+", field="company.employees", match=InRange(at_least=200), points=10),),
)


def what_if_histories() -> list[tuple[Event, ...]]:
    def lead(
        lead_id: str, channel: str, employees: int | None, outcome: Outcome | None
    ) -> tuple[Event, ...]:
        events = journey(lead_id, channel=channel, company=Company(employees=employees))
        if outcome is not None:
            events.append(completed(lead_id, T0 + DAY, outcome))
        return tuple(events)

    return [
        lead("L-1", "referral", 500, Outcome.WON),
        lead("L-2", "referral", 10, Outcome.LOST),
        lead("L-3", "web", 1000, Outcome.WON),
        lead("L-4", "web", None, None),
    ]


class TestWhatIf:
    def test_side_by_side_volumes_and_conversion(self) -> None:
        """Each model hands over its own leads, with their conversion and recall."""
        result = what_if(
            what_if_histories(), MODEL_A, MODEL_B, now=T0, threshold_a=10, threshold_b=10
        )
        assert (result.leads, result.wins) == (4, 2)
        assert (result.a.model, result.a.volume, result.a.wins) == ("referrals", 2, 1)
        assert (result.a.conversion, result.a.recall) == (0.5, 0.5)
        assert (result.b.volume, result.b.wins, result.b.conversion, result.b.recall) == (
            2,
            2,
            1.0,
            1.0,
        )

    def test_overlap_between_the_models(self) -> None:
        """Leads handed over by both, only by A and only by B are counted apart."""
        result = what_if(
            what_if_histories(), MODEL_A, MODEL_B, now=T0, threshold_a=10, threshold_b=10
        )
        assert (result.both, result.only_a, result.only_b) == (1, 1, 1)

    def test_threshold_above_every_score_hands_over_nothing(self) -> None:
        """A side handing over nothing has no conversion."""
        result = what_if(
            what_if_histories(), MODEL_A, MODEL_B, now=T0, threshold_a=11, threshold_b=0
        )
        assert (result.a.volume, result.a.conversion) == (0, None)
        assert result.b.volume == 4

    def test_playbook_brings_its_model_and_mql_threshold(self) -> None:
        """A playbook side scores with its own model at its MQL score threshold."""
        result = what_if(what_if_histories(), DEFAULT_PLAYBOOK, MODEL_B, now=T0, threshold_b=10)
        assert (result.a.model, result.a.threshold) == (DEFAULT_PLAYBOOK.scoring.name, 50.0)
        assert result.a.volume == 0

    def test_bare_model_needs_a_threshold(self) -> None:
        """Without a threshold a scoring model cannot hand anything over."""
        with pytest.raises(ValidationError) as exc:
            what_if(what_if_histories(), MODEL_A, MODEL_B, now=T0, threshold_b=10)
        assert exc.value.paths == ("threshold_a",)


class TestScoredOutcomes:
    def test_scores_pair_with_the_outcome(self) -> None:
        """Each lead's score comes with whether its last completion says won."""
        rows = scored_outcomes(what_if_histories(), MODEL_B, now=T0)
        assert [(r.lead_id, r.score, r.won) for r in rows] == [
            ("L-1", 10.0, True),
            ("L-2", 0.0, False),
            ("L-3", 10.0, True),
            ("L-4", 0.0, False),
        ]

    def test_each_lead_scored_as_it_stood_at_its_own_instant(self) -> None:
        """With a function, events after the chosen instant are left out of the lead."""
        touch = Interaction(kind=InteractionKind.FORM_SUBMIT, at=T0 + DAY)
        late = InteractionRecorded(
            lead_id="L-1", at=T0 + DAY, actor=Party.marketing(), interaction=touch
        )
        history = (*journey("L-1"), late)
        forms = ScoringModel(
            engagement=(
                EngagementRule(name="forms", kind=InteractionKind.FORM_SUBMIT, points=10, cap=10),
            )
        )
        before = scored_outcomes([history], forms, now=lambda h: h[0].at)
        after = scored_outcomes([history], forms, now=lambda h: h[-1].at)
        assert (before[0].score, after[0].score) == (0.0, 10.0)
