"""Giving a lead back: sales to marketing, a partner to sales, always with a catalogue reason.

Also the SAL definition that sales accepts a handover against. Given / when / then through
`decide` and `transition`; no shell, no store.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from leadpipeline import (
    Accept,
    AssignPartner,
    Capture,
    Escalate,
    Lead,
    MoveStage,
    Nurture,
    Party,
    Qualify,
    Reclaim,
    Reject,
    ReturnLead,
    decide,
    transition,
)
from leadpipeline.errors import QualificationError, TransitionError, ValidationError
from leadpipeline.events import (
    Accepted,
    HandedOver,
    OwnerChanged,
    Reclaimed,
    Rejected,
    evolve,
)
from leadpipeline.rules import OnMiss
from leadpipeline.rules.sla import breaches
from tests.levels import (
    PLAYBOOK,
    START,
    accepted_by,
    allocated_to_partners,
    handed_over,
    kinds,
    qualified_lead,
    refusal,
    sal,
    walk,
)

LATER = START + timedelta(days=4)
REJECTION_CODES = tuple(r.code for r in PLAYBOOK.rejection_reasons)


def without_industry() -> Lead:
    """The fair visitor with no industry known: an MQL, but below the firmographics level."""
    lead = qualified_lead()
    return attrs.evolve(lead, company=attrs.evolve(lead.company, industry=None))


class TestGenericMove:
    """A generic stage move cannot give a lead back."""

    def test_sales_sends_an_mql_back_with_a_generic_move(self) -> None:
        """Sales sends an MQL back with a generic move: refused, the reason catalogue is named."""
        lead, _ = handed_over()

        err = refusal(lead, MoveStage(to_stage="nurture"), TransitionError)

        assert err.allowed == ("reject", "nurture")
        assert "sales/inside-sales to marketing" in err.command
        for code in REJECTION_CODES:
            assert code in err.reason

    def test_a_generic_move_cannot_hand_a_worked_sql_back_with_a_named_owner(self) -> None:
        """Naming marketing as the new owner of a worked lead is refused the same way."""
        lead, _ = sal()

        err = refusal(lead, MoveStage(to_stage="nurture", owner=Party.marketing()), TransitionError)

        assert err.allowed == ("reject", "nurture")

    def test_a_partner_lead_cannot_be_moved_back_to_sales(self) -> None:
        """A partner's opportunity moved back to SQL is refused, naming the return catalogue."""
        lead, _ = accepted_by("p-gold")

        err = refusal(lead, MoveStage(to_stage="sql"), TransitionError, now=LATER)

        assert err.allowed == ("return_lead", "reclaim")
        for code in PLAYBOOK.return_policy.codes:
            assert code in err.reason

    def test_marketing_moves_its_own_lead_freely(self) -> None:
        """Marketing moving its own MQL back to inquiry hands nothing back: allowed."""
        lead, _ = walk(None, [Capture(lead=qualified_lead()), Qualify()])

        moved, events = walk(lead, [MoveStage(to_stage="inquiry")])

        assert kinds(events) == ["StageChanged"]
        assert (moved.stage, moved.owner) == ("inquiry", Party.marketing())


