"""Level four: the working party reports the end of the sales process.

Won goes to customer marketing; lost goes back to marketing for nurturing, with the reason.
Only the party that works the lead may report it.
"""

from __future__ import annotations

from datetime import datetime

from leadpipeline.errors import PartnerAccessError, ValidationError
from leadpipeline.events import (
    Completed,
    Event,
    Nurtured,
    Outcome,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.lifecycle import Stage
from leadpipeline.playbook import Playbook
from leadpipeline.stages.moves import require_stage, to_role

__all__ = ["complete"]


def complete(
    lead: Lead,
    playbook: Playbook,
    *,
    outcome: Outcome,
    reason: str,
    revenue: float | None,
    now: datetime,
    actor: Party,
) -> tuple[Event, ...]:
    """The working party reports the end: won goes to customer marketing, lost to nurture."""
    if actor.kind is PartyKind.PARTNER and actor != lead.owner:
        raise PartnerAccessError(
            lead_id=lead.id,
            stage=lead.stage,
            command=f"complete: {actor.partner_id}",
            reason=f"partner {actor.partner_id!r} does not hold this lead",
        )
    require_stage(lead, playbook, Stage.OPPORTUNITY, "complete")
    if lead.owner.kind is PartyKind.PARTNER and actor.kind is not PartyKind.PARTNER:
        raise PartnerAccessError(
            lead_id=lead.id,
            stage=lead.stage,
            command="complete",
            reason=f"the lead is worked by {lead.owner}; that partner reports completion",
        )
    if revenue is not None and revenue < 0:
        raise ValidationError.at("revenue", f"must not be negative, got {revenue!r}")
    done = Completed(
        lead_id=lead.id, at=now, actor=actor, outcome=outcome, reason=reason, revenue=revenue
    )
    if outcome is Outcome.WON:
        return (
            done,
            *to_role(
                lead,
                playbook,
                Stage.CUSTOMER,
                command="complete",
                now=now,
                actor=actor,
                reason="won",
                owner=Party.customer_marketing(),
            ),
        )
    if not reason.strip():
        raise ValidationError.at("reason", "a lost lead needs a reason")
    why = f"lost: {reason}"
    return (
        done,
        Nurtured(lead_id=lead.id, at=now, actor=actor, reason=why),
        *to_role(
            lead,
            playbook,
            Stage.NURTURE,
            command="complete",
            now=now,
            actor=actor,
            reason=why,
            owner=Party.marketing(),
        ),
    )
