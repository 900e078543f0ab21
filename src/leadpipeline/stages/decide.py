"""`decide(lead, command, playbook, now) -> events`: every business decision, pure.

A refused command raises a specific error and returns nothing, so the lead is untouched.
An accepted command returns the events that record it; `evolve` folds them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import assert_never

from leadpipeline._checks import require_aware
from leadpipeline.errors import TransitionError, ValidationError
from leadpipeline.events import (
    Disqualified,
    Event,
    LeadCaptured,
    Merged,
    NoteAdded,
    Nurtured,
    PersonalDataErased,
    ProfileUpdated,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.lifecycle import Stage
from leadpipeline.playbook import Playbook
from leadpipeline.rules.sla import breaches
from leadpipeline.stages import channel, completion, escalation, handover, intake, partners, stale
from leadpipeline.stages._trusted import interaction_recorded
from leadpipeline.stages.calls import with_call
from leadpipeline.stages.commands import (
    Accept,
    AddNote,
    AllocateChannel,
    AssignPartner,
    Capture,
    Command,
    Complete,
    Disqualify,
    Erase,
    Escalate,
    ExpireOffers,
    HandOver,
    Merge,
    MoveStage,
    Nurture,
    OfferToPartners,
    PartnerAccept,
    Qualify,
    QualifySql,
    Reclaim,
    RecordInteraction,
    Reject,
    ReturnLead,
    SweepStale,
    UpdateProfile,
    command_name,
)
from leadpipeline.stages.moves import _trusted_move, refuse_hand_back, to_role, withdraw_offers

__all__ = ["decide"]


def decide(
    lead: Lead | None,
    command: Command,
    playbook: Playbook,
    *,
    now: datetime,
    history: Sequence[Event] = (),
) -> tuple[Event, ...]:
    """The events that record `command` on `lead`, or a specific error if it is refused.

    `history` (the events `lead` was folded from) is read by `Escalate` without
    breaches, which works out what is due from it, by `Capture` of a recorded lead,
    which is a no-op when it captures the same lead again, by `RecordInteraction` and
    `Merge`, which do not ask sales for a call it is still awaited for, and by
    `ReturnLead` and `Reclaim`, which give a lead back to the sales team that handed it
    to the partner.

    Raises:
        TransitionError: the command is not allowed in the lead's stage (names the allowed
            moves); `LeadIdTakenError` when a capture reuses an id for another lead.
        ValidationError: bad input, such as a naive `now`.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Source
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> now = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> new = Lead(id="L-1", source=Source(channel="web", captured_at=now))
        >>> [type(e).__name__ for e in decide(None, Capture(lead=new), DEFAULT_PLAYBOOK, now=now)]
        ['LeadCaptured']
    """
    require_aware("now", now)
    if isinstance(command, Capture):
        if lead is not None:  # the same capture again is a no-op; another lead is refused
            return intake.recapture(lead, command, history)
        (captured,) = intake.capture(command, playbook, now=now)
        assert isinstance(captured, LeadCaptured)  # a capture decides its LeadCaptured event
        return with_call(None, captured, playbook, now=now)
    if lead is None:
        raise ValidationError.at("lead", f"{command_name(command)} needs an existing lead")
    actor: Party = getattr(command, "actor", None) or lead.owner
    name = command_name(command)
    match command:  # moves and touches first: a lead gets them most, and cases go in turn
        case MoveStage(to_stage=to_stage, reason=reason, owner=owner):
            lifecycle = playbook.lifecycle
            if not lifecycle.has(to_stage):
                raise TransitionError(
                    lead_id=lead.id,
                    stage=lead.stage,
                    command=f"{name}: {lead.stage} -> {to_stage}",
                    allowed=lifecycle.allowed_from(lead.stage),
                    reason=f"unknown stage {to_stage!r}",
                )
            # every part is checked: the lead, the command, `now` above, a lifecycle stage
            moves = _trusted_move(
                lead,
                lifecycle,
                to_stage,
                now=now,
                actor=actor,
                command=name,
                reason=reason,
                owner=owner,
            )
            return refuse_hand_back(lead, playbook, moves, command=name)
        case RecordInteraction(interaction=interaction):
            return with_call(
                lead,
                interaction_recorded(lead_id=lead.id, at=now, actor=actor, interaction=interaction),
                playbook,
                now=now,
                history=history,
            )
        case UpdateProfile():
            return (
                ProfileUpdated(
                    lead_id=lead.id,
                    at=now,
                    actor=actor,
                    contact=command.contact,
                    company=command.company,
                    needs=command.needs,
                    interests=command.interests,
                ),
            )
        case AddNote(text=text):
            return (NoteAdded(lead_id=lead.id, at=now, actor=actor, text=text),)
        case Nurture(reason=reason, comment=comment):
            return _nurture(lead, playbook, reason, comment, now=now, actor=actor, name=name)
        case Disqualify(reason=reason):
            moved = to_role(
                lead,
                playbook,
                Stage.DISQUALIFIED,
                command=name,
                now=now,
                actor=actor,
                reason=reason,
            )
            withdrawn = withdraw_offers(lead, now=now, actor=actor, reason="lead disqualified")
            return (
                *withdrawn,
                Disqualified(lead_id=lead.id, at=now, actor=actor, reason=reason),
                *moved,
            )
        case Merge(source=source, interactions=interactions):
            known = source.source_id
            if known is not None and any(s.source_id == known for s in lead.sources):
                return ()  # that source record was merged already: nothing new
            merged = Merged(
                lead_id=lead.id, at=now, actor=actor, source=source, interactions=interactions
            )
            return with_call(lead, merged, playbook, now=now, history=history)
        case Qualify():
            return handover.qualify(lead, playbook, now=now, actor=actor)
        case HandOver(to=to):
            return handover.hand_over(lead, playbook, to=to, now=now, actor=actor)
        case Accept():
            return handover.accept(lead, playbook, now=now, actor=actor)
        case Reject(reason=reason, comment=comment):
            return handover.reject(
                lead, playbook, reason=reason, comment=comment, now=now, actor=actor
            )
        case QualifySql():
            return handover.qualify_sql(lead, playbook, now=now, actor=actor)
        case AllocateChannel():
            return channel.allocate_channel(lead, playbook, now=now, actor=actor)
        case AssignPartner(partner_id=partner_id, seed=seed):
            return partners.assign_partner(
                lead, playbook, partner_id=partner_id, seed=seed, now=now, actor=actor
            )
        case OfferToPartners(partner_ids=partner_ids, expires_in=expires_in, seed=seed):
            return partners.offer_to_partners(
                lead,
                playbook,
                partner_ids=partner_ids,
                expires_in=expires_in,
                seed=seed,
                now=now,
                actor=actor,
            )
        case PartnerAccept(partner_id=partner_id):
            return partners.partner_accept(lead, playbook, partner_id=partner_id, now=now)
        case ReturnLead(partner_id=partner_id, reason=reason, comment=comment, seed=seed):
            return partners.return_lead(
                lead,
                playbook,
                partner_id=partner_id,
                reason=reason,
                comment=comment,
                seed=seed,
                now=now,
                history=history,
            )
        case ExpireOffers(seed=seed):
            return partners.expire_offers(lead, playbook, now=now, seed=seed)
        case Reclaim(partner_id=partner_id, reason=reason, comment=comment, seed=seed):
            return partners.reclaim(
                lead,
                playbook,
                partner_id=partner_id,
                reason=reason,
                comment=comment,
                now=now,
                seed=seed,
                history=history,
            )
        case Complete(outcome=outcome, reason=reason, revenue=revenue):
            return completion.complete(
                lead,
                playbook,
                outcome=outcome,
                reason=reason,
                revenue=revenue,
                now=now,
                actor=actor,
            )
        case Escalate(breaches=found):
            if found is None:
                if len(history) != lead.version:
                    raise ValidationError.at(
                        "history", f"escalate needs the {lead.version} events of lead {lead.id!r}"
                    )
                found = breaches(history, playbook.sla_policies, playbook.party_calendars, now=now)
            return escalation.escalate(lead, playbook, found, now=now, history=history)
        case Erase():
            if lead.erased:
                return ()
            return (PersonalDataErased(lead_id=lead.id, at=now, actor=actor),)
        case SweepStale():
            return stale.sweep_stale(lead, playbook, history, now=now)
        case _:
            assert_never(command)


def _nurture(  # the command's parts, as `decide` unpacked them
    lead: Lead,
    playbook: Playbook,
    reason: str,
    comment: str,
    *,
    now: datetime,
    actor: Party,
    name: str,
) -> tuple[Event, ...]:
    """Nurture: from sales a hand-back with a catalogue reason; a partner must return it."""
    if lead.owner.kind is PartyKind.PARTNER:
        raise TransitionError(
            lead_id=lead.id,
            stage=lead.stage,
            command=name,
            allowed=("return_lead", "reclaim"),
            reason="a partner gives a lead back with a return reason ("
            + ", ".join(playbook.return_policy.codes)
            + "): use return_lead or reclaim",
        )
    if lead.owner.kind is PartyKind.SALES:
        return handover.hand_back(
            lead,
            playbook,
            reason=reason,
            comment=comment,
            now=now,
            actor=actor,
            command=name,
            nurtured=reason,
        )
    moved = to_role(
        lead, playbook, Stage.NURTURE, command=name, now=now, actor=actor, reason=reason
    )
    withdrawn = withdraw_offers(lead, now=now, actor=actor, reason="lead nurtured")
    return (
        *withdrawn,
        Nurtured(lead_id=lead.id, at=now, actor=actor, reason=reason),
        *moved,
    )
