"""leadpipeline: the B2B lead lifecycle as pure decisions over immutable values.

The front door holds what a host application needs on day one: the `Pipeline`, the
playbook, the lead values, the commands, the errors, the shipped stores, JSON in and
out, and the main analyses. Everything else lives in its sub-package, each with its own
``__all__``: `leadpipeline.events`, `leadpipeline.stages` (decisions), `leadpipeline.rules`
(scoring, qualification, SLAs, calendars, channels, partners, returns),
`leadpipeline.lifecycle`, `leadpipeline.adapters` (ports, stores, notifiers, clocks),
`leadpipeline.analytics`, `leadpipeline.serialization`, `leadpipeline.schema` (JSON
Schema) and `leadpipeline.testing`.

The library logs through the standard `logging` module under the ``leadpipeline``
logger, which has a `logging.NullHandler`: it is silent until the host configures
logging (see docs/service.md).
"""

import logging

from leadpipeline.adapters import MemoryStore, SqliteStore
from leadpipeline.analytics import sla_attainment, threshold_sweep, waterfall
from leadpipeline.errors import (
    ConfigurationError,
    ConflictError,
    LeadPipelineError,
    NotFoundError,
    QualificationError,
    StoreError,
    TransitionError,
    ValidationError,
)
from leadpipeline.events import Event, Outcome, replay
from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Party,
    PartyKind,
    ProductHolding,
    Revenue,
    Source,
)
from leadpipeline.pipeline import CaptureResult, ImportReport, Pipeline
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.serialization import from_json, to_json
from leadpipeline.stages import (
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
    UpdateProfile,
    decide,
    transition,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_PLAYBOOK",
    "Accept",
    "AddNote",
    "AllocateChannel",
    "AssignPartner",
    "Capture",
    "CaptureResult",
    "Command",
    "Company",
    "Complete",
    "ConfigurationError",
    "ConflictError",
    "Contact",
    "Disqualify",
    "Erase",
    "Escalate",
    "Event",
    "ExpireOffers",
    "HandOver",
    "ImportReport",
    "Interaction",
    "InteractionKind",
    "Lead",
    "LeadPipelineError",
    "MemoryStore",
    "Merge",
    "MoveStage",
    "Needs",
    "NotFoundError",
    "Nurture",
    "OfferToPartners",
    "Outcome",
    "PartnerAccept",
    "Party",
    "PartyKind",
    "Pipeline",
    "Playbook",
    "ProductHolding",
    "QualificationError",
    "Qualify",
    "QualifySql",
    "Reclaim",
    "RecordInteraction",
    "Reject",
    "ReturnLead",
    "Revenue",
    "Source",
    "SqliteStore",
    "StoreError",
    "TransitionError",
    "UpdateProfile",
    "ValidationError",
    "decide",
    "from_json",
    "replay",
    "sla_attainment",
    "threshold_sweep",
    "to_json",
    "transition",
    "waterfall",
]
