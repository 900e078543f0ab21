"""The named command methods of `Pipeline`: one per command, and no loophole through `execute`."""

from __future__ import annotations

import typing
from datetime import timedelta

import pytest

from leadpipeline import Interaction, InteractionKind, MoveStage, Pipeline, Source
from leadpipeline.adapters import MemoryStore, SimulatedClock
from leadpipeline.errors import TransitionError, ValidationError
from leadpipeline.lead import Party
from leadpipeline.stages import Command, command_name
from tests.pipeline_support import PLAYBOOK, T0, fair_lead


@pytest.fixture
def pipeline() -> Pipeline:
    """L-1 captured, qualified and handed over to inside sales, waiting for an answer."""
    pipeline = Pipeline(PLAYBOOK, store=MemoryStore(), clock=SimulatedClock(T0))
    pipeline.capture(fair_lead(1))
    pipeline.qualify("L-1")
    pipeline.hand_over("L-1", to=Party.sales(team="inside-sales"))
    return pipeline


class TestCommandMethods:
    """Every command has a method; the methods keep the rules `execute` keeps."""

    def test_every_command_has_a_pipeline_method(self) -> None:
        """For each command class there is a Pipeline method of the same snake-case name."""
        missing = [
            command_name(cls)
            for cls in typing.get_args(Command)
            if not callable(getattr(Pipeline, command_name(cls), None))
        ]
        assert missing == []

    def test_merge_keeps_the_duplicate_source_and_its_touches(self, pipeline: Pipeline) -> None:
        """Merging a web download into the fair lead keeps the original source and adds one."""
        later = T0 + timedelta(days=1)
        web = Source(channel="web", campaign="whitepaper", captured_at=later, source_id="dl-7")

        merged = pipeline.merge(
            "L-1", web, interactions=(Interaction(kind=InteractionKind.DOWNLOAD, at=later),)
        )

        assert merged.source.channel == "exhibition"
        assert merged.merged_sources == (web,)
        assert merged.interactions[-1].kind is InteractionKind.DOWNLOAD

    def test_reject_without_a_reason_is_a_validation_error(self, pipeline: Pipeline) -> None:
        """`reject("L-1")` with no reason raises ValidationError naming the catalogue; no write."""
        before = pipeline.get("L-1")

        with pytest.raises(ValidationError) as err:
            pipeline.reject("L-1")

        assert err.value.paths == ("reason",)
        assert "no_budget" in str(err.value)
        assert pipeline.get("L-1") == before

    def test_a_generic_move_through_execute_gives_nothing_back(self, pipeline: Pipeline) -> None:
        """execute(MoveStage to nurture) on a handed-over MQL is refused: no event, no message."""
        before = pipeline.get("L-1")
        sent = len(pipeline.store.outbox("L-1"))

        with pytest.raises(TransitionError) as err:
            pipeline.execute("L-1", MoveStage(to_stage="nurture"))

        assert err.value.allowed == ("reject", "nurture")
        assert pipeline.get("L-1") == before
        assert len(pipeline.store.outbox("L-1")) == sent

    def test_a_nurture_with_a_dot_is_refused(self, pipeline: Pipeline) -> None:
        """`nurture("L-1", reason=".")` from sales is refused at reason; the lead stays put."""
        before = pipeline.get("L-1")

        with pytest.raises(ValidationError) as err:
            pipeline.nurture("L-1", reason=".")

        assert err.value.paths == ("reason",)
        assert pipeline.get("L-1") == before

    def test_a_rejection_tells_marketing_and_closes_the_sales_clock(
        self, pipeline: Pipeline
    ) -> None:
        """Rejected for no_budget: marketing is told, and no escalation is due days later."""
        pipeline.reject("L-1", reason="no_budget", comment="frozen until Q3")
        clock = pipeline.clock
        assert isinstance(clock, SimulatedClock)

        clock.advance(timedelta(days=10))
        touched = pipeline.escalate_breaches()

        kinds = [
            (e.notification.kind, e.notification.recipient) for e in pipeline.store.outbox("L-1")
        ]
        assert ("rejected", Party.marketing()) in kinds
        assert touched == ()
        assert not any(kind == "escalated" for kind, _ in kinds)
