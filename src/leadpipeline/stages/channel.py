"""Level two: sales decides direct sales or the partner channel for an SQL.

The channel follows the company's revenue from the one authoritative source the policy
names, so the allocation is indisputable; without that figure the outcome is a blocked
allocation that says what is missing, never a guess.
"""

from __future__ import annotations

from datetime import datetime

from leadpipeline.errors import PartnerAccessError
from leadpipeline.events import (
    AllocationBlocked,
    ChannelAllocated,
    Event,
)
from leadpipeline.lead import Lead, Party, PartyKind
from leadpipeline.lifecycle import Stage
from leadpipeline.playbook import Playbook
from leadpipeline.rules.channels import Channel, channel_decision
from leadpipeline.stages.moves import require_stage, to_role, withdraw_offers

__all__ = ["DIRECT_SALES", "allocate_channel"]

DIRECT_SALES = Party.sales(team="direct")
"""Who works a lead allocated to the direct channel."""


def allocate_channel(
    lead: Lead, playbook: Playbook, *, now: datetime, actor: Party
) -> tuple[Event, ...]:
    """Decide direct sales or the partner channel for an SQL; never a guess.

    Direct: the lead becomes an opportunity worked by direct sales. Partner: the channel
    is recorded and the lead waits for an assignment or offer. Without authoritative
    revenue the outcome is an `AllocationBlocked` event naming what is missing.
    """
    require_stage(lead, playbook, Stage.SQL, "allocate_channel")
    if lead.owner.kind is not PartyKind.SALES:
        raise PartnerAccessError(
            lead_id=lead.id,
            stage=lead.stage,
            command="allocate_channel",
            reason=f"only sales allocates a channel; the lead is held by {lead.owner}",
        )
    decision = channel_decision(lead, playbook.channel_policy, now=now)
    if decision.channel is None:
        return (
            AllocationBlocked(
                lead_id=lead.id,
                at=now,
                actor=actor,
                reason=decision.reason,
                data_source=decision.data_source,
            ),
        )
    allocated = ChannelAllocated(
        lead_id=lead.id,
        at=now,
        actor=actor,
        channel=decision.channel.value,
        rule=decision.rule,
        value=decision.value,
        data_source=decision.data_source,
    )
    if decision.channel is Channel.DIRECT:
        withdrawn = withdraw_offers(lead, now=now, actor=actor, reason="allocated to direct sales")
        moved = to_role(
            lead,
            playbook,
            Stage.OPPORTUNITY,
            command="allocate_channel",
            now=now,
            actor=actor,
            reason=f"direct channel: {decision.rule}",
            owner=DIRECT_SALES,
        )
        return (*withdrawn, allocated, *moved)
    return (allocated,)
