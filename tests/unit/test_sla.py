"""SLA policies over a lead's history: deadlines, breaches and once-only escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.events import (
    Accepted,
    CallRequested,
    Completed,
    Escalated,
    Event,
    HandedOver,
    InteractionRecorded,
    LeadCaptured,
    NoteAdded,
    Offered,
    OfferWithdrawn,
    Outcome,
    OwnerChanged,
    PartnerAccepted,
    Rejected,
    Returned,
    SlaBreached,
)
from leadpipeline.lead import Interaction, InteractionKind, Lead, Party, PartyKind, Source
from leadpipeline.rules.calendar import STANDARD_CALENDAR
from leadpipeline.rules.sla import (
    DEFAULT_SLA_POLICIES,
    Breach,
    CompiledPolicies,
    Escalation,
    EscalationAction,
    EscalationStep,
    EventMatch,
    HotLead,
    InStage,
    InteractionIs,
    SlaPolicy,
    TimeBasis,
    breaches,
    deadlines,
    escalation_due,
)
from leadpipeline.serialization import from_json, to_json

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LEAD = "L-100"
MARKETING = Party.marketing()
SALES = Party.sales(team="inside-sales")
POLICIES = {p.name: p for p in DEFAULT_SLA_POLICIES}


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def captured(at: datetime) -> LeadCaptured:
    lead = Lead(id=LEAD, source=Source(channel="web", captured_at=at))
    return LeadCaptured(lead_id=LEAD, at=at, actor=MARKETING, lead=lead)


def touch(at: datetime, kind: InteractionKind, actor: Party = MARKETING) -> InteractionRecorded:
    return InteractionRecorded(
        lead_id=LEAD, at=at, actor=actor, interaction=Interaction(kind=kind, at=at)
    )


def handed_over(at: datetime) -> tuple[Event, ...]:
    return (
        HandedOver(lead_id=LEAD, at=at, actor=MARKETING, to_owner=SALES),
        OwnerChanged(lead_id=LEAD, at=at, actor=MARKETING, from_owner=MARKETING, to_owner=SALES),
    )


def offered(at: datetime, partner_id: str) -> Offered:
    return Offered(
        lead_id=LEAD, at=at, actor=SALES, partner_id=partner_id, expires_at=at + timedelta(days=7)
    )


def accepted_by(at: datetime, partner_id: str) -> PartnerAccepted:
    return PartnerAccepted(
        lead_id=LEAD, at=at, actor=Party.partner(partner_id), partner_id=partner_id
    )


def status_note(at: datetime, partner_id: str) -> NoteAdded:
    return NoteAdded(lead_id=LEAD, at=at, actor=Party.partner(partner_id), text="demo booked")


def only(policy: str) -> tuple[SlaPolicy, ...]:
    return (POLICIES[policy],)


def call_requested(submit: datetime, at: datetime | None = None) -> CallRequested:
    """The decision's request to the team on duty, recorded at `at` (default: the submit)."""
    return CallRequested(
        lead_id=LEAD,
        at=at or submit,
        actor=MARKETING,
        to=Party.sales(team="inside-sales"),
        submitted_at=submit,
        due_at=submit + timedelta(minutes=5),
    )


def hot_history(submit: datetime) -> tuple[Event, ...]:
    return (
        captured(submit - timedelta(days=6)),
        touch(submit - timedelta(days=5), InteractionKind.SITE_VISIT),
        touch(submit - timedelta(days=2), InteractionKind.EMAIL_CLICK),
        touch(submit - timedelta(hours=1), InteractionKind.SITE_VISIT),
        touch(submit, InteractionKind.FORM_SUBMIT),
        call_requested(submit),
    )


