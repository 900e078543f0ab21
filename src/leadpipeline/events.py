"""The history of a lead: one frozen event per fact, and the fold that builds the lead.

The current lead is `replay(history)`. Events are never changed, only appended; the one
exception is erasure of personal data, which `redact` performs on stored events while
keeping every stage, timing and score.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import assert_never

import attrs

from leadpipeline._checks import aware, not_blank
from leadpipeline._snapshots import bump, with_owner, with_stage, with_touches, with_version
from leadpipeline._typed import typed
from leadpipeline.errors import ValidationError
from leadpipeline.lead import (
    ERASED,
    Company,
    Contact,
    Interaction,
    Lead,
    Needs,
    Offer,
    Party,
    Source,
)

__all__ = [
    "ERASED",
    "Accepted",
    "AllocationBlocked",
    "CallRequested",
    "ChannelAllocated",
    "Completed",
    "CriterionResult",
    "Disqualified",
    "Escalated",
    "Event",
    "HandedOver",
    "InteractionRecorded",
    "LeadCaptured",
    "Merged",
    "NoteAdded",
    "Nurtured",
    "OfferWithdrawn",
    "Offered",
    "Outcome",
    "OwnerChanged",
    "PartnerAccepted",
    "PersonalDataErased",
    "ProfileUpdated",
    "Qualified",
    "Reclaimed",
    "Rejected",
    "Returned",
    "SlaBreached",
    "StageChanged",
    "evolve",
    "redact",
    "replay",
]


@attrs.frozen(kw_only=True, field_transformer=typed)
class _Base:
    lead_id: str = attrs.field(validator=not_blank)
    at: datetime = attrs.field(validator=aware)
    actor: Party


@attrs.frozen(kw_only=True, field_transformer=typed)
class CriterionResult:
    """Evidence for one qualification criterion: met or missed, and the value observed."""

    criterion: str
    met: bool
    observed: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class LeadCaptured(_Base):
    """The lead entered the pipeline; `lead` is its first snapshot."""

    lead: Lead


@attrs.frozen(kw_only=True, field_transformer=typed)
class InteractionRecorded(_Base):
    """The prospect touched us: a visit, an email, a form, an event."""

    interaction: Interaction


@attrs.frozen(kw_only=True, field_transformer=typed)
class CallRequested(_Base):
    """A hot lead submitted a form: `to` (the sales team on duty) must call by `due_at`.

    `submitted_at` is the submit's own time, from which the call is due; `reason` says
    why the lead counted as hot.
    """

    to: Party
    submitted_at: datetime = attrs.field(validator=aware)
    due_at: datetime = attrs.field(validator=aware)
    reason: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class ProfileUpdated(_Base):
    """Profile data was enriched; only the given parts are replaced."""

    contact: Contact | None = None
    company: Company | None = None
    needs: Needs | None = None
    interests: tuple[str, ...] | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class NoteAdded(_Base):
    """An internal note; never shown to partners."""

    text: str = attrs.field(validator=not_blank)


@attrs.frozen(kw_only=True, field_transformer=typed)
class StageChanged(_Base):
    """The lead moved along the lifecycle, with the reason it moved."""

    from_stage: str = attrs.field(validator=not_blank)
    to_stage: str = attrs.field(validator=not_blank)
    reason: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class OwnerChanged(_Base):
    """Responsibility moved from one party to another."""

    from_owner: Party
    to_owner: Party
    reason: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Qualified(_Base):
    """The lead met a qualification definition; the evidence travels with it."""

    definition: str
    score: float | None = None
    grade: str | None = None
    criteria: tuple[CriterionResult, ...] = ()


@attrs.frozen(kw_only=True, field_transformer=typed)
class HandedOver(_Base):
    """Marketing passed the lead to sales, with the quality sales can expect."""

    to_owner: Party
    score: float | None = None
    grade: str | None = None
    expected_quality: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Accepted(_Base):
    """Sales accepted a handed-over lead.

    `criteria` is the SAL assessment it was accepted on; `warning` names the missed
    criteria when the playbook lets a lead that misses the SAL definition through.
    """

    criteria: tuple[CriterionResult, ...] = ()
    warning: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Rejected(_Base):
    """Sales gave a lead back to marketing, always with a reason from the playbook's catalogue.

    A rejected handover, a lead sales sends to nurture, and one the SLA desk returns
    because sales never answered all record this event.
    """

    reason: str = attrs.field(validator=not_blank)
    comment: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class ChannelAllocated(_Base):
    """The channel was decided: which rule, on which value, from which source."""

    channel: str
    rule: str
    value: str
    data_source: str


@attrs.frozen(kw_only=True, field_transformer=typed)
class AllocationBlocked(_Base):
    """No channel could be decided; the reason says which data is missing, never a guess."""

    reason: str
    data_source: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Offered(_Base):
    """The lead was offered to one partner until `expires_at`; `reason` says why this one."""

    partner_id: str = attrs.field(validator=not_blank)
    expires_at: datetime = attrs.field(validator=aware)
    reason: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class OfferWithdrawn(_Base):
    """An open offer was withdrawn: another partner won it, or it expired."""

    partner_id: str
    reason: str
    expired: bool = False


@attrs.frozen(kw_only=True, field_transformer=typed)
class PartnerAccepted(_Base):
    """A partner accepted the lead and now works it."""

    partner_id: str


@attrs.frozen(kw_only=True, field_transformer=typed)
class Returned(_Base):
    """A partner gave the lead back, with a reason code and, where it needs one, a comment."""

    partner_id: str
    reason: str = attrs.field(validator=not_blank)
    comment: str = ""
    routing: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Reclaimed(_Base):
    """The lead was taken back from an inactive partner, with a return-catalogue reason."""

    partner_id: str
    reason: str
    routing: str = ""
    comment: str = ""


class Outcome(enum.StrEnum):
    """How a worked lead ended."""

    WON = "won"
    LOST = "lost"


@attrs.frozen(kw_only=True, field_transformer=typed)
class Completed(_Base):
    """The working party reported the end of the sales process."""

    outcome: Outcome
    reason: str = ""
    revenue: float | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Nurtured(_Base):
    """The lead went back to marketing for regular communication.

    `rule` names the playbook rule that decided it when no person did (``"stale"``).
    """

    reason: str = attrs.field(validator=not_blank)
    rule: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Disqualified(_Base):
    """The lead was dropped, with the reason; `rule` as for `Nurtured`."""

    reason: str = attrs.field(validator=not_blank)
    rule: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
class SlaBreached(_Base):
    """A promised response did not arrive by its deadline (per partner for partner clocks)."""

    policy: str
    started_at: datetime = attrs.field(validator=aware)
    due_at: datetime = attrs.field(validator=aware)
    partner_id: str | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Escalated(_Base):
    """A breach was escalated one step up its ladder."""

    policy: str
    started_at: datetime = attrs.field(validator=aware)
    step: int
    action: str
    target: str = ""
    partner_id: str | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Merged(_Base):
    """A duplicate capture was folded in: its source and touches are kept."""

    source: Source
    interactions: tuple[Interaction, ...] = ()


@attrs.frozen(kw_only=True, field_transformer=typed)
class PersonalDataErased(_Base):
    """Contact details were replaced by a tombstone; stages, timings and scores remain."""


Event = (
    LeadCaptured
    | InteractionRecorded
    | CallRequested
    | ProfileUpdated
    | NoteAdded
    | StageChanged
    | OwnerChanged
    | Qualified
    | HandedOver
    | Accepted
    | Rejected
    | ChannelAllocated
    | AllocationBlocked
    | Offered
    | OfferWithdrawn
    | PartnerAccepted
    | Returned
    | Reclaimed
    | Completed
    | Nurtured
    | Disqualified
    | SlaBreached
    | Escalated
    | Merged
    | PersonalDataErased
)
"""Every fact that can appear in a lead's history."""


