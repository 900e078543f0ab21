"""What a partner receives: the lead, its expected quality, and its processing history.

Internal-only material is removed: internal notes, other partners' names, and (when the
playbook says so) scoring internals. Pure, so a host can show exactly this in its portal.
"""

from __future__ import annotations

import attrs

from leadpipeline._typed import typed
from leadpipeline.events import (
    Disqualified,
    Event,
    HandedOver,
    LeadCaptured,
    NoteAdded,
    Nurtured,
    Offered,
    OfferWithdrawn,
    OwnerChanged,
    PartnerAccepted,
    Qualified,
    Reclaimed,
    Returned,
    StageChanged,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.playbook import Playbook

__all__ = ["OTHER_PARTNER", "PartnerPackage", "partner_package", "visible_to"]

OTHER_PARTNER = "another partner"
"""Stands in for the id of any partner other than the recipient."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class PartnerPackage:
    """A lead as one partner may see it."""

    partner_id: str
    lead: Lead
    expected_grade: str | None
    history: tuple[Event, ...]


def visible_to(lead: Lead, partner_id: str) -> bool:
    """Whether a partner may see a lead at all: it holds the lead or has an open offer.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Source
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at),
        ...             stage="opportunity", owner=Party.partner("p-1"))
        >>> visible_to(lead, "p-1"), visible_to(lead, "p-2")
        (True, False)
    """
    return lead.owner == Party.partner(partner_id) or partner_id in lead.offered_to


def _mask_party(party: Party, partner_id: str) -> Party:
    if party.kind is PartyKind.PARTNER and party.partner_id != partner_id:
        return Party.partner(OTHER_PARTNER)
    return party


def _scrub(text: str, others: frozenset[str]) -> str:
    """Replace other partners' ids inside free text (reasons name who returned a lead)."""
    for pid in sorted(others, key=len, reverse=True):
        text = text.replace(pid, OTHER_PARTNER)
    return text


def _visible(
    event: Event, partner_id: str, hide_scoring: bool, others: frozenset[str]
) -> Event | None:
    if isinstance(event, NoteAdded):
        return None
    if (
        isinstance(event, Offered | OfferWithdrawn | PartnerAccepted | Returned | Reclaimed)
        and event.partner_id != partner_id
    ):
        return None
    if isinstance(event, Qualified) and hide_scoring:
        event = attrs.evolve(event, score=None, criteria=())
    if isinstance(event, HandedOver) and hide_scoring:
        grade = f"grade {event.grade}" if event.grade else ""
        event = attrs.evolve(event, score=None, expected_quality=grade)
    if isinstance(event, OwnerChanged):
        event = attrs.evolve(
            event,
            from_owner=_mask_party(event.from_owner, partner_id),
            to_owner=_mask_party(event.to_owner, partner_id),
        )
    if isinstance(event, StageChanged | OwnerChanged | OfferWithdrawn | Nurtured | Disqualified):
        event = attrs.evolve(event, reason=_scrub(event.reason, others))
    if isinstance(event, LeadCaptured):
        event = attrs.evolve(event, lead=_strip(event.lead, partner_id))
    actor = _mask_party(event.actor, partner_id)
    return event if actor == event.actor else attrs.evolve(event, actor=actor)


def _strip(lead: Lead, partner_id: str) -> Lead:
    return attrs.evolve(
        lead,
        notes=(),
        offers=tuple(o for o in lead.offers if o.partner_id == partner_id),
        returned_by=(),
        lapsed_offers=(),
        owner=_mask_party(lead.owner, partner_id),
    )


def partner_package(
    lead: Lead, history: tuple[Event, ...], playbook: Playbook, *, partner_id: str
) -> PartnerPackage:
    """The lead, its expected grade and its history as partner `partner_id` may see them.

    Internal notes and other partners' offers and returns are dropped; other partners'
    ids never appear (events they acted in are attributed to "another partner").
    """
    hide = playbook.hide_scoring_from_partners
    seen_ids = {p.id for p in playbook.partners}
    for event in history:
        seen_ids.update(
            pid for pid in (getattr(event, "partner_id", None), event.actor.partner_id) if pid
        )
        if isinstance(event, OwnerChanged):
            seen_ids.update(
                p.partner_id for p in (event.from_owner, event.to_owner) if p.partner_id
            )
    others = frozenset(seen_ids - {partner_id})
    events = tuple(
        seen for e in history if (seen := _visible(e, partner_id, hide, others)) is not None
    )
    grade = next(
        (e.grade for e in reversed(history) if isinstance(e, Qualified | HandedOver) and e.grade),
        None,
    )
    return PartnerPackage(
        partner_id=partner_id,
        lead=_strip(lead, partner_id),
        expected_grade=grade,
        history=events,
    )