class TestHotFormSubmit:
    submit = berlin(2026, 3, 7, 22, 0)  # a Saturday night: the clock is wall-clock

    def test_call_within_five_minutes_meets_it(self) -> None:
        """A sales call four minutes after a hot lead's form submit meets the SLA."""
        history = (
            *hot_history(self.submit),
            touch(self.submit + timedelta(minutes=4), InteractionKind.CALL, SALES),
        )
        (deadline,) = deadlines(history, only("hot_form_submit_call"), STANDARD_CALENDAR)
        assert deadline.due_at == self.submit + timedelta(minutes=5)
        assert deadline.met_at == self.submit + timedelta(minutes=4)
        assert deadline.started_at == self.submit
        assert deadline.stopped_by == "InteractionRecorded"
        assert deadline.late is None
        assert (
            breaches(
                history,
                DEFAULT_SLA_POLICIES,
                STANDARD_CALENDAR,
                now=self.submit + timedelta(hours=1),
            )
            == ()
        )

    def test_late_call_is_a_closed_breach(self) -> None:
        """A call seven minutes after the submit is two minutes late; nothing is left to do."""
        history = (
            *hot_history(self.submit),
            touch(self.submit + timedelta(minutes=7), InteractionKind.CALL, SALES),
        )
        (breach,) = breaches(
            history,
            only("hot_form_submit_call"),
            STANDARD_CALENDAR,
            now=self.submit + timedelta(hours=1),
        )
        assert breach.late == timedelta(minutes=2)
        assert not breach.open
        assert breach.due_steps == ()

    def test_no_call_escalates_to_owner_then_manager(self) -> None:
        """Without a call the owner is notified at once and the manager ten minutes later."""
        policies = only("hot_form_submit_call")
        history = hot_history(self.submit)
        (early,) = breaches(
            history, policies, STANDARD_CALENDAR, now=self.submit + timedelta(minutes=6)
        )
        assert early.open
        assert early.late == timedelta(minutes=1)
        assert [s.action for s in early.due_steps] == [EscalationAction.NOTIFY_OWNER]
        assert early.due_steps[0].recipient == "marketing"
        (later,) = breaches(
            history, policies, STANDARD_CALENDAR, now=self.submit + timedelta(minutes=16)
        )
        assert [s.action for s in later.due_steps] == [
            EscalationAction.NOTIFY_OWNER,
            EscalationAction.NOTIFY_MANAGER,
        ]

    def test_a_form_submit_without_a_call_request_starts_no_clock(self) -> None:
        """The clock starts on the decision's call request, not on any form submit."""
        history = hot_history(self.submit)[:-1]
        assert deadlines(history, only("hot_form_submit_call"), STANDARD_CALENDAR) == ()

    def test_a_marketing_call_does_not_count(self) -> None:
        """Only a call or meeting by sales answers a hot lead."""
        history = (
            *hot_history(self.submit),
            touch(self.submit + timedelta(minutes=1), InteractionKind.CALL, MARKETING),
        )
        (deadline,) = deadlines(history, only("hot_form_submit_call"), STANDARD_CALENDAR)
        assert deadline.awaiting_response

    def test_the_clock_counts_from_the_submit_not_from_the_request(self) -> None:
        """A submit that reached us three minutes late leaves two minutes for the call."""
        history = (
            *hot_history(self.submit)[:-1],
            call_requested(self.submit, at=self.submit + timedelta(minutes=3)),
        )
        (deadline,) = deadlines(history, only("hot_form_submit_call"), STANDARD_CALENDAR)
        assert (deadline.started_at, deadline.due_at) == (
            self.submit,
            self.submit + timedelta(minutes=5),
        )

    def test_a_hot_lead_condition_still_counts_touches_where_no_playbook_is(self) -> None:
        """Outside a playbook a HotLead condition limited to site visits ignores email clicks."""
        policy = attrs.evolve(
            POLICIES["hot_form_submit_call"],
            starts_on="InteractionRecorded",
            conditions=(
                HotLead(min_interactions=3, kinds=frozenset({InteractionKind.SITE_VISIT})),
            ),
        )
        assert deadlines(hot_history(self.submit), (policy,), STANDARD_CALENDAR) == ()