def evolve(lead: Lead | None, event: Event) -> Lead:
    """Fold one event into the lead; the only way a lead changes.

    Example:
        >>> from datetime import datetime, timezone
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> first = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> lead = evolve(None, LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(),
        ...                                  lead=first))
        >>> moved = evolve(lead, StageChanged(lead_id="L-1", at=at, actor=Party.marketing(),
        ...                                   from_stage="inquiry", to_stage="mql"))
        >>> moved.stage, moved.version
        ('mql', 2)
    """
    if lead is None:
        if isinstance(event, LeadCaptured):
            return with_version(event.lead, 1)
        raise ValidationError.at(
            "events[0]", f"a history starts with LeadCaptured, not {type(event).__name__}"
        )
    if event.lead_id != lead.id:
        raise ValidationError.at(
            "lead_id", f"event for lead {event.lead_id!r} applied to lead {lead.id!r}"
        )
    match event:  # the most frequent first: each case is tried in turn
        case StageChanged(to_stage=to_stage):
            return with_stage(lead, to_stage, lead.version + 1)
        case OwnerChanged(to_owner=to_owner):
            return with_owner(lead, to_owner, lead.version + 1)
        case InteractionRecorded(interaction=interaction):
            return with_touches(lead, (*lead.interactions, interaction), lead.version + 1)
        case LeadCaptured():
            raise ValidationError.at("event", f"lead {lead.id!r} was already captured")
        case ProfileUpdated():
            return bump(
                lead,
                contact=event.contact if event.contact is not None else lead.contact,
                company=event.company if event.company is not None else lead.company,
                needs=event.needs if event.needs is not None else lead.needs,
                interests=event.interests if event.interests is not None else lead.interests,
            )
        case NoteAdded(text=text):
            return bump(lead, notes=(*lead.notes, text))
        case Offered(partner_id=pid, expires_at=expires_at):
            offer = Offer(partner_id=pid, offered_at=event.at, expires_at=expires_at)
            kept = tuple(o for o in lead.offers if o.partner_id != pid)
            return bump(lead, offers=(*kept, offer))
        case OfferWithdrawn(partner_id=pid, expired=expired):
            lapsed = tuple(sorted({*lead.lapsed_offers, pid})) if expired else lead.lapsed_offers
            return bump(
                lead,
                offers=tuple(o for o in lead.offers if o.partner_id != pid),
                lapsed_offers=lapsed,
            )
        case PartnerAccepted(partner_id=pid):
            return bump(lead, offers=tuple(o for o in lead.offers if o.partner_id != pid))
        case ChannelAllocated(channel=channel):
            return bump(lead, channel=channel)
        case Returned(partner_id=pid) | Reclaimed(partner_id=pid):
            return bump(
                lead,
                returned_by=tuple(sorted({*lead.returned_by, pid})),
                offers=tuple(o for o in lead.offers if o.partner_id != pid),
            )
        case Merged(source=source, interactions=interactions):
            return bump(
                lead,
                merged_sources=(*lead.merged_sources, source),
                interactions=(*lead.interactions, *interactions),
            )
        case PersonalDataErased():
            return bump(
                lead,
                contact=lead.contact.erased(),
                notes=(),
                interactions=tuple(i.erased() for i in lead.interactions),
                erased=True,
            )
        case (
            CallRequested()
            | Qualified()
            | HandedOver()
            | Accepted()
            | Rejected()
            | AllocationBlocked()
            | Completed()
            | Nurtured()
            | Disqualified()
            | SlaBreached()
            | Escalated()
        ):
            return bump(lead)
        case _:
            assert_never(event)


