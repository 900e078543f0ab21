"""Levels three and four: sales to partners, partners back to sales, and partner to marketing.

Given an SQL built by `tests.levels` (the fair visitor and five partners, four of them
serving the north), when a channel command is decided, then the events and the folded lead
show who holds it; a refusal raises an error whose attributes say why.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import attrs
import pytest

from leadpipeline import (
    AllocateChannel,
    AssignPartner,
    Complete,
    ExpireOffers,
    OfferToPartners,
    Outcome,
    PartnerAccept,
    Party,
    Reclaim,
    ReturnLead,
    Revenue,
    TransitionError,
    UpdateProfile,
    ValidationError,
    replay,
)
from leadpipeline.errors import OfferError, PartnerAccessError
from leadpipeline.events import (
    AllocationBlocked,
    ChannelAllocated,
    Completed,
    Disqualified,
    Nurtured,
    Offered,
    OfferWithdrawn,
    PartnerAccepted,
    Reclaimed,
    Returned,
    StageChanged,
)
from leadpipeline.rules import ReturnPolicy, ReturnReason, Routing
from tests.levels import (
    ELIGIBLE,
    LEAD_ID,
    OFFERED_AT,
    PLAYBOOK,
    ROSTER,
    START,
    accepted_by,
    allocated_to_partners,
    enterprise_lead,
    kinds,
    offered,
    qualified_lead,
    refusal,
    sal,
    sql,
    walk,
)

LATER = OFFERED_AT + timedelta(days=1)
"""A day after the offers went out: inside their three-day expiry."""

DIRECT_SALES = Party.sales(team="direct")


def _with_revenue(amount: float, source: str) -> Revenue:
    return Revenue(amount=amount, source=source)


class TestAllocate:
    """Sales decides direct or partner channel from the authoritative revenue."""

    def test_an_enterprise_lead_goes_to_direct_sales_naming_rule_value_and_source(self) -> None:
        """900 million EUR from the address broker falls in the enterprise band: direct sales."""
        lead, _ = sql(enterprise_lead())

        allocated, events = walk(lead, [AllocateChannel()])

        assert kinds(events) == ["ChannelAllocated", "StageChanged", "OwnerChanged"]
        decision = events[0]
        assert isinstance(decision, ChannelAllocated)
        assert (decision.channel, decision.rule) == ("direct", "enterprise")
        assert (decision.value, decision.data_source) == ("900,000,000 EUR", "address-broker")
        assert (allocated.stage, allocated.owner) == ("opportunity", DIRECT_SALES)
        assert allocated.channel == "direct"

    def test_a_mid_market_lead_goes_to_the_partner_channel_and_stays_with_sales(self) -> None:
        """30 million EUR falls in the mid-market band: the partner channel, no stage change yet."""
        lead, _ = sql()

        allocated, events = walk(lead, [AllocateChannel()])

        assert kinds(events) == ["ChannelAllocated"]
        decision = events[0]
        assert isinstance(decision, ChannelAllocated)
        assert (decision.channel, decision.rule) == ("partner", "mid-market")
        assert (decision.value, decision.data_source) == ("30,000,000 EUR", "address-broker")
        assert (allocated.stage, allocated.owner) == ("sql", lead.owner)
        assert allocated.channel == "partner"

    def test_revenue_from_another_source_blocks_allocation_naming_the_missing_data(self) -> None:
        """A CRM estimate is not the address broker: AllocationBlocked, and the lead stays put."""
        estimate = qualified_lead(
            company=attrs.evolve(
                qualified_lead().company, annual_revenue=_with_revenue(900e6, "crm-estimate")
            )
        )
        lead, _ = sql(estimate)

        blocked, events = walk(lead, [AllocateChannel()])

        assert kinds(events) == ["AllocationBlocked"]
        outcome = events[0]
        assert isinstance(outcome, AllocationBlocked)
        assert "authoritative revenue missing" in outcome.reason
        assert "crm-estimate" in outcome.reason
        assert "address-broker" in outcome.reason
        assert outcome.data_source == "address-broker"
        assert (blocked.stage, blocked.owner, blocked.channel) == ("sql", lead.owner, None)
        assert blocked.version == lead.version + 1

    def test_a_lead_without_any_revenue_is_blocked_too(self) -> None:
        """No revenue at all is the same outcome: blocked, never a guess."""
        unknown = qualified_lead(
            company=attrs.evolve(qualified_lead().company, annual_revenue=None)
        )
        lead, _ = sql(unknown)

        blocked, events = walk(lead, [AllocateChannel()])

        assert kinds(events) == ["AllocationBlocked"]
        assert blocked.channel is None

    def test_only_an_sql_is_allocated(self) -> None:
        """Allocation of a SAL is refused, naming the stage it needs."""
        lead, _ = sal()

        err = refusal(lead, AllocateChannel(), TransitionError)

        assert (err.lead_id, err.stage, err.command) == (LEAD_ID, "sal", "allocate_channel")
        assert err.allowed == PLAYBOOK.lifecycle.allowed_from("sal")
        assert "'sql'" in err.reason

    def test_a_direct_allocation_withdraws_the_open_partner_offers(self) -> None:
        """Re-allocated to direct sales after new revenue data, no partner can take the lead."""
        lead, _ = offered()
        richer = attrs.evolve(lead.company, annual_revenue=_with_revenue(900e6, "address-broker"))

        lead, events = walk(lead, [UpdateProfile(company=richer), AllocateChannel()], now=LATER)

        assert (lead.channel, lead.owner) == ("direct", DIRECT_SALES)
        withdrawn = {e.partner_id for e in events if isinstance(e, OfferWithdrawn)}
        assert withdrawn == {"p-gold", "p-silver", "p-bronze"}
        assert lead.offers == ()
        refusal(lead, PartnerAccept(partner_id="p-gold"), OfferError, now=LATER)


class TestAssignPartner:
    """Sales gives a partner-channel lead straight to one partner."""

    def test_a_named_partner_takes_the_lead_as_an_opportunity(self) -> None:
        """AssignPartner moves the SQL to opportunity, owned by that one partner."""
        lead, _ = allocated_to_partners()

        assigned, events = walk(lead, [AssignPartner(partner_id="p-silver")])

        assert kinds(events) == ["StageChanged", "OwnerChanged"]
        assert (assigned.stage, assigned.owner) == ("opportunity", Party.partner("p-silver"))

    def test_without_a_name_the_best_ranked_partner_is_chosen(self) -> None:
        """With equal free capacity the gold partner ranks first and is assigned."""
        lead, _ = allocated_to_partners()

        assigned, _ = walk(lead, [AssignPartner()])

        assert assigned.owner == Party.partner("p-gold")

    def test_a_partner_outside_the_region_is_refused_with_its_reason(self) -> None:
        """The southern partner does not serve the north: refused, naming who qualifies."""
        lead, _ = allocated_to_partners()

        err = refusal(lead, AssignPartner(partner_id="p-south"), TransitionError)

        assert (err.lead_id, err.stage) == (LEAD_ID, "sql")
        assert err.command == "assign_partner: p-south"
        assert set(err.allowed) == set(ELIGIBLE)
        assert "wrong region" in err.reason

    def test_a_lead_not_allocated_to_the_partner_channel_cannot_be_assigned(self) -> None:
        """Before allocation, assigning is refused and points at allocate_channel."""
        lead, _ = sql()

        err = refusal(lead, AssignPartner(partner_id="p-gold"), TransitionError)

        assert err.allowed == ("allocate_channel",)
        assert err.command == "assign_partner"

    def test_the_assigned_partner_acknowledges_without_changing_the_owner(self) -> None:
        """PartnerAccept by the assigned partner records only the acknowledgement."""
        lead, _ = allocated_to_partners()
        assigned, _ = walk(lead, [AssignPartner(partner_id="p-silver")])

        acknowledged, events = walk(assigned, [PartnerAccept(partner_id="p-silver")])

        assert kinds(events) == ["PartnerAccepted"]
        assert acknowledged.owner == assigned.owner


class TestOfferToPartners:
    """Sales offers a partner-channel lead to several partners; the first to accept wins."""

    def test_the_lead_is_offered_to_the_three_best_ranked_partners(self) -> None:
        """Without names, the policy's three best candidates get an offer for three days."""
        lead, _ = allocated_to_partners()

        on_offer, events = walk(lead, [OfferToPartners()], now=OFFERED_AT)

        assert kinds(events) == ["Offered"] * 3
        ids = [e.partner_id for e in events if isinstance(e, Offered)]
        assert ids[:2] == ["p-gold", "p-silver"]
        assert ids[2] in {"p-bronze", "p-spare"}
        assert all(
            isinstance(e, Offered) and e.expires_at == OFFERED_AT + timedelta(days=3)
            for e in events
        )
        assert on_offer.offered_to == tuple(ids)
        assert (on_offer.stage, on_offer.owner) == ("sql", lead.owner)

    def test_naming_a_partner_twice_is_refused(self) -> None:
        """The same partner cannot hold two offers: refused at partner_ids."""
        lead, _ = allocated_to_partners()

        err = refusal(lead, OfferToPartners(partner_ids=("p-gold", "p-gold")), ValidationError)

        assert err.paths == ("partner_ids",)

    def test_a_lead_already_on_offer_is_not_offered_again(self) -> None:
        """A second round of offers while the first is open is refused."""
        lead, _ = offered()

        err = refusal(lead, OfferToPartners(), TransitionError, now=LATER)

        assert err.command == "offer_to_partners"
        assert err.allowed == ("partner_accept", "expire_offers")