class TestMqlHandover:
    friday = berlin(2026, 3, 6, 16, 0)
    due = berlin(2026, 3, 9, 16, 0)  # one working day later: Monday 16:00

    def test_accept_next_working_day_meets_it(self) -> None:
        """Sales accepting Monday 15:00 a lead handed over Friday 16:00 is in time."""
        history = (
            captured(self.friday),
            *handed_over(self.friday),
            Accepted(lead_id=LEAD, at=berlin(2026, 3, 9, 15), actor=SALES),
        )
        (deadline,) = deadlines(history, only("mql_handover_response"), STANDARD_CALENDAR)
        assert deadline.due_at == self.due
        assert deadline.met_at == berlin(2026, 3, 9, 15)
        assert not deadline.awaiting_response
        assert deadline.late is None

    def test_late_rejection_is_late(self) -> None:
        """A rejection half an hour after the due instant is thirty minutes late."""
        history = (
            captured(self.friday),
            *handed_over(self.friday),
            Rejected(lead_id=LEAD, at=berlin(2026, 3, 9, 16, 30), actor=SALES, reason="no budget"),
        )
        (breach,) = breaches(
            history, only("mql_handover_response"), STANDARD_CALENDAR, now=berlin(2026, 3, 10, 9)
        )
        assert breach.late == timedelta(minutes=30)
        assert breach.deadline.stopped_by == "Rejected"
        assert not breach.open

    def test_unanswered_handover_climbs_the_ladder(self) -> None:
        """No answer: the owner is told at once, the manager four working hours later."""
        history = (captured(self.friday), *handed_over(self.friday))
        policies = only("mql_handover_response")
        (breach,) = breaches(history, policies, STANDARD_CALENDAR, now=berlin(2026, 3, 10, 10))
        assert breach.open
        assert breach.due_at == self.due
        assert [s.step for s in breach.due_steps] == [0]
        assert breach.due_steps[0].recipient == "sales/inside-sales"
        (later,) = breaches(history, policies, STANDARD_CALENDAR, now=berlin(2026, 3, 10, 12))
        assert [s.step for s in later.due_steps] == [0, 1]
        assert later.due_steps[1].fires_at == berlin(2026, 3, 10, 12)

    def test_not_breached_before_due(self) -> None:
        """At the due instant itself the handover is not yet breached."""
        history = (captured(self.friday), *handed_over(self.friday))
        assert breaches(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=self.due) == ()

    def test_due_instant_compares_across_zones(self) -> None:
        """A due instant computed in Berlin is checked against a `now` given in New York."""
        history = (captured(self.friday), *handed_over(self.friday.astimezone(UTC)))
        policies = only("mql_handover_response")
        in_time = datetime(2026, 3, 9, 10, 59, tzinfo=NEW_YORK)  # 15:59 in Berlin
        late = datetime(2026, 3, 9, 11, 1, tzinfo=NEW_YORK)  # 16:01 in Berlin
        assert breaches(history, policies, STANDARD_CALENDAR, now=in_time) == ()
        (breach,) = breaches(history, policies, STANDARD_CALENDAR, now=late)
        assert breach.late == timedelta(minutes=1)

    def test_second_handover_after_an_answer_starts_a_new_clock(self) -> None:
        """A lead handed over again after a rejection gets a fresh deadline."""
        second = berlin(2026, 4, 1, 9)
        history = (
            captured(self.friday),
            *handed_over(self.friday),
            Rejected(lead_id=LEAD, at=berlin(2026, 3, 9, 10), actor=SALES, reason="early"),
            *handed_over(second),
        )
        found = deadlines(history, only("mql_handover_response"), STANDARD_CALENDAR)
        assert [d.started_at for d in found] == [self.friday, second]
        assert found[1].due_at == berlin(2026, 4, 1, 17)


class TestPartnerOffer:
    monday = berlin(2026, 3, 2, 9)

    def test_one_partner_answers_the_other_is_reclaimed(self) -> None:
        """Offers run per partner: the silent partner breaches and is reclaimed."""
        history = (
            captured(self.monday),
            offered(self.monday, "p-1"),
            offered(self.monday, "p-2"),
            accepted_by(berlin(2026, 3, 3, 11), "p-1"),
        )
        (breach,) = breaches(
            history, only("partner_offer_response"), STANDARD_CALENDAR, now=berlin(2026, 3, 6, 10)
        )
        assert breach.partner_id == "p-2"
        assert breach.due_at == berlin(2026, 3, 4, 17)  # three working days
        reclaim = breach.due_steps[-1]
        assert reclaim.action is EscalationAction.RECLAIM_FROM_PARTNER
        assert reclaim.partner_id == "p-2"
        assert reclaim.target == "p-2"
        assert reclaim.fires_at == berlin(2026, 3, 5, 17)

    def test_return_and_withdrawal_stop_the_clock(self) -> None:
        """A partner's return and a withdrawn offer both end that partner's clock."""
        history = (
            captured(self.monday),
            offered(self.monday, "p-1"),
            offered(self.monday, "p-2"),
            Returned(
                lead_id=LEAD,
                at=berlin(2026, 3, 3, 9),
                actor=Party.partner("p-1"),
                partner_id="p-1",
                reason="no_fit",
                comment="outside our region",
            ),
            OfferWithdrawn(
                lead_id=LEAD,
                at=berlin(2026, 3, 3, 9),
                actor=SALES,
                partner_id="p-2",
                reason="won by another partner",
            ),
        )
        found = deadlines(history, only("partner_offer_response"), STANDARD_CALENDAR)
        assert {(d.partner_id, d.stopped_by) for d in found} == {
            ("p-1", "Returned"),
            ("p-2", "OfferWithdrawn"),
        }
        assert (
            breaches(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=berlin(2026, 4, 1, 9))
            == ()
        )

    def test_another_partners_answer_does_not_count(self) -> None:
        """An acceptance by p-2 leaves p-1's offer clock running."""
        history = (
            captured(self.monday),
            offered(self.monday, "p-1"),
            accepted_by(berlin(2026, 3, 2, 10), "p-2"),
        )
        (deadline,) = deadlines(history, only("partner_offer_response"), STANDARD_CALENDAR)
        assert deadline.partner_id == "p-1"
        assert deadline.awaiting_response