class TestNurtureFromSales:
    """Sales sending a lead to nurture is a hand-back: a rejection with a catalogue reason."""

    def test_a_dot_is_not_a_reason(self) -> None:
        """Sales nurturing a handed-over MQL with reason '.': refused at reason, catalogue named."""
        lead, _ = handed_over()

        err = refusal(lead, Nurture(reason="."), ValidationError)

        assert err.paths == ("reason",)
        for code in REJECTION_CODES:
            assert code in err.problems[0][1]

    def test_a_catalogue_reason_is_recorded_and_marketing_is_told(self) -> None:
        """Sales nurturing a SAL for 'wrong_timing': Rejected recorded, marketing notified."""
        lead, history = sal()

        done = transition(
            lead,
            Nurture(reason="wrong_timing", comment="budget next year"),
            PLAYBOOK,
            now=START + timedelta(days=1),
            history=history,
        )

        assert kinds(done.events)[:2] == ["Rejected", "Nurtured"]
        assert (done.after.stage, done.after.owner) == ("nurture", Party.marketing())
        told = [(n.kind, n.recipient) for n in done.notifications]
        assert ("rejected", Party.marketing()) in told

    def test_a_partner_lead_cannot_be_nurtured(self) -> None:
        """Nurturing a lead a partner works is refused: the partner returns it with a reason."""
        lead, _ = accepted_by("p-gold")

        err = refusal(lead, Nurture(reason="no_budget"), TransitionError, now=LATER)

        assert err.allowed == ("return_lead", "reclaim")

    def test_marketing_nurtures_its_own_inquiry_in_its_own_words(self) -> None:
        """An inquiry marketing holds goes to nurture with free text; nothing is handed back."""
        lead, _ = walk(None, [Capture(lead=qualified_lead())])

        nurtured, events = walk(lead, [Nurture(reason="student project, not a buyer")])

        assert kinds(events) == ["Nurtured", "StageChanged"]
        assert nurtured.stage == "nurture"


class TestReject:
    """Sales refuses a handover."""

    def test_a_rejection_without_a_reason_is_a_validation_error(self) -> None:
        """Reject() with no reason is refused at reason, naming the catalogue, not a TypeError."""
        lead, _ = handed_over()

        err = refusal(lead, Reject(), ValidationError)

        assert err.paths == ("reason",)
        assert "a rejection needs a reason" in err.problems[0][1]
        for code in REJECTION_CODES:
            assert code in err.problems[0][1]

    @pytest.mark.parametrize("code", REJECTION_CODES)
    def test_every_rejection_code_hands_a_handover_back(self, code: str) -> None:
        """Each code of the default catalogue is a valid reason to give a handover back."""
        lead, _ = handed_over()

        back, events = walk(lead, [Reject(reason=code)])

        assert isinstance(events[0], Rejected)
        assert back.owner == Party.marketing()


class TestSlaHandBack:
    """Escalations that give a lead back record a catalogue reason too."""

    def test_an_unanswered_handover_goes_back_as_a_no_response_rejection(self) -> None:
        """Sales never answers: two working days late, the SLA desk rejects it as no_response."""
        lead, history = handed_over()
        now = START + timedelta(days=8)

        events = decide(lead, Escalate(), PLAYBOOK, now=now, history=history)

        rejected = [e for e in events if isinstance(e, Rejected)]
        assert [(e.reason, e.actor) for e in rejected] == [("no_response", Party.sales(team="sla"))]
        after = lead
        for event in events:
            after = evolve(after, event)
        assert (after.stage, after.owner) == ("nurture", Party.marketing())

    def test_a_partner_gone_quiet_is_reclaimed_for_the_catalogue_reason(self) -> None:
        """An unanswered assignment is reclaimed with reason not_responding, by inside sales."""
        lead, history = allocated_to_partners()
        lead, more = walk(lead, [AssignPartner(partner_id="p-gold")])
        history += more

        events = decide(lead, Escalate(), PLAYBOOK, now=START + timedelta(days=9), history=history)

        (reclaimed,) = [e for e in events if isinstance(e, Reclaimed)]
        assert reclaimed.reason == "not_responding"
        assert "breached" in reclaimed.comment
        assert reclaimed.actor == Party.sales(team="inside-sales")

    def test_a_reclaim_with_free_text_is_refused(self) -> None:
        """Reclaiming for 'silent' (not a return code) is refused at reason."""
        lead, _ = accepted_by("p-gold")

        err = refusal(
            lead, Reclaim(partner_id="p-gold", reason="silent"), ValidationError, now=LATER
        )

        assert err.paths == ("reason",)