class TestPartnerAccept:
    """The first partner to accept an open offer wins it."""

    def test_the_first_to_accept_wins_and_the_other_offers_are_withdrawn(self) -> None:
        """Silver accepts first and wins; gold's and bronze's offers are withdrawn."""
        lead, _ = offered("p-gold", "p-silver", "p-bronze")

        won, events = walk(lead, [PartnerAccept(partner_id="p-silver")], now=LATER)

        assert Counter(kinds(events)) == Counter(
            {"PartnerAccepted": 1, "OfferWithdrawn": 2, "StageChanged": 1, "OwnerChanged": 1}
        )
        withdrawn = [e for e in events if isinstance(e, OfferWithdrawn)]
        assert {e.partner_id for e in withdrawn} == {"p-gold", "p-bronze"}
        assert all(e.reason == "accepted by partner p-silver" for e in withdrawn)
        assert not any(e.expired for e in withdrawn)
        accepted = next(e for e in events if isinstance(e, PartnerAccepted))
        assert accepted.actor == Party.partner("p-silver")
        assert (won.stage, won.owner, won.offers) == ("opportunity", Party.partner("p-silver"), ())

    def test_a_second_partner_accepting_after_the_first_won_is_refused(self) -> None:
        """Gold accepts after silver won: OfferError, another partner was first."""
        lead, _ = accepted_by("p-silver", "p-gold", "p-silver", "p-bronze")

        err = refusal(lead, PartnerAccept(partner_id="p-gold"), OfferError, now=LATER)

        assert (err.lead_id, err.stage) == (LEAD_ID, "opportunity")
        assert err.command == "partner_accept: p-gold"
        assert err.allowed == ()
        assert err.reason == "won by another partner: it accepted first"

    def test_a_late_acceptance_after_the_expiry_is_refused(self) -> None:
        """Accepting a minute after the three days ran out is refused with the expiry time."""
        lead, _ = offered("p-gold", "p-silver")
        late = OFFERED_AT + timedelta(days=3, minutes=1)

        err = refusal(lead, PartnerAccept(partner_id="p-gold"), OfferError, now=late)

        assert (err.lead_id, err.stage) == (LEAD_ID, "sql")
        assert err.command == "partner_accept: p-gold"
        assert err.allowed == ()
        expiry = (OFFERED_AT + timedelta(days=3)).isoformat()
        assert err.reason == f"the offer expired at {expiry}"

    def test_a_late_acceptance_after_the_offers_were_swept_is_refused(self) -> None:
        """Once ExpireOffers withdrew the lapsed offer, accepting it is refused as expired."""
        lead, _ = offered("p-gold", "p-silver", "p-bronze")
        late = OFFERED_AT + timedelta(days=4)
        swept, _ = walk(lead, [ExpireOffers()], now=late)

        err = refusal(swept, PartnerAccept(partner_id="p-gold"), OfferError, now=late)

        assert err.reason == "the offer expired"
        assert err.allowed == swept.offered_to

    def test_a_partner_without_an_offer_cannot_accept(self) -> None:
        """A partner never offered the lead is refused, naming the partners that hold offers."""
        lead, _ = offered("p-gold", "p-silver")

        err = refusal(lead, PartnerAccept(partner_id="p-spare"), OfferError, now=LATER)

        assert err.reason == "no open offer to this partner"
        assert err.allowed == ("p-gold", "p-silver")


