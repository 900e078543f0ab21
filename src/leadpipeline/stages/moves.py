"""Stage moves and the owner changes they imply: the building block of every decision."""

from __future__ import annotations

from datetime import datetime

from leadpipeline.errors import TransitionError, ValidationError
from leadpipeline.events import Event, OfferWithdrawn, OwnerChanged, StageChanged
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.lifecycle import Lifecycle, Stage
from leadpipeline.playbook import Playbook

__all__ = ["move", "require_stage", "to_role", "withdraw_offers"]

_DEFAULT_OWNERS = {
    PartyKind.MARKETING: Party.marketing(),
    PartyKind.SALES: Party.sales(),
    PartyKind.CUSTOMER_MARKETING: Party.customer_marketing(),
}


def _default_owner(lifecycle: Lifecycle, stage: str, current: Party) -> Party:
    owners = lifecycle.spec(stage).owners
    if current.kind in owners:
        return current
    for kind in (PartyKind.MARKETING, PartyKind.SALES, PartyKind.CUSTOMER_MARKETING):
        if kind in owners:
            return _DEFAULT_OWNERS[kind]
    raise ValidationError.at(
        "owner", f"stage {stage!r} is owned only by partners: name the partner that takes it"
    )


def move(
    lead: Lead,
    lifecycle: Lifecycle,
    to_stage: str,
    *,
    now: datetime,
    actor: Party,
    command: str,
    reason: str = "",
    owner: Party | None = None,
) -> tuple[Event, ...]:
    """The events of one allowed stage move, with the owner change it implies.

    Raises `TransitionError` naming the allowed moves when `lead.stage -> to_stage` is not
    an edge of the lifecycle. A move to the same stage only changes the owner.
    """
    events: list[Event] = []
    if to_stage != lead.stage:
        lifecycle.check_move(lead_id=lead.id, src=lead.stage, dst=to_stage, command=command)
        events.append(
            StageChanged(
                lead_id=lead.id,
                at=now,
                actor=actor,
                from_stage=lead.stage,
                to_stage=to_stage,
                reason=reason,
            )
        )
    new_owner = owner if owner is not None else _default_owner(lifecycle, to_stage, lead.owner)
    if new_owner.kind not in lifecycle.spec(to_stage).owners:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command=command,
            allowed=tuple(sorted(k.value for k in lifecycle.spec(to_stage).owners)),
            reason=f"{new_owner} cannot own a lead in stage {to_stage!r}",
        )
    if new_owner != lead.owner:
        events.append(
            OwnerChanged(
                lead_id=lead.id,
                at=now,
                actor=actor,
                from_owner=lead.owner,
                to_owner=new_owner,
                reason=reason,
            )
        )
    return tuple(events)


def to_role(
    lead: Lead,
    playbook: Playbook,
    role: Stage,
    *,
    command: str,
    now: datetime,
    actor: Party,
    reason: str,
    owner: Party | None = None,
) -> tuple[Event, ...]:
    """The events of a move to the stage playing `role` in the playbook's lifecycle."""
    lifecycle = playbook.lifecycle
    return move(
        lead,
        lifecycle,
        lifecycle.name_of(role),
        now=now,
        actor=actor,
        command=command,
        reason=reason,
        owner=owner,
    )


def withdraw_offers(lead: Lead, *, now: datetime, actor: Party, reason: str) -> list[Event]:
    """Withdraw every open offer, e.g. when the lead leaves the partner channel."""
    return [
        OfferWithdrawn(lead_id=lead.id, at=now, actor=actor, partner_id=o.partner_id, reason=reason)
        for o in lead.offers
    ]


def require_stage(lead: Lead, playbook: Playbook, role: Stage, command: str) -> None:
    """Refuse a command unless the lead is in the stage playing `role`."""
    stage = playbook.lifecycle.name_of(role)
    if lead.stage != stage:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command=command,
            allowed=playbook.lifecycle.allowed_from(lead.stage),
            reason=f"needs a lead in {stage!r}",
        )
