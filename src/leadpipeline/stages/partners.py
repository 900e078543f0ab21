"""Levels two and three: the partner channel, from offer or assignment to return.

A lead in the partner channel goes to one partner or is offered to several, first to
accept wins. A partner returns a lead with a reason code that decides where it goes
next; an offer that lapses or a partner that stops responding routes it onward too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from leadpipeline.errors import OfferError, PartnerAccessError, TransitionError, ValidationError
from leadpipeline.events import (
    Disqualified,
    Event,
    Nurtured,
    Offered,
    OfferWithdrawn,
    OwnerChanged,
    PartnerAccepted,
    Reclaimed,
    Returned,
    evolve,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.lifecycle import Stage
from leadpipeline.playbook import Playbook
from leadpipeline.rules.channels import Channel
from leadpipeline.rules.partners import PartnerNeed, PartnerRanking, rank_partners
from leadpipeline.rules.returns import Routing, route_return
from leadpipeline.stages.moves import require_stage, to_role

__all__ = [
    "assign_partner",
    "expire_offers",
    "offer_to_partners",
    "partner_accept",
    "reclaim",
    "return_lead",
    "return_ranking",
]


def _ranking(
    lead: Lead,
    playbook: Playbook,
    *,
    now: datetime,
    seed: int = 0,
    needs: frozenset[PartnerNeed] = frozenset(),
    because: str = "",
) -> PartnerRanking:
    """Partners ranked for this lead, excluding those who returned it or let an offer lapse."""
    excluded = tuple(sorted({*lead.returned_by, *lead.lapsed_offers}))
    return rank_partners(
        lead,
        playbook.partners,
        playbook.partner_policy,
        now=now,
        excluded=excluded,
        seed=seed,
        needs=needs,
        because=because,
    )


def return_ranking(
    lead: Lead, playbook: Playbook, *, partner_id: str, reason: str, now: datetime, seed: int = 0
) -> PartnerRanking:
    """How the partners rank for the next offer when `partner_id` returns `lead` with `reason`.

    Why: the reason decides to which partner a returned lead goes; this is the ranking
    `return_lead` offers from, so sales can see why each partner was skipped. Pass the
    lead as the partner held it, with the partners' loads (`Playbook.with_loads`) of then.

    Raises:
        ValidationError: at ``reason`` for a code the return policy does not know.
    """
    entry = playbook.return_policy.reason(reason)
    after = attrs.evolve(lead, returned_by=tuple(sorted({*lead.returned_by, partner_id})))
    return _ranking(
        after,
        playbook,
        now=now,
        seed=seed,
        needs=entry.next_partner_needs,
        because=f"after a return for {entry.label!r}" if entry.next_partner_needs else "",
    )


def _require_partner_channel(lead: Lead, playbook: Playbook, command: str) -> None:
    """An SQL in the partner channel, held by sales, and not on offer right now."""
    require_stage(lead, playbook, Stage.SQL, command)
    if lead.channel != Channel.PARTNER.value:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command=command,
            allowed=("allocate_channel",),
            reason="the partner channel has not been allocated to this lead",
        )
    if lead.owner.kind is not PartyKind.SALES:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command=command,
            reason=f"held by {lead.owner}, not by sales",
        )
    if lead.offers:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command=command,
            allowed=("partner_accept", "expire_offers"),
            reason="the lead is on offer; wait for an answer or let the offers expire",
        )


def _check_candidates(
    lead: Lead, rank: PartnerRanking, partner_ids: Sequence[str], command: str
) -> None:
    allowed = rank.candidate_ids
    for pid in partner_ids:
        if pid not in allowed:
            why = rank.reason_for(pid)
            raise TransitionError(
                lead_id=lead.id,
                stage=lead.stage,
                command=f"{command}: {pid}",
                allowed=allowed,
                reason=f"partner {pid!r} does not qualify: {why}",
            )


def assign_partner(
    lead: Lead,
    playbook: Playbook,
    *,
    partner_id: str | None,
    seed: int,
    now: datetime,
    actor: Party,
) -> tuple[Event, ...]:
    """Give the lead straight to one suitable partner (the best-ranked one by default)."""
    _require_partner_channel(lead, playbook, "assign_partner")
    rank = _ranking(lead, playbook, now=now, seed=seed)
    if partner_id is None:
        if not rank.candidate_ids:
            raise TransitionError(
                lead_id=lead.id,
                stage=lead.stage,
                command="assign_partner",
                reason="no partner qualifies: " + rank.summary(),
            )
        partner_id = rank.candidate_ids[0]
    _check_candidates(lead, rank, (partner_id,), "assign_partner")
    return to_role(
        lead,
        playbook,
        Stage.OPPORTUNITY,
        command="assign_partner",
        now=now,
        actor=actor,
        reason=f"assigned to partner {partner_id}",
        owner=Party.partner(partner_id),
    )


def offer_to_partners(
    lead: Lead,
    playbook: Playbook,
    *,
    partner_ids: Sequence[str],
    expires_in: timedelta | None,
    seed: int,
    now: datetime,
    actor: Party,
) -> tuple[Event, ...]:
    """Offer the lead to several suitable partners at once, until an expiry."""
    _require_partner_channel(lead, playbook, "offer_to_partners")
    rank = _ranking(lead, playbook, now=now, seed=seed)
    chosen = tuple(partner_ids) or rank.candidate_ids[: playbook.partner_policy.offer_count]
    if not chosen:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command="offer_to_partners",
            reason="no partner qualifies: " + rank.summary(),
        )
    if len(set(chosen)) != len(chosen):
        raise ValidationError.at("partner_ids", "a partner is named twice")
    _check_candidates(lead, rank, chosen, "offer_to_partners")
    expires_at = now + (expires_in or playbook.partner_policy.offer_expiry)
    return tuple(
        Offered(lead_id=lead.id, at=now, actor=actor, partner_id=pid, expires_at=expires_at)
        for pid in chosen
    )


def partner_accept(
    lead: Lead, playbook: Playbook, *, partner_id: str, now: datetime
) -> tuple[Event, ...]:
    """The first partner to accept an open offer wins; the other offers are withdrawn.

    A partner that was assigned the lead directly accepts it the same way, to
    acknowledge it; the lead is already its own.
    """
    actor = Party.partner(partner_id)
    offer = next((o for o in lead.offers if o.partner_id == partner_id), None)
    if offer is None and lead.owner == actor:
        # an assigned lead: the partner acknowledges it, which stops its response clock
        return (PartnerAccepted(lead_id=lead.id, at=now, actor=actor, partner_id=partner_id),)
    if offer is None:
        if lead.owner.kind is PartyKind.PARTNER:
            why = "won by another partner: it accepted first"
        elif partner_id in lead.lapsed_offers:
            why = "the offer expired"
        else:
            why = "no open offer to this partner"
        raise OfferError(
            lead_id=lead.id,
            stage=lead.stage,
            command=f"partner_accept: {partner_id}",
            allowed=lead.offered_to,
            reason=why,
        )
    if now > offer.expires_at:
        raise OfferError(
            lead_id=lead.id,
            stage=lead.stage,
            command=f"partner_accept: {partner_id}",
            allowed=tuple(o.partner_id for o in lead.offers if now <= o.expires_at),
            reason=f"the offer expired at {offer.expires_at.isoformat()}",
        )
    others = [
        OfferWithdrawn(
            lead_id=lead.id,
            at=now,
            actor=actor,
            partner_id=o.partner_id,
            reason=f"accepted by partner {partner_id}",
        )
        for o in lead.offers
        if o.partner_id != partner_id
    ]
    moved = to_role(
        lead,
        playbook,
        Stage.OPPORTUNITY,
        command="partner_accept",
        now=now,
        actor=actor,
        reason=f"accepted by partner {partner_id}",
        owner=actor,
    )
    accepted = PartnerAccepted(lead_id=lead.id, at=now, actor=actor, partner_id=partner_id)
    return (*moved, accepted, *others)


def handed_on_by(history: Sequence[Event], partner_id: str) -> Party:
    """The sales party that passed the lead to this partner, so a return keeps its team.

    Plain sales when the history does not say (a decision asked without it).
    """
    partner = Party.partner(partner_id)
    for event in reversed(history):
        if (
            isinstance(event, OwnerChanged)
            and event.to_owner == partner
            and event.from_owner.kind is PartyKind.SALES
        ):
            return event.from_owner
    return Party.sales()


_DESTINATIONS: dict[Routing, tuple[Stage, Party]] = {
    Routing.BACK_TO_SALES: (Stage.SQL, Party.sales()),
    Routing.NURTURE: (Stage.NURTURE, Party.marketing()),
    Routing.DISQUALIFY: (Stage.DISQUALIFIED, Party.marketing()),
    Routing.CUSTOMER_MARKETING: (Stage.CUSTOMER, Party.customer_marketing()),
}
"""Where each routing other than the next partner sends a lead, and who then holds it."""


def _route(
    lead: Lead,
    after: Lead,
    playbook: Playbook,
    routing: Routing,
    *,
    command: str,
    now: datetime,
    actor: Party,
    why: str,
    seed: int,
    sales: Party,
    rank: PartnerRanking | None = None,
) -> tuple[Event, ...]:
    """Where a lead goes once a partner no longer holds it. `after` has the return folded in.

    A lead back with sales (or held by sales while on offer again) goes to `sales`, the
    party that handed it to the partner. `rank` is the ranking a return reason asked for;
    without one, the plain ranking.
    """
    offer: tuple[Event, ...] = ()
    if routing is Routing.NEXT_PARTNER:
        if rank is None:
            rank = _ranking(after, playbook, now=now, seed=seed)
        if rank.candidates:
            best = rank.candidates[0]
            offer = (
                Offered(
                    lead_id=lead.id,
                    at=now,
                    actor=actor,
                    partner_id=best.partner_id,
                    expires_at=now + playbook.partner_policy.offer_expiry,
                    # the partner sees this event: it names no other partner
                    reason=f"ranked first of {len(rank.candidates)}: {best.reason}",
                ),
            )
            routing = Routing.BACK_TO_SALES
        else:
            routing = playbook.return_policy.when_no_partner_left
            why = f"{why}; no other partner qualifies"
            if routing is Routing.NEXT_PARTNER:
                routing = Routing.BACK_TO_SALES
    role, owner = _DESTINATIONS[routing]
    if routing is Routing.BACK_TO_SALES:
        owner = sales
    marker: tuple[Event, ...] = ()
    if routing is Routing.NURTURE:
        marker = (Nurtured(lead_id=lead.id, at=now, actor=actor, reason=why),)
    elif routing is Routing.DISQUALIFY:
        marker = (Disqualified(lead_id=lead.id, at=now, actor=actor, reason=why),)
    moved = to_role(
        lead, playbook, role, command=command, now=now, actor=actor, reason=why, owner=owner
    )
    return (*marker, *moved, *offer)


def _require_holder(lead: Lead, partner_id: str, command: str) -> None:
    if lead.owner != Party.partner(partner_id):
        raise PartnerAccessError(
            lead_id=lead.id,
            stage=lead.stage,
            command=f"{command}: {partner_id}",
            reason=f"partner {partner_id!r} does not hold this lead",
        )


def return_lead(
    lead: Lead,
    playbook: Playbook,
    *,
    partner_id: str,
    reason: str,
    comment: str,
    seed: int,
    now: datetime,
    history: Sequence[Event] = (),
) -> tuple[Event, ...]:
    """A partner gives a lead back; the reason code decides where it goes next.

    A lead re-offered after a return goes to the next-ranked partner, never back to one
    that returned it.
    """
    _require_holder(lead, partner_id, "return_lead")
    require_stage(lead, playbook, Stage.OPPORTUNITY, "return_lead")
    routing = route_return(reason, playbook.return_policy)
    if playbook.return_policy.reason(reason).requires_comment and not comment.strip():
        raise ValidationError.at("comment", f"a return for {reason!r} needs a comment")
    actor = Party.partner(partner_id)
    returned = Returned(
        lead_id=lead.id,
        at=now,
        actor=actor,
        partner_id=partner_id,
        reason=reason,
        comment=comment,
        routing=routing.value,
    )
    after = evolve(lead, returned)
    why = f"returned by partner {partner_id}: {reason}"
    rank = None
    if routing is Routing.NEXT_PARTNER:
        rank = return_ranking(
            lead, playbook, partner_id=partner_id, reason=reason, now=now, seed=seed
        )
    return (
        returned,
        *_route(
            lead,
            after,
            playbook,
            routing,
            command="return_lead",
            now=now,
            actor=actor,
            why=why,
            seed=seed,
            rank=rank,
            sales=handed_on_by(history, partner_id),
        ),
    )


def expire_offers(lead: Lead, playbook: Playbook, *, now: datetime, seed: int) -> tuple[Event, ...]:
    """Withdraw lapsed offers; with none left, offer to the next candidates or keep with sales.

    Partners who let an offer lapse are not offered the lead again.
    """
    lapsed = [o for o in lead.offers if o.expires_at < now]
    if not lapsed:
        return ()
    actor = Party.sales()
    withdrawn: tuple[Event, ...] = tuple(
        OfferWithdrawn(
            lead_id=lead.id,
            at=now,
            actor=actor,
            partner_id=o.partner_id,
            reason=f"offer expired at {o.expires_at.isoformat()}",
            expired=True,
        )
        for o in lapsed
    )
    if len(lapsed) < len(lead.offers) or playbook.when_offers_lapse is not Routing.NEXT_PARTNER:
        return withdrawn
    after = lead
    for event in withdrawn:
        after = evolve(after, event)
    rank = _ranking(after, playbook, now=now, seed=seed)
    chosen = rank.candidate_ids[: playbook.partner_policy.offer_count]
    expires_at = now + playbook.partner_policy.offer_expiry
    return (
        *withdrawn,
        *(
            Offered(lead_id=lead.id, at=now, actor=actor, partner_id=pid, expires_at=expires_at)
            for pid in chosen
        ),
    )


def reclaim(
    lead: Lead,
    playbook: Playbook,
    *,
    partner_id: str,
    reason: str,
    comment: str = "",
    now: datetime,
    seed: int,
    history: Sequence[Event] = (),
) -> tuple[Event, ...]:
    """Take a lead back from a partner that stopped responding, and route it onward.

    The reason is a code of the return catalogue, as if the partner had returned it;
    where the lead goes is the playbook's `reclaim_routing`.

    Raises:
        ValidationError: at ``reason`` for a code the return catalogue does not know.
    """
    _require_holder(lead, partner_id, "reclaim")
    playbook.return_policy.reason(reason)
    routing = playbook.reclaim_routing
    sales = handed_on_by(history, partner_id)
    reclaimed = Reclaimed(
        lead_id=lead.id,
        at=now,
        actor=sales,
        partner_id=partner_id,
        reason=reason,
        routing=routing.value,
        comment=comment,
    )
    after = evolve(lead, reclaimed)
    why = f"reclaimed from partner {partner_id}: {reason}"
    return (
        reclaimed,
        *_route(
            lead,
            after,
            playbook,
            routing,
            command="reclaim",
            now=now,
            actor=sales,
            why=why,
            seed=seed,
            sales=sales,
        ),
    )