class TestExpireOffers:
    """Lapsed offers are withdrawn and the lead goes to the next candidates."""

    def test_lapsed_offers_are_withdrawn_and_the_remaining_partner_is_offered(self) -> None:
        """All three offers lapse: they are withdrawn as expired and the fourth partner gets one."""
        lead, _ = offered()
        late = OFFERED_AT + timedelta(days=4)

        swept, events = walk(lead, [ExpireOffers()], now=late)

        withdrawn = [e for e in events if isinstance(e, OfferWithdrawn)]
        assert {e.partner_id for e in withdrawn} == set(lead.offered_to)
        assert all(e.expired for e in withdrawn)
        reoffered = [e.partner_id for e in events if isinstance(e, Offered)]
        assert reoffered == sorted(set(ELIGIBLE) - set(lead.offered_to))
        assert set(swept.lapsed_offers) == set(lead.offered_to)

    def test_nothing_is_decided_while_the_offers_are_open(self) -> None:
        """Before the expiry the sweep records nothing."""
        lead, _ = offered()

        _, events = walk(lead, [ExpireOffers()], now=LATER)

        assert events == ()


class TestReturnLead:
    """A partner gives a lead back; the reason code decides where it goes."""

    def test_a_project_that_does_not_fit_goes_to_the_next_partner_not_the_first(self) -> None:
        """Gold returns "project_does_not_fit": sales holds it again and silver gets the offer."""
        lead, _ = accepted_by("p-gold")

        back, events = walk(
            lead,
            [
                ReturnLead(
                    partner_id="p-gold",
                    reason="project_does_not_fit",
                    comment="they need on-premise hosting we do not offer",
                )
            ],
            now=LATER,
        )

        assert kinds(events) == ["Returned", "StageChanged", "OwnerChanged", "Offered"]
        returned, move, _, offer = events
        assert isinstance(returned, Returned)
        assert (returned.reason, returned.routing) == ("project_does_not_fit", "next_partner")
        assert returned.comment == "they need on-premise hosting we do not offer"
        assert isinstance(move, StageChanged)
        assert move.to_stage == "sql"
        assert isinstance(offer, Offered)
        assert offer.partner_id == "p-silver"
        assert (back.stage, back.owner.kind) == ("sql", Party.sales().kind)
        assert back.returned_by == ("p-gold",)
        assert back.offered_to == ("p-silver",)

    def test_each_returning_partner_is_skipped_until_none_is_left_then_sales_keeps_it(
        self,
    ) -> None:
        """Four returns in a row: every re-offer skips the returners; the last goes to sales."""
        lead, _ = accepted_by("p-gold")
        now = LATER
        returners: list[str] = []
        holder = "p-gold"
        for _ in ELIGIBLE:
            now += timedelta(days=1)
            lead, events = walk(
                lead,
                [ReturnLead(partner_id=holder, reason="no_capacity", comment="fully booked")],
                now=now,
            )
            returners.append(holder)
            offers = [e.partner_id for e in events if isinstance(e, Offered)]
            assert not set(offers) & set(returners)
            if not offers:
                break
            (holder,) = offers
            lead, _ = walk(lead, [PartnerAccept(partner_id=holder)], now=now)

        assert sorted(returners) == sorted(ELIGIBLE)
        assert (lead.stage, lead.owner, lead.offers) == ("sql", Party.sales(), ())

    def test_with_no_other_partner_the_lead_goes_back_to_sales(self) -> None:
        """A roster with one northern partner: its return leaves sales holding the SQL."""
        lone = attrs.evolve(PLAYBOOK, partners=(ROSTER[0], ROSTER[-1]))
        lead, _ = allocated_to_partners()
        lead, _ = walk(lead, [AssignPartner(partner_id="p-gold")], lone)

        back, events = walk(
            lead,
            [ReturnLead(partner_id="p-gold", reason="project_does_not_fit", comment="too small")],
            lone,
            now=LATER,
        )

        assert kinds(events) == ["Returned", "StageChanged", "OwnerChanged"]
        assert (back.stage, back.owner, back.offers) == ("sql", Party.sales(), ())
        move = events[1]
        assert isinstance(move, StageChanged)
        assert "no other partner qualifies" in move.reason

    def test_no_lead_is_disqualified(self) -> None:
        """A "no_lead" return disqualifies the lead; marketing owns it, the reason recorded."""
        lead, _ = accepted_by("p-gold")

        dropped, events = walk(
            lead,
            [ReturnLead(partner_id="p-gold", reason="no_lead", comment="a student project")],
            now=LATER,
        )

        assert kinds(events) == ["Returned", "Disqualified", "StageChanged", "OwnerChanged"]
        record = events[1]
        assert isinstance(record, Disqualified)
        assert "no_lead" in record.reason
        assert (dropped.stage, dropped.owner) == ("disqualified", Party.marketing())

    def test_an_existing_customer_goes_to_customer_marketing(self) -> None:
        """An "already_customer" return passes the lead to customer marketing."""
        lead, _ = accepted_by("p-gold")

        moved, events = walk(
            lead,
            [
                ReturnLead(
                    partner_id="p-gold",
                    reason="already_customer",
                    comment="runs our suite at another site",
                )
            ],
            now=LATER,
        )

        assert kinds(events) == ["Returned", "StageChanged", "OwnerChanged"]
        assert (moved.stage, moved.owner) == ("customer", Party.customer_marketing())

    @pytest.mark.parametrize("comment", ["", "   "])
    def test_a_return_without_a_comment_is_refused(self, comment: str) -> None:
        """The next partner needs to know why: a blank comment is refused at `comment`."""
        lead, history = accepted_by("p-gold")

        err = refusal(
            lead,
            ReturnLead(partner_id="p-gold", reason="no_capacity", comment=comment),
            ValidationError,
            now=LATER,
        )

        assert err.paths == ("comment",)
        assert replay(history) == lead

    def test_a_reason_that_needs_no_comment_is_accepted_without_one(self) -> None:
        """A catalogue entry with requires_comment=False lets the partner return without one."""
        duplicate = ReturnReason(
            code="duplicate", label="duplicate", routing=Routing.DISQUALIFY, requires_comment=False
        )
        policy = ReturnPolicy(
            reasons=(*PLAYBOOK.return_policy.reasons[:4], duplicate), reclaim_reason="no_capacity"
        )
        lenient = attrs.evolve(PLAYBOOK, return_policy=policy)
        lead, _ = accepted_by("p-gold")

        dropped, _ = walk(
            lead, [ReturnLead(partner_id="p-gold", reason="duplicate", comment="")], lenient, LATER
        )

        assert dropped.stage == "disqualified"

    def test_a_return_with_an_unknown_reason_is_refused_naming_the_codes(self) -> None:
        """A reason outside the return catalogue is refused at `reason`, listing the codes."""
        lead, _ = accepted_by("p-gold")

        err = refusal(
            lead,
            ReturnLead(partner_id="p-gold", reason="meh", comment="not interested"),
            ValidationError,
            now=LATER,
        )

        assert err.paths == ("reason",)
        for code in PLAYBOOK.return_policy.codes:
            assert code in err.problems[0][1]

    def test_a_partner_cannot_return_a_lead_it_does_not_hold(self) -> None:
        """Silver returning gold's lead is refused with PartnerAccessError."""
        lead, _ = accepted_by("p-gold", "p-gold", "p-silver")

        err = refusal(
            lead,
            ReturnLead(partner_id="p-silver", reason="no_capacity", comment="fully booked"),
            PartnerAccessError,
            now=LATER,
        )

        assert (err.lead_id, err.stage) == (LEAD_ID, "opportunity")
        assert err.command == "return_lead: p-silver"
        assert err.reason == "partner 'p-silver' does not hold this lead"

    def test_an_offer_is_not_a_holding(self) -> None:
        """A partner that only has an offer cannot return the lead: sales still holds it."""
        lead, _ = offered("p-gold")

        err = refusal(
            lead,
            ReturnLead(partner_id="p-gold", reason="no_capacity", comment="fully booked"),
            PartnerAccessError,
            now=LATER,
        )

        assert (err.stage, err.command) == ("sql", "return_lead: p-gold")


