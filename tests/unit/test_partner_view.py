"""PartnerView: a partner sees and acts on its own leads only."""

from __future__ import annotations

import pytest

from leadpipeline import Outcome, Pipeline
from leadpipeline.adapters import MemoryStore, SimulatedClock
from leadpipeline.errors import NotFoundError, OfferError
from leadpipeline.lead import Party
from tests.pipeline_support import PLAYBOOK, T0, to_partner_channel


@pytest.fixture
def pipeline() -> Pipeline:
    """Two partner-channel leads: L-1 offered to gold and silver, L-2 assigned to bronze."""
    pipeline = Pipeline(PLAYBOOK, store=MemoryStore(), clock=SimulatedClock(T0))
    to_partner_channel(pipeline, 1)
    pipeline.offer_to_partners("L-1", ["p-gold", "p-silver"])
    to_partner_channel(pipeline, 2)
    pipeline.assign_partner("L-2", "p-bronze")
    return pipeline


class TestPartnerView:
    def test_a_partner_lists_only_leads_it_holds_or_is_offered(self, pipeline: Pipeline) -> None:
        """Gold sees its offer, bronze its assigned lead, and neither sees the other's."""
        assert [lead.id for lead in pipeline.for_partner("p-gold").leads()] == ["L-1"]
        assert [lead.id for lead in pipeline.for_partner("p-bronze").leads()] == ["L-2"]
        assert pipeline.for_partner("p-unknown").leads() == ()

    def test_another_partners_lead_looks_exactly_like_a_missing_one(
        self, pipeline: Pipeline
    ) -> None:
        """Gold asking for bronze's lead gets the same NotFoundError as for a made-up id."""
        gold = pipeline.for_partner("p-gold")
        with pytest.raises(NotFoundError) as theirs:
            gold.get("L-2")
        with pytest.raises(NotFoundError) as missing:
            gold.get("L-404")
        assert (theirs.value.what, str(theirs.value).replace("L-2", "L-404")) == (
            missing.value.what,
            str(missing.value),
        )

    def test_the_first_partner_to_accept_wins_and_the_other_loses_sight(
        self, pipeline: Pipeline
    ) -> None:
        """Silver accepts first; gold's offer is withdrawn and L-1 vanishes from gold's view."""
        lead = pipeline.for_partner("p-silver").accept("L-1")
        assert lead.owner == Party.partner("p-silver")
        gold = pipeline.for_partner("p-gold")
        assert gold.leads() == ()
        with pytest.raises(NotFoundError):
            gold.get("L-1")
        assert pipeline.get("L-1") == lead

    def test_a_partner_too_late_to_accept_hears_it_was_won_by_another(
        self, pipeline: Pipeline
    ) -> None:
        """Gold accepting after silver won gets OfferError 'won by another', not NotFoundError."""
        won = pipeline.for_partner("p-silver").accept("L-1")
        with pytest.raises(OfferError) as late:
            pipeline.for_partner("p-gold").accept("L-1")
        assert late.value.reason.startswith("won by another partner")
        assert "p-silver" not in str(late.value)
        assert pipeline.get("L-1") == won

    def test_a_partner_never_offered_the_lead_still_finds_nothing(self, pipeline: Pipeline) -> None:
        """Bronze accepting L-1, never offered to it, gets NotFoundError as for a missing lead."""
        with pytest.raises(NotFoundError):
            pipeline.for_partner("p-bronze").accept("L-1")

    def test_a_partner_reads_only_its_own_notifications(self, pipeline: Pipeline) -> None:
        """Gold's outbox view of L-1 holds its offer and nothing addressed to silver or sales."""
        notes = pipeline.for_partner("p-gold").outbox("L-1")
        assert [(n.kind, n.recipient) for n in notes] == [("offered", Party.partner("p-gold"))]

    def test_the_holding_partner_reports_a_win(self, pipeline: Pipeline) -> None:
        """Bronze completes its lead as won; it goes to customer marketing."""
        bronze = pipeline.for_partner("p-bronze")
        assert bronze.get("L-2").lead.id == "L-2"
        lead = bronze.complete("L-2", Outcome.WON, revenue=95_000)
        assert (lead.stage, lead.owner) == ("customer", Party.customer_marketing())