class TestPartnerAssignment:
    monday = berlin(2026, 3, 2, 9)

    def assign(self, at: datetime, partner_id: str) -> OwnerChanged:
        return OwnerChanged(
            lead_id=LEAD, at=at, actor=SALES, from_owner=SALES, to_owner=Party.partner(partner_id)
        )

    def test_silent_assignee_is_reclaimed(self) -> None:
        """A partner assigned a lead that never answers is reclaimed after the ladder."""
        history = (captured(self.monday), self.assign(self.monday, "p-7"))
        due = escalation_due(
            history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=berlin(2026, 3, 9, 9)
        )
        actions = [(b.policy, s.action, s.target) for b, s in due]
        assert (
            "partner_assignment_response",
            EscalationAction.RECLAIM_FROM_PARTNER,
            "p-7",
        ) in actions

    def test_acceptance_recorded_with_the_assignment_counts(self) -> None:
        """An acceptance recorded at the same instant, before the assignment, meets it."""
        history = (
            captured(self.monday),
            accepted_by(self.monday, "p-7"),
            self.assign(self.monday, "p-7"),
        )
        (deadline,) = deadlines(history, only("partner_assignment_response"), STANDARD_CALENDAR)
        assert not deadline.awaiting_response
        assert deadline.late is None

    def test_handing_to_sales_starts_no_partner_clock(self) -> None:
        """An owner change to sales is not a partner assignment."""
        history = (captured(self.monday), *handed_over(self.monday))
        assert deadlines(history, only("partner_assignment_response"), STANDARD_CALENDAR) == ()


class TestPartnerStatus:
    start = berlin(2026, 3, 2, 9)

    def test_weekly_reports_keep_the_clock_met(self) -> None:
        """A note every week restarts the status clock; each period is met in time."""
        history: tuple[Event, ...] = (
            captured(self.start),
            accepted_by(self.start, "p-1"),
            *(status_note(self.start + timedelta(weeks=w), "p-1") for w in (1, 2, 3)),
        )
        found = deadlines(history, only("partner_status_report"), STANDARD_CALENDAR)
        assert len(found) == 4
        assert all(d.late is None for d in found)
        assert found[-1].awaiting_response
        assert found[-1].due_at == berlin(2026, 4, 3, 17)  # ten working days from 23 March

    def test_eleven_silent_working_days_breach(self) -> None:
        """No report for more than ten working days breaches the status SLA."""
        history = (captured(self.start), accepted_by(self.start, "p-1"))
        (breach,) = breaches(
            history, only("partner_status_report"), STANDARD_CALENDAR, now=berlin(2026, 3, 17, 9)
        )
        assert breach.due_at == berlin(2026, 3, 13, 17)
        assert [s.action for s in breach.due_steps] == [EscalationAction.NOTIFY_OWNER]
        assert breach.due_steps[0].recipient == "partner/p-1"

    def test_another_partners_note_is_no_report(self) -> None:
        """A note by a different partner does not answer p-1's status clock."""
        history = (
            captured(self.start),
            accepted_by(self.start, "p-1"),
            status_note(self.start + timedelta(days=1), "p-2"),
        )
        (deadline,) = deadlines(history, only("partner_status_report"), STANDARD_CALENDAR)
        assert deadline.awaiting_response

    def test_completion_ends_the_reports(self) -> None:
        """Once the partner reports completion no further status is due."""
        history = (
            captured(self.start),
            accepted_by(self.start, "p-1"),
            Completed(
                lead_id=LEAD,
                at=berlin(2026, 3, 5, 9),
                actor=Party.partner("p-1"),
                outcome=Outcome.WON,
            ),
        )
        found = deadlines(history, only("partner_status_report"), STANDARD_CALENDAR)
        assert [d.awaiting_response for d in found] == [False]


class TestPartnerCompletion:
    start = berlin(2026, 3, 2, 9)

    def test_completion_within_ninety_days_meets_it(self) -> None:
        """A won deal reported after 80 days is in time."""
        history = (
            captured(self.start),
            accepted_by(self.start, "p-1"),
            Completed(
                lead_id=LEAD,
                at=self.start + timedelta(days=80),
                actor=Party.partner("p-1"),
                outcome=Outcome.WON,
            ),
        )
        (deadline,) = deadlines(history, only("partner_completion"), STANDARD_CALENDAR)
        # 90 real days: across the spring change that is 10:00 summer time on the clock.
        assert deadline.due_at == self.start.astimezone(UTC) + timedelta(days=90)
        assert deadline.due_at.isoformat() == "2026-05-31T10:00:00+02:00"
        assert deadline.late is None

    def test_no_completion_after_ninety_days_breaches(self) -> None:
        """Ninety-one days without an outcome breaches; reclaim follows two weeks later."""
        history = (captured(self.start), accepted_by(self.start, "p-1"))
        policies = only("partner_completion")
        real = self.start.astimezone(UTC)
        (breach,) = breaches(history, policies, STANDARD_CALENDAR, now=real + timedelta(days=91))
        assert breach.late == timedelta(days=1)
        assert [s.action for s in breach.due_steps] == [EscalationAction.NOTIFY_OWNER]
        (later,) = breaches(history, policies, STANDARD_CALENDAR, now=real + timedelta(days=104))
        assert later.due_steps[-1].action is EscalationAction.RECLAIM_FROM_PARTNER
        assert later.due_steps[-1].partner_id == "p-1"


