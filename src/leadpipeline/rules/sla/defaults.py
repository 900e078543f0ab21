"""The SLA policies the source texts promise, ready to use or to tweak with `attrs.evolve`."""

from __future__ import annotations

from datetime import timedelta

from leadpipeline.lead import InteractionKind, PartyKind
from leadpipeline.rules.sla.policy import (
    AssignedTo,
    EscalationAction,
    EscalationStep,
    EventMatch,
    SlaPolicy,
    TimeBasis,
)

__all__ = ["DEFAULT_SLA_POLICIES"]

_WORKING_DAY = timedelta(hours=8)
"""One working day of the standard calendar (09:00-17:00)."""

_LEAVES_SALES = EventMatch(event="OwnerChanged", leaves=PartyKind.SALES)
"""The lead left sales: a clock waiting on sales has nobody left to wait on."""
_LEAVES_PARTNER = EventMatch(event="OwnerChanged", leaves=PartyKind.PARTNER)
"""The lead left the partner: its clocks close, whoever took the lead."""

_PARTNER_DONE = (
    EventMatch(event="Completed"),
    EventMatch(event="Returned"),
    EventMatch(event="Reclaimed"),
    EventMatch(event="Nurtured"),
    EventMatch(event="Disqualified"),
)

DEFAULT_SLA_POLICIES: tuple[SlaPolicy, ...] = (
    SlaPolicy(
        name="hot_form_submit_call",
        description=(
            "A form submit from a hot lead wants a call by the sales team on duty within "
            "five minutes of the submit; the playbook's heat policy says what hot is."
        ),
        starts_on="CallRequested",
        stops_on=(
            EventMatch(
                event="InteractionRecorded",
                kinds=frozenset({InteractionKind.CALL, InteractionKind.MEETING}),
                actor=PartyKind.SALES,
            ),
        ),
        ends_on=(EventMatch(event="Disqualified"),),
        allowed=timedelta(minutes=5),
        basis=TimeBasis.WALL_CLOCK,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.NOTIFY_MANAGER, after=timedelta(minutes=10)),
        ),
    ),
    SlaPolicy(
        name="mql_handover_response",
        description="Sales accepts or rejects a handed-over MQL within one working day.",
        starts_on="HandedOver",
        stops_on=(
            EventMatch(event="Accepted"),
            EventMatch(event="Rejected"),
        ),
        ends_on=(EventMatch(event="Disqualified"), EventMatch(event="Nurtured"), _LEAVES_SALES),
        allowed=_WORKING_DAY,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.NOTIFY_MANAGER, after=timedelta(hours=4)),
            EscalationStep(action=EscalationAction.RETURN_TO_MARKETING, after=_WORKING_DAY * 2),
        ),
    ),
    SlaPolicy(
        name="partner_offer_response",
        description="A partner accepts or returns an offer within three working days.",
        starts_on="Offered",
        stops_on=(
            EventMatch(event="PartnerAccepted"),
            EventMatch(event="Returned"),
            EventMatch(event="OfferWithdrawn"),
        ),
        ends_on=(EventMatch(event="Disqualified"), EventMatch(event="Nurtured")),
        allowed=_WORKING_DAY * 3,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.RECLAIM_FROM_PARTNER, after=_WORKING_DAY),
        ),
    ),
    SlaPolicy(
        name="partner_assignment_response",
        description="A partner assigned a lead accepts or returns it within three working days.",
        starts_on="OwnerChanged",
        conditions=(AssignedTo(kind=PartyKind.PARTNER),),
        stops_on=(
            EventMatch(event="PartnerAccepted"),
            EventMatch(event="Returned"),
            EventMatch(event="Reclaimed"),
        ),
        ends_on=(EventMatch(event="Disqualified"), EventMatch(event="Nurtured"), _LEAVES_PARTNER),
        allowed=_WORKING_DAY * 3,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.RECLAIM_FROM_PARTNER, after=_WORKING_DAY),
        ),
    ),
    SlaPolicy(
        name="partner_status_report",
        description="A working partner reports status at least every ten working days.",
        starts_on="PartnerAccepted",
        stops_on=(
            EventMatch(event="NoteAdded", actor=PartyKind.PARTNER),
            EventMatch(event="InteractionRecorded", actor=PartyKind.PARTNER),
            EventMatch(event="StageChanged", actor=PartyKind.PARTNER),
            EventMatch(event="ProfileUpdated", actor=PartyKind.PARTNER),
        ),
        ends_on=(*_PARTNER_DONE, _LEAVES_PARTNER),
        allowed=_WORKING_DAY * 10,
        recurring=True,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.NOTIFY_MANAGER, after=_WORKING_DAY * 2),
            EscalationStep(action=EscalationAction.RECLAIM_FROM_PARTNER, after=_WORKING_DAY * 5),
        ),
    ),
    SlaPolicy(
        name="partner_completion",
        description="A working partner reports the outcome within 90 days.",
        starts_on="PartnerAccepted",
        stops_on=_PARTNER_DONE,
        ends_on=(_LEAVES_PARTNER,),
        allowed=timedelta(days=90),
        basis=TimeBasis.WALL_CLOCK,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.NOTIFY_MANAGER, after=timedelta(days=7)),
            EscalationStep(action=EscalationAction.RECLAIM_FROM_PARTNER, after=timedelta(days=14)),
        ),
    ),
)
"""The source texts' promises: the five-minute call, one day for sales, three for partners."""
