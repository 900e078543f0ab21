"""The report of a lifecycle whose stages have their own names: figures under those names."""

from __future__ import annotations

import attrs
import pytest

from leadpipeline import MemoryStore, Outcome, Party, Pipeline, waterfall
from leadpipeline.adapters import RecordingNotifier, SimulatedClock
from leadpipeline.cli import demo_playbook, report
from tests.cli.helpers import journey_of, numbers, section
from tests.lifecycles import RENAMED
from tests.pipeline_support import T0, fair_lead


@pytest.fixture
def pipeline() -> Pipeline:
    """Four fair visitors run through the demo's playbook on the renamed lifecycle.

    L-1 is won through a partner, L-2 goes back to nurturing after SQL, sales rejects L-3,
    and L-4 is disqualified straight away.
    """
    playbook = attrs.evolve(demo_playbook(), lifecycle=RENAMED)
    pipeline = Pipeline(playbook, MemoryStore(), RecordingNotifier(), SimulatedClock(T0))
    for n in (1, 2, 3, 4):
        pipeline.capture(attrs.evolve(fair_lead(n), stage="lead"))
    for lead_id in ("L-1", "L-2", "L-3"):
        pipeline.qualify(lead_id)
        pipeline.hand_over(lead_id, to=Party.sales(team="inside-sales"))
    pipeline.reject("L-3", reason="no_budget")
    for lead_id in ("L-1", "L-2"):
        pipeline.accept(lead_id)
        pipeline.qualify_sql(lead_id)
    pipeline.allocate_channel("L-1")
    taker = pipeline.offer_to_partners("L-1", seed=0).offers[0].partner_id
    pipeline.partner_accept("L-1", taker)
    pipeline.complete("L-1", Outcome.WON, revenue=80_000.0, actor=Party.partner(taker))
    pipeline.nurture("L-2", reason="no_budget", comment="no budget this year")
    pipeline.disqualify("L-4", reason="student")
    return pipeline


class TestRenamedStages:
    def test_the_leads_end_in_the_renamed_stages(self, pipeline: Pipeline) -> None:
        """The journeys end in the lifecycle's own stages: won, recycle and lost."""
        ends = {lead.id: lead.stage for lead in pipeline.store.query()}
        assert ends == {"L-1": "won", "L-2": "recycle", "L-3": "recycle", "L-4": "lost"}

    def test_waterfall_counts_the_renamed_stages(self, pipeline: Pipeline) -> None:
        """The waterfall names each step by the lifecycle's names, with the leads reaching it."""
        text = report(pipeline.store, pipeline.playbook, now=pipeline.clock.now())
        steps = [
            (line.split()[0], line.split()[2], *numbers(line))
            for line in section(text, "waterfall")
        ]
        assert steps == [
            ("lead", "marketing-qualified", 4, 3),
            ("marketing-qualified", "accepted", 3, 2),
            ("accepted", "qualified", 2, 2),
            ("qualified", "deal", 2, 1),
            ("deal", "won", 1, 1),
        ]

    def test_waterfall_agrees_with_analytics_on_the_lifecycle(self, pipeline: Pipeline) -> None:
        """Each printed step has the counts `waterfall` gives for the lifecycle's stages."""
        text = report(pipeline.store, pipeline.playbook, now=pipeline.clock.now())
        histories = [pipeline.store.history(lead.id) for lead in pipeline.store.query()]
        expected = waterfall(histories, stages=RENAMED.waterfall).total.conversions
        printed = [numbers(line) for line in section(text, "waterfall")]
        assert printed == [[s.from_leads, s.to_leads] for s in expected]

    def test_journey_counts_the_turns_by_role(self, pipeline: Pipeline) -> None:
        """Rejection, nurturing, disqualification and the win are counted whatever their names.

        Sales nurturing L-2 gives it back to marketing, which is recorded as a rejection too.
        """
        text = report(pipeline.store, pipeline.playbook, now=pipeline.clock.now())
        journey = journey_of(text)
        assert journey["rejected by sales"] == 2
        assert journey["nurtured"] == 1
        assert journey["disqualified"] == 1
        assert journey["completed"] == 1
        assert "(won 1, lost 0)" in text