WAITING = SlaPolicy(
    name="qualify_handover",
    starts_on="HandedOver",
    stops_on=(EventMatch(event="Accepted"),),
    pauses_on=(EventMatch(event="NoteAdded", actor=PartyKind.SALES),),
    resumes_on=(
        EventMatch(event="InteractionRecorded", kinds=frozenset({InteractionKind.EMAIL_REPLY})),
    ),
    allowed=timedelta(hours=8),
    escalation=(EscalationStep(action=EscalationAction.NOTIFY_MANAGER),),
)


class TestPauseAndResume:
    monday = berlin(2026, 3, 2, 9)

    def waiting(self, at: datetime) -> NoteAdded:
        return NoteAdded(lead_id=LEAD, at=at, actor=SALES, text="asked for budget figures")

    def test_paused_clock_has_no_due_instant(self) -> None:
        """While sales waits on the customer the clock holds its remaining time."""
        history = (
            captured(self.monday),
            *handed_over(self.monday),
            self.waiting(berlin(2026, 3, 2, 11)),
        )
        (deadline,) = deadlines(history, (WAITING,), STANDARD_CALENDAR)
        assert deadline.due_at is None
        assert deadline.remaining == timedelta(hours=6)
        assert deadline.paused_at == berlin(2026, 3, 2, 11)
        assert breaches(history, (WAITING,), STANDARD_CALENDAR, now=berlin(2026, 4, 1, 9)) == ()

    def test_resume_moves_the_due_instant(self) -> None:
        """Two hours used, paused, resumed Wednesday 10:00: due Wednesday 16:00."""
        history = (
            captured(self.monday),
            *handed_over(self.monday),
            self.waiting(berlin(2026, 3, 2, 11)),
            touch(berlin(2026, 3, 4, 10), InteractionKind.EMAIL_REPLY),
        )
        (deadline,) = deadlines(history, (WAITING,), STANDARD_CALENDAR)
        assert deadline.due_at == berlin(2026, 3, 4, 16)
        (breach,) = breaches(history, (WAITING,), STANDARD_CALENDAR, now=berlin(2026, 3, 4, 16, 30))
        assert breach.late == timedelta(minutes=30)

    def test_pausing_after_the_due_instant_does_not_rescue(self) -> None:
        """A pause that comes after the deadline passed leaves the breach standing."""
        history = (
            captured(self.monday),
            *handed_over(self.monday),
            self.waiting(berlin(2026, 3, 3, 10)),
        )
        (breach,) = breaches(history, (WAITING,), STANDARD_CALENDAR, now=berlin(2026, 3, 3, 11))
        assert breach.due_at == berlin(2026, 3, 2, 17)

    def test_answer_while_paused_meets_it(self) -> None:
        """Accepting while the clock is paused meets the SLA."""
        history = (
            captured(self.monday),
            *handed_over(self.monday),
            self.waiting(berlin(2026, 3, 2, 11)),
            Accepted(lead_id=LEAD, at=berlin(2026, 3, 20, 9), actor=SALES),
        )
        (deadline,) = deadlines(history, (WAITING,), STANDARD_CALENDAR)
        assert deadline.met_at == berlin(2026, 3, 20, 9)
        assert deadline.late is None


