"""Escalation: a breached SLA climbs its ladder one recorded step at a time.

The breaches come in already computed from the history (`rules.sla.breaches`), which
knows which steps were recorded, so escalating twice never repeats a step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from leadpipeline.events import (
    Escalated,
    Event,
    Nurtured,
    OfferWithdrawn,
    SlaBreached,
    evolve,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.lifecycle import Stage
from leadpipeline.playbook import Playbook
from leadpipeline.rules.sla import Breach, Escalation, EscalationAction
from leadpipeline.stages import handover, partners
from leadpipeline.stages.commands import Command, Escalate, ExpireOffers
from leadpipeline.stages.moves import to_role

__all__ = ["due_commands", "escalate"]

_SYSTEM = Party.sales(team="sla")
"""The actor recorded for escalations: the SLA desk of sales operations."""


def _action(
    lead: Lead, playbook: Playbook, step: Escalation, now: datetime, history: Sequence[Event]
) -> tuple[Event, ...]:
    why = f"SLA {step.policy!r} breached (due {step.due_at.isoformat()})"
    match step.action:
        case EscalationAction.RECLAIM_FROM_PARTNER if step.partner_id is not None:
            if lead.owner == Party.partner(step.partner_id):
                return partners.reclaim(
                    lead,
                    playbook,
                    partner_id=step.partner_id,
                    reason=playbook.return_policy.reclaim_reason,
                    comment=why,
                    now=now,
                    seed=0,
                    history=history,
                )
            if step.partner_id in lead.offered_to:
                return (
                    OfferWithdrawn(
                        lead_id=lead.id,
                        at=now,
                        actor=_SYSTEM,
                        partner_id=step.partner_id,
                        reason=why,
                        expired=True,
                    ),
                )
            return ()
        case EscalationAction.RETURN_TO_MARKETING:
            lifecycle = playbook.lifecycle
            target = lifecycle.name_of(Stage.NURTURE)
            if not lifecycle.can_move(lead.stage, target):
                return ()
            if lead.owner.kind is PartyKind.PARTNER:
                return ()  # a partner gives a lead back only by a return or a reclaim
            if lead.owner.kind is PartyKind.SALES:  # a hand-back: recorded with its reason
                return handover.hand_back(
                    lead,
                    playbook,
                    reason=playbook.no_response_reason,
                    comment=why,
                    now=now,
                    actor=_SYSTEM,
                    command="escalate",
                    nurtured=why,
                )
            nurtured = Nurtured(lead_id=lead.id, at=now, actor=_SYSTEM, reason=why)
            return nurtured, *to_role(
                lead,
                playbook,
                Stage.NURTURE,
                command="escalate",
                now=now,
                actor=_SYSTEM,
                reason=why,
                owner=Party.marketing(),
            )
        case EscalationAction.REASSIGN:
            spec = playbook.lifecycle.spec(lead.stage)
            new_owner = Party.sales(team=step.target or "escalation")
            if PartyKind.SALES not in spec.owners or new_owner == lead.owner:
                return ()
            return to_role_same_stage(lead, playbook, new_owner, now=now, reason=why)
        case _:
            return ()


def to_role_same_stage(
    lead: Lead, playbook: Playbook, owner: Party, *, now: datetime, reason: str
) -> tuple[Event, ...]:
    """Hand the lead to another owner without moving its stage."""
    role = playbook.lifecycle.role_of(lead.stage)
    if role is None:
        return ()
    return to_role(
        lead, playbook, role, command="escalate", now=now, actor=_SYSTEM, reason=reason, owner=owner
    )


def escalate(
    lead: Lead,
    playbook: Playbook,
    found: Sequence[Breach],
    *,
    now: datetime,
    history: Sequence[Event] = (),
) -> tuple[Event, ...]:
    """Record each new breach once and perform each due, not yet recorded, escalation step.

    `history` (the events `lead` was folded from) names the sales team a lead reclaimed
    from a partner goes back to.
    """
    events: list[Event] = []
    current = lead
    for breach in found:
        new: list[Event] = []
        if not breach.recorded:
            new.append(
                SlaBreached(
                    lead_id=lead.id,
                    at=now,
                    actor=_SYSTEM,
                    policy=breach.policy,
                    started_at=breach.started_at,
                    due_at=breach.due_at,
                    partner_id=breach.partner_id,
                )
            )
        for step in breach.pending:
            new.append(
                Escalated(
                    lead_id=lead.id,
                    at=now,
                    actor=_SYSTEM,
                    policy=step.policy,
                    started_at=step.started_at,
                    step=step.step,
                    action=step.action.value,
                    target=step.target,
                    partner_id=step.partner_id,
                )
            )
            for event in new:
                current = evolve(current, event)
            events.extend(new)
            new = []
            effect = _action(current, playbook, step, now, (*history, *events))
            for event in effect:
                current = evolve(current, event)
            events.extend(effect)
        for event in new:
            current = evolve(current, event)
        events.extend(new)
    return tuple(events)


def due_commands(lead: Lead, *, now: datetime) -> tuple[Command, ...]:
    """What a lead past its next deadline needs now: lapsed offers first, then its breaches.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Source
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> [type(c).__name__ for c in due_commands(lead, now=at)]
        ['Escalate']
    """
    lapsed = any(offer.expires_at <= now for offer in lead.offers)
    return (ExpireOffers(), Escalate()) if lapsed else (Escalate(),)
