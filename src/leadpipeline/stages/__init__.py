"""Decisions: commands, `decide`, `transition`, and the steps that move a lead along.

The shell calls `transition` once per command; everything else here is the detail behind
it, importable for tests, notebooks and hosts that want one decision alone.
"""

from leadpipeline.stages.calls import CALL_STARTS_ON
from leadpipeline.stages.channel import (
    allocate_channel,
)
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
from leadpipeline.stages.completion import (
    complete,
)
from leadpipeline.stages.decide import (
    decide,
)
from leadpipeline.stages.escalation import (
    due_commands,
    escalate,
)
from leadpipeline.stages.handover import (
    HandoverPackage,
    accept,
    expected_quality,
    hand_back,
    hand_over,
    handover_package,
    qualify,
    qualify_sql,
    reject,
)
from leadpipeline.stages.intake import (
    Admission,
    CaptureOutcome,
    admit,
    capture,
    recapture,
)
from leadpipeline.stages.moves import (
    move,
    to_role,
    withdraw_offers,
)
from leadpipeline.stages.notify import (
    Notification,
    OutboxEntry,
    notifications_for,
)
from leadpipeline.stages.packages import (
    OTHER_PARTNER,
    PartnerPackage,
    partner_lead,
    partner_package,
    visible_to,
)
from leadpipeline.stages.partners import (
    assign_partner,
    expire_offers,
    offer_to_partners,
    partner_accept,
    reclaim,
    return_lead,
    return_ranking,
)
from leadpipeline.stages.stale import STALE_RULE, sweep_stale
from leadpipeline.stages.status import LeadStatus, OpenClock, lead_status
from leadpipeline.stages.transition import (
    Inputs,
    Rewrite,
    SlaFold,
    Transition,
    inputs,
    next_due,
    transition,
)

__all__ = [
    "CALL_STARTS_ON",
    "OTHER_PARTNER",
    "STALE_RULE",
    "Accept",
    "AddNote",
    "Admission",
    "AllocateChannel",
    "AssignPartner",
    "Capture",
    "CaptureOutcome",
    "Command",
    "Complete",
    "Disqualify",
    "Erase",
    "Escalate",
    "ExpireOffers",
    "HandOver",
    "HandoverPackage",
    "Inputs",
    "LeadStatus",
    "Merge",
    "MoveStage",
    "Notification",
    "Nurture",
    "OfferToPartners",
    "OpenClock",
    "OutboxEntry",
    "PartnerAccept",
    "PartnerPackage",
    "Qualify",
    "QualifySql",
    "Reclaim",
    "RecordInteraction",
    "Reject",
    "ReturnLead",
    "Rewrite",
    "SlaFold",
    "SweepStale",
    "Transition",
    "UpdateProfile",
    "accept",
    "admit",
    "allocate_channel",
    "assign_partner",
    "capture",
    "command_name",
    "complete",
    "decide",
    "due_commands",
    "escalate",
    "expected_quality",
    "expire_offers",
    "hand_back",
    "hand_over",
    "handover_package",
    "inputs",
    "lead_status",
    "move",
    "next_due",
    "notifications_for",
    "offer_to_partners",
    "partner_accept",
    "partner_lead",
    "partner_package",
    "qualify",
    "qualify_sql",
    "recapture",
    "reclaim",
    "reject",
    "return_lead",
    "return_ranking",
    "sweep_stale",
    "to_role",
    "transition",
    "visible_to",
    "withdraw_offers",
]
