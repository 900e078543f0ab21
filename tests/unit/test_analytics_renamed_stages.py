"""Analytics find the waterfall by role, so a lifecycle with renamed stages counts the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadpipeline.analytics import fit_predictive, source_attribution, velocity, waterfall
from leadpipeline.events import Completed, Event, LeadCaptured, Outcome, StageChanged
from leadpipeline.lead import Lead, Party, Source
from tests.lifecycles import RENAMED

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def journey(lead_id: str, *steps: tuple[float, str], won: bool = False) -> tuple[Event, ...]:
    """A lead captured in "lead" at T0, moved through `steps` of (days after T0, stage)."""
    lead = Lead(id=lead_id, source=Source(channel="web", captured_at=T0), stage="lead")
    events: list[Event] = [LeadCaptured(lead_id=lead_id, at=T0, actor=Party.marketing(), lead=lead)]
    stage = "lead"
    for days, to_stage in steps:
        events.append(
            StageChanged(
                lead_id=lead_id,
                at=T0 + days * DAY,
                actor=Party.sales(),
                from_stage=stage,
                to_stage=to_stage,
            )
        )
        stage = to_stage
    if won:
        last = events[-1].at
        events.append(Completed(lead_id=lead_id, at=last, actor=Party.sales(), outcome=Outcome.WON))
    return tuple(events)


def histories() -> list[tuple[Event, ...]]:
    """One won, one recycled at marketing-qualified, one lost, one back from recycling."""
    return [
        journey(
            "A",
            (1, "marketing-qualified"),
            (2, "accepted"),
            (4, "qualified"),
            (7, "deal"),
            (17, "won"),
            won=True,
        ),
        journey("B", (2, "marketing-qualified"), (5, "recycle")),
        journey("C", (3, "lost")),
        journey("D", (1, "recycle"), (4, "marketing-qualified")),
    ]


class TestRenamedLifecycle:
    def test_waterfall_counts_the_renamed_stages(self) -> None:
        """The waterfall walks the lifecycle's own stage names, in role order."""
        result = waterfall(histories(), lifecycle=RENAMED)
        assert result.stages == (
            "lead",
            "marketing-qualified",
            "accepted",
            "qualified",
            "deal",
            "won",
        )
        assert [(r.stage, r.leads) for r in result.total.reached] == [
            ("lead", 4),
            ("marketing-qualified", 3),
            ("accepted", 1),
            ("qualified", 1),
            ("deal", 1),
            ("won", 1),
        ]
        assert result.total.rate("lead", "marketing-qualified") == 0.75
        assert result.total.rate("marketing-qualified", "won") == 1 / 3

    def test_velocity_orders_the_renamed_waterfall_first(self) -> None:
        """Stays are timed per renamed stage, waterfall stages first, others after."""
        result = velocity(histories(), lifecycle=RENAMED)
        assert [(s.stage, s.stays, s.median, s.p90) for s in result.stages] == [
            ("lead", 4, 1.5 * DAY, 3 * DAY),
            ("marketing-qualified", 2, 2 * DAY, 3 * DAY),
            ("accepted", 1, 2 * DAY, 2 * DAY),
            ("qualified", 1, 3 * DAY, 3 * DAY),
            ("deal", 1, 10 * DAY, 10 * DAY),
            ("recycle", 1, 3 * DAY, 3 * DAY),
        ]

    def test_source_attribution_finds_the_sql_stage_by_role(self) -> None:
        """Reaching SQL means reaching the stage that plays the SQL role, here "qualified"."""
        web = source_attribution(histories(), lifecycle=RENAMED).of("web")
        assert (web.leads, web.reached_sql, web.won) == (4, 1, 1)

    def test_predictive_walks_the_renamed_waterfall(self) -> None:
        """The model's stages are the renamed waterfall; stops are counted where leads died."""
        model = fit_predictive(histories(), ["source.channel"], lifecycle=RENAMED)
        assert model.waterfall == RENAMED.waterfall
        lead, mql = model.stage("lead"), model.stage("marketing-qualified")
        assert (lead.passed, lead.stopped) == (3, 1)
        assert (mql.passed, mql.stopped) == (1, 1)