class TestReclaim:
    """Sales takes a lead back from a partner that stopped responding."""

    def test_a_reclaimed_lead_goes_to_the_next_partner_never_back(self) -> None:
        """Reclaimed from gold: gold counts as having returned it, silver is offered the lead."""
        lead, _ = accepted_by("p-gold")

        back, events = walk(
            lead,
            [Reclaim(partner_id="p-gold", reason="not_responding", comment="silent for 10 days")],
            now=LATER,
        )

        assert isinstance(events[0], Reclaimed)
        assert [e.partner_id for e in events if isinstance(e, Offered)] == ["p-silver"]
        assert back.returned_by == ("p-gold",)

    def test_a_lead_can_only_be_reclaimed_from_its_holder(self) -> None:
        """Reclaiming from a partner that does not hold the lead is refused."""
        lead, _ = accepted_by("p-gold")

        err = refusal(
            lead,
            Reclaim(partner_id="p-silver", reason="not_responding"),
            PartnerAccessError,
            now=LATER,
        )

        assert err.command == "reclaim: p-silver"


class TestComplete:
    """The working party reports the end of the sales process."""

    def test_a_won_lead_goes_to_customer_marketing(self) -> None:
        """Gold reports a win with its revenue: the customer now belongs to customer marketing."""
        lead, _ = accepted_by("p-gold")

        won, events = walk(
            lead,
            [Complete(outcome=Outcome.WON, revenue=95_000, actor=Party.partner("p-gold"))],
            now=START + timedelta(days=40),
        )

        assert kinds(events) == ["Completed", "StageChanged", "OwnerChanged"]
        done = events[0]
        assert isinstance(done, Completed)
        assert (done.outcome, done.revenue) == (Outcome.WON, 95_000)
        assert (won.stage, won.owner) == ("customer", Party.customer_marketing())

    def test_a_lost_lead_goes_back_to_marketing_with_its_reason(self) -> None:
        """Gold reports a loss: the reason is recorded and marketing nurtures the lead."""
        lead, _ = accepted_by("p-gold")

        lost, events = walk(
            lead,
            [Complete(outcome=Outcome.LOST, reason="chose a competitor")],
            now=START + timedelta(days=40),
        )

        assert kinds(events) == ["Completed", "Nurtured", "StageChanged", "OwnerChanged"]
        done, nurtured = events[0], events[1]
        assert isinstance(done, Completed)
        assert done.reason == "chose a competitor"
        assert isinstance(nurtured, Nurtured)
        assert nurtured.reason == "lost: chose a competitor"
        assert done.actor == Party.partner("p-gold")
        assert (lost.stage, lost.owner) == ("nurture", Party.marketing())

    def test_direct_sales_reports_its_own_win(self) -> None:
        """A direct-channel opportunity is completed by direct sales."""
        lead, _ = sql(enterprise_lead())
        lead, _ = walk(lead, [AllocateChannel()])

        won, _ = walk(lead, [Complete(outcome=Outcome.WON)], now=START + timedelta(days=40))

        assert (won.stage, won.owner) == ("customer", Party.customer_marketing())

    def test_a_loss_needs_a_reason(self) -> None:
        """A lost lead without a reason is refused at `reason`."""
        lead, _ = accepted_by("p-gold")

        err = refusal(lead, Complete(outcome=Outcome.LOST), ValidationError, now=LATER)

        assert err.paths == ("reason",)

    def test_a_lead_not_in_a_working_stage_cannot_be_completed(self) -> None:
        """Completing an SQL nobody works yet is refused, naming the moves allowed from SQL."""
        lead, _ = allocated_to_partners()

        err = refusal(lead, Complete(outcome=Outcome.WON), TransitionError)

        assert (err.lead_id, err.stage, err.command) == (LEAD_ID, "sql", "complete")
        assert err.allowed == PLAYBOOK.lifecycle.allowed_from("sql")
        assert "'opportunity'" in err.reason

    def test_a_partner_cannot_complete_a_lead_it_does_not_hold(self) -> None:
        """Silver reporting a win on gold's lead is refused with PartnerAccessError."""
        lead, _ = accepted_by("p-gold")

        err = refusal(
            lead,
            Complete(outcome=Outcome.WON, actor=Party.partner("p-silver")),
            PartnerAccessError,
            now=LATER,
        )

        assert (err.lead_id, err.stage) == (LEAD_ID, "opportunity")
        assert err.command == "complete: p-silver"
        assert "does not hold" in err.reason

    def test_sales_cannot_complete_a_lead_a_partner_works(self) -> None:
        """While gold works the lead, sales reporting the outcome is refused."""
        lead, _ = accepted_by("p-gold")

        err = refusal(
            lead,
            Complete(outcome=Outcome.WON, actor=Party.sales()),
            PartnerAccessError,
            now=LATER,
        )

        assert err.command == "complete"