def replay(events: Iterable[Event]) -> Lead:
    """Build the current lead from its whole history.

    Raises:
        ValidationError: the history is empty or does not start with `LeadCaptured`.
    """
    lead: Lead | None = None
    for event in events:
        lead = evolve(lead, event)
    if lead is None:
        raise ValidationError.at("events", "an empty history has no lead")
    return lead


def redact(event: Event) -> Event:
    """The event with personal data replaced by the tombstone, for erasure.

    Stages, owners, timings, scores and reasons are kept so funnel figures survive.
    """
    match event:
        case LeadCaptured(lead=lead):
            erased = attrs.evolve(
                lead,
                contact=lead.contact.erased(),
                notes=(),
                interactions=tuple(i.erased() for i in lead.interactions),
            )
            return attrs.evolve(event, lead=erased)
        case ProfileUpdated(contact=contact) if contact is not None:
            return attrs.evolve(event, contact=contact.erased())
        case NoteAdded():
            return attrs.evolve(event, text=ERASED)
        case Rejected() | Returned() if event.comment:
            return attrs.evolve(event, comment=ERASED)
        case InteractionRecorded(interaction=i):
            return attrs.evolve(event, interaction=i.erased())
        case Merged(interactions=interactions):
            return attrs.evolve(event, interactions=tuple(i.erased() for i in interactions))
        case _:
            return event