class TestEscalationOnce:
    friday = berlin(2026, 3, 6, 16, 0)

    def escalated(self, due: tuple[Breach, Escalation], at: datetime) -> Escalated:
        _, step = due
        return Escalated(
            lead_id=LEAD,
            at=at,
            actor=SALES,
            policy=step.policy,
            started_at=step.started_at,
            step=step.step,
            action=step.action.value,
            target=step.target,
        )

    def test_a_step_escalates_once(self) -> None:
        """After the Escalated event is in the history the same step is no longer due."""
        now = berlin(2026, 3, 10, 10)
        history: tuple[Event, ...] = (captured(self.friday), *handed_over(self.friday))
        due = escalation_due(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=now)
        assert [s.step for _, s in due] == [0]
        history = (*history, self.escalated(due[0], now))
        assert escalation_due(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=now) == ()
        (breach,) = breaches(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=now)
        assert breach.escalated == (0,)
        assert breach.pending == ()

    def test_the_next_step_still_comes(self) -> None:
        """Escalating step 0 does not silence step 1 when its time comes."""
        now = berlin(2026, 3, 10, 10)
        history: tuple[Event, ...] = (captured(self.friday), *handed_over(self.friday))
        (first,) = escalation_due(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=now)
        history = (*history, self.escalated(first, now))
        later = escalation_due(
            history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=berlin(2026, 3, 10, 13)
        )
        assert [(s.step, s.action) for _, s in later] == [(1, EscalationAction.NOTIFY_MANAGER)]

    def test_per_partner_steps_are_told_apart(self) -> None:
        """Escalating p-1's offer does not count as escalating p-2's offer of the same instant."""
        monday = berlin(2026, 3, 2, 9)
        now = berlin(2026, 3, 5, 9)
        history: tuple[Event, ...] = (
            captured(monday),
            offered(monday, "p-1"),
            offered(monday, "p-2"),
        )
        due = escalation_due(history, only("partner_offer_response"), STANDARD_CALENDAR, now=now)
        assert sorted(s.target for _, s in due) == ["p-1", "p-2"]
        p1 = next(item for item in due if item[1].target == "p-1")
        history = (*history, self.escalated(p1, now))
        again = escalation_due(history, only("partner_offer_response"), STANDARD_CALENDAR, now=now)
        assert [s.target for _, s in again] == ["p-2"]

    def test_recorded_breach_is_flagged(self) -> None:
        """A breach already recorded as SlaBreached says so, so it is not recorded twice."""
        now = berlin(2026, 3, 10, 10)
        history: tuple[Event, ...] = (captured(self.friday), *handed_over(self.friday))
        (breach,) = breaches(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=now)
        assert not breach.recorded
        history = (
            *history,
            SlaBreached(
                lead_id=LEAD,
                at=now,
                actor=SALES,
                policy=breach.policy,
                started_at=breach.started_at,
                due_at=breach.due_at,
            ),
        )
        (again,) = breaches(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=now)
        assert again.recorded


class TestPerPartnerRecords:
    """Recorded breaches and steps that name their partner count only for that partner."""

    monday = berlin(2026, 3, 2, 9)
    now = berlin(2026, 3, 5, 9)
    policies = only("partner_offer_response")

    def two_offers(self) -> tuple[Event, ...]:
        return (captured(self.monday), offered(self.monday, "p-1"), offered(self.monday, "p-2"))

    def breached(self, breach: Breach, partner_id: str | None) -> SlaBreached:
        return SlaBreached(
            lead_id=LEAD,
            at=self.now,
            actor=SALES,
            policy=breach.policy,
            started_at=breach.started_at,
            due_at=breach.due_at,
            partner_id=partner_id,
        )

    def escalated(self, step: Escalation, *, partner_id: str | None, target: str) -> Escalated:
        return Escalated(
            lead_id=LEAD,
            at=self.now,
            actor=SALES,
            policy=step.policy,
            started_at=step.started_at,
            step=step.step,
            action=step.action.value,
            target=target,
            partner_id=partner_id,
        )

    def by_partner(self, history: tuple[Event, ...]) -> dict[str | None, Breach]:
        found = breaches(history, self.policies, STANDARD_CALENDAR, now=self.now)
        return {b.partner_id: b for b in found}

    def test_recording_one_partners_breach_leaves_the_other_unrecorded(self) -> None:
        """An SlaBreached for p-2's offer does not mark p-1's breach of the same instant."""
        history = self.two_offers()
        history = (*history, self.breached(self.by_partner(history)["p-2"], "p-2"))
        found = self.by_partner(history)
        assert found["p-2"].recorded
        assert not found["p-1"].recorded

    def test_a_breach_recorded_without_partner_counts_for_every_partner(self) -> None:
        """An SlaBreached from before events named partners still counts, as it always did."""
        history = self.two_offers()
        history = (*history, self.breached(self.by_partner(history)["p-2"], None))
        assert all(b.recorded for b in self.by_partner(history).values())

    def test_the_partner_id_decides_which_step_was_escalated(self) -> None:
        """A step recorded for p-2 counts for p-2 only, whatever its target says."""
        history = self.two_offers()
        step = self.by_partner(history)["p-2"].due_steps[0]
        history = (*history, self.escalated(step, partner_id="p-2", target="p-1"))
        found = self.by_partner(history)
        assert found["p-2"].escalated == (0,)
        assert found["p-1"].escalated == ()
        due = escalation_due(history, self.policies, STANDARD_CALENDAR, now=self.now)
        assert [(s.partner_id, s.step) for _, s in due] == [("p-1", 0)]

    def test_steps_from_the_escalation_stage_are_not_due_again(self) -> None:
        """Steps recorded as the escalation stage records them leave nothing due."""
        history = self.two_offers()
        due = escalation_due(history, self.policies, STANDARD_CALENDAR, now=self.now)
        assert len(due) == 2
        done = tuple(
            self.escalated(step, partner_id=step.partner_id, target=step.target) for _, step in due
        )
        later = (*history, *done)
        assert escalation_due(later, self.policies, STANDARD_CALENDAR, now=self.now) == ()


