"""Stage moves and the owner changes they imply: the building block of every decision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from leadpipeline.errors import TransitionError, ValidationError
from leadpipeline.events import Event, OfferWithdrawn, OwnerChanged, StageChanged
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.lifecycle import Lifecycle, Stage
from leadpipeline.playbook import Playbook
from leadpipeline.stages._trusted import owner_changed, stage_changed

__all__ = ["hands_back", "move", "refuse_hand_back", "require_stage", "to_role", "withdraw_offers"]

_DEFAULT_OWNERS = {
    PartyKind.MARKETING: Party.marketing(),
    PartyKind.SALES: Party.sales(),
    PartyKind.CUSTOMER_MARKETING: Party.customer_marketing(),
}


def _default_owner(owners: frozenset[PartyKind], stage: str, current: Party) -> Party:
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
    return _move(
        lead,
        lifecycle,
        to_stage,
        builders=(StageChanged, OwnerChanged),
        now=now,
        actor=actor,
        command=command,
        reason=reason,
        owner=owner,
    )


def _move(
    lead: Lead,
    lifecycle: Lifecycle,
    to_stage: str,
    *,
    builders: tuple[Callable[..., StageChanged], Callable[..., OwnerChanged]],
    now: datetime,
    actor: Party,
    command: str,
    reason: str,
    owner: Party | None,
) -> tuple[Event, ...]:
    """`move` with the builders of its two events (checked or trusted)."""
    build_stage_changed, build_owner_changed = builders
    stage, current = lead.stage, lead.owner
    changed: Event | None = None
    if to_stage != stage:
        lifecycle.check_move(lead_id=lead.id, src=stage, dst=to_stage, command=command)
        changed = build_stage_changed(
            lead_id=lead.id, at=now, actor=actor, from_stage=stage, to_stage=to_stage, reason=reason
        )
    owners = lifecycle.spec(to_stage).owners
    new_owner = owner if owner is not None else _default_owner(owners, to_stage, current)
    if new_owner.kind not in owners:
        raise TransitionError(
            lead_id=lead.id,
            stage=stage,
            command=command,
            allowed=tuple(sorted(k.value for k in owners)),
            reason=f"{new_owner} cannot own a lead in stage {to_stage!r}",
        )
    if new_owner is current or new_owner == current:
        return () if changed is None else (changed,)
    handed = build_owner_changed(
        lead_id=lead.id,
        at=now,
        actor=actor,
        from_owner=current,
        to_owner=new_owner,
        reason=reason,
    )
    return (handed,) if changed is None else (changed, handed)


# `move` for `decide`, whose every part was checked (a `now` that `require_aware` passed,
# actor, reason and owner from a checked command or lead): its events skip their validators.
_trusted_move = partial(_move, builders=(stage_changed, owner_changed))


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


def hands_back(lifecycle: Lifecycle, change: OwnerChanged, *, to_stage: str) -> bool:
    """Whether an owner change gives the lead back: sales to marketing, a partner to either.

    A lead that leaves the funnel (to a closed stage such as disqualified) is not handed
    back; a partner passing work on to customer marketing is not either.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lifecycle import STANDARD_LIFECYCLE
        >>> at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> change = OwnerChanged(lead_id="L-1", at=at, actor=Party.sales(),
        ...                       from_owner=Party.sales(), to_owner=Party.marketing())
        >>> hands_back(STANDARD_LIFECYCLE, change, to_stage="nurture")
        True
        >>> hands_back(STANDARD_LIFECYCLE, change, to_stage="disqualified")
        False
    """
    if to_stage in lifecycle.closed_stages:
        return False
    before, after = change.from_owner.kind, change.to_owner.kind
    if before is PartyKind.SALES:
        return after is PartyKind.MARKETING
    if before is PartyKind.PARTNER:
        return after in (PartyKind.SALES, PartyKind.MARKETING)
    return False


def refuse_hand_back(
    lead: Lead, playbook: Playbook, events: tuple[Event, ...], *, command: str
) -> tuple[Event, ...]:
    """`events` unchanged, or `TransitionError` if they hand the lead back without a reason.

    Why: a generic move must not bypass the decisions that give a lead back, which
    require a reason from the playbook's catalogue and tell the party receiving it.
    """
    stage = lead.stage
    for event in events:
        if isinstance(event, StageChanged):
            stage = event.to_stage
        elif isinstance(event, OwnerChanged) and hands_back(
            playbook.lifecycle, event, to_stage=stage
        ):
            if event.from_owner.kind is PartyKind.PARTNER:
                codes = ", ".join(playbook.return_policy.codes)
                allowed: tuple[str, ...] = ("return_lead", "reclaim")
                why = f"a partner gives a lead back with a return reason ({codes})"
            else:
                codes = ", ".join(r.code for r in playbook.rejection_reasons)
                allowed = ("reject", "nurture")
                why = f"sales gives a lead back with a rejection reason ({codes})"
            raise TransitionError(
                lead_id=lead.id,
                stage=lead.stage,
                command=f"{command}: {lead.stage} -> {stage} ({event.from_owner} to "
                f"{event.to_owner})",
                allowed=allowed,
                reason=f"{why}: use {' or '.join(allowed)}",
            )
    return events