class TestClocksCloseWhenTheLeadLeaves:
    """An SLA clock waiting on a party closes when the lead leaves that party."""

    def test_a_handover_clock_closes_when_the_lead_left_sales(self) -> None:
        """A history where the lead left sales (an older generic move) leaves no breach behind."""
        lead, history = handed_over()
        handover = next(e for e in history if isinstance(e, HandedOver))
        left = OwnerChanged(
            lead_id=lead.id,
            at=handover.at + timedelta(hours=1),
            actor=Party.sales(),
            from_owner=lead.owner,
            to_owner=Party.marketing(),
        )
        now = START + timedelta(days=10)

        still_waiting = breaches(history, PLAYBOOK.sla_policies, PLAYBOOK.calendar, now=now)
        after_leaving = breaches(
            (*history, left), PLAYBOOK.sla_policies, PLAYBOOK.calendar, now=now
        )

        assert [b.policy for b in still_waiting] == ["mql_handover_response"]
        assert after_leaving == ()

    def test_a_reassignment_within_sales_keeps_the_clock(self) -> None:
        """Passing the lead to another sales team is not leaving sales: the clock runs on."""
        lead, history = handed_over()
        moved = OwnerChanged(
            lead_id=lead.id,
            at=START + timedelta(hours=1),
            actor=Party.sales(),
            from_owner=lead.owner,
            to_owner=Party.sales(team="field"),
        )
        now = START + timedelta(days=10)

        found = breaches((*history, moved), PLAYBOOK.sla_policies, PLAYBOOK.calendar, now=now)

        assert [b.policy for b in found] == ["mql_handover_response"]


class TestPartnerReturnKeepsTheTeam:
    """A lead back from a partner goes to the sales team that handed it on."""

    def test_needs_sales_returns_the_lead_to_inside_sales(self) -> None:
        """A partner returns 'needs_sales': inside sales holds the SQL again, and is told."""
        lead, history = accepted_by("p-gold")

        done = transition(
            lead,
            ReturnLead(partner_id="p-gold", reason="needs_sales", comment="too big for us"),
            PLAYBOOK,
            now=LATER,
            history=history,
        )

        assert (done.after.stage, done.after.owner) == ("sql", Party.sales(team="inside-sales"))
        told = [(n.kind, n.recipient) for n in done.notifications]
        assert ("returned", Party.sales(team="inside-sales")) in told

    def test_a_lead_offered_on_stays_with_inside_sales(self) -> None:
        """Returned 'no_capacity', offered to the next partner: inside sales holds it meanwhile."""
        lead, history = accepted_by("p-gold")

        done = transition(
            lead,
            ReturnLead(partner_id="p-gold", reason="no_capacity", comment="fully booked"),
            PLAYBOOK,
            now=LATER,
            history=history,
        )

        assert done.after.owner == Party.sales(team="inside-sales")
        assert done.after.offered_to == ("p-silver",)


class TestAcceptChecksTheSalDefinition:
    """Sales accepts a handover against the playbook's SAL definition."""

    def test_a_lead_without_firmographics_is_refused_with_the_assessment(self) -> None:
        """No industry known: accept is refused, the assessment names the missed level."""
        lead, _ = handed_over(without_industry())

        err = refusal(lead, Accept(), QualificationError)

        assert err.definition == "sal"
        missed = [r.criterion for r in err.assessment.missed]
        assert missed == ["profile level firmographics or higher"]
        assert err.allowed == ("reject",)

    def test_a_playbook_that_warns_accepts_and_records_the_miss(self) -> None:
        """With on_sal_miss=warn the lead becomes SAL; the Accepted event names what it missed."""
        lenient = attrs.evolve(PLAYBOOK, on_sal_miss=OnMiss.WARN)
        lead, _ = handed_over(without_industry())

        accepted, events = walk(lead, [Accept()], lenient)

        record = events[0]
        assert isinstance(record, Accepted)
        assert accepted.stage == "sal"
        assert "firmographics" in record.warning
        assert [r.met for r in record.criteria].count(False) == 1

    def test_a_lead_that_meets_the_definition_carries_the_evidence(self) -> None:
        """A complete fair visitor is accepted without a warning, every criterion met."""
        lead, _ = handed_over()

        _, events = walk(lead, [Accept()])

        record = events[0]
        assert isinstance(record, Accepted)
        assert record.warning == ""
        assert record.criteria
        assert all(r.met for r in record.criteria)