class TestCompiledPolicies:
    def test_compiled_policies_give_the_same_answers(self) -> None:
        """Holding the compiled policies changes nothing in deadlines, breaches or steps."""
        compiled = CompiledPolicies(policies=DEFAULT_SLA_POLICIES)
        friday = berlin(2026, 3, 6, 16, 0)
        now = berlin(2026, 3, 12, 10)
        history: tuple[Event, ...] = (
            captured(friday),
            *handed_over(friday),
            offered(friday, "p-1"),
        )
        cal = STANDARD_CALENDAR
        assert deadlines(history, compiled, cal) == deadlines(history, DEFAULT_SLA_POLICIES, cal)
        assert breaches(history, compiled, cal, now=now) == breaches(
            history, DEFAULT_SLA_POLICIES, cal, now=now
        )
        assert escalation_due(history, compiled, cal, now=now) == escalation_due(
            history, list(DEFAULT_SLA_POLICIES), cal, now=now
        )
        assert len(breaches(history, compiled, cal, now=now)) == 2

    def test_compiled_policies_compare_by_their_policies(self) -> None:
        """Two compilations of the same policies are equal."""
        assert CompiledPolicies(policies=DEFAULT_SLA_POLICIES) == CompiledPolicies(
            policies=DEFAULT_SLA_POLICIES
        )


class TestRefusals:
    def test_naive_now_is_refused(self) -> None:
        """`now` must carry a zone."""
        history = (captured(berlin(2026, 3, 2, 9)),)
        with pytest.raises(ValidationError) as info:
            breaches(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=datetime(2026, 3, 2, 9))
        assert info.value.paths == ("now",)

    def test_unknown_event_type_is_refused(self) -> None:
        """A policy naming an event type that does not exist is refused at `starts_on`."""
        with pytest.raises(ConfigurationError) as info:
            SlaPolicy(
                name="x",
                starts_on="HandedOff",
                stops_on=(EventMatch(event="Accepted"),),
                allowed=timedelta(hours=1),
            )
        assert info.value.paths == ("starts_on",)

    def test_escalation_steps_must_be_in_order(self) -> None:
        """A ladder whose second step fires before the first is refused at that step."""
        with pytest.raises(ConfigurationError) as info:
            SlaPolicy(
                name="x",
                starts_on="HandedOver",
                stops_on=(EventMatch(event="Accepted"),),
                allowed=timedelta(hours=1),
                escalation=(
                    EscalationStep(action=EscalationAction.NOTIFY_OWNER, after=timedelta(hours=2)),
                    EscalationStep(action=EscalationAction.REASSIGN, after=timedelta(hours=1)),
                ),
            )
        assert info.value.paths == ("escalation[1].after",)

    def test_pause_without_resume_is_refused(self) -> None:
        """A clock that could pause but never resume is refused."""
        with pytest.raises(ConfigurationError) as info:
            attrs.evolve(WAITING, resumes_on=())
        assert info.value.paths == ("resumes_on",)

    def test_kinds_only_for_interactions(self) -> None:
        """Interaction kinds on a non-interaction event are refused."""
        with pytest.raises(ConfigurationError):
            EventMatch(event="Accepted", kinds=frozenset({InteractionKind.CALL}))

    def test_non_positive_allowance_is_refused(self) -> None:
        """An SLA must allow some time."""
        with pytest.raises(ConfigurationError) as info:
            attrs.evolve(WAITING, allowed=timedelta(0))
        assert info.value.paths == ("allowed",)


class TestPoliciesAsData:
    def test_defaults_round_trip_through_json(self) -> None:
        """The default policies, conditions included, survive JSON unchanged."""
        for policy in DEFAULT_SLA_POLICIES:
            assert from_json(to_json(policy), SlaPolicy) == policy

    def test_stage_condition(self) -> None:
        """A policy limited to a stage starts only when the lead is in it."""
        policy = attrs.evolve(
            POLICIES["mql_handover_response"], conditions=(InStage(stages=frozenset({"mql"})),)
        )
        at = berlin(2026, 3, 2, 9)
        history = (captured(at), *handed_over(at))
        assert deadlines(history, (policy,), STANDARD_CALENDAR) == ()

    def test_wall_clock_basis_ignores_the_calendar(self) -> None:
        """A wall-clock policy is due exactly its allowance later, nights included."""
        policy = attrs.evolve(WAITING, basis=TimeBasis.WALL_CLOCK)
        at = berlin(2026, 3, 6, 16)
        (deadline,) = deadlines((captured(at), *handed_over(at)), (policy,), STANDARD_CALENDAR)
        assert deadline.due_at == at + timedelta(hours=8)


CALL_BACK = SlaPolicy(
    name="call_back",
    starts_on="InteractionRecorded",
    conditions=(InteractionIs(kinds=frozenset({InteractionKind.FORM_SUBMIT})),),
    stops_on=(
        EventMatch(
            event="InteractionRecorded",
            kinds=frozenset({InteractionKind.CALL}),
            actor=PartyKind.SALES,
        ),
    ),
    allowed=timedelta(minutes=5),
    basis=TimeBasis.WALL_CLOCK,
    escalation=(EscalationStep(action=EscalationAction.NOTIFY_OWNER),),
)


