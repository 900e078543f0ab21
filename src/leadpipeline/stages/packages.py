"""What a partner receives: the lead, its expected quality, and its processing history.

Internal-only material is removed: internal notes, other partners' names, and (when the
playbook says so) scoring internals. Pure, so a host can show exactly this in its portal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from leadpipeline._typed import typed
from leadpipeline.events import (
    Accepted,
    AllocationBlocked,
    CallRequested,
    ChannelAllocated,
    Completed,
    Disqualified,
    Escalated,
    Event,
    HandedOver,
    InteractionRecorded,
    LeadCaptured,
    Merged,
    NoteAdded,
    Nurtured,
    Offered,
    OfferWithdrawn,
    OwnerChanged,
    PartnerAccepted,
    PersonalDataErased,
    ProfileUpdated,
    Qualified,
    Reclaimed,
    Rejected,
    Returned,
    SlaBreached,
    StageChanged,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.playbook import Playbook

__all__ = ["OTHER_PARTNER", "PartnerPackage", "partner_package", "visibility", "visible_to"]

OTHER_PARTNER = "another partner"
"""Stands in for the id of any partner other than the recipient."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class PartnerPackage:
    """A lead as one partner may see it."""

    partner_id: str
    lead: Lead
    expected_grade: str | None
    history: tuple[Event, ...]


def visibility() -> frozenset[type]:
    """The event types whose visibility to partners has been decided (every `Event`)."""
    return frozenset(_VIEWS)


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
    """Replace other partners' ids inside free text (reasons name who returned a lead).

    Only whole ids are replaced: ``p-1`` inside ``p-10`` is another id, left alone.

    Example:
        >>> _scrub("offer taken by p-1, not p-10", frozenset({"p-1"}))
        'offer taken by another partner, not p-10'
    """
    if not others or not text:
        return text
    ids = "|".join(re.escape(pid) for pid in sorted(others, key=len, reverse=True))
    return re.sub(rf"(?<![\w-])(?:{ids})(?![\w-])", OTHER_PARTNER, text)


@attrs.frozen
class _Viewer:
    """Whom a package is for, and what it must not show them."""

    partner_id: str
    hide_scoring: bool
    others: frozenset[str]

    def party(self, party: Party) -> Party:
        return _mask_party(party, self.partner_id)

    def text(self, text: str) -> str:
        return _scrub(text, self.others)

    def own(self, partner_id: str | None) -> bool:
        return partner_id == self.partner_id


def _drop(_event: Any, _viewer: _Viewer) -> Any:
    return None


def _as_is(event: Any, _viewer: _Viewer) -> Any:
    return event


def _with_reason(event: Any, viewer: _Viewer) -> Any:
    return attrs.evolve(event, reason=viewer.text(event.reason))


def _own_only(event: Any, viewer: _Viewer) -> Any:
    return event if viewer.own(event.partner_id) else None


def _own_with_reason(event: Any, viewer: _Viewer) -> Any:
    return _with_reason(event, viewer) if viewer.own(event.partner_id) else None


def _captured(event: LeadCaptured, viewer: _Viewer) -> LeadCaptured:
    return attrs.evolve(event, lead=_strip(event.lead, viewer.partner_id))


def _owner_changed(event: OwnerChanged, viewer: _Viewer) -> OwnerChanged:
    return attrs.evolve(
        event,
        from_owner=viewer.party(event.from_owner),
        to_owner=viewer.party(event.to_owner),
        reason=viewer.text(event.reason),
    )


def _qualified(event: Qualified, viewer: _Viewer) -> Qualified:
    return attrs.evolve(event, score=None, criteria=()) if viewer.hide_scoring else event


def _handed_over(event: HandedOver, viewer: _Viewer) -> HandedOver:
    if not viewer.hide_scoring:
        return event
    grade = f"grade {event.grade}" if event.grade else ""
    return attrs.evolve(event, score=None, expected_quality=grade)


def _rejected(event: Rejected, viewer: _Viewer) -> Rejected:
    # sales' remarks on marketing's work are internal; the coded reason is not
    return attrs.evolve(event, reason=viewer.text(event.reason), comment="")


def _escalated(event: Escalated, viewer: _Viewer) -> Escalated | None:
    if not viewer.own(event.partner_id):
        return None
    return attrs.evolve(event, target=viewer.text(event.target))


_VIEWS: dict[type, Callable[[Any, _Viewer], Any]] = {
    LeadCaptured: _captured,
    InteractionRecorded: _as_is,
    CallRequested: _drop,  # sales' own call list: nothing for a partner to act on
    ProfileUpdated: _as_is,
    NoteAdded: _drop,  # internal notes never leave the company
    StageChanged: _with_reason,
    OwnerChanged: _owner_changed,
    Qualified: _qualified,
    HandedOver: _handed_over,
    Accepted: _as_is,
    Rejected: _rejected,
    ChannelAllocated: _as_is,
    AllocationBlocked: _with_reason,
    Offered: _own_only,
    OfferWithdrawn: _own_with_reason,
    PartnerAccepted: _own_only,
    Returned: _own_only,
    Reclaimed: _own_with_reason,
    Completed: _with_reason,
    Nurtured: _with_reason,
    Disqualified: _with_reason,
    SlaBreached: _own_only,  # a partner sees its own missed deadlines, no one else's
    Escalated: _escalated,
    Merged: _as_is,
    PersonalDataErased: _as_is,
}
"""What a partner may see of each event type: an allow-list, so an event type nobody
decided on cannot leak (a test checks every type of `Event` is listed)."""


def _visible(event: Event, viewer: _Viewer) -> Event | None:
    view: Callable[[Any, _Viewer], Any] = _VIEWS.get(type(event), _drop)  # undecided: hidden
    seen: Event | None = view(event, viewer)
    if seen is None:
        return None
    actor = viewer.party(seen.actor)
    return seen if actor == seen.actor else attrs.evolve(seen, actor=actor)


def partner_lead(lead: Lead, partner_id: str) -> Lead:
    """The lead as partner `partner_id` may see it: no internal notes, no other partner.

    Every lead a partner's view returns goes through this, so no caller can leak what
    `partner_package` hides.
    """
    return _strip(lead, partner_id)


def _strip(lead: Lead, partner_id: str) -> Lead:
    return attrs.evolve(
        lead,
        notes=(),
        offers=tuple(o for o in lead.offers if o.partner_id == partner_id),
        returned_by=(),
        lapsed_offers=(),
        owner=_mask_party(lead.owner, partner_id),
    )


def _partners_named(event: Event) -> set[str]:
    """Every partner id an event names, in any field."""
    named = {getattr(event, "partner_id", None), event.actor.partner_id}
    if isinstance(event, OwnerChanged):
        named |= {event.from_owner.partner_id, event.to_owner.partner_id}
    if isinstance(event, LeadCaptured):
        lead = event.lead
        named |= {lead.owner.partner_id, *lead.offered_to, *lead.returned_by, *lead.lapsed_offers}
    return {pid for pid in named if pid}


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
        seen_ids.update(_partners_named(event))
    viewer = _Viewer(partner_id, hide, frozenset(seen_ids - {partner_id}))
    events = tuple(seen for e in history if (seen := _visible(e, viewer)) is not None)
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