class TestRealElapsedTime:
    """Wall-clock SLAs count real minutes, whatever zone and showing an event is written in."""

    def test_call_four_real_minutes_after_a_submit_across_the_spring_change(self) -> None:
        """New York 01:58 EST plus four real minutes is 03:02 EDT: on time, not early nor late."""
        submit = datetime(2026, 3, 8, 1, 58, tzinfo=NEW_YORK)
        call = datetime(2026, 3, 8, 3, 2, tzinfo=NEW_YORK)
        assert call.astimezone(UTC) - submit.astimezone(UTC) == timedelta(minutes=4)
        history = (
            captured(submit),
            touch(submit, InteractionKind.FORM_SUBMIT),
            touch(call, InteractionKind.CALL, SALES),
        )
        (deadline,) = deadlines(history, (CALL_BACK,), STANDARD_CALENDAR)
        assert deadline.due_at is not None
        assert deadline.due_at.isoformat() == "2026-03-08T03:03:00-04:00"
        assert deadline.late is None
        assert breaches(history, (CALL_BACK,), STANDARD_CALENDAR, now=call) == ()

    def test_submit_at_the_second_showing_is_due_after_it(self) -> None:
        """A submit at the second 01:22 in New York is due at the second 01:27, not before."""
        submit = datetime(2026, 11, 1, 1, 22, fold=1, tzinfo=NEW_YORK)  # EST
        history = (captured(submit), touch(submit, InteractionKind.FORM_SUBMIT))
        (deadline,) = deadlines(history, (CALL_BACK,), STANDARD_CALENDAR)
        assert deadline.due_at is not None
        assert deadline.due_at.astimezone(UTC) - submit.astimezone(UTC) == timedelta(minutes=5)
        assert deadline.due_at.isoformat() == "2026-11-01T01:27:00-05:00"
        assert breaches(history, (CALL_BACK,), STANDARD_CALENDAR, now=submit) == ()

    def test_a_call_in_the_repeated_hour_is_late_by_real_minutes(self) -> None:
        """Submit at the first 01:50 (EDT), call at the second 01:25 (EST): 30 minutes late."""
        submit = datetime(2026, 11, 1, 1, 50, tzinfo=NEW_YORK)
        call = datetime(2026, 11, 1, 1, 25, fold=1, tzinfo=NEW_YORK)
        history = (
            captured(submit),
            touch(submit, InteractionKind.FORM_SUBMIT),
            touch(call, InteractionKind.CALL, SALES),
        )
        (deadline,) = deadlines(history, (CALL_BACK,), STANDARD_CALENDAR)
        assert deadline.late == timedelta(minutes=30)
        (breach,) = breaches(history, (CALL_BACK,), STANDARD_CALENDAR, now=call)
        assert breach.late == timedelta(minutes=30)
        assert not breach.open

    def test_ninety_days_are_the_same_instant_in_every_zone(self) -> None:
        """A partner's 90-day completion falls due at one instant, however events are written."""
        start = berlin(2026, 3, 2, 9)
        found = set()
        for zone in (BERLIN, NEW_YORK, UTC):
            at = start.astimezone(zone)
            history = (captured(at), accepted_by(at, "p-1"))
            (deadline,) = deadlines(history, only("partner_completion"), STANDARD_CALENDAR)
            assert deadline.due_at is not None
            found.add(deadline.due_at.astimezone(UTC))
        assert found == {start.astimezone(UTC) + timedelta(days=90)}

    def test_escalation_steps_fire_after_real_time(self) -> None:
        """A step ten minutes after a due time in the repeated hour fires ten real minutes later."""
        policy = attrs.evolve(
            CALL_BACK,
            escalation=(
                EscalationStep(action=EscalationAction.NOTIFY_OWNER),
                EscalationStep(action=EscalationAction.NOTIFY_MANAGER, after=timedelta(minutes=10)),
            ),
        )
        submit = datetime(2026, 11, 1, 1, 50, tzinfo=NEW_YORK)  # EDT: due 01:55 EDT
        history = (captured(submit), touch(submit, InteractionKind.FORM_SUBMIT))
        now = datetime(2026, 11, 1, 1, 7, fold=1, tzinfo=NEW_YORK)  # EST: 17 real minutes on
        (breach,) = breaches(history, (policy,), STANDARD_CALENDAR, now=now)
        assert [s.action for s in breach.due_steps] == [
            EscalationAction.NOTIFY_OWNER,
            EscalationAction.NOTIFY_MANAGER,
        ]
        assert breach.due_steps[1].fires_at.isoformat() == "2026-11-01T01:05:00-05:00"
